//! Decoding text values by their Specific Character Set (0008,0005).
//!
//! Single character sets are decoded by dicom-encoding's codecs. What real
//! files carry beyond that is handled here: misspelt defined terms
//! (`ISO_IR100`, `ISO-IR 192`, `UTF-8`), an empty first value, and several
//! ISO 2022 sets in one value, switched by escape sequences (PS3.5 6.1.2.5),
//! which dicom-encoding does not decode.

use dicom_encoding::text::{SpecificCharacterSet, TextCodec};

const ESC: u8 = 0x1b;

/// A decoder for the text of one data set.
#[derive(Debug, Clone, Default)]
pub struct Charset {
    /// The set active at the start of every value (value 1 of 0008,0005).
    initial: SpecificCharacterSet,
    /// Whether escape sequences must be followed (more than one value).
    iso2022: bool,
    /// Terms that were not recognised, for a warning.
    unknown: Vec<String>,
}

impl Charset {
    /// Builds the decoder from the raw (0008,0005) value, backslashes and all.
    ///
    /// ```
    /// let cs = dcm_core::charset::Charset::from_value("ISO_IR100");
    /// assert_eq!(cs.decode(b"M\xfcller"), "Müller");
    /// ```
    pub fn from_value(value: &str) -> Charset {
        let terms: Vec<&str> = value.split('\\').map(str::trim).collect();
        let mut unknown = Vec::new();
        let mut resolve = |term: &str| {
            if term.is_empty() {
                return Some(SpecificCharacterSet::default());
            }
            let found = lookup(term);
            if found.is_none() {
                unknown.push(term.to_string());
            }
            found
        };
        let initial = resolve(terms[0]).unwrap_or_default();
        for term in &terms[1..] {
            resolve(term);
        }
        Charset {
            initial,
            iso2022: terms.len() > 1,
            unknown,
        }
    }

    /// Latin-1, the documented fallback for answers without (0008,0005).
    pub fn latin1() -> Charset {
        Charset::from_value("ISO_IR 100")
    }

    /// Defined terms that were not recognised (decoded as the default set).
    pub fn unknown_terms(&self) -> &[String] {
        &self.unknown
    }

    /// Decodes bytes to UTF-8 text; undecodable bytes become U+FFFD.
    pub fn decode(&self, bytes: &[u8]) -> String {
        if self.iso2022 && bytes.contains(&ESC) {
            return decode_iso2022(&self.initial, bytes);
        }
        decode_with(&self.initial, bytes)
    }
}

fn decode_with(codec: &SpecificCharacterSet, bytes: &[u8]) -> String {
    codec
        .decode(bytes)
        .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned())
}

/// Finds a defined term, forgiving the misspellings that real files carry.
fn lookup(term: &str) -> Option<SpecificCharacterSet> {
    if let Some(cs) = SpecificCharacterSet::from_code(term) {
        return Some(cs);
    }
    let upper = term.to_ascii_uppercase().replace(['-', '_'], " ");
    let squeezed: String = upper.split_whitespace().collect::<Vec<_>>().join(" ");
    let canonical = match squeezed.as_str() {
        "UTF8" | "UTF 8" => "ISO_IR 192".to_string(),
        "GB18030" | "GBK" => squeezed.clone(),
        s => {
            // "ISO IR100", "ISOIR 100", "ISO 2022IR 100": keep only the number.
            let digits: String = s.chars().rev().take_while(char::is_ascii_digit).collect();
            let number: String = digits.chars().rev().collect();
            if number.is_empty() || !s.starts_with("ISO") {
                return None;
            }
            format!("ISO_IR {number}")
        }
    };
    SpecificCharacterSet::from_code(&canonical)
}

/// Decodes a value that switches sets by ISO 2022 escape sequences.
fn decode_iso2022(initial: &SpecificCharacterSet, bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut active = Active::Set(initial.clone());
    let mut rest = bytes;
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == ESC).unwrap_or(rest.len());
        out.push_str(&active.decode(&rest[..end]));
        rest = &rest[end..];
        if rest.is_empty() {
            break;
        }
        let (next, len) = escape(rest, initial);
        active = next;
        rest = &rest[len..];
    }
    out
}

/// The set in force between two escape sequences.
enum Active {
    Set(SpecificCharacterSet),
    /// JIS X 0208 in G0: two 7-bit bytes a character, decoded as ISO-2022-JP.
    Jis0208,
    /// JIS X 0201 katakana in G1 (ISO 2022 IR 13).
    Katakana,
}

