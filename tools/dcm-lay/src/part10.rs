//! A direct explicit VR little endian encoder for the common shape of a
//! record's data set: flat, text and plain numbers.
//!
//! Its own unit because it exists for speed alone: building a dicom-rs
//! object from the JSON map and encoding it costs more per record than
//! writing the file. It writes straight from the map, and answers `None` for
//! anything it does not handle exactly as the dicom-rs path does (sequences,
//! binary VRs, `InlineBinary`, `BulkDataURI`, shapes dicom-json rejects), so
//! the caller falls back to that path. Its bytes must equal that path's byte
//! for byte, since a rerun compares files by content; the tests check both
//! encoders against each other.

use serde_json::{Map, Number, Value};

/// Specific Character Set (0008,0005).
const CHARSET: u32 = 0x0008_0005;

/// What UTF-8 text is declared as (see `encode::part10`).
const UTF8: &[u8] = b"ISO_IR 192";

/// How the values of a VR are written.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Text in the default repertoire (dicom-rs writes these VRs as ISO
    /// 8859-1 whatever the character set, so only ASCII is the same bytes).
    Ascii,
    /// Text in the declared character set.
    Text,
    /// IS and DS: text, or JSON numbers written as dicom-json formats them.
    Number,
    Person,
    U16,
    I16,
    U32,
    I32,
    F32,
    F64,
}

/// One element, encoded apart from its header.
struct Element {
    tag: u32,
    vr: [u8; 2],
    value: Vec<u8>,
}

/// The data set's bytes, or `None` when the dicom-rs path must encode it.
/// `utf8` says the record holds non-ASCII text, so the data set declares
/// `ISO_IR 192` in place of the record's own character set.
pub fn dataset(map: &Map<String, Value>, utf8: bool) -> Option<Vec<u8>> {
    let mut elements = Vec::with_capacity(map.len() + 1);
    for (key, element) in map {
        let tag = tag(key)?;
        // dicom-rs encodes text before the character set element with the
        // default repertoire; such records are rare enough to leave to it.
        if tag < CHARSET {
            return None;
        }
        let (vr, value) = element_value(element)?;
        elements.push(Element { tag, vr, value });
    }
    elements.sort_unstable_by_key(|e| e.tag);
    // Two spellings of one tag: dicom-rs keeps the one it reads last.
    if elements.windows(2).any(|w| w[0].tag == w[1].tag) {
        return None;
    }
    declare_charset(&mut elements, utf8)?;
    let size = elements.iter().map(|e| 12 + e.value.len()).sum();
    let mut out = Vec::with_capacity(size);
    for element in &elements {
        write(&mut out, element)?;
    }
    Some(out)
}

/// Puts `ISO_IR 192` first when the text needs it; otherwise checks that
/// the declared set writes ASCII text as ASCII, as dicom-rs would.
fn declare_charset(elements: &mut Vec<Element>, utf8: bool) -> Option<()> {
    let declared = elements.first().filter(|e| e.tag == CHARSET);
    if utf8 {
        let element = Element {
            tag: CHARSET,
            vr: *b"CS",
            value: UTF8.to_vec(),
        };
        match declared {
            Some(_) => elements[0] = element,
            None => elements.insert(0, element),
        }
        return Some(());
    }
    match declared {
        // dicom-rs switches codec on the first value.
        Some(e) => ascii_safe(e.value.split(|&b| b == b'\\').next()?).then_some(()),
        None => Some(()),
    }
}

/// True for a character set name whose dicom-rs codec writes ASCII as is:
/// the default set, unknown names (dicom-rs ignores them), ISO 8859 and
/// UTF-8. The Japanese, Korean, Thai and Chinese sets are left to dicom-rs.
fn ascii_safe(name: &[u8]) -> bool {
    let Ok(name) = std::str::from_utf8(name) else {
        return false;
    };
    let name = name.trim_end();
    let number = ["ISO_IR ", "ISO_IR_", "ISO 2022 IR "]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix));
    match number {
        Some(n) => matches!(
            n,
            "6" | "100" | "101" | "109" | "110" | "126" | "127" | "138" | "144" | "192"
        ),
        None => name.is_empty() || name == "Default",
    }
}

/// A `GGGGEEEE` key; other spellings dicom-json may accept go to dicom-rs.
fn tag(key: &str) -> Option<u32> {
    if key.len() != 8 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(key, 16).ok()
}

