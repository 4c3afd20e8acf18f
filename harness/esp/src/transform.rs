//! The keyed transforms of one SA and the packet layout arithmetic they imply.
//!
//! ```text
//! SPI (4) | Sequence Number (4) | IV | Payload | TFC padding | Padding | Pad Length | Next Header | ICV
//!                                      `------------------ encrypted (AEAD, CBC) ------------------'
//! ```

use std::sync::Arc;

use ikelab_crypto::cipher::{
    Aead, AeadOutOfPlace, AesCbc, AesGcm, BlockCipher, ChaCha20Poly1305, NullCipher, TripleDesCbc,
};
use ikelab_crypto::integ::{HashAlg, HmacMac};
use ikelab_crypto::rng::{SecureRandom, SystemRandom};
use ikelab_crypto::CryptoError;

use crate::config::{Encryption, Integrity, IvSource, SaConfig};
use crate::EspError;

/// SPI and sequence number.
pub(crate) const HEADER_LEN: usize = 8;
/// Pad Length and Next Header.
pub(crate) const TRAILER_LEN: usize = 2;
/// GMAC's (and every AEAD here) ICV.
pub(crate) const GMAC_ICV_LEN: usize = 16;

/// The crypto objects, keyed once at SA construction.
pub(crate) enum Keyed {
    /// AES-GCM, ChaCha20-Poly1305: AAD is SPI ‖ [seq_hi ‖] seq_lo (RFC 4106 §5, RFC 7634 §2.1).
    Aead(Box<dyn Aead>),
    /// AES-GMAC: empty plaintext, AAD is header ‖ IV ‖ payload ‖ trailer (RFC 4543 §3.3).
    Gmac(Box<AesGcm>),
    /// CBC or NULL, encrypt-then-MAC with an optional HMAC (RFC 4303 §3.3.2).
    Split {
        cipher: Box<dyn BlockCipher>,
        mac: Option<Box<HmacMac>>,
    },
}

/// Where explicit IVs come from, resolved from [`IvSource`].
pub(crate) enum Iv {
    /// The 64-bit sequence number, big-endian (8-octet IVs only).
    Counter,
    Random(Arc<dyn SecureRandom>),
}

pub(crate) struct Transform {
    pub keyed: Keyed,
    pub iv: Iv,
    pub iv_len: usize,
    pub block_len: usize,
    /// Payload ‖ padding ‖ trailer is a multiple of this: the cipher block, and at least 4
    /// so the ICV is 32-bit aligned (RFC 4303 §2.4).
    pub align: usize,
    pub icv_len: usize,
}

fn crypto(spi: u32) -> impl Fn(CryptoError) -> EspError {
    move |source| EspError::Crypto { spi, source }
}

impl Transform {
    /// The copy-free AEAD path (AES-GCM-16, ChaCha20-Poly1305): from the inner packet
    /// straight into the output buffer, one pass over the data instead of two.
    pub fn fast(&self) -> Option<&dyn AeadOutOfPlace> {
        match &self.keyed {
            Keyed::Aead(a) => a.out_of_place(),
            _ => None,
        }
    }

    pub fn new(cfg: &SaConfig) -> Result<Self, EspError> {
        cfg.validate()?;
        let spi = cfg.spi;
        let e = cfg.suite.encryption;
        let ek = cfg.keys.encryption.as_bytes();
        let mac = match cfg.suite.integrity {
            Integrity::None => None,
            i => {
                let (hash, name) = match i {
                    Integrity::HmacSha1_96 => (HashAlg::Sha1, "HMAC-SHA1-96"),
                    Integrity::HmacSha256_128 => (HashAlg::Sha256, "HMAC-SHA2-256-128"),
                    Integrity::HmacSha384_192 => (HashAlg::Sha384, "HMAC-SHA2-384-192"),
                    _ => (HashAlg::Sha512, "HMAC-SHA2-512-256"),
                };
                let key = cfg.keys.integrity.as_bytes();
                Some(Box::new(
                    HmacMac::new(name, hash, i.icv_len(), key).map_err(crypto(spi))?,
                ))
            }
        };
        let keyed = match e {
            Encryption::AesGcm { key_bits, icv_len } => Keyed::Aead(Box::new(
                AesGcm::new(ek, usize::from(key_bits) / 8, usize::from(icv_len))
                    .map_err(crypto(spi))?,
            )),
            Encryption::ChaCha20Poly1305 => {
                Keyed::Aead(Box::new(ChaCha20Poly1305::new(ek).map_err(crypto(spi))?))
            }
            // GMAC is GCM over an empty plaintext (RFC 4543 §3.3); ikelab-crypto's AesGcm
            // does it without a separate type.
            Encryption::AesGmac { key_bits } => Keyed::Gmac(Box::new(
                AesGcm::new(ek, usize::from(key_bits) / 8, GMAC_ICV_LEN).map_err(crypto(spi))?,
            )),
            Encryption::AesCbc { .. } => Keyed::Split {
                cipher: Box::new(AesCbc::new(ek).map_err(crypto(spi))?),
                mac,
            },
            Encryption::TripleDesCbc => Keyed::Split {
                cipher: Box::new(TripleDesCbc::new(ek).map_err(crypto(spi))?),
                mac,
            },
            Encryption::Null => Keyed::Split {
                cipher: Box::new(NullCipher),
                mac,
            },
        };
        let iv = match (&cfg.iv, e.is_combined()) {
            (IvSource::Random(rng), _) => Iv::Random(Arc::clone(rng)),
            (IvSource::Auto, true) => Iv::Counter,
            (IvSource::Auto, false) => Iv::Random(Arc::new(SystemRandom)),
        };
        Ok(Self {
            keyed,
            iv,
            iv_len: e.iv_len(),
            block_len: e.block_len(),
            align: e.block_len().max(4),
            icv_len: cfg.suite.icv_len(),
        })
    }

