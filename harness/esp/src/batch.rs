//! Many packets per call, packed back to back in one preallocated buffer, so per-call
//! overhead does not dominate small-packet throughput.
//!
//! A [`PacketBatch`] is allocated once with a byte and a packet capacity; `clear` keeps both,
//! so sealing and opening batches in steady state allocates nothing.

use crate::{EspError, InboundSa, Opened, OutboundSa};

/// Packets stored contiguously: packet `i` is `bytes()[start(i)..end(i)]`.
#[derive(Debug, Clone)]
pub struct PacketBatch {
    buf: Box<[u8]>,
    used: usize,
    /// End offset of each packet.
    ends: Vec<usize>,
    max_packets: usize,
}

impl PacketBatch {
    /// Room for `packets` packets totalling `bytes` octets.
    pub fn new(bytes: usize, packets: usize) -> Self {
        Self {
            buf: vec![0; bytes].into_boxed_slice(),
            used: 0,
            ends: Vec::with_capacity(packets),
            max_packets: packets,
        }
    }

    /// Forgets the packets, keeping the capacity.
    pub fn clear(&mut self) {
        self.used = 0;
        self.ends.clear();
    }

    /// Number of packets.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there is no packet.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The packets, back to back.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.used]
    }

    /// Packet `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.buf[start..end])
    }

    /// The packets in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }

    /// Appends a copy of `packet`.
    pub fn push(&mut self, packet: &[u8]) -> Result<(), EspError> {
        self.push_with(packet.len(), |slot| {
            slot.copy_from_slice(packet);
            Ok(packet.len())
        })
        .map(|_| ())
    }

    /// Appends a packet written by `f` into a slot of `max_len` octets; `f` returns the
    /// length it wrote. A failing `f` appends nothing.
    pub fn push_with<F>(&mut self, max_len: usize, f: F) -> Result<usize, EspError>
    where
        F: FnOnce(&mut [u8]) -> Result<usize, EspError>,
    {
        let full = EspError::BatchFull {
            packets: self.max_packets,
            bytes: self.buf.len(),
        };
        if self.ends.len() == self.max_packets {
            return Err(full);
        }
        let slot = self
            .buf
            .get_mut(self.used..)
            .and_then(|rest| rest.get_mut(..max_len))
            .ok_or(full)?;
        let n = f(slot)?.min(max_len);
        self.used += n;
        self.ends.push(self.used);
        Ok(n)
    }
}

impl OutboundSa {
    /// Seals every packet of `inners` (all with Next Header `next_header`) into `out`.
    /// Stops at the first error (buffer full, sequence numbers exhausted); the packets
    /// sealed before it stay in `out`. Returns the number sealed.
    pub fn seal_batch(
        &mut self,
        inners: &PacketBatch,
        next_header: u8,
        out: &mut PacketBatch,
    ) -> Result<usize, EspError> {
        for inner in inners.iter() {
            let len = self.sealed_len(inner.len());
            out.push_with(len, |slot| self.seal(inner, next_header, slot))?;
        }
        Ok(inners.len())
    }
}

impl InboundSa {
    /// Opens every packet of `packets` into `out`, one entry per input packet (empty for a
    /// refused packet), and its outcome into `results` (cleared first; give it capacity
    /// for a batch to keep steady state allocation-free). Returns the number opened.
    pub fn open_batch(
        &mut self,
        packets: &PacketBatch,
        out: &mut PacketBatch,
        results: &mut Vec<Result<Opened, EspError>>,
    ) -> Result<usize, EspError> {
        results.clear();
        let mut ok = 0;
        for packet in packets.iter() {
            let mut outcome = None;
            out.push_with(self.open_capacity(packet.len()), |slot| {
                let r = self.open(packet, slot);
                let len = r.as_ref().map_or(0, |o| o.len);
                outcome = Some(r);
                Ok(len)
            })?;
            if let Some(r) = outcome {
                ok += usize::from(r.is_ok());
                results.push(r);
            }
        }
        Ok(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get_clear() {
        let mut b = PacketBatch::new(10, 3);
        b.push(b"abc").unwrap();
        b.push(b"").unwrap();
        b.push(b"defg").unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b.get(0), Some(&b"abc"[..]));
        assert_eq!(b.get(1), Some(&b""[..]));
        assert_eq!(b.get(2), Some(&b"defg"[..]));
        assert_eq!(b.get(3), None);
        assert_eq!(b.bytes(), b"abcdefg");
        assert!(matches!(b.push(b"x"), Err(EspError::BatchFull { .. })));
        b.clear();
        assert!(b.is_empty());
        assert!(matches!(
            b.push(&[0; 11]),
            Err(EspError::BatchFull { bytes: 10, .. })
        ));
        b.push(&[1; 10]).unwrap();
        assert_eq!(b.iter().count(), 1);
    }

    #[test]
    fn failing_writer_appends_nothing() {
        let mut b = PacketBatch::new(10, 3);
        let r = b.push_with(4, |_| Err(EspError::Udp { reason: "test" }));
        assert!(r.is_err());
        assert!(b.is_empty());
    }
}
