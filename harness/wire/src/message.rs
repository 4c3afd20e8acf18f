//! A whole IKEv2 message: header plus payload chain.

use crate::error::{ErrorKind, Path};
use crate::finding::{Finding, FindingKind, Findings};
use crate::header::{Header, HeaderPacket, HEADER_LEN};
use crate::iana::PayloadType;
use crate::payload::{parse_chain, Payload, PayloadBody};
use crate::reader::Reader;
use crate::Error;

/// An IKEv2 message. Next Payload and Length of the header are derived when emitting.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Message {
    pub header: Header,
    pub payloads: Vec<Payload>,
}

/// The result of a successful parse: the message and the deviations seen on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub message: Message,
    pub findings: Vec<Finding>,
}

impl Parsed {
    /// Whether `message.emit()` reproduces the input exactly. Canonical input re-encodes to the
    /// same bytes; non-canonical input (bytes beyond Length or after the last payload, or a
    /// wrong "last substructure" octet) is re-encoded in canonical form and flagged by a finding.
    pub fn is_canonical(&self) -> bool {
        !self.findings.iter().any(|f| {
            matches!(
                f.kind,
                FindingKind::TrailingDatagramBytes(_)
                    | FindingKind::UnparsedMessageBytes(_)
                    | FindingKind::LastSubstructure { .. }
            )
        })
    }
}

impl Message {
    /// Parses one IKEv2 message from a datagram (after any non-ESP marker).
    ///
    /// Strict about structure: lengths must be consistent, counts must match, and the chain
    /// must end where the header's Length says. Deviations the RFC tells receivers to ignore are
    /// returned as findings.
    pub fn parse(datagram: &[u8]) -> Result<Parsed, Error> {
        let packet = HeaderPacket::new_checked(datagram)?;
        let header_path = Path::ROOT.child("header");
        if packet.major_version() != 2 {
            return Err(header_path.error(
                17,
                ErrorKind::UnsupportedMajorVersion(packet.major_version()),
            ));
        }
        let length = packet.length() as usize;
        if length < HEADER_LEN {
            return Err(header_path.error(
                24,
                ErrorKind::BadLength {
                    what: "message length",
                    value: length,
                    reason: "shorter than the 28-octet header",
                },
            ));
        }
        if length > datagram.len() {
            return Err(header_path.error(
                24,
                ErrorKind::Truncated {
                    what: "message (header Length)",
                    needed: length,
                    available: datagram.len(),
                },
            ));
        }
        let mut findings = Findings::default();
        let header = Header::parse(&packet, &mut findings);
        let mut r = Reader::new(&datagram[HEADER_LEN..length], HEADER_LEN);
        let payloads = parse_chain(packet.next_payload(), &mut r, &Path::ROOT, &mut findings)?;
        if !r.is_empty() {
            findings.push(
                r.offset(),
                &Path::ROOT,
                FindingKind::UnparsedMessageBytes(r.remaining()),
            );
        }
        if datagram.len() > length {
            findings.push(
                length,
                &Path::ROOT,
                FindingKind::TrailingDatagramBytes(datagram.len() - length),
            );
        }
        Ok(Parsed {
            message: Message { header, payloads },
            findings: findings.0,
        })
    }

    /// Length on the wire.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + Payload::chain_len(&self.payloads)
    }

    /// Appends the encoded message to `out`.
    pub fn emit_into(&self, out: &mut Vec<u8>) {
        let first = self
            .payloads
            .first()
            .map_or(PayloadType::NONE, Payload::payload_type);
        self.header.emit(first, self.buffer_len() as u32, out);
        Payload::emit_chain(&self.payloads, out);
    }

    /// The encoded message.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buffer_len());
        self.emit_into(&mut out);
        out
    }

    /// The SK or SKF payload, if the message is encrypted (it is always the last payload).
    pub fn encrypted(&self) -> Option<&Payload> {
        self.payloads
            .last()
            .filter(|p| matches!(p.body, PayloadBody::Sk(_) | PayloadBody::Skf(_)))
    }

    /// Offset of the encrypted payload's body (its IV) in the emitted message, which is where the
    /// AEAD associated data ends (RFC 5282 §5.1) and where decryption starts.
    pub fn encrypted_body_offset(&self) -> Option<usize> {
        let sk = self.encrypted()?;
        let body_start = self.buffer_len() - sk.body.buffer_len();
        Some(match sk.body {
            // SKF's Fragment Number and Total Fragments are associated data, not ciphertext.
            PayloadBody::Skf(_) => body_start + 4,
            _ => body_start,
        })
    }
}
