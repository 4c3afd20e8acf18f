//! Inbound SA: opens ESP packets (RFC 4303 §3.4).
//!
//! Order of checks, as §3.4.3 asks: length and SPI, then the sequence number against the
//! replay window, then the ICV; the window moves only after the ICV verified. Padding and
//! the inner header are checked last: those packets are authentic but malformed.

use ikelab_crypto::cipher::Aead;
use ikelab_crypto::integ::Mac;
use ikelab_crypto::CryptoError;

use crate::config::{Mode, SaConfig};
use crate::outbound::{NEXT_HEADER_DUMMY, NEXT_HEADER_IPV4, NEXT_HEADER_IPV6};
use crate::replay::{ReplayVerdict, ReplayWindow};
use crate::transform::{aead_aad, Keyed, Transform, HEADER_LEN, TRAILER_LEN};
use crate::{EspError, SaStats};

/// What [`InboundSa::open`] found. The inner packet is `out[..len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// Full (ESN-inferred) sequence number.
    pub seq: u64,
    /// Next Header: 4/41 for tunnel mode, the upper-layer protocol in transport mode,
    /// 59 for a dummy packet.
    pub next_header: u8,
    /// Length of the inner packet at the start of the output buffer.
    pub len: usize,
    /// Octets of RFC 4303 §2.4 padding that were checked and removed.
    pub pad_len: u8,
    /// Octets of TFC padding removed after the inner IP packet (tunnel mode, RFC 4303 §2.7).
    pub tfc_len: usize,
}

impl Opened {
    /// A dummy packet (RFC 4303 §2.6) to be discarded.
    pub fn is_dummy(&self) -> bool {
        self.next_header == NEXT_HEADER_DUMMY
    }
}

/// The receiving half of an ESP SA.
pub struct InboundSa {
    spi: u32,
    t: Transform,
    esn: bool,
    mode: Mode,
    window: ReplayWindow,
    stats: SaStats,
}

