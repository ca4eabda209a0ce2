//! Command-line pieces every tool shares, so flags are spelt the same in all.

use clap::Args;

/// `-q` / `-v` (repeatable), mapped to a log level by [`crate::logging`].
#[derive(Debug, Clone, Copy, Args)]
pub struct Verbosity {
    /// Print errors only (no warnings, no summary line).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: -v decisions, -vv every file or PDU.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Verbosity {
    /// The count of `-v`, or -1 for `-q`.
    pub fn level(&self) -> i8 {
        if self.quiet {
            -1
        } else {
            self.verbose.min(2) as i8
        }
    }
}
