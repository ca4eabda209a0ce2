//! What to keep of an answer: only exact matches, each once, in the order
//! of the level's unique key (design.md section 2).
//!
//! Some PACS match case-insensitively, by prefix, or ignore a key they do not
//! index; a record for another patient would be silently wrong, so every
//! match is checked against the asked value here.

use dicom_core::Tag;

use crate::id::strip_padding;
use crate::record::Record;

/// The records of one ID after checking.
#[derive(Debug, Default, PartialEq)]
pub struct Sifted {
    /// Exact matches, once each, ordered by the unique key.
    pub kept: Vec<Record>,
    /// The matching-key values of matches dropped as not exact (`None`:
    /// the match lacked the key).
    pub not_exact: Vec<Option<String>>,
    /// How many identical matches were dropped.
    pub duplicates: usize,
}

/// How the value a match carries is compared with the asked one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Equal after DICOM padding is removed.
    Exact,
    /// The asked value is a pattern: `*` any run of characters, `?` one.
    Wildcard,
}

impl Matching {
    /// Whether a match's value (padding allowed) answers the asked value.
    ///
    /// ```
    /// use dcm_core::find::matches::Matching;
    /// assert!(Matching::Wildcard.accepts("PAT*1?", "PAT0012 "));
    /// assert!(!Matching::Exact.accepts("PAT*", "PAT1"));
    /// ```
    pub fn accepts(self, asked: &str, value: &str) -> bool {
        let value = strip_padding(value);
        match self {
            Matching::Exact => value == asked,
            Matching::Wildcard => wildcard_match(asked, value),
        }
    }
}

/// DICOM wildcard matching (PS3.4 C.2.2.2.4), case-sensitive: `*` matches
/// any run of characters, the empty one included, `?` exactly one.
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    // Greedy with backtracking to the last `*`: linear in practice, and
    // never exponential, whatever the pattern.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < v.len() {
        if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && (p[i] == '?' || p[i] == v[j]) {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// Checks, de-duplicates and orders the records of one ID.
///
/// `key` is the matching attribute, `asked` the value sent, `unique` the
/// level's unique key.
pub fn sift(
    records: Vec<Record>,
    key: Tag,
    asked: &str,
    matching: Matching,
    unique: Tag,
) -> Sifted {
    let mut sifted = Sifted::default();
    let mut kept = Vec::with_capacity(records.len());
    for record in records {
        let value = record.first_str(key);
        if value.as_deref().is_some_and(|v| matching.accepts(asked, v)) {
            kept.push(record);
        } else {
            sifted.not_exact.push(value);
        }
    }
    // The JSON text breaks ties, so two matches with one unique key (a PACS
    // bug) still come out in the same order every run.
    let mut keyed: Vec<(String, String, Record)> = kept
        .into_iter()
        .map(|r| {
            let uid = r.first_str(unique).unwrap_or_default();
            let text = serde_json::to_string(&r.dataset).unwrap_or_default();
            (uid, text, r)
        })
        .collect();
    keyed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let before = keyed.len();
    keyed.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    sifted.duplicates = before - keyed.len();
    sifted.kept = keyed.into_iter().map(|(_, _, r)| r).collect();
    sifted
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_dictionary_std::tags;
    use serde_json::json;

    fn rec(pid: &str, uid: &str) -> Record {
        let line = json!({"position": 0, "id": "P1", "key": "PatientID", "dataset": {
            "00100020": {"vr": "LO", "Value": [pid]},
            "0020000D": {"vr": "UI", "Value": [uid]},
        }});
        Record::from_line(&line.to_string()).unwrap()
    }

    fn sift_p1(records: Vec<Record>) -> Sifted {
        sift(
            records,
            tags::PATIENT_ID,
            "P1",
            Matching::Exact,
            tags::STUDY_INSTANCE_UID,
        )
    }

    #[test]
    fn wildcards_follow_dicom_semantics() {
        let cases = [
            ("PAT*", "PAT", true),
            ("PAT*", "PAT0001", true),
            ("PAT?", "PAT", false),
            ("PAT?", "PAT1", true),
            ("*1", "PAT0011", true),
            ("*1*2", "a1b1c2", true),
            ("*1*2", "a1b1c3", false),
            ("P*T*1", "PAT0001", true),
            ("pat*", "PAT1", false),
            ("Dvo?ák*", "Dvořák^A", true),
        ];
        for (pattern, value, want) in cases {
            assert_eq!(wildcard_match(pattern, value), want, "{pattern} {value}");
        }
    }

    #[test]
    fn wildcard_sift_keeps_every_matching_patient() {
        let records = vec![rec("P1", "1.2"), rec("P12", "1.3"), rec("Q1", "1.4")];
        let s = sift(
            records,
            tags::PATIENT_ID,
            "P1*",
            Matching::Wildcard,
            tags::STUDY_INSTANCE_UID,
        );
        assert_eq!(s.kept.len(), 2);
        assert_eq!(s.not_exact, [Some("Q1".into())]);
    }

    #[test]
    fn only_exact_matches_are_kept() {
        let s = sift_p1(vec![rec("P1", "1.2"), rec("p1", "1.3"), rec("P10", "1.4")]);
        assert_eq!(s.kept.len(), 1);
        assert_eq!(s.not_exact, [Some("p1".into()), Some("P10".into())]);
    }

    #[test]
    fn padding_does_not_make_a_match_inexact() {
        assert_eq!(sift_p1(vec![rec("P1 ", "1.2")]).kept.len(), 1);
    }

    #[test]
    fn records_are_ordered_by_unique_key_and_kept_once() {
        let s = sift_p1(vec![rec("P1", "1.3"), rec("P1", "1.2"), rec("P1", "1.3")]);
        let uids: Vec<_> = s
            .kept
            .iter()
            .map(|r| r.first_str(tags::STUDY_INSTANCE_UID).unwrap())
            .collect();
        assert_eq!(uids, ["1.2", "1.3"]);
        assert_eq!(s.duplicates, 1);
    }

    #[test]
    fn a_match_without_the_key_is_dropped() {
        let line = r#"{"position":0,"id":"P1","key":"PatientID","dataset":{}}"#;
        let s = sift_p1(vec![Record::from_line(line).unwrap()]);
        assert!(s.kept.is_empty());
        assert_eq!(s.not_exact, [None]);
    }
}
