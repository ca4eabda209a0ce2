//! The oracle of the end-to-end tests: what DCMTK's `findscu` answers for a
//! query, read back through `dcm2json`, and the helpers that compare it with
//! our records (one place, so pipeline.rs and find.rs judge alike).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::files_below;

/// The return keys of the old job and of design.md section 4.
pub const KEYS: [(&str, &str); 13] = [
    ("00100020", "PatientID"),
    ("00100010", "PatientName"),
    ("0020000D", "StudyInstanceUID"),
    ("00201206", "NumberOfStudyRelatedSeries"),
    ("00201208", "NumberOfStudyRelatedInstances"),
    ("00081030", "StudyDescription"),
    ("00080080", "InstitutionName"),
    ("00080090", "ReferringPhysicianName"),
    ("00080020", "StudyDate"),
    ("00080030", "StudyTime"),
    ("00080061", "ModalitiesInStudy"),
    ("00080050", "AccessionNumber"),
    ("00200010", "StudyID"),
];

/// Values of one attribute of a DICOM JSON data set as text, whatever JSON
/// type the writer chose (dcm2json writes IS as numbers).
pub fn texts(dataset: &Value, key: &str) -> Vec<String> {
    let Some(values) = dataset
        .get(key)
        .and_then(|e| e.get("Value"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    values
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Object(pn) => pn["Alphabetic"].as_str().unwrap_or_default().to_string(),
            other => other.to_string(),
        })
        .collect()
}

/// A DICOM file as DCMTK's dcm2json reads it.
pub fn dcm2json(file: &Path) -> Value {
    let out = Command::new("/usr/bin/dcm2json")
        .arg(file)
        .output()
        .expect("running dcm2json");
    assert!(
        out.status.success(),
        "dcm2json {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("dcm2json writes JSON")
}

/// One STUDY-level query for findscu: the model flag (`-S` Study Root,
/// `-P` Patient Root) and the matching key with its value.
pub struct StudyQuery<'a> {
    pub model: &'a str,
    pub key: &'a str,
    pub value: &'a str,
}

/// What DCMTK's findscu answers for one patient (Study Root, PatientID):
/// StudyInstanceUID -> data set.
pub fn findscu_studies(pacs: &str, id: &str, dir: &Path) -> BTreeMap<String, Value> {
    let query = StudyQuery {
        model: "-S",
        key: "PatientID",
        value: id,
    };
    findscu(pacs, &query, dir)
}

/// What DCMTK's findscu answers for `query`, asking for [`KEYS`]:
/// StudyInstanceUID -> data set. `/usr/bin/findscu` by full path, since
/// pynetdicom installs a findscu of its own (design.md section 8).
pub fn findscu(pacs: &str, query: &StudyQuery, dir: &Path) -> BTreeMap<String, Value> {
    let (ae, rest) = pacs.split_once('@').unwrap();
    let (host, port) = rest.rsplit_once(':').unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let mut cmd = Command::new("/usr/bin/findscu");
    cmd.args([query.model, "-X", "-od"]).arg(dir);
    cmd.args(["-aet", "ORACLE", "-aec", ae, host, port]);
    cmd.args([
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        "SpecificCharacterSet=ISO_IR 192",
    ]);
    let matching = format!("{}={}", query.key, query.value);
    cmd.args(["-k", &matching]);
    for (_, name) in KEYS.iter().filter(|(_, name)| *name != query.key) {
        cmd.args(["-k", name]);
    }
    let out = cmd.output().expect("running /usr/bin/findscu");
    assert!(
        out.status.success(),
        "findscu: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    files_below(dir)
        .iter()
        .map(|f| dcm2json(f))
        .map(|ds| (texts(&ds, "0020000D").concat(), ds))
        .collect()
}
