//! A C-FIND SCP that misbehaves on purpose, for the faults a real PACS will
//! not produce on demand (issue 4): aborts, silence, failure statuses, odd
//! PDU layouts, missing character sets, wrong or duplicate matches.
//!
//! It is built on dicom-ul's server side and decodes requests with
//! dicom-object, not with dcm-core's own DIMSE code, so a bug there cannot
//! hide itself in both ends of a test. Every association and query it sees is
//! logged, so tests assert what the server received, not only what the
//! client printed.

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::IMPLICIT_VR_LITTLE_ENDIAN;
use dicom_ul::pdu::{AbortRQSource, PDataValue, PDataValueType};
use dicom_ul::{Pdu, ServerAssociation, ServerAssociationOptions};

const STUDY_ROOT_FIND: &str = "1.2.840.10008.5.1.4.1.2.2.1";

/// How the server misbehaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Behaves: N matches per query, command and data in separate PDUs.
    None,
    /// A-ABORT as soon as a C-FIND arrives.
    AbortOnFind,
    /// One match, then A-ABORT.
    AbortMidAnswer,
    /// Reads the C-FIND and never answers.
    NeverAnswer,
    /// Final status CODE with an error comment and offending element.
    Status(u16),
    /// Matches with status FF01.
    PendingFf01,
    /// The final response carries a data set.
    DataOnFinal,
    /// Command and data set of each response in one PDU.
    OnePdu,
    /// Data sets in 64-byte PDVs, one PDU each.
    SplitData,
    /// Matches without Specific Character Set, names in Latin-1 bytes.
    Latin1WithoutCharset,
    /// Matches with this Specific Character Set value and these raw bytes
    /// as PatientName (ISO 2022 examples of PS3.5 annexes H to K).
    RawName {
        /// The (0008,0005) value, backslashes and all.
        charset: String,
        /// The encoded name.
        name: Vec<u8>,
    },
    /// Answers every query with one match per PatientID given, whatever
    /// the key: a PACS applying a wildcard to its own patients (or ignoring
    /// the key).
    Patients(Vec<String>),
    /// Ignores the key: adds a match of another patient.
    IgnoreKey,
    /// Sends every match twice.
    Duplicates,
    /// Waits this long before each response.
    Slow(Duration),
}

/// What the server saw.
#[derive(Debug, Default, Clone)]
pub struct Log {
    /// Associations accepted.
    pub associations: usize,
    /// The PatientID of every C-FIND, in arrival order.
    pub queries: Vec<String>,
    /// C-CANCEL requests received.
    pub cancels: usize,
    /// Releases answered.
    pub releases: usize,
}

/// A running test server on 127.0.0.1.
pub struct TestScp {
    /// The port it listens on.
    pub port: u16,
    log: Arc<Mutex<Log>>,
}

impl TestScp {
    /// Starts a server; `matches` per query (for faults that send matches);
    /// `max_pdu` is the maximum PDU length it announces.
    pub fn start(fault: Fault, matches: usize, max_pdu: u32) -> TestScp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("bound").port();
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = log.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (fault, log) = (fault.clone(), shared.clone());
                thread::spawn(move || serve(stream, &fault, matches, max_pdu, &log));
            }
        });
        TestScp { port, log }
    }

    /// The address for dcm-find.
    pub fn address(&self) -> String {
        format!("TESTSCP@127.0.0.1:{}", self.port)
    }

    /// A copy of what the server saw so far.
    pub fn log(&self) -> Log {
        self.log.lock().expect("log lock").clone()
    }
}

