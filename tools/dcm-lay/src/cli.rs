//! The command line as clap sees it, and its check into a [`Config`].
//!
//! Kept apart from `run` so the whole tool can be driven from tests with a
//! `Config`, and so `--help` is defined in one place.

use std::path::PathBuf;

use clap::Parser;
use dcm_core::cli::{Verbosity, INPUT, LAYOUT, OUTPUT};

use crate::config::{Config, Input};
use crate::template::Template;

// clap turns a literal "{n}" in help text into a line break, so the help
// names the counter with a width, as the seed preset uses it.
const LAYOUTS: &str = "\
Layouts:
  default  {id}/{StudyDate|nodate}_{ModalitiesInStudy|none}_{StudyInstanceUID}.dcm
  seed     {position}/rsp{n:4}.dcm   (the old job's tree)
  Placeholders: {position} {id} {key}, any keyword or gggg,eeee; {name:4}
  zero-pads, {name|text} gives a default; {n:4} is a per-folder counter from 1,
  stable across runs (a study listed in manifest.csv keeps its number). A name
  ending in .dcm writes DICOM Part 10, .json the DICOM JSON model.";

const EXAMPLES: &str = "\
Examples:
  dcm-ids --numbered /data | dcm-find --numbered PACS@pacs:104 | dcm-lay -l seed /tmp/pullX
  dcm-find --numbered PACS@pacs:104 < retry.tsv | dcm-lay -l seed /tmp/pullX   (failed IDs)
  dcm-lay --input studies.jsonl --layout '{PatientID}/{StudyInstanceUID}.json' out/";

/// Lays out study records (JSON Lines from dcm-find) as a folder tree.
#[derive(Debug, Parser)]
#[command(name = "dcm-lay", version, about)]
#[command(after_help = format!("{LAYOUTS}\n\n{}\n\n{EXAMPLES}", dcm_core::exit::EXIT_HELP))]
pub struct Cli {
    /// Folder to write the tree under (created if missing).
    #[arg(value_name = "ROOT")]
    pub root: PathBuf,

    /// Read records from FILE instead of stdin ('-' is stdin).
    ///
    /// One JSON record per line, as dcm-find writes them; blank lines are
    /// skipped.
    #[arg(short, long, value_name = "FILE", help_heading = INPUT)]
    pub input: Option<PathBuf>,

    /// Layout: a preset (default, seed) or a template.
    #[arg(short, long, value_name = "NAME|TEMPLATE", default_value = "default",
          value_parser = Template::from_layout, help_heading = LAYOUT)]
    pub layout: Template,

    /// Replace files that exist with different content.
    ///
    /// Without it, a name that exists with other content is an error for that
    /// record; identical content is always skipped.
    #[arg(long, help_heading = LAYOUT)]
    pub overwrite: bool,

    /// Remove files of earlier runs that this run no longer produces.
    ///
    /// Only files listed in ROOT/manifest.csv are removed, and only those of
    /// a (position, ID) that this run read records for and laid out without
    /// failure: a rerun of a subset prunes within that subset only, and an ID
    /// that now has no studies sends no record, so its old files stay. A run
    /// that stops early or reads a line that is not a record prunes nothing.
    /// Folders are kept; nothing that the manifest does not list is deleted.
    #[arg(long, help_heading = LAYOUT)]
    pub prune: bool,

    /// Write the record lines that failed to FILE, as they were read.
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub failed: Option<PathBuf>,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

impl Cli {
    /// Resolves the arguments into a run configuration.
    pub fn into_config(self) -> Config {
        let input = match self.input {
            Some(p) if p.as_os_str() != "-" => Input::File(p),
            _ => Input::Stdin,
        };
        Config {
            root: self.root,
            template: self.layout,
            input,
            overwrite: self.overwrite,
            prune: self.prune,
            failed: self.failed,
            verbosity: self.verbosity.level(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bad_layout_is_a_usage_error() {
        let err = Cli::try_parse_from(["dcm-lay", "--layout", "/x/{n}.dcm", "out"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn seed_preset_and_stdin_dash() {
        let cli = Cli::try_parse_from(["dcm-lay", "-l", "seed", "-i", "-", "out"]).unwrap();
        let config = cli.into_config();
        assert_eq!(config.template.text(), "{position}/rsp{n:4}.dcm");
        assert!(matches!(config.input, Input::Stdin));
    }
}
