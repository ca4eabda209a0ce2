//! The output tree on disk: folders made without following links, files
//! written atomically, the conflict policy, and the clean-up of temp files
//! that a killed run left.
//!
//! Its own unit because this is the only code that touches ROOT's contents,
//! so the promises of design.md section 5 (never outside ROOT, files appear
//! only complete, nothing deleted unless asked) are kept in one place. Values
//! reach it already sanitized; it still refuses any symbolic link below ROOT,
//! since a link placed there earlier would lead a later write elsewhere.
//! (A link that another process swaps in while we run is out of scope.)

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Temp files are `.dcm-lay.<name>.<pid>.tmp`: hidden, and no name the
/// layout makes can start with a dot, so clean-up only meets our own files.
const TEMP_PREFIX: &str = ".dcm-lay.";
const TEMP_SUFFIX: &str = ".tmp";

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    Identical,
    Replaced,
}

/// Why a file was not written. `Io` is fatal (the output is not writable);
/// the others concern one record only.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{0}: is a symbolic link; links inside ROOT are never followed")]
    Symlink(String),
    #[error("{0}: exists and is not a folder")]
    NotAFolder(String),
    #[error("{0}: exists and is not a regular file")]
    NotAFile(String),
    #[error("{0}: exists with different content (--overwrite replaces it)")]
    Conflict(String),
    #[error("{0}: written earlier in this run from a different record")]
    TakenThisRun(String),
    #[error("{path}: {step}: {source}")]
    Io {
        step: &'static str,
        path: String,
        source: io::Error,
    },
}

/// What to do with a name, given what is there already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Write,
    Skip,
    Replace,
    Refuse,
}

/// The conflict policy: identical content is skipped, other content is
/// refused unless overwriting was asked for.
pub fn decide(existing: Option<&[u8]>, new: &[u8], overwrite: bool) -> Decision {
    match existing {
        None => Decision::Write,
        Some(old) if old == new => Decision::Skip,
        Some(_) if overwrite => Decision::Replace,
        Some(_) => Decision::Refuse,
    }
}

/// The tree under one ROOT.
pub struct Tree {
    root: PathBuf,
    overwrite: bool,
    /// The folders met so far, and whether this run made them.
    known_dirs: HashMap<PathBuf, bool>,
    written: HashSet<PathBuf>,
}

fn io_err<'a>(step: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> TreeError + 'a {
    move |source| TreeError::Io {
        step,
        path: path.display().to_string(),
        source,
    }
}

impl Tree {
    /// Creates ROOT if needed (ROOT itself is the user's choice, link or not).
    pub fn open(root: &Path, overwrite: bool) -> Result<Tree, TreeError> {
        if fs::metadata(root).is_ok_and(|m| !m.is_dir()) {
            return Err(TreeError::NotAFolder(root.display().to_string()));
        }
        fs::create_dir_all(root).map_err(io_err("creating", root))?;
        Ok(Tree {
            root: root.to_path_buf(),
            overwrite,
            known_dirs: HashMap::new(),
            written: HashSet::new(),
        })
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `bytes` at ROOT/dirs.../file by the conflict policy.
    pub fn put(&mut self, dirs: &[String], file: &str, bytes: &[u8]) -> Result<Outcome, TreeError> {
        let (dir, made) = self.make_dirs(dirs)?;
        let path = dir.join(file);
        // Only for messages, so made only when one is needed.
        let shown = || path.display().to_string();
        // A folder this run made holds only what this run wrote there, so
        // the file system need not be asked (one call less per file).
        let existing = if made && !self.written.contains(&path) {
            None
        } else {
            read_existing(&path)?
        };
        let decision = decide(existing.as_deref(), bytes, self.overwrite);
        if decision == Decision::Replace && self.written.contains(&path) {
            return Err(TreeError::TakenThisRun(shown()));
        }
        let outcome = match decision {
            Decision::Skip => return Ok(Outcome::Identical),
            Decision::Refuse if self.written.contains(&path) => {
                return Err(TreeError::TakenThisRun(shown()))
            }
            Decision::Refuse => return Err(TreeError::Conflict(shown())),
            Decision::Write => Outcome::Written,
            Decision::Replace => Outcome::Replaced,
        };
        write_atomic(&dir, file, bytes)?;
        self.written.insert(path);
        Ok(outcome)
    }

    /// Makes each folder below ROOT, refusing links and non-folders; says
    /// whether this run made the last one (ROOT itself counts as found).
    fn make_dirs(&mut self, dirs: &[String]) -> Result<(PathBuf, bool), TreeError> {
        let mut path = self.root.clone();
        let mut made = false;
        for name in dirs {
            path.push(name);
            if let Some(known) = self.known_dirs.get(&path) {
                made = *known;
                continue;
            }
            made = match fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => false,
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(TreeError::Symlink(path.display().to_string()))
                }
                Ok(_) => return Err(TreeError::NotAFolder(path.display().to_string())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir(&path).map_err(io_err("creating", &path))?;
                    true
                }
                Err(e) => return Err(io_err("reading", &path)(e)),
            };
            self.known_dirs.insert(path.clone(), made);
        }
        Ok((path, made))
    }
}

