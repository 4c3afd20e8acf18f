//! Outbound SA: seals inner packets into ESP packets (RFC 4303 §3.3).

use ikelab_crypto::cipher::Aead;
use ikelab_crypto::integ::Mac;

use crate::config::{Mode, SaConfig};
use crate::transform::{aead_aad, write_trailer, Iv, Keyed, Transform, GMAC_ICV_LEN, HEADER_LEN};
use crate::{EspError, SaStats};
use ikelab_crypto::cipher::AeadOutOfPlace;

/// IP protocol numbers used as Next Header in tunnel mode.
pub const NEXT_HEADER_IPV4: u8 = 4;
/// See [`NEXT_HEADER_IPV4`].
pub const NEXT_HEADER_IPV6: u8 = 41;
/// Dummy packet (RFC 4303 §2.6): the receiver discards it.
pub const NEXT_HEADER_DUMMY: u8 = 59;

/// The sending half of an ESP SA.
pub struct OutboundSa {
    spi: u32,
    t: Transform,
    esn: bool,
    mode: Mode,
    tfc_pad_to: usize,
    /// The sequence number of the next packet; `None` once the space is used up.
    next_seq: Option<u64>,
    max_seq: u64,
    stats: SaStats,
}

impl core::fmt::Debug for OutboundSa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OutboundSa")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("esn", &self.esn)
            .field("mode", &self.mode)
            .field("next_seq", &self.next_seq)
            .finish_non_exhaustive()
    }
}

impl OutboundSa {
    /// Keys the transforms (the only allocation of the SA's life).
    pub fn new(cfg: &SaConfig) -> Result<Self, EspError> {
        Ok(Self {
            spi: cfg.spi,
            t: Transform::new(cfg)?,
            esn: cfg.esn,
            mode: cfg.mode,
            tfc_pad_to: if cfg.mode == Mode::Tunnel {
                cfg.tfc_pad_to
            } else {
                0
            },
            next_seq: Some(cfg.first_seq),
            max_seq: cfg.max_seq(),
            stats: SaStats::default(),
        })
    }

    /// The SPI written into every packet.
    pub fn spi(&self) -> u32 {
        self.spi
    }

    /// Tunnel or transport.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Packets and octets sealed.
    pub fn stats(&self) -> &SaStats {
        &self.stats
    }

    /// The sequence number the next packet will carry, `None` when exhausted.
    pub fn next_seq(&self) -> Option<u64> {
        self.next_seq
    }

    /// Packets that can still be sealed before the SA must be rekeyed. A control plane
    /// rekeys well before this reaches 0 (RFC 4303 §3.3.3 forbids cycling).
    pub fn remaining(&self) -> u64 {
        self.next_seq.map_or(0, |n| self.max_seq - n + 1)
    }

    /// Octets [`OutboundSa::seal`] writes for an inner packet of `inner_len` octets.
    pub fn sealed_len(&self, inner_len: usize) -> usize {
        self.t.sealed_len(inner_len.max(self.tfc_pad_to))
    }

    /// GMAC with ESN authenticates SPI ‖ seq_hi ‖ seq_lo ‖ IV ‖ ...: the packet is built in
    /// place four octets to the right, then slid over seq_hi (RFC 4543 §3.3 with ESN).
    fn shift(&self) -> usize {
        if self.esn && self.t.is_gmac() {
            4
        } else {
            0
        }
    }

    /// Where [`OutboundSa::seal_in_place`] expects the inner packet: after header and IV.
    pub fn headroom(&self) -> usize {
        HEADER_LEN + self.shift() + self.t.iv_len
    }

    /// Seals `inner` with Next Header `next_header` into `out`, returning the packet length.
    ///
    /// No allocation. On error nothing is consumed: the sequence number stays unused.
    pub fn seal(
        &mut self,
        inner: &[u8],
        next_header: u8,
        out: &mut [u8],
    ) -> Result<usize, EspError> {
        let needed = self.sealed_len(inner.len());
        if inner.len() >= self.tfc_pad_to && out.len() >= needed {
            if let Some(fast) = self.t.fast() {
                let seq = self.take_seq_checked()?;
                let n =
                    self.seal_out_of_place(fast, seq, inner, next_header, &mut out[..needed])?;
                self.commit(seq, inner.len());
                return Ok(n);
            }
        }
        let head = self.headroom();
        // headroom + inner ≤ sealed length: the shift (4) is smaller than GMAC's ICV (16).
        let Some(slot) = out.get_mut(head..needed) else {
            return Err(EspError::BufferTooSmall {
                spi: self.spi,
                needed,
                got: out.len(),
            });
        };
        slot[..inner.len()].copy_from_slice(inner);
        self.seal_in_place(out, inner.len(), next_header)
    }

    /// Seals the inner packet of `inner_len` octets already at `buf[self.headroom()..]`
    /// (zero copy: read it there from a TUN device), returning the packet length.
    pub fn seal_in_place(
        &mut self,
        buf: &mut [u8],
        inner_len: usize,
        next_header: u8,
    ) -> Result<usize, EspError> {
        let payload_len = inner_len.max(self.tfc_pad_to);
        let pad = self.t.pad_len(payload_len);
        let total = self.t.sealed_len(payload_len);
        let Some(out) = buf.get_mut(..total) else {
            return Err(EspError::BufferTooSmall {
                spi: self.spi,
                needed: total,
                got: buf.len(),
            });
        };
        let seq = self.take_seq_checked()?;
        let shift = self.shift();
        let body = HEADER_LEN + shift;
        out[..4].copy_from_slice(&self.spi.to_be_bytes());
        if shift != 0 {
            out[4..12].copy_from_slice(&seq.to_be_bytes());
        } else {
            out[4..8].copy_from_slice(&(seq as u32).to_be_bytes());
        }
        let iv_end = body + self.t.iv_len;
        self.write_iv(seq, &mut out[body..iv_end])?;
        let payload_end = iv_end + payload_len;
        out[iv_end + inner_len..payload_end].fill(0);
        let ct_end = payload_end + pad + crate::transform::TRAILER_LEN;
        write_trailer(&mut out[payload_end..ct_end], next_header);
        self.protect(out, seq, body, ct_end)?;
        self.commit(seq, inner_len);
        Ok(total)
    }

