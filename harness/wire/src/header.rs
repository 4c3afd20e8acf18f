//! The IKE header (RFC 7296 §3.1): a typed view over the first 28 bytes and its `Repr`.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |                       IKE SA Initiator's SPI                  |
//! |                       IKE SA Responder's SPI                  |
//! |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
//! |                          Message ID                           |
//! |                            Length                             |
//! ```

use crate::error::{ErrorKind, Path};
use crate::finding::{FindingKind, Findings};
use crate::iana::{ExchangeType, PayloadType};
use crate::Error;

mod field {
    use core::ops::Range;
    pub const INITIATOR_SPI: Range<usize> = 0..8;
    pub const RESPONDER_SPI: Range<usize> = 8..16;
    pub const NEXT_PAYLOAD: usize = 16;
    pub const VERSION: usize = 17;
    pub const EXCHANGE_TYPE: usize = 18;
    pub const FLAGS: usize = 19;
    pub const MESSAGE_ID: Range<usize> = 20..24;
    pub const LENGTH: Range<usize> = 24..28;
}

/// Length of the IKE header in octets.
pub const HEADER_LEN: usize = 28;

/// The IKE header flags octet, kept whole so undefined bits round-trip.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Flags(pub u8);

impl Flags {
    /// I(nitiator): set in messages sent by the original initiator of the IKE SA.
    pub const INITIATOR: u8 = 0x08;
    /// V(ersion): the sender can speak a higher major version; IKEv2 senders clear it.
    pub const VERSION: u8 = 0x10;
    /// R(esponse): the message is a response to a message with this Message ID.
    pub const RESPONSE: u8 = 0x20;
    const DEFINED: u8 = Self::INITIATOR | Self::VERSION | Self::RESPONSE;

    /// Flags of a message from the original initiator (`initiator`) that is or isn't a response.
    pub const fn new(initiator: bool, response: bool) -> Self {
        let mut bits = 0;
        if initiator {
            bits |= Self::INITIATOR;
        }
        if response {
            bits |= Self::RESPONSE;
        }
        Self(bits)
    }
    pub const fn initiator(self) -> bool {
        self.0 & Self::INITIATOR != 0
    }
    pub const fn version(self) -> bool {
        self.0 & Self::VERSION != 0
    }
    pub const fn response(self) -> bool {
        self.0 & Self::RESPONSE != 0
    }
    /// Bits RFC 7296 does not define.
    pub const fn undefined(self) -> u8 {
        self.0 & !Self::DEFINED
    }
}

impl core::fmt::Debug for Flags {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:#04x}", self.0)?;
        let names: Vec<&str> = [
            (self.initiator(), "I"),
            (self.version(), "V"),
            (self.response(), "R"),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, n)| *n)
        .collect();
        if !names.is_empty() {
            write!(f, " ({})", names.join("|"))?;
        }
        Ok(())
    }
}

