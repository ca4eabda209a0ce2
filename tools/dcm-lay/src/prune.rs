//! `--prune`: removing files that earlier runs wrote and this run no longer
//! produces.
//!
//! Its own unit because it is the only code that deletes. It removes only
//! files the manifest lists, and only within what the run saw: a row is in
//! scope when the run read a record with the row's position and ID, and laid
//! out every record of that (position, ID) without failure. A subset rerun
//! therefore never touches the folders of IDs it was not given, and an ID
//! that now has no studies at all sends no record, so its old files stay.
//! A run that ends early, or reads a line it cannot parse (whose position is
//! unknown), prunes nothing. Each listed path is checked as the writer checks
//! names (no `..`, no hidden or reserved name, no link on the way), only a
//! regular file is removed, and folders stay.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use dcm_core::message::report;

use crate::manifest::Manifest;
use crate::run::TOOL;
use crate::sanitize::check_component;

/// What the run saw, for deciding what is in scope.
#[derive(Debug, Default)]
pub struct Scope {
    seen: HashSet<(u64, String)>,
    spoiled: HashSet<(u64, String)>,
    unparsed: bool,
    produced: HashSet<String>,
}

/// What pruning did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub removed: u64,
    pub failed: u64,
}

impl Scope {
    /// A record of (position, ID) was read.
    pub fn saw(&mut self, position: u64, id: &str) {
        self.seen.insert((position, id.to_string()));
    }

    /// A line failed: its (position, ID) is out of scope, or everything is
    /// when the line was not a record.
    pub fn failed(&mut self, record: Option<(u64, &str)>) {
        match record {
            Some((position, id)) => {
                self.spoiled.insert((position, id.to_string()));
            }
            None => self.unparsed = true,
        }
    }

    /// A file (relative path) was written, replaced or found identical.
    pub fn produced(&mut self, relative: String) {
        self.produced.insert(relative);
    }

    /// Whether any pruning may happen.
    pub fn usable(&self) -> bool {
        !self.unparsed
    }

    fn covers(&self, position: u64, id: &str) -> bool {
        let key = (position, id.to_string());
        self.seen.contains(&key) && !self.spoiled.contains(&key)
    }
}

/// Removes the listed files in scope that the run did not produce, and their
/// rows; a file that cannot be removed is reported and keeps its row.
pub fn prune(root: &Path, manifest: &mut Manifest, scope: &Scope) -> Pruned {
    let mut pruned = Pruned::default();
    let stale: Vec<String> = manifest
        .entries()
        .filter(|e| scope.covers(e.position, e.id) && !scope.produced.contains(e.path))
        .map(|e| e.path.to_string())
        .collect();
    for relative in stale {
        match remove_listed(root, &relative) {
            Ok(removed) => {
                pruned.removed += u64::from(removed);
                manifest.remove(&relative);
                tracing::debug!("pruned {relative}");
            }
            Err((path, reason)) => {
                report(TOOL, &path, &reason);
                pruned.failed += 1;
            }
        }
    }
    pruned
}

/// Removes ROOT/relative if it is a regular file reached without links;
/// false when it is gone already.
fn remove_listed(root: &Path, relative: &str) -> Result<bool, (String, String)> {
    let shown = |p: &Path| p.display().to_string();
    let mut path = PathBuf::from(root);
    let parts: Vec<&str> = relative.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        check_component(part)
            .map_err(|e| (relative.to_string(), format!("listed in the manifest: {e}")))?;
        path.push(part);
        let last = i + 1 == parts.len();
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err((shown(&path), format!("reading: {e}"))),
            Ok(m) if m.file_type().is_symlink() => {
                return Err((shown(&path), "is a symbolic link; not pruned".into()))
            }
            Ok(m) if last && !m.is_file() => {
                return Err((shown(&path), "is not a regular file; not pruned".into()))
            }
            Ok(m) if !last && !m.is_dir() => return Ok(false),
            Ok(_) => {}
        }
    }
    fs::remove_file(&path).map_err(|e| (shown(&path), format!("removing: {e}")))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Fields;
    use dcm_core::Record;

    fn record(position: u64, id: &str) -> Fields {
        let line = format!(
            r#"{{"position":{position},"id":"{id}","key":"PatientID","dataset":
            {{"0020000D":{{"vr":"UI","Value":["1.{position}"]}}}}}}"#
        );
        Fields::of(&Record::from_line(&line.replace('\n', "")).unwrap())
    }

    #[test]
    fn only_unproduced_files_of_clean_seen_ids_go() {
        let tmp = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::default();
        for (dir, position, id) in [("0", 0, "A"), ("1", 1, "B"), ("2", 2, "C")] {
            fs::create_dir(tmp.path().join(dir)).unwrap();
            for file in ["rsp0001.dcm", "rsp0002.dcm"] {
                fs::write(tmp.path().join(dir).join(file), b"x").unwrap();
                manifest.upsert(&format!("{dir}/{file}"), &record(position, id));
            }
        }
        let mut scope = Scope::default();
        scope.saw(0, "A");
        scope.produced("0/rsp0001.dcm".into());
        scope.saw(1, "B");
        scope.failed(Some((1, "B")));
        let pruned = prune(tmp.path(), &mut manifest, &scope);
        assert_eq!(
            pruned,
            Pruned {
                removed: 1,
                failed: 0
            }
        );
        assert!(!tmp.path().join("0/rsp0002.dcm").exists());
        assert!(tmp.path().join("0/rsp0001.dcm").exists());
        assert!(tmp.path().join("1/rsp0002.dcm").exists());
        assert_eq!(manifest.entries().count(), 5);
    }

    #[test]
    fn links_and_hostile_paths_are_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("keep.dcm"), b"x").unwrap();
        std::os::unix::fs::symlink(outside.path(), tmp.path().join("0")).unwrap();
        let mut manifest = Manifest::default();
        manifest.upsert("0/keep.dcm", &record(0, "A"));
        manifest.upsert("../keep.dcm", &record(0, "A"));
        let mut scope = Scope::default();
        scope.saw(0, "A");
        let pruned = prune(tmp.path(), &mut manifest, &scope);
        assert_eq!(
            pruned,
            Pruned {
                removed: 0,
                failed: 2
            }
        );
        assert!(outside.path().join("keep.dcm").exists());
    }
}