/// The VR and encoded value of one `{"vr": ..., "Value": [...]}` object.
fn element_value(element: &Value) -> Option<([u8; 2], Vec<u8>)> {
    let fields = element.as_object()?;
    if fields.keys().any(|k| k != "vr" && k != "Value") {
        return None;
    }
    let vr = fields.get("vr")?.as_str()?;
    let kind = kind(vr)?;
    let vr: [u8; 2] = vr.as_bytes().try_into().ok()?;
    let Some(values) = fields.get("Value") else {
        return Some((vr, Vec::new()));
    };
    let values = values.as_array()?;
    let mut value = match kind {
        Kind::Ascii | Kind::Text => texts(values, kind == Kind::Ascii)?,
        Kind::Number => joined(values, number_text)?,
        Kind::Person => joined(values, person)?,
        _ => return binary(values, kind).map(|value| (vr, value)),
    };
    if value.len() % 2 == 1 {
        value.push(if &vr == b"UI" { 0 } else { b' ' });
    }
    Some((vr, value))
}

fn kind(vr: &str) -> Option<Kind> {
    Some(match vr {
        "AE" | "AS" | "CS" | "DA" | "DT" | "TM" | "UI" => Kind::Ascii,
        "LO" | "LT" | "SH" | "ST" | "UC" | "UR" | "UT" => Kind::Text,
        "IS" | "DS" => Kind::Number,
        "PN" => Kind::Person,
        "US" => Kind::U16,
        "SS" => Kind::I16,
        "UL" => Kind::U32,
        "SL" => Kind::I32,
        "FL" => Kind::F32,
        "FD" => Kind::F64,
        _ => return None,
    })
}

/// Text values joined with `\`; dicom-json reads `null` as an empty value.
fn texts(values: &[Value], ascii: bool) -> Option<Vec<u8>> {
    joined(values, |v| match v {
        Value::String(s) if !ascii || s.is_ascii() => Some(s.clone()),
        Value::Null => Some(String::new()),
        _ => None,
    })
}

/// Values turned into text one by one and joined with `\`.
fn joined(values: &[Value], text: impl Fn(&Value) -> Option<String>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b'\\');
        }
        out.extend_from_slice(text(v)?.as_bytes());
    }
    Some(out)
}

/// An IS or DS value: dicom-json reads a number as an `f64` and writes it
/// with `Display`, so `2` stays `2` and `1.50` becomes `1.5`.
fn number_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.as_f64()?.to_string()),
        Value::String(s) if s.is_ascii() => Some(s.clone()),
        _ => None,
    }
}

/// A person name object as dicom-json joins it: the groups with `=`, an
/// absent middle group left empty, absent trailing groups left out.
fn person(v: &Value) -> Option<String> {
    let groups = v.as_object()?;
    let group = |key| match groups.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.as_str())),
        Some(_) => None,
    };
    let alphabetic = match groups.get("Alphabetic") {
        None => "",
        Some(v) => v.as_str()?,
    };
    Some(match (group("Ideographic")?, group("Phonetic")?) {
        (None, None) => alphabetic.to_string(),
        (Some(i), None) => format!("{alphabetic}={i}"),
        (None, Some(p)) => format!("{alphabetic}=={p}"),
        (Some(i), Some(p)) => format!("{alphabetic}={i}={p}"),
    })
}

/// Binary numbers, little endian; only JSON numbers in range, as dicom-json
/// reads them (text forms and out-of-range values go to dicom-rs).
fn binary(values: &[Value], kind: Kind) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(values.len() * 8);
    for v in values {
        let n = v.as_number()?;
        match kind {
            Kind::U16 => out.extend(u16::try_from(n.as_u64()?).ok()?.to_le_bytes()),
            Kind::I16 => out.extend(i16::try_from(n.as_i64()?).ok()?.to_le_bytes()),
            Kind::U32 => out.extend(u32::try_from(n.as_u64()?).ok()?.to_le_bytes()),
            Kind::I32 => out.extend(i32::try_from(n.as_i64()?).ok()?.to_le_bytes()),
            Kind::F32 => out.extend(f32_of(n)?.to_le_bytes()),
            Kind::F64 => out.extend(n.as_f64()?.to_le_bytes()),
            _ => return None,
        }
    }
    Some(out)
}

/// An `f32` the way serde converts a JSON number: integers cast directly,
/// not through `f64`, which could round differently.
fn f32_of(n: &Number) -> Option<f32> {
    if let Some(u) = n.as_u64() {
        Some(u as f32)
    } else if let Some(i) = n.as_i64() {
        Some(i as f32)
    } else {
        n.as_f64().map(|f| f as f32)
    }
}

