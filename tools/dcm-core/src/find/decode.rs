//! Decoding one match: dicom-rs reads the structure, and the text that its
//! reader cannot decode right is decoded again from the bytes by
//! [`crate::charset`].
//!
//! dicom-rs decodes text by value 1 of (0008,0005) only: it does not follow
//! ISO 2022 escape sequences (PS3.5 6.1.2.5), ignores misspelt terms, and
//! reads an answer without (0008,0005) as Latin-1. Those answers have their
//! top-level text elements (SH, LO, ST, LT, UT, UC, PN) decoded again here,
//! from the raw bytes, by the declared set or by the caller's fallback.
//! Text inside sequences keeps dicom-rs's reading: C-FIND answers rarely
//! carry sequences, and never in the keys this tool asks for by default.

use dicom_core::header::HasLength;
use dicom_core::{DataElement, Length, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_encoding::decode::DecodeFrom;
use dicom_encoding::text::SpecificCharacterSet;
use dicom_encoding::TransferSyntax;
use dicom_object::InMemDicomObject;

use crate::charset::Charset;

type Decoder<'a> = Box<dyn DecodeFrom<&'a [u8]> + 'a>;

/// A top-level text element as encoded: tag, VR and value bytes.
type RawText<'a> = (Tag, VR, &'a [u8]);

/// A decoded match, with what is worth a warning about its text.
#[derive(Debug)]
pub struct Decoded {
    /// The identifier.
    pub object: InMemDicomObject,
    /// A note on how its text was decoded, when it was a guess.
    pub warning: Option<String>,
}

/// Reads one identifier, decoding its text by its own Specific Character
/// Set, or by `fallback` (a defined term) when it declares none but holds
/// non-ASCII bytes.
pub fn identifier(data: &[u8], ts: &TransferSyntax, fallback: &str) -> Result<Decoded, String> {
    let mut object = InMemDicomObject::read_dataset_with_ts(data, ts).map_err(|e| e.to_string())?;
    let declared = declared_charset(&object);
    let own = declared.as_deref().is_some_and(beyond_dicom_rs);
    let texts = raw_texts(data, ts)?;
    let non_ascii = texts.iter().any(|(_, _, bytes)| !bytes.is_ascii());
    let (charset, warning) = match declared {
        None if non_ascii => {
            let why = format!(
                "match without Specific Character Set holds non-ASCII text: read as {fallback} \
                 (--fallback-charset)"
            );
            (Charset::from_value(fallback), Some(why))
        }
        Some(value) if own => {
            let cs = Charset::from_value(&value);
            let why = (!cs.unknown_terms().is_empty() && non_ascii).then(|| {
                let terms = cs.unknown_terms().join(", ");
                format!("unknown Specific Character Set {terms}: text may be misread")
            });
            (cs, why)
        }
        _ => {
            return Ok(Decoded {
                object,
                warning: None,
            })
        }
    };
    for (tag, vr, bytes) in texts {
        object.put(DataElement::new(tag, vr, text_value(&charset, vr, bytes)));
    }
    Ok(Decoded { object, warning })
}

/// The (0008,0005) value with its backslashes, when it is not blank.
fn declared_charset(object: &InMemDicomObject) -> Option<String> {
    let element = object.element(tags::SPECIFIC_CHARACTER_SET).ok()?;
    let value = element.to_str().ok()?;
    (!value.trim().is_empty()).then(|| value.into_owned())
}

/// Whether dicom-rs's reader misreads text under this (0008,0005): several
/// values (ISO 2022 code extensions), or a term it does not know.
fn beyond_dicom_rs(value: &str) -> bool {
    value.contains('\\') || SpecificCharacterSet::from_code(value.trim()).is_none()
}

