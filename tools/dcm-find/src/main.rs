//! dcm-find: a stream of IDs in, one C-FIND per ID to a PACS, a stream of
//! study records (JSON Lines, design.md section 2) out.

mod admit;
mod cli;
mod emit;
mod outcome;
mod output;
mod progress;
mod run;
mod worker;

use std::io::{BufRead, IsTerminal, Read};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use dcm_core::input::IdFormat;
use dcm_core::{message, Exit};

use crate::progress::Progress;
use crate::run::TOOL;
use crate::worker::Shared;

fn main() -> ExitCode {
    dcm_core::generate::if_asked(<cli::Cli as clap::CommandFactory>::command);
    let cli = cli::Cli::parse_args();
    let verbosity = cli.verbosity;
    dcm_core::logging::init(TOOL, verbosity);
    let config = match cli.into_config() {
        Ok(c) => c,
        Err(why) => {
            message::error(TOOL, &why);
            return Exit::Fatal.into();
        }
    };
    if std::io::stdin().is_terminal() {
        message::error(
            TOOL,
            "reads IDs from stdin, one per line: pipe them in (see --help)",
        );
        return Exit::Fatal.into();
    }
    let (input, total) = match open_input(config.format) {
        Ok(i) => i,
        Err(e) => {
            message::report(TOOL, "stdin", &format!("cannot read: {e}"));
            return Exit::Fatal.into();
        }
    };
    static SHARED: OnceLock<Arc<Shared>> = OnceLock::new();
    let shared = SHARED
        .get_or_init(|| {
            let progress = Progress::new(verbosity.progress(), total, "IDs", "IDs");
            Arc::new(Shared {
                progress,
                ..Shared::default()
            })
        })
        .clone();
    let on_signal = shared.clone();
    // Ctrl-C: running queries get a C-CANCEL, finished ones are written,
    // the rest go to --failed, and the exit status is 130.
    // A second Ctrl-C ends the process at once, for an impatient user or
    // an input that never ends.
    let _ = ctrlc::set_handler(move || {
        if on_signal.interrupted.swap(true, Ordering::Relaxed) {
            std::process::exit(Exit::Interrupted.code());
        }
    });
    let finish = run::run(&config, input, std::io::stdout().lock(), &shared);
    message::summary(TOOL, &finish.summary.to_string());
    finish.exit.into()
}

/// Stdin, and how many IDs it holds when that can be known: a regular file
/// is read whole (ID lists are small) and counted, a pipe is streamed.
fn open_input(format: IdFormat) -> std::io::Result<(Box<dyn BufRead + Send>, Option<u64>)> {
    let stdin = std::io::stdin();
    if !stdin_is_file() {
        return Ok((Box::new(std::io::BufReader::new(stdin)), None));
    }
    let mut all = Vec::new();
    stdin.lock().read_to_end(&mut all)?;
    let total = progress::count_entries(&all, format.terminator());
    Ok((Box::new(std::io::Cursor::new(all)), Some(total)))
}

#[cfg(unix)]
fn stdin_is_file() -> bool {
    use std::os::fd::AsFd;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|m| m.is_file())
}

#[cfg(not(unix))]
fn stdin_is_file() -> bool {
    false
}
