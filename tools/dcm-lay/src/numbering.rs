//! The per-folder counter `{n}`, kept stable across runs.
//!
//! Its own unit because a plain arrival counter is not enough: a rerun that
//! feeds only some records of a folder (the IDs that failed last time) would
//! number them from 1 again and collide with the full run's files. So the
//! manifest of earlier runs is read first: a study (by folder and
//! StudyInstanceUID) that it lists keeps its name, and a new study takes the
//! lowest number whose name no listed study holds. On a fresh root this is
//! the arrival counter. A record without a StudyInstanceUID cannot be
//! recognised; it takes the arrival counter, skipping only names of listed
//! studies, so a rerun of the same records still meets its own files. Files
//! on disk that the manifest misses (a run stopped before writing it) count
//! as listed too, by the study read back from them (see `recover`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::manifest::Manifest;
use crate::recover::unlisted;
use crate::template::Place;

/// The names of earlier runs and of this one, per folder.
#[derive(Debug, Default)]
pub struct Numbering {
    folders: HashMap<String, Folder>,
    /// ROOT, to read back unlisted files; `None` reads nothing from disk.
    root: Option<PathBuf>,
}

/// What is known about the names in one folder.
#[derive(Debug, Default)]
struct Folder {
    /// StudyInstanceUID -> file name, from the manifest and read back.
    earlier: HashMap<String, String>,
    /// The names earlier runs gave to a study with a UID, and unlisted files.
    listed: HashSet<String>,
    /// The PatientIDs of files read back (no manifest lists them).
    patients: HashSet<String>,
    /// The names handed out in this run.
    given: HashSet<String>,
    /// The last number tried in this run.
    counter: u64,
    /// Whether the unlisted files were read back already.
    scanned: bool,
}

impl Numbering {
    /// Starts from the rows of earlier runs and the files under `root`.
    pub fn new(manifest: &Manifest, root: impl Into<PathBuf>) -> Numbering {
        let mut numbering = Numbering {
            root: Some(root.into()),
            ..Numbering::default()
        };
        for entry in manifest.entries().filter(|e| !e.uid.is_empty()) {
            let (folder, file) = entry.path.rsplit_once('/').unwrap_or(("", entry.path));
            let folder = numbering.folders.entry(folder.to_string()).or_default();
            folder
                .earlier
                .insert(entry.uid.to_string(), file.to_string());
            folder.listed.insert(file.to_string());
        }
        numbering
    }

    /// The file name of a record placed at `place`; `uid` is its
    /// StudyInstanceUID as the manifest writes it (empty when missing).
    pub fn name(&mut self, place: &Place, uid: &str) -> Result<String, String> {
        let folder = self.folder(place);
        if let Some(name) = folder.earlier.get(uid) {
            if !folder.given.contains(name) && place.counter_of(name).is_some() {
                folder.given.insert(name.clone());
                return Ok(name.clone());
            }
        }
        loop {
            folder.counter += 1;
            let name = place.file(folder.counter)?;
            if !folder.given.contains(&name) && !folder.listed.contains(&name) {
                folder.given.insert(name.clone());
                return Ok(name);
            }
        }
    }

    /// A PatientID other than `patient` among the files of the place's
    /// folder that no manifest lists (an old job's tree, a run killed
    /// without its journal).
    pub fn other_patient(&mut self, place: &Place, patient: &str) -> Option<String> {
        let folder = self.folder(place);
        folder.patients.iter().find(|p| *p != patient).cloned()
    }

    /// The folder of `place`, its unlisted files read back on first use.
    fn folder(&mut self, place: &Place) -> &mut Folder {
        let path = place.dirs.join("/");
        let folder = self.folders.entry(path.clone()).or_default();
        if !folder.scanned {
            folder.scanned = true;
            if let Some(root) = &self.root {
                folder.read_back(&root.join(&path));
            }
        }
        folder
    }
}

impl Folder {
    /// Adds the unlisted files of the folder at `dir` to what is listed.
    fn read_back(&mut self, dir: &Path) {
        for file in unlisted(dir, |name| self.listed.contains(name)) {
            if let Some(uid) = file.uid {
                self.earlier.entry(uid).or_insert_with(|| file.name.clone());
            }
            self.patients.extend(file.patient);
            self.listed.insert(file.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Fields;
    use crate::template::Template;
    use dcm_core::Record;

    fn record(position: u64, uid: &str) -> Record {
        let dataset = serde_json::json!({"0020000D": {"vr": "UI", "Value": [uid]}});
        let line = serde_json::json!({
            "position": position, "id": "P", "key": "PatientID", "dataset": dataset,
        });
        Record::from_line(&line.to_string()).unwrap()
    }

    fn names(numbering: &mut Numbering, position: u64, uids: &[&str]) -> Vec<String> {
        let seed = Template::from_layout("seed").unwrap();
        uids.iter()
            .map(|u| {
                let place = seed.place(&record(position, u)).unwrap();
                numbering.name(&place, u).unwrap()
            })
            .collect()
    }

    #[test]
    fn fresh_root_counts_in_arrival_order() {
        let mut n = Numbering::default();
        assert_eq!(
            names(&mut n, 0, &["a", "b"]),
            ["rsp0001.dcm", "rsp0002.dcm"]
        );
        assert_eq!(names(&mut n, 1, &["c"]), ["rsp0001.dcm"]);
    }

    #[test]
    fn listed_studies_keep_their_names_and_new_ones_take_free_numbers() {
        let mut manifest = Manifest::default();
        for (file, uid) in [
            ("rsp0001.dcm", "a"),
            ("rsp0002.dcm", "b"),
            ("rsp0003.dcm", "c"),
        ] {
            manifest.upsert(&format!("7/{file}"), &Fields::of(&record(7, uid)));
        }
        let mut n = Numbering::new(&manifest, "/nonexistent/root");
        assert_eq!(
            names(&mut n, 7, &["c", "new", "a"]),
            ["rsp0003.dcm", "rsp0004.dcm", "rsp0001.dcm"]
        );
        assert_eq!(names(&mut n, 8, &["a"]), ["rsp0001.dcm"]);
    }
}
