//! Records, runs and tree listings shared by the test modules.

use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use dcm_core::Exit;
use dcm_lay::config::{Config, Input};
use dcm_lay::run::run;
use dcm_lay::template::Template;

/// One record line with a name and a StudyInstanceUID.
pub fn record(position: u64, id: &str, uid: &str, name: &str) -> String {
    let dataset = serde_json::json!({
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": name}]},
        "0020000D": {"vr": "UI", "Value": [uid]},
    });
    let line = serde_json::json!({
        "position": position, "id": id, "key": "PatientID", "dataset": dataset,
    });
    line.to_string()
}

pub fn config(root: &Path, layout: &str, overwrite: bool) -> Config {
    Config {
        root: root.to_path_buf(),
        template: Template::from_layout(layout).unwrap(),
        input: Input::Stdin,
        overwrite,
        prune: false,
        failed: None,
        verbosity: -1,
    }
}

/// Runs on `input`; the exit and the failed list.
pub fn lay_with(config: &Config, input: &str) -> (Exit, String) {
    let mut failed = Vec::new();
    let input = Box::new(std::io::Cursor::new(input.as_bytes().to_vec()));
    let exit = run(config, input, &mut failed, &AtomicBool::new(false));
    (exit, String::from_utf8(failed).unwrap())
}

pub fn lay(root: &Path, layout: &str, overwrite: bool, input: &str) -> (Exit, String) {
    lay_with(&config(root, layout, overwrite), input)
}

/// Every folder and file below `root`, relative, sorted.
pub fn listing(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(dir).unwrap() {
            // The type from the folder entry: a file of a running dcm-lay
            // may be gone (a renamed temp file) by the time it is looked at.
            let e = e.unwrap();
            let p = e.path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Asserts two trees hold the same names with the same bytes.
pub fn assert_same_tree(a: &Path, b: &Path) {
    assert_eq!(listing(a), listing(b));
    for name in listing(a) {
        if a.join(&name).is_file() {
            let want = fs::read(a.join(&name)).unwrap();
            assert!(want == fs::read(b.join(&name)).unwrap(), "{name} differs");
        }
    }
}
