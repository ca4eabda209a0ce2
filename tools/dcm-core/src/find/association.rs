//! How to ask: one association with a PACS that carries C-FIND after C-FIND.
//!
//! It proposes the FIND SOP class of the chosen model with explicit and
//! implicit VR little endian, turns Nagle's algorithm off (with delayed ACKs
//! it costs about 40 ms per query, design.md section 8), sends each request
//! within the peer's maximum PDU length and reads responses until the final
//! one. Statuses are classified by status.rs; what to do with the matches is
//! the caller's business.

use std::collections::VecDeque;
use std::io;
use std::net::TcpStream;
use std::time::Duration;

use dicom_core::Tag;
use dicom_encoding::{TransferSyntax, TransferSyntaxIndex};
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use dicom_ul::association::Error as UlError;
use dicom_ul::pdu::{AssociationRJResult, PDataValueType, MAXIMUM_PDU_SIZE, MINIMUM_PDU_SIZE};
use dicom_ul::{ClientAssociation, ClientAssociationOptions, Pdu};

use super::decode;
use super::dimse::{self, elem, Command, Message, Reassembler};
use super::error::FindError;
use super::query::Model;
use super::status::{Status, StatusClass};
use crate::address::AeAddress;

const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";

/// How to reach the PACS.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The called AE and its address.
    pub peer: AeAddress,
    /// Our AE title.
    pub calling_ae: String,
    /// Connect, association, read and write timeout.
    pub timeout: Duration,
    /// The largest PDU we accept; 0 means no limit.
    pub max_pdu: u32,
    /// The information model whose FIND SOP class is negotiated.
    pub model: Model,
    /// The defined term by which answers without (0008,0005) but with
    /// non-ASCII text are decoded.
    pub fallback_charset: String,
}

impl Settings {
    /// Our maximum PDU length as dicom-ul accepts it: its reader refuses 0,
    /// so "no limit" becomes the largest length it can read.
    pub fn local_max_pdu(&self) -> u32 {
        match self.max_pdu {
            0 => MAXIMUM_PDU_SIZE,
            n => n.clamp(MINIMUM_PDU_SIZE, MAXIMUM_PDU_SIZE),
        }
    }
}

/// The final outcome of one C-FIND, with every match it returned.
#[derive(Debug)]
pub struct Answer {
    /// The status of the final response.
    pub status: Status,
    /// (0000,0902) Error Comment of the final response.
    pub comment: Option<String>,
    /// (0000,0901) Offending Element of the final response.
    pub offending: Vec<Tag>,
    /// The identifiers of the pending responses, in arrival order.
    pub matches: Vec<InMemDicomObject>,
    /// Things worth telling the user that did not fail the query.
    pub warnings: Vec<String>,
    /// Whether we sent a C-CANCEL for this query.
    pub cancelled: bool,
}

impl Answer {
    /// The reason the query failed, if its final status is a failure.
    pub fn failure(&self) -> Option<String> {
        if self.status.class != StatusClass::Failure {
            return None;
        }
        Some(self.status_text())
    }

    /// The status with its comment and offending elements, for messages.
    pub fn status_text(&self) -> String {
        let mut text = format!("C-FIND {}", self.status);
        if let Some(c) = self.comment.as_deref().filter(|c| !c.is_empty()) {
            text.push_str(&format!(": {c}"));
        }
        if !self.offending.is_empty() {
            let tags: Vec<_> = self
                .offending
                .iter()
                .map(|t| crate::tag::tag_hex(*t))
                .collect();
            text.push_str(&format!(": offending element {}", tags.join(" ")));
        }
        text
    }
}

/// An established association for C-FIND.
pub struct FindAssociation {
    description: String,
    notes: Vec<String>,
    fallback_charset: String,
    inner: ClientAssociation<TcpStream>,
    context_id: u8,
    ts: &'static TransferSyntax,
    sop_class: &'static str,
    timeout: Duration,
    next_message_id: u16,
    queries: u64,
    /// Responses received for the current query.
    responses: u64,
    reassembler: Reassembler,
    received: VecDeque<Message>,
}

