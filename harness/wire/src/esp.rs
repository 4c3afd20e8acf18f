//! ESP header (RFC 4303 §2) and UDP encapsulation on port 4500 (RFC 3948 §2).
//!
//! ```text
//! UDP 4500 payload:
//!   0xFF                          NAT-keepalive (a single octet)
//!   00 00 00 00 | IKE message     non-ESP marker, then IKE
//!   SPI (!= 0) | Sequence | ...   ESP
//! ```

use crate::error::{ErrorKind, Path};
use crate::Error;

/// Length of the ESP header (SPI and Sequence Number).
pub const ESP_HEADER_LEN: usize = 8;
/// The non-ESP marker that precedes IKE messages on port 4500.
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];
/// The NAT-keepalive payload.
pub const NAT_KEEPALIVE: u8 = 0xff;

mod field {
    use core::ops::Range;
    pub const SPI: Range<usize> = 0..4;
    pub const SEQUENCE: Range<usize> = 4..8;
    pub const PAYLOAD: core::ops::RangeFrom<usize> = 8..;
}

/// A read/write view over an ESP packet. After `new_checked` no accessor panics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EspPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    pub fn check_len(&self) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < ESP_HEADER_LEN {
            return Err(Path::ROOT.child("ESP").error(
                0,
                ErrorKind::Truncated {
                    what: "ESP header",
                    needed: ESP_HEADER_LEN,
                    available: len,
                },
            ));
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Security Parameters Index.
    pub fn spi(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::SPI];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// The low 32 bits of the sequence number.
    pub fn sequence_number(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::SEQUENCE];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// IV, ciphertext, padding, trailer and ICV.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EspPacket<T> {
    pub fn set_spi(&mut self, spi: u32) {
        self.buffer.as_mut()[field::SPI].copy_from_slice(&spi.to_be_bytes());
    }
    pub fn set_sequence_number(&mut self, seq: u32) {
        self.buffer.as_mut()[field::SEQUENCE].copy_from_slice(&seq.to_be_bytes());
    }
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD]
    }
}

/// The ESP header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct EspHeader {
    pub spi: u32,
    pub sequence_number: u32,
}

impl EspHeader {
    pub fn parse<T: AsRef<[u8]>>(packet: &EspPacket<T>) -> Self {
        Self {
            spi: packet.spi(),
            sequence_number: packet.sequence_number(),
        }
    }

    pub const fn buffer_len(&self) -> usize {
        ESP_HEADER_LEN
    }

    /// Writes the header into the first 8 bytes of `buf`. `buf` must be at least that long.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut EspPacket<T>) {
        packet.set_spi(self.spi);
        packet.set_sequence_number(self.sequence_number);
    }
}

/// What a UDP datagram on port 4500 carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Udp4500<'a> {
    /// A NAT-keepalive (RFC 3948 §2.3).
    NatKeepalive,
    /// An IKE message after the non-ESP marker (the slice starts at the IKE header).
    Ike(&'a [u8]),
    /// An ESP packet (the slice starts at the SPI).
    Esp(EspPacket<&'a [u8]>),
}

impl<'a> Udp4500<'a> {
    /// Classifies a UDP 4500 payload by RFC 3948's rules: one 0xFF octet is a keepalive, a zero
    /// SPI field is the non-ESP marker, anything else is ESP.
    pub fn classify(datagram: &'a [u8]) -> Result<Self, Error> {
        if datagram == [NAT_KEEPALIVE] {
            return Ok(Self::NatKeepalive);
        }
        let path = Path::ROOT.child("UDP-encapsulation");
        if datagram.len() < 4 {
            return Err(path.error(
                0,
                ErrorKind::Unrecognised(
                    "UDP 4500 payload shorter than 4 octets and not a NAT-keepalive (0xFF)",
                ),
            ));
        }
        if datagram[..4] == NON_ESP_MARKER {
            return Ok(Self::Ike(&datagram[4..]));
        }
        Ok(Self::Esp(EspPacket::new_checked(datagram)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ESP-in-UDP from a strongSwan kernel-libipsec tunnel (SPI c1f5a9d3, seq 1), truncated after
    // the first 8 payload bytes.
    static ESP_BYTES: [u8; 16] = [
        0xc1, 0xf5, 0xa9, 0xd3, 0x00, 0x00, 0x00, 0x01, 0x6e, 0x1b, 0x55, 0x02, 0x9a, 0x3c, 0x41,
        0x08,
    ];

    #[test]
    fn test_deconstruct() {
        let p = EspPacket::new_checked(&ESP_BYTES[..]).unwrap();
        assert_eq!(p.spi(), 0xc1f5_a9d3);
        assert_eq!(p.sequence_number(), 1);
        assert_eq!(p.payload(), &ESP_BYTES[8..]);
    }

    #[test]
    fn test_construct() {
        let mut buf = ESP_BYTES;
        buf[..8].fill(0);
        let mut p = EspPacket::new_unchecked(&mut buf[..]);
        p.set_spi(0xc1f5_a9d3);
        p.set_sequence_number(1);
        assert_eq!(buf, ESP_BYTES);
    }

    #[test]
    fn test_check_len() {
        for len in 0..ESP_HEADER_LEN {
            assert!(EspPacket::new_checked(&ESP_BYTES[..len]).is_err());
        }
        assert!(EspPacket::new_checked(&ESP_BYTES[..8]).is_ok());
    }

    #[test]
    fn test_parse() {
        let p = EspPacket::new_checked(&ESP_BYTES[..]).unwrap();
        assert_eq!(
            EspHeader::parse(&p),
            EspHeader {
                spi: 0xc1f5_a9d3,
                sequence_number: 1
            }
        );
    }

    #[test]
    fn test_emit() {
        let mut buf = [0u8; 8];
        let h = EspHeader {
            spi: 0xc1f5_a9d3,
            sequence_number: 1,
        };
        h.emit(&mut EspPacket::new_unchecked(&mut buf[..]));
        assert_eq!(buf, ESP_BYTES[..8]);
    }

    #[test]
    fn test_buffer_len() {
        assert_eq!(
            EspHeader {
                spi: 1,
                sequence_number: 1
            }
            .buffer_len(),
            ESP_HEADER_LEN
        );
    }

    #[test]
    fn classifies_udp_4500_payloads() {
        assert_eq!(Udp4500::classify(&[0xff]).unwrap(), Udp4500::NatKeepalive);
        let ike = [0, 0, 0, 0, 1, 2, 3];
        assert_eq!(Udp4500::classify(&ike).unwrap(), Udp4500::Ike(&[1, 2, 3]));
        assert!(
            matches!(Udp4500::classify(&ESP_BYTES).unwrap(), Udp4500::Esp(p) if p.spi() == 0xc1f5_a9d3)
        );
        assert!(Udp4500::classify(&[0xfe]).is_err());
        assert!(
            Udp4500::classify(&[1, 2, 3, 4, 5]).is_err(),
            "ESP needs 8 octets"
        );
        assert!(Udp4500::classify(&[]).is_err());
    }
}
