//! dcm-ids: DICOM files and folders in, a stream of unique IDs out.

mod cli;
mod extract;
mod header;
mod output;
mod paths;
mod report;
mod run;
mod source;
mod unique;
mod walk;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use dcm_core::{message, Exit};

use crate::run::{run, Stop, TOOL};
use dcm_core::progress::Progress;

fn main() -> ExitCode {
    dcm_core::generate::if_asked(cli::Cli::command);
    let cli = cli::Cli::parse();
    let verbosity = cli.verbosity;
    dcm_core::logging::init(TOOL, verbosity);
    let config = match cli.into_config() {
        Ok(c) => c,
        Err(why) => {
            message::error(TOOL, &why);
            return Exit::Fatal.into();
        }
    };
    if let Some(jobs) = config.jobs {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global();
    }
    let progress = Progress::new(verbosity.progress(), None, "files read", "files");
    let stdout = std::io::stdout().lock();
    match run(&config, std::io::stdin().lock(), stdout, &progress) {
        Ok((exit, summary)) => {
            message::summary(TOOL, &summary.to_string());
            exit.into()
        }
        Err(Stop::BrokenPipe) => Exit::Interrupted.into(),
        Err(Stop::Fatal(why)) => {
            message::error(TOOL, &why);
            Exit::Fatal.into()
        }
    }
}