impl FindAssociation {
    /// Connects and negotiates the FIND SOP class of `settings.model`.
    pub fn open(settings: &Settings) -> Result<FindAssociation, FindError> {
        let sop_class = settings.model.sop_class_uid();
        let peer = settings.peer.to_string();
        let mut inner = ClientAssociationOptions::new()
            .calling_ae_title(settings.calling_ae.as_str())
            .called_ae_title(settings.peer.ae_title.as_str())
            .with_presentation_context(sop_class, vec![EXPLICIT_VR_LE, IMPLICIT_VR_LE])
            .max_pdu_length(settings.local_max_pdu())
            // Some PACS send PDUs longer than we asked for; reading them
            // anyway beats failing the query.
            .strict(false)
            .connection_timeout(settings.timeout)
            .read_timeout(settings.timeout)
            .write_timeout(settings.timeout)
            .establish((settings.peer.host.as_str(), settings.peer.port))
            .map_err(|e| associate_error(e, &peer, settings.timeout))?;
        let mut notes = Vec::new();
        if let Err(e) = inner.inner_stream().set_nodelay(true) {
            notes.push(format!("cannot set TCP_NODELAY: {e}"));
        }
        let context = inner
            .presentation_contexts()
            .iter()
            .find(|c| c.abstract_syntax == sop_class)
            .cloned();
        let Some(context) = context else {
            let _ = inner.abort();
            return Err(FindError::Associate {
                peer,
                reason: format!("the PACS did not accept the FIND SOP class {sop_class}"),
            });
        };
        let Some(ts) = TransferSyntaxRegistry.get(&context.transfer_syntax) else {
            let _ = inner.abort();
            let ts = context.transfer_syntax;
            let reason = format!("the PACS chose transfer syntax {ts}, which was not proposed");
            return Err(FindError::Associate { peer, reason });
        };
        let description = format!(
            "associated as {}: {}, transfer syntax {}, our max PDU {}, peer max PDU {}",
            settings.calling_ae,
            settings.model.name(),
            ts.name(),
            settings.local_max_pdu(),
            inner.acceptor_max_pdu_length()
        );
        Ok(FindAssociation {
            description,
            notes,
            fallback_charset: settings.fallback_charset.clone(),
            inner,
            context_id: context.id,
            ts,
            sop_class,
            timeout: settings.timeout,
            next_message_id: 1,
            queries: 0,
            responses: 0,
            reassembler: Reassembler::default(),
            received: VecDeque::new(),
        })
    }

    /// What was negotiated, for a debug line (the caller names the peer and
    /// the tool: this library does not print).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Things that went wrong in setting up without failing it, for warnings.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// How many C-FIND requests this association has sent.
    pub fn queries(&self) -> u64 {
        self.queries
    }

    /// Sends one C-FIND and reads every response up to the final one.
    /// `cancel` is asked after each match, with the count of matches so
    /// far; once it says yes, a C-CANCEL is
    /// sent and the PACS's final response (usually FE00) ends the answer.
    pub fn find(
        &mut self,
        identifier: &InMemDicomObject,
        cancel: &dyn Fn(usize) -> bool,
    ) -> Result<Answer, FindError> {
        let first_query = self.queries == 0;
        self.queries += 1;
        self.responses = 0;
        let message_id = self.next_message_id;
        self.next_message_id = self.next_message_id.wrapping_add(1).max(1);
        let result = self.exchange(message_id, identifier, cancel);
        match result {
            // Only an abort before any response says the PACS refuses us.
            Err(FindError::Aborted { .. }) => Err(FindError::Aborted {
                first_query: first_query && self.responses == 0,
            }),
            other => other,
        }
    }

