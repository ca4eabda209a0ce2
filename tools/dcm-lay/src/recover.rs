//! Finding the studies of files that are on disk but not in the manifest.
//!
//! A run that stops on a fatal error (a full disk) or is killed cannot write
//! its manifest, yet the files it completed are there. Numbering must not
//! hand their names to other studies on the next run, or a rerun of only the
//! failed records collides with them. So before a folder is numbered, its
//! unlisted files are read back for their StudyInstanceUID: a rerun of the
//! same study meets its own file (identical, skipped), another study takes
//! the next free number. Their PatientID is read too, so that a folder
//! named by position is not given to a second patient (see `run`).

use std::fs;
use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::OpenFileOptions;
use serde_json::Value;

/// An unlisted file in a folder, and its StudyInstanceUID when readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlisted {
    /// The file name.
    pub name: String,
    /// Its StudyInstanceUID, if the file could be read as one of ours.
    pub uid: Option<String>,
    /// Its PatientID, if it has one.
    pub patient: Option<String>,
}

/// The regular, visible files of `dir` for which `is_listed` is false. A
/// folder that does not exist yet has none.
pub fn unlisted(dir: &Path, is_listed: impl Fn(&str) -> bool) -> Vec<Unlisted> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // Hidden names are our temp files; links are never followed in ROOT.
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if name.starts_with('.') || !regular || is_listed(&name) {
            continue;
        }
        let (uid, patient) = read_ids(&entry.path());
        found.push(Unlisted { name, uid, patient });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// The StudyInstanceUID and PatientID of a `.dcm` or `.json` file this tool
/// wrote, each when present.
fn read_ids(path: &Path) -> (Option<String>, Option<String>) {
    match path.extension().and_then(|e| e.to_str()) {
        Some("dcm") => {
            let Ok(object) = OpenFileOptions::new()
                .read_until(tags::SERIES_INSTANCE_UID)
                .open_file(path)
            else {
                return (None, None);
            };
            let text = |tag| {
                let value = object.element(tag).ok()?.to_str().ok()?;
                let value = value.trim_end_matches(['\0', ' ']);
                (!value.is_empty()).then(|| value.to_string())
            };
            (text(tags::STUDY_INSTANCE_UID), text(tags::PATIENT_ID))
        }
        Some("json") => {
            let Some(json) = fs::read(path)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            else {
                return (None, None);
            };
            let text = |key: &str| json[key]["Value"][0].as_str().map(str::to_string);
            (text("0020000D"), text("00100020"))
        }
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_json_files_and_skips_listed_hidden_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let json = r#"{"0020000D":{"vr":"UI","Value":["1.2.3"]},
                       "00100020":{"vr":"LO","Value":["P7"]}}"#;
        fs::write(dir.path().join("rsp0001.json"), json).unwrap();
        fs::write(dir.path().join("rsp0002.json"), "{}").unwrap();
        fs::write(dir.path().join("rsp0003.json"), json).unwrap();
        fs::write(dir.path().join(".dcm-lay.x.1.tmp"), "").unwrap();
        let found = unlisted(dir.path(), |n| n == "rsp0003.json");
        assert_eq!(
            found,
            [
                Unlisted {
                    name: "rsp0001.json".into(),
                    uid: Some("1.2.3".into()),
                    patient: Some("P7".into()),
                },
                Unlisted {
                    name: "rsp0002.json".into(),
                    uid: None,
                    patient: None,
                },
            ]
        );
        assert!(unlisted(&dir.path().join("none"), |_| false).is_empty());
    }
}
