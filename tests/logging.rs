//! `--log-format json`: every stderr line of a run is one JSON object, the
//! failed inputs and the summary included, so a cron job can ship its log to
//! a collector; and `-q` still drops the summary.

mod common;

use common::{run, run_tool, scratch, test_env, tool};
use serde_json::Value;

/// Each stderr line parsed, panicking with the output if one is not JSON.
fn json_lines(out: &common::Output) -> Vec<Value> {
    out.stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{out}")))
        .collect()
}

fn of_kind<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["kind"] == kind).collect()
}

#[test]
fn dcm_ids_failures_and_summary_are_json() {
    let dir = scratch();
    std::fs::write(dir.path().join("notes.txt"), "not DICOM").unwrap();
    let missing = dir.path().join("missing");
    let args = [dir.path().as_os_str(), missing.as_os_str()];
    let mut all = vec!["--log-format".as_ref(), "json".as_ref()];
    all.extend(args);
    let out = run_tool("dcm-ids", &all, b"").expect_code(1);
    let lines = json_lines(&out);
    assert!(lines
        .iter()
        .all(|l| l["tool"] == "dcm-ids" && l["message"].is_string()));
    let failed = of_kind(&lines, "failed");
    assert_eq!(failed.len(), 1, "{out}");
    assert_eq!(failed[0]["level"], "error");
    assert_eq!(failed[0]["subject"], missing.display().to_string());
    assert!(lines.iter().any(|l| l["level"] == "warn"), "{out}");
    let summary = of_kind(&lines, "summary");
    assert_eq!(summary.len(), 1, "{out}");
    assert_eq!(summary[0]["counts"]["failed"], 1);
    assert_eq!(summary[0]["counts"]["with_nothing_to_give"], 1);

    // The same from the environment, and -q keeps only the failure.
    let env = [("DCM_LOG_FORMAT", "json")];
    let mut quiet = vec!["-q".as_ref()];
    quiet.extend(args);
    let out = run(&tool("dcm-ids"), &quiet, b"", &env).expect_code(1);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0]["kind"], "failed");
}

#[test]
fn text_format_is_unchanged() {
    let dir = scratch();
    let missing = dir.path().join("missing");
    let out = run_tool("dcm-ids", [&missing], b"").expect_code(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines[0],
        format!("dcm-ids: {}: no such file or folder", missing.display())
    );
    assert_eq!(
        lines[1],
        "dcm-ids: 1 files, 0 unique IDs, 0 with nothing to give, 1 failed"
    );
}

#[test]
fn dcm_find_refused_ids_and_summary_are_json() {
    let pacs = test_env("DCM_TEST_ORTHANC");
    let out = run_tool("dcm-find", ["--log-format", "json", &pacs], b"*\n\n").expect_code(1);
    assert!(out.stdout.is_empty(), "{out}");
    let lines = json_lines(&out);
    let failed = of_kind(&lines, "failed");
    assert_eq!(failed.len(), 2, "{out}");
    assert_eq!(failed[0]["subject"], "*");
    assert!(
        failed[0]["reason"].as_str().unwrap().contains("wildcard"),
        "{out}"
    );
    let summary = of_kind(&lines, "summary");
    assert_eq!(summary[0]["counts"]["failed"], 2, "{out}");
    assert_eq!(summary[0]["counts"]["queries"], 0, "{out}");
}

#[test]
fn dcm_find_usage_errors_after_parsing_are_json() {
    let out = run_tool(
        "dcm-find",
        ["--log-format", "json", "--timeout", "0", "A@127.0.0.1:1"],
        b"",
    )
    .expect_code(2);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0]["kind"], "error");
    assert!(lines[0]["message"].as_str().unwrap().contains("--timeout"));
}

#[test]
fn dcm_lay_failed_lines_and_summary_are_json() {
    let dir = scratch();
    let root = dir.path().join("tree");
    let out = run_tool(
        "dcm-lay",
        ["--log-format".as_ref(), "json".as_ref(), root.as_os_str()],
        b"{not a record\n",
    )
    .expect_code(1);
    let lines = json_lines(&out);
    let failed = of_kind(&lines, "failed");
    assert_eq!(failed.len(), 1, "{out}");
    assert_eq!(failed[0]["tool"], "dcm-lay");
    assert_eq!(failed[0]["subject"], "line 1");
    let summary = of_kind(&lines, "summary");
    assert_eq!(summary.len(), 1, "{out}");
    assert_eq!(summary[0]["counts"]["failed"], 1, "{out}");
}