    fn exchange(
        &mut self,
        message_id: u16,
        identifier: &InMemDicomObject,
        cancel: &dyn Fn(usize) -> bool,
    ) -> Result<Answer, FindError> {
        let mut data = Vec::new();
        identifier
            .write_dataset_with_ts(&mut data, self.ts)
            .map_err(|e| FindError::Encode(e.to_string()))?;
        let command = Command::find_rq(message_id, self.sop_class).encode();
        self.send_message(&command, Some(&data), "sending the C-FIND request")?;
        let mut answer = Answer {
            status: Status::from_code(0xFF00),
            comment: None,
            offending: Vec::new(),
            matches: Vec::new(),
            warnings: Vec::new(),
            cancelled: false,
        };
        loop {
            let message = self.next_message()?;
            self.responses += 1;
            let status = self.check_response(&message, message_id)?;
            if status.is_final() {
                if message.data.is_some() {
                    // A data set on the final response is not a match (PS3.4
                    // C.4.1.2.2); it was read off the wire and is dropped.
                    answer
                        .warnings
                        .push(format!("data set on the final response ({status}) ignored"));
                }
                answer.status = status;
                answer.comment = message.command.text(elem::ERROR_COMMENT);
                answer.offending = message.command.tags(elem::OFFENDING_ELEMENT);
                return Ok(answer);
            }
            self.take_match(message, status, &mut answer)?;
            if !answer.cancelled && cancel(answer.matches.len()) {
                answer.cancelled = true;
                let cancel_rq = Command::cancel_rq(message_id).encode();
                self.send_message(&cancel_rq, None, "sending C-CANCEL")?;
            }
        }
    }

    fn take_match(
        &self,
        message: Message,
        status: Status,
        answer: &mut Answer,
    ) -> Result<(), FindError> {
        let Some(data) = message.data else {
            answer.warnings.push(format!(
                "pending response ({status}) without identifier ignored"
            ));
            return Ok(());
        };
        if status.code == 0xFF01 && !answer.warnings.iter().any(|w| w.contains("FF01")) {
            answer.warnings.push(format!("PACS answered {status}"));
        }
        let decoded = decode::identifier(&data, self.ts, &self.fallback_charset)
            .map_err(|e| FindError::Protocol(format!("cannot decode a match: {e}")))?;
        // One warning per answer is enough: all its matches share the cause.
        if let Some(w) = decoded.warning.filter(|w| !answer.warnings.contains(w)) {
            answer.warnings.push(w);
        }
        answer.matches.push(decoded.object);
        Ok(())
    }

    fn check_response(&self, message: &Message, message_id: u16) -> Result<Status, FindError> {
        let field = message.command.u16(elem::COMMAND_FIELD);
        if field != Some(dimse::C_FIND_RSP) {
            let got = field.map_or("none".into(), |f| format!("{f:04X}H"));
            return Err(FindError::Protocol(format!(
                "expected a C-FIND response, got command {got}"
            )));
        }
        let responded = message.command.u16(elem::RESPONDED_TO);
        if responded.is_some_and(|id| id != message_id) {
            let got = responded.unwrap_or_default();
            return Err(FindError::Protocol(format!(
                "response to message {got} while message {message_id} was pending"
            )));
        }
        let code = message
            .command
            .u16(elem::STATUS)
            .ok_or_else(|| FindError::Protocol("C-FIND response without status".into()))?;
        Ok(Status::from_code(code))
    }

    fn send_message(
        &mut self,
        command: &[u8],
        data: Option<&[u8]>,
        step: &'static str,
    ) -> Result<(), FindError> {
        let max = self.inner.acceptor_max_pdu_length();
        let mut pdvs = dimse::fragments(self.context_id, PDataValueType::Command, command, max);
        if let Some(data) = data {
            pdvs.extend(dimse::fragments(
                self.context_id,
                PDataValueType::Data,
                data,
                max,
            ));
        }
        for pdu in dimse::pack(pdvs, max) {
            self.inner
                .send(&pdu)
                .map_err(|e| ul_error(e, step, self.timeout))?;
        }
        Ok(())
    }

    fn next_message(&mut self) -> Result<Message, FindError> {
        const STEP: &str = "waiting for the C-FIND response";
        loop {
            if let Some(message) = self.received.pop_front() {
                return Ok(message);
            }
            quick_ack(self.inner.inner_stream());
            match self
                .inner
                .receive()
                .map_err(|e| ul_error(e, STEP, self.timeout))?
            {
                Pdu::PData { data } => {
                    for pdv in data {
                        if let Some(m) = self.reassembler.push(pdv)? {
                            self.received.push_back(m);
                        }
                    }
                }
                Pdu::AbortRQ { .. } => return Err(FindError::Aborted { first_query: false }),
                Pdu::ReleaseRQ => {
                    return Err(FindError::Protocol(
                        "the PACS asked to release mid-query".into(),
                    ))
                }
                other => {
                    let pdu = other.short_description().to_string();
                    return Err(FindError::Protocol(format!("unexpected PDU {pdu}")));
                }
            }
        }
    }

