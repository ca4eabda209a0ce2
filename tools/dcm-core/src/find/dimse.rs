//! DIMSE messages on the wire: command sets (always implicit VR little endian,
//! PS3.7 section 6.3.1) and the reassembly of a message from P-DATA values.
//!
//! A command set holds a handful of group 0000 elements, so it is encoded and
//! decoded here by hand: that keeps the bytes exact and testable without a
//! data set library. Reassembly follows only the PDV control bits, because a
//! PACS may put the command and its data set in one PDU or spread a data set
//! over many.

use std::collections::BTreeMap;

use dicom_core::Tag;
use dicom_ul::pdu::{PDataValue, PDataValueType};
use dicom_ul::Pdu;

/// (0000,0100) Command Field of a C-FIND request.
pub const C_FIND_RQ: u16 = 0x0020;
/// Command Field of a C-FIND response.
pub const C_FIND_RSP: u16 = 0x8020;
/// Command Field of a C-CANCEL request.
pub const C_CANCEL_RQ: u16 = 0x0FFF;
/// (0000,0800) Command Data Set Type: no data set follows.
pub const NO_DATA_SET: u16 = 0x0101;

/// Elements of group 0000, by element number.
pub mod elem {
    /// Command Group Length (UL).
    pub const GROUP_LENGTH: u16 = 0x0000;
    /// Affected SOP Class UID (UI).
    pub const AFFECTED_SOP_CLASS: u16 = 0x0002;
    /// Command Field (US).
    pub const COMMAND_FIELD: u16 = 0x0100;
    /// Message ID (US).
    pub const MESSAGE_ID: u16 = 0x0110;
    /// Message ID Being Responded To (US).
    pub const RESPONDED_TO: u16 = 0x0120;
    /// Priority (US).
    pub const PRIORITY: u16 = 0x0700;
    /// Command Data Set Type (US).
    pub const DATA_SET_TYPE: u16 = 0x0800;
    /// Status (US).
    pub const STATUS: u16 = 0x0900;
    /// Offending Element (AT, multi-valued).
    pub const OFFENDING_ELEMENT: u16 = 0x0901;
    /// Error Comment (LO).
    pub const ERROR_COMMENT: u16 = 0x0902;
}

/// A malformed command set or message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed DIMSE message: {0}")]
pub struct DimseError(pub String);

/// A command set: group 0000 element values by element number, raw bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    elements: BTreeMap<u16, Vec<u8>>,
}

impl Command {
    /// A C-FIND request with a data set (the identifier) to follow.
    pub fn find_rq(message_id: u16, sop_class_uid: &str) -> Command {
        let mut c = Command::default();
        c.set_uid(elem::AFFECTED_SOP_CLASS, sop_class_uid);
        c.set_u16(elem::COMMAND_FIELD, C_FIND_RQ);
        c.set_u16(elem::MESSAGE_ID, message_id);
        c.set_u16(elem::PRIORITY, 0); // medium
        c.set_u16(elem::DATA_SET_TYPE, 0x0000);
        c
    }

    /// A C-CANCEL request for the C-FIND of `message_id`.
    pub fn cancel_rq(message_id: u16) -> Command {
        let mut c = Command::default();
        c.set_u16(elem::COMMAND_FIELD, C_CANCEL_RQ);
        c.set_u16(elem::RESPONDED_TO, message_id);
        c.set_u16(elem::DATA_SET_TYPE, NO_DATA_SET);
        c
    }

    /// Sets a US element.
    pub fn set_u16(&mut self, element: u16, value: u16) {
        self.elements.insert(element, value.to_le_bytes().to_vec());
    }

    /// Sets a UI element (NUL-padded to even length).
    pub fn set_uid(&mut self, element: u16, uid: &str) {
        self.elements.insert(element, padded(uid, b'\0'));
    }

    /// Sets a text element (space-padded to even length).
    pub fn set_text(&mut self, element: u16, text: &str) {
        self.elements.insert(element, padded(text, b' '));
    }

    /// A US element.
    pub fn u16(&self, element: u16) -> Option<u16> {
        let v = self.elements.get(&element)?;
        Some(u16::from_le_bytes(v.get(..2)?.try_into().ok()?))
    }

    /// A text element without padding.
    pub fn text(&self, element: u16) -> Option<String> {
        let v = self.elements.get(&element)?;
        let s = String::from_utf8_lossy(v);
        Some(s.trim_end_matches([' ', '\0']).to_string())
    }

    /// An AT element: every tag it lists.
    pub fn tags(&self, element: u16) -> Vec<Tag> {
        let Some(v) = self.elements.get(&element) else {
            return Vec::new();
        };
        v.chunks_exact(4)
            .map(|c| {
                Tag(
                    u16::from_le_bytes([c[0], c[1]]),
                    u16::from_le_bytes([c[2], c[3]]),
                )
            })
            .collect()
    }

