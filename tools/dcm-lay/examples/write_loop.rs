//! The baseline of `scripts/bench-lay.sh`: the plain cost of writing given
//! bytes to given files the way dcm-lay does (a hidden temp name in the
//! target folder, then rename; no fsync), with nothing else to do.
//!
//! Usage: `write_loop SOURCE DEST`. Every file below SOURCE is read into
//! memory first (not timed); then the timed loop makes each folder once and
//! writes each file under DEST with the same relative path. Prints the
//! seconds the loop took and the file count, as `SECONDS FILES`.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [source, dest] = args.as_slice() else {
        eprintln!("usage: write_loop SOURCE DEST");
        std::process::exit(2);
    };
    let files = load(source);
    let start = Instant::now();
    let mut made = HashSet::new();
    for (relative, bytes) in &files {
        let target = dest.join(relative);
        let dir = target.parent().expect("a file has a folder");
        if made.insert(dir.to_path_buf()) {
            fs::create_dir_all(dir).expect("making a folder");
        }
        let name = target.file_name().unwrap().to_string_lossy();
        let temp = dir.join(format!(".w.{name}.{}.tmp", std::process::id()));
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .expect("creating a temp file");
        f.write_all(bytes).expect("writing");
        drop(f);
        fs::rename(&temp, &target).expect("renaming");
    }
    println!("{:.6} {}", start.elapsed().as_secs_f64(), files.len());
}

/// Every file below `root` as (relative path, bytes), in sorted order.
fn load(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("listing SOURCE") {
            let entry = entry.expect("listing SOURCE");
            let path = entry.path();
            if entry.file_type().expect("file type").is_dir() {
                stack.push(path);
            } else {
                let bytes = fs::read(&path).expect("reading SOURCE");
                out.push((path.strip_prefix(root).unwrap().to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}
