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
//! is written, to a hidden journal beside it (see `journal`), which the next
//! run's `load` replays and a successful `save` removes.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::Path;
use std::rc::Rc;

use dcm_core::Record;
use dicom_dictionary_std::tags;

use crate::journal::Journal;
use crate::tree::{write_atomic, TreeError};

/// The manifest's file name at ROOT.
pub const FILE_NAME: &str = "manifest.csv";

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
    #[error("{path}: not a regular file (a link, a folder?); not a manifest of this tool")]
    NotAFile { path: String },
    #[error("{0}")]
    Write(#[from] TreeError),
}

/// What the manifest lists about a record, but its path: worked out ahead
/// of the main loop (see `prepare`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub position: u64,
    pub id: String,
    /// The columns from PatientID on.
    attributes: [String; 5],
}

impl Fields {
    pub fn of(record: &Record) -> Fields {
        let all = |tag| record.all_str(tag).join("\\");
        Fields {
            position: record.position,
            id: record.id.clone(),
            attributes: [
                all(tags::PATIENT_ID),
                all(tags::STUDY_INSTANCE_UID),
                all(tags::STUDY_DATE),
                all(tags::MODALITIES_IN_STUDY),
                all(tags::INSTITUTION_NAME),
            ],
        }
    }

    /// StudyInstanceUID as the manifest writes it: values joined with `\`,
    /// empty when the record had none.
    pub fn patient_id(&self) -> &str {
        &self.attributes[0]
    }

    pub fn uid(&self) -> &str {
        &self.attributes[1]
    }

    /// A row as read from CSV, `HEADER.len()` columns; the path aside.
    fn from_row(row: &[String]) -> Fields {
        let attributes = std::array::from_fn(|i| row[3 + i].clone());
        Fields {
            // A position that is not a number sorts last.
            position: row[1].parse().unwrap_or(u64::MAX),
            id: row[2].clone(),
            attributes,
        }
    }
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

/// The rows, keyed by (position, path) so they come out sorted, with the
/// position of each path so that replacing a row needs no scan. The path is
/// shared by both maps: a large run keeps a row per study in memory.
#[derive(Debug, Default)]
pub struct Manifest {
    rows: BTreeMap<(u64, Rc<str>), Fields>,
    positions: HashMap<Rc<str>, u64>,
    /// Where rows are journaled; `None` for a manifest not loaded from ROOT.
    journal: Option<Journal>,
}

impl Manifest {
    /// Loads ROOT/manifest.csv, or an empty manifest if there is none.
    pub fn load(root: &Path) -> Result<Manifest, ManifestError> {
        let path = root.join(FILE_NAME);
        let shown = || path.display().to_string();
        let mut manifest = Manifest::default();
        let file = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => fs::File::open(&path),
            Ok(_) => return Err(ManifestError::NotAFile { path: shown() }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
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
        for row in reader.records() {
            let row: Vec<String> = row.map_err(read_err)?.iter().map(str::to_string).collect();
            manifest.insert(&row[0], Fields::from_row(&row));
        }
        manifest.replay_journal(root);
        Ok(manifest)
    }

    /// Adds the rows a stopped run journaled.
    fn replay_journal(&mut self, root: &Path) {
        for row in Journal::replay(root, HEADER.len()) {
            self.insert(&row[0], Fields::from_row(&row));
        }
        self.journal = Some(Journal::at(root));
    }

    /// Adds or replaces the row of one file.
    pub fn upsert(&mut self, relative: &str, fields: &Fields) {
        if let Some(journal) = &mut self.journal {
            let position = fields.position.to_string();
            let mut row = [relative, &position, &fields.id, "", "", "", "", ""];
            for (column, value) in row[3..].iter_mut().zip(&fields.attributes) {
                *column = value;
            }
            journal.append(&row);
        }
        self.insert(relative, fields.clone());
    }

    fn insert(&mut self, relative: &str, fields: Fields) {
        self.remove(relative);
        let path: Rc<str> = relative.into();
        self.positions.insert(Rc::clone(&path), fields.position);
        self.rows.insert((fields.position, path), fields);
    }

    /// Drops the row of one file, if there is one.
    pub fn remove(&mut self, relative: &str) {
        if let Some((path, position)) = self.positions.remove_entry(relative) {
            self.rows.remove(&(position, path));
        }
    }

    /// The rows, sorted by position then path.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        self.rows.iter().map(|((position, path), fields)| Entry {
            path,
            position: *position,
            id: &fields.id,
            uid: fields.uid(),
        })
    }

    /// The CSV text.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(HEADER).expect("writing CSV to memory");
        for ((position, path), fields) in &self.rows {
            let position = position.to_string();
            let start = [&**path, &position, &fields.id];
            let row = start
                .into_iter()
                .chain(fields.attributes.iter().map(String::as_str));
            writer.write_record(row).expect("writing CSV to memory");
        }
        writer.into_inner().expect("flushing CSV to memory")
    }

    /// Writes ROOT/manifest.csv atomically (temp name, then rename).
    pub fn save(&mut self, root: &Path) -> Result<(), ManifestError> {
        write_atomic(root, FILE_NAME, &self.to_bytes())?;
        if let Some(journal) = &mut self.journal {
            journal.remove();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(position: u64, uid: &str) -> Fields {
        let line = format!(
            r#"{{"position":{position},"id":"P","key":"PatientID","dataset":
            {{"0020000D":{{"vr":"UI","Value":["{uid}"]}},
            "00080061":{{"vr":"CS","Value":["CT","MR"]}}}}}}"#
        );
        Fields::of(&Record::from_line(&line.replace('\n', "")).unwrap())
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

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_manifest_is_named_as_such() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside.csv");
        fs::write(&outside, HEADER.join(",") + "\n").unwrap();
        let root = tmp.path().join("root");
        fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink(&outside, root.join(FILE_NAME)).unwrap();
        let err = Manifest::load(&root).unwrap_err();
        assert!(matches!(err, ManifestError::NotAFile { .. }), "{err}");
    }
}
