//! What to ask: the query model, the level and the keys of a C-FIND, and the
//! identifier built from them for one input value.
//!
//! Kept apart from how a query travels (association.rs) so that a later
//! planner can choose between one query per ID and an archive listing
//! (design.md section 9) without touching the network code.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use crate::tag::{self, Attribute};

/// The information model, which fixes the SOP class of the C-FIND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Model {
    /// Study Root Query/Retrieve Information Model - FIND.
    #[default]
    Study,
    /// Patient Root Query/Retrieve Information Model - FIND.
    Patient,
}

impl Model {
    /// The SOP class UID negotiated and sent in the request.
    pub fn sop_class_uid(self) -> &'static str {
        match self {
            Model::Study => "1.2.840.10008.5.1.4.1.2.2.1",
            Model::Patient => "1.2.840.10008.5.1.4.1.2.1.1",
        }
    }

    /// The model's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Model::Study => "Study Root",
            Model::Patient => "Patient Root",
        }
    }
}

/// The Query/Retrieve level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// PATIENT
    Patient,
    /// STUDY
    #[default]
    Study,
    /// SERIES
    Series,
    /// IMAGE
    Image,
}

impl Level {
    /// The value of (0008,0052) QueryRetrieveLevel.
    pub fn code(self) -> &'static str {
        match self {
            Level::Patient => "PATIENT",
            Level::Study => "STUDY",
            Level::Series => "SERIES",
            Level::Image => "IMAGE",
        }
    }

    /// The unique key of the level, by which records are ordered.
    pub fn unique_key(self) -> Tag {
        match self {
            Level::Patient => tags::PATIENT_ID,
            Level::Study => tags::STUDY_INSTANCE_UID,
            Level::Series => tags::SERIES_INSTANCE_UID,
            Level::Image => tags::SOP_INSTANCE_UID,
        }
    }
}

/// The return keys of the old job (design.md section 4), without PatientID,
/// which is the matching key by default.
pub const SEED_RETURN_KEYS: &[Tag] = &[
    tags::PATIENT_NAME,
    tags::STUDY_INSTANCE_UID,
    tags::NUMBER_OF_STUDY_RELATED_SERIES,
    tags::NUMBER_OF_STUDY_RELATED_INSTANCES,
    tags::STUDY_DESCRIPTION,
    tags::INSTITUTION_NAME,
    tags::REFERRING_PHYSICIAN_NAME,
    tags::STUDY_DATE,
    tags::STUDY_TIME,
    tags::MODALITIES_IN_STUDY,
    tags::ACCESSION_NUMBER,
    tags::STUDY_ID,
    tags::SPECIFIC_CHARACTER_SET,
];

/// One kind of query, filled with a different value per input ID.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Information model.
    pub model: Model,
    /// Query/Retrieve level.
    pub level: Level,
    /// The attribute the input value fills.
    pub match_key: Attribute,
    /// Keys asked back, sent zero-length.
    pub return_keys: Vec<Attribute>,
    /// Fixed matching keys with their values (a date range, a modality).
    pub filters: Vec<(Attribute, String)>,
}

impl Default for Query {
    /// The old job's query: Study Root, STUDY level, PatientID, seed keys.
    fn default() -> Query {
        let attr = |tag| Attribute {
            tag,
            vr: tag::vr_of(tag),
        };
        Query {
            model: Model::Study,
            level: Level::Study,
            match_key: attr(tags::PATIENT_ID),
            return_keys: SEED_RETURN_KEYS.iter().map(|&t| attr(t)).collect(),
            filters: Vec::new(),
        }
    }
}

impl Query {
    /// The keyword of the matching key, as written in records.
    pub fn key_name(&self) -> String {
        self.match_key.name()
    }

    /// The identifier for one input value (already checked as safe).
    ///
    /// ```
    /// use dcm_core::find::query::Query;
    /// use dicom_dictionary_std::tags;
    /// let id = Query::default().identifier("PAT01");
    /// assert_eq!(id.element(tags::PATIENT_ID).unwrap().to_str().unwrap(), "PAT01");
    /// ```
    pub fn identifier(&self, value: &str) -> InMemDicomObject {
        let mut obj = InMemDicomObject::new_empty();
        let level = tags::QUERY_RETRIEVE_LEVEL;
        obj.put(DataElement::new(level, VR::CS, self.level.code()));
        let unique = self.level.unique_key();
        for attr in self.return_keys.iter().chain([&Attribute {
            tag: unique,
            vr: tag::vr_of(unique),
        }]) {
            obj.put(DataElement::new(attr.tag, attr.vr, PrimitiveValue::Empty));
        }
        let mut ascii = value.is_ascii();
        for (attr, v) in &self.filters {
            ascii &= v.is_ascii();
            obj.put(DataElement::new(attr.tag, attr.vr, v.as_str()));
        }
        obj.put(DataElement::new(
            self.match_key.tag,
            self.match_key.vr,
            value,
        ));
        // The PACS must know how our key is encoded; UTF-8 is the one set
        // that holds every value the ID stream (UTF-8) can carry.
        let charset = if ascii {
            PrimitiveValue::Empty
        } else {
            PrimitiveValue::from("ISO_IR 192")
        };
        obj.put(DataElement::new(
            tags::SPECIFIC_CHARACTER_SET,
            VR::CS,
            charset,
        ));
        obj
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(obj: &InMemDicomObject, tag: Tag) -> String {
        obj.element(tag).unwrap().to_str().unwrap().to_string()
    }

    #[test]
    fn seed_query_asks_every_seed_key_zero_length() {
        let obj = Query::default().identifier("12345678");
        assert_eq!(text(&obj, tags::QUERY_RETRIEVE_LEVEL), "STUDY");
        assert_eq!(text(&obj, tags::PATIENT_ID), "12345678");
        for &tag in SEED_RETURN_KEYS {
            let e = obj.element(tag).unwrap();
            assert_eq!(e.value().primitive(), Some(&PrimitiveValue::Empty), "{tag}");
        }
        assert_eq!(obj.iter().count(), SEED_RETURN_KEYS.len() + 2);
    }

    #[test]
    fn non_ascii_key_declares_utf8() {
        let obj = Query::default().identifier("Dvořák");
        assert_eq!(text(&obj, tags::SPECIFIC_CHARACTER_SET), "ISO_IR 192");
        assert_eq!(text(&obj, tags::PATIENT_ID), "Dvořák");
    }

    #[test]
    fn filters_and_level_unique_key_are_included() {
        let mut q = Query {
            level: Level::Series,
            ..Query::default()
        };
        let date = tag::parse("StudyDate").unwrap();
        q.filters.push((date, "20200101-20201231".into()));
        let obj = q.identifier("A");
        assert_eq!(text(&obj, tags::STUDY_DATE), "20200101-20201231");
        assert_eq!(text(&obj, tags::QUERY_RETRIEVE_LEVEL), "SERIES");
        assert!(obj.element(tags::SERIES_INSTANCE_UID).is_ok());
    }
}
