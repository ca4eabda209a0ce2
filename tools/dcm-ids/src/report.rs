//! The two per-file reports: `--failed` (the paths, as `--files-from` or
//! `--files0-from` reads them back) and `--report` (CSV of every file that
//! gave no ID, with the outcome and the reason).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::cli::Config;

/// The open report files, if asked for.
pub struct Report {
    failed: Option<(BufWriter<File>, u8)>,
    csv: Option<csv::Writer<File>>,
}

impl Report {
    /// Creates the files named on the command line.
    pub fn create(config: &Config) -> Result<Report, String> {
        let open = |p: &Path| File::create(p).map_err(|e| format!("{}: {e}", p.display()));
        let end = if config.null { b'\0' } else { b'\n' };
        let failed = match &config.failed {
            Some(p) => Some((BufWriter::new(open(p)?), end)),
            None => None,
        };
        let csv = match &config.report {
            Some(p) => {
                let mut w = csv::Writer::from_writer(open(p)?);
                w.write_record(["path", "outcome", "reason"])
                    .map_err(|e| e.to_string())?;
                Some(w)
            }
            None => None,
        };
        Ok(Report { failed, csv })
    }

    /// Records a file that had nothing to give.
    pub fn nothing(&mut self, path: &Path, why: &str) -> Result<(), String> {
        self.row(path, "nothing", why)
    }

    /// Records a failed file.
    pub fn failed(&mut self, path: &Path, why: &str) -> Result<(), String> {
        if let Some((w, end)) = &mut self.failed {
            let bytes = path.as_os_str().as_encoded_bytes();
            if *end == b'\n' && bytes.contains(&b'\n') {
                tracing::warn!(
                    "{}: the name holds a newline, so the --failed list reads back as \
                     two paths; -0 ends entries with NUL (read with --files0-from)",
                    dcm_core::message::escape(&path.to_string_lossy())
                );
            }
            w.write_all(bytes).map_err(|e| e.to_string())?;
            w.write_all(&[*end]).map_err(|e| e.to_string())?;
        }
        self.row(path, "failed", why)
    }

    fn row(&mut self, path: &Path, outcome: &str, why: &str) -> Result<(), String> {
        if let Some(w) = &mut self.csv {
            // The path's own bytes, as --failed keeps them: a name that is
            // not UTF-8 must still name its file.
            let p = path.as_os_str().as_encoded_bytes();
            w.write_record([p, outcome.as_bytes(), why.as_bytes()])
                .map_err(|e| format!("--report: {e}"))?;
        }
        Ok(())
    }

    /// Flushes both files.
    pub fn finish(self) -> Result<(), String> {
        if let Some((mut w, _)) = self.failed {
            w.flush().map_err(|e| format!("--failed: {e}"))?;
        }
        if let Some(mut w) = self.csv {
            w.flush().map_err(|e| format!("--report: {e}"))?;
        }
        Ok(())
    }
}
