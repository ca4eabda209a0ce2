//! Writing the unique values: the ID stream (lines, NUL, numbered) as each
//! value is first seen, or CSV / JSON Lines with counts once all are known.

use std::io::{self, Write};

use dcm_core::input::{format_entry, IdFormat};

use crate::cli::Format;
use crate::unique::Entry;

/// Writes one newly seen value in the streaming (lines) format.
pub fn write_new<W: Write>(
    out: &mut W,
    format: IdFormat,
    position: usize,
    value: &str,
) -> io::Result<()> {
    out.write_all(format_entry(format, position as u64, value).as_bytes())
}

/// Writes every entry in the table formats (CSV, JSON), which need counts.
pub fn write_table<W: Write>(out: &mut W, format: Format, entries: &[Entry]) -> io::Result<()> {
    match format {
        Format::Lines => Ok(()),
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(["position", "id", "files", "first_file"])?;
            for (i, e) in entries.iter().enumerate() {
                let path = e.first_file.to_string_lossy();
                csv.write_record([&i.to_string(), &e.value, &e.files.to_string(), &*path])?;
            }
            csv.flush()
        }
        Format::Json => {
            for (i, e) in entries.iter().enumerate() {
                let line = serde_json::json!({
                    "position": i,
                    "id": e.value,
                    "files": e.files,
                    "first_file": e.first_file.to_string_lossy(),
                });
                writeln!(out, "{line}")?;
            }
            Ok(())
        }
    }
}