impl Active {
    fn decode(&self, bytes: &[u8]) -> String {
        match self {
            Active::Set(cs) => decode_with(cs, bytes),
            Active::Jis0208 => {
                let mut framed = b"\x1b$B".to_vec();
                framed.extend_from_slice(bytes);
                framed.extend_from_slice(b"\x1b(B");
                decode_with(
                    &SpecificCharacterSet::from_code("ISO_IR 87").unwrap(),
                    &framed,
                )
            }
            Active::Katakana => bytes
                .iter()
                .map(|&b| match b {
                    0xa1..=0xdf => {
                        char::from_u32(0xff61 + u32::from(b - 0xa1)).unwrap_or('\u{fffd}')
                    }
                    b if b < 0x80 => char::from(b),
                    _ => '\u{fffd}',
                })
                .collect(),
        }
    }
}

/// Reads the escape sequence at the start of `bytes`; returns the set it
/// selects and its length. An unknown sequence keeps the initial set.
fn escape(bytes: &[u8], initial: &SpecificCharacterSet) -> (Active, usize) {
    let set = |code: &str| Active::Set(SpecificCharacterSet::from_code(code).unwrap_or_default());
    let known: &[(&[u8], &str)] = &[
        (b"\x1b(B", "ISO_IR 6"),
        (b"\x1b(J", "ISO_IR 6"),
        (b"\x1b-A", "ISO_IR 100"),
        (b"\x1b-B", "ISO_IR 101"),
        (b"\x1b-C", "ISO_IR 109"),
        (b"\x1b-D", "ISO_IR 110"),
        (b"\x1b-F", "ISO_IR 126"),
        (b"\x1b-G", "ISO_IR 127"),
        (b"\x1b-H", "ISO_IR 138"),
        (b"\x1b-L", "ISO_IR 144"),
        (b"\x1b-T", "ISO_IR 166"),
        (b"\x1b$)C", "ISO_IR 149"),
        (b"\x1b$)A", "GBK"),
    ];
    for (seq, code) in known {
        if bytes.starts_with(seq) {
            return (set(code), seq.len());
        }
    }
    if bytes.starts_with(b"\x1b$B") {
        return (Active::Jis0208, 3);
    }
    if bytes.starts_with(b"\x1b)I") {
        return (Active::Katakana, 3);
    }
    (Active::Set(initial.clone()), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_terms_are_recognised() {
        for term in [
            "ISO_IR 100",
            "ISO_IR100",
            "ISO-IR 100",
            "iso_ir_100",
            "ISO IR 100",
        ] {
            assert_eq!(Charset::from_value(term).decode(b"\xc5se"), "Åse", "{term}");
            assert!(
                Charset::from_value(term).unknown_terms().is_empty(),
                "{term}"
            );
        }
        assert_eq!(
            Charset::from_value("UTF-8").decode("Dvořák".as_bytes()),
            "Dvořák"
        );
        assert_eq!(
            Charset::from_value("ISO_IR192").decode("Dvořák".as_bytes()),
            "Dvořák"
        );
    }

    #[test]
    fn unknown_terms_are_reported_and_decoded_as_default() {
        let cs = Charset::from_value("KLINGON");
        assert_eq!(cs.unknown_terms(), ["KLINGON"]);
        assert_eq!(cs.decode(b"PAT1"), "PAT1");
    }

    #[test]
    fn japanese_iso2022_with_empty_first_value() {
        // PS3.5 H.3.1: Yamada^Tarou=山田^太郎=やまだ^たろう in ISO 2022 IR 87.
        let cs = Charset::from_value("\\ISO 2022 IR 87");
        let bytes =
            b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B";
        assert_eq!(cs.decode(bytes), "Yamada^Tarou=山田^太郎=やまだ^たろう");
    }

    #[test]
    fn korean_iso2022() {
        // PS3.5 I.2: Hong^Gildong=洪^吉洞=홍^길동 in ISO 2022 IR 149.
        let cs = Charset::from_value("\\ISO 2022 IR 149");
        let bytes: &[u8] = &[
            b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=".as_slice(),
            b"\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf",
        ]
        .concat();
        assert_eq!(cs.decode(bytes), "Hong^Gildong=洪^吉洞=홍^길동");
    }

    #[test]
    fn latin1_switched_in_by_escape() {
        let cs = Charset::from_value("ISO 2022 IR 6\\ISO 2022 IR 100");
        assert_eq!(cs.decode(b"A\x1b-A\xe9"), "Aé");
    }
}
