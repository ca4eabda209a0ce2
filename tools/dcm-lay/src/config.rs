//! A checked run configuration: what `run` needs, with types resolved.

use std::path::PathBuf;

use crate::template::Template;

/// Where the records come from.
#[derive(Debug, Clone)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// How messages name the input.
    pub fn shown(&self) -> String {
        match self {
            Input::Stdin => "stdin".into(),
            Input::File(path) => path.display().to_string(),
        }
    }
}

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The folder the tree is written under.
    pub root: PathBuf,
    /// Where each record goes, and in which format.
    pub template: Template,
    /// The record stream.
    pub input: Input,
    /// Replace files that exist with different content.
    pub overwrite: bool,
    /// Remove listed files of the (position, ID)s seen that the run no
    /// longer produces (see `prune`).
    pub prune: bool,
    /// Where failed record lines go, verbatim.
    pub failed: Option<PathBuf>,
    /// Count of `-v` (at most 2), or -1 for `-q`.
    pub verbosity: i8,
}