/// The content at `path` if it is a regular file. A link there is refused,
/// `--overwrite` or not: someone put it there, and it is not ours to replace.
fn read_existing(path: &Path) -> Result<Option<Vec<u8>>, TreeError> {
    let shown = || path.display().to_string();
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("reading", path)(e)),
        Ok(m) if m.file_type().is_symlink() => Err(TreeError::Symlink(shown())),
        Ok(m) if !m.is_file() => Err(TreeError::NotAFile(shown())),
        Ok(_) => fs::read(path).map(Some).map_err(io_err("reading", path)),
    }
}

/// Writes a hidden temp file in `dir`, then renames it to `file`.
pub fn write_atomic(dir: &Path, file: &str, bytes: &[u8]) -> Result<(), TreeError> {
    let temp = dir.join(format!("{TEMP_PREFIX}{file}.{}{TEMP_SUFFIX}", pid()));
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(io_err("writing", &temp))
        .and_then(|()| fs::rename(&temp, dir.join(file)).map_err(io_err("renaming", &temp)));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// This process's ID, asked once: `std::process::id` is a system call, and
/// every file written needs it.
fn pid() -> u32 {
    static PID: OnceLock<u32> = OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// Removes the temp files of runs that are no longer alive, anywhere below
/// ROOT (links are not followed). Returns how many were removed.
pub fn remove_stale_temps(root: &Path) -> Result<u64, TreeError> {
    let mut removed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(io_err("listing", &dir))? {
            let entry = entry.map_err(io_err("listing", &dir))?;
            let kind = entry
                .file_type()
                .map_err(io_err("reading", &entry.path()))?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() && is_stale_temp(&entry.file_name().to_string_lossy()) {
                fs::remove_file(entry.path()).map_err(io_err("removing", &entry.path()))?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// A temp name whose writer (by the PID in its name) is not running.
fn is_stale_temp(name: &str) -> bool {
    let Some(middle) = name
        .strip_prefix(TEMP_PREFIX)
        .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    let Some(pid) = middle
        .rsplit('.')
        .next()
        .and_then(|p| p.parse::<u32>().ok())
    else {
        return false;
    };
    !is_alive(pid)
}

/// Whether a process runs; without /proc every writer counts as gone.
fn is_alive(pid: u32) -> bool {
    pid == self::pid()
        || Path::new("/proc/self").exists() && Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_policy() {
        assert_eq!(decide(None, b"a", false), Decision::Write);
        assert_eq!(decide(Some(b"a"), b"a", false), Decision::Skip);
        assert_eq!(decide(Some(b"a"), b"a", true), Decision::Skip);
        assert_eq!(decide(Some(b"b"), b"a", false), Decision::Refuse);
        assert_eq!(decide(Some(b"b"), b"a", true), Decision::Replace);
    }

    fn dirs(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn write_skip_refuse_replace() {
        let tmp = tempfile::tempdir().unwrap();
        let mut tree = Tree::open(tmp.path(), false).unwrap();
        assert_eq!(
            tree.put(&dirs(&["0"]), "a.dcm", b"x").unwrap(),
            Outcome::Written
        );
        assert_eq!(
            tree.put(&dirs(&["0"]), "a.dcm", b"x").unwrap(),
            Outcome::Identical
        );
        let err = tree.put(&dirs(&["0"]), "a.dcm", b"y").unwrap_err();
        assert!(matches!(err, TreeError::TakenThisRun(_)), "{err}");
        let mut again = Tree::open(tmp.path(), false).unwrap();
        let err = again.put(&dirs(&["0"]), "a.dcm", b"y").unwrap_err();
        assert!(matches!(err, TreeError::Conflict(_)), "{err}");
        let mut over = Tree::open(tmp.path(), true).unwrap();
        assert_eq!(
            over.put(&dirs(&["0"]), "a.dcm", b"y").unwrap(),
            Outcome::Replaced
        );
        assert_eq!(fs::read(tmp.path().join("0/a.dcm")).unwrap(), b"y");
    }

    #[test]
    fn links_inside_root_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), tmp.path().join("evil")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", tmp.path().join("f.dcm")).unwrap();
        let mut tree = Tree::open(tmp.path(), true).unwrap();
        let err = tree.put(&dirs(&["evil", "x"]), "a.dcm", b"x").unwrap_err();
        assert!(matches!(err, TreeError::Symlink(_)), "{err}");
        let err = tree.put(&[], "f.dcm", b"x").unwrap_err();
        assert!(matches!(err, TreeError::Symlink(_)), "{err}");
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_root_that_is_a_file_is_named_as_such() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("afile");
        fs::write(&file, b"x").unwrap();
        let Err(err) = Tree::open(&file, false) else {
            panic!("a file opened as ROOT");
        };
        assert_eq!(
            err.to_string(),
            format!("{}: exists and is not a folder", file.display())
        );
    }

    #[test]
    fn stale_temps_are_removed_and_live_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("0")).unwrap();
        let stale = tmp.path().join("0/.dcm-lay.rsp0001.dcm.4294967.tmp");
        let live = tmp
            .path()
            .join(format!("0/.dcm-lay.rsp0002.dcm.{}.tmp", std::process::id()));
        let other = tmp.path().join("0/.hidden");
        for p in [&stale, &live, &other] {
            fs::write(p, b"partial").unwrap();
        }
        assert_eq!(remove_stale_temps(tmp.path()).unwrap(), 1);
        assert!(!stale.exists() && live.exists() && other.exists());
    }
}
