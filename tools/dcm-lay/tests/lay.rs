//! Whole runs of dcm-lay through `run`, on a temp dir per test.

use std::fs;
use std::path::Path;

use dcm_core::Exit;
use dcm_lay::config::{Config, Input};
use dcm_lay::run::run;
use dcm_lay::template::Template;

fn record(position: u64, id: &str, uid: &str, name: &str) -> String {
    let dataset = serde_json::json!({
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": name}]},
        "0020000D": {"vr": "UI", "Value": [uid]},
    });
    let line = serde_json::json!({
        "position": position, "id": id, "key": "PatientID", "dataset": dataset,
    });
    line.to_string()
}

fn lay(root: &Path, layout: &str, overwrite: bool, input: &str) -> (Exit, String) {
    let config = Config {
        root: root.to_path_buf(),
        template: Template::from_layout(layout).unwrap(),
        input: Input::Stdin,
        overwrite,
        failed: None,
        verbosity: -1,
    };
    let mut failed = Vec::new();
    let exit = run(&config, &mut input.as_bytes(), &mut failed);
    (exit, String::from_utf8(failed).unwrap())
}

fn listing(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn seed_tree_dedups_studies_and_lists_failed_lines_verbatim() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = r#"{"position":2,"id":"X","#;
    let input = [
        record(0, "A", "1.1", "Dvořák^Antonín"),
        record(0, "A", "1.2", "Dvořák^Antonín"),
        record(0, "A", "1.1", "Dvořák^Antonín"),
        record(1, "B", "2.1", "Smith"),
        bad.to_string(),
    ]
    .join("\n");
    let (exit, failed) = lay(tmp.path(), "seed", false, &input);
    assert_eq!(exit, Exit::SomeFailed);
    assert_eq!(failed, format!("{bad}\n"));
    let want = [
        "0",
        "0/rsp0001.dcm",
        "0/rsp0002.dcm",
        "1",
        "1/rsp0001.dcm",
        "manifest.csv",
    ];
    assert_eq!(listing(tmp.path()), want);
}

#[test]
fn full_run_and_subset_rerun_give_identical_trees() {
    let full = tempfile::tempdir().unwrap();
    let partial = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..4)
        .flat_map(|p| (0..2).map(move |s| record(p, &format!("P{p}"), &format!("{p}.{s}"), "N")))
        .collect();
    assert_eq!(
        lay(full.path(), "seed", false, &lines.join("\n")).0,
        Exit::Ok
    );
    let first: Vec<_> = lines
        .iter()
        .filter(|l| !l.contains("\"P2\""))
        .cloned()
        .collect();
    let rest: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("\"P2\""))
        .cloned()
        .collect();
    assert_eq!(
        lay(partial.path(), "seed", false, &first.join("\n")).0,
        Exit::Ok
    );
    assert_eq!(
        lay(partial.path(), "seed", false, &rest.join("\n")).0,
        Exit::Ok
    );
    assert_eq!(listing(full.path()), listing(partial.path()));
    for name in listing(full.path()).iter().filter(|n| n.contains('.')) {
        let a = fs::read(full.path().join(name)).unwrap();
        assert_eq!(a, fs::read(partial.path().join(name)).unwrap(), "{name}");
    }
}

#[test]
fn different_content_is_an_error_unless_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(
        lay(tmp.path(), "seed", false, &record(0, "A", "1", "Old")).0,
        Exit::Ok
    );
    let (exit, failed) = lay(tmp.path(), "seed", false, &record(0, "A", "1", "New"));
    assert_eq!((exit, failed.is_empty()), (Exit::SomeFailed, false));
    assert_eq!(
        lay(tmp.path(), "seed", true, &record(0, "A", "1", "New")).0,
        Exit::Ok
    );
}

#[test]
fn hostile_ids_never_leave_root() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    let ids = [
        "../../etc",
        "/abs",
        "..",
        ".",
        "-rf",
        "a\u{0}b",
        "a\nb",
        "CON",
        "name.",
    ];
    let long = "x".repeat(300);
    let ids = ids.iter().copied().chain([long.as_str()]);
    let input: Vec<String> = ids
        .enumerate()
        .map(|(i, id)| record(i as u64, id, "1", "N"))
        .collect();
    let (exit, _) = lay(&root, "default", false, &input.join("\n"));
    assert_eq!(exit, Exit::Ok);
    assert_eq!(
        listing(outer.path())
            .iter()
            .filter(|p| !p.starts_with("root"))
            .count(),
        0
    );
    assert_eq!(listing(&root).len(), 1 + 2 * input.len());
}
