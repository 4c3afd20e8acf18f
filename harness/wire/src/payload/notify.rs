//! Notify payload (RFC 7296 §3.10) and helpers for the notification data iOS and gateways use.

use crate::error::Path;
use crate::finding::{FindingKind, Findings};
use crate::iana::{HashAlgorithm, NotifyType, ProtocolId};
use crate::reader::Reader;
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct NotifyPayload {
    /// 0 when the notification is not about a specific SA (RFC 7296 §3.10).
    pub protocol: ProtocolId,
    pub spi: Vec<u8>,
    pub notify_type: NotifyType,
    pub data: Vec<u8>,
}

impl NotifyPayload {
    pub(crate) fn parse(
        mut r: Reader<'_>,
        path: &Path<'_>,
        f: &mut Findings,
    ) -> Result<Self, Error> {
        let start = r.offset();
        let protocol = ProtocolId(r.u8("protocol ID", path)?);
        let spi_size = usize::from(r.u8("SPI size", path)?);
        let notify_type = NotifyType(r.u16("notify message type", path)?);
        let spi = r.take(spi_size, "notify SPI", path)?.to_vec();
        // IKE SA notifications carry no SPI (the header has them); child SA ones carry 4 octets.
        let spi_ok = match protocol.0 {
            0 | 1 => spi_size == 0 || spi_size == 8,
            2 | 3 => spi_size == 4,
            _ => true,
        };
        if !spi_ok {
            f.push(
                start + 1,
                path,
                FindingKind::NotifySpiSize {
                    protocol: protocol.0,
                    spi_size,
                },
            );
        }
        Ok(Self {
            protocol,
            spi,
            notify_type,
            data: r.rest().to_vec(),
        })
    }

    /// A notification about no particular SA.
    pub fn new(notify_type: NotifyType, data: impl Into<Vec<u8>>) -> Self {
        Self {
            protocol: ProtocolId(0),
            spi: Vec::new(),
            notify_type,
            data: data.into(),
        }
    }

    pub fn buffer_len(&self) -> usize {
        4 + self.spi.len() + self.data.len()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.protocol.0);
        out.push(self.spi.len() as u8);
        out.extend_from_slice(&self.notify_type.0.to_be_bytes());
        out.extend_from_slice(&self.spi);
        out.extend_from_slice(&self.data);
    }

    /// SIGNATURE_HASH_ALGORITHMS data (RFC 7427 §4): a list of 2-octet hash algorithm IDs.
    /// `None` when the type differs or the data length is odd.
    pub fn signature_hash_algorithms(&self) -> Option<Vec<HashAlgorithm>> {
        if self.notify_type != NotifyType::SIGNATURE_HASH_ALGORITHMS || self.data.len() % 2 != 0 {
            return None;
        }
        Some(
            self.data
                .chunks_exact(2)
                .map(|c| HashAlgorithm(u16::from_be_bytes([c[0], c[1]])))
                .collect(),
        )
    }

    /// INVALID_KE_PAYLOAD data (RFC 7296 §1.3): the 2-octet group the responder accepts.
    pub fn invalid_ke_group(&self) -> Option<crate::iana::KeMethod> {
        if self.notify_type != NotifyType::INVALID_KE_PAYLOAD || self.data.len() != 2 {
            return None;
        }
        Some(crate::iana::KeMethod(u16::from_be_bytes([
            self.data[0],
            self.data[1],
        ])))
    }
}
