//! The bytes of one output file: a DICOM Part 10 file or DICOM JSON.
//!
//! Its own unit because the bytes must be deterministic (the same record gives
//! the same bytes, so a rerun can skip identical files byte for byte): no
//! time stamps, no random UIDs, fixed implementation identity.
//!
//! Part 10 choices follow what DCMTK's `findscu -X` writes for a C-FIND
//! response, so the old job's readers see the same kind of file: preamble of
//! zeros, `DICM`, a meta group in explicit VR little endian, Media Storage SOP
//! Class UID `1.2.276.0.7230010.3.1.0.1` (DCMTK's "private generic file", what
//! findscu uses since a response has no SOP class), and the data set in
//! explicit VR little endian. Where findscu makes a random Media Storage SOP
//! Instance UID, we derive a UUID-based one (`2.25.…`, PS3.5 B.2) from a hash
//! of the encoded data set.

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_json::DicomJson;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::template::Format;
use dcm_core::Record;

/// DCMTK's "private generic file" SOP class, as `findscu -X` writes it.
pub const MEDIA_STORAGE_SOP_CLASS: &str = "1.2.276.0.7230010.3.1.0.1";

/// Our implementation class UID (a fixed UUID-derived UID).
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.178858740361314773499886778539212045982";

/// Tied to the file layout, not to the crate version: a new release that
/// writes the same bytes must not turn a rerun into "different content".
pub const IMPLEMENTATION_VERSION_NAME: &str = "DCM_LAY_1";

/// Why a record could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("dataset is not valid DICOM JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("encoding the data set: {0}")]
    Dataset(String),
    #[error("building the meta header: {0}")]
    Meta(String),
}

/// The file's bytes for a record, in the given format.
pub fn encode(record: &Record, format: Format) -> Result<Vec<u8>, EncodeError> {
    match format {
        Format::Dicom => part10(record),
        Format::Json => json(&record.dataset),
    }
}