    /// Releases the association (A-RELEASE), closing the connection.
    pub fn release(self) -> Result<(), FindError> {
        let timeout = self.timeout;
        self.inner
            .release()
            .map_err(|e| ul_error(e, "releasing the association", timeout))
    }

    /// Aborts the association (A-ABORT), for use after a protocol error.
    pub fn abort(self) {
        let _ = self.inner.abort();
    }
}

/// Asks Linux to acknowledge the next segments at once. PACS that write a
/// PDU header and its body separately with Nagle's algorithm on (Orthanc
/// does) otherwise hold the body until our delayed ACK, about 40 ms per
/// response; TCP_NODELAY on our side cannot help, and the flag does not
/// stick, so it is set before every read.
#[cfg(target_os = "linux")]
fn quick_ack(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a c_int option of the right size.
    let _ = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

#[cfg(not(target_os = "linux"))]
fn quick_ack(_stream: &TcpStream) {}

/// The message of an error and of every error under it, joined by `: `.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.ends_with(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<io::ErrorKind> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        current = err.source();
    }
    None
}

fn is_timeout(kind: Option<io::ErrorKind>) -> bool {
    matches!(
        kind,
        Some(io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
    )
}

fn associate_error(e: UlError, peer: &str, timeout: Duration) -> FindError {
    let peer = peer.to_string();
    let kind = io_kind(&e);
    match e {
        UlError::Rejected { association_rj, .. } => FindError::Rejected {
            peer,
            reason: association_rj.source.to_string(),
            transient: association_rj.result == AssociationRJResult::Transient,
        },
        UlError::Connect { .. } | UlError::ToAddress { .. } => FindError::Connect {
            peer,
            reason: if is_timeout(kind) || kind == Some(io::ErrorKind::TimedOut) {
                format!("no connection within {} s", timeout.as_secs_f32())
            } else {
                chain(&e)
            },
        },
        // A PACS that takes connections but never accepts an association is
        // as unreachable as one that refuses them.
        _ if is_timeout(kind) => FindError::Associate {
            peer,
            reason: format!(
                "no answer to the association request within {} s",
                timeout.as_secs_f32()
            ),
        },
        other => FindError::Associate {
            peer,
            reason: chain(&other),
        },
    }
}

fn ul_error(e: UlError, step: &'static str, timeout: Duration) -> FindError {
    if is_timeout(io_kind(&e)) {
        return FindError::Timeout { step, timeout };
    }
    match e {
        UlError::Aborted { .. } => FindError::Aborted { first_query: false },
        UlError::ConnectionClosed { .. } => FindError::Connection {
            step,
            reason: "closed by the PACS".into(),
        },
        UlError::WireSend { .. } | UlError::WireRead { .. } | UlError::ReceivePdu { .. } => {
            FindError::Connection {
                step,
                reason: chain(&e),
            }
        }
        other => FindError::Protocol(chain(&other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_dictionary_std::tags;

    fn settings(max_pdu: u32) -> Settings {
        Settings {
            peer: "P@127.0.0.1:104".parse().unwrap(),
            calling_ae: "T".into(),
            timeout: Duration::from_secs(1),
            max_pdu,
            model: Model::Study,
            fallback_charset: "ISO_IR 100".into(),
        }
    }

    #[test]
    fn unlimited_max_pdu_maps_to_the_largest_dicom_ul_reads() {
        assert_eq!(settings(0).local_max_pdu(), MAXIMUM_PDU_SIZE);
        assert_eq!(settings(10).local_max_pdu(), MINIMUM_PDU_SIZE);
        assert_eq!(settings(65536).local_max_pdu(), 65536);
    }

    #[test]
    fn failure_text_carries_code_comment_and_element() {
        let answer = Answer {
            status: Status::from_code(0xA900),
            comment: Some("bad key".into()),
            offending: vec![tags::PATIENT_ID],
            matches: Vec::new(),
            warnings: Vec::new(),
            cancelled: false,
        };
        assert_eq!(
            answer.failure().unwrap(),
            "C-FIND status A900H (identifier does not match SOP class): bad key: \
             offending element 0010,0020"
        );
    }
}