impl core::fmt::Debug for InboundSa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InboundSa")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("esn", &self.esn)
            .field("mode", &self.mode)
            .field("window", &self.window.size())
            .field("top", &self.window.top())
            .finish_non_exhaustive()
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl InboundSa {
    /// Keys the transforms and allocates the replay window (the SA's only allocations).
    pub fn new(cfg: &SaConfig) -> Result<Self, EspError> {
        Ok(Self {
            spi: cfg.spi,
            t: Transform::new(cfg)?,
            esn: cfg.esn,
            mode: cfg.mode,
            window: ReplayWindow::new(cfg.replay_window, cfg.first_seq),
            stats: SaStats::default(),
        })
    }

    /// The SPI this SA accepts.
    pub fn spi(&self) -> u32 {
        self.spi
    }

    /// Tunnel or transport.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Counters of accepted and refused packets.
    pub fn stats(&self) -> &SaStats {
        &self.stats
    }

    /// The anti-replay window.
    pub fn replay_window(&self) -> &ReplayWindow {
        &self.window
    }

    /// Output octets [`InboundSa::open`] needs for a packet of `packet_len` octets (at most
    /// the packet length).
    pub fn open_capacity(&self, packet_len: usize) -> usize {
        let ct = packet_len.saturating_sub(HEADER_LEN + self.t.iv_len + self.t.icv_len);
        if self.esn && self.t.is_gmac() {
            // Room to lay out the AAD with seq_hi in place.
            ct + HEADER_LEN + 4 + self.t.iv_len
        } else {
            ct
        }
    }

    /// Verifies and decrypts `packet` into `out`. No allocation, on success or failure.
    pub fn open(&mut self, packet: &[u8], out: &mut [u8]) -> Result<Opened, EspError> {
        let r = self.open_inner(packet, out);
        match &r {
            Ok(_) => {}
            Err(EspError::Replay { .. } | EspError::TooOld { .. }) => self.stats.replayed += 1,
            Err(EspError::Integrity { .. }) => self.stats.integrity_failed += 1,
            Err(_) => self.stats.malformed += 1,
        }
        r
    }

    fn open_inner(&mut self, packet: &[u8], out: &mut [u8]) -> Result<Opened, EspError> {
        let spi = self.spi;
        let min = self.t.min_packet_len();
        if packet.len() < min {
            return Err(EspError::Truncated {
                spi,
                len: packet.len(),
                min,
            });
        }
        let got = be32(&packet[..4]);
        if got != spi {
            return Err(EspError::WrongSpi { expected: spi, got });
        }
        let seq_lo = be32(&packet[4..8]);
        let iv_end = HEADER_LEN + self.t.iv_len;
        let ct_end = packet.len() - self.t.icv_len;
        let ct_len = ct_end - iv_end;
        if ct_len % self.t.block_len != 0 {
            return Err(EspError::NotBlockAligned {
                spi,
                len: ct_len,
                block: self.t.block_len,
            });
        }
        let seq = self.sequence_number(seq_lo)?;
        let needed = self.open_capacity(packet.len());
        if out.len() < needed {
            return Err(EspError::BufferTooSmall {
                spi,
                needed,
                got: out.len(),
            });
        }

        self.verify_and_decrypt(packet, out, seq, iv_end, ct_end)?;
        self.window.update(seq);
        self.stats.packets += 1;

        let opened = self.trailer(&out[..ct_len], seq)?;
        self.stats.octets += opened.len as u64;
        Ok(opened)
    }

    /// Infers the full sequence number and checks it against the window (before the ICV).
    fn sequence_number(&self, seq_lo: u32) -> Result<u64, EspError> {
        let (spi, top, window) = (self.spi, self.window.top(), self.window.size());
        let seq = if self.esn {
            self.window.infer_esn(seq_lo).ok_or(EspError::TooOld {
                spi,
                seq: u64::from(seq_lo),
                top,
                window,
            })?
        } else {
            u64::from(seq_lo)
        };
        match self.window.check(seq) {
            Ok(()) => Ok(seq),
            Err(ReplayVerdict::Duplicate) => Err(EspError::Replay { spi, seq }),
            Err(ReplayVerdict::TooOld) => Err(EspError::TooOld {
                spi,
                seq,
                top,
                window,
            }),
        }
    }

    /// Leaves payload ‖ padding ‖ trailer in `out[..ct_len]` if the ICV verifies.
    fn verify_and_decrypt(
        &self,
        packet: &[u8],
        out: &mut [u8],
        seq: u64,
        iv_end: usize,
        ct_end: usize,
    ) -> Result<(), EspError> {
        let spi = self.spi;
        let fail = |e: CryptoError| match e {
            CryptoError::Integrity { .. } => EspError::Integrity { spi, seq },
            source => EspError::Crypto { spi, source },
        };
        let iv = &packet[HEADER_LEN..iv_end];
        let ct = &packet[iv_end..ct_end];
        let icv = &packet[ct_end..];
        let ct_len = ct.len();
        match &self.t.keyed {
            Keyed::Aead(aead) => {
                let (aad, n) = aead_aad(spi, seq, self.esn);
                let buf = &mut out[..ct_len];
                if let Some(fast) = aead.out_of_place() {
                    // Decrypt straight from the packet: no copy of the ciphertext.
                    return fast.open_gather(iv, &aad[..n], ct, icv, buf).map_err(fail);
                }
                buf.copy_from_slice(ct);
                aead.open_in_place(iv, &aad[..n], buf, icv).map_err(fail)
            }
            Keyed::Gmac(gmac) if self.esn => {
                // AAD = SPI ‖ seq_hi ‖ seq_lo ‖ IV ‖ payload ‖ trailer: lay it out in `out`.
                let aad_len = ct_end + 4;
                out[..4].copy_from_slice(&packet[..4]);
                out[4..8].copy_from_slice(&((seq >> 32) as u32).to_be_bytes());
                out[8..aad_len].copy_from_slice(&packet[4..ct_end]);
                gmac.open_in_place(iv, &out[..aad_len], &mut [], icv)
                    .map_err(fail)?;
                out.copy_within(aad_len - ct_len..aad_len, 0);
                Ok(())
            }
            Keyed::Gmac(gmac) => {
                gmac.open_in_place(iv, &packet[..ct_end], &mut [], icv)
                    .map_err(fail)?;
                out[..ct_len].copy_from_slice(ct);
                Ok(())
            }
            Keyed::Split { cipher, mac } => {
                if let Some(mac) = mac {
                    let hi = ((seq >> 32) as u32).to_be_bytes();
                    let auth = &packet[..ct_end];
                    let parts: &[&[u8]] = if self.esn { &[auth, &hi] } else { &[auth] };
                    mac.verify(parts, icv).map_err(fail)?;
                }
                let buf = &mut out[..ct_len];
                buf.copy_from_slice(ct);
                cipher.decrypt_in_place(iv, buf).map_err(fail)
            }
        }
    }

    /// Checks padding (RFC 4303 §2.4) and, in tunnel mode, the inner IP header; strips TFC
    /// padding using the inner packet's own length (RFC 4303 §2.7).
    fn trailer(&self, plain: &[u8], seq: u64) -> Result<Opened, EspError> {
        let spi = self.spi;
        let n = plain.len();
        let next_header = plain[n - 1];
        let pad_len = plain[n - 2];
        let available = n - TRAILER_LEN;
        let pad = usize::from(pad_len);
        if pad > available {
            return Err(EspError::PadLength {
                spi,
                seq,
                pad_len,
                available,
            });
        }
        let data_len = available - pad;
        for (index, &got) in plain[data_len..available].iter().enumerate() {
            let expected = (index + 1) as u8;
            if got != expected {
                return Err(EspError::Padding {
                    spi,
                    seq,
                    index,
                    got,
                    expected,
                });
            }
        }
        let len = match self.mode {
            Mode::Transport => data_len,
            Mode::Tunnel => self.inner_ip_len(&plain[..data_len], next_header, seq)?,
        };
        Ok(Opened {
            seq,
            next_header,
            len,
            pad_len,
            tfc_len: data_len - len,
        })
    }

    fn inner_ip_len(&self, data: &[u8], next_header: u8, seq: u64) -> Result<usize, EspError> {
        let spi = self.spi;
        let bad = |reason| EspError::InnerPacket { spi, seq, reason };
        let be16 = |i: usize| usize::from(u16::from_be_bytes([data[i], data[i + 1]]));
        let len = match next_header {
            NEXT_HEADER_IPV4 => {
                if data.len() < 20 || data[0] >> 4 != 4 {
                    return Err(bad("is not an IPv4 packet (Next Header 4)"));
                }
                be16(2)
            }
            NEXT_HEADER_IPV6 => {
                if data.len() < 40 || data[0] >> 4 != 6 {
                    return Err(bad("is not an IPv6 packet (Next Header 41)"));
                }
                // Payload Length 0 with a Hop-by-Hop header is a jumbogram (RFC 2675): no
                // length to strip TFC padding by.
                if be16(4) == 0 && data[6] == 0 {
                    data.len()
                } else {
                    40 + be16(4)
                }
            }
            NEXT_HEADER_DUMMY => data.len(),
            next_header => {
                return Err(EspError::TunnelNextHeader {
                    spi,
                    seq,
                    next_header,
                })
            }
        };
        if len > data.len() {
            return Err(bad("is longer than the ESP payload that carries it"));
        }
        if next_header == NEXT_HEADER_IPV4 && len < 20 {
            return Err(bad("has an IPv4 Total Length below 20"));
        }
        Ok(len)
    }
}
