//! One run: read record lines, keep each study once, place and write each
//! record, report failures per line, and end with pruning (when asked), the
//! manifest and a summary.
//!
//! The rule for a study that arrives more than once: the key is (position,
//! StudyInstanceUID), or (position, the whole data set) for a record without
//! one; the first record with a key is written and later ones are counted as
//! duplicates (with a warning when their values differ). Each position keeps
//! its own copy of a study that another position also matched, because each
//! folder answers "what does the PACS hold for this ID" and a rerun of a
//! subset must fill the same places as a full run; a warning names the
//! position that had it first. Values are compared by a digest of their
//! JSON text (see `prepare`), so the run keeps 32 bytes per study, not the
//! text.
//!
//! In a layout that names places by `{position}` (the `seed` preset), a
//! position stands for one ID, in this run and in the manifest of earlier
//! ones: a record whose position belongs to another ID is a failed line, or
//! an input numbered anew would put two patients' studies in one folder.
//! Files that no manifest lists count by the PatientID read back from them.
//!
//! On an interrupt (the `stop` flag) the file being written is finished (a
//! write is one temp file and a rename), the lines already read but not laid
//! out go to `--failed`, and the manifest is written; lines the producer has
//! not sent yet are not waited for.

use std::collections::HashMap;
use std::fmt::Display;
use std::io::{BufRead, Write};
use std::sync::atomic::AtomicBool;

use dcm_core::message::{self, report};
use dcm_core::Exit;

use crate::config::Config;
use crate::encode::EncodeError;
use crate::lines::{Lines, Next};
use crate::manifest::{Fields, Manifest, ManifestError};
use crate::numbering::Numbering;
use crate::prepare::{prepare, Prepared, Values};
use crate::prune::{prune, Scope};
use crate::template::Place;
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
    pub pruned: u64,
    /// Files `--prune` would have removed but refused or failed to.
    pub not_pruned: u64,
    pub failed: u64,
    /// Lines read but not laid out because of an interrupt.
    pub unfinished: u64,
    pub interrupted: bool,
}

/// Why one record line was not laid out.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("not UTF-8")]
    NotUtf8,
    #[error("not a record: {0}")]
    NotARecord(String),
    #[error("cut short: the input ended inside this line (was its producer killed?): {0}")]
    Cut(String),
    #[error("layout: {0}")]
    Layout(String),
    #[error(
        "position {position} is ID {owner:?} in this tree, not {id:?}: \
         number the input as before, or lay it out under another ROOT"
    )]
    PositionTaken {
        position: u64,
        owner: String,
        id: String,
    },
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

/// What the reader thread makes of a line: `None` for a blank line.
type Line = Option<Result<Prepared, LineError>>;

/// A study in the duplicate rule: its UID, or its values without one.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Study {
    Uid(String),
    Values(Values),
}

/// The state of one run over one tree.
struct Layer<'a> {
    config: &'a Config,
    tree: Tree,
    manifest: Manifest,
    numbering: Numbering,
    scope: Scope,
    seen: HashMap<(u64, Study), Values>,
    first_position: HashMap<String, u64>,
    /// The ID of each position, when the layout names places by position.
    owners: Option<HashMap<u64, String>>,
}

/// Runs dcm-lay over `input`, writing failed lines to `failed`; `stop` is
/// the interrupt flag (set by the Ctrl-C handler).
pub fn run(
    config: &Config,
    input: Box<dyn BufRead + Send>,
    failed: &mut dyn Write,
    stop: &AtomicBool,
) -> Exit {
    let mut counts = Counts::default();
    let template = config.template.clone();
    let mut lines = Lines::spawn(input, move |raw, cut| prepare(raw, cut, &template));
    let mut layer = match Layer::open(config) {
        Ok(layer) => layer,
        Err(e) => {
            fatal(&e);
            list_rest(&mut lines, failed, stop);
            return Exit::Fatal;
        }
    };
    let mut exit = layer.lay_all(&mut lines, failed, &mut counts, stop);
    if config.prune {
        exit = exit.worst(layer.prune(exit, &mut counts));
    }
    if let Err(e) = layer.manifest.save(layer.tree.root()) {
        fatal(&e);
        exit = exit.worst(Exit::Fatal);
    }
    message::summary(TOOL, &summary(&counts));
    exit.worst(Exit::from_failures(counts.failed))
}

