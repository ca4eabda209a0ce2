//! `manifest.csv` at ROOT: one row per file this tool wrote (or found
//! identical), with the attributes people look for.
//!
//! Its own unit because the manifest outlives a run: a rerun of a subset
//! loads it, updates the rows of the files it touched, keeps the others, and
//! writes it back atomically, sorted by position then path, so a full run and
//! a subset rerun leave the same manifest.
//!
//! The manifest is written once, at the end; a run that is killed or stopped
//! by a full disk cannot write it. So every row is also appended, as its file
//! is written, to a hidden journal beside it, which the next run's `load`
//! replays and a successful `save` removes.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use dcm_core::Record;
use dicom_dictionary_std::tags;

use crate::tree::{write_atomic, TreeError};

/// The manifest's file name at ROOT.
pub const FILE_NAME: &str = "manifest.csv";

/// The journal's file name at ROOT: hidden, and not a temp file's name.
pub const JOURNAL_NAME: &str = ".dcm-lay.manifest-journal.csv";

/// The columns, in order. Multiple values are joined with `\` as in DICOM.
pub const HEADER: [&str; 8] = [
    "path",
    "position",
    "id",
    "PatientID",
    "StudyInstanceUID",
    "StudyDate",
    "ModalitiesInStudy",
    "InstitutionName",
];

/// Why the manifest could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: reading: {source}")]
    Read { path: String, source: csv::Error },
    #[error("{path}: unexpected header; not a manifest of this tool")]
    Header { path: String },
    #[error("{0}")]
    Write(#[from] TreeError),
}

/// The rows, keyed by (position, path) so they come out sorted, with the
/// position of each path so that replacing a row needs no scan.
#[derive(Debug, Default)]
pub struct Manifest {
    rows: BTreeMap<(u64, String), Vec<String>>,
    positions: HashMap<String, u64>,
    /// Where rows are journaled; `None` for a manifest not loaded from ROOT.
    journal: Option<PathBuf>,
    /// The journal, opened for appending at the first row of a run.
    journal_file: Option<fs::File>,
}

/// One row, as the numbering and pruning read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Relative to ROOT, `/`-separated.
    pub path: &'a str,
    pub position: u64,
    pub id: &'a str,
    /// StudyInstanceUID (values joined with `\`), empty when the record had none.
    pub uid: &'a str,
}