    /// Octets of padding (RFC 4303 §2.4) after a payload of `payload_len` octets.
    pub fn pad_len(&self, payload_len: usize) -> usize {
        let unpadded = payload_len % self.align + TRAILER_LEN;
        (self.align - unpadded % self.align) % self.align
    }

    /// Octets of a sealed packet carrying `payload_len` octets (TFC padding included).
    pub fn sealed_len(&self, payload_len: usize) -> usize {
        HEADER_LEN
            + self.iv_len
            + payload_len
            + self.pad_len(payload_len)
            + TRAILER_LEN
            + self.icv_len
    }

    /// The shortest packet that can be valid: no payload, minimal padding.
    pub fn min_packet_len(&self) -> usize {
        self.sealed_len(0)
    }

    pub fn is_gmac(&self) -> bool {
        matches!(self.keyed, Keyed::Gmac(_))
    }
}

/// Writes the RFC 4303 §2.4 default padding 1, 2, 3, ..., then Pad Length and Next Header.
pub(crate) fn write_trailer(buf: &mut [u8], next_header: u8) {
    let pad = buf.len() - TRAILER_LEN;
    for (i, b) in buf[..pad].iter_mut().enumerate() {
        // pad < 256: align ≤ 16.
        *b = (i + 1) as u8;
    }
    buf[pad] = pad as u8;
    buf[pad + 1] = next_header;
}

/// AAD of the combined modes: SPI ‖ seq (RFC 4106 §5 Figure 3) or SPI ‖ seq_hi ‖ seq_lo
/// (Figure 4). Returns the buffer and the length used.
pub(crate) fn aead_aad(spi: u32, seq: u64, esn: bool) -> ([u8; 12], usize) {
    let mut aad = [0u8; 12];
    aad[..4].copy_from_slice(&spi.to_be_bytes());
    if esn {
        aad[4..].copy_from_slice(&seq.to_be_bytes());
        (aad, 12)
    } else {
        aad[4..8].copy_from_slice(&(seq as u32).to_be_bytes());
        (aad, 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{SaKeys, Suite};

    fn t(e: Encryption, i: Integrity) -> Transform {
        // Distinct octets: 3DES refuses keys whose three parts repeat.
        let k = |n: usize| {
            (0..n)
                .map(|x| (x as u8).wrapping_mul(17) ^ 0x5c)
                .collect::<Vec<_>>()
        };
        let keys = SaKeys::new(&k(e.key_len()), &k(i.key_len()));
        Transform::new(&SaConfig::new(1, Suite::split(e, i), keys)).unwrap()
    }

    #[test]
    fn padding_aligns_trailer_and_blocks() {
        let gcm = t(
            Encryption::AesGcm {
                key_bits: 128,
                icv_len: 16,
            },
            Integrity::None,
        );
        let cbc = t(
            Encryption::AesCbc { key_bits: 128 },
            Integrity::HmacSha256_128,
        );
        let des = t(Encryption::TripleDesCbc, Integrity::HmacSha1_96);
        for len in 0..100 {
            for (x, align) in [(&gcm, 4), (&cbc, 16), (&des, 8)] {
                let p = x.pad_len(len);
                assert_eq!((len + p + 2) % align, 0, "len {len}");
                assert!(p < align);
            }
        }
        // RFC 3602 case 5: 64 octets of payload take 14 octets of padding.
        assert_eq!(cbc.pad_len(64), 14);
        assert_eq!(cbc.sealed_len(64), 8 + 16 + 80 + 16);
        assert_eq!(gcm.min_packet_len(), 8 + 8 + 4 + 16);
    }

    #[test]
    fn trailer_and_aad() {
        let mut b = [0u8; 6];
        write_trailer(&mut b, 4);
        assert_eq!(b, [1, 2, 3, 4, 4, 4]);
        let (aad, n) = aead_aad(0x4321, 0x8765_4321_0000_0007, true);
        assert_eq!(&aad[..n], hex::decode("000043218765432100000007").unwrap());
        let (aad, n) = aead_aad(0xa5f8, 0x0a, false);
        assert_eq!(&aad[..n], hex::decode("0000a5f80000000a").unwrap());
    }
}
