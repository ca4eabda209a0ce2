//! The one message style of the tools: `TOOL: SUBJECT: REASON`, one line each.
//!
//! Subjects and reasons often carry values from files or from the PACS, so
//! control characters are escaped here: one failure always stays one line.

use std::fmt::Write as _;

use serde_json::Map;

use crate::logging::{self, Kind};

/// Escapes control characters (and backslashes, so the escaping is
/// unambiguous) the way Rust's `escape_debug` does, leaving other Unicode as is.
///
/// ```
/// assert_eq!(dcm_core::message::escape("a\nb"), "a\\nb");
/// assert_eq!(dcm_core::message::escape("Müller"), "Müller");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || c == '\\' {
            let _ = write!(out, "{}", c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// Formats one message line (without the newline).
pub fn line(tool: &str, subject: &str, reason: &str) -> String {
    format!("{tool}: {}: {}", escape(subject), escape(reason))
}

/// Writes one failed input's line to stderr, whatever the log level: these
/// lines are the per-input failure report that users grep for. With
/// `--log-format json` the subject and reason are also fields of their own.
pub fn report(tool: &str, subject: &str, reason: &str) {
    let mut fields = Map::new();
    fields.insert("subject".into(), subject.into());
    fields.insert("reason".into(), reason.into());
    let text = format!("{}: {}", escape(subject), escape(reason));
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
    fn backslash_is_escaped_so_escaping_is_unambiguous() {
        assert_eq!(escape("a\\n"), "a\\\\n");
    }
}
