//! The built binary under interruption: Ctrl-C, SIGKILL, and a producer that
//! dies in the middle of a line.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{assert_same_tree, lay, listing, record};

fn spawn(root: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_dcm-lay"))
        .args(["--layout", "seed"])
        .args(args)
        .arg(root)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting dcm-lay")
}

/// Four studies for each of `positions` patients.
fn many_records(positions: u64) -> Vec<String> {
    (0..positions)
        .flat_map(|p| (0..4).map(move |s| (p, s)))
        .map(|(p, s)| record(p, &format!("P{p}"), &format!("{p}.{s}"), "Åse"))
        .collect()
}

fn files_named(root: &Path) -> Vec<String> {
    let real = |n: &String| n.ends_with(".dcm") && !n.rsplit('/').next().unwrap().starts_with('.');
    listing(root).into_iter().filter(real).collect()
}

/// Waits until `root` holds `count` real files (the run is mid-way).
fn wait_for_files(root: &Path, count: usize) {
    let start = Instant::now();
    while !root.join("0").exists() || files_named(root).len() < count {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "dcm-lay wrote too few files"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success());
}

#[test]
fn ctrl_c_while_the_producer_is_silent_writes_the_manifest_and_exits_130() {
    let tmp = tempfile::tempdir().unwrap();
    let failed = tmp.path().join("failed.jsonl");
    let root = tmp.path().join("root");
    let mut child = spawn(&root, &["--failed", failed.to_str().unwrap()]);
    let mut stdin = child.stdin.take().unwrap();
    let lines = many_records(25).join("\n") + "\n";
    stdin.write_all(lines.as_bytes()).unwrap();
    wait_for_files(&root, 100);
    // The producer is alive and silent (stdin stays open): a blocked read.
    send_signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("dcm-lay: 100 records, 100 written"),
        "{stderr}"
    );
    assert!(stderr.contains("interrupted"), "{stderr}");
    let manifest = std::fs::read_to_string(root.join("manifest.csv")).unwrap();
    assert_eq!(manifest.lines().count(), 101);
    assert_eq!(std::fs::read_to_string(failed).unwrap(), "");
    assert!(listing(&root).iter().all(|n| !n.contains("/.dcm-lay.")));
}

#[test]
fn ctrl_c_lists_the_lines_a_stopping_producer_still_sends() {
    let tmp = tempfile::tempdir().unwrap();
    let failed = tmp.path().join("failed.jsonl");
    let root = tmp.path().join("root");
    let mut child = spawn(&root, &["--failed", failed.to_str().unwrap()]);
    let mut stdin = child.stdin.take().unwrap();
    let records = many_records(40);
    let (first, rest) = records.split_at(100);
    stdin
        .write_all((first.join("\n") + "\n").as_bytes())
        .unwrap();
    wait_for_files(&root, 100);
    send_signal(&child, "-INT");
    // As dcm-find does on Ctrl-C: the records of finished IDs still come,
    // then the pipe closes. They count as done there, so they must be here.
    stdin
        .write_all((rest.join("\n") + "\n").as_bytes())
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let written = files_named(&root).len();
    let listed = std::fs::read_to_string(failed).unwrap().lines().count();
    assert_eq!(written + listed, records.len(), "{stderr}");
}

#[test]
fn sigkill_mid_run_leaves_no_partial_file_and_a_rerun_completes_the_tree() {
    let records = many_records(500);
    let input = records.join("\n") + "\n";
    let reference = tempfile::tempdir().unwrap();
    assert_eq!(
        lay(reference.path(), "seed", false, &input).0,
        dcm_core::Exit::Ok
    );

    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let mut child = spawn(&root, &[]);
    let mut stdin = child.stdin.take().unwrap();
    let (held, release) = mpsc::channel::<()>();
    let (body, last) = input.split_at(input.len() - 10);
    let (body, last) = (body.to_string(), last.to_string());
    // The end of the input is held back until after the kill, so the run
    // cannot have finished when it is killed.
    let feeder = thread::spawn(move || {
        let _ = stdin.write_all(body.as_bytes());
        let _ = release.recv();
        let _ = stdin.write_all(last.as_bytes());
    });
    wait_for_files(&root, 600);
    child.kill().unwrap();
    child.wait().unwrap();
    drop(held);
    feeder.join().unwrap();

    let written = files_named(&root);
    assert!(written.len() < records.len(), "killed after the end");
    for name in &written {
        let want = std::fs::read(reference.path().join(name)).unwrap();
        assert!(
            std::fs::read(root.join(name)).unwrap() == want,
            "{name} is partial"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_dcm-lay"))
        .args(["--layout", "seed", "--input", "-"])
        .arg(&root)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(input.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_tree(reference.path(), &root);
}

#[test]
fn a_line_cut_by_a_dying_producer_is_a_failed_line() {
    let tmp = tempfile::tempdir().unwrap();
    let failed = tmp.path().join("failed.jsonl");
    let root = tmp.path().join("root");
    let mut child = spawn(&root, &["--failed", failed.to_str().unwrap()]);
    let whole = record(0, "A", "1.1", "N");
    let cut = &record(1, "B", "2.1", "N")[..40];
    let mut stdin = child.stdin.take().unwrap();
    write!(stdin, "{whole}\n{cut}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("dcm-lay: line 2: cut short"), "{stderr}");
    assert!(
        stderr.contains("dcm-lay: 2 records, 1 written,"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(failed).unwrap(), format!("{cut}\n"));
}