/// The file meta group (PS3.10 section 7.1) with the given UIDs, as
/// dicom-rs's `FileMetaTable` writes it: group length, version `00 01`, the
/// media storage SOP class and instance, the transfer syntax, the
/// implementation class UID and version name. Only the instance UID varies
/// from file to file, and building a dicom-rs table for it cost more than
/// the data set.
pub fn meta(uids: [&str; 4], version_name: &str) -> Vec<u8> {
    let [class, instance, syntax, implementation] = uids;
    let ui = |tag, text: &str| {
        let mut value = text.as_bytes().to_vec();
        if value.len() % 2 == 1 {
            value.push(0);
        }
        Element {
            tag,
            vr: *b"UI",
            value,
        }
    };
    let mut name = version_name.as_bytes().to_vec();
    if name.len() % 2 == 1 {
        name.push(b' ');
    }
    let elements = [
        Element {
            tag: 0x0002_0001,
            vr: *b"OB",
            value: vec![0, 1],
        },
        ui(0x0002_0002, class),
        ui(0x0002_0003, instance),
        ui(0x0002_0010, syntax),
        ui(0x0002_0012, implementation),
        Element {
            tag: 0x0002_0013,
            vr: *b"SH",
            value: name,
        },
    ];
    let mut rest = Vec::with_capacity(256);
    for element in &elements {
        write(&mut rest, element).expect("meta values are short");
    }
    let mut out = Vec::with_capacity(rest.len() + 12);
    let length = u32::try_from(rest.len()).expect("meta values are short");
    let group_length = Element {
        tag: 0x0002_0000,
        vr: *b"UL",
        value: length.to_le_bytes().to_vec(),
    };
    write(&mut out, &group_length).expect("four bytes");
    out.extend_from_slice(&rest);
    out
}

