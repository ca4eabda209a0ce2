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

/// Checks, de-duplicates and orders the records of one ID.
///
/// `key` is the matching attribute, `asked` the value sent, `unique` the
/// level's unique key.
pub fn sift(records: Vec<Record>, key: Tag, asked: &str, unique: Tag) -> Sifted {
    let mut sifted = Sifted::default();
    let mut kept = Vec::with_capacity(records.len());
    for record in records {
        let value = record.first_str(key);
        if value.as_deref().map(strip_padding) == Some(asked) {
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
        sift(records, tags::PATIENT_ID, "P1", tags::STUDY_INSTANCE_UID)
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
