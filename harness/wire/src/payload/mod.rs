//! IKEv2 payloads: the generic payload header (RFC 7296 §3.2) and one `Repr` per payload type.
//!
//! Every payload `Repr` has `buffer_len()` (body length, without the 4-octet generic header) and
//! `emit(&mut Vec<u8>)`. RESERVED fields are kept, so what was received re-encodes to the same
//! bytes and a scenario can set them on purpose; the parser reports them as findings.

mod auth;
mod cert;
mod cp;
mod delete;
mod eap;
mod id;
mod ke;
mod notify;
mod sa;
mod sk;
mod ts;

pub use auth::AuthPayload;
pub use cert::CertPayload;
pub use cp::{CpAttribute, CpPayload};
pub use delete::DeletePayload;
pub use eap::{eap_code, EapPayload};
pub use id::{IdDisplay, IdPayload};
pub use ke::KePayload;
pub use notify::NotifyPayload;
pub use sa::{Attribute, AttributeValue, Proposal, SaPayload, Transform};
pub use sk::{SkPayload, SkfPayload};
pub use ts::{AddressRange, TrafficSelector, TsPayload};

use crate::error::{ErrorKind, Path};
use crate::finding::{FindingKind, Findings};
use crate::iana::PayloadType;
use crate::reader::Reader;
use crate::Error;

/// Length of the generic payload header.
pub const GENERIC_HEADER_LEN: usize = 4;

/// A payload: the generic header's flag octet and the typed body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Payload {
    /// The C(ritical) bit: reject the message if the payload type is not understood.
    pub critical: bool,
    /// The 7 RESERVED bits after the critical bit.
    pub reserved: u8,
    pub body: PayloadBody,
}

/// Payload bodies by type. Types this crate does not parse are kept as bytes in `Unknown`, so
/// the engine can answer UNSUPPORTED_CRITICAL_PAYLOAD or skip them, and they re-encode unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum PayloadBody {
    Sa(SaPayload),
    Ke(KePayload),
    IdInitiator(IdPayload),
    IdResponder(IdPayload),
    Cert(CertPayload),
    CertReq(CertPayload),
    Auth(AuthPayload),
    Nonce(Vec<u8>),
    Notify(NotifyPayload),
    Delete(DeletePayload),
    VendorId(Vec<u8>),
    TsInitiator(TsPayload),
    TsResponder(TsPayload),
    Sk(SkPayload),
    Cp(CpPayload),
    Eap(EapPayload),
    Skf(SkfPayload),
    Unknown {
        payload_type: PayloadType,
        data: Vec<u8>,
    },
}

impl Payload {
    /// A payload with the critical bit clear and zero RESERVED bits.
    pub fn new(body: PayloadBody) -> Self {
        Self {
            critical: false,
            reserved: 0,
            body,
        }
    }

    pub fn payload_type(&self) -> PayloadType {
        self.body.payload_type()
    }

    /// Length on the wire including the generic header.
    pub fn buffer_len(&self) -> usize {
        GENERIC_HEADER_LEN + self.body.buffer_len()
    }

    /// Emits the generic header (with `next` as Next Payload) and the body.
    pub fn emit(&self, next: PayloadType, out: &mut Vec<u8>) {
        let next = match &self.body {
            // An SK/SKF payload's Next Payload names its first inner payload (§3.14).
            PayloadBody::Sk(sk) => sk.first_payload,
            PayloadBody::Skf(skf) => skf.first_payload,
            _ => next,
        };
        out.push(next.0);
        out.push((u8::from(self.critical) << 7) | (self.reserved & 0x7f));
        out.extend_from_slice(&(self.buffer_len() as u16).to_be_bytes());
        self.body.emit(out);
    }

    /// Parses a payload chain starting with type `first` that fills `bytes` (the payloads of a
    /// message, or the decrypted contents of an SK payload). `base` is the offset of `bytes` in
    /// the datagram, for error locations. Returns the payloads and any findings.
    pub fn parse_chain(
        first: PayloadType,
        bytes: &[u8],
        base: usize,
    ) -> Result<(Vec<Payload>, Vec<crate::Finding>), Error> {
        let mut findings = Findings::default();
        let mut r = Reader::new(bytes, base);
        let payloads = parse_chain(first, &mut r, &Path::ROOT, &mut findings)?;
        if !r.is_empty() {
            findings.push(
                r.offset(),
                &Path::ROOT,
                FindingKind::UnparsedMessageBytes(r.remaining()),
            );
        }
        Ok((payloads, findings.0))
    }

