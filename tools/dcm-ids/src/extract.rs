//! One file in, one outcome out: its ID, nothing to give (and why), or a
//! failure (and why). Every file the walk finds ends in exactly one of these.

use std::fs::File;
use std::path::Path;

use dcm_core::charset::Charset;
use dcm_core::id::strip_padding;
use dcm_core::tag::Attribute;

use crate::header::{scan, Scan, ScanError};

/// What one file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The value, decoded and stripped of padding; warnings to print.
    Id {
        value: String,
        warnings: Vec<String>,
    },
    /// Nothing to give: not DICOM, a DICOMDIR, no or empty attribute.
    Nothing(String),
    /// The file could not be read, or is damaged before the attribute.
    Failed(String),
}

/// Reads the attribute from the file at `path`.
pub fn extract(path: &Path, attribute: &Attribute) -> Outcome {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return Outcome::Failed(format!("cannot open: {}", io_reason(&e))),
    };
    match scan(file, attribute.tag) {
        Ok(Scan::Found { value, charset }) => decode(&value, charset.as_deref(), attribute),
        Ok(Scan::Absent) => Outcome::Nothing(format!("no {}", attribute.name())),
        Ok(Scan::DicomDir) => Outcome::Nothing("DICOMDIR skipped".into()),
        Ok(Scan::NotDicom) => Outcome::Nothing("not a DICOM file".into()),
        Err(ScanError::Truncated) => Outcome::Failed(format!(
            "file ends before {} (truncated?)",
            attribute.name()
        )),
        Err(ScanError::Malformed(why)) => Outcome::Failed(format!("damaged: {why}")),
        Err(ScanError::Io(e)) => Outcome::Failed(format!("cannot read: {}", io_reason(&e))),
    }
}

/// Decodes a raw value. A value with several parts (`A\B`) gives its first
/// non-empty part: one ID per file, with a warning naming the others.
pub fn decode(raw: &[u8], charset: Option<&[u8]>, attribute: &Attribute) -> Outcome {
    let mut warnings = Vec::new();
    let cs = match charset {
        Some(bytes) => {
            let cs = Charset::from_value(strip_padding(&String::from_utf8_lossy(bytes)));
            for term in cs.unknown_terms() {
                warnings.push(format!("unknown character set {term:?}, read as ASCII"));
            }
            cs
        }
        None => Charset::default(),
    };
    let text = cs.decode(raw);
    let parts: Vec<&str> = text
        .split('\\')
        .map(|p| strip_padding(p).trim_start())
        .collect();
    let Some(first) = parts.iter().find(|p| !p.is_empty()) else {
        return Outcome::Nothing(format!("empty {}", attribute.name()));
    };
    // No text VR allows control characters; one in an ID would split or
    // merge lines of the ID stream downstream.
    if first.chars().any(char::is_control) {
        let why = format!("{} {first} holds a control character", attribute.name());
        return Outcome::Nothing(why);
    }
    if parts.len() > 1 {
        warnings.push(format!(
            "{} has {} values, taking the first non-empty one {first:?}",
            attribute.name(),
            parts.len()
        ));
    }
    Outcome::Id {
        value: first.to_string(),
        warnings,
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file".into(),
        _ => e.to_string().to_lowercase(),
    }
}