impl Manifest {
    /// Loads ROOT/manifest.csv, or an empty manifest if there is none.
    pub fn load(root: &Path) -> Result<Manifest, ManifestError> {
        let path = root.join(FILE_NAME);
        let shown = || path.display().to_string();
        let file = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => fs::File::open(&path),
            Ok(_) => return Err(ManifestError::Header { path: shown() }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut manifest = Manifest::default();
                manifest.replay_journal(root);
                return Ok(manifest);
            }
            Err(e) => Err(e),
        };
        let read_err = |source| ManifestError::Read {
            path: shown(),
            source,
        };
        let mut reader = csv::Reader::from_reader(file.map_err(|e| read_err(e.into()))?);
        if reader.headers().map_err(read_err)? != HEADER.as_slice() {
            return Err(ManifestError::Header { path: shown() });
        }
        let mut manifest = Manifest::default();
        for row in reader.records() {
            let row: Vec<String> = row.map_err(read_err)?.iter().map(str::to_string).collect();
            let position = row[1].parse().unwrap_or(u64::MAX);
            manifest.insert(position, row);
        }
        manifest.replay_journal(root);
        Ok(manifest)
    }

    /// Adds the rows a stopped run journaled; a row cut by the stop is
    /// skipped (its file is found again by the numbering, see `recover`).
    fn replay_journal(&mut self, root: &Path) {
        let path = root.join(JOURNAL_NAME);
        if let Ok(m) = fs::symlink_metadata(&path) {
            if m.is_file() {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_path(&path)
                    .ok();
                for row in reader.iter_mut().flat_map(|r| r.records()).flatten() {
                    if row.len() == HEADER.len() {
                        let row: Vec<String> = row.iter().map(str::to_string).collect();
                        let position = row[1].parse().unwrap_or(u64::MAX);
                        self.insert(position, row);
                    }
                }
            }
        }
        self.journal = Some(path);
    }

    /// Adds or replaces the row of one file.
    pub fn upsert(&mut self, relative: &str, record: &Record) {
        let all = |tag| record.all_str(tag).join("\\");
        let row = vec![
            relative.to_string(),
            record.position.to_string(),
            record.id.clone(),
            all(tags::PATIENT_ID),
            all(tags::STUDY_INSTANCE_UID),
            all(tags::STUDY_DATE),
            all(tags::MODALITIES_IN_STUDY),
            all(tags::INSTITUTION_NAME),
        ];
        self.remove(relative);
        self.append_to_journal(&row);
        self.insert(record.position, row);
    }

    /// Appends one row to the journal. A failure (the disk that stopped the
    /// run) is not an error of the file's: the numbering still finds it.
    fn append_to_journal(&mut self, row: &[String]) {
        let Some(path) = &self.journal else { return };
        if self.journal_file.is_none() {
            let opened = fs::OpenOptions::new().create(true).append(true).open(path);
            self.journal_file = opened.ok();
        }
        if let Some(file) = &mut self.journal_file {
            let mut line = csv::Writer::from_writer(Vec::new());
            if line.write_record(row).is_ok() {
                if let Ok(bytes) = line.into_inner() {
                    let _ = file.write_all(&bytes);
                }
            }
        }
    }

    fn insert(&mut self, position: u64, row: Vec<String>) {
        if let Some(old) = self.positions.insert(row[0].clone(), position) {
            self.rows.remove(&(old, row[0].clone()));
        }
        self.rows.insert((position, row[0].clone()), row);
    }

    /// Drops the row of one file, if there is one.
    pub fn remove(&mut self, relative: &str) {
        if let Some(position) = self.positions.remove(relative) {
            self.rows.remove(&(position, relative.to_string()));
        }
    }

    /// The rows, sorted by position then path.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        self.rows.iter().map(|((position, _), row)| Entry {
            path: &row[0],
            position: *position,
            id: &row[2],
            uid: &row[4],
        })
    }

    /// The CSV text.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let rows =
            std::iter::once(HEADER.map(str::to_string).to_vec()).chain(self.rows.values().cloned());
        for row in rows {
            writer.write_record(&row).expect("writing CSV to memory");
        }
        writer.into_inner().expect("flushing CSV to memory")
    }

    /// Writes ROOT/manifest.csv atomically (temp name, then rename).
    pub fn save(&mut self, root: &Path) -> Result<(), ManifestError> {
        write_atomic(root, FILE_NAME, &self.to_bytes())?;
        // Every journaled row is in the manifest now.
        self.journal_file = None;
        let _ = fs::remove_file(root.join(JOURNAL_NAME));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(position: u64, uid: &str) -> Record {
        let line = format!(
            r#"{{"position":{position},"id":"P","key":"PatientID","dataset":
            {{"0020000D":{{"vr":"UI","Value":["{uid}"]}},
            "00080061":{{"vr":"CS","Value":["CT","MR"]}}}}}}"#
        );
        Record::from_line(&line.replace('\n', "")).unwrap()
    }

    #[test]
    fn rerun_updates_rows_and_keeps_the_rest_sorted() {
        let tmp = tempfile::tempdir().unwrap();
        let mut m = Manifest::default();
        m.upsert("10/rsp0001.dcm", &record(10, "1.1"));
        m.upsert("2/rsp0001.dcm", &record(2, "2.1"));
        m.save(tmp.path()).unwrap();
        let mut again = Manifest::load(tmp.path()).unwrap();
        again.upsert("2/rsp0001.dcm", &record(2, "2.2"));
        let text = String::from_utf8(again.to_bytes()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert_eq!(lines[1], "2/rsp0001.dcm,2,P,,2.2,,CT\\MR,");
        assert!(lines[2].starts_with("10/rsp0001.dcm,10,"));
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn a_foreign_csv_is_not_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(FILE_NAME), "a,b\n1,2\n").unwrap();
        assert!(matches!(
            Manifest::load(tmp.path()),
            Err(ManifestError::Header { .. })
        ));
    }
}