/// Decodes a text value and splits it into its values; DICOM padding
/// (trailing spaces, NUL) is removed.
fn text_value(charset: &Charset, vr: VR, bytes: &[u8]) -> PrimitiveValue {
    let text = charset.decode(bytes);
    let single = matches!(vr, VR::ST | VR::LT | VR::UT);
    let mut values: Vec<String> = if single {
        vec![text]
    } else {
        // Split after decoding: a two-byte character may hold the byte 5CH.
        text.split('\\').map(str::to_string).collect()
    };
    for v in &mut values {
        v.truncate(v.trim_end_matches([' ', '\0']).len());
    }
    match values.len() {
        1 if values[0].is_empty() => PrimitiveValue::Empty,
        1 => PrimitiveValue::from(values.remove(0)),
        _ => PrimitiveValue::Strs(values.into()),
    }
}

fn is_text(vr: VR) -> bool {
    matches!(
        vr,
        VR::SH | VR::LO | VR::ST | VR::LT | VR::UT | VR::UC | VR::PN
    )
}

/// The raw bytes of the top-level text elements of an encoded data set.
fn raw_texts<'a>(data: &'a [u8], ts: &TransferSyntax) -> Result<Vec<RawText<'a>>, String> {
    let decoder: Decoder<'a> = ts
        .decoder_for::<&'a [u8]>()
        .ok_or_else(|| format!("cannot read transfer syntax {}", ts.name()))?;
    let mut rest = data;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (header, _) = decoder
            .decode_header(&mut rest)
            .map_err(|e| format!("cannot read an element header: {e}"))?;
        if header.vr == VR::SQ || header.length().is_undefined() {
            skip_sequence(&decoder, &mut rest, header.length())?;
            continue;
        }
        let value = take(&mut rest, header.length())?;
        if is_text(header.vr) {
            out.push((header.tag, header.vr, value));
        }
    }
    Ok(out)
}

/// Takes `len` bytes off the front of `rest`.
fn take<'a>(rest: &mut &'a [u8], len: Length) -> Result<&'a [u8], String> {
    let n = len.get().unwrap_or(0) as usize;
    if n > rest.len() {
        return Err(format!("element of {n} bytes past the end of the data set"));
    }
    let (value, tail) = rest.split_at(n);
    *rest = tail;
    Ok(value)
}

const ITEM: Tag = Tag(0xFFFE, 0xE000);
const ITEM_END: Tag = Tag(0xFFFE, 0xE00D);
const SEQUENCE_END: Tag = Tag(0xFFFE, 0xE0DD);

/// Skips a sequence (or an undefined-length value read as one).
fn skip_sequence<'a>(
    decoder: &Decoder<'a>,
    rest: &mut &'a [u8],
    len: Length,
) -> Result<(), String> {
    if len.is_defined() {
        return take(rest, len).map(drop);
    }
    loop {
        match next_tag(rest)? {
            SEQUENCE_END => return take(rest, Length(8)).map(drop),
            ITEM => {
                take(rest, Length(4))?;
                let raw = take(rest, Length(4))?;
                let item_len = Length(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]));
                if item_len.is_defined() {
                    take(rest, item_len)?;
                } else {
                    skip_item_elements(decoder, rest)?;
                }
            }
            other => return Err(format!("unexpected element {other} in a sequence")),
        }
    }
}

/// Skips the elements of an undefined-length item, and its delimiter.
fn skip_item_elements<'a>(decoder: &Decoder<'a>, rest: &mut &'a [u8]) -> Result<(), String> {
    loop {
        if next_tag(rest)? == ITEM_END {
            return take(rest, Length(8)).map(drop);
        }
        let (header, _) = decoder
            .decode_header(rest)
            .map_err(|e| format!("cannot read an element header: {e}"))?;
        if header.vr == VR::SQ || header.length().is_undefined() {
            skip_sequence(decoder, rest, header.length())?;
        } else {
            take(rest, header.length())?;
        }
    }
}

/// The tag at the front of `rest` (little endian), without consuming it.
fn next_tag(rest: &[u8]) -> Result<Tag, String> {
    match rest {
        [g0, g1, e0, e1, ..] => Ok(Tag(
            u16::from_le_bytes([*g0, *g1]),
            u16::from_le_bytes([*e0, *e1]),
        )),
        _ => Err("data set ends inside a sequence".into()),
    }
}

#[cfg(test)]
mod tests;
