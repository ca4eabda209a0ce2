//! Reruns on a tree that earlier runs wrote: stable `{n}` and `--prune`.

use std::fs;

use dcm_core::Exit;

use crate::common::{assert_same_tree, config, lay, lay_with, listing, record};

fn position0(uids: &[&str]) -> String {
    let lines: Vec<String> = uids.iter().map(|u| record(0, "A", u, "N")).collect();
    lines.join("\n")
}

#[test]
fn some_records_of_a_position_land_on_the_full_runs_names() {
    let full = tempfile::tempdir().unwrap();
    let reference = tempfile::tempdir().unwrap();
    assert_eq!(
        lay(full.path(), "seed", false, &position0(&["a", "b", "c"])).0,
        Exit::Ok
    );
    assert_eq!(
        lay(
            reference.path(),
            "seed",
            false,
            &position0(&["a", "b", "c"])
        )
        .0,
        Exit::Ok
    );
    // Only the third study: it is found under rsp0003, not written as rsp0001.
    let (exit, failed) = lay(full.path(), "seed", false, &position0(&["c"]));
    assert_eq!((exit, failed.as_str()), (Exit::Ok, ""));
    assert_same_tree(reference.path(), full.path());
    // A new study takes the next free number, and keeps it on the next rerun.
    assert_eq!(
        lay(full.path(), "seed", false, &position0(&["d", "b"])).0,
        Exit::Ok
    );
    assert_eq!(
        lay(full.path(), "seed", false, &position0(&["d"])).0,
        Exit::Ok
    );
    let names: Vec<String> = listing(full.path())
        .into_iter()
        .filter(|n| n.starts_with("0/"))
        .collect();
    assert_eq!(
        names,
        [
            "0/rsp0001.dcm",
            "0/rsp0002.dcm",
            "0/rsp0003.dcm",
            "0/rsp0004.dcm"
        ]
    );
    let manifest = fs::read_to_string(full.path().join("manifest.csv")).unwrap();
    assert!(manifest.contains("0/rsp0004.dcm,0,A,,d,"), "{manifest}");
}

#[test]
fn files_a_stopped_run_left_unlisted_keep_their_names() {
    let full = tempfile::tempdir().unwrap();
    let reference = tempfile::tempdir().unwrap();
    let all = position0(&["a", "b", "c"]);
    assert_eq!(lay(reference.path(), "seed", false, &all).0, Exit::Ok);
    // A run stopped by a full disk wrote two studies but neither its
    // manifest nor (the disk being full) its journal.
    assert_eq!(
        lay(full.path(), "seed", false, &position0(&["a", "b"])).0,
        Exit::Ok
    );
    fs::remove_file(full.path().join("manifest.csv")).unwrap();
    // Its failed list holds the third study only: it must not take rsp0001.
    let (exit, failed) = lay(full.path(), "seed", false, &position0(&["c"]));
    assert_eq!((exit, failed.as_str()), (Exit::Ok, ""));
    // The full rerun then meets every file it wrote, and lists them again.
    assert_eq!(lay(full.path(), "seed", false, &all).0, Exit::Ok);
    assert_same_tree(reference.path(), full.path());
}

#[test]
fn the_journal_of_a_stopped_run_fills_the_manifest() {
    let full = tempfile::tempdir().unwrap();
    let reference = tempfile::tempdir().unwrap();
    assert_eq!(
        lay(
            reference.path(),
            "seed",
            false,
            &position0(&["a", "b", "c"])
        )
        .0,
        Exit::Ok
    );
    // A run that stopped before writing its manifest leaves only the journal
    // of the rows of the files it wrote.
    assert_eq!(
        lay(full.path(), "seed", false, &position0(&["a", "b"])).0,
        Exit::Ok
    );
    let manifest = fs::read_to_string(full.path().join("manifest.csv")).unwrap();
    let rows: String = manifest.lines().skip(1).map(|l| format!("{l}\n")).collect();
    fs::write(full.path().join(".dcm-lay.manifest-journal.csv"), rows).unwrap();
    fs::remove_file(full.path().join("manifest.csv")).unwrap();
    // Rerunning only the failed study gives the full run's tree and manifest.
    assert_eq!(
        lay(full.path(), "seed", false, &position0(&["c"])).0,
        Exit::Ok
    );
    assert_same_tree(reference.path(), full.path());
    assert!(!full.path().join(".dcm-lay.manifest-journal.csv").exists());
}

