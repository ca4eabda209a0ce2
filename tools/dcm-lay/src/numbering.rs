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
use std::path::PathBuf;

use dcm_core::Record;

use crate::manifest::Manifest;
use crate::recover::unlisted;
use crate::template::Template;

/// The names of earlier runs and of this one, per folder.
#[derive(Debug, Default)]
pub struct Numbering {
    /// (folder, StudyInstanceUID) -> file name, from the manifest.
    earlier: HashMap<(String, String), String>,
    /// Per folder, the file names the manifest gives to a study with a UID.
    listed: HashMap<String, HashSet<String>>,
    /// Per folder, the names handed out in this run.
    given: HashMap<String, HashSet<String>>,
    /// Per folder, the last number tried in this run.
    counters: HashMap<String, u64>,
    /// ROOT, to read back unlisted files; `None` reads nothing from disk.
    root: Option<PathBuf>,
    /// Folders whose unlisted files were read back already.
    scanned: HashSet<String>,
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
            let key = (folder.to_string(), entry.uid.to_string());
            numbering.earlier.insert(key, file.to_string());
            numbering
                .listed
                .entry(folder.to_string())
                .or_default()
                .insert(file.to_string());
        }
        numbering
    }

    /// The file name of `record` in the folder `dirs`; `uid` is its
    /// StudyInstanceUID as the manifest writes it (empty when missing).
    pub fn name(
        &mut self,
        template: &Template,
        record: &Record,
        dirs: &[String],
        uid: &str,
    ) -> Result<String, String> {
        let folder = dirs.join("/");
        self.read_back(&folder);
        let given = self.given.entry(folder.clone()).or_default();
        if let Some(name) = self.earlier.get(&(folder.clone(), uid.to_string())) {
            if !given.contains(name) && template.counter_of(record, name).is_some() {
                given.insert(name.clone());
                return Ok(name.clone());
            }
        }
        let listed = self.listed.get(&folder);
        let counter = self.counters.entry(folder).or_insert(0);
        loop {
            *counter += 1;
            let name = template.file(record, *counter)?;
            if !given.contains(&name) && !listed.is_some_and(|l| l.contains(&name)) {
                given.insert(name.clone());
                return Ok(name);
            }
        }
    }
}

impl Numbering {
    /// Adds the unlisted files of `folder` to what is listed, once a run.
    fn read_back(&mut self, folder: &str) {
        let Some(root) = &self.root else { return };
        if !self.scanned.insert(folder.to_string()) {
            return;
        }
        let listed = self.listed.entry(folder.to_string()).or_default();
        for file in unlisted(&root.join(folder), |name| listed.contains(name)) {
            if let Some(uid) = file.uid {
                let key = (folder.to_string(), uid);
                self.earlier.entry(key).or_insert_with(|| file.name.clone());
            }
            listed.insert(file.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(position: u64, uid: &str) -> Record {
        let dataset = serde_json::json!({"0020000D": {"vr": "UI", "Value": [uid]}});
        let line = serde_json::json!({
            "position": position, "id": "P", "key": "PatientID", "dataset": dataset,
        });
        Record::from_line(&line.to_string()).unwrap()
    }

    fn names(numbering: &mut Numbering, position: u64, uids: &[&str]) -> Vec<String> {
        let seed = Template::from_layout("seed").unwrap();
        let dirs = vec![position.to_string()];
        uids.iter()
            .map(|u| {
                numbering
                    .name(&seed, &record(position, u), &dirs, u)
                    .unwrap()
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
            manifest.upsert(&format!("7/{file}"), &record(7, uid));
        }
        let mut n = Numbering::new(&manifest, "/nonexistent/root");
        assert_eq!(
            names(&mut n, 7, &["c", "new", "a"]),
            ["rsp0003.dcm", "rsp0004.dcm", "rsp0001.dcm"]
        );
        assert_eq!(names(&mut n, 8, &["a"]), ["rsp0001.dcm"]);
    }
}
