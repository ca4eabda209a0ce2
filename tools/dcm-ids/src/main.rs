//! dcm-ids: DICOM files and folders in, a stream of unique IDs out.

mod cli;
mod extract;
mod header;
mod output;
mod paths;
mod progress;
mod report;
mod run;
mod source;
mod unique;
mod walk;

use std::process::ExitCode;

use clap::Parser;
use dcm_core::Exit;

use crate::progress::Progress;
use crate::run::{run, Stop, TOOL};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let quiet = cli.verbosity.quiet;
    // A bar would hide among the per-file lines of -v; -q asks for silence.
    let bar = cli.verbosity.level() == 0;
    dcm_core::logging::init(cli.verbosity.level());
    let config = match cli.into_config() {
        Ok(c) => c,
        Err(why) => {
            eprintln!("{TOOL}: {why}");
            return Exit::Fatal.into();
        }
    };
    if let Some(jobs) = config.jobs {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global();
    }
    let progress = Progress::new(bar);
    let stdout = std::io::stdout().lock();
    match run(&config, std::io::stdin().lock(), stdout, &progress) {
        Ok((exit, summary)) => {
            if !quiet {
                eprintln!("{TOOL}: {summary}");
            }
            exit.into()
        }
        Err(Stop::BrokenPipe) => Exit::Interrupted.into(),
        Err(Stop::Fatal(why)) => {
            eprintln!("{TOOL}: {why}");
            Exit::Fatal.into()
        }
    }
}
