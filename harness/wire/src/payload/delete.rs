//! Delete payload (RFC 7296 §3.11).

use crate::error::{ErrorKind, Path};
use crate::iana::ProtocolId;
use crate::reader::Reader;
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct DeletePayload {
    pub protocol: ProtocolId,
    /// Kept separately from the SPIs: an IKE SA delete has size 0 and no SPIs.
    pub spi_size: u8,
    pub spis: Vec<Vec<u8>>,
}

impl DeletePayload {
    pub(crate) fn parse(mut r: Reader<'_>, path: &Path<'_>) -> Result<Self, Error> {
        let protocol = ProtocolId(r.u8("protocol ID", path)?);
        let spi_size = r.u8("SPI size", path)?;
        let count_at = r.offset();
        let count = usize::from(r.u16("number of SPIs", path)?);
        let size = usize::from(spi_size);
        let present = r.remaining().checked_div(size).unwrap_or(0);
        if (size == 0 && !r.is_empty())
            || (size != 0 && r.remaining() % size != 0)
            || present != count
        {
            return Err(path.error(
                count_at,
                ErrorKind::CountMismatch {
                    what: "Delete payload's number of SPIs",
                    declared: count,
                    found: present,
                },
            ));
        }
        let spis = (0..count)
            .map(|_| r.take(size, "SPI", path).map(<[u8]>::to_vec))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            protocol,
            spi_size,
            spis,
        })
    }

    pub fn buffer_len(&self) -> usize {
        4 + self.spis.iter().map(Vec::len).sum::<usize>()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.protocol.0);
        out.push(self.spi_size);
        out.extend_from_slice(&(self.spis.len() as u16).to_be_bytes());
        for spi in &self.spis {
            out.extend_from_slice(spi);
        }
    }
}
