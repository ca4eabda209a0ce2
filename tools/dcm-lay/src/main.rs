//! `dcm-lay`: parse the command line, set up logging and Ctrl-C, run, exit.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{CommandFactory, Parser};
use dcm_core::message;
use dcm_core::Exit;
use dcm_lay::cli::Cli;
use dcm_lay::config::{Config, Input};
use dcm_lay::run::{run, TOOL};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Large reads: a record line is about 1 KiB and there may be millions.
const READ_BUFFER: usize = 1 << 16;

fn main() -> ExitCode {
    dcm_core::generate::if_asked(Cli::command);
    let cli = Cli::parse();
    dcm_core::logging::init(TOOL, cli.verbosity);
    let config = cli.into_config();
    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = Arc::clone(&stop);
    // Without a handler Ctrl-C still ends the tool, only without the manifest.
    let _ = ctrlc::set_handler(move || on_signal.store(true, Ordering::Relaxed));
    start(&config, &stop).into()
}

/// Opens the input and the failed list, then runs.
fn start(config: &Config, stop: &AtomicBool) -> Exit {
    let mut failed: Box<dyn Write> = match &config.failed {
        None => Box::new(io::sink()),
        Some(path) => match File::create(path) {
            Ok(f) => Box::new(io::BufWriter::new(f)),
            Err(e) => return usage(&path.display().to_string(), &format!("creating: {e}")),
        },
    };
    let input: Box<dyn BufRead + Send> = match &config.input {
        Input::Stdin if io::stdin().is_terminal() => {
            return usage(
                "stdin",
                "is a terminal; pipe records in or give --input FILE",
            )
        }
        Input::Stdin => Box::new(BufReader::with_capacity(READ_BUFFER, io::stdin())),
        Input::File(path) => match File::open(path) {
            Ok(f) => Box::new(BufReader::with_capacity(READ_BUFFER, f)),
            Err(e) => return usage(&path.display().to_string(), &format!("opening: {e}")),
        },
    };
    let exit = run(config, input, &mut failed, stop);
    if let Err(e) = failed.flush() {
        let shown = config.failed.as_ref().map(|p| p.display().to_string());
        let shown = shown.unwrap_or_default();
        message::error(TOOL, &format!("{shown}: writing: {e}"));
        return exit.worst(Exit::Fatal);
    }
    exit
}

fn usage(subject: &str, reason: &str) -> Exit {
    message::error(TOOL, &format!("{subject}: {reason}"));
    Exit::Fatal
}
