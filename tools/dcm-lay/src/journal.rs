//! The manifest's journal: its rows appended while a run goes on, so that a
//! run stopped before it writes `manifest.csv` (killed, disk full) does not
//! lose them. The next run replays the journal, and a saved manifest
//! removes it.
//!
//! Its own unit because of how it writes: rows go out in batches of whole
//! rows (about `BATCH` bytes), not one system call per file, since a write
//! per file cost as much as a tenth of the run. A killed run therefore loses
//! the rows of its last batch; their files are on disk, the next run's
//! numbering reads them back (see `recover`), and a rerun of their records
//! writes their rows again. Whole rows only, so a replay never meets a row
//! cut in the middle of a value, only a last row cut short, which it skips.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The journal's file name at ROOT: hidden, and not a temp file's name.
pub const JOURNAL_NAME: &str = ".dcm-lay.manifest-journal.csv";

/// Bytes of whole rows gathered before they are appended.
const BATCH: usize = 16 * 1024;

/// The journal of one ROOT, opened for appending at the first row.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    writer: Option<csv::Writer<Batch>>,
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
            let opened = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path);
            match opened {
                Ok(file) => {
                    let batch = Batch {
                        file,
                        rows: Vec::with_capacity(BATCH * 2),
                    };
                    self.writer = Some(csv::Writer::from_writer(batch));
                }
                Err(_) => self.broken = true,
            }
        }
        if let Some(writer) = &mut self.writer {
            // The csv writer hands the row on whole when flushed.
            if writer.write_record(row).is_ok() {
                let _ = writer.flush();
            }
        }
    }

    /// Drops the journal: every row is in the saved manifest now.
    pub fn remove(&mut self) {
        if let Some(writer) = self.writer.take() {
            if let Ok(mut batch) = writer.into_inner() {
                batch.rows.clear();
            }
        }
        let _ = fs::remove_file(&self.path);
    }
}

/// Whole rows gathered in memory; `flush`, which the csv writer calls only
/// after a whole row, appends them once they fill a batch.
#[derive(Debug)]
struct Batch {
    file: fs::File,
    rows: Vec<u8>,
}

impl Write for Batch {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.rows.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.rows.len() >= BATCH {
            self.append()?;
        }
        Ok(())
    }
}

impl Batch {
    fn append(&mut self) -> io::Result<()> {
        let result = self.file.write_all(&self.rows);
        self.rows.clear();
        result
    }
}

impl Drop for Batch {
    /// A run that ends without saving its manifest (it could not) leaves
    /// the rest of its rows here.
    fn drop(&mut self) {
        if !self.rows.is_empty() {
            let _ = self.append();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_whole_and_only_after_a_batch_or_the_end() {
        let tmp = tempfile::tempdir().unwrap();
        let mut journal = Journal::at(tmp.path());
        journal.append(&["a/1.dcm", "1", "x,y"]);
        let on_disk = fs::read(tmp.path().join(JOURNAL_NAME)).unwrap_or_default();
        assert!(on_disk.is_empty(), "one small row waits for its batch");
        drop(journal);
        let rows = Journal::replay(tmp.path(), 3);
        assert_eq!(rows, [["a/1.dcm", "1", "x,y"]]);
    }

    #[test]
    fn a_full_batch_is_appended_and_a_cut_last_row_is_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let mut journal = Journal::at(tmp.path());
        let long = "v".repeat(1000);
        for i in 0..20 {
            journal.append(&[&format!("{i}.dcm"), &i.to_string(), &long]);
        }
        let path = tmp.path().join(JOURNAL_NAME);
        let written = fs::read(&path).unwrap();
        assert!(written.len() >= BATCH && written.ends_with(b"\n"));
        std::mem::forget(journal); // as if killed: the rest of the batch is lost
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"99.dcm,99")
            .unwrap();
        let rows = Journal::replay(tmp.path(), 3);
        let whole = written.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(rows.len(), whole);
        assert!(rows.iter().all(|r| r[2] == long));
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