    /// The next sequence number, not yet consumed.
    fn take_seq_checked(&self) -> Result<u64, EspError> {
        self.next_seq.ok_or(EspError::SequenceExhausted {
            spi: self.spi,
            last: self.max_seq,
        })
    }

    /// Consumes `seq` (never wrapping, RFC 4303 §3.3.3) and counts the packet.
    fn commit(&mut self, seq: u64, inner_len: usize) {
        self.next_seq = seq.checked_add(1).filter(|&n| n <= self.max_seq);
        self.stats.packets += 1;
        self.stats.octets += inner_len as u64;
    }

    fn write_iv(&self, seq: u64, iv: &mut [u8]) -> Result<(), EspError> {
        match &self.t.iv {
            Iv::Counter => {
                iv.copy_from_slice(&seq.to_be_bytes());
                Ok(())
            }
            Iv::Random(rng) => rng.fill(iv).map_err(|source| EspError::Crypto {
                spi: self.spi,
                source,
            }),
        }
    }

    /// AES-GCM-16 / ChaCha20-Poly1305 straight from `inner` into `out` (exactly the sealed
    /// length), the trailer encrypted from a stack buffer: no copy of the payload.
    fn seal_out_of_place(
        &self,
        fast: &dyn AeadOutOfPlace,
        seq: u64,
        inner: &[u8],
        next_header: u8,
        out: &mut [u8],
    ) -> Result<usize, EspError> {
        out[..4].copy_from_slice(&self.spi.to_be_bytes());
        out[4..8].copy_from_slice(&(seq as u32).to_be_bytes());
        let iv_end = HEADER_LEN + self.t.iv_len;
        self.write_iv(seq, &mut out[HEADER_LEN..iv_end])?;
        // Padding to 4 octets is at most 3, plus Pad Length and Next Header.
        let mut trailer = [0u8; 8];
        let trailer = &mut trailer[..self.t.pad_len(inner.len()) + crate::transform::TRAILER_LEN];
        write_trailer(trailer, next_header);
        let (head, rest) = out.split_at_mut(iv_end);
        let (ct, trailer_and_tag) = rest.split_at_mut(inner.len());
        let (aad, n) = aead_aad(self.spi, seq, self.esn);
        fast.seal_scatter(
            &head[HEADER_LEN..],
            &aad[..n],
            inner,
            ct,
            trailer,
            trailer_and_tag,
        )
        .map_err(|source| EspError::Crypto {
            spi: self.spi,
            source,
        })?;
        Ok(out.len())
    }

    /// Tunnel mode: seals an IP packet with Next Header 4 or 41 taken from its version.
    pub fn seal_ip(&mut self, packet: &[u8], out: &mut [u8]) -> Result<usize, EspError> {
        let next_header = match packet.first().map(|b| b >> 4) {
            Some(4) => NEXT_HEADER_IPV4,
            Some(6) => NEXT_HEADER_IPV6,
            _ => {
                return Err(EspError::InnerPacket {
                    spi: self.spi,
                    seq: 0,
                    reason: "is neither IPv4 nor IPv6",
                })
            }
        };
        self.seal(packet, next_header, out)
    }

    /// Encrypts and/or computes the ICV over `out[..ct_end]`, writing the ICV after it.
    fn protect(
        &self,
        out: &mut [u8],
        seq: u64,
        body: usize,
        ct_end: usize,
    ) -> Result<(), EspError> {
        let spi = self.spi;
        let err = |source| EspError::Crypto { spi, source };
        let iv_end = body + self.t.iv_len;
        match &self.t.keyed {
            Keyed::Aead(aead) => {
                let (head, rest) = out.split_at_mut(iv_end);
                let (ct, icv) = rest.split_at_mut(ct_end - iv_end);
                let (aad, n) = aead_aad(spi, seq, self.esn);
                aead.seal_in_place(&head[HEADER_LEN..], &aad[..n], ct, icv)
                    .map_err(err)
            }
            Keyed::Gmac(gmac) => {
                let mut tag = [0u8; GMAC_ICV_LEN];
                gmac.seal_in_place(&out[body..iv_end], &out[..ct_end], &mut [], &mut tag)
                    .map_err(err)?;
                let end = ct_end - (body - HEADER_LEN);
                if body != HEADER_LEN {
                    out.copy_within(HEADER_LEN..ct_end, 4);
                }
                out[end..end + GMAC_ICV_LEN].copy_from_slice(&tag);
                Ok(())
            }
            Keyed::Split { cipher, mac } => {
                {
                    let (head, rest) = out.split_at_mut(iv_end);
                    cipher
                        .encrypt_in_place(&head[HEADER_LEN..], &mut rest[..ct_end - iv_end])
                        .map_err(err)?;
                }
                if let Some(mac) = mac {
                    let (auth, icv) = out.split_at_mut(ct_end);
                    // ESN: the high-order bits follow Next Header in the ICV input, unsent
                    // (RFC 4303 §3.3.2.1).
                    let hi = ((seq >> 32) as u32).to_be_bytes();
                    let parts: &[&[u8]] = if self.esn { &[auth, &hi] } else { &[auth] };
                    mac.sign(parts, icv).map_err(err)?;
                }
                Ok(())
            }
        }
    }
}
