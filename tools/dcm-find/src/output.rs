//! How records reach stdout: the record stream of design.md section 2 (the
//! contract dcm-lay reads), or one of two views for people and scripts:
//! `--flat` (keyword to string or array, for jq) and `--format csv`.
//!
//! The views are derived from the record, never the other way round, so
//! what is checked and sorted is the same whatever the output.

use dcm_core::find::Query;
use dcm_core::tag::{self, Attribute};
use dcm_core::Record;
use dicom_core::Tag;
use serde_json::{Map, Value};

/// The form of stdout.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputFormat {
    /// JSON Lines records in the DICOM JSON model (the default).
    Records,
    /// JSON Lines, one flat object per match.
    Flat,
    /// CSV with a header row: position, id, then these attributes.
    Csv(Vec<Attribute>),
}

impl OutputFormat {
    /// CSV whose columns are the query's keys: the matching key, the return
    /// keys, the filter keys and the level's unique key, each once.
    pub fn csv(query: &Query) -> OutputFormat {
        let unique = query.level.unique_key();
        let mut columns: Vec<Attribute> = Vec::new();
        let keys = [query.match_key]
            .into_iter()
            .chain(query.return_keys.iter().copied())
            .chain(query.filters.iter().map(|(a, _)| *a))
            .chain([Attribute {
                tag: unique,
                vr: tag::vr_of(unique),
            }]);
        for attr in keys {
            if !columns.iter().any(|c| c.tag == attr.tag) {
                columns.push(attr);
            }
        }
        OutputFormat::Csv(columns)
    }

    /// What comes before the first record: the CSV header row.
    pub fn header(&self) -> String {
        let OutputFormat::Csv(columns) = self else {
            return String::new();
        };
        let mut row = vec!["position".to_string(), "id".to_string()];
        row.extend(columns.iter().map(Attribute::name));
        csv_row(&row)
    }

    /// Appends the lines of `records` to `out`.
    pub fn render(&self, records: &[Record], out: &mut String) {
        for record in records {
            match self {
                OutputFormat::Records => {
                    out.push_str(&record.to_line());
                    out.push('\n');
                }
                OutputFormat::Flat => {
                    out.push_str(&flat(record).to_string());
                    out.push('\n');
                }
                OutputFormat::Csv(columns) => out.push_str(&csv_record(record, columns)),
            }
        }
    }
}

/// The flat view of a record: position, id and key, then each attribute by
/// keyword.
fn flat(record: &Record) -> Value {
    let mut object = Map::new();
    object.insert("position".into(), record.position.into());
    object.insert("id".into(), record.id.clone().into());
    object.insert("key".into(), record.key.clone().into());
    object.extend(flat_dataset(&record.dataset));
    Value::Object(object)
}

fn flat_dataset(dataset: &Map<String, Value>) -> Map<String, Value> {
    dataset
        .iter()
        .map(|(key, element)| (name_of(key), flat_element(element)))
        .collect()
}

/// The keyword of a DICOM JSON key (`00100010`), or `gggg,eeee`.
fn name_of(json_key: &str) -> String {
    let parse = |range: std::ops::Range<usize>| {
        json_key
            .get(range)
            .and_then(|h| u16::from_str_radix(h, 16).ok())
    };
    match (json_key.len(), parse(0..4), parse(4..8)) {
        (8, Some(g), Some(e)) => {
            let t = Tag(g, e);
            tag::keyword(t).map_or_else(|| tag::tag_hex(t), str::to_string)
        }
        _ => json_key.to_string(),
    }
}

/// One value as a string (a sequence item as an object), several as an
/// array; an element without a value is the empty string.
fn flat_element(element: &Value) -> Value {
    let values: Vec<Value> = match element.get("Value").and_then(Value::as_array) {
        Some(values) => values.iter().map(flat_value).collect(),
        None => {
            // Binary values come as base64 or a URI; either is a string.
            let other = ["InlineBinary", "BulkDataURI"]
                .iter()
                .find_map(|k| element.get(*k).cloned());
            vec![other.unwrap_or_else(|| "".into())]
        }
    };
    match <[Value; 1]>::try_from(values) {
        Ok([one]) => one,
        Err(values) => Value::Array(values),
    }
}

