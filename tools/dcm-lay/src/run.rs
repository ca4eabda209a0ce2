//! One run: read record lines, keep each study once, place and write each
//! record, report failures per line, and end with the manifest and a summary.
//!
//! The rule for a study that arrives more than once: the key is (position,
//! StudyInstanceUID), or (position, the whole data set) for a record without
//! one; the first record with a key is written and later ones are counted as
//! duplicates (with a warning when their values differ). Each position keeps
//! its own copy of a study that another position also matched, because each
//! folder answers "what does the PACS hold for this ID" and a rerun of a
//! subset must fill the same places as a full run; a warning names the
//! position that had it first.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};

use dcm_core::message::report;
use dcm_core::{Exit, Record};
use dicom_dictionary_std::tags;

use crate::config::Config;
use crate::encode::{encode, EncodeError};
use crate::manifest::{Manifest, ManifestError};
use crate::tree::{remove_stale_temps, Outcome, Tree, TreeError};

/// The tool's name in messages.
pub const TOOL: &str = "dcm-lay";

/// What the run did, for the summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub records: u64,
    pub written: u64,
    pub replaced: u64,
    pub identical: u64,
    pub duplicates: u64,
    pub failed: u64,
}

/// Why one record line was not laid out.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("not UTF-8")]
    NotUtf8,
    #[error("not a record: {0}")]
    NotARecord(serde_json::Error),
    #[error("layout: {0}")]
    Layout(String),
    #[error("{0}")]
    Encode(#[from] EncodeError),
    #[error("{0}")]
    Tree(#[from] TreeError),
}

impl LineError {
    /// An I/O error on the tree means the output is not writable: stop.
    fn is_fatal(&self) -> bool {
        matches!(self, LineError::Tree(TreeError::Io { .. }))
    }
}

/// Why the run could not start or finish.
#[derive(Debug, thiserror::Error)]
enum FatalError {
    #[error("{0}")]
    Tree(#[from] TreeError),
    #[error("{0}")]
    Manifest(#[from] ManifestError),
}

enum Done {
    File(Outcome),
    Duplicate,
}

/// The state of one run over one tree.
struct Layer<'a> {
    config: &'a Config,
    tree: Tree,
    manifest: Manifest,
    counters: HashMap<Vec<String>, u64>,
    seen: HashMap<(u64, String), String>,
    first_position: HashMap<String, u64>,
}

/// Runs dcm-lay over `input`, writing failed lines to `failed`.
pub fn run(config: &Config, input: &mut dyn BufRead, failed: &mut dyn Write) -> Exit {
    let mut counts = Counts::default();
    let mut layer = match Layer::open(config) {
        Ok(layer) => layer,
        Err(e) => {
            report(TOOL, "output", &e.to_string());
            let _ = io::copy(input, failed);
            return Exit::Fatal;
        }
    };
    let mut exit = layer.lay_all(input, failed, &mut counts);
    if let Err(e) = layer.manifest.save(layer.tree.root()) {
        report(TOOL, "manifest", &e.to_string());
        exit = Exit::Fatal;
    }
    eprintln!("{}", summary(&counts));
    exit.worst(Exit::from_failures(counts.failed))
}

/// The one summary line.
pub fn summary(c: &Counts) -> String {
    format!(
        "{TOOL}: done: {} records, {} written, {} replaced, {} identical skipped, \
         {} duplicates, {} failed",
        c.records, c.written, c.replaced, c.identical, c.duplicates, c.failed
    )
}

impl<'a> Layer<'a> {
    fn open(config: &'a Config) -> Result<Layer<'a>, FatalError> {
        let tree = Tree::open(&config.root, config.overwrite)?;
        let removed = remove_stale_temps(tree.root())?;
        if removed > 0 {
            tracing::warn!("removed {removed} temp files left by an earlier, killed run");
        }
        let manifest = Manifest::load(tree.root())?;
        Ok(Layer {
            config,
            tree,
            manifest,
            counters: HashMap::new(),
            seen: HashMap::new(),
            first_position: HashMap::new(),
        })
    }

    /// Lays out every line; stops at the first fatal error, listing the rest
    /// of the input in `failed`.
    fn lay_all(&mut self, input: &mut dyn BufRead, failed: &mut dyn Write, c: &mut Counts) -> Exit {
        let mut number = 0u64;
        let mut raw = Vec::new();
        loop {
            raw.clear();
            match input.read_until(b'\n', &mut raw) {
                Ok(0) => return Exit::Ok,
                Ok(_) => {}
                Err(e) => {
                    report(TOOL, "input", &format!("reading: {e}"));
                    return Exit::Fatal;
                }
            }
            number += 1;
            trim_newline(&mut raw);
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            c.records += 1;
            match self.lay_line(&raw) {
                Ok(Done::File(Outcome::Written)) => c.written += 1,
                Ok(Done::File(Outcome::Replaced)) => c.replaced += 1,
                Ok(Done::File(Outcome::Identical)) => c.identical += 1,
                Ok(Done::Duplicate) => c.duplicates += 1,
                Err(e) => {
                    report(TOOL, &format!("line {number}"), &e.to_string());
                    c.failed += 1;
                    let _ = failed
                        .write_all(&raw)
                        .and_then(|()| failed.write_all(b"\n"));
                    if e.is_fatal() {
                        let _ = io::copy(input, failed);
                        return Exit::Fatal;
                    }
                }
            }
        }
    }

    fn lay_line(&mut self, raw: &[u8]) -> Result<Done, LineError> {
        let text = std::str::from_utf8(raw).map_err(|_| LineError::NotUtf8)?;
        let record = Record::from_line(text).map_err(LineError::NotARecord)?;
        if !self.first_time(&record) {
            return Ok(Done::Duplicate);
        }
        let template = &self.config.template;
        let dirs = template.dirs(&record).map_err(LineError::Layout)?;
        let counter = self.counters.entry(dirs.clone()).or_insert(0);
        *counter += 1;
        let file = template
            .file(&record, *counter)
            .map_err(LineError::Layout)?;
        let bytes = encode(&record, template.format)?;
        let outcome = self.tree.put(&dirs, &file, &bytes)?;
        let relative = [dirs.as_slice(), &[file]].concat().join("/");
        self.manifest.upsert(&relative, &record);
        Ok(Done::File(outcome))
    }

    /// Applies the duplicate rule of the module doc; true for a first arrival.
    fn first_time(&mut self, record: &Record) -> bool {
        let values = serde_json::to_string(&record.dataset).expect("JSON values serialize");
        let uid = record.first_str(tags::STUDY_INSTANCE_UID);
        let key = (
            record.position,
            uid.clone().unwrap_or_else(|| values.clone()),
        );
        if let Some(kept) = self.seen.get(&key) {
            if *kept != values {
                tracing::warn!(
                    "position {}: study {} arrived again with other values; the first is kept",
                    record.position,
                    key.1
                );
            }
            return false;
        }
        if let Some(uid) = uid {
            let first = *self
                .first_position
                .entry(uid.clone())
                .or_insert(record.position);
            if first != record.position {
                tracing::warn!(
                    "position {}: study {uid} also matched position {first}; kept in both",
                    record.position
                );
            }
        }
        self.seen.insert(key, values);
        true
    }
}

fn trim_newline(raw: &mut Vec<u8>) {
    if raw.last() == Some(&b'\n') {
        raw.pop();
    }
    if raw.last() == Some(&b'\r') {
        raw.pop();
    }
}