fn serve(stream: TcpStream, fault: &Fault, matches: usize, max_pdu: u32, log: &Mutex<Log>) {
    let options = ServerAssociationOptions::new()
        .accept_any()
        .ae_title("TESTSCP")
        .with_abstract_syntax(STUDY_ROOT_FIND)
        .with_transfer_syntax("1.2.840.10008.1.2")
        .max_pdu_length(max_pdu)
        .strict(false);
    let Ok(mut assoc) = options.establish(stream) else {
        return;
    };
    log.lock().unwrap().associations += 1;
    let mut command: Vec<u8> = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    let mut pending_command: Option<InMemDicomObject> = None;
    while let Ok(pdu) = assoc.receive() {
        let pdvs = match pdu {
            Pdu::PData { data } => data,
            Pdu::ReleaseRQ => {
                log.lock().unwrap().releases += 1;
                let _ = assoc.send(&Pdu::ReleaseRP);
                return;
            }
            _ => return,
        };
        for pdv in pdvs {
            let context = pdv.presentation_context_id;
            match pdv.value_type {
                PDataValueType::Command => {
                    command.extend_from_slice(&pdv.data);
                    if !pdv.is_last {
                        continue;
                    }
                    let cmd = read(&std::mem::take(&mut command));
                    if cmd
                        .element(tags::COMMAND_FIELD)
                        .ok()
                        .and_then(|e| e.to_int::<u16>().ok())
                        == Some(0x0FFF)
                    {
                        log.lock().unwrap().cancels += 1;
                        continue;
                    }
                    pending_command = Some(cmd);
                }
                PDataValueType::Data => {
                    data.extend_from_slice(&pdv.data);
                    if !pdv.is_last {
                        continue;
                    }
                    let identifier = read(&std::mem::take(&mut data));
                    let cmd = pending_command.take().expect("command before data");
                    let id = identifier
                        .element(tags::PATIENT_ID)
                        .ok()
                        .and_then(|e| e.to_str().ok())
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    log.lock().unwrap().queries.push(id.clone());
                    let message_id = cmd
                        .element(tags::MESSAGE_ID)
                        .unwrap()
                        .to_int::<u16>()
                        .unwrap();
                    if !answer(&mut assoc, context, message_id, &id, fault, matches) {
                        return;
                    }
                }
            }
        }
    }
}

/// Sends the responses of one query; false when the association is over.
fn answer(
    assoc: &mut ServerAssociation<TcpStream>,
    context: u8,
    message_id: u16,
    id: &str,
    fault: &Fault,
    matches: usize,
) -> bool {
    let abort = |assoc: &mut ServerAssociation<TcpStream>| {
        let _ = assoc.send(&Pdu::AbortRQ {
            source: AbortRQSource::ServiceUser,
        });
    };
    match fault {
        Fault::AbortOnFind => {
            abort(assoc);
            return false;
        }
        Fault::NeverAnswer => {
            thread::sleep(Duration::from_secs(30));
            return false;
        }
        _ => {}
    }
    let mut ids = vec![id.to_string(); matches];
    if *fault == Fault::IgnoreKey {
        ids.push("SOMEONE-ELSE".into());
    }
    if let Fault::Patients(patients) = fault {
        ids.clone_from(patients);
    }
    let pending = if *fault == Fault::PendingFf01 {
        0xFF01
    } else {
        0xFF00
    };
    for (k, pid) in ids.iter().enumerate() {
        let times = if *fault == Fault::Duplicates { 2 } else { 1 };
        for _ in 0..times {
            if let Fault::Slow(d) = fault {
                thread::sleep(*d);
            }
            let cmd = response(message_id, pending, true, None);
            let ds = study(pid, k, fault);
            if send(assoc, context, &cmd, Some(&ds), fault).is_err() {
                return false;
            }
            if *fault == Fault::AbortMidAnswer {
                abort(assoc);
                return false;
            }
        }
    }
    let (status, comment) = match fault {
        Fault::Status(code) => (*code, Some("refused by test")),
        _ => (0x0000, None),
    };
    let with_data = *fault == Fault::DataOnFinal;
    let cmd = response(message_id, status, with_data, comment);
    let ds = with_data.then(|| study(id, 99, fault));
    send(assoc, context, &cmd, ds.as_deref(), fault).is_ok()
}