fn flat_value(value: &Value) -> Value {
    match value {
        Value::Object(item) if is_person_name(item) => person_name(item).into(),
        Value::Object(item) => Value::Object(flat_dataset(item)),
        Value::Null => "".into(),
        Value::String(_) => value.clone(),
        other => other.to_string().into(),
    }
}

fn is_person_name(object: &Map<String, Value>) -> bool {
    ["Alphabetic", "Ideographic", "Phonetic"]
        .iter()
        .any(|k| object.get(*k).is_some_and(Value::is_string))
}

/// A person name in its DICOM form: the groups joined by `=`, empty
/// trailing groups left out.
fn person_name(object: &Map<String, Value>) -> String {
    let groups: Vec<&str> = ["Alphabetic", "Ideographic", "Phonetic"]
        .iter()
        .map(|k| object.get(*k).and_then(Value::as_str).unwrap_or(""))
        .collect();
    let used = groups
        .iter()
        .rposition(|g| !g.is_empty())
        .map_or(0, |i| i + 1);
    groups[..used].join("=")
}

fn csv_record(record: &Record, columns: &[Attribute]) -> String {
    let mut row = vec![record.position.to_string(), record.id.clone()];
    for attr in columns {
        let element = record.dataset.get(&tag::json_key(attr.tag));
        let text = match element.map(flat_element) {
            Some(Value::Array(values)) => values.iter().map(cell).collect::<Vec<_>>().join("\\"),
            Some(value) => cell(&value),
            None => String::new(),
        };
        row.push(text);
    }
    csv_row(&row)
}

/// A value in a CSV cell: a nested item as its JSON text.
fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv_row(fields: &[String]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(fields)
        .expect("writing to memory cannot fail");
    let bytes = writer.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Record {
        let line = json!({"position": 3, "id": "P1", "key": "PatientID", "dataset": {
            "00100020": {"vr": "LO", "Value": ["P1"]},
            "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Yamada^Tarou",
                                                "Ideographic": "山田^太郎"}]},
            "00080061": {"vr": "CS", "Value": ["CT", "MR"]},
            "00201206": {"vr": "IS", "Value": [2]},
            "00081030": {"vr": "LO"},
            "00091001": {"vr": "UN", "InlineBinary": "AAE="},
            "00081110": {"vr": "SQ", "Value": [{"00081150": {"vr": "UI", "Value": ["1.2"]}}]},
        }});
        Record::from_line(&line.to_string()).unwrap()
    }

    #[test]
    fn flat_view_names_attributes_by_keyword() {
        let v = flat(&record());
        assert_eq!(v["position"], 3);
        assert_eq!(v["PatientID"], "P1");
        assert_eq!(v["PatientName"], "Yamada^Tarou=山田^太郎");
        assert_eq!(v["ModalitiesInStudy"], json!(["CT", "MR"]));
        assert_eq!(v["NumberOfStudyRelatedSeries"], "2");
        assert_eq!(v["StudyDescription"], "");
        assert_eq!(v["0009,1001"], "AAE=");
        assert_eq!(v["ReferencedStudySequence"]["ReferencedSOPClassUID"], "1.2");
    }

    #[test]
    fn csv_has_a_header_and_one_row_per_record() {
        let columns: Vec<Attribute> = ["PatientName", "ModalitiesInStudy", "StudyDate"]
            .iter()
            .map(|k| tag::parse(k).unwrap())
            .collect();
        let format = OutputFormat::Csv(columns);
        assert_eq!(
            format.header(),
            "position,id,PatientName,ModalitiesInStudy,StudyDate\n"
        );
        let mut out = String::new();
        format.render(&[record()], &mut out);
        assert_eq!(out, "3,P1,Yamada^Tarou=山田^太郎,CT\\MR,\n");
    }

    #[test]
    fn records_are_the_contract_lines() {
        let mut out = String::new();
        OutputFormat::Records.render(&[record()], &mut out);
        assert_eq!(Record::from_line(out.trim_end()).unwrap(), record());
    }
}
