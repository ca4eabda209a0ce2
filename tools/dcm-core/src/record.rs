//! The record stream between `dcm-find` and `dcm-lay` (design.md, section 2).
//!
//! One compact JSON object per line and per C-FIND match:
//!
//! ```text
//! {"position":17,"id":"12345678","key":"PatientID","dataset":{"00100020":{"vr":"LO","Value":["12345678"]}}}
//! ```
//!
//! `position` and `id` come from the input line, `key` is the keyword of the
//! attribute the ID was matched on, and `dataset` is the match in the DICOM
//! JSON model (PS3.18 Annex F), so no value, VR or character is lost. Keys that
//! later versions add are kept when a record is read and written again.

use dicom_core::Tag;
use dicom_object::InMemDicomObject;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::tag::json_key;

/// One C-FIND match of one input ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// 0-based place of the ID in the full input list.
    pub position: u64,
    /// The ID as it was asked for.
    pub id: String,
    /// Keyword of the matching attribute (`PatientID` by default).
    pub key: String,
    /// The match, in the DICOM JSON model.
    pub dataset: Map<String, Value>,
    /// Keys this version does not know, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Record {
    /// Builds a record from a decoded C-FIND identifier.
    pub fn from_object(
        position: u64,
        id: &str,
        key: &str,
        object: &InMemDicomObject,
    ) -> Result<Record, serde_json::Error> {
        let dataset = match serde_json::to_value(dicom_json::DicomJson::from(object))? {
            Value::Object(map) => map,
            other => unreachable!("DICOM JSON of a data set is an object, got {other}"),
        };
        Ok(Record {
            position,
            id: id.into(),
            key: key.into(),
            dataset,
            extra: Map::new(),
        })
    }

    /// Turns the dataset back into a DICOM object.
    pub fn to_object(&self) -> Result<InMemDicomObject, serde_json::Error> {
        dicom_json::from_value(Value::Object(self.dataset.clone()))
    }

    /// Parses one line of the record stream.
    pub fn from_line(line: &str) -> Result<Record, serde_json::Error> {
        serde_json::from_str(line)
    }

    /// Serializes as one compact line, without the newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a record of JSON values always serializes")
    }

    /// The first value of an attribute as text: strings as they are, person
    /// names by their alphabetic group, numbers in their JSON form.
    pub fn first_str(&self, tag: Tag) -> Option<String> {
        let value = self.dataset.get(&json_key(tag))?.get("Value")?.get(0)?;
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Object(pn) => pn.get("Alphabetic")?.as_str().map(str::to_string),
            _ => None,
        }
    }

    /// All values of an attribute as text (see [`Record::first_str`]).
    pub fn all_str(&self, tag: Tag) -> Vec<String> {
        let Some(Value::Array(values)) = self
            .dataset
            .get(&json_key(tag))
            .and_then(|e| e.get("Value"))
        else {
            return Vec::new();
        };
        values
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Object(pn) => pn.get("Alphabetic")?.as_str().map(str::to_string),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;

    fn sample() -> InMemDicomObject {
        InMemDicomObject::from_element_iter([
            DataElement::new(tags::PATIENT_ID, VR::LO, PrimitiveValue::from("12345678")),
            DataElement::new(
                tags::PATIENT_NAME,
                VR::PN,
                PrimitiveValue::from("Müller^Åse"),
            ),
            DataElement::new(tags::MODALITIES_IN_STUDY, VR::CS, {
                PrimitiveValue::Strs(["CT".to_string(), "MR".to_string()].into())
            }),
            DataElement::new(tags::NUMBER_OF_STUDY_RELATED_SERIES, VR::IS, "2"),
            DataElement::new(tags::STUDY_DESCRIPTION, VR::LO, PrimitiveValue::Empty),
        ])
    }

    #[test]
    fn record_line_matches_the_documented_shape() {
        let r = Record::from_object(17, "12345678", "PatientID", &sample()).unwrap();
        let v: Value = serde_json::from_str(&r.to_line()).unwrap();
        assert_eq!(v["position"], 17);
        assert_eq!(v["key"], "PatientID");
        assert_eq!(
            v["dataset"]["00100010"]["Value"][0]["Alphabetic"],
            "Müller^Åse"
        );
        assert_eq!(v["dataset"]["00080061"]["Value"][1], "MR");
        assert_eq!(v["dataset"]["00081030"]["vr"], "LO");
        assert!(v["dataset"]["00081030"].get("Value").is_none());
    }

    #[test]
    fn record_survives_write_then_read_and_back_to_dicom() {
        let r = Record::from_object(3, "12345678", "PatientID", &sample()).unwrap();
        let back = Record::from_line(&r.to_line()).unwrap();
        assert_eq!(back, r);
        let obj = back.to_object().unwrap();
        let name = obj.element(tags::PATIENT_NAME).unwrap().to_str().unwrap();
        assert_eq!(name, "Müller^Åse");
        assert_eq!(back.all_str(tags::MODALITIES_IN_STUDY), ["CT", "MR"]);
        assert_eq!(
            back.first_str(tags::PATIENT_NAME).as_deref(),
            Some("Müller^Åse")
        );
    }

    #[test]
    fn unknown_keys_are_kept() {
        let line = r#"{"position":0,"id":"A","key":"PatientID","dataset":{},"note":"x"}"#;
        let r = Record::from_line(line).unwrap();
        assert_eq!(r.extra["note"], "x");
        assert!(r.to_line().contains(r#""note":"x""#));
    }
}
