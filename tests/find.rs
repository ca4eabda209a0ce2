//! dcm-find against the two real PACS that `scripts/with-pacs.sh` starts
//! (Orthanc and DCMTK dcmqrscp, one 40-patient fixture), checked against
//! DCMTK's findscu and the fixture's truth.csv: the answers themselves, and
//! that parallelism, reruns of a subset, --failed lists, the Patient Root
//! model, other matching keys and wildcards keep the records as they are.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::oracle::{findscu, texts, StudyQuery, KEYS};
use common::{run_tool, scratch, test_env, Output};
use dcm_core::Record;
use serde_json::Value;

const STUDY_UID: dicom_core::Tag = dicom_core::Tag(0x0020, 0x000D);
const PATIENT_ID: dicom_core::Tag = dicom_core::Tag(0x0010, 0x0020);

/// (PatientID, StudyInstanceUID) of every study of the fixture.
fn truth() -> Vec<(String, String)> {
    let path = Path::new(&test_env("DCM_TEST_ARCHIVE")).join("truth.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[2].to_string())
        })
        .collect()
}

/// The fixture's patient IDs, once each, in the order of truth.csv.
fn patient_ids() -> Vec<String> {
    let mut seen = BTreeSet::new();
    truth()
        .into_iter()
        .map(|(pid, _)| pid)
        .filter(|pid| seen.insert(pid.clone()))
        .collect()
}

fn lines(ids: &[String]) -> Vec<u8> {
    ids.iter()
        .flat_map(|id| format!("{id}\n").into_bytes())
        .collect()
}

fn numbered(ids: &[(usize, &String)]) -> Vec<u8> {
    ids.iter()
        .flat_map(|(n, id)| format!("{n}\t{id}\n").into_bytes())
        .collect()
}

fn dcm_find(args: &[&str], stdin: &[u8]) -> Output {
    run_tool("dcm-find", args, stdin)
}

fn records(out: &Output) -> Vec<Record> {
    out.lines()
        .iter()
        .map(|l| Record::from_line(l).unwrap_or_else(|e| panic!("{e}: {l}\n{out}")))
        .collect()
}

/// Records grouped by asked ID, then StudyInstanceUID, as DICOM JSON.
fn by_id(records: &[Record]) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut out: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for r in records {
        let uid = r.first_str(STUDY_UID).expect("a StudyInstanceUID");
        let previous = out
            .entry(r.id.clone())
            .or_default()
            .insert(uid.clone(), Value::Object(r.dataset.clone()));
        assert!(previous.is_none(), "study {uid} twice for {}", r.id);
    }
    out
}

/// Compares our records of every ID with what findscu gets for it.
fn assert_same_as_findscu(pacs: &str, model: &str, ours: &[Record], work: &Path) {
    let grouped = by_id(ours);
    assert_eq!(
        grouped.keys().cloned().collect::<BTreeSet<_>>(),
        patient_ids().into_iter().collect::<BTreeSet<_>>()
    );
    for (n, (id, studies)) in grouped.iter().enumerate() {
        let query = StudyQuery {
            model,
            key: "PatientID",
            value: id,
        };
        let theirs = findscu(pacs, &query, &work.join(format!("oracle/{n}")));
        assert_eq!(
            studies.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "studies of {id}"
        );
        for (uid, ds) in studies {
            for (key, name) in KEYS {
                assert_eq!(
                    texts(ds, key),
                    texts(&theirs[uid], key),
                    "{name} of {id}/{uid}"
                );
            }
        }
    }
}

#[test]
fn dcmqrscp_answers_as_findscu_gets_them() {
    let pacs = test_env("DCM_TEST_DCMQRSCP");
    let work = scratch();
    let out = dcm_find(&[&pacs, "--jobs", "2"], &lines(&patient_ids())).expect_code(0);
    let ours = records(&out);
    assert_eq!(ours.len(), truth().len(), "one record per study");
    assert_same_as_findscu(&pacs, "-S", &ours, work.path());
    // dcmqrscp keeps no such keys at STUDY level (design.md section 8):
    // they come back empty, for findscu as for us.
    for r in &ours {
        for key in ["00080080", "00080061", "00201206", "00201208"] {
            let ds = Value::Object(r.dataset.clone());
            assert!(texts(&ds, key).concat().is_empty(), "{key} of {}", r.id);
        }
    }
}

#[test]
fn parallel_jobs_give_byte_identical_output() {
    let pacs = test_env("DCM_TEST_ORTHANC");
    let input = lines(&patient_ids());
    let one = dcm_find(&[&pacs, "--jobs", "1"], &input).expect_code(0);
    let four = dcm_find(&[&pacs, "--jobs", "4"], &input).expect_code(0);
    assert!(!one.stdout.is_empty());
    assert!(
        one.stdout == four.stdout,
        "--jobs 1 and 4 differ\n{one}\n{four}"
    );
    assert_eq!(records(&one).len(), truth().len());
    assert!(one.stderr.contains("0 failed"), "{one}");
}

