//! Finding one top-level attribute in a DICOM stream, reading no further.
//!
//! A dedicated scanner rather than dicom-object's reader, because dcm-ids must
//! take the ID from every file a PACS or modality writes: files with or without
//! preamble and meta group, meta groups missing elements, transfer syntaxes
//! that disagree with the bytes, big endian, deflate, private UN elements of
//! undefined length, and files cut short after the attribute. It walks element
//! headers, skips values (and nested sequences) without decoding them, and
//! stops at the first top-level tag past the one it looks for, so Pixel Data
//! is never read.

use std::io::{self, Read};

use dicom_core::Tag;
use flate2::read::{DeflateDecoder, ZlibDecoder};

use crate::source::Source;

const ITEM: Tag = Tag(0xFFFE, 0xE000);
const ITEM_END: Tag = Tag(0xFFFE, 0xE00D);
const SEQUENCE_END: Tag = Tag(0xFFFE, 0xE0DD);
const UNDEFINED: u32 = 0xFFFF_FFFF;
const CHARSET: Tag = Tag(0x0008, 0x0005);
const MEDIA_SOP_CLASS: Tag = Tag(0x0002, 0x0002);
const TRANSFER_SYNTAX: Tag = Tag(0x0002, 0x0010);
const DICOMDIR_CLASS: &str = "1.2.840.10008.1.3.10";
/// The longest first element (implicit VR) a file without preamble is
/// believed to start with: group lengths, character sets and image types are
/// far shorter.
const FIRST_ELEMENT_MAX: u32 = 1024;
/// Nesting deeper than this is taken as a damaged file, not a real data set.
const MAX_DEPTH: u32 = 64;

/// What a scan found.
#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// The attribute's raw value, and the raw Specific Character Set if any.
    Found {
        value: Vec<u8>,
        charset: Option<Vec<u8>>,
    },
    /// A DICOM data set without the attribute.
    Absent,
    /// A DICOMDIR, which lists other files and is not itself a study.
    DicomDir,
    /// Not a DICOM stream at all.
    NotDicom,
}

/// Why a scan could not finish.
#[derive(Debug)]
pub enum ScanError {
    /// The stream ended inside an element before the attribute.
    Truncated,
    /// Bytes that no DICOM encoding produces.
    Malformed(String),
    /// Reading failed.
    Io(io::Error),
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ScanError::Truncated
        } else {
            ScanError::Io(e)
        }
    }
}

/// How the data set is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Encoding {
    explicit: bool,
    little: bool,
    /// Inside a UN of undefined length, where each element shows by its
    /// bytes whether it is explicit.
    sniffed: bool,
}

const IMPLICIT_LE: Encoding = Encoding {
    explicit: false,
    little: true,
    sniffed: false,
};
const EXPLICIT_LE: Encoding = Encoding {
    explicit: true,
    little: true,
    sniffed: false,
};

/// One element header.
struct Header {
    tag: Tag,
    vr: Option<[u8; 2]>,
    len: u32,
}

/// Scans `input` for the top-level attribute `target`.
pub fn scan<R: Read>(input: R, target: Tag) -> Result<Scan, ScanError> {
    let mut src = Source::new(input);
    let start = src.peek(132)?;
    let meta_at = if start.len() >= 132 && &start[128..132] == b"DICM" {
        Some(132)
    } else if start.len() >= 4 && &start[..4] == b"DICM" {
        Some(4)
    } else {
        None
    };
    let mut declared = None;
    let mut had_meta = meta_at.is_some();
    if let Some(at) = meta_at {
        src.skip(at as u64)?;
        let meta = read_meta(&mut src)?;
        if meta.sop_class.as_deref() == Some(DICOMDIR_CLASS) {
            return Ok(Scan::DicomDir);
        }
        declared = meta.transfer_syntax;
    } else if !looks_like_dataset(src.peek(8)?) {
        return Ok(Scan::NotDicom);
    } else if group_of(src.peek(8)?) == 0x0002 {
        // A meta group without preamble and magic, as some writers leave it.
        let meta = read_meta(&mut src)?;
        declared = meta.transfer_syntax;
        had_meta = true;
    }
    // A meta group with no data set after it is a file cut short, not a data
    // set without the attribute: nothing but the header was ever written.
    if had_meta && src.at_end()? {
        return Err(ScanError::Truncated);
    }
    let (mut enc, deflated) = match declared.as_deref() {
        Some("1.2.840.10008.1.2") => (IMPLICIT_LE, false),
        Some("1.2.840.10008.1.2.2") => (
            Encoding {
                explicit: true,
                little: false,
                sniffed: false,
            },
            false,
        ),
        Some("1.2.840.10008.1.2.1.99") => (EXPLICIT_LE, true),
        Some(_) => (EXPLICIT_LE, false),
        None => (sniff(src.peek(8)?).unwrap_or(IMPLICIT_LE), false),
    };
    if deflated {
        // PS3.5 A.5 asks for raw deflate; some writers add a zlib header.
        let zlib = is_zlib_header(src.peek(2)?);
        let rest = src.into_reader();
        if zlib {
            return walk(
                &mut Source::new(ZlibDecoder::new(rest)),
                target,
                EXPLICIT_LE,
            );
        }
        return walk(
            &mut Source::new(DeflateDecoder::new(rest)),
            target,
            EXPLICIT_LE,
        );
    }
    // Writers that declare one transfer syntax and write another exist; the
    // bytes win over the declaration where they are unambiguous.
    if let Some(actual) = sniff(src.peek(8)?) {
        enc = actual;
    }
    walk(&mut src, target, enc)
}

