//! dcm-find: a stream of IDs in, one C-FIND per ID to a PACS, a stream of
//! study records (JSON Lines, design.md section 2) out.

mod cli;
mod outcome;
mod run;
mod worker;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use dcm_core::Exit;

use crate::run::TOOL;
use crate::worker::Shared;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    let quiet = cli.verbosity.quiet;
    dcm_core::logging::init(cli.verbosity.level());
    let config = match cli.into_config() {
        Ok(c) => c,
        Err(why) => {
            eprintln!("{TOOL}: {why}");
            return Exit::Fatal.into();
        }
    };
    if std::io::stdin().is_terminal() {
        eprintln!("{TOOL}: reads IDs from stdin, one per line: pipe them in (see --help)");
        return Exit::Fatal.into();
    }
    static SHARED: OnceLock<Arc<Shared>> = OnceLock::new();
    let shared = SHARED.get_or_init(|| Arc::new(Shared::default())).clone();
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
    let input = std::io::BufReader::new(std::io::stdin());
    let finish = run::run(&config, input, std::io::stdout().lock(), &shared);
    if !quiet {
        eprintln!("{TOOL}: {}", finish.summary);
    }
    finish.exit.into()
}
