//! The manifest's journal: its rows appended while a run goes on, so that a
//! run stopped before it writes `manifest.csv` (killed, disk full) does not
//! lose them. The next run replays the journal, and a saved manifest
//! removes it.
//!
//! Each row is appended right after its file is in place, in one write:
//! rows gathered in batches cost less (a write per file is up to a tenth of
//! a run on tmpfs), but the run that most needs the journal is the one that
//! filled the disk, and there a batch still in memory cannot be written any
//! more, so its files would lose their rows. A replay skips a last row cut
//! short by a kill.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The journal's file name at ROOT: hidden, and not a temp file's name.
pub const JOURNAL_NAME: &str = ".dcm-lay.manifest-journal.csv";

/// The journal of one ROOT, opened for appending at the first row.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    writer: Option<csv::Writer<Row>>,
    /// Set when the journal could not be opened: it is not tried again.
    broken: bool,
}

impl Journal {
    pub fn at(root: &Path) -> Journal {
        Journal {
            path: root.join(JOURNAL_NAME),
            writer: None,
            broken: false,
        }
    }

    /// The rows of the journal at ROOT that have all `columns`, in order.
    pub fn replay(root: &Path, columns: usize) -> Vec<Vec<String>> {
        let path = root.join(JOURNAL_NAME);
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            return Vec::new();
        }
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(&path);
        let Ok(mut reader) = reader else {
            return Vec::new();
        };
        reader
            .records()
            .filter_map(Result::ok)
            .filter(|row| row.len() == columns)
            .map(|row| row.iter().map(str::to_string).collect())
            .collect()
    }

    /// Adds one row. A failure (the disk that stopped the run) is not an
    /// error of the file's: the numbering still finds the file.
    pub fn append(&mut self, row: &[&str]) {
        if self.writer.is_none() && !self.broken {
            match open_for_append(&self.path) {
                Ok(file) => {
                    let row = Row {
                        file,
                        bytes: Vec::with_capacity(512),
                    };
                    self.writer = Some(csv::Writer::from_writer(row));
                }
                Err(e) => {
                    // The rows are still in the manifest at the end of the run;
                    // only a kill before it would lose them.
                    tracing::warn!(
                        "{}: the manifest's journal cannot be written ({e}); \
                         a run killed before its end leaves no record of its files",
                        self.path.display()
                    );
                    self.broken = true;
                }
            }
        }
        if let Some(writer) = &mut self.writer {
            // The csv writer hands the row on whole when flushed.
            if writer.write_record(row).is_ok() {
                let _ = writer.flush();
            }
        }
    }

    /// Drops the journal: every row is in the saved manifest now. Only a
    /// regular file is removed: anything else there was not made by us.
    pub fn remove(&mut self) {
        self.writer = None;
        if fs::symlink_metadata(&self.path).is_ok_and(|m| m.is_file()) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Opens the journal for appending, never through a symbolic link: someone
/// could have put one at ROOT pointing at a file outside it.
fn open_for_append(path: &Path) -> io::Result<fs::File> {
    // Asked before opening: opening a FIFO for writing would block until a
    // reader came, and a device would swallow the rows. O_NOFOLLOW below
    // covers a link put there after this look.
    match fs::symlink_metadata(path) {
        Ok(m) if !m.is_file() => return Err(io::Error::other("not a regular file")),
        _ => {}
    }
    let mut options = fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// One whole row gathered in memory, appended in one write when the csv
/// writer flushes it (which it does only after a whole row), so that a
/// concurrent reader or a kill never sees half a value.
#[derive(Debug)]
struct Row {
    file: fs::File,
    bytes: Vec<u8>,
}

impl Write for Row {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.bytes.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.file.write_all(&self.bytes);
        self.bytes.clear();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_is_on_disk_when_append_returns() {
        let tmp = tempfile::tempdir().unwrap();
        let mut journal = Journal::at(tmp.path());
        journal.append(&["a/1.dcm", "1", "x,y"]);
        std::mem::forget(journal); // as if killed right after the row
        let rows = Journal::replay(tmp.path(), 3);
        assert_eq!(rows, [["a/1.dcm", "1", "x,y"]]);
    }

    #[test]
    fn a_last_row_cut_short_is_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let mut journal = Journal::at(tmp.path());
        for i in 0..3 {
            journal.append(&[&format!("{i}.dcm"), &i.to_string(), "v\nw"]);
        }
        drop(journal);
        let path = tmp.path().join(JOURNAL_NAME);
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"99.dcm,99")
            .unwrap();
        let rows = Journal::replay(tmp.path(), 3);
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r[2] == "v\nw"));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_journal_is_not_written_through_nor_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside.txt");
        fs::write(&outside, "precious\n").unwrap();
        let root = tmp.path().join("root");
        fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink(&outside, root.join(JOURNAL_NAME)).unwrap();
        let mut journal = Journal::at(&root);
        journal.append(&["a/1.dcm", "1"]);
        journal.append(&["a/2.dcm", "2"]);
        journal.remove();
        assert_eq!(fs::read_to_string(&outside).unwrap(), "precious\n");
        assert!(fs::symlink_metadata(root.join(JOURNAL_NAME)).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_at_the_journal_does_not_block_the_run() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join(JOURNAL_NAME);
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let mut journal = Journal::at(tmp.path());
        journal.append(&["a/1.dcm", "1"]);
        assert!(journal.broken && journal.writer.is_none());
    }

    #[test]
    fn remove_leaves_no_journal() {
        let tmp = tempfile::tempdir().unwrap();
        let mut journal = Journal::at(tmp.path());
        journal.append(&["a", "b"]);
        journal.remove();
        drop(journal);
        assert!(!tmp.path().join(JOURNAL_NAME).exists());
    }
}
