//! Trees from single runs: the seed layout, conflicts, hostile IDs.

use dcm_core::Exit;

use crate::common::{lay, listing, record};

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