    /// Emits a chain of payloads, linking each Next Payload field to the following payload.
    pub fn emit_chain(payloads: &[Payload], out: &mut Vec<u8>) {
        for (i, p) in payloads.iter().enumerate() {
            let next = payloads
                .get(i + 1)
                .map_or(PayloadType::NONE, Payload::payload_type);
            p.emit(next, out);
        }
    }

    /// Total wire length of a chain.
    pub fn chain_len(payloads: &[Payload]) -> usize {
        payloads.iter().map(Payload::buffer_len).sum()
    }
}

impl PayloadBody {
    pub fn payload_type(&self) -> PayloadType {
        match self {
            Self::Sa(_) => PayloadType::SA,
            Self::Ke(_) => PayloadType::KE,
            Self::IdInitiator(_) => PayloadType::IDI,
            Self::IdResponder(_) => PayloadType::IDR,
            Self::Cert(_) => PayloadType::CERT,
            Self::CertReq(_) => PayloadType::CERTREQ,
            Self::Auth(_) => PayloadType::AUTH,
            Self::Nonce(_) => PayloadType::NONCE,
            Self::Notify(_) => PayloadType::NOTIFY,
            Self::Delete(_) => PayloadType::DELETE,
            Self::VendorId(_) => PayloadType::VENDOR_ID,
            Self::TsInitiator(_) => PayloadType::TSI,
            Self::TsResponder(_) => PayloadType::TSR,
            Self::Sk(_) => PayloadType::SK,
            Self::Cp(_) => PayloadType::CP,
            Self::Eap(_) => PayloadType::EAP,
            Self::Skf(_) => PayloadType::SKF,
            Self::Unknown { payload_type, .. } => *payload_type,
        }
    }

    /// Body length (without the generic header).
    pub fn buffer_len(&self) -> usize {
        match self {
            Self::Sa(p) => p.buffer_len(),
            Self::Ke(p) => p.buffer_len(),
            Self::IdInitiator(p) | Self::IdResponder(p) => p.buffer_len(),
            Self::Cert(p) | Self::CertReq(p) => p.buffer_len(),
            Self::Auth(p) => p.buffer_len(),
            Self::Nonce(d) | Self::VendorId(d) => d.len(),
            Self::Notify(p) => p.buffer_len(),
            Self::Delete(p) => p.buffer_len(),
            Self::TsInitiator(p) | Self::TsResponder(p) => p.buffer_len(),
            Self::Sk(p) => p.body.len(),
            Self::Cp(p) => p.buffer_len(),
            Self::Eap(p) => p.buffer_len(),
            Self::Skf(p) => p.buffer_len(),
            Self::Unknown { data, .. } => data.len(),
        }
    }

    /// Emits the body (without the generic header).
    pub fn emit(&self, out: &mut Vec<u8>) {
        match self {
            Self::Sa(p) => p.emit(out),
            Self::Ke(p) => p.emit(out),
            Self::IdInitiator(p) | Self::IdResponder(p) => p.emit(out),
            Self::Cert(p) | Self::CertReq(p) => p.emit(out),
            Self::Auth(p) => p.emit(out),
            Self::Nonce(d) | Self::VendorId(d) => out.extend_from_slice(d),
            Self::Notify(p) => p.emit(out),
            Self::Delete(p) => p.emit(out),
            Self::TsInitiator(p) | Self::TsResponder(p) => p.emit(out),
            Self::Sk(p) => out.extend_from_slice(&p.body),
            Self::Cp(p) => p.emit(out),
            Self::Eap(p) => p.emit(out),
            Self::Skf(p) => p.emit(out),
            Self::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }

    /// The type's name for paths and output, e.g. `Notify`.
    pub fn type_name(&self) -> &'static str {
        self.payload_type().name().unwrap_or("Unknown")
    }
}