/// A read/write view over an IKE header at the start of a buffer.
///
/// After [`HeaderPacket::new_checked`] succeeds no accessor panics.
#[derive(Debug, Clone)]
pub struct HeaderPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> HeaderPacket<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer after checking that it holds a whole header.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer is long enough for every accessor.
    pub fn check_len(&self) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Path::ROOT.child("header").error(
                0,
                ErrorKind::Truncated {
                    what: "IKE header",
                    needed: HEADER_LEN,
                    available: len,
                },
            ));
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn initiator_spi(&self) -> u64 {
        read_u64(&self.b()[field::INITIATOR_SPI])
    }
    pub fn responder_spi(&self) -> u64 {
        read_u64(&self.b()[field::RESPONDER_SPI])
    }
    pub fn next_payload(&self) -> PayloadType {
        PayloadType(self.b()[field::NEXT_PAYLOAD])
    }
    pub fn major_version(&self) -> u8 {
        self.b()[field::VERSION] >> 4
    }
    pub fn minor_version(&self) -> u8 {
        self.b()[field::VERSION] & 0x0f
    }
    pub fn exchange_type(&self) -> ExchangeType {
        ExchangeType(self.b()[field::EXCHANGE_TYPE])
    }
    pub fn flags(&self) -> Flags {
        Flags(self.b()[field::FLAGS])
    }
    pub fn message_id(&self) -> u32 {
        read_u32(&self.b()[field::MESSAGE_ID])
    }
    /// Length of the whole message (header and payloads) in octets.
    pub fn length(&self) -> u32 {
        read_u32(&self.b()[field::LENGTH])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> HeaderPacket<T> {
    fn m(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
    pub fn set_initiator_spi(&mut self, spi: u64) {
        self.m()[field::INITIATOR_SPI].copy_from_slice(&spi.to_be_bytes());
    }
    pub fn set_responder_spi(&mut self, spi: u64) {
        self.m()[field::RESPONDER_SPI].copy_from_slice(&spi.to_be_bytes());
    }
    pub fn set_next_payload(&mut self, t: PayloadType) {
        self.m()[field::NEXT_PAYLOAD] = t.0;
    }
    pub fn set_version(&mut self, major: u8, minor: u8) {
        self.m()[field::VERSION] = (major << 4) | (minor & 0x0f);
    }
    pub fn set_exchange_type(&mut self, t: ExchangeType) {
        self.m()[field::EXCHANGE_TYPE] = t.0;
    }
    pub fn set_flags(&mut self, flags: Flags) {
        self.m()[field::FLAGS] = flags.0;
    }
    pub fn set_message_id(&mut self, id: u32) {
        self.m()[field::MESSAGE_ID].copy_from_slice(&id.to_be_bytes());
    }
    pub fn set_length(&mut self, len: u32) {
        self.m()[field::LENGTH].copy_from_slice(&len.to_be_bytes());
    }
}

fn read_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    u64::from_be_bytes(a)
}

fn read_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The header fields a message carries; Next Payload and Length are derived from the payloads
/// when the message is emitted, so they are not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Header {
    pub initiator_spi: u64,
    pub responder_spi: u64,
    pub major_version: u8,
    pub minor_version: u8,
    pub exchange_type: ExchangeType,
    pub flags: Flags,
    pub message_id: u32,
}

impl Header {
    /// Reads the header fields, recording deviations the RFC says to ignore.
    pub(crate) fn parse<T: AsRef<[u8]>>(packet: &HeaderPacket<T>, findings: &mut Findings) -> Self {
        let path = Path::ROOT.child("header");
        if packet.minor_version() != 0 {
            findings.push(
                field::VERSION,
                &path,
                FindingKind::MinorVersion(packet.minor_version()),
            );
        }
        let flags = packet.flags();
        if flags.version() {
            findings.push(field::FLAGS, &path, FindingKind::VersionFlag);
        }
        if flags.undefined() != 0 {
            findings.push(
                field::FLAGS,
                &path,
                FindingKind::UnknownFlags(flags.undefined()),
            );
        }
        Self {
            initiator_spi: packet.initiator_spi(),
            responder_spi: packet.responder_spi(),
            major_version: packet.major_version(),
            minor_version: packet.minor_version(),
            exchange_type: packet.exchange_type(),
            flags,
            message_id: packet.message_id(),
        }
    }