/// The one summary line.
pub fn summary(c: &Counts) -> String {
    let mut line = format!(
        "{TOOL}: {} records, {} written, {} replaced, {} identical skipped, \
         {} duplicates, {} pruned, {} failed",
        c.records, c.written, c.replaced, c.identical, c.duplicates, c.pruned, c.failed
    );
    if c.not_pruned > 0 {
        line.push_str(&format!(", {} not pruned", c.not_pruned));
    }
    if c.interrupted {
        line.push_str(&format!(
            ", interrupted ({} lines read but not laid out)",
            c.unfinished
        ));
    }
    line
}

/// Reports an error that ends the run; its message starts with the path.
fn fatal(e: &dyn Display) {
    message::error(TOOL, &e.to_string());
}

/// After a fatal error: every line not laid out goes to `failed`, as the
/// design asks, until the input ends or an interrupt.
fn list_rest<T: Send + 'static>(lines: &mut Lines<T>, failed: &mut dyn Write, stop: &AtomicBool) {
    loop {
        match lines.next(stop) {
            Next::Line { raw, .. } => write_line(failed, &raw),
            Next::Interrupted => {
                lines
                    .pending()
                    .iter()
                    .for_each(|raw| write_line(failed, raw));
                return;
            }
            Next::End | Next::Failed(_) => return,
        }
    }
}

fn write_line(failed: &mut dyn Write, raw: &[u8]) {
    // A failed list that cannot be written is reported when main flushes it.
    let _ = failed.write_all(raw).and_then(|()| failed.write_all(b"\n"));
}