/// The two meta elements that matter here.
struct Meta {
    sop_class: Option<String>,
    transfer_syntax: Option<String>,
}

/// Reads the meta group element by element (explicit VR little endian), not
/// trusting its group length, which some writers leave out or get wrong.
fn read_meta<R: Read>(src: &mut Source<R>) -> Result<Meta, ScanError> {
    let mut meta = Meta {
        sop_class: None,
        transfer_syntax: None,
    };
    loop {
        let head = src.peek(8)?;
        if head.len() < 8 || group_of(head) != 0x0002 {
            return Ok(meta);
        }
        let enc = sniff(head).unwrap_or(EXPLICIT_LE);
        let header = read_header(src, enc)?.ok_or(ScanError::Truncated)?;
        if header.len == UNDEFINED {
            return Err(ScanError::Malformed(
                "meta element of undefined length".into(),
            ));
        }
        let value = src.take(header.len as usize)?.ok_or(ScanError::Truncated)?;
        let text = || {
            String::from_utf8_lossy(&value)
                .trim_end_matches(['\0', ' '])
                .to_string()
        };
        match header.tag {
            MEDIA_SOP_CLASS => meta.sop_class = Some(text()),
            TRANSFER_SYNTAX => meta.transfer_syntax = Some(text()),
            _ => {}
        }
    }
}

/// Walks the top-level elements until `target` or a later tag.
fn walk<R: Read>(src: &mut Source<R>, target: Tag, enc: Encoding) -> Result<Scan, ScanError> {
    let mut charset = None;
    while let Some(header) = read_header(src, enc)? {
        if header.tag.group() == 0x0004 {
            return Ok(Scan::DicomDir);
        }
        if header.tag > target {
            return Ok(Scan::Absent);
        }
        let is_value = header.tag == target || header.tag == CHARSET;
        if is_value && header.len != UNDEFINED && !is_sequence(&header) {
            let value = src.take(header.len as usize)?.ok_or(ScanError::Truncated)?;
            if header.tag == target {
                return Ok(Scan::Found { value, charset });
            }
            charset = Some(value);
        } else {
            skip_value(src, &header, enc, 0)?;
        }
    }
    Ok(Scan::Absent)
}

fn is_sequence(header: &Header) -> bool {
    header.vr == Some(*b"SQ")
}

/// Reads one element header; `None` at a clean end of the stream.
fn read_header<R: Read>(src: &mut Source<R>, enc: Encoding) -> Result<Option<Header>, ScanError> {
    if src.at_end()? {
        return Ok(None);
    }
    let raw = src.take(4)?.ok_or(ScanError::Truncated)?;
    let u16_at = |b: &[u8], i: usize| {
        let pair = [b[i], b[i + 1]];
        if enc.little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    };
    let tag = Tag(u16_at(&raw, 0), u16_at(&raw, 2));
    let u32_of = |b: &[u8]| {
        let quad = [b[0], b[1], b[2], b[3]];
        if enc.little {
            u32::from_le_bytes(quad)
        } else {
            u32::from_be_bytes(quad)
        }
    };
    if !enc.explicit || tag.group() == 0xFFFE {
        let len = src.take(4)?.ok_or(ScanError::Truncated)?;
        return Ok(Some(Header {
            tag,
            vr: None,
            len: u32_of(&len),
        }));
    }
    let vr_bytes = src.take(2)?.ok_or(ScanError::Truncated)?;
    let vr = [vr_bytes[0], vr_bytes[1]];
    let len = if has_long_length(vr) {
        let rest = src.take(6)?.ok_or(ScanError::Truncated)?;
        u32_of(&rest[2..])
    } else {
        let rest = src.take(2)?.ok_or(ScanError::Truncated)?;
        u32::from(u16_at(&rest, 0))
    };
    Ok(Some(Header {
        tag,
        vr: Some(vr),
        len,
    }))
}