/// Parses payloads until Next Payload is NONE, an SK/SKF payload ends the chain, or (an error)
/// the bytes run out first.
pub(crate) fn parse_chain(
    first: PayloadType,
    r: &mut Reader<'_>,
    root: &Path<'_>,
    f: &mut Findings,
) -> Result<Vec<Payload>, Error> {
    let mut payloads = Vec::new();
    let mut next = first;
    let mut index = 0;
    while next != PayloadType::NONE {
        let name = next.name().unwrap_or("Unknown");
        let path = root.at(name, index);
        let start = r.offset();
        let following = PayloadType(r.u8("generic payload header", &path)?);
        let flags = r.u8("generic payload header", &path)?;
        let length = usize::from(r.u16("payload length", &path)?);
        if length < GENERIC_HEADER_LEN {
            return Err(path.error(
                start + 2,
                ErrorKind::BadLength {
                    what: "payload length",
                    value: length,
                    reason: "shorter than the 4-octet generic payload header",
                },
            ));
        }
        let body = r.sub(length - GENERIC_HEADER_LEN, "payload body", &path)?;
        let critical = flags & 0x80 != 0;
        let reserved = flags & 0x7f;
        f.reserved(
            start + 1,
            &path,
            "generic payload header RESERVED",
            u32::from(reserved),
        );
        if critical && (33..=48).contains(&next.0) {
            f.push(start + 1, &path, FindingKind::CriticalOnKnownPayload);
        }
        let body = parse_body(next, following, body, &path, f)?;
        let ends_chain = matches!(body, PayloadBody::Sk(_) | PayloadBody::Skf(_));
        payloads.push(Payload {
            critical,
            reserved,
            body,
        });
        index += 1;
        if ends_chain {
            if !r.is_empty() {
                return Err(path.error(r.offset(), ErrorKind::DataAfterEncrypted(r.remaining())));
            }
            break;
        }
        next = following;
    }
    Ok(payloads)
}

fn parse_body(
    ty: PayloadType,
    following: PayloadType,
    r: Reader<'_>,
    path: &Path<'_>,
    f: &mut Findings,
) -> Result<PayloadBody, Error> {
    let mut r = r;
    Ok(match ty {
        PayloadType::SA => PayloadBody::Sa(SaPayload::parse(r, path, f)?),
        PayloadType::KE => PayloadBody::Ke(KePayload::parse(r, path, f)?),
        PayloadType::IDI => PayloadBody::IdInitiator(IdPayload::parse(r, path, f)?),
        PayloadType::IDR => PayloadBody::IdResponder(IdPayload::parse(r, path, f)?),
        PayloadType::CERT => PayloadBody::Cert(CertPayload::parse(r, path)?),
        PayloadType::CERTREQ => PayloadBody::CertReq(CertPayload::parse(r, path)?),
        PayloadType::AUTH => PayloadBody::Auth(AuthPayload::parse(r, path, f)?),
        PayloadType::NONCE => {
            let at = r.offset();
            let data = r.rest().to_vec();
            if !(16..=256).contains(&data.len()) {
                f.push(at, path, FindingKind::NonceLength(data.len()));
            }
            PayloadBody::Nonce(data)
        }
        PayloadType::NOTIFY => PayloadBody::Notify(NotifyPayload::parse(r, path, f)?),
        PayloadType::DELETE => PayloadBody::Delete(DeletePayload::parse(r, path)?),
        PayloadType::VENDOR_ID => PayloadBody::VendorId(r.rest().to_vec()),
        PayloadType::TSI => PayloadBody::TsInitiator(TsPayload::parse(r, path, f)?),
        PayloadType::TSR => PayloadBody::TsResponder(TsPayload::parse(r, path, f)?),
        PayloadType::SK => PayloadBody::Sk(SkPayload {
            first_payload: following,
            body: r.rest().to_vec(),
        }),
        PayloadType::CP => PayloadBody::Cp(CpPayload::parse(r, path, f)?),
        PayloadType::EAP => PayloadBody::Eap(EapPayload::parse(r, path)?),
        PayloadType::SKF => PayloadBody::Skf(SkfPayload::parse(r, following, path)?),
        other => PayloadBody::Unknown {
            payload_type: other,
            data: r.rest().to_vec(),
        },
    })
}
