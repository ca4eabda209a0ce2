//! Writing outcomes in input order, whatever order the workers finish in:
//! records to stdout (in the chosen output form), one stderr line per failed
//! input, the failed list, and the counts of the summary line.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;

use dcm_core::input::IdLine;
use dcm_core::{message, Exit};

use crate::cli::Config;
use crate::outcome::{Outcome, Summary};
use crate::output::OutputFormat;
use crate::run::{Finish, TOOL};
use crate::worker::Shared;

/// An outcome with its place in the input: reading order and the line.
pub type Done = (u64, IdLine, Outcome);

/// The failed-inputs file, written as the run goes.
pub struct FailedList {
    file: Option<BufWriter<File>>,
    end: u8,
}

impl FailedList {
    /// Opens the --failed file, if one was asked for.
    pub fn create(config: &Config) -> Result<FailedList, String> {
        let file = match &config.failed {
            Some(path) => Some(BufWriter::new(create(path)?)),
            None => None,
        };
        let end = config.format.terminator();
        Ok(FailedList { file, end })
    }

    fn add(&mut self, line: &IdLine) -> io::Result<()> {
        if let Some(f) = &mut self.file {
            f.write_all(&line.raw)?;
            f.write_all(&[self.end])?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

fn create(path: &Path) -> Result<File, String> {
    File::create(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes outcomes in input order and keeps the counts.
pub struct Writer<'a, W: Write> {
    shared: &'a Shared,
    output: BufWriter<W>,
    format: &'a OutputFormat,
    failed: FailedList,
    summary: Summary,
    exit: Exit,
    /// Set once stdout is gone: later records count as not done.
    output_lost: bool,
    /// Set once the fatal error was reported: one message is enough.
    fatal_reported: bool,
}

impl<'a, W: Write> Writer<'a, W> {
    /// A writer of `format` to `output`.
    pub fn new(
        shared: &'a Shared,
        output: W,
        failed: FailedList,
        format: &'a OutputFormat,
    ) -> Self {
        Writer {
            shared,
            output: BufWriter::new(output),
            format,
            failed,
            summary: Summary::default(),
            exit: Exit::Ok,
            output_lost: false,
            fatal_reported: false,
        }
    }

    /// Writes every outcome that arrives, then ends the run.
    pub fn collect(mut self, done: Receiver<Done>) -> Finish {
        self.write_header();
        let mut waiting: BTreeMap<u64, (IdLine, Outcome)> = BTreeMap::new();
        let mut next = 0u64;
        while let Ok((seq, line, outcome)) = done.recv() {
            waiting.insert(seq, (line, outcome));
            while let Some((line, outcome)) = waiting.remove(&next) {
                self.account(line, outcome);
                next += 1;
            }
        }
        // Only a reader that stopped early leaves gaps; what waits is undone.
        for (_, (line, _)) in std::mem::take(&mut waiting) {
            self.account(line, Outcome::NotDone);
        }
        if let Err(e) = self.failed.flush() {
            self.report("--failed", &e.to_string());
            self.exit = self.exit.worst(Exit::Fatal);
        }
        self.summary.queries = self.shared.queries.load(Ordering::Relaxed);
        self.summary.retries = self.shared.retries.load(Ordering::Relaxed);
        self.shared.progress.finish();
        let mut exit = self.exit.worst(Exit::from_failures(self.summary.failed));
        if self.shared.interrupted.load(Ordering::Relaxed) {
            exit = exit.worst(Exit::Interrupted);
        } else if self.shared.stop.load(Ordering::Relaxed) {
            exit = exit.worst(Exit::Fatal);
        }
        Finish {
            exit,
            summary: self.summary,
        }
    }

    /// The CSV header row, before any record.
    fn write_header(&mut self) {
        let header = self.format.header();
        let written = self.output.write_all(header.as_bytes());
        if let Err(e) = written.and_then(|()| self.output.flush()) {
            self.lose_output(e);
        }
    }

    fn account(&mut self, line: IdLine, outcome: Outcome) {
        self.summary.ids += 1;
        self.shared.progress.advance(1, "");
        let subject = subject(&line);
        match outcome {
            Outcome::Done { .. } if self.output_lost => self.not_done(&line),
            Outcome::Done {
                records,
                warnings,
                not_exact,
            } => {
                for w in &warnings {
                    self.shared.warn(&subject, w);
                }
                self.summary.not_exact += not_exact;
                if records.is_empty() {
                    self.summary.empty += 1;
                }
                let mut text = String::new();
                self.format.render(&records, &mut text);
                // Flushed per ID: an ID counts as done only once its records
                // have left the process.
                let written = self.output.write_all(text.as_bytes());
                match written.and_then(|()| self.output.flush()) {
                    Ok(()) => self.summary.matches += records.len() as u64,
                    Err(e) => {
                        self.lose_output(e);
                        self.not_done(&line);
                    }
                }
            }
            Outcome::Failed(why) => {
                self.report(&subject, &why);
                self.summary.failed += 1;
                self.list(&line);
            }
            Outcome::NotDone => self.not_done(&line),
            Outcome::Fatal(why) => {
                self.shared.stop.store(true, Ordering::Relaxed);
                // A run-stopping error, not a failure of this ID: it is the
                // line a log monitor must alert on (kind "error" in JSON).
                if !std::mem::replace(&mut self.fatal_reported, true) {
                    let text = format!("{why}: giving up; the inputs not done are in --failed");
                    self.shared.progress.suspend(|| message::error(TOOL, &text));
                }
                self.exit = self.exit.worst(Exit::Fatal);
                self.not_done(&line);
            }
        }
    }

    /// One failure line, printed around the progress bar.
    fn report(&self, subject: &str, reason: &str) {
        self.shared
            .progress
            .suspend(|| message::report(TOOL, subject, reason));
    }

    fn not_done(&mut self, line: &IdLine) {
        self.summary.not_done += 1;
        self.list(line);
    }

    fn list(&mut self, line: &IdLine) {
        if let Err(e) = self.failed.add(line) {
            self.report("--failed", &e.to_string());
            self.exit = self.exit.worst(Exit::Fatal);
        }
    }

    fn lose_output(&mut self, e: io::Error) {
        self.output_lost = true;
        if e.kind() == io::ErrorKind::BrokenPipe {
            // Like an interrupt: stop quietly (design.md section 2).
            self.shared.interrupted.store(true, Ordering::Relaxed);
        } else {
            self.report("stdout", &format!("cannot write: {e}"));
            self.shared.stop.store(true, Ordering::Relaxed);
            self.exit = self.exit.worst(Exit::Fatal);
        }
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

/// How an input line is named in messages: the ID, or its position when it
/// has nothing to show (0-based, as the records' `position` and the old
/// job's folder numbers).
fn subject(line: &IdLine) -> String {
    match &line.id {
        Ok(id) if !id.trim().is_empty() => id.clone(),
        Err(_) if !line.raw.is_empty() => match std::str::from_utf8(&line.raw) {
            Ok(text) => text.to_string(),
            // Replacement characters alone would be hard to find in the input.
            Err(_) => format!(
                "position {} ({})",
                line.position,
                String::from_utf8_lossy(&line.raw)
            ),
        },
        _ => format!("position {} (empty)", line.position),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(position: u64, raw: &[u8], id: Result<&str, &str>) -> IdLine {
        IdLine {
            position,
            raw: raw.to_vec(),
            id: id.map(str::to_string).map_err(str::to_string),
        }
    }

    #[test]
    fn a_line_is_named_by_its_id_or_its_position() {
        assert_eq!(subject(&line(0, b"P1", Ok("P1"))), "P1");
        assert_eq!(subject(&line(3, b"", Ok(""))), "position 3 (empty)");
        assert_eq!(subject(&line(4, b"7 P", Err("bad"))), "7 P");
        let not_utf8 = line(5, b"M\xfcller", Err("not valid UTF-8"));
        assert_eq!(subject(&not_utf8), "position 5 (M\u{fffd}ller)");
    }
}