#[test]
fn numbered_rerun_of_a_subset_gives_the_full_runs_records() {
    let pacs = test_env("DCM_TEST_ORTHANC");
    let ids = patient_ids();
    let all: Vec<(usize, &String)> = ids.iter().enumerate().collect();
    let full = dcm_find(&[&pacs, "--numbered"], &numbered(&all)).expect_code(0);
    let subset: Vec<(usize, &String)> = all.iter().copied().filter(|(n, _)| n % 3 == 1).collect();
    let part = dcm_find(&[&pacs, "--numbered"], &numbered(&subset)).expect_code(0);
    let wanted: BTreeSet<usize> = subset.iter().map(|(n, _)| *n).collect();
    let expected: Vec<String> = full
        .lines()
        .into_iter()
        .filter(|l| wanted.contains(&(Record::from_line(l).unwrap().position as usize)))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(part.lines(), expected);
}

#[test]
fn failed_list_reruns_to_the_full_result() {
    let pacs = test_env("DCM_TEST_ORTHANC");
    let work = scratch();
    let ids = patient_ids();
    let mut input = numbered(&ids.iter().enumerate().take(12).collect::<Vec<_>>());
    input.extend_from_slice(b"12\t\n13\tPAT*\n");
    let reference = dcm_find(&[&pacs, "--numbered"], &input).expect_code(1);

    // The PACS is down: every input is listed, verbatim, and the run stops.
    let down = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "ORTHANC@127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        )
    };
    let first = work.path().join("failed-1.txt");
    let first_arg = first.to_str().unwrap();
    let args = [&down, "--numbered", "--retries", "0", "--failed", first_arg];
    dcm_find(&args, &input).expect_code(2);
    assert_eq!(std::fs::read(&first).unwrap(), input);

    // Rerun from the list once the PACS is back: the same records as a run
    // that never failed; only the refused lines are left.
    let second = work.path().join("failed-2.txt");
    let rerun_input = std::fs::read(&first).unwrap();
    let args = [&pacs, "--numbered", "--failed", second.to_str().unwrap()];
    let rerun = dcm_find(&args, &rerun_input).expect_code(1);
    assert!(rerun.stdout == reference.stdout, "{rerun}\n{reference}");
    assert_eq!(std::fs::read(&second).unwrap(), b"12\t\n13\tPAT*\n");
    assert!(rerun.stderr.contains("2 failed"), "{rerun}");
}

#[test]
fn patient_root_model_gives_the_study_root_records() {
    let pacs = test_env("DCM_TEST_ORTHANC");
    let work = scratch();
    let input = lines(&patient_ids());
    let study = dcm_find(&[&pacs], &input).expect_code(0);
    let patient = dcm_find(&[&pacs, "--model", "patient"], &input).expect_code(0);
    assert!(study.stdout == patient.stdout, "{study}\n{patient}");
    assert_same_as_findscu(&pacs, "-P", &records(&patient), work.path());
}

#[test]
fn match_on_study_instance_uid_finds_each_study_once() {
    let pacs = test_env("DCM_TEST_ORTHANC");
    let truth = truth();
    let uids: Vec<String> = truth.iter().map(|(_, uid)| uid.clone()).collect();
    let args = [&pacs, "--match", "StudyInstanceUID", "-k", "PatientID"];
    let out = dcm_find(&args, &lines(&uids)).expect_code(0);
    let found = records(&out);
    assert_eq!(found.len(), uids.len(), "{out}");
    for (r, (pid, uid)) in found.iter().zip(&truth) {
        assert_eq!(r.key, "StudyInstanceUID");
        assert_eq!(&r.id, uid);
        assert_eq!(r.first_str(STUDY_UID).as_ref(), Some(uid));
        assert_eq!(r.first_str(PATIENT_ID).as_ref(), Some(pid));
    }
}

#[test]
fn wildcards_match_as_the_pacs_does_when_allowed() {
    let pacs = test_env("DCM_TEST_ORTHANC");
    dcm_find(&[&pacs], b"PAT00001?\n").expect_code(1);
    let out = dcm_find(&[&pacs, "--allow-wildcards"], b"PAT00001?\n").expect_code(0);
    let found = records(&out);
    let expected: BTreeSet<String> = truth()
        .into_iter()
        .filter(|(pid, _)| pid.len() == 9 && pid.starts_with("PAT00001"))
        .map(|(_, uid)| uid)
        .collect();
    let got: BTreeSet<String> = found
        .iter()
        .filter_map(|r| r.first_str(STUDY_UID))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
    assert!(found.iter().all(|r| r.id == "PAT00001?"));
}

#[test]
fn csv_and_flat_views_carry_the_records_values() {
    let pacs = test_env("DCM_TEST_ORTHANC");
    let input = lines(&patient_ids());
    let jsonl = records(&dcm_find(&[&pacs], &input).expect_code(0));
    let flat = dcm_find(&[&pacs, "--flat"], &input).expect_code(0);
    let csv_out = dcm_find(&[&pacs, "--format", "csv"], &input).expect_code(0);
    let mut reader = csv::Reader::from_reader(csv_out.stdout.as_slice());
    let header = reader.headers().unwrap().clone();
    let uid_col = header.iter().position(|h| h == "StudyInstanceUID").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), jsonl.len());
    for ((r, row), line) in jsonl.iter().zip(&rows).zip(flat.lines()) {
        let uid = r.first_str(STUDY_UID).unwrap();
        assert_eq!(row[uid_col], uid);
        assert_eq!(row[0], r.position.to_string());
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["StudyInstanceUID"], uid.as_str());
        assert_eq!(
            v["PatientName"],
            r.first_str(dicom_core::Tag(0x0010, 0x0010)).unwrap()
        );
    }
}
