//! Naming attributes on the command line: a keyword (`PatientID`) or a tag
//! (`0010,0020`, `(0010,0020)`, `00100020`), resolved with the standard
//! dictionary so that every tool accepts the same spellings.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// An attribute chosen by the user: its tag and how to call it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    /// The data element tag.
    pub tag: Tag,
    /// The VR the standard dictionary gives (UN for unknown or private tags).
    pub vr: VR,
}

impl Attribute {
    /// The keyword if the dictionary knows the tag, else `gggg,eeee`.
    pub fn name(&self) -> String {
        keyword(self.tag).map_or_else(|| tag_hex(self.tag), str::to_string)
    }
}

/// Parses a keyword or a tag.
///
/// ```
/// use dcm_core::tag::parse;
/// assert_eq!(parse("PatientID").unwrap().tag, dicom_core::Tag(0x0010, 0x0020));
/// assert_eq!(parse("0020,000d").unwrap().name(), "StudyInstanceUID");
/// assert!(parse("NoSuchKeyword").is_err());
/// ```
pub fn parse(text: &str) -> Result<Attribute, String> {
    let text = text.trim();
    let tag = StandardDataDictionary
        .parse_tag(text)
        .or_else(|| parse_plain_hex(text))
        .ok_or_else(|| format!("unknown attribute {text:?}: give a keyword or gggg,eeee"))?;
    Ok(Attribute {
        tag,
        vr: vr_of(tag),
    })
}

fn parse_plain_hex(text: &str) -> Option<Tag> {
    if text.len() != 8 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let g = u16::from_str_radix(&text[..4], 16).ok()?;
    let e = u16::from_str_radix(&text[4..], 16).ok()?;
    Some(Tag(g, e))
}

/// The dictionary VR of a tag; UN where the dictionary has none.
pub fn vr_of(tag: Tag) -> VR {
    match StandardDataDictionary.by_tag(tag).map(|e| e.vr()) {
        Some(VirtualVr::Exact(vr)) => vr,
        Some(VirtualVr::Xs) => VR::US,
        Some(VirtualVr::Ox) | Some(VirtualVr::Px) => VR::OB,
        Some(VirtualVr::Lt) => VR::US,
        _ => VR::UN,
    }
}

/// The standard keyword of a tag, if any.
pub fn keyword(tag: Tag) -> Option<&'static str> {
    StandardDataDictionary.by_tag(tag).map(|e| e.alias)
}

/// A tag as the 8 upper-case hex digits of the DICOM JSON model.
pub fn json_key(tag: Tag) -> String {
    // Looked up several times per record on the lay-out path, where
    // `format!` showed in profiles.
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let number = (u32::from(tag.0) << 16) | u32::from(tag.1);
    (0..8)
        .rev()
        .map(|i| char::from(HEX[(number >> (4 * i)) as usize & 0xF]))
        .collect()
}

/// A tag as `gggg,eeee`.
pub fn tag_hex(tag: Tag) -> String {
    format!("{:04X},{:04X}", tag.0, tag.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_spelling() {
        for text in [
            "PatientID",
            "0010,0020",
            "(0010,0020)",
            "00100020",
            " PatientID ",
        ] {
            let a = parse(text).unwrap();
            assert_eq!(a.tag, Tag(0x0010, 0x0020), "{text}");
            assert_eq!(a.vr, VR::LO);
        }
    }

    #[test]
    fn private_tags_are_unknown_vr_with_hex_names() {
        let a = parse("0009,1001").unwrap();
        assert_eq!(a.vr, VR::UN);
        assert_eq!(a.name(), "0009,1001");
        assert_eq!(json_key(a.tag), "00091001");
    }

    #[test]
    fn json_keys_are_eight_upper_case_hex_digits() {
        assert_eq!(json_key(Tag(0x0020, 0x000D)), "0020000D");
        assert_eq!(json_key(Tag(0x7FE0, 0xFFFF)), "7FE0FFFF");
        assert_eq!(json_key(Tag(0xABCD, 0xEF01)), "ABCDEF01");
    }
}
