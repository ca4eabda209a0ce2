//! `dcm-lay`: parse the command line, set up logging, run, exit.

use std::fs::File;
use std::io::{self, BufReader, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use dcm_core::message::report;
use dcm_core::Exit;
use dcm_lay::cli::Cli;
use dcm_lay::config::{Config, Input};
use dcm_lay::run::{run, TOOL};

fn main() -> ExitCode {
    let config = Cli::parse().into_config();
    dcm_core::logging::init(config.verbosity);
    start(&config).into()
}

/// Opens the input and the failed list, then runs.
fn start(config: &Config) -> Exit {
    let mut failed: Box<dyn Write> = match &config.failed {
        None => Box::new(io::sink()),
        Some(path) => match File::create(path) {
            Ok(f) => Box::new(io::BufWriter::new(f)),
            Err(e) => return usage(&path.display().to_string(), &format!("creating: {e}")),
        },
    };
    let exit = match &config.input {
        Input::Stdin if io::stdin().is_terminal() => {
            return usage(
                "stdin",
                "is a terminal; pipe records in or give --input FILE",
            )
        }
        Input::Stdin => run(config, &mut io::stdin().lock(), &mut failed),
        Input::File(path) => match File::open(path) {
            Ok(f) => run(config, &mut BufReader::new(f), &mut failed),
            Err(e) => return usage(&path.display().to_string(), &format!("opening: {e}")),
        },
    };
    if let Err(e) = failed.flush() {
        report(TOOL, "--failed", &format!("writing: {e}"));
        return Exit::Fatal;
    }
    exit
}

fn usage(subject: &str, reason: &str) -> Exit {
    report(TOOL, subject, reason);
    Exit::Fatal
}
