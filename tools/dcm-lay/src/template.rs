//! The layout template language: where under ROOT a record goes.
//!
//! A template is a relative path whose `{...}` placeholders are filled from
//! the record; `/` separates folders, and the last component names the file,
//! whose extension (`.dcm` or `.json`) picks the format.
//!
//! ```text
//! {position}          the record's input position        (numbers)
//! {id}  {key}         the ID asked for, the matched attribute's keyword
//! {n}                 per-folder counter from 1, in arrival order (file name only)
//! {PatientID}         any attribute by keyword, or {0010,0020} / {00100020};
//!                     several values are joined with `+`
//! {name:4}            zero-padded to 4 digits (numbers only)
//! {name|text}         `text` when the record has no value for it
//! {{  }}              literal braces
//! ```
//!
//! Kept apart from the file system so expansion is pure and unit-tested; the
//! values are sanitized here, one by one, before they meet the literals.

use dcm_core::tag;
use dcm_core::Record;
use dicom_core::Tag;

use crate::sanitize::{check_component, sanitize};

/// The presets `--layout` accepts by name.
pub const PRESETS: [(&str, &str); 2] = [
    (
        "default",
        "{id}/{StudyDate|nodate}_{ModalitiesInStudy|none}_{StudyInstanceUID}.dcm",
    ),
    ("seed", "{position}/rsp{n:4}.dcm"),
];

/// What a placeholder stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Position,
    Id,
    Key,
    Counter,
    Attribute { tag: Tag, name: String },
}

/// One `{...}` of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub source: Source,
    pub width: Option<usize>,
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Field(Field),
}

/// The file format of the output, from the file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Dicom,
    Json,
}

/// A parsed and checked template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    components: Vec<Vec<Piece>>,
    pub format: Format,
}

/// A template filled in for one record, all but the counter: the folder
/// names and the pieces of the file name. Worked out ahead of the main loop
/// (see `prepare`), which only has to pick the counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub dirs: Vec<String>,
    file: Vec<Filled>,
}

/// A piece of a file name: sanitized text, or the counter and its width.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Filled {
    Text(String),
    Counter(Option<usize>),
}

impl Place {
    /// Whether the file name holds the per-folder counter `{n}`.
    pub fn has_counter(&self) -> bool {
        self.file.iter().any(|f| matches!(f, Filled::Counter(_)))
    }

    /// The file name, given the per-folder counter.
    pub fn file(&self, counter: u64) -> Result<String, String> {
        let mut out = String::new();
        for piece in &self.file {
            match piece {
                Filled::Text(t) => out.push_str(t),
                Filled::Counter(width) => {
                    out.push_str(&sanitize(&pad(&counter.to_string(), *width)))
                }
            }
        }
        check_component(&out)?;
        Ok(out)
    }

    /// The counter that gives `name` as this file name, if any: how a rerun
    /// recognises the name an earlier run gave a study.
    pub fn counter_of(&self, name: &str) -> Option<u64> {
        let mut prefix = String::new();
        for piece in &self.file {
            match piece {
                Filled::Text(t) => prefix.push_str(t),
                Filled::Counter(_) => break,
            }
        }
        let rest = name.strip_prefix(&prefix)?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        // A field right after `{n}` may start with digits too: try every cut.
        (1..=digits.min(20)).find_map(|end| {
            let n: u64 = rest[..end].parse().ok().filter(|n| *n > 0)?;
            (self.file(n).ok()? == name).then_some(n)
        })
    }
}

impl Template {
    /// Resolves a preset name or parses a template.
    pub fn from_layout(layout: &str) -> Result<Template, String> {
        let text = PRESETS
            .iter()
            .find(|(name, _)| *name == layout)
            .map_or(layout, |(_, t)| t);
        Template::parse(text)
    }

    /// Parses a template text (see the module doc).
    pub fn parse(text: &str) -> Result<Template, String> {
        if text.starts_with('/') {
            return Err("a layout is relative to ROOT: it must not start with '/'".into());
        }
        let pieces = parse_pieces(text)?;
        let components = split_components(pieces)?;
        let last = components.len() - 1;
        for (i, comp) in components.iter().enumerate() {
            check_literal_component(comp, i == last)?;
        }
        let format = format_of(components[last].last())?;
        let text = text.to_string();
        Ok(Template {
            text,
            components,
            format,
        })
    }

    /// Whether a name holds `{position}`: then a position must stand for one
    /// ID, or two patients would share a folder.
    pub fn uses_position(&self) -> bool {
        self.components.iter().flatten().any(|piece| {
            matches!(
                piece,
                Piece::Field(Field {
                    source: Source::Position,
                    ..
                })
            )
        })
    }

    /// The template text, as given or as the preset spells it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The record's place; fails on the first placeholder without a value,
    /// folders first.
    pub fn place(&self, record: &Record) -> Result<Place, String> {
        let (file, dirs) = self
            .components
            .split_last()
            .expect("parse keeps one component");
        let dirs = dirs
            .iter()
            .map(|c| expand(c, record))
            .collect::<Result<_, _>>()?;
        let file = file
            .iter()
            .map(|piece| match piece {
                Piece::Literal(t) => Ok(Filled::Text(t.clone())),
                Piece::Field(f) if f.source == Source::Counter => Ok(Filled::Counter(f.width)),
                Piece::Field(f) => value_of(f, record).map(Filled::Text),
            })
            .collect::<Result<_, _>>()?;
        Ok(Place { dirs, file })
    }
}