#[test]
fn prune_removes_only_listed_files_of_positions_the_run_saw() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let first = format!(
        "{}\n{}",
        position0(&["a", "b", "c"]),
        record(1, "B", "d", "N")
    );
    assert_eq!(lay(root, "seed", false, &first).0, Exit::Ok);
    fs::write(root.join("0/notes.txt"), b"mine").unwrap();
    let mut prune = config(root, "seed", false);
    prune.prune = true;
    // A line that is not a record hides its position: nothing is pruned.
    let cut = format!("{}\n{{\"position\":0,", position0(&["a", "c"]));
    assert_eq!(lay_with(&prune, &cut).0, Exit::SomeFailed);
    assert!(root.join("0/rsp0002.dcm").exists());
    // Study b is gone from the PACS; position 1 was not asked for this time.
    assert_eq!(lay_with(&prune, &position0(&["a", "c"])).0, Exit::Ok);
    let want = [
        "0",
        "0/notes.txt",
        "0/rsp0001.dcm",
        "0/rsp0003.dcm",
        "1",
        "1/rsp0001.dcm",
        "manifest.csv",
    ];
    assert_eq!(listing(root), want);
    let manifest = fs::read_to_string(root.join("manifest.csv")).unwrap();
    assert!(!manifest.contains("rsp0002") && manifest.contains("1/rsp0001.dcm"));
    // Without --prune nothing is deleted, whatever the run produces.
    assert_eq!(lay(root, "seed", false, &position0(&["c"])).0, Exit::Ok);
    assert!(root.join("0/rsp0001.dcm").exists());
}

#[test]
fn full_run_and_failed_position_rerun_give_identical_trees() {
    let full = tempfile::tempdir().unwrap();
    let partial = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..4)
        .flat_map(|p| (0..3).map(move |s| record(p, &format!("P{p}"), &format!("{p}.{s}"), "N")))
        .collect();
    assert_eq!(
        lay(full.path(), "seed", false, &lines.join("\n")).0,
        Exit::Ok
    );
    let (rest, p2): (Vec<String>, Vec<String>) =
        lines.into_iter().partition(|l| !l.contains("\"P2\""));
    assert_eq!(
        lay(partial.path(), "seed", false, &rest.join("\n")).0,
        Exit::Ok
    );
    // The failed ID's records, then the whole input again: nothing changes.
    assert_eq!(
        lay(partial.path(), "seed", false, &p2.join("\n")).0,
        Exit::Ok
    );
    assert_same_tree(full.path(), partial.path());
    let all = [rest, p2].concat().join("\n");
    assert_eq!(lay(partial.path(), "seed", false, &all).0, Exit::Ok);
    assert_same_tree(full.path(), partial.path());
}

#[test]
fn a_position_named_in_the_tree_stays_one_id() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let first = format!(
        "{}\n{}",
        record(0, "A", "1.1", "N"),
        record(1, "B", "1.2", "M")
    );
    assert_eq!(lay(root, "seed", false, &first).0, Exit::Ok);
    // An input numbered anew: position 0 is now another patient's, within
    // the run (line 2) and against the manifest (line 1).
    let renumbered = record(0, "C", "1.3", "O");
    let input = format!("{renumbered}\n{}", record(2, "D", "1.4", "P"));
    let again = format!("{input}\n{}", record(2, "E", "1.5", "Q"));
    let (exit, failed) = lay(root, "seed", false, &again);
    assert_eq!(exit, Exit::SomeFailed);
    assert_eq!(failed.lines().count(), 2, "{failed}");
    assert!(
        failed.contains("\"C\"") && failed.contains("\"E\""),
        "{failed}"
    );
    let want = [
        "0",
        "0/rsp0001.dcm",
        "1",
        "1/rsp0001.dcm",
        "2",
        "2/rsp0001.dcm",
    ];
    assert_eq!(listing(root)[..6], want);
    // Where names do not hold the position, positions may restart.
    let other = tempfile::tempdir().unwrap();
    assert_eq!(lay(other.path(), "default", false, &first).0, Exit::Ok);
    assert_eq!(lay(other.path(), "default", false, &renumbered).0, Exit::Ok);
}

#[test]
fn a_position_folder_with_another_patients_unlisted_files_is_not_shared() {
    let patient = |position: u64, id: &str, uid: &str| {
        let dataset = serde_json::json!({
            "00100020": {"vr": "LO", "Value": [id]},
            "0020000D": {"vr": "UI", "Value": [uid]},
        });
        let line = serde_json::json!({
            "position": position, "id": id, "key": "PatientID", "dataset": dataset,
        });
        line.to_string()
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    assert_eq!(
        lay(root, "seed", false, &patient(0, "A", "1.1")).0,
        Exit::Ok
    );
    // As an old job's tree, or one whose manifest was lost: only the files.
    fs::remove_file(root.join("manifest.csv")).unwrap();
    let (exit, failed) = lay(root, "seed", false, &patient(0, "C", "1.3"));
    assert_eq!(exit, Exit::SomeFailed);
    assert!(failed.contains("\"C\""), "{failed}");
    assert_eq!(listing(root), ["0", "0/rsp0001.dcm", "manifest.csv"]);
    // The same patient again, and a new study of it, are welcome.
    let again = format!("{}\n{}", patient(0, "A", "1.1"), patient(0, "A", "1.2"));
    assert_eq!(lay(root, "seed", false, &again).0, Exit::Ok);
    assert_eq!(listing(root)[..3], ["0", "0/rsp0001.dcm", "0/rsp0002.dcm"]);
}
