//! The `seed` layout against the old job (issue 5): for the same input folder
//! and the same Orthanc, `dcm-ids | dcm-find | dcm-lay --layout seed` and
//! `scripts/old-job.sh` give the same folders, the same studies in each, and
//! the same values as DCMTK's `dcm2json` reads them, once the old tree's
//! `--repeat 2` duplicates are set aside.
//!
//! Studies are matched by StudyInstanceUID, not by file name: the old job
//! numbers files in the PACS's answer order, the seed layout in
//! StudyInstanceUID order (design.md section 2), so `rsp0001.dcm` may hold
//! different studies in the two trees.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use common::{files_below, run, run_tool, scratch, test_env};

/// The attributes the old job asks for (scripts/old-job.sh), which dcm-find
/// returns by default too.
const OLD_JOB_KEYS: [&str; 11] = [
    "00100020", // PatientID
    "00100010", // PatientName
    "0020000D", // StudyInstanceUID
    "00201206", // NumberOfStudyRelatedSeries
    "00201208", // NumberOfStudyRelatedInstances
    "00081030", // StudyDescription
    "00080080", // InstitutionName
    "00080090", // ReferringPhysicianName
    "00080020", // StudyDate
    "00080030", // StudyTime
    "00080061", // ModalitiesInStudy
];

/// A file's data set as `dcm2json` prints it.
fn dcm2json(file: &Path) -> Map<String, Value> {
    let out = Command::new("/usr/bin/dcm2json")
        .arg(file)
        .output()
        .expect("running /usr/bin/dcm2json (apt-get install dcmtk)");
    assert!(out.status.success(), "dcm2json {}: {out:?}", file.display());
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("dcm2json {}: not JSON: {e}", file.display()))
}

fn study_uid(dataset: &Map<String, Value>) -> String {
    let value = &dataset["0020000D"]["Value"][0];
    value.as_str().expect("StudyInstanceUID").to_string()
}

/// Folder name -> StudyInstanceUID -> every data set of that study in it.
type Tree = BTreeMap<String, BTreeMap<String, Vec<Map<String, Value>>>>;

fn read_tree(root: &Path) -> Tree {
    let mut tree = Tree::new();
    for file in files_below(root) {
        let relative = file.strip_prefix(root).unwrap();
        if relative == Path::new("manifest.csv") {
            continue;
        }
        let folder = relative.parent().unwrap().display().to_string();
        let dataset = dcm2json(&file);
        let studies = tree.entry(folder).or_default();
        studies
            .entry(study_uid(&dataset))
            .or_default()
            .push(dataset);
    }
    tree
}

/// The old job's keys of one data set (absent and empty both as `null`).
fn old_job_values(dataset: &Map<String, Value>) -> Vec<(String, Value)> {
    let value = |k: &str| dataset.get(k).and_then(|e| e.get("Value")).cloned();
    OLD_JOB_KEYS
        .iter()
        .map(|k| (k.to_string(), value(k).unwrap_or(Value::Null)))
        .collect()
}

fn old_tree(input: &str, pacs: &str, out: &Path) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/old-job.sh");
    let env = [("DCM_PACS", pacs), ("TCP_NODELAY", "1")];
    let args = [input, out.to_str().unwrap()];
    run(&script, args, b"", &env).expect_code(0);
}

fn seed_tree(input: &str, pacs: &str, out: &Path) {
    let ids = run_tool("dcm-ids", ["--numbered", input], b"").expect_code(0);
    let records = run_tool("dcm-find", ["--numbered", pacs], &ids.stdout).expect_code(0);
    let root = out.to_str().unwrap();
    let lay = run_tool("dcm-lay", ["--layout", "seed", root], &records.stdout).expect_code(0);
    assert!(lay.stderr.contains("dcm-lay: "), "{lay}");
}

#[test]
fn seed_tree_matches_the_old_jobs_tree_without_its_duplicates() {
    let input = test_env("DCM_TEST_INPUT");
    let pacs = test_env("DCM_TEST_ORTHANC");
    let work = scratch();
    let (old_root, new_root) = (work.path().join("old"), work.path().join("seed"));
    old_tree(&input, &pacs, &old_root);
    seed_tree(&input, &pacs, &new_root);
    let old = read_tree(&old_root);
    let new = read_tree(&new_root);

    assert!(
        new.len() > 20,
        "the fixture should give many patients: {new:?}"
    );
    let old_folders: Vec<&String> = old.keys().collect();
    assert_eq!(
        old_folders,
        new.keys().collect::<Vec<_>>(),
        "folders differ"
    );
    for (folder, old_studies) in &old {
        let new_studies = &new[folder];
        let uids = |s: &BTreeMap<String, _>| s.keys().cloned().collect::<Vec<_>>();
        assert_eq!(uids(old_studies), uids(new_studies), "studies in {folder}");
        for (uid, old_copies) in old_studies {
            // --repeat 2: each study twice in the old tree, the same both times.
            assert_eq!(old_copies.len(), 2, "{folder}: {uid} in the old tree");
            assert_eq!(
                old_copies[0], old_copies[1],
                "{folder}: {uid}: copies differ"
            );
            let new_copies = &new_studies[uid];
            assert_eq!(new_copies.len(), 1, "{folder}: {uid} in the seed tree");
            assert_eq!(
                old_job_values(&old_copies[0]),
                old_job_values(&new_copies[0]),
                "{folder}: {uid}: values differ"
            );
        }
    }
}
