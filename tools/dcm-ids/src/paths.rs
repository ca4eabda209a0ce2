//! The roots to walk: command-line paths, then those listed in
//! `--files-from` (newline-separated) or `--files0-from` (NUL-terminated).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::cli::{Config, PathList};
use crate::walk::io_reason;

/// Collects the roots; a list that cannot be read is a fatal error.
pub fn roots(config: &Config, stdin: impl Read) -> Result<Vec<PathBuf>, String> {
    let mut roots = config.paths.clone();
    let (file, end) = match &config.list {
        None => return Ok(roots),
        Some(PathList::Lines(f)) => (f, b'\n'),
        Some(PathList::Nul(f)) => (f, b'\0'),
    };
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(BufReader::new(stdin))
    } else {
        let f = File::open(file).map_err(|e| format!("{}: {}", file.display(), io_reason(&e)))?;
        Box::new(BufReader::new(f))
    };
    for entry in reader.split(end) {
        let mut bytes = entry.map_err(|e| format!("{}: {e}", file.display()))?;
        if end == b'\n' && bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        if !bytes.is_empty() {
            roots.push(path_from_bytes(bytes));
        }
    }
    Ok(roots)
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}
