//! dcm-ids end to end: against DCMTK's own reading of the files (`dcmdump`),
//! on the `findscu -X` folder that `scripts/with-pacs.sh` writes, and on
//! files in the encodings that DCMTK's `dump2dcm` writes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{files_below, run_tool, scratch, test_env};

/// PatientID of one file as DCMTK reads it, if it has one.
fn dcmdump_patient_id(file: &Path) -> Option<String> {
    let out = Command::new("/usr/bin/dcmdump")
        .args(["+U8", "+P", "PatientID", "-q"])
        .arg(file)
        .output()
        .expect("running /usr/bin/dcmdump (apt-get install dcmtk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?;
    let value = &line[line.find('[')? + 1..line.rfind(']')?];
    let value = value.trim_end();
    (!value.is_empty()).then(|| value.to_string())
}

fn first_seen_unique(values: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

#[test]
fn findscu_responses_give_the_ids_dcmdump_reads_in_walk_order() {
    let input = PathBuf::from(test_env("DCM_TEST_INPUT"));
    let files = files_below(&input);
    assert!(files.len() > 20, "the fixture input should hold many files");
    let expected = first_seen_unique(files.iter().filter_map(|f| dcmdump_patient_id(f)));
    let out = run_tool("dcm-ids", [&input], b"").expect_code(0);
    assert_eq!(out.lines(), expected, "{out}");
    assert!(
        out.stderr.contains(&format!("{} files", files.len())),
        "{out}"
    );
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let input = test_env("DCM_TEST_INPUT");
    let one = run_tool("dcm-ids", ["-j", "1", &input], b"").expect_code(0);
    let two = run_tool("dcm-ids", ["-j", "2", &input], b"").expect_code(0);
    let many = run_tool("dcm-ids", ["-j", "7", "--numbered", &input], b"").expect_code(0);
    assert_eq!(one.stdout, two.stdout);
    let numbered: Vec<String> = one
        .lines()
        .iter()
        .enumerate()
        .map(|(i, id)| format!("{i}\t{id}"))
        .collect();
    assert_eq!(many.lines(), numbered);
}

/// Writes a DICOM file with DCMTK's dump2dcm from a dump text and flags.
fn dump2dcm(dir: &Path, name: &str, dump: &[u8], flags: &[&str]) -> PathBuf {
    let dump_path = dir.join(format!("{name}.txt"));
    std::fs::write(&dump_path, dump).unwrap();
    let file = dir.join(name);
    let status = Command::new("/usr/bin/dump2dcm")
        .args(flags)
        .arg(&dump_path)
        .arg(&file)
        .status()
        .expect("running /usr/bin/dump2dcm");
    assert!(status.success(), "dump2dcm {flags:?} failed");
    std::fs::remove_file(dump_path).unwrap();
    file
}

/// Latin-1 bytes as they stand in the file (dump2dcm copies them as they are).
const LATIN1_DUMP: &[u8] = b"(0008,0005) CS [ISO_IR 100]\n\
    (0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n\
    (0008,0018) UI [1.2.3.4]\n\
    (0010,0010) PN [M\xfcller^\xc5se]\n\
    (0010,0020) LO [M\xfcLLER-1]\n";

#[test]
fn every_dcmtk_encoding_gives_the_same_decoded_id() {
    let dir = scratch();
    let cases: [(&str, &[&str]); 5] = [
        ("explicit-le.dcm", &[]),
        ("big-endian.dcm", &["+tb"]),
        ("deflated.dcm", &["+td"]),
        ("implicit-no-meta.dcm", &["-F", "+ti"]),
        ("explicit-no-meta.dcm", &["-F", "+te"]),
    ];
    for (name, flags) in cases {
        let file = dump2dcm(dir.path(), name, LATIN1_DUMP, flags);
        let out = run_tool("dcm-ids", [&file], b"").expect_code(0);
        assert_eq!(out.lines(), ["MüLLER-1"], "{name}\n{out}");
    }
}

#[test]
fn files_without_an_id_are_counted_and_damaged_ones_fail() {
    let scratch = scratch();
    let dir = scratch.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    let good = dump2dcm(&dir, "good.dcm", LATIN1_DUMP, &[]);
    std::fs::write(dir.join("notes.txt"), "PatientID: 123\n").unwrap();
    std::fs::write(dir.join("empty"), "").unwrap();
    let no_id = b"(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [1.2.3.5]\n";
    dump2dcm(&dir, "no-id.dcm", no_id, &[]);
    let bytes = std::fs::read(&good).unwrap();
    let cut = bytes.len() - 4; // inside the PatientID value
    std::fs::write(dir.join("truncated.dcm"), &bytes[..cut]).unwrap();
    let failed = scratch.path().join("failed.txt");
    let report = scratch.path().join("report.csv");
    let args = [dir.as_os_str(), "--failed".as_ref(), failed.as_os_str()];
    let args = args
        .into_iter()
        .chain(["--report".as_ref(), report.as_os_str()]);
    let out = run_tool("dcm-ids", args, b"").expect_code(1);
    assert_eq!(out.lines(), ["MüLLER-1"], "{out}");
    assert!(
        out.stderr
            .contains("truncated.dcm: file ends before PatientID"),
        "{out}"
    );
    let summary = "5 files, 1 unique IDs, 3 with nothing to give, 1 failed";
    assert!(out.stderr.contains(summary), "{out}");
    let failed_list = std::fs::read_to_string(&failed).unwrap();
    assert_eq!(
        failed_list.trim_end(),
        dir.join("truncated.dcm").to_str().unwrap()
    );
    let rows = std::fs::read_to_string(&report).unwrap();
    assert_eq!(rows.lines().count(), 1 + 4, "{rows}");
    // The failed list is a path list that dcm-ids reads back.
    let again = run_tool(
        "dcm-ids",
        ["--files-from".as_ref(), failed.as_os_str()],
        b"",
    );
    assert_eq!(again.expect_code(1).lines(), Vec::<String>::new());
}

#[test]
fn missing_input_is_a_failed_input_and_no_input_is_a_usage_error() {
    let out = run_tool("dcm-ids", ["/no/such/folder"], b"").expect_code(1);
    assert!(
        out.stderr
            .contains("dcm-ids: /no/such/folder: no such file or folder"),
        "{out}"
    );
    run_tool("dcm-ids", Vec::<&str>::new(), b"").expect_code(2);
}