fn parse_pieces(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => literal.push(chars.next().unwrap()),
            '}' if chars.peek() == Some(&'}') => literal.push(chars.next().unwrap()),
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => inner.push(c),
                        None => return Err(format!("unclosed placeholder {{{inner}")),
                    }
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Field(parse_field(&inner)?));
            }
            '}' => return Err("a lone '}': write '}}' for a literal brace".into()),
            _ => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

fn parse_field(inner: &str) -> Result<Field, String> {
    let (spec, default) = match inner.split_once('|') {
        Some((s, d)) => (s, Some(d.to_string())),
        None => (inner, None),
    };
    if let Some(d) = &default {
        if d.contains('/') || d.chars().any(char::is_control) {
            return Err(format!(
                "default {d:?} holds a separator or control character"
            ));
        }
    }
    let (name, width) = match spec.rsplit_once(':') {
        Some((n, w)) => {
            let w: usize = w
                .parse()
                .map_err(|_| format!("width {w:?} in {{{inner}}}"))?;
            (n, Some(w.min(20)))
        }
        None => (spec, None),
    };
    let source = match name.trim() {
        "position" => Source::Position,
        "id" => Source::Id,
        "key" => Source::Key,
        "n" => Source::Counter,
        other => {
            let a = tag::parse(other).map_err(|e| format!("placeholder {{{inner}}}: {e}"))?;
            Source::Attribute {
                tag: a.tag,
                name: a.name(),
            }
        }
    };
    Ok(Field {
        source,
        width,
        default,
    })
}

fn split_components(pieces: Vec<Piece>) -> Result<Vec<Vec<Piece>>, String> {
    let mut components = vec![Vec::new()];
    for piece in pieces {
        match piece {
            Piece::Literal(text) => {
                let mut parts = text.split('/');
                let first = parts.next().unwrap_or_default();
                push_literal(components.last_mut().unwrap(), first);
                for part in parts {
                    components.push(Vec::new());
                    push_literal(components.last_mut().unwrap(), part);
                }
            }
            field => components.last_mut().unwrap().push(field),
        }
    }
    if components.iter().any(Vec::is_empty) {
        return Err("a layout has no empty folder names ('//' or a trailing '/')".into());
    }
    Ok(components)
}

fn push_literal(component: &mut Vec<Piece>, text: &str) {
    if !text.is_empty() {
        component.push(Piece::Literal(text.to_string()));
    }
}

/// Checks what can be checked before any record: literal-only folders fully,
/// the counter's place, and the literal start of every component.
fn check_literal_component(comp: &[Piece], is_file: bool) -> Result<(), String> {
    let has_counter = comp
        .iter()
        .any(|p| matches!(p, Piece::Field(f) if f.source == Source::Counter));
    if has_counter && !is_file {
        return Err("{n} counts files in a folder: use it in the file name only".into());
    }
    if let [Piece::Literal(first), ..] = comp {
        if first.starts_with('.') {
            return Err(format!(
                "{first:?}: names starting with '.' are reserved for temp files"
            ));
        }
    }
    if comp.iter().all(|p| matches!(p, Piece::Literal(_))) {
        let text: String = comp.iter().map(literal_text).collect();
        check_component(&text)?;
    }
    Ok(())
}

fn literal_text(piece: &Piece) -> &str {
    match piece {
        Piece::Literal(t) => t,
        Piece::Field(_) => "",
    }
}

fn format_of(last: Option<&Piece>) -> Result<Format, String> {
    match last {
        Some(Piece::Literal(t)) if t.ends_with(".dcm") => Ok(Format::Dicom),
        Some(Piece::Literal(t)) if t.ends_with(".json") => Ok(Format::Json),
        _ => Err("the file name must end in a literal .dcm or .json".into()),
    }
}

/// A folder name: `{n}` is refused there when the template is parsed.
fn expand(comp: &[Piece], record: &Record) -> Result<String, String> {
    let mut out = String::new();
    for piece in comp {
        match piece {
            Piece::Literal(t) => out.push_str(t),
            Piece::Field(f) => out.push_str(&value_of(f, record)?),
        }
    }
    check_component(&out)?;
    Ok(out)
}

/// The sanitized text of one placeholder for one record.
fn value_of(field: &Field, record: &Record) -> Result<String, String> {
    let values = match &field.source {
        Source::Position => vec![record.position.to_string()],
        Source::Counter => unreachable!("the counter is filled in by Place::file"),
        Source::Id => vec![record.id.clone()],
        Source::Key => vec![record.key.clone()],
        Source::Attribute { tag, .. } => record.all_str(*tag),
    };
    let values: Vec<String> = values
        .into_iter()
        .filter(|v| !v.trim().is_empty())
        .collect();
    if values.is_empty() {
        return match &field.default {
            Some(d) => Ok(sanitize_default(d)),
            None => Err(format!("no value for {{{}}}", field_name(field))),
        };
    }
    let padded = values.iter().map(|v| pad(v, field.width));
    Ok(padded.map(|v| sanitize(&v)).collect::<Vec<_>>().join("+"))
}

