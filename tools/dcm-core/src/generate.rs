//! Man pages and shell completions, printed by the tools themselves.
//!
//! Each tool answers a hidden `--generate KIND` (as ripgrep does), so `make
//! install` writes pages and completions that always match the installed
//! binary, with no build script and no generated files in the repository.
//! `--generate` is looked for before clap parses the command line, because
//! dcm-find and dcm-lay have required arguments that a generator run lacks.

use std::io::{self, Write};

use clap::Command;
use clap_complete::Shell;

/// What `--generate` can print.
pub const KINDS: [&str; 4] = ["man", "complete-bash", "complete-zsh", "complete-fish"];

/// Writes one kind of generated text for `cmd` to `out`.
pub fn write(kind: &str, mut cmd: Command, out: &mut dyn Write) -> io::Result<()> {
    let shell = match kind {
        "man" => return clap_mangen::Man::new(cmd).render(out),
        "complete-bash" => Shell::Bash,
        "complete-zsh" => Shell::Zsh,
        "complete-fish" => Shell::Fish,
        _ => {
            let why = format!("--generate {kind}: expected one of {}", KINDS.join(", "));
            return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
        }
    };
    let name = cmd.get_name().to_string();
    clap_complete::generate(shell, &mut cmd, name, out);
    Ok(())
}

/// When the command line is `TOOL --generate KIND` (or `--generate=KIND`),
/// prints that text to stdout and ends the process: 0 when written, 2 for an
/// unknown kind or a write error. Otherwise returns and the tool runs.
pub fn if_asked(cmd: impl FnOnce() -> Command) {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let kind = match args.as_slice() {
        [flag, kind] if flag == "--generate" => kind.as_str(),
        [flag] => match flag.strip_prefix("--generate=") {
            Some(kind) => kind,
            None => return,
        },
        _ => return,
    };
    let cmd = cmd();
    let tool = cmd.get_name().to_string();
    let mut stdout = io::stdout().lock();
    let done = write(kind, cmd, &mut stdout).and_then(|()| stdout.flush());
    if let Err(e) = done {
        eprintln!("{tool}: {e}");
        std::process::exit(crate::Exit::Fatal.code());
    }
    std::process::exit(0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Arg;

    fn cmd() -> Command {
        Command::new("dcm-test")
            .about("A test tool")
            .arg(Arg::new("jobs").long("jobs").help("Threads"))
    }

    #[test]
    fn every_kind_names_the_tool() {
        for kind in KINDS {
            let mut out = Vec::new();
            write(kind, cmd(), &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains("dcm-test"), "{kind}: {text}");
            assert!(text.contains("jobs"), "{kind}: {text}");
        }
    }

    #[test]
    fn unknown_kind_is_an_error() {
        let err = write("complete-tcsh", cmd(), &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("complete-bash"));
    }
}