impl<'a> Layer<'a> {
    fn open(config: &'a Config) -> Result<Layer<'a>, FatalError> {
        let tree = Tree::open(&config.root, config.overwrite)?;
        let removed = remove_stale_temps(tree.root())?;
        if removed > 0 {
            tracing::warn!("removed {removed} temp files left by an earlier, killed run");
        }
        let manifest = Manifest::load(tree.root())?;
        let numbering = Numbering::new(&manifest, tree.root());
        let owners = config.template.uses_position().then(|| {
            manifest
                .entries()
                .map(|e| (e.position, e.id.to_string()))
                .collect()
        });
        Ok(Layer {
            config,
            tree,
            numbering,
            manifest,
            scope: Scope::default(),
            seen: HashMap::new(),
            first_position: HashMap::new(),
            owners,
        })
    }

    /// Lays out every line; stops at the first fatal error (listing the rest
    /// of the input in `failed`) or at an interrupt.
    fn lay_all(
        &mut self,
        lines: &mut Lines<Line>,
        failed: &mut dyn Write,
        c: &mut Counts,
        stop: &AtomicBool,
    ) -> Exit {
        loop {
            let (number, raw, prepared) = match lines.next(stop) {
                Next::Line {
                    number,
                    raw,
                    prepared,
                    ..
                } => (number, raw, prepared),
                Next::End => return Exit::Ok,
                Next::Failed(e) => {
                    report(TOOL, &self.config.input.shown(), &format!("reading: {e}"));
                    self.scope.failed(None);
                    return Exit::Fatal;
                }
                Next::Interrupted => return self.interrupted(lines, failed, c),
            };
            let Some(prepared) = prepared else {
                continue;
            };
            c.records += 1;
            match self.lay_line(prepared) {
                Ok(Done::File(Outcome::Written)) => c.written += 1,
                Ok(Done::File(Outcome::Replaced)) => c.replaced += 1,
                Ok(Done::File(Outcome::Identical)) => c.identical += 1,
                Ok(Done::Duplicate) => c.duplicates += 1,
                Err(e) => {
                    c.failed += 1;
                    write_line(failed, &raw);
                    if e.is_fatal() {
                        fatal(&e);
                        list_rest(lines, failed, stop);
                        return Exit::Fatal;
                    }
                    report(TOOL, &format!("line {number}"), &e.to_string());
                }
            }
        }
    }

    fn interrupted(
        &mut self,
        lines: &mut Lines<Line>,
        failed: &mut dyn Write,
        c: &mut Counts,
    ) -> Exit {
        c.interrupted = true;
        for raw in lines.pending() {
            if !raw.iter().all(u8::is_ascii_whitespace) {
                write_line(failed, &raw);
                c.unfinished += 1;
            }
        }
        Exit::Interrupted
    }

    fn lay_line(&mut self, prepared: Result<Prepared, LineError>) -> Result<Done, LineError> {
        let prepared = prepared.inspect_err(|_| self.scope.failed(None))?;
        let (position, id) = (prepared.fields.position, prepared.fields.id.clone());
        self.scope.saw(position, &id);
        self.check_owner(position, &id)
            .and_then(|()| self.lay_record(prepared))
            .inspect_err(|_| self.scope.failed(Some((position, &id))))
    }

    /// The rule of the module doc: one ID per position, where names hold it.
    fn check_owner(&mut self, position: u64, id: &str) -> Result<(), LineError> {
        let Some(owners) = &mut self.owners else {
            return Ok(());
        };
        match owners.get(&position) {
            Some(owner) if owner != id => Err(LineError::PositionTaken {
                position,
                owner: owner.clone(),
                id: id.to_string(),
            }),
            Some(_) => Ok(()),
            None => {
                owners.insert(position, id.to_string());
                Ok(())
            }
        }
    }

    /// The rule of `check_owner` for files no manifest lists: a folder
    /// named by position that holds another patient's files (an old job's
    /// tree, a run killed without its journal) is not given to this one.
    fn check_folder(&mut self, place: &Place, fields: &Fields) -> Result<(), LineError> {
        if fields.patient_id().is_empty() {
            return Ok(()); // nothing to compare with
        }
        match self.numbering.other_patient(place, fields.patient_id()) {
            Some(owner) => Err(LineError::PositionTaken {
                position: fields.position,
                owner,
                id: fields.patient_id().to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Errors come in the order a single pass would meet them: the folders
    /// and fields, the file name, the bytes, the tree.
    fn lay_record(&mut self, prepared: Prepared) -> Result<Done, LineError> {
        let Prepared {
            fields,
            uid,
            values,
            place,
            bytes,
        } = prepared;
        if !self.first_time(fields.position, uid, values) {
            return Ok(Done::Duplicate);
        }
        let place = place.map_err(LineError::Layout)?;
        if self.owners.is_some() {
            self.check_folder(&place, &fields)?;
        }
        let file = if place.has_counter() {
            self.numbering.name(&place, fields.uid())
        } else {
            place.file(0)
        };
        let file = file.map_err(LineError::Layout)?;
        let bytes = bytes?;
        let outcome = self.tree.put(&place.dirs, &file, &bytes)?;
        let relative = [place.dirs.as_slice(), &[file]].concat().join("/");
        self.manifest.upsert(&relative, &fields);
        self.scope.produced(relative);
        Ok(Done::File(outcome))
    }

    /// Prunes when the run went through (see `prune`); exit 1 when a listed
    /// file could not be removed.
    fn prune(&mut self, exit: Exit, c: &mut Counts) -> Exit {
        if exit > Exit::SomeFailed || !self.scope.usable() {
            tracing::warn!(
                "--prune: nothing pruned: the run stopped early or read a line that is \
                 not a record"
            );
            return Exit::Ok;
        }
        let pruned = prune(self.tree.root(), &mut self.manifest, &self.scope);
        c.pruned = pruned.removed;
        c.not_pruned = pruned.failed;
        Exit::from_failures(pruned.failed)
    }

    /// Applies the duplicate rule of the module doc; true for a first arrival.
    fn first_time(&mut self, position: u64, uid: Option<String>, values: Values) -> bool {
        let study = uid.map_or(Study::Values(values), Study::Uid);
        let key = (position, study);
        if let Some(kept) = self.seen.get(&key) {
            // Only a study known by its UID can come back with other values.
            if let (Study::Uid(uid), true) = (&key.1, *kept != values) {
                tracing::warn!(
                    "position {position}: study {uid} arrived again with other values; \
                     the first is kept",
                );
            }
            return false;
        }
        if let Study::Uid(uid) = &key.1 {
            let first = *self.first_position.entry(uid.clone()).or_insert(position);
            if first != position {
                tracing::warn!(
                    "position {position}: study {uid} also matched position {first}; kept in both"
                );
            }
        }
        self.seen.insert(key, values);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_not_pruned_are_counted_only_when_there_are_any() {
        let mut counts = Counts {
            records: 2,
            written: 2,
            ..Counts::default()
        };
        assert!(!summary(&counts).contains("not pruned"));
        counts.not_pruned = 3;
        assert!(summary(&counts).ends_with(", 0 failed, 3 not pruned"));
        let json = dcm_core::logging::counts(&summary(&counts));
        assert_eq!(json["not_pruned"], 3);
    }
}
