//! Harness of the end-to-end tests.
//!
//! The tests run the built binaries of the workspace (`make test` builds them
//! first; cargo gives a test only the binaries of its own package, and these
//! live in other packages of the workspace). Each command runs with the
//! `DCM_*` environment removed, stdin fed from a thread, and on failure the
//! panic message shows the command, its status, stdout and stderr.
//!
//! The PACS the tests talk to are started by `scripts/with-pacs.sh`, which
//! exports their addresses and the fixture's folders as `DCM_TEST_*`.

#![allow(dead_code)]

pub mod oracle;

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The folder holding the workspace's built binaries (next to `deps/`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target profile folder")
        .to_path_buf()
}

/// Path of one of the tools, checked to exist.
pub fn tool(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (`cargo build --workspace`, or `make test`)",
        path.display()
    );
    path
}

/// A value that `scripts/with-pacs.sh` exports; the tests cannot run without.
pub fn test_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `make test` (scripts/with-pacs.sh)")
    })
}

/// What a command did.
#[derive(Debug)]
pub struct Output {
    pub shown: String,
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    pub fn stdout_str(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    pub fn lines(&self) -> Vec<String> {
        self.stdout_str().lines().map(str::to_string).collect()
    }

    /// Panics with everything known unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Output {
        assert_eq!(self.code, code, "unexpected exit status\n{self}");
        self
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let out = String::from_utf8_lossy(&self.stdout);
        let cut = |s: &str| s.chars().take(4000).collect::<String>();
        write!(
            f,
            "command: {}\nstatus: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.shown,
            self.code,
            cut(&out),
            cut(&self.stderr)
        )
    }
}

/// Runs `program` with `args`, feeding `stdin`; no `DCM_*` variables except
/// those given in `env`.
pub fn run<I, S>(program: &Path, args: I, stdin: &[u8], env: &[(&str, &str)]) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("DCM_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let shown = format!("{cmd:?}");
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("waiting for the command");
    feeder.join().unwrap();
    Output {
        shown,
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs one of the workspace's tools.
pub fn run_tool<I, S>(name: &str, args: I, stdin: &[u8]) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run(&tool(name), args, stdin, &[])
}

/// A fresh scratch folder for one test, removed when dropped.
pub fn scratch() -> tempfile::TempDir {
    let base = std::env::var_os("DCM_TEST_WORK").map(PathBuf::from);
    match base {
        Some(b) => tempfile::tempdir_in(b).expect("scratch folder"),
        None => tempfile::tempdir().expect("scratch folder"),
    }
}

/// Every file below `root`, sorted.
pub fn files_below(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
