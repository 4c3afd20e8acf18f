//! UDP encapsulation of ESP (RFC 3948) on port 4500.
//!
//! The UDP payload is the ESP packet itself (its non-zero SPI tells it from IKE, which
//! follows a four-octet zero non-ESP marker); a single 0xFF octet is a NAT-keepalive
//! (RFC 3948 §2.2, §2.3). Demultiplexing is `ikelab-wire`'s [`Udp4500::classify`].

use ikelab_wire::esp::{NAT_KEEPALIVE, NON_ESP_MARKER};
pub use ikelab_wire::Udp4500;

use crate::{EspError, InboundTable, Opened, OutboundSa};

/// The IANA port for IKE and ESP-in-UDP after NAT detection.
pub const NAT_T_PORT: u16 = 4500;
/// UDP header length.
pub const UDP_HEADER_LEN: usize = 8;

/// The NAT-keepalive payload (RFC 3948 §2.3), sent when no other traffic keeps a NAT
/// mapping alive (every 20 s by default in RFC 3948 §4).
pub const fn nat_keepalive() -> [u8; 1] {
    [NAT_KEEPALIVE]
}

/// What a UDP 4500 datagram delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received<'a> {
    /// An ESP packet opened by the SA with this SPI; the inner packet is in the output buffer.
    Esp {
        /// SPI of the SA that opened it.
        spi: u32,
        /// What the SA found.
        opened: Opened,
    },
    /// An IKE message (after the non-ESP marker), for the control plane.
    Ike(&'a [u8]),
    /// A NAT-keepalive: nothing to do.
    NatKeepalive,
}

/// Seals `inner` as the payload of a UDP 4500 datagram (the ESP packet as is). The SPI
/// must not be zero, or the receiver would take the packet for IKE (RFC 3948 §2.2).
pub fn seal(
    sa: &mut OutboundSa,
    inner: &[u8],
    next_header: u8,
    out: &mut [u8],
) -> Result<usize, EspError> {
    if sa.spi() == 0 {
        return Err(EspError::Udp {
            reason: "SPI 0 would read as the non-ESP marker (RFC 3948 §2.2)",
        });
    }
    sa.seal(inner, next_header, out)
}

/// Writes the non-ESP marker and `ike` into `out` (RFC 3948 §2.2).
pub fn write_ike(ike: &[u8], out: &mut [u8]) -> Result<usize, EspError> {
    let n = NON_ESP_MARKER.len() + ike.len();
    let out = out.get_mut(..n).ok_or(EspError::Udp {
        reason: "output buffer too small for marker and IKE message",
    })?;
    out[..4].copy_from_slice(&NON_ESP_MARKER);
    out[4..].copy_from_slice(ike);
    Ok(n)
}

/// Classifies a UDP 4500 payload and opens ESP with the SA its SPI names.
pub fn receive<'a>(
    sas: &mut InboundTable,
    datagram: &'a [u8],
    out: &mut [u8],
) -> Result<Received<'a>, EspError> {
    match Udp4500::classify(datagram) {
        Ok(Udp4500::NatKeepalive) => Ok(Received::NatKeepalive),
        Ok(Udp4500::Ike(ike)) => Ok(Received::Ike(ike)),
        Ok(Udp4500::Esp(esp)) => {
            let (spi, opened) = sas.open(esp.into_inner(), out)?;
            Ok(Received::Esp { spi, opened })
        }
        Err(_) => Err(EspError::Udp {
            reason: "datagram is neither a NAT-keepalive, IKE after the non-ESP marker, nor ESP",
        }),
    }
}

/// A UDP header (RFC 768), for callers that build whole datagrams (raw sockets, pcaps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpHeader {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Length of header and payload.
    pub length: u16,
    /// Checksum (0: none).
    pub checksum: u16,
}

impl UdpHeader {
    /// Writes a header for `payload_len` octets with a zero checksum, which RFC 3948 §2.1
    /// says ESP-in-UDP over IPv4 SHOULD send (ESP protects the payload already).
    pub fn write(
        src_port: u16,
        dst_port: u16,
        payload_len: usize,
        out: &mut [u8],
    ) -> Result<(), EspError> {
        let length = u16::try_from(payload_len + UDP_HEADER_LEN).map_err(|_| EspError::Udp {
            reason: "payload exceeds the 16-bit UDP length",
        })?;
        let out = out.get_mut(..UDP_HEADER_LEN).ok_or(EspError::Udp {
            reason: "output buffer shorter than a UDP header",
        })?;
        out[..2].copy_from_slice(&src_port.to_be_bytes());
        out[2..4].copy_from_slice(&dst_port.to_be_bytes());
        out[4..6].copy_from_slice(&length.to_be_bytes());
        out[6..8].fill(0);
        Ok(())
    }

    /// Parses a header and returns it with the payload its Length field covers.
    pub fn parse(datagram: &[u8]) -> Result<(Self, &[u8]), EspError> {
        let h = datagram.get(..UDP_HEADER_LEN).ok_or(EspError::Udp {
            reason: "datagram shorter than a UDP header",
        })?;
        let be = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        let header = Self {
            src_port: be(0),
            dst_port: be(2),
            length: be(4),
            checksum: be(6),
        };
        let payload = datagram
            .get(UDP_HEADER_LEN..usize::from(header.length))
            .ok_or(EspError::Udp {
                reason: "UDP Length field disagrees with the datagram",
            })?;
        Ok((header, payload))
    }
}

/// Seals `inner` into a whole UDP datagram (header + ESP) from `src_port` to `dst_port`.
pub fn seal_datagram(
    sa: &mut OutboundSa,
    inner: &[u8],
    next_header: u8,
    src_port: u16,
    dst_port: u16,
    out: &mut [u8],
) -> Result<usize, EspError> {
    if sa.sealed_len(inner.len()) + UDP_HEADER_LEN > usize::from(u16::MAX) {
        return Err(EspError::Udp {
            reason: "sealed packet exceeds the 16-bit UDP length",
        });
    }
    let Some(body) = out.get_mut(UDP_HEADER_LEN..) else {
        return Err(EspError::Udp {
            reason: "output buffer shorter than a UDP header",
        });
    };
    let n = seal(sa, inner, next_header, body)?;
    UdpHeader::write(src_port, dst_port, n, out)?;
    Ok(UDP_HEADER_LEN + n)
}
