//! Inbound SAs by SPI (the receiving part of the SAD, RFC 4301 §4.4.2).

use std::collections::HashMap;

use crate::{EspError, InboundSa, Opened};

/// Inbound SAs keyed by SPI; [`InboundTable::open`] dispatches a packet to its SA.
#[derive(Debug, Default)]
pub struct InboundTable {
    sas: HashMap<u32, InboundSa>,
}

impl InboundTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs `sa`, returning the SA it replaces (same SPI), if any.
    pub fn insert(&mut self, sa: InboundSa) -> Option<InboundSa> {
        self.sas.insert(sa.spi(), sa)
    }

    /// Removes the SA with `spi`.
    pub fn remove(&mut self, spi: u32) -> Option<InboundSa> {
        self.sas.remove(&spi)
    }

    /// The SA with `spi`.
    pub fn get(&self, spi: u32) -> Option<&InboundSa> {
        self.sas.get(&spi)
    }

    /// Number of SAs.
    pub fn len(&self) -> usize {
        self.sas.len()
    }

    /// True when no SA is installed.
    pub fn is_empty(&self) -> bool {
        self.sas.is_empty()
    }

    /// Opens `packet` with the SA its SPI names. Returns the SPI with the result.
    pub fn open(&mut self, packet: &[u8], out: &mut [u8]) -> Result<(u32, Opened), EspError> {
        let spi = packet
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(EspError::Truncated {
                spi: 0,
                len: packet.len(),
                min: 8,
            })?;
        let sa = self.sas.get_mut(&spi).ok_or(EspError::UnknownSpi { spi })?;
        Ok((spi, sa.open(packet, out)?))
    }
}