/// One element with its explicit VR little endian header. OB, UC, UR and
/// UT carry a 32-bit length; the others a 16-bit one, and a longer value is
/// an error dicom-rs reports in its own words.
fn write(out: &mut Vec<u8>, e: &Element) -> Option<()> {
    out.extend(((e.tag >> 16) as u16).to_le_bytes());
    out.extend((e.tag as u16).to_le_bytes());
    out.extend(e.vr);
    if matches!(&e.vr, b"OB" | b"UC" | b"UR" | b"UT") {
        out.extend([0, 0]);
        out.extend(u32::try_from(e.value.len()).ok()?.to_le_bytes());
    } else {
        out.extend(u16::try_from(e.value.len()).ok()?.to_le_bytes());
    }
    out.extend_from_slice(&e.value);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{dicom_rs_dataset, has_non_ascii};
    use serde_json::json;

    /// Both encoders on one data set: equal bytes when the direct one takes
    /// it, and `false` when it leaves it to dicom-rs.
    fn same(dataset: &Value) -> bool {
        let map = dataset.as_object().unwrap();
        let utf8 = has_non_ascii(map);
        let reference = dicom_rs_dataset(map, utf8);
        match dataset_of(map, utf8) {
            Some(direct) => {
                let reference = reference.unwrap_or_else(|e| panic!("{e}: {dataset}"));
                assert_eq!(direct, reference, "{dataset}");
                true
            }
            None => false,
        }
    }

    fn dataset_of(map: &Map<String, Value>, utf8: bool) -> Option<Vec<u8>> {
        dataset(map, utf8)
    }

    fn el(vr: &str, values: Value) -> Value {
        json!({"vr": vr, "Value": values})
    }

    #[test]
    fn common_records_give_the_dicom_rs_bytes() {
        let corpus = [
            json!({
                "00100010": el("PN", json!([{"Alphabetic": "Smith^John"}])),
                "0020000D": el("UI", json!(["1.2.3"])),
            }),
            json!({
                "00080005": el("CS", json!(["ISO_IR 100"])),
                "00100010": el("PN", json!([{"Alphabetic": "Dvořák^Antonín"}])),
                "00100020": el("LO", json!(["PX1"])),
                "0020000D": el("UI", json!(["1.2.3"])),
                "00080061": el("CS", json!(["CT", "MR"])),
                "00201206": el("IS", json!(["2"])),
            }),
            json!({
                "00080080": el("LO", json!(["Universitätsklinikum Köln"])),
                "00100010": el("PN", json!([
                    {"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎",
                     "Phonetic": "やまだ^たろう"},
                    {"Alphabetic": "A", "Phonetic": "B"},
                    {"Ideographic": "I"},
                    {}
                ])),
                "00080061": el("CS", json!(["CT", "PT", "US"])),
                "00201208": el("IS", json!([10, -3, 7])),
                "00101030": el("DS", json!([1.5, 70, 0.1, 1e20, "  3.25"])),
            }),
            json!({
                "00080005": el("CS", json!(["ISO_IR 192"])),
                "00080020": {"vr": "DA"},
                "00080030": el("TM", json!([])),
                "00080050": el("SH", json!([null, "A"])),
                "00081030": el("LO", json!(["odd"])),
                "00280010": el("US", json!([512, 0, 65535])),
                "00280106": el("SS", json!([-2, 32767])),
                "00081160": el("UL", json!([4294967295_u64])),
                "00189219": el("SL", json!([-7])),
                "00189089": el("FD", json!([0.1, 3, -2])),
                "00189087": el("FL", json!([0.1, 16777217, -5])),
                "00091001": el("LO", json!(["private"])),
                "00091002": el("UT", json!(["long text, odd"])),
                "00091003": el("UC", json!(["a", "b"])),
                "00091004": el("UR", json!(["http://x/y"])),
                "00091005": el("ST", json!(["st"])),
                "00091006": el("LT", json!(["lt\\x"])),
                "00091007": el("AE", json!(["AET"])),
                "00091008": el("AS", json!(["042Y"])),
                "00091009": el("DT", json!(["20240101120000"])),
                "0009100a": el("SH", json!(["lower-case tag"])),
            }),
            json!({
                "00080005": el("CS", json!(["ISO_IR 6"])),
                "0020000D": el("UI", json!(["1.22"])),
            }),
            json!({}),
        ];
        for dataset in &corpus {
            assert!(same(dataset), "{dataset}");
        }
    }

    #[test]
    fn other_shapes_are_left_to_dicom_rs() {
        let others = [
            json!({"00081110": el("SQ", json!([{}]))}),
            json!({"7FE00010": {"vr": "OB", "InlineBinary": "AAAA"}}),
            json!({"00100010": el("PN", json!(["not an object"]))}),
            json!({"00280010": el("US", json!([70000]))}),
            json!({"00280010": el("US", json!(["5"]))}),
            json!({"00201206": el("IS", json!([null]))}),
            json!({"00080060": el("CS", json!(["Ü"]))}),
            json!({"00080060": {"vr": "CS", "Value": null}}),
            json!({"00080001": el("UL", json!([1])), "0020000D": el("UI", json!(["1"]))}),
            json!({"00080005": el("CS", json!(["ISO 2022 IR 87"]))}),
            json!({"0010,0010": el("PN", json!([{"Alphabetic": "A"}]))}),
            json!({"00100010": el("PN", json!([{"Alphabetic": "A"}])),
                   "00100010x": el("PN", json!([]))}),
        ];
        for dataset in &others {
            assert!(!same(dataset), "{dataset}");
        }
    }

    /// A small xorshift generator, so the loop below is the same every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }

        /// Text with non-ASCII letters, or (`ascii`) mostly without.
        fn text(&mut self, ascii: bool) -> String {
            let pieces = ["A", "b", "9", " ", "^", ".", "-", "", "é", "Ж", "山"];
            let end = if ascii && self.below(20) > 0 {
                8
            } else {
                pieces.len()
            };
            (0..self.below(8))
                .map(|_| self.pick(&pieces[..end]))
                .collect()
        }
    }

    fn value(rng: &mut Rng, vr: &str) -> Value {
        let n = rng.below(4);
        let mut item = || -> Value {
            match vr {
                "US" => json!(rng.below(65536)),
                "SS" => json!(rng.below(65536) as i64 - 32768),
                "UL" => json!(rng.next() as u32),
                "SL" => json!(rng.next() as i32),
                "FL" | "FD" => json!((rng.next() % 100_000) as f64 / 7.0),
                "IS" if rng.below(2) == 0 => json!(rng.next() as i32),
                "DS" if rng.below(2) == 0 => json!((rng.next() % 1_000_000) as f64 / 64.0),
                "PN" => json!({"Alphabetic": rng.text(false), "Ideographic": rng.text(false)}),
                "UI" => json!(format!("1.2.{}", rng.below(100_000))),
                _ if rng.below(10) == 0 => Value::Null,
                _ => json!(rng.text(kind(vr) == Some(Kind::Ascii))),
            }
        };
        Value::Array((0..n).map(|_| item()).collect())
    }

    #[test]
    fn generated_records_give_the_dicom_rs_bytes() {
        let vrs = [
            "AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC",
            "UI", "UR", "UT", "US", "UL", "SS", "SL", "FL", "FD",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut direct = 0;
        for _ in 0..2000 {
            let mut map = Map::new();
            if rng.below(2) == 0 {
                let set = rng.pick(&["ISO_IR 100", "ISO_IR 192", "", "ISO_IR 13"]);
                map.insert("00080005".into(), el("CS", json!([set])));
            }
            for _ in 0..rng.below(12) {
                let tag = format!("{:04X}{:04X}", 8 + rng.below(40), 0x10 + rng.below(0x40));
                let vr = rng.pick(&vrs);
                let element = match rng.below(8) {
                    0 => json!({ "vr": vr }),
                    _ => el(vr, value(&mut rng, vr)),
                };
                map.insert(tag, element);
            }
            direct += usize::from(same(&Value::Object(map)));
        }
        // Most generated records take the direct path, not the fallback.
        assert!(direct > 1000, "{direct} of 2000 encoded directly");
    }
}