/// The data set in the DICOM JSON model, pretty-printed, as dcm2json shows it.
fn json(dataset: &Map<String, Value>) -> Result<Vec<u8>, EncodeError> {
    let mut bytes = serde_json::to_vec_pretty(dataset)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A DICOM Part 10 file (see the module doc).
///
/// Text: record values are Unicode. When any of them is not ASCII, the file
/// declares Specific Character Set `ISO_IR 192` (UTF-8), replacing the
/// record's own declaration, because dicom-rs encodes text by the declared
/// set and UTF-8 holds every value; an all-ASCII record keeps its declaration,
/// which reads the same bytes back the same way.
///
/// The data set is encoded directly (`part10`) when its shape allows, and
/// through a dicom-rs object otherwise; both give the same bytes.
fn part10(record: &Record) -> Result<Vec<u8>, EncodeError> {
    let utf8 = has_non_ascii(&record.dataset);
    let dataset = match crate::part10::dataset(&record.dataset, utf8) {
        Some(bytes) => bytes,
        None => dicom_rs_dataset(&record.dataset, utf8)?,
    };
    file(&dataset)
}

/// The data set encoded through a dicom-rs object: every shape dicom-json
/// reads, for what the direct encoder (`part10`) leaves out.
pub(crate) fn dicom_rs_dataset(
    map: &Map<String, Value>,
    utf8: bool,
) -> Result<Vec<u8>, EncodeError> {
    // Read from the record's map in place: `Record::to_object` would copy
    // the whole data set first.
    let mut object = DicomJson::<InMemDicomObject>::deserialize(map)?.into_inner();
    if utf8 {
        let utf8 = PrimitiveValue::from("ISO_IR 192");
        object.put(DataElement::new(tags::SPECIFIC_CHARACTER_SET, VR::CS, utf8));
    }
    let mut dataset = Vec::new();
    object
        .write_dataset_with_ts(&mut dataset, &EXPLICIT_VR_LITTLE_ENDIAN.erased())
        .map_err(|e| EncodeError::Dataset(e.to_string()))?;
    Ok(dataset)
}

/// Preamble, meta group and the encoded data set.
fn file(dataset: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let meta = crate::part10::meta(
        meta_uids(&uid_from_bytes(dataset)),
        IMPLEMENTATION_VERSION_NAME,
    );
    let mut out = Vec::with_capacity(132 + meta.len() + dataset.len());
    out.extend_from_slice(&[0u8; 128]);
    out.extend_from_slice(b"DICM");
    out.extend_from_slice(&meta);
    out.extend_from_slice(dataset);
    Ok(out)
}

/// The meta group's UIDs, in `part10::meta`'s order, for an instance UID.
fn meta_uids(instance: &str) -> [&str; 4] {
    [
        MEDIA_STORAGE_SOP_CLASS,
        instance,
        uids::EXPLICIT_VR_LITTLE_ENDIAN,
        IMPLEMENTATION_CLASS_UID,
    ]
}

/// True when any string in the JSON tree is not ASCII.
pub(crate) fn has_non_ascii(dataset: &Map<String, Value>) -> bool {
    fn walk(v: &Value) -> bool {
        match v {
            Value::String(s) => !s.is_ascii(),
            Value::Array(a) => a.iter().any(walk),
            Value::Object(o) => o.values().any(walk),
            _ => false,
        }
    }
    dataset.values().any(walk)
}

/// A `2.25.` UID from a name-based (version 8) UUID of the content's hash.
fn uid_from_bytes(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(&hash[..16]);
    uuid[6] = (uuid[6] & 0x0F) | 0x80; // version 8: custom
    uuid[8] = (uuid[8] & 0x3F) | 0x80; // RFC 4122 variant
    format!("2.25.{}", u128::from_be_bytes(uuid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_object::from_reader;
    use dicom_object::meta::FileMetaTableBuilder;

    fn record() -> Record {
        let line = r#"{"position":0,"id":"PX1","key":"PatientID","dataset":{
            "00080005":{"vr":"CS","Value":["ISO_IR 100"]},
            "00100010":{"vr":"PN","Value":[{"Alphabetic":"Dvořák^Antonín"}]},
            "00100020":{"vr":"LO","Value":["PX1"]},
            "0020000D":{"vr":"UI","Value":["1.2.3"]},
            "00080061":{"vr":"CS","Value":["CT","MR"]},
            "00201206":{"vr":"IS","Value":["2"]}}}"#;
        Record::from_line(&line.replace('\n', "")).unwrap()
    }

    #[test]
    fn same_record_same_bytes() {
        let a = encode(&record(), Format::Dicom).unwrap();
        let b = encode(&record(), Format::Dicom).unwrap();
        assert_eq!(a, b);
        assert_eq!(&a[128..132], b"DICM");
    }

    #[test]
    fn part10_reads_back_with_the_same_values_in_utf8() {
        let bytes = encode(&record(), Format::Dicom).unwrap();
        let obj = from_reader(&bytes[128..]).unwrap();
        assert_eq!(
            obj.meta().media_storage_sop_class_uid(),
            MEDIA_STORAGE_SOP_CLASS
        );
        assert!(obj
            .meta()
            .media_storage_sop_instance_uid()
            .starts_with("2.25."));
        let text = |t| obj.element(t).unwrap().to_str().unwrap().to_string();
        assert_eq!(text(tags::PATIENT_NAME), "Dvořák^Antonín");
        assert_eq!(text(tags::SPECIFIC_CHARACTER_SET), "ISO_IR 192");
        assert_eq!(text(tags::MODALITIES_IN_STUDY), "CT\\MR");
        assert_eq!(text(tags::NUMBER_OF_STUDY_RELATED_SERIES), "2");
    }

    #[test]
    fn meta_group_is_what_dicom_rs_writes() {
        for instance in ["1.2", "1.23", &uid_from_bytes(b"x"), &uid_from_bytes(b"yz")] {
            let table = FileMetaTableBuilder::new()
                .media_storage_sop_class_uid(MEDIA_STORAGE_SOP_CLASS)
                .media_storage_sop_instance_uid(instance)
                .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
                .implementation_version_name(IMPLEMENTATION_VERSION_NAME)
                .build()
                .unwrap();
            let mut reference = Vec::new();
            table.write(&mut reference).unwrap();
            let direct = crate::part10::meta(meta_uids(instance), IMPLEMENTATION_VERSION_NAME);
            assert_eq!(direct, reference, "{instance}");
        }
    }

    #[test]
    fn uid_is_a_valid_uid() {
        let uid = uid_from_bytes(b"x");
        assert!(uid.len() <= 64 && uid.chars().all(|c| c.is_ascii_digit() || c == '.'));
    }

    #[test]
    fn json_round_trips() {
        let bytes = encode(&record(), Format::Json).unwrap();
        let back: Map<String, Value> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, record().dataset);
    }
}
