//! Decrypting ESP packets with keys from an `esp_sa` table, through the ESP data plane itself.
//!
//! One inbound SA per table record, keyed by SPI (and addresses when the record names them).
//! The replay window is as wide as the data plane allows, so a capture's reordering is shown
//! rather than dropped; a real replay (a sequence number seen twice) is reported as such.

use std::net::IpAddr;

use ikelab_esp::{Encryption, InboundSa, Integrity, SaConfig, SaKeys, Suite, MAX_REPLAY_WINDOW};

use super::keys::EspSaKeys;

/// What decrypting one ESP packet gave.
#[derive(Debug)]
pub enum EspDecryption {
    /// Verified and decrypted: the inner packet's Next Header, its length and a summary.
    Inner {
        next_header: u8,
        length: usize,
        summary: String,
    },
    Failed(String),
}

struct Entry {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    sa: Result<InboundSa, String>,
}

pub struct EspDecryptor {
    entries: Vec<(u32, Entry)>,
    out: Vec<u8>,
}

impl EspDecryptor {
    pub fn new(table: Vec<EspSaKeys>) -> Self {
        let entries = table
            .into_iter()
            .map(|k| {
                let spi = k.spi;
                (
                    spi,
                    Entry {
                        src: k.src,
                        dst: k.dst,
                        sa: inbound(&k),
                    },
                )
            })
            .collect();
        Self {
            entries,
            out: vec![0; 65_536],
        }
    }

    /// Decrypts `packet` (starting at the SPI) sent from `src` to `dst`.
    pub fn decrypt(
        &mut self,
        packet: &[u8],
        spi: u32,
        src: Option<IpAddr>,
        dst: Option<IpAddr>,
    ) -> EspDecryption {
        let matches = |e: &Entry| {
            e.src.is_none_or(|a| src.is_none_or(|s| s == a))
                && e.dst.is_none_or(|a| dst.is_none_or(|d| d == a))
        };
        let Some((_, entry)) = self
            .entries
            .iter_mut()
            .find(|(s, e)| *s == spi && matches(e))
        else {
            return EspDecryption::Failed(format!("no key in the table for SPI 0x{spi:08x}"));
        };
        let sa = match &mut entry.sa {
            Ok(sa) => sa,
            Err(e) => return EspDecryption::Failed(e.clone()),
        };
        if self.out.len() < sa.open_capacity(packet.len()) {
            self.out.resize(sa.open_capacity(packet.len()), 0);
        }
        match sa.open(packet, &mut self.out) {
            Ok(o) => EspDecryption::Inner {
                next_header: o.next_header,
                length: o.len,
                summary: summarize(o.next_header, &self.out[..o.len]),
            },
            Err(e) => EspDecryption::Failed(e.to_string()),
        }
    }
}

fn inbound(k: &EspSaKeys) -> Result<InboundSa, String> {
    // Only AES transforms take a Key Length attribute; the others have a fixed key size.
    let key_bits = matches!(k.encr.id, 12 | 18..=21).then_some(k.encr.key_bits);
    let encryption = Encryption::from_iana(k.encr.id, key_bits).map_err(|e| e.to_string())?;
    let integrity = Integrity::from_iana(k.integ).map_err(|e| e.to_string())?;
    let suite = if integrity == Integrity::None {
        Suite::combined(encryption)
    } else {
        Suite::split(encryption, integrity)
    };
    let mut cfg = SaConfig::new(k.spi, suite, SaKeys::new(&k.encr_key.0, &k.integ_key.0));
    cfg.replay_window = MAX_REPLAY_WINDOW;
    InboundSa::new(&cfg).map_err(|e| format!("keys from the table: {e}"))
}

/// A one-line summary of the inner packet (tunnel mode: an IP packet).
fn summarize(next_header: u8, inner: &[u8]) -> String {
    match (next_header, inner.first().map(|b| b >> 4)) {
        (4, Some(4)) if inner.len() >= 20 => {
            let src = IpAddr::from([inner[12], inner[13], inner[14], inner[15]]);
            let dst = IpAddr::from([inner[16], inner[17], inner[18], inner[19]]);
            let proto = match inner[9] {
                1 => match inner.get(usize::from(inner[0] & 0x0f) * 4) {
                    Some(8) => "ICMP echo request".to_owned(),
                    Some(0) => "ICMP echo reply".to_owned(),
                    _ => "ICMP".to_owned(),
                },
                6 => "TCP".to_owned(),
                17 => "UDP".to_owned(),
                p => format!("protocol {p}"),
            };
            format!("IPv4 {src} -> {dst} {proto}")
        }
        (41, Some(6)) if inner.len() >= 40 => {
            let mut s = [0u8; 16];
            s.copy_from_slice(&inner[8..24]);
            let mut d = [0u8; 16];
            d.copy_from_slice(&inner[24..40]);
            format!(
                "IPv6 {} -> {} next header {}",
                IpAddr::from(s),
                IpAddr::from(d),
                inner[6]
            )
        }
        (59, _) => "dummy packet (RFC 4303 §2.6)".to_owned(),
        (nh, _) => format!("next header {nh}, {} bytes", inner.len()),
    }
}