/// VRs whose explicit encoding has two reserved bytes and a 32-bit length.
fn has_long_length(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

/// Skips an element's value, descending into undefined-length sequences.
fn skip_value<R: Read>(
    src: &mut Source<R>,
    header: &Header,
    enc: Encoding,
    depth: u32,
) -> Result<(), ScanError> {
    if header.len != UNDEFINED {
        return Ok(src.skip(u64::from(header.len))?);
    }
    if depth > MAX_DEPTH {
        return Err(ScanError::Malformed("sequences nested too deeply".into()));
    }
    // An undefined-length UN holds its items in implicit VR little endian
    // (PS3.5 6.2.2), whatever the data set around it uses.
    let inner = if header.vr == Some(*b"UN") {
        Encoding {
            sniffed: true,
            ..IMPLICIT_LE
        }
    } else {
        enc
    };
    loop {
        let item = read_header(src, inner)?.ok_or(ScanError::Truncated)?;
        match item.tag {
            SEQUENCE_END => return Ok(()),
            ITEM if item.len != UNDEFINED => src.skip(u64::from(item.len))?,
            ITEM => skip_item(src, inner, depth + 1)?,
            other => {
                let why = format!("element ({other}) where a sequence item should be");
                return Err(ScanError::Malformed(why));
            }
        }
    }
}

/// Skips the elements of an undefined-length item up to its delimiter.
fn skip_item<R: Read>(src: &mut Source<R>, enc: Encoding, depth: u32) -> Result<(), ScanError> {
    loop {
        // Items of a UN sequence should be implicit VR, but writers that
        // turned an explicit SQ into UN left them explicit: the bytes decide.
        let here = if enc.sniffed {
            let head = src.peek(8)?;
            let explicit = head.len() >= 6 && is_vr([head[4], head[5]]);
            Encoding { explicit, ..enc }
        } else {
            enc
        };
        let header = read_header(src, here)?.ok_or(ScanError::Truncated)?;
        if header.tag == ITEM_END {
            return Ok(());
        }
        skip_value(src, &header, here, depth)?;
    }
}

/// A zlib stream header (RFC 1950): deflate method, and a check sum over
/// the two bytes that raw deflate data almost never passes.
fn is_zlib_header(head: &[u8]) -> bool {
    head.len() == 2
        && head[0] & 0x0F == 8
        && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0
}

fn group_of(head: &[u8]) -> u16 {
    if head.len() < 2 {
        return 0xFFFF;
    }
    let le = u16::from_le_bytes([head[0], head[1]]);
    let be = u16::from_be_bytes([head[0], head[1]]);
    le.min(be)
}

/// Whether the first bytes of a file without preamble open a data set. Every
/// writer starts with the meta, identifying or patient group, and the first
/// elements of those are short, so anything else (text, images, zeros, other
/// binary formats) is not taken for DICOM and so never reported as damaged.
fn looks_like_dataset(head: &[u8]) -> bool {
    if head.len() < 8 || !matches!(group_of(head), 0x0002 | 0x0008 | 0x0010) {
        return false;
    }
    let Some(enc) = sniff(head) else {
        return false;
    };
    if enc.explicit {
        return true;
    }
    let quad = [head[4], head[5], head[6], head[7]];
    let len = if enc.little {
        u32::from_le_bytes(quad)
    } else {
        u32::from_be_bytes(quad)
    };
    len <= FIRST_ELEMENT_MAX
}

/// Guesses the encoding from an element header: explicit when bytes 4..6 are
/// a VR, little endian when the group's low byte comes first.
fn sniff(head: &[u8]) -> Option<Encoding> {
    if head.len() < 8 {
        return None;
    }
    let little = !(head[0] == 0 && head[1] != 0);
    let vr = [head[4], head[5]];
    Some(Encoding {
        explicit: is_vr(vr),
        little,
        sniffed: false,
    })
}

fn is_vr(vr: [u8; 2]) -> bool {
    const ALL: [&[u8; 2]; 34] = [
        b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"OB",
        b"OD", b"OF", b"OL", b"OV", b"OW", b"PN", b"SH", b"SL", b"SQ", b"SS", b"ST", b"SV", b"TM",
        b"UC", b"UI", b"UL", b"UN", b"UR", b"US", b"UT", b"UV",
    ];
    ALL.contains(&&vr)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT_ID: Tag = Tag(0x0010, 0x0020);

    #[test]
    fn binary_that_starts_like_an_element_is_not_dicom() {
        // An ICC profile: group 0000 and a "length" far past the end.
        let icc = b"\0\0\x22\x38lcms\x04\0\0\0mntrRGB XYZ ";
        assert_eq!(scan(&icc[..], PATIENT_ID).unwrap(), Scan::NotDicom);
        // Group 0008, but an implicit first element of 1.8 GB.
        let long = b"\x08\0\x05\0\0\0\0\x70rest";
        assert_eq!(scan(&long[..], PATIENT_ID).unwrap(), Scan::NotDicom);
    }

    #[test]
    fn bare_implicit_data_set_is_read() {
        let mut file = b"\x10\0\x20\0\x04\0\0\0P01 ".to_vec();
        file.extend_from_slice(b"\x10\0\x30\0\0\0\0\0");
        let found = scan(&file[..], PATIENT_ID).unwrap();
        let want = Scan::Found {
            value: b"P01 ".to_vec(),
            charset: None,
        };
        assert_eq!(found, want);
    }

    #[test]
    fn zlib_header_is_told_from_raw_deflate() {
        assert!(is_zlib_header(&[0x78, 0x9C]));
        assert!(is_zlib_header(&[0x78, 0x01]));
        // A raw stored block, as dcm-ids' tests write it.
        assert!(!is_zlib_header(&[0x01, 0x10]));
    }
}
