use super::*;
use dicom_transfer_syntax_registry::entries::{
    EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
};

/// One explicit VR little endian element with a short length field.
fn element(tag: Tag, vr: &str, value: &[u8]) -> Vec<u8> {
    let mut value = value.to_vec();
    if value.len() % 2 == 1 {
        value.push(b' ');
    }
    let mut out = Vec::new();
    out.extend_from_slice(&tag.0.to_le_bytes());
    out.extend_from_slice(&tag.1.to_le_bytes());
    out.extend_from_slice(vr.as_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(&value);
    out
}

fn answer(charset: Option<&str>, name: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    if let Some(cs) = charset {
        data.extend(element(tags::SPECIFIC_CHARACTER_SET, "CS", cs.as_bytes()));
    }
    data.extend(element(tags::PATIENT_NAME, "PN", name));
    data.extend(element(tags::PATIENT_ID, "LO", b"P1"));
    data
}

fn decode(data: &[u8], fallback: &str) -> Decoded {
    identifier(data, &EXPLICIT_VR_LITTLE_ENDIAN.erased(), fallback).unwrap()
}

fn name(d: &Decoded) -> String {
    d.object
        .element(tags::PATIENT_NAME)
        .unwrap()
        .to_str()
        .unwrap()
        .into_owned()
}

#[test]
fn japanese_iso2022_of_ps3_5_h_3_1() {
    let bytes =
        b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B";
    let d = decode(&answer(Some("\\ISO 2022 IR 87"), bytes), "ISO_IR 100");
    assert_eq!(name(&d), "Yamada^Tarou=山田^太郎=やまだ^たろう");
    assert!(d.warning.is_none());
}

#[test]
fn korean_iso2022_of_ps3_5_i_2() {
    let bytes: &[u8] = &[
        b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=".as_slice(),
        b"\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf",
    ]
    .concat();
    let d = decode(&answer(Some("\\ISO 2022 IR 149"), bytes), "ISO_IR 100");
    assert_eq!(name(&d), "Hong^Gildong=洪^吉洞=홍^길동");
}

#[test]
fn missing_charset_uses_the_fallback_with_a_warning() {
    let data = answer(None, b"M\xfcller^\xc5se");
    let d = decode(&data, "ISO_IR 100");
    assert_eq!(name(&d), "Müller^Åse");
    assert!(d.warning.unwrap().contains("read as ISO_IR 100"));
    // The same bytes read as Latin-2 (ISO_IR 101): ü stays, Å becomes Ĺ.
    assert_eq!(name(&decode(&data, "ISO_IR 101")), "Müller^Ĺse");
}

#[test]
fn ascii_without_charset_needs_no_warning() {
    let d = decode(&answer(None, b"Muller^Ase"), "ISO_IR 100");
    assert_eq!(name(&d), "Muller^Ase");
    assert!(d.warning.is_none());
}

#[test]
fn misspelt_terms_are_decoded_by_the_set_meant() {
    let d = decode(&answer(Some("ISO_IR100"), b"M\xfcller"), "ISO_IR 192");
    assert_eq!(name(&d), "Müller");
    let d = decode(&answer(Some("UTF-8"), "Dvořák".as_bytes()), "ISO_IR 100");
    assert_eq!(name(&d), "Dvořák");
}

#[test]
fn values_are_split_and_unpadded() {
    let mut data = element(tags::SPECIFIC_CHARACTER_SET, "CS", b"\\ISO 2022 IR 100");
    data.extend(element(tags::STUDY_DESCRIPTION, "LO", b"A\\B\xe9 "));
    let d = decode(&data, "ISO_IR 100");
    let e = d.object.element(tags::STUDY_DESCRIPTION).unwrap();
    assert_eq!(e.value().to_multi_str().unwrap().to_vec(), ["A", "Bé"]);
}

#[test]
fn sequences_are_skipped_in_both_lengths() {
    let mut data = element(tags::SPECIFIC_CHARACTER_SET, "CS", b"\\ISO 2022 IR 100");
    // An undefined-length sequence with one undefined-length item.
    data.extend([
        0x08, 0x00, 0x32, 0x11, b'S', b'Q', 0, 0, 0xff, 0xff, 0xff, 0xff,
    ]);
    data.extend([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
    data.extend(element(Tag(0x0008, 0x1150), "UI", b"1.2"));
    data.extend([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
    data.extend([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
    data.extend(element(tags::PATIENT_NAME, "PN", b"\xc5se"));
    let d = decode(&data, "ISO_IR 100");
    assert_eq!(name(&d), "Åse");
    let raw = raw_texts(&data, &EXPLICIT_VR_LITTLE_ENDIAN.erased()).unwrap();
    assert_eq!(raw.len(), 1);
}

#[test]
fn implicit_vr_is_read_by_the_dictionary() {
    let mut obj = InMemDicomObject::new_empty();
    obj.put(DataElement::new(
        tags::PATIENT_NAME,
        VR::PN,
        PrimitiveValue::U8(b"M\xfcller".to_vec().into()),
    ));
    let mut data = Vec::new();
    let ts = IMPLICIT_VR_LITTLE_ENDIAN.erased();
    obj.write_dataset_with_ts(&mut data, &ts).unwrap();
    let d = identifier(&data, &ts, "ISO_IR 100").unwrap();
    assert_eq!(name(&d), "Müller");
}

#[test]
fn truncated_data_is_an_error_not_a_panic() {
    let data = answer(None, b"M\xfcller");
    assert!(raw_texts(&data[..data.len() - 3], &EXPLICIT_VR_LITTLE_ENDIAN.erased()).is_err());
}
