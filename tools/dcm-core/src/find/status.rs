//! C-FIND response statuses: one table from code to class and meaning.
//!
//! Every decision the client takes on a response (keep reading, stop, report)
//! follows from the class, so the table is the single place that knows what a
//! code means; messages always show the code in hex next to its meaning.

use std::fmt;

/// What a status tells the requester to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// A match follows; more responses come.
    Pending,
    /// The final response: every match was sent.
    Success,
    /// The final response, with a caveat worth showing.
    Warning,
    /// The final response after a C-CANCEL: matches may be missing.
    Cancel,
    /// The final response: the query failed.
    Failure,
}

/// A DIMSE status code with what the standard says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// The code from (0000,0900).
    pub code: u16,
    /// Its class.
    pub class: StatusClass,
    /// A short meaning, lowercase, for messages.
    pub meaning: &'static str,
}

/// Exact codes first; the ranges after them follow PS3.4 C.4.1.1.4 and
/// PS3.7 Annex C. Whatever matches nothing is an unknown failure: a requester
/// must never read an unknown code as success.
const EXACT: &[(u16, StatusClass, &str)] = &[
    (0x0000, StatusClass::Success, "success"),
    (0xFF00, StatusClass::Pending, "pending: match follows"),
    (
        0xFF01,
        StatusClass::Pending,
        "pending: match follows, some optional keys not supported",
    ),
    (
        0xFE00,
        StatusClass::Cancel,
        "matching terminated due to cancel",
    ),
    (0xA700, StatusClass::Failure, "refused: out of resources"),
    (
        0xA900,
        StatusClass::Failure,
        "identifier does not match SOP class",
    ),
    (0x0122, StatusClass::Failure, "SOP class not supported"),
    (0x0110, StatusClass::Failure, "processing failure"),
    (0x0211, StatusClass::Failure, "unrecognized operation"),
    (0x0212, StatusClass::Failure, "mistyped argument"),
    (0x0124, StatusClass::Failure, "refused: not authorized"),
    (0x0001, StatusClass::Warning, "warning"),
    (0x0107, StatusClass::Warning, "attribute list error"),
    (0x0116, StatusClass::Warning, "attribute value out of range"),
];

impl Status {
    /// Classifies a status code.
    ///
    /// ```
    /// use dcm_core::find::status::{Status, StatusClass};
    /// assert_eq!(Status::from_code(0xFF01).class, StatusClass::Pending);
    /// assert_eq!(Status::from_code(0xC123).class, StatusClass::Failure);
    /// ```
    pub fn from_code(code: u16) -> Status {
        if let Some(&(code, class, meaning)) = EXACT.iter().find(|(c, _, _)| *c == code) {
            return Status {
                code,
                class,
                meaning,
            };
        }
        let (class, meaning) = match code {
            0xA700..=0xA7FF => (StatusClass::Failure, "refused: out of resources"),
            0xC000..=0xCFFF => (StatusClass::Failure, "failed: unable to process"),
            0xB000..=0xBFFF => (StatusClass::Warning, "warning"),
            _ => (StatusClass::Failure, "unknown status"),
        };
        Status {
            code,
            class,
            meaning,
        }
    }

    /// Whether this response ends the C-FIND.
    pub fn is_final(&self) -> bool {
        self.class != StatusClass::Pending
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "status {:04X}H ({})", self.code, self.meaning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_of_the_standard_is_recognised() {
        let cases = [
            (0x0000, StatusClass::Success),
            (0xFF00, StatusClass::Pending),
            (0xFF01, StatusClass::Pending),
            (0xFE00, StatusClass::Cancel),
            (0xA700, StatusClass::Failure),
            (0xA7FF, StatusClass::Failure),
            (0xA900, StatusClass::Failure),
            (0xC000, StatusClass::Failure),
            (0xCFFF, StatusClass::Failure),
            (0xB007, StatusClass::Warning),
            (0x0122, StatusClass::Failure),
        ];
        for (code, class) in cases {
            assert_eq!(Status::from_code(code).class, class, "{code:04X}");
        }
    }

    #[test]
    fn unknown_codes_are_failures_never_success() {
        let s = Status::from_code(0x1234);
        assert_eq!(s.class, StatusClass::Failure);
        assert!(s.is_final());
    }

    #[test]
    fn messages_show_the_code_in_hex() {
        assert_eq!(
            Status::from_code(0xA900).to_string(),
            "status A900H (identifier does not match SOP class)"
        );
        assert!(!Status::from_code(0xFF00).is_final());
    }
}
