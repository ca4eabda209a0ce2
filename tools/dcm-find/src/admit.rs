//! Which input IDs become a query: dcm-core's rules (`id::check`), with
//! `*` and `?` let through when the user asked for wildcard matching.
//!
//! Even then an empty ID, an ID of only `*` (universal matching, PS3.4
//! C.2.2.2.4: the whole archive) and an ID with a backslash (a list of
//! values) are refused: no one asks for those by accident-proof opt-in.

use dcm_core::find::matches::Matching;
use dcm_core::id::{self, Refusal};

/// An ID cleared to be sent, and how its matches are to be checked.
#[derive(Debug, PartialEq, Eq)]
pub struct Admitted {
    /// The ID without DICOM padding.
    pub id: String,
    /// Exact, or a wildcard pattern.
    pub matching: Matching,
}

/// Checks one raw ID; the reason is the message for the failed input.
pub fn admit(raw: &str, allow_wildcards: bool) -> Result<Admitted, String> {
    match id::check(raw) {
        Ok(id) => Ok(Admitted {
            id: id.to_string(),
            matching: Matching::Exact,
        }),
        Err(Refusal::Wildcard(_)) if allow_wildcards => admit_pattern(raw),
        Err(refusal) => Err(refusal.to_string()),
    }
}

fn admit_pattern(raw: &str) -> Result<Admitted, String> {
    // The other rules (padding, backslash, control characters, length) are
    // dcm-core's: checked on the ID with its wildcards masked.
    let masked = raw.replace(['*', '?'], "x");
    id::check(&masked).map_err(|r| r.to_string())?;
    let id = id::strip_padding(raw);
    if id.trim().chars().all(|c| c == '*') {
        return Err(format!(
            "ID {id:?} refused: it would match every patient, even with --allow-wildcards"
        ));
    }
    Ok(Admitted {
        id: id.to_string(),
        matching: Matching::Wildcard,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, wildcards: bool) -> Option<(String, Matching)> {
        admit(raw, wildcards).ok().map(|a| (a.id, a.matching))
    }

    #[test]
    fn wildcards_pass_only_when_allowed() {
        assert_eq!(ok("PAT*", false), None);
        assert_eq!(ok("PAT* ", true), Some(("PAT*".into(), Matching::Wildcard)));
        assert_eq!(ok("P?T1", true), Some(("P?T1".into(), Matching::Wildcard)));
        assert_eq!(ok("PAT1", true), Some(("PAT1".into(), Matching::Exact)));
    }

    #[test]
    fn what_would_match_everything_or_a_list_is_still_refused() {
        for raw in ["", "  ", "*", "**", " * ", "A\\B*", "A*\\B", "A\t*"] {
            assert!(admit(raw, true).is_err(), "{raw:?}");
        }
        assert!(
            admit("?", true).is_ok(),
            "one character is a narrow pattern"
        );
    }
}