    /// Whether a data set follows this command.
    pub fn has_data_set(&self) -> bool {
        self.u16(elem::DATA_SET_TYPE)
            .is_some_and(|t| t != NO_DATA_SET)
    }

    /// Encodes in implicit VR little endian, group length first.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for (element, value) in self.elements.range(1..) {
            body.extend_from_slice(&0u16.to_le_bytes());
            body.extend_from_slice(&element.to_le_bytes());
            body.extend_from_slice(&(value.len() as u32).to_le_bytes());
            body.extend_from_slice(value);
        }
        let mut out = Vec::with_capacity(body.len() + 12);
        out.extend_from_slice(&[0, 0, 0, 0, 4, 0, 0, 0]);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Decodes an implicit VR little endian command set.
    pub fn decode(mut bytes: &[u8]) -> Result<Command, DimseError> {
        let mut c = Command::default();
        while !bytes.is_empty() {
            if bytes.len() < 8 {
                return Err(DimseError(format!(
                    "{} stray bytes after the last element",
                    bytes.len()
                )));
            }
            let group = u16::from_le_bytes([bytes[0], bytes[1]]);
            let element = u16::from_le_bytes([bytes[2], bytes[3]]);
            let len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
            if group != 0 {
                let tag = format!("({group:04X},{element:04X})");
                return Err(DimseError(format!("element {tag} outside group 0000")));
            }
            let value = bytes.get(8..8 + len).ok_or_else(|| {
                DimseError(format!("element (0000,{element:04X}) runs past the end"))
            })?;
            c.elements.insert(element, value.to_vec());
            bytes = &bytes[8 + len..];
        }
        Ok(c)
    }
}

fn padded(text: &str, pad: u8) -> Vec<u8> {
    let mut v = text.as_bytes().to_vec();
    if v.len() % 2 == 1 {
        v.push(pad);
    }
    v
}

/// A complete DIMSE message: its command and, if announced, its data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The presentation context the message came on.
    pub context_id: u8,
    /// The command set.
    pub command: Command,
    /// The data set bytes, in the context's transfer syntax.
    pub data: Option<Vec<u8>>,
}

/// Builds messages from P-DATA values as they arrive.
#[derive(Debug, Default)]
pub struct Reassembler {
    command_bytes: Vec<u8>,
    /// A complete command still waiting for its data set.
    command: Option<(u8, Command)>,
    data: Vec<u8>,
}

impl Reassembler {
    /// Takes one PDV; returns the message it completes, if any.
    pub fn push(&mut self, pdv: PDataValue) -> Result<Option<Message>, DimseError> {
        match pdv.value_type {
            PDataValueType::Command => self.push_command(pdv),
            PDataValueType::Data => self.push_data(pdv),
        }
    }

    /// Whether part of a message has arrived.
    pub fn is_idle(&self) -> bool {
        self.command_bytes.is_empty() && self.command.is_none() && self.data.is_empty()
    }

    fn push_command(&mut self, pdv: PDataValue) -> Result<Option<Message>, DimseError> {
        if self.command.is_some() {
            return Err(DimseError(
                "command fragment where a data set was due".into(),
            ));
        }
        self.command_bytes.extend_from_slice(&pdv.data);
        if !pdv.is_last {
            return Ok(None);
        }
        let command = Command::decode(&std::mem::take(&mut self.command_bytes))?;
        if command.has_data_set() {
            self.command = Some((pdv.presentation_context_id, command));
            return Ok(None);
        }
        Ok(Some(Message {
            context_id: pdv.presentation_context_id,
            command,
            data: None,
        }))
    }

    fn push_data(&mut self, pdv: PDataValue) -> Result<Option<Message>, DimseError> {
        if self.command.is_none() {
            return Err(DimseError("data set fragment before its command".into()));
        }
        self.data.extend_from_slice(&pdv.data);
        if !pdv.is_last {
            return Ok(None);
        }
        let (context_id, command) = self.command.take().expect("checked above");
        Ok(Some(Message {
            context_id,
            command,
            data: Some(std::mem::take(&mut self.data)),
        }))
    }
}

/// Splits a message into PDVs that each fit a peer's maximum PDU length
/// (the PDV item header takes 6 bytes of it).
pub fn fragments(
    context_id: u8,
    kind: PDataValueType,
    bytes: &[u8],
    max_pdu: u32,
) -> Vec<PDataValue> {
    let chunk = (max_pdu.saturating_sub(6) as usize).max(2);
    let mut out: Vec<PDataValue> = bytes
        .chunks(chunk)
        .map(|c| PDataValue {
            presentation_context_id: context_id,
            value_type: kind.clone(),
            is_last: false,
            data: c.to_vec(),
        })
        .collect();
    if out.is_empty() {
        out.push(PDataValue {
            presentation_context_id: context_id,
            value_type: kind,
            is_last: false,
            data: Vec::new(),
        });
    }
    out.last_mut().expect("at least one fragment").is_last = true;
    out
}

