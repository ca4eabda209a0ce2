//! The work on one line that needs nothing from the rest of the run: parsing
//! the record, the digest for the duplicate check, its place in the tree,
//! its manifest columns and the file's bytes.
//!
//! Its own unit because it runs on the reader thread (see `lines`), ahead of
//! the main loop: a second core parses and encodes while the main loop
//! writes. Every decision that depends on earlier lines (duplicates, the
//! counter, conflicts, the manifest) stays on the main loop, in input order,
//! so the tree and the messages are the same as when one thread did it all.
//! The parsed record itself stays here too: the main loop gets plain strings
//! and bytes, and freeing the record's many small allocations on the thread
//! that made them is much cheaper than on the other one. Work done here for
//! a line the main loop then skips (a duplicate) is simply dropped, errors
//! included.

use std::io;

use dcm_core::Record;
use dicom_dictionary_std::tags;
use sha2::{Digest, Sha256};

use crate::encode::{encode, EncodeError};
use crate::manifest::Fields;
use crate::run::LineError;
use crate::template::{Place, Template};

/// A SHA-256 of a data set's compact JSON.
pub type Values = [u8; 32];

/// One parsed line with what could be worked out ahead of the main loop.
#[derive(Debug)]
pub struct Prepared {
    /// Position, ID and the manifest's columns.
    pub fields: Fields,
    /// The first StudyInstanceUID, which the duplicate rule goes by.
    pub uid: Option<String>,
    /// Stands for the data set's JSON text in the duplicate check: equal
    /// text gives an equal digest, and the run keeps 32 bytes per study
    /// instead of the text.
    pub values: Values,
    /// The record's place, but for the counter.
    pub place: Result<Place, String>,
    /// The file's bytes.
    pub bytes: Result<Vec<u8>, EncodeError>,
}

/// Prepares one line; `None` for a blank line, which is not a record.
pub fn prepare(raw: &[u8], cut: bool, template: &Template) -> Option<Result<Prepared, LineError>> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(parse(raw, cut).map(|record| Prepared {
        fields: Fields::of(&record),
        uid: record.first_str(tags::STUDY_INSTANCE_UID),
        values: values_of(&record),
        place: template.place(&record),
        bytes: encode(&record, template.format),
    }))
}

/// One line as a record; a line the input ended inside gets its own message.
fn parse(raw: &[u8], cut: bool) -> Result<Record, LineError> {
    let record = std::str::from_utf8(raw)
        .map_err(|_| LineError::NotUtf8)
        .and_then(|text| Record::from_line(text).map_err(|e| LineError::NotARecord(reason(&e))));
    match record {
        Err(LineError::NotARecord(reason)) if cut => Err(LineError::Cut(reason)),
        Err(e) if cut => Err(LineError::Cut(e.to_string())),
        other => other,
    }
}

/// serde_json's reason without its "line 1": the message already names the
/// input's line, and a record is one line, so only the column says more.
fn reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&position) {
        Some(reason) => format!("{reason} at column {}", e.column()),
        None => text,
    }
}

/// The digest of the data set's compact JSON, hashed as it is written out
/// rather than built as a string first.
fn values_of(record: &Record) -> Values {
    let mut hasher = HashWriter(Sha256::new());
    serde_json::to_writer(&mut hasher, &record.dataset).expect("JSON values serialize");
    hasher.0.finalize().into()
}

/// An `io::Write` that feeds a hash.
struct HashWriter(Sha256);

impl io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = concat!(
        r#"{"position":1,"id":"P","key":"PatientID","#,
        r#""dataset":{"0020000D":{"vr":"UI","Value":["1.2"]}}}"#
    );

    fn seed() -> Template {
        Template::from_layout("seed").unwrap()
    }

    #[test]
    fn values_digest_is_the_digest_of_the_compact_json() {
        let p = prepare(LINE.as_bytes(), false, &seed()).unwrap().unwrap();
        let text = r#"{"0020000D":{"vr":"UI","Value":["1.2"]}}"#;
        assert_eq!(p.values, <[u8; 32]>::from(Sha256::digest(text.as_bytes())));
        assert_eq!(p.uid.as_deref(), Some("1.2"));
        assert_eq!(p.fields.uid(), "1.2");
        assert_eq!(p.place.unwrap().dirs, ["1"]);
        assert!(p.bytes.is_ok());
    }

    #[test]
    fn blank_lines_are_not_records_and_cut_lines_say_so() {
        assert!(prepare(b" \t", false, &seed()).is_none());
        let cut = prepare(&LINE.as_bytes()[..20], true, &seed()).unwrap();
        assert!(matches!(cut, Err(LineError::Cut(_))));
        let bad = prepare(b"{x", false, &seed()).unwrap();
        let Err(LineError::NotARecord(reason)) = bad else {
            panic!("{bad:?}");
        };
        assert_eq!(reason, "key must be a string at column 2");
    }
}