/// Defaults are the user's own text, so they are kept readable unless unsafe.
fn sanitize_default(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        sanitize(text)
    }
}

fn pad(value: &str, width: Option<usize>) -> String {
    match width {
        Some(w) if value.chars().all(|c| c.is_ascii_digit()) => format!("{value:0>w$}"),
        _ => value.to_string(),
    }
}

/// How a placeholder is named in messages.
pub fn field_name(field: &Field) -> String {
    match &field.source {
        Source::Position => "position".into(),
        Source::Id => "id".into(),
        Source::Key => "key".into(),
        Source::Counter => "n".into(),
        Source::Attribute { name, .. } => name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(position: u64, id: &str, dataset: &str) -> Record {
        let line = format!(
            r#"{{"position":{position},"id":{},"key":"PatientID","dataset":{dataset}}}"#,
            serde_json::to_string(id).unwrap()
        );
        Record::from_line(&line).unwrap()
    }

    fn study() -> Record {
        record(
            3,
            "PX1",
            r#"{"0020000D":{"vr":"UI","Value":["1.2.3"]},
               "00080020":{"vr":"DA","Value":["20240102"]},
               "00080061":{"vr":"CS","Value":["CT","MR"]}}"#,
        )
    }

    fn place(t: &Template, r: &Record, n: u64) -> Result<String, String> {
        let place = t.place(r)?;
        let mut parts = place.dirs.clone();
        parts.push(place.file(n)?);
        Ok(parts.join("/"))
    }

    #[test]
    fn seed_preset_numbers_files_per_position() {
        let t = Template::from_layout("seed").unwrap();
        assert_eq!(t.format, Format::Dicom);
        assert_eq!(place(&t, &study(), 1).unwrap(), "3/rsp0001.dcm");
        assert_eq!(place(&t, &study(), 12).unwrap(), "3/rsp0012.dcm");
    }

    #[test]
    fn default_preset_is_by_patient_then_study() {
        let t = Template::from_layout("default").unwrap();
        assert_eq!(
            place(&t, &study(), 1).unwrap(),
            "PX1/20240102_CT+MR_1.2.3.dcm"
        );
        let bare = record(0, "PX2", r#"{"0020000D":{"vr":"UI","Value":["9.9"]}}"#);
        assert_eq!(place(&t, &bare, 1).unwrap(), "PX2/nodate_none_9.9.dcm");
    }

    #[test]
    fn tags_braces_and_json_format() {
        let t = Template::parse("{0020,000D}/{{x}}{position:6}.json").unwrap();
        assert_eq!(t.format, Format::Json);
        assert_eq!(place(&t, &study(), 1).unwrap(), "1.2.3/{x}000003.json");
    }

    #[test]
    fn counter_of_inverts_the_file_name() {
        let seed = Template::from_layout("seed")
            .unwrap()
            .place(&study())
            .unwrap();
        assert!(seed.has_counter());
        assert_eq!(seed.counter_of("rsp0012.dcm"), Some(12));
        assert_eq!(seed.counter_of("rsp12.dcm"), None);
        assert_eq!(seed.counter_of("rsp0000.dcm"), None);
        assert_eq!(seed.counter_of("x0001.dcm"), None);
        let t = Template::parse("{id}/{n}{StudyDate}.json").unwrap();
        assert_eq!(
            t.place(&study()).unwrap().counter_of("320240102.json"),
            Some(3)
        );
        let default = Template::from_layout("default").unwrap();
        assert!(!default.place(&study()).unwrap().has_counter());
    }

    #[test]
    fn missing_value_names_the_placeholder() {
        let t = Template::parse("{StudyDescription}/{n}.dcm").unwrap();
        let err = t.place(&study()).unwrap_err();
        assert!(err.contains("StudyDescription"), "{err}");
    }

    #[test]
    fn hostile_ids_stay_one_component() {
        let t = Template::from_layout("default").unwrap();
        for id in [
            "../../etc",
            "/abs",
            "..",
            ".",
            "a\0b",
            "a\nb",
            "CON",
            &"x".repeat(300),
        ] {
            let place = t.place(&record(0, id, r#"{"0020000D":{"vr":"UI","Value":["1"]}}"#));
            let dirs = place.unwrap().dirs;
            assert_eq!(dirs.len(), 1, "{id:?}");
            assert!(check_component(&dirs[0]).is_ok(), "{id:?} -> {:?}", dirs[0]);
        }
    }

    #[test]
    fn bad_templates_are_refused() {
        for bad in [
            "/abs/{n}.dcm",
            "{n}/x.dcm",
            "a//{n}.dcm",
            "../{n}.dcm",
            "{id}/.hidden.dcm",
            "{id}/{n}.txt",
            "{NoSuchKeyword}.dcm",
            "{id.dcm",
            "a}.dcm",
            "{id}/",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }
}
