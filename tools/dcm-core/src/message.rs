//! The one message style of the tools: `TOOL: SUBJECT: REASON`, one line each.
//!
//! Subjects and reasons often carry values from files or from the PACS, so
//! control characters are escaped here: one failure always stays one line.

use std::fmt::Write as _;

use serde_json::Map;

use crate::logging::{self, Kind};

/// Escapes control characters, the bidirectional controls that can turn a
/// terminal line around, and backslashes (so the escaping is unambiguous),
/// the way Rust's `escape_debug` does, leaving other Unicode as is.
///
/// ```
/// assert_eq!(dcm_core::message::escape("a\nb"), "a\\nb");
/// assert_eq!(dcm_core::message::escape("Müller"), "Müller");
/// assert_eq!(dcm_core::message::escape("a\u{202e}b"), "a\\u{202e}b");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_bidi_control(c) || c == '\\' {
            let _ = write!(out, "{}", c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// The marks that reorder text (Unicode's bidirectional embeddings,
/// overrides, isolates and marks): shown raw, a hostile ID could make a
/// message read as another.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A subject longer than this many characters is cut in text messages:
/// Linux's longest path, so only values no file name can be (an ID of a
/// megabyte from a broken export) are cut.
const SUBJECT_CHARS: usize = 4096;

/// How much of a cut subject is shown.
const SHOWN_CHARS: usize = 200;

/// The subject as a text line shows it: an over-long one (an ID of a
/// megabyte is one bad input, not a screenful) is cut, with its length
/// said; the full value stays in the `--failed` list and the JSON field.
fn shown(subject: &str) -> String {
    let chars = subject.chars().count();
    if chars <= SUBJECT_CHARS {
        return escape(subject);
    }
    let head: String = subject.chars().take(SHOWN_CHARS).collect();
    format!("{}... ({chars} characters)", escape(&head))
}

/// Formats one message line (without the newline).
pub fn line(tool: &str, subject: &str, reason: &str) -> String {
    format!("{tool}: {}: {}", shown(subject), escape(reason))
}

/// Writes one failed input's line to stderr, whatever the log level: these
/// lines are the per-input failure report that users grep for. With
/// `--log-format json` the subject and reason are also fields of their own.
pub fn report(tool: &str, subject: &str, reason: &str) {
    let mut fields = Map::new();
    fields.insert("subject".into(), subject.into());
    fields.insert("reason".into(), reason.into());
    let text = format!("{}: {}", shown(subject), escape(reason));
    logging::emit(tool, Kind::Failed, &text, fields);
}

/// Writes an error that stops the run (or a usage error found after parsing)
/// to stderr, whatever the log level.
pub fn error(tool: &str, text: &str) {
    logging::emit(tool, Kind::Error, &escape(text), Map::new());
}

/// Writes the run's one summary line to stderr, unless `-q` was given. With
/// `--log-format json` its counts are also an object of their own.
pub fn summary(tool: &str, text: &str) {
    logging::emit(tool, Kind::Summary, &escape(text), Map::new());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_failure_is_one_line() {
        let l = line("dcm-find", "a\r\nb\0", "bad\tid");
        assert!(!l.contains('\n') && !l.contains('\r') && !l.contains('\0'));
        assert_eq!(l, "dcm-find: a\\r\\nb\\0: bad\\tid");
    }

    #[test]
    fn long_subjects_are_cut_and_say_their_length() {
        let path = "x".repeat(SUBJECT_CHARS);
        assert_eq!(line("t", &path, "r"), format!("t: {path}: r"));
        let l = line("t", &"é".repeat(SUBJECT_CHARS + 1), "r");
        let head = "é".repeat(SHOWN_CHARS);
        assert_eq!(
            l,
            format!("t: {head}... ({} characters): r", SUBJECT_CHARS + 1)
        );
    }

    #[test]
    fn bidi_overrides_are_escaped() {
        assert_eq!(
            escape("\u{202e}gnp.exe\u{2066}"),
            "\\u{202e}gnp.exe\\u{2066}"
        );
    }

    #[test]
    fn backslash_is_escaped_so_escaping_is_unambiguous() {
        assert_eq!(escape("a\\n"), "a\\\\n");
    }
}
