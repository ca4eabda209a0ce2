//! Command-line pieces every tool shares, so flags are spelt the same in all.
//!
//! The help headings are named here too: each tool files its own options
//! under these, so `--help` of the three tools reads alike.

use clap::{Args, ValueEnum};

/// Help heading of the options that say what is read.
pub const INPUT: &str = "Input";
/// Help heading of the options that say what is written, and where.
pub const OUTPUT: &str = "Output";
/// Help heading of dcm-find's options on what is asked of the PACS.
pub const QUERY: &str = "Query";
/// Help heading of dcm-find's options on the PACS and the association.
pub const NETWORK: &str = "Network";
/// Help heading of dcm-lay's options on the tree it writes.
pub const LAYOUT: &str = "Layout";
/// Help heading of the options on threads and parallel work.
pub const PERFORMANCE: &str = "Performance";
/// Help heading of the shared logging options ([`Verbosity`]).
pub const LOGGING: &str = "Logging";

/// How stderr lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// `TOOL: SUBJECT: REASON`, one line each, for people and grep.
    #[default]
    Text,
    /// One JSON object per line (level, tool, message, fields), for log collectors.
    Json,
}

/// `-q` / `-v` (repeatable) and `--log-format`, mapped to a log level and a
/// line format by [`crate::logging`].
#[derive(Debug, Clone, Copy, Args)]
pub struct Verbosity {
    /// Print errors only (no warnings, no summary line).
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = LOGGING)]
    pub quiet: bool,
    /// Print more: -v decisions, -vv every file or PDU.
    #[arg(short, long, global = true, action = clap::ArgAction::Count,
          help_heading = LOGGING)]
    pub verbose: u8,
    /// Format of stderr lines: text, or one JSON object per line.
    #[arg(long, value_enum, value_name = "FORMAT", env = "DCM_LOG_FORMAT",
          default_value_t = LogFormat::Text, global = true, help_heading = LOGGING)]
    pub log_format: LogFormat,
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

    /// Whether a progress bar may be drawn (it still needs a terminal): not
    /// with `-q` (silence asked), `-v` (it would hide among the debug lines)
    /// or JSON logs (a collector wants only objects).
    pub fn progress(&self) -> bool {
        self.level() == 0 && self.log_format == LogFormat::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        verbosity: Verbosity,
    }

    #[test]
    fn levels_and_progress() {
        let cli = Cli::try_parse_from(["t", "-vv"]).unwrap();
        assert_eq!(cli.verbosity.level(), 2);
        assert!(!cli.verbosity.progress());
        let cli = Cli::try_parse_from(["t", "--log-format", "json"]).unwrap();
        assert_eq!(cli.verbosity.log_format, LogFormat::Json);
        assert!(!cli.verbosity.progress());
        let cli = Cli::try_parse_from(["t", "-q"]).unwrap();
        assert_eq!(cli.verbosity.level(), -1);
        assert!(Cli::try_parse_from(["t", "-q", "-v"]).is_err());
    }
}