/// Packs PDVs into as few P-DATA PDUs as the peer's maximum length allows,
/// so a small request travels as one PDU (one TCP segment).
pub fn pack(pdvs: Vec<PDataValue>, max_pdu: u32) -> Vec<Pdu> {
    let mut pdus = Vec::new();
    let mut current: Vec<PDataValue> = Vec::new();
    let mut size = 0usize;
    for pdv in pdvs {
        let len = pdv.data.len() + 6;
        if !current.is_empty() && size + len > max_pdu as usize {
            pdus.push(Pdu::PData {
                data: std::mem::take(&mut current),
            });
            size = 0;
        }
        size += len;
        current.push(pdv);
    }
    if !current.is_empty() {
        pdus.push(Pdu::PData { data: current });
    }
    pdus
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdv(kind: PDataValueType, last: bool, data: &[u8]) -> PDataValue {
        PDataValue {
            presentation_context_id: 1,
            value_type: kind,
            is_last: last,
            data: data.to_vec(),
        }
    }

    #[test]
    fn command_set_round_trips_with_group_length() {
        let c = Command::find_rq(7, "1.2.840.10008.5.1.4.1.2.2.1");
        let bytes = c.encode();
        assert_eq!(&bytes[..8], &[0, 0, 0, 0, 4, 0, 0, 0]);
        let len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
        assert_eq!(len, bytes.len() - 12);
        let back = Command::decode(&bytes).unwrap();
        assert_eq!(back.u16(elem::MESSAGE_ID), Some(7));
        assert_eq!(back.u16(elem::COMMAND_FIELD), Some(C_FIND_RQ));
        assert_eq!(
            back.text(elem::AFFECTED_SOP_CLASS).as_deref(),
            Some("1.2.840.10008.5.1.4.1.2.2.1")
        );
        assert!(back.has_data_set());
        assert!(!Command::cancel_rq(7).has_data_set());
    }

    #[test]
    fn response_fields_decode() {
        let mut c = Command::default();
        c.set_u16(elem::STATUS, 0xA900);
        c.set_text(elem::ERROR_COMMENT, "bad key");
        c.elements
            .insert(elem::OFFENDING_ELEMENT, vec![0x10, 0, 0x20, 0]);
        let back = Command::decode(&c.encode()).unwrap();
        assert_eq!(back.u16(elem::STATUS), Some(0xA900));
        assert_eq!(back.text(elem::ERROR_COMMENT).as_deref(), Some("bad key"));
        assert_eq!(back.tags(elem::OFFENDING_ELEMENT), [Tag(0x0010, 0x0020)]);
    }

    #[test]
    fn truncated_command_is_an_error() {
        let bytes = Command::cancel_rq(1).encode();
        assert!(Command::decode(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn messages_reassemble_from_any_fragmentation() {
        let mut cmd = Command::default();
        cmd.set_u16(elem::DATA_SET_TYPE, 0);
        let bytes = cmd.encode();
        let mut r = Reassembler::default();
        let (a, b) = bytes.split_at(5);
        assert_eq!(r.push(pdv(PDataValueType::Command, false, a)), Ok(None));
        assert_eq!(r.push(pdv(PDataValueType::Command, true, b)), Ok(None));
        assert_eq!(r.push(pdv(PDataValueType::Data, false, b"ab")), Ok(None));
        let m = r
            .push(pdv(PDataValueType::Data, true, b"cd"))
            .unwrap()
            .unwrap();
        assert_eq!(m.data.as_deref(), Some(&b"abcd"[..]));
        assert!(r.is_idle());
    }

    #[test]
    fn command_without_data_set_completes_at_once() {
        let mut r = Reassembler::default();
        let bytes = Command::cancel_rq(3).encode();
        let m = r
            .push(pdv(PDataValueType::Command, true, &bytes))
            .unwrap()
            .unwrap();
        assert_eq!(m.data, None);
    }

    #[test]
    fn out_of_order_fragments_are_errors() {
        let mut r = Reassembler::default();
        assert!(r.push(pdv(PDataValueType::Data, true, b"x")).is_err());
    }

    #[test]
    fn fragments_fit_the_peer_limit() {
        let data = vec![7u8; 2500];
        let f = fragments(3, PDataValueType::Data, &data, 1024);
        assert!(f.iter().all(|p| p.data.len() + 6 <= 1024));
        assert_eq!(f.iter().filter(|p| p.is_last).count(), 1);
        assert!(f.last().unwrap().is_last);
        assert_eq!(f.iter().map(|p| p.data.len()).sum::<usize>(), 2500);
    }

    #[test]
    fn small_request_travels_in_one_pdu() {
        let mut pdvs = fragments(1, PDataValueType::Command, &[0; 80], 16384);
        pdvs.extend(fragments(1, PDataValueType::Data, &[0; 200], 16384));
        assert_eq!(pack(pdvs, 16384).len(), 1);
        let big = fragments(1, PDataValueType::Data, &[0; 3000], 1024);
        assert_eq!(pack(big, 1024).len(), 3);
    }
}