fn send(
    assoc: &mut ServerAssociation<TcpStream>,
    context: u8,
    command: &[u8],
    data: Option<&[u8]>,
    fault: &Fault,
) -> Result<(), dicom_ul::association::Error> {
    let pdv = |kind, bytes: &[u8], last| PDataValue {
        presentation_context_id: context,
        value_type: kind,
        is_last: last,
        data: bytes.to_vec(),
    };
    let cmd = pdv(PDataValueType::Command, command, true);
    match (fault, data) {
        (Fault::OnePdu, Some(d)) => assoc.send(&Pdu::PData {
            data: vec![cmd, pdv(PDataValueType::Data, d, true)],
        }),
        (Fault::SplitData, Some(d)) => {
            assoc.send(&Pdu::PData { data: vec![cmd] })?;
            let chunks: Vec<_> = d.chunks(64).collect();
            for (i, c) in chunks.iter().enumerate() {
                let last = i + 1 == chunks.len();
                assoc.send(&Pdu::PData {
                    data: vec![pdv(PDataValueType::Data, c, last)],
                })?;
            }
            Ok(())
        }
        (_, Some(d)) => {
            assoc.send(&Pdu::PData { data: vec![cmd] })?;
            assoc.send(&Pdu::PData {
                data: vec![pdv(PDataValueType::Data, d, true)],
            })
        }
        (_, None) => assoc.send(&Pdu::PData { data: vec![cmd] }),
    }
}

fn read(bytes: &[u8]) -> InMemDicomObject {
    InMemDicomObject::read_dataset_with_ts(bytes, &IMPLICIT_VR_LITTLE_ENDIAN.erased())
        .expect("a well-formed request")
}

fn write(obj: &InMemDicomObject) -> Vec<u8> {
    let mut out = Vec::new();
    obj.write_dataset_with_ts(&mut out, &IMPLICIT_VR_LITTLE_ENDIAN.erased())
        .expect("encodable");
    out
}

/// A C-FIND-RSP command set, group length included.
fn response(message_id: u16, status: u16, with_data: bool, comment: Option<&str>) -> Vec<u8> {
    let mut obj = InMemDicomObject::from_element_iter([
        DataElement::new(tags::AFFECTED_SOP_CLASS_UID, VR::UI, STUDY_ROOT_FIND),
        DataElement::new(tags::COMMAND_FIELD, VR::US, PrimitiveValue::from(0x8020u16)),
        DataElement::new(
            tags::MESSAGE_ID_BEING_RESPONDED_TO,
            VR::US,
            PrimitiveValue::from(message_id),
        ),
        DataElement::new(
            tags::COMMAND_DATA_SET_TYPE,
            VR::US,
            PrimitiveValue::from(if with_data { 0x0000u16 } else { 0x0101 }),
        ),
        DataElement::new(tags::STATUS, VR::US, PrimitiveValue::from(status)),
    ]);
    if let Some(c) = comment {
        obj.put(DataElement::new(tags::ERROR_COMMENT, VR::LO, c));
        obj.put(DataElement::new(
            tags::OFFENDING_ELEMENT,
            VR::AT,
            PrimitiveValue::Tags((&[Tag(0x0010, 0x0020)][..]).into()),
        ));
    }
    let body = write(&obj);
    let length = DataElement::new(
        tags::COMMAND_GROUP_LENGTH,
        VR::UL,
        PrimitiveValue::from(body.len() as u32),
    );
    let mut out = write(&InMemDicomObject::from_element_iter([length]));
    out.extend_from_slice(&body);
    out
}

/// One study match for `pid`.
fn study(pid: &str, k: usize, fault: &Fault) -> Vec<u8> {
    let mut obj = InMemDicomObject::from_element_iter([
        DataElement::new(tags::QUERY_RETRIEVE_LEVEL, VR::CS, "STUDY"),
        DataElement::new(tags::PATIENT_ID, VR::LO, pid),
        DataElement::new(tags::PATIENT_NAME, VR::PN, "Müller^Åse"),
        DataElement::new(
            tags::STUDY_INSTANCE_UID,
            VR::UI,
            format!("1.2.826.0.1.3680043.8.498.{}", 100 - k),
        ),
    ]);
    match fault {
        // Without (0008,0005) the writer encodes in its default, Latin-1.
        Fault::Latin1WithoutCharset => {}
        Fault::RawName { charset, name } => {
            obj.put(DataElement::new(
                tags::SPECIFIC_CHARACTER_SET,
                VR::CS,
                charset.as_str(),
            ));
            // Bytes as they are: dicom-rs cannot encode ISO 2022 itself.
            let raw = PrimitiveValue::U8(name.clone().into());
            obj.put(DataElement::new(tags::PATIENT_NAME, VR::PN, raw));
        }
        _ => {
            let utf8 = DataElement::new(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192");
            obj.put(utf8);
        }
    }
    write(&obj)
}
