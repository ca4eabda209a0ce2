//! The whole job against a real Orthanc: `dcm-ids | dcm-find | dcm-lay`,
//! checked against what DCMTK's `findscu` answers for every patient and what
//! DCMTK's `dcm2json` reads back from every file the pipeline wrote.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::oracle::{dcm2json, findscu_studies, texts, KEYS};
use common::{files_below, run_tool, scratch, test_env};
use dcm_core::Record;
use serde_json::Value;

/// Runs the three stages as the pipeline script does, each on the output of
/// the one before; returns the records and the tree's root.
fn run_pipeline(root: &Path) -> Vec<Record> {
    let input = test_env("DCM_TEST_INPUT");
    let pacs = test_env("DCM_TEST_ORTHANC");
    let ids = run_tool("dcm-ids", [&input], b"").expect_code(0);
    let found = run_tool("dcm-find", [&pacs], &ids.stdout).expect_code(0);
    run_tool(
        "dcm-lay",
        ["--layout".as_ref(), "seed".as_ref(), root.as_os_str()],
        &found.stdout,
    )
    .expect_code(0);
    let records: Vec<Record> = found
        .lines()
        .iter()
        .map(|l| Record::from_line(l).expect("a record line"))
        .collect();
    assert!(!records.is_empty());
    records
}

#[test]
fn pipeline_matches_findscu_for_every_patient_and_dcm2json_for_every_file() {
    let work = scratch();
    let root = work.path().join("tree");
    let records = run_pipeline(&root);
    let pacs = test_env("DCM_TEST_ORTHANC");

    let mut by_id: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for r in &records {
        let uid = r
            .first_str(dicom_tag(0x0020, 0x000D))
            .expect("a StudyInstanceUID");
        let ds = Value::Object(r.dataset.clone());
        let previous = by_id
            .entry(r.id.clone())
            .or_default()
            .insert(uid.clone(), ds);
        assert!(previous.is_none(), "study {uid} twice for {}", r.id);
    }
    let truth_ids = truth_patient_ids();
    assert_eq!(by_id.keys().cloned().collect::<BTreeSet<_>>(), truth_ids);

    for (n, (id, ours)) in by_id.iter().enumerate() {
        let theirs = findscu_studies(&pacs, id, &work.path().join(format!("oracle/{n}")));
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "studies of {id}"
        );
        for (uid, ds) in ours {
            for (key, name) in KEYS {
                assert_eq!(
                    texts(ds, key),
                    texts(&theirs[uid], key),
                    "{name} of {id}/{uid}"
                );
            }
        }
    }

    // A name outside Latin-1 survives from the stored file to the record.
    let names: BTreeSet<String> = records
        .iter()
        .filter_map(|r| r.first_str(dicom_tag(0x0010, 0x0010)))
        .collect();
    assert!(names.contains("Dvořák^Antonín"), "{names:?}");

    // Every file dcm-lay wrote reads back through dcm2json as its record.
    let mut by_place: BTreeMap<(u64, String), &Record> = BTreeMap::new();
    for r in &records {
        by_place.insert(
            (r.position, r.first_str(dicom_tag(0x0020, 0x000D)).unwrap()),
            r,
        );
    }
    let files: Vec<_> = files_below(&root)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "dcm"))
        .collect();
    assert_eq!(files.len(), records.len(), "one file per record");
    for file in files {
        let folder = file
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let position: u64 = folder.parse().expect("seed folders are positions");
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("rsp") && name.len() == "rsp0001.dcm".len(),
            "{name}"
        );
        let back = dcm2json(&file);
        let uid = texts(&back, "0020000D").concat();
        let record = by_place[&(position, uid)];
        let ds = Value::Object(record.dataset.clone());
        for key in record.dataset.keys().filter(|k| *k != "00080005") {
            assert_eq!(
                texts(&back, key),
                texts(&ds, key),
                "{key} in {}",
                file.display()
            );
        }
    }
}

#[test]
fn refused_ids_make_no_query_and_a_message() {
    let pacs = test_env("DCM_TEST_ORTHANC");
    let input = b"PAT000001\n\n*\nPAT*\n  \nA\\B\nPAT?\n";
    let out = run_tool("dcm-find", [&pacs], input).expect_code(1);
    let records: Vec<Record> = out
        .lines()
        .iter()
        .map(|l| Record::from_line(l).unwrap())
        .collect();
    assert!(!records.is_empty(), "{out}");
    assert!(
        records
            .iter()
            .all(|r| r.position == 0 && r.id == "PAT000001"),
        "{out}"
    );
    let refused = out.stderr.lines().filter(|l| l.contains("refused")).count();
    assert_eq!(refused, 6, "{out}");
    // An empty line has no ID to show: it is named by its 0-based position.
    assert!(
        out.stderr
            .contains("dcm-find: position 1 (empty): empty ID refused"),
        "{out}"
    );
}

fn truth_patient_ids() -> BTreeSet<String> {
    let truth = Path::new(&test_env("DCM_TEST_ARCHIVE")).join("truth.csv");
    let mut reader = csv::Reader::from_path(truth).unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect()
}

fn dicom_tag(group: u16, element: u16) -> dicom_core::Tag {
    dicom_core::Tag(group, element)
}
