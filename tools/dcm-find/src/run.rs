//! The run: a reader thread turns input lines into jobs, `--jobs` workers
//! each hold one association, and the calling thread writes outcomes in input
//! order, whatever order the workers finish in.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;

use dcm_core::input::{IdLine, IdReader};
use dcm_core::{id, message, Exit};

use crate::cli::Config;
use crate::outcome::{Outcome, Summary};
use crate::worker::{Shared, Worker};

/// The tool's name in messages.
pub const TOOL: &str = "dcm-find";

/// How a run ended.
#[derive(Debug)]
pub struct Finish {
    /// The exit status.
    pub exit: Exit,
    /// The counts of the summary line.
    pub summary: Summary,
}

/// One input line, numbered in reading order.
struct Job {
    seq: u64,
    line: IdLine,
    id: String,
}

type Done = (u64, IdLine, Outcome);

/// Runs the tool: IDs from `input`, records to `output`. `shared.interrupted`
/// may be set from outside (Ctrl-C) to stop the run cleanly.
pub fn run<R, W>(config: &Config, input: R, output: W, shared: &Shared) -> Finish
where
    R: BufRead + Send,
    W: Write,
{
    let failed = match FailedList::create(config) {
        Ok(f) => f,
        Err(why) => {
            message::report(TOOL, "--failed", &why);
            return Finish {
                exit: Exit::Fatal,
                summary: Summary::default(),
            };
        }
    };
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(config.jobs * 4);
    let job_rx = std::sync::Mutex::new(job_rx);
    thread::scope(|scope| {
        for _ in 0..config.jobs {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            scope.spawn(move || work(config, shared, job_rx, done_tx));
        }
        let reader_done = done_tx.clone();
        scope.spawn(move || read(config, shared, input, job_tx, reader_done));
        drop(done_tx);
        Writer::new(shared, output, failed).collect(done_rx)
    })
}

fn work(
    config: &Config,
    shared: &Shared,
    jobs: &std::sync::Mutex<Receiver<Job>>,
    done: Sender<Done>,
) {
    let mut worker = Worker::new(config, shared);
    loop {
        let job = jobs
            .lock()
            .expect("no worker panics holding the lock")
            .recv();
        let Ok(job) = job else { break };
        let outcome = worker.lookup(job.line.position, &job.id);
        if done.send((job.seq, job.line, outcome)).is_err() {
            break;
        }
    }
    worker.finish();
}

fn read<R: BufRead>(
    config: &Config,
    shared: &Shared,
    input: R,
    jobs: SyncSender<Job>,
    done: Sender<Done>,
) {
    for (seq, entry) in IdReader::new(input, config.format).enumerate() {
        // After a stop the input is still read to its end, so that --failed
        // lists every input not done and a rerun of it completes the run.
        let seq = seq as u64;
        let line = match entry {
            Ok(line) => line,
            Err(e) => {
                message::report(TOOL, "stdin", &format!("cannot read: {e}"));
                shared.stop.store(true, Ordering::Relaxed);
                break;
            }
        };
        let checked = match &line.id {
            Ok(raw) => id::check(raw)
                .map(str::to_string)
                .map_err(|r| r.to_string()),
            Err(why) => Err(format!("malformed input line: {why}")),
        };
        let sent = match checked {
            Err(why) => done.send((seq, line, Outcome::Failed(why))).is_ok(),
            Ok(_) if shared.stopping() => done.send((seq, line, Outcome::NotDone)).is_ok(),
            Ok(id) => jobs.send(Job { seq, line, id }).is_ok(),
        };
        if !sent {
            break;
        }
    }
}

/// The failed-inputs file, written as the run goes.
struct FailedList {
    file: Option<BufWriter<File>>,
    end: u8,
}

impl FailedList {
    fn create(config: &Config) -> Result<FailedList, String> {
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

    fn finish(self) -> io::Result<()> {
        match self.file {
            Some(mut f) => f.flush(),
            None => Ok(()),
        }
    }
}

fn create(path: &Path) -> Result<File, String> {
    File::create(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes outcomes in input order and keeps the counts.
struct Writer<'a, W: Write> {
    shared: &'a Shared,
    output: BufWriter<W>,
    failed: FailedList,
    summary: Summary,
    exit: Exit,
    /// Set once stdout is gone: later records count as not done.
    output_lost: bool,
    /// Set once the fatal error was reported: one message is enough.
    fatal_reported: bool,
}

impl<'a, W: Write> Writer<'a, W> {
    fn new(shared: &'a Shared, output: W, failed: FailedList) -> Self {
        Writer {
            shared,
            output: BufWriter::new(output),
            failed,
            summary: Summary::default(),
            exit: Exit::Ok,
            output_lost: false,
            fatal_reported: false,
        }
    }

    fn collect(mut self, done: Receiver<Done>) -> Finish {
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
        if let Err(e) = self.failed.finish() {
            message::report(TOOL, "--failed", &e.to_string());
            self.exit = self.exit.worst(Exit::Fatal);
        }
        self.summary.queries = self.shared.queries.load(Ordering::Relaxed);
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

    fn account(&mut self, line: IdLine, outcome: Outcome) {
        self.summary.ids += 1;
        let subject = subject(&line);
        match outcome {
            Outcome::Done { .. } if self.output_lost => self.not_done(&line),
            Outcome::Done {
                records,
                warnings,
                not_exact,
            } => {
                for w in &warnings {
                    tracing::warn!("{}", message::line(TOOL, &subject, w));
                }
                self.summary.not_exact += not_exact;
                if records.is_empty() {
                    self.summary.empty += 1;
                }
                let mut text = String::new();
                for r in &records {
                    text.push_str(&r.to_line());
                    text.push('\n');
                }
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
                message::report(TOOL, &subject, &why);
                self.summary.failed += 1;
                self.list(&line);
            }
            Outcome::NotDone => self.not_done(&line),
            Outcome::Fatal(why) => {
                self.shared.stop.store(true, Ordering::Relaxed);
                if !std::mem::replace(&mut self.fatal_reported, true) {
                    message::report(TOOL, &subject, &format!("{why}: giving up"));
                }
                self.exit = self.exit.worst(Exit::Fatal);
                self.not_done(&line);
            }
        }
    }

    fn not_done(&mut self, line: &IdLine) {
        self.summary.not_done += 1;
        self.list(line);
    }

    fn list(&mut self, line: &IdLine) {
        if let Err(e) = self.failed.add(line) {
            message::report(TOOL, "--failed", &e.to_string());
            self.exit = self.exit.worst(Exit::Fatal);
        }
    }

    fn lose_output(&mut self, e: io::Error) {
        self.output_lost = true;
        if e.kind() == io::ErrorKind::BrokenPipe {
            // Like an interrupt: stop quietly (design.md section 2).
            self.shared.interrupted.store(true, Ordering::Relaxed);
        } else {
            message::report(TOOL, "stdout", &format!("cannot write: {e}"));
            self.shared.stop.store(true, Ordering::Relaxed);
            self.exit = self.exit.worst(Exit::Fatal);
        }
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

/// How an input line is named in messages: the ID, or its position when it
/// has nothing to show.
fn subject(line: &IdLine) -> String {
    match &line.id {
        Ok(id) if !id.trim().is_empty() => id.clone(),
        _ if !line.raw.is_empty() && line.id.is_err() => String::from_utf8_lossy(&line.raw).into(),
        _ => format!("entry {} (empty)", line.position),
    }
}
