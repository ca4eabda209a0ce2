//! Turning the inputs (paths, folders, path lists) into one ordered stream of
//! files. Folders are walked in sorted order, so "first seen" means the same
//! thing on every run and with every thread count.

use std::path::PathBuf;

use walkdir::WalkDir;

/// One thing the walk found.
#[derive(Debug)]
pub enum Found {
    /// A file to read.
    File(PathBuf),
    /// A path that gives nothing, and why (a link not followed, a socket).
    Skipped(PathBuf, String),
    /// A path that could not be walked (a folder that cannot be listed, a
    /// link loop, a missing input), and why.
    Failed(PathBuf, String),
}

/// Walks each root in turn; folders recursively, in file-name order.
pub fn walk(roots: Vec<PathBuf>, follow_links: bool) -> impl Iterator<Item = Found> {
    roots.into_iter().flat_map(move |root| {
        WalkDir::new(&root)
            .follow_links(follow_links)
            .sort_by_file_name()
            .into_iter()
            .filter_map(move |entry| match entry {
                Ok(e) if e.file_type().is_file() => Some(Found::File(e.into_path())),
                Ok(e) if e.file_type().is_dir() => None,
                // A link named on the command line is the user's choice and
                // is followed, as `find -H` does; walkdir already walked a
                // linked folder but reports the link's own type.
                Ok(e) if e.depth() == 0 && e.path_is_symlink() => named_link(e.into_path()),
                Ok(e) if e.path_is_symlink() => Some(Found::Skipped(
                    e.into_path(),
                    "symbolic link not followed".into(),
                )),
                Ok(e) => Some(Found::Skipped(e.into_path(), "not a regular file".into())),
                Err(err) => {
                    let path = err.path().map_or_else(|| root.clone(), |p| p.to_path_buf());
                    let reason = if is_dangling_link(&err, &path) {
                        "symbolic link to nothing".into()
                    } else {
                        walk_reason(&err)
                    };
                    Some(Found::Failed(path, reason))
                }
            })
    })
}

/// What a link named on the command line gives: its file, nothing more for
/// a folder (walked already), or why it gives nothing.
fn named_link(path: PathBuf) -> Option<Found> {
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => None,
        Ok(m) if m.is_file() => Some(Found::File(path)),
        Ok(_) => Some(Found::Skipped(path, "not a regular file".into())),
        Err(e) => Some(Found::Failed(path, io_reason(&e))),
    }
}

/// A link whose target is missing: "no such file" would deny the link.
fn is_dangling_link(err: &walkdir::Error, path: &std::path::Path) -> bool {
    err.io_error()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

fn walk_reason(err: &walkdir::Error) -> String {
    if let Some(ancestor) = err.loop_ancestor() {
        return format!("symbolic link loop back to {}", ancestor.display());
    }
    match err.io_error() {
        Some(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            "cannot list: permission denied".into()
        }
        Some(e) => io_reason(e),
        None => err.to_string().to_lowercase(),
    }
}

/// The reason of an I/O error in the words of the other messages, without
/// the operating system's error number.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        // ELOOP: a link that points back at itself, named on the command line.
        _ if e.raw_os_error() == Some(40) => "symbolic link loop".into(),
        _ => e.to_string().to_lowercase(),
    }
}
