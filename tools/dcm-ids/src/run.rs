//! The run: walk the inputs, read files in parallel batches, and account for
//! every file in the output, the nothing-to-give count or the failed list.

use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use dcm_core::input::IdFormat;
use dcm_core::message;
use dcm_core::Exit;
use rayon::prelude::*;

use crate::cli::{Config, Format};
use crate::extract::{extract, Outcome};
use crate::output::{write_new, write_table};
use crate::paths::roots;
use crate::report::Report;
use crate::unique::Unique;
use crate::walk::{walk, Found};
use dcm_core::progress::Progress;

pub const TOOL: &str = "dcm-ids";
/// Files read in parallel between two in-order merges: large enough to keep
/// every core busy, small enough that output starts at once.
const BATCH: usize = 512;

/// Counts for the summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub ids: u64,
    pub nothing: u64,
    pub failed: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} files, {} unique IDs, {} with nothing to give, {} failed",
            self.files, self.ids, self.nothing, self.failed
        )
    }
}

/// Why a run stopped before the end.
#[derive(Debug)]
pub enum Stop {
    /// A problem with the inputs or an output file: exit status 2.
    Fatal(String),
    /// stdout was closed by the reader: stop quietly.
    BrokenPipe,
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Stop::BrokenPipe
        } else {
            Stop::Fatal(format!("writing output: {e}"))
        }
    }
}

/// Runs dcm-ids; `stdin` serves `--files-from -`; `progress` is told of
/// every batch.
pub fn run<W: Write>(
    config: &Config,
    stdin: impl Read,
    out: W,
    progress: &Progress,
) -> Result<(Exit, Summary), Stop> {
    let roots = roots(config, stdin).map_err(Stop::Fatal)?;
    let mut tally = Tally {
        config,
        out: BufWriter::new(out),
        unique: Unique::default(),
        summary: Summary::default(),
        report: Report::create(config).map_err(Stop::Fatal)?,
    };
    let mut found = walk(roots, config.follow).peekable();
    while found.peek().is_some() {
        let batch: Vec<Found> = found.by_ref().take(BATCH).collect();
        let outcomes: Vec<(PathBuf, Outcome)> =
            batch.into_par_iter().map(|f| read_one(f, config)).collect();
        let files = outcomes.len() as u64;
        progress.suspend(|| {
            outcomes
                .into_iter()
                .try_for_each(|(path, outcome)| tally.account(path, outcome))
        })?;
        progress.advance(files, &format!(", {} unique IDs", tally.summary.ids));
    }
    progress.finish();
    tally.finish()
}

fn read_one(found: Found, config: &Config) -> (PathBuf, Outcome) {
    match found {
        Found::File(p) => {
            let outcome = extract(&p, &config.attribute);
            (p, outcome)
        }
        Found::Skipped(p, why) => (p, Outcome::Nothing(why)),
        Found::Failed(p, why) => (p, Outcome::Failed(why)),
    }
}

/// Everything a run accumulates, in walk order.
struct Tally<'a, W: Write> {
    config: &'a Config,
    out: BufWriter<W>,
    unique: Unique,
    summary: Summary,
    report: Report,
}

impl<W: Write> Tally<'_, W> {
    fn account(&mut self, path: PathBuf, outcome: Outcome) -> Result<(), Stop> {
        self.summary.files += 1;
        let shown = path.display().to_string();
        match outcome {
            Outcome::Id { value, warnings } => {
                for w in warnings {
                    tracing::warn!("{}", message::line(TOOL, &shown, &w));
                }
                tracing::trace!("{}", message::line(TOOL, &shown, &value));
                if let Some(position) = self.unique.add(&value, &path) {
                    self.summary.ids += 1;
                    if self.config.format == Format::Lines {
                        let format = IdFormat {
                            null: self.config.null,
                            numbered: self.config.numbered,
                        };
                        write_new(&mut self.out, format, position, &value)?;
                    }
                }
            }
            Outcome::Nothing(why) => {
                self.summary.nothing += 1;
                tracing::warn!("{}", message::line(TOOL, &shown, &why));
                self.report.nothing(&path, &why).map_err(Stop::Fatal)?;
            }
            Outcome::Failed(why) => {
                self.summary.failed += 1;
                message::report(TOOL, &shown, &why);
                self.report.failed(&path, &why).map_err(Stop::Fatal)?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(Exit, Summary), Stop> {
        if self.config.format != Format::Lines {
            write_table(&mut self.out, self.config.format, self.unique.entries())?;
        }
        self.out.flush()?;
        self.report.finish().map_err(Stop::Fatal)?;
        Ok((Exit::from_failures(self.summary.failed), self.summary))
    }
}
