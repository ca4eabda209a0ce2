//! Which input values may become a C-FIND matching key.
//!
//! DICOM has no escape for its wildcards (`*`, `?`) nor for the value separator
//! (`\`), and an empty key matches everything: an ID with any of them would
//! query other patients, or the whole archive. Such IDs are refused before any
//! network traffic, as is anything longer than an LO value can hold.

use std::fmt;

/// The most characters a PatientID (VR LO) may hold.
pub const MAX_ID_CHARS: usize = 64;

/// Why an ID is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing left after DICOM padding is removed: would match every patient.
    Empty,
    /// Holds `*` or `?`, which the PACS would treat as a wildcard.
    Wildcard(char),
    /// Holds `\`, the DICOM value separator: would be a list of IDs.
    Backslash,
    /// Holds a control character (tab, escape, NUL, ...).
    Control(char),
    /// Longer than a DICOM LO value may be.
    TooLong(usize),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Empty => write!(f, "empty ID refused: it would match every patient"),
            Refusal::Wildcard(c) => {
                write!(
                    f,
                    "ID with wildcard {c:?} refused: it would match other patients"
                )
            }
            Refusal::Backslash => {
                write!(
                    f,
                    "ID with a backslash refused: DICOM reads it as several values"
                )
            }
            // By code point: the messages escape backslashes, so a Rust
            // escape such as '\t' would show doubled.
            Refusal::Control(c) => {
                write!(
                    f,
                    "ID with control character U+{:04X} refused",
                    u32::from(*c)
                )
            }
            Refusal::TooLong(n) => {
                write!(
                    f,
                    "ID of {n} characters refused: at most {MAX_ID_CHARS} are allowed"
                )
            }
        }
    }
}

/// Removes DICOM padding: trailing spaces and NUL bytes.
///
/// ```
/// assert_eq!(dcm_core::id::strip_padding("PAT01 \0"), "PAT01");
/// ```
pub fn strip_padding(value: &str) -> &str {
    value.trim_end_matches([' ', '\0'])
}

/// Checks that `raw` (padding allowed) is safe as an exact matching key and
/// returns it without padding.
///
/// ```
/// use dcm_core::id::{check, Refusal};
/// assert_eq!(check("PAT01 "), Ok("PAT01"));
/// assert_eq!(check("  "), Err(Refusal::Empty));
/// assert_eq!(check("PAT*"), Err(Refusal::Wildcard('*')));
/// ```
pub fn check(raw: &str) -> Result<&str, Refusal> {
    let id = strip_padding(raw);
    if id.trim().is_empty() {
        return Err(Refusal::Empty);
    }
    for c in id.chars() {
        match c {
            '*' | '?' => return Err(Refusal::Wildcard(c)),
            '\\' => return Err(Refusal::Backslash),
            c if c.is_control() => return Err(Refusal::Control(c)),
            _ => {}
        }
    }
    let n = id.chars().count();
    if n > MAX_ID_CHARS {
        return Err(Refusal::TooLong(n));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_would_widen_the_query() {
        assert_eq!(check(""), Err(Refusal::Empty));
        assert_eq!(check(" \0 "), Err(Refusal::Empty));
        assert_eq!(check("a?b"), Err(Refusal::Wildcard('?')));
        assert_eq!(check("a\\b"), Err(Refusal::Backslash));
        assert_eq!(check("a\tb"), Err(Refusal::Control('\t')));
        let reason = Refusal::Control('\t').to_string();
        assert_eq!(reason, "ID with control character U+0009 refused");
        assert_eq!(check(&"x".repeat(65)), Err(Refusal::TooLong(65)));
    }

    #[test]
    fn keeps_ordinary_ids_exactly() {
        assert_eq!(check("0012345"), Ok("0012345"));
        assert_eq!(check("AB 12-3"), Ok("AB 12-3"));
        assert_eq!(check("Dvořák"), Ok("Dvořák"));
        assert_eq!(check(&"x".repeat(64)).map(str::len), Ok(64));
    }

    #[test]
    fn checking_twice_changes_nothing() {
        for raw in ["PAT1  ", "a b\0", "ü "] {
            let once = check(raw).unwrap();
            assert_eq!(check(once), Ok(once));
        }
    }
}