    /// Writes the header with the given Next Payload and Length.
    pub fn emit(&self, next_payload: PayloadType, length: u32, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + HEADER_LEN, 0);
        let mut p = HeaderPacket::new_unchecked(&mut out[start..]);
        p.set_initiator_spi(self.initiator_spi);
        p.set_responder_spi(self.responder_spi);
        p.set_next_payload(next_payload);
        p.set_version(self.major_version, self.minor_version);
        p.set_exchange_type(self.exchange_type);
        p.set_flags(self.flags);
        p.set_message_id(self.message_id);
        p.set_length(length);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // IKE_SA_INIT request header (first 28 bytes of a strongSwan 5.9.8 initiator's message).
    static HEADER_BYTES: [u8; 28] = [
        0x4c, 0x3f, 0x0a, 0x2b, 0x6a, 0x1d, 0x94, 0x3e, // initiator SPI
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // responder SPI
        0x21, 0x20, 0x22, 0x08, // SA, 2.0, IKE_SA_INIT, I
        0x00, 0x00, 0x00, 0x00, // message ID
        0x00, 0x00, 0x01, 0x28, // length 296
    ];

    fn repr() -> Header {
        Header {
            initiator_spi: 0x4c3f_0a2b_6a1d_943e,
            responder_spi: 0,
            major_version: 2,
            minor_version: 0,
            exchange_type: ExchangeType::IKE_SA_INIT,
            flags: Flags::new(true, false),
            message_id: 0,
        }
    }

    #[test]
    fn test_deconstruct() {
        let p = HeaderPacket::new_checked(&HEADER_BYTES[..]).unwrap();
        assert_eq!(p.initiator_spi(), 0x4c3f_0a2b_6a1d_943e);
        assert_eq!(p.responder_spi(), 0);
        assert_eq!(p.next_payload(), PayloadType::SA);
        assert_eq!((p.major_version(), p.minor_version()), (2, 0));
        assert_eq!(p.exchange_type(), ExchangeType::IKE_SA_INIT);
        assert!(p.flags().initiator() && !p.flags().response() && !p.flags().version());
        assert_eq!(p.message_id(), 0);
        assert_eq!(p.length(), 296);
    }

    #[test]
    fn test_construct() {
        let mut buf = [0u8; 28];
        let mut p = HeaderPacket::new_unchecked(&mut buf[..]);
        p.set_initiator_spi(0x4c3f_0a2b_6a1d_943e);
        p.set_responder_spi(0);
        p.set_next_payload(PayloadType::SA);
        p.set_version(2, 0);
        p.set_exchange_type(ExchangeType::IKE_SA_INIT);
        p.set_flags(Flags::new(true, false));
        p.set_message_id(0);
        p.set_length(296);
        assert_eq!(buf, HEADER_BYTES);
    }

    #[test]
    fn test_check_len() {
        for len in 0..HEADER_LEN {
            let err = HeaderPacket::new_checked(&HEADER_BYTES[..len]).unwrap_err();
            assert!(matches!(err.kind, ErrorKind::Truncated { needed: 28, .. }));
        }
        assert!(HeaderPacket::new_checked(&HEADER_BYTES[..]).is_ok());
    }

    #[test]
    fn test_parse() {
        let p = HeaderPacket::new_checked(&HEADER_BYTES[..]).unwrap();
        let mut f = Findings::default();
        assert_eq!(Header::parse(&p, &mut f), repr());
        assert!(f.0.is_empty());
    }

    #[test]
    fn test_emit() {
        let mut out = Vec::new();
        repr().emit(PayloadType::SA, 296, &mut out);
        assert_eq!(out, HEADER_BYTES);
    }

    #[test]
    fn test_buffer_len() {
        let mut out = Vec::new();
        repr().emit(PayloadType::SA, 296, &mut out);
        assert_eq!(out.len(), HEADER_LEN);
    }

    #[test]
    fn deviations_become_findings() {
        let mut bytes = HEADER_BYTES;
        bytes[17] = 0x21; // minor version 1
        bytes[19] = 0x08 | 0x10 | 0x01; // I, V and an undefined bit
        let p = HeaderPacket::new_checked(&bytes[..]).unwrap();
        let mut f = Findings::default();
        Header::parse(&p, &mut f);
        let codes: Vec<_> = f.0.iter().map(|x| x.kind.code()).collect();
        assert_eq!(codes, ["minor-version", "version-flag", "unknown-flags"]);
    }
}
