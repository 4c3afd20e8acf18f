//! What an SA is made of: transforms, keys, mode, sequence-number options.
//!
//! Plain data, filled in by whoever negotiated the SA (the IKE engine, a test, a benchmark).
//! [`crate::OutboundSa::new`] and [`crate::InboundSa::new`] validate it.

use core::fmt;
use std::sync::Arc;

use ikelab_crypto::rng::SecureRandom;
use ikelab_crypto::KeyBytes;

use crate::EspError;

/// Encryption transform (IKEv2 transform type 1, as used by ESP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encryption {
    /// AES-GCM (RFC 4106): key 128/192/256 bits, ICV 8, 12 or 16 octets (IDs 18, 19, 20).
    AesGcm {
        /// AES key size in bits.
        key_bits: u16,
        /// ICV length in octets.
        icv_len: u8,
    },
    /// ChaCha20-Poly1305 (RFC 7634, ID 28).
    ChaCha20Poly1305,
    /// ENCR_NULL_AUTH_AES_GMAC (RFC 4543, ID 21): integrity only, 16-octet ICV.
    AesGmac {
        /// AES key size in bits.
        key_bits: u16,
    },
    /// AES-CBC (RFC 3602, ID 12), used with an [`Integrity`] transform.
    AesCbc {
        /// AES key size in bits.
        key_bits: u16,
    },
    /// 3DES-CBC (RFC 2451, ID 3). Insecure (RFC 8221); for legacy peers only.
    TripleDesCbc,
    /// ENCR_NULL (RFC 2410, ID 11): no confidentiality; needs an [`Integrity`] transform.
    Null,
}

/// Integrity transform (IKEv2 transform type 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Integrity {
    /// No separate integrity (AEADs and GMAC; or confidentiality-only ESP, RFC 4303 §3.2.2).
    None,
    /// AUTH_HMAC_SHA1_96 (RFC 2404, ID 2). Legacy.
    HmacSha1_96,
    /// AUTH_HMAC_SHA2_256_128 (RFC 4868, ID 12).
    HmacSha256_128,
    /// AUTH_HMAC_SHA2_384_192 (RFC 4868, ID 13).
    HmacSha384_192,
    /// AUTH_HMAC_SHA2_512_256 (RFC 4868, ID 14).
    HmacSha512_256,
}

const AEAD_SALT: usize = 4;

impl Encryption {
    /// Maps an IANA ENCR ID and Key Length attribute (bits).
    pub fn from_iana(id: u16, key_bits: Option<u16>) -> Result<Self, EspError> {
        let unsupported = EspError::Unsupported {
            kind: "ENCR",
            id,
            key_bits,
        };
        let aes = |bits: Option<u16>| match bits {
            Some(b @ (128 | 192 | 256)) => Ok(b),
            _ => Err(unsupported.clone()),
        };
        Ok(match (id, key_bits) {
            (3, None) => Self::TripleDesCbc,
            (11, None) => Self::Null,
            (12, b) => Self::AesCbc { key_bits: aes(b)? },
            (18, b) => Self::AesGcm {
                key_bits: aes(b)?,
                icv_len: 8,
            },
            (19, b) => Self::AesGcm {
                key_bits: aes(b)?,
                icv_len: 12,
            },
            (20, b) => Self::AesGcm {
                key_bits: aes(b)?,
                icv_len: 16,
            },
            (21, b) => Self::AesGmac { key_bits: aes(b)? },
            (28, None) => Self::ChaCha20Poly1305,
            _ => return Err(unsupported),
        })
    }

    /// The IANA ENCR ID.
    pub fn iana_id(&self) -> u16 {
        match self {
            Self::AesGcm { icv_len: 8, .. } => 18,
            Self::AesGcm { icv_len: 12, .. } => 19,
            Self::AesGcm { .. } => 20,
            Self::ChaCha20Poly1305 => 28,
            Self::AesGmac { .. } => 21,
            Self::AesCbc { .. } => 12,
            Self::TripleDesCbc => 3,
            Self::Null => 11,
        }
    }

    /// Human-readable name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AesGcm { key_bits, icv_len } => match (key_bits, icv_len) {
                (128, 8) => "AES-128-GCM-8",
                (128, 12) => "AES-128-GCM-12",
                (128, _) => "AES-128-GCM-16",
                (192, 8) => "AES-192-GCM-8",
                (192, 12) => "AES-192-GCM-12",
                (192, _) => "AES-192-GCM-16",
                (_, 8) => "AES-256-GCM-8",
                (_, 12) => "AES-256-GCM-12",
                _ => "AES-256-GCM-16",
            },
            Self::ChaCha20Poly1305 => "ChaCha20-Poly1305",
            Self::AesGmac { key_bits: 128 } => "AES-128-GMAC",
            Self::AesGmac { key_bits: 192 } => "AES-192-GMAC",
            Self::AesGmac { .. } => "AES-256-GMAC",
            Self::AesCbc { key_bits: 128 } => "AES-128-CBC",
            Self::AesCbc { key_bits: 192 } => "AES-192-CBC",
            Self::AesCbc { .. } => "AES-256-CBC",
            Self::TripleDesCbc => "3DES-CBC",
            Self::Null => "NULL",
        }
    }

    /// Octets of key material: for AES-GCM, ChaCha20-Poly1305 and GMAC the key followed by
    /// the 4-octet salt (RFC 4106 §8.1, RFC 7634 §2, RFC 4543 §3.2).
    pub fn key_len(&self) -> usize {
        match self {
            Self::AesGcm { key_bits, .. } | Self::AesGmac { key_bits } => {
                usize::from(*key_bits) / 8 + AEAD_SALT
            }
            Self::ChaCha20Poly1305 => 32 + AEAD_SALT,
            Self::AesCbc { key_bits } => usize::from(*key_bits) / 8,
            Self::TripleDesCbc => 24,
            Self::Null => 0,
        }
    }

    /// IV octets carried in each packet.
    pub fn iv_len(&self) -> usize {
        match self {
            Self::AesGcm { .. } | Self::ChaCha20Poly1305 | Self::AesGmac { .. } => 8,
            Self::AesCbc { .. } => 16,
            Self::TripleDesCbc => 8,
            Self::Null => 0,
        }
    }

    /// Cipher block size (1 for stream-like modes and NULL).
    pub fn block_len(&self) -> usize {
        match self {
            Self::AesCbc { .. } => 16,
            Self::TripleDesCbc => 8,
            _ => 1,
        }
    }

    /// True for the transforms that carry their own ICV (AES-GCM, ChaCha20-Poly1305, GMAC).
    pub fn is_combined(&self) -> bool {
        matches!(
            self,
            Self::AesGcm { .. } | Self::ChaCha20Poly1305 | Self::AesGmac { .. }
        )
    }

    /// True when the payload is encrypted (false for NULL and GMAC).
    pub fn is_confidential(&self) -> bool {
        !matches!(self, Self::Null | Self::AesGmac { .. })
    }
}

impl Integrity {
    /// Maps an IANA INTEG ID (0 is NONE).
    pub fn from_iana(id: u16) -> Result<Self, EspError> {
        Ok(match id {
            0 => Self::None,
            2 => Self::HmacSha1_96,
            12 => Self::HmacSha256_128,
            13 => Self::HmacSha384_192,
            14 => Self::HmacSha512_256,
            _ => {
                return Err(EspError::Unsupported {
                    kind: "INTEG",
                    id,
                    key_bits: None,
                })
            }
        })
    }

    /// The IANA INTEG ID.
    pub fn iana_id(&self) -> u16 {
        match self {
            Self::None => 0,
            Self::HmacSha1_96 => 2,
            Self::HmacSha256_128 => 12,
            Self::HmacSha384_192 => 13,
            Self::HmacSha512_256 => 14,
        }
    }

    /// IANA name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::HmacSha1_96 => "AUTH_HMAC_SHA1_96",
            Self::HmacSha256_128 => "AUTH_HMAC_SHA2_256_128",
            Self::HmacSha384_192 => "AUTH_HMAC_SHA2_384_192",
            Self::HmacSha512_256 => "AUTH_HMAC_SHA2_512_256",
        }
    }

    /// Key octets (the hash output size, RFC 2404 / RFC 4868 §2.1.1).
    pub fn key_len(&self) -> usize {
        match self {
            Self::None => 0,
            Self::HmacSha1_96 => 20,
            Self::HmacSha256_128 => 32,
            Self::HmacSha384_192 => 48,
            Self::HmacSha512_256 => 64,
        }
    }

    /// ICV octets (the truncated HMAC output).
    pub fn icv_len(&self) -> usize {
        match self {
            Self::None => 0,
            Self::HmacSha1_96 => 12,
            Self::HmacSha256_128 => 16,
            Self::HmacSha384_192 => 24,
            Self::HmacSha512_256 => 32,
        }
    }
}

/// The transforms of one SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Suite {
    /// Encryption (or combined-mode) transform.
    pub encryption: Encryption,
    /// Integrity transform; [`Integrity::None`] with combined modes.
    pub integrity: Integrity,
}

impl Suite {
    /// A combined-mode suite (AES-GCM, ChaCha20-Poly1305, GMAC).
    pub const fn combined(encryption: Encryption) -> Self {
        Self {
            encryption,
            integrity: Integrity::None,
        }
    }

    /// A cipher with a separate integrity transform.
    pub const fn split(encryption: Encryption, integrity: Integrity) -> Self {
        Self {
            encryption,
            integrity,
        }
    }

    /// Name such as `AES-256-CBC/AUTH_HMAC_SHA2_256_128`.
    pub fn name(&self) -> String {
        match self.integrity {
            Integrity::None => self.encryption.name().to_string(),
            i => format!("{}/{}", self.encryption.name(), i.name()),
        }
    }

    /// ICV octets appended to each packet.
    pub fn icv_len(&self) -> usize {
        match self.encryption {
            Encryption::AesGcm { icv_len, .. } => usize::from(icv_len),
            Encryption::ChaCha20Poly1305 | Encryption::AesGmac { .. } => 16,
            _ => self.integrity.icv_len(),
        }
    }

    /// Checks the combination (RFC 4303 §3.2: at least one of confidentiality and
    /// integrity; combined modes take no separate integrity transform).
    pub fn validate(&self, spi: u32) -> Result<(), EspError> {
        let reason = match (self.encryption, self.integrity) {
            (e, i) if e.is_combined() && i != Integrity::None => {
                "a combined-mode transform takes no separate integrity transform (RFC 4303 §3.2)"
            }
            (Encryption::Null, Integrity::None) => {
                "NULL encryption without integrity protects nothing (RFC 4303 §3.2)"
            }
            (Encryption::AesGcm { key_bits, icv_len }, _)
                if !matches!(key_bits, 128 | 192 | 256) || !matches!(icv_len, 8 | 12 | 16) =>
            {
                "AES-GCM needs a 128/192/256-bit key and an 8/12/16-octet ICV (RFC 4106 §8)"
            }
            (Encryption::AesGmac { key_bits } | Encryption::AesCbc { key_bits }, _)
                if !matches!(key_bits, 128 | 192 | 256) =>
            {
                "AES needs a 128, 192 or 256-bit key"
            }
            _ => return Ok(()),
        };
        Err(EspError::Config { spi, reason })
    }
}

/// Per-direction keys. `Debug` never shows the octets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaKeys {
    /// Encryption key material (key ‖ salt for AEADs and GMAC; empty for NULL).
    pub encryption: KeyBytes,
    /// Integrity key (empty for combined modes).
    pub integrity: KeyBytes,
}

impl SaKeys {
    /// Keys from slices (copied).
    pub fn new(encryption: &[u8], integrity: &[u8]) -> Self {
        Self {
            encryption: KeyBytes::from_slice(encryption),
            integrity: KeyBytes::from_slice(integrity),
        }
    }
}

/// Tunnel or transport mode (RFC 4301 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// The payload is a whole IP packet: Next Header 4 or 41 (or 59 for dummy packets).
    #[default]
    Tunnel,
    /// The payload is an upper-layer segment; the caller owns the outer IP header.
    Transport,
}

/// Where explicit IVs come from.
#[derive(Clone, Default)]
pub enum IvSource {
    /// AES-GCM, ChaCha20-Poly1305 and GMAC use the 64-bit sequence number as IV: unique per
    /// key because sequence numbers never repeat (RFC 4106 §3.1 asks only for uniqueness and
    /// names a counter; RFC 8750 §2 builds its nonce the same way). AES-CBC and 3DES take
    /// random IVs from the system CSPRNG (RFC 3602 §2.1: unpredictable).
    #[default]
    Auto,
    /// Every IV from this generator (seeded for simulations, fixed for known-answer tests).
    Random(Arc<dyn SecureRandom>),
}

impl fmt::Debug for IvSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("Auto"),
            Self::Random(_) => f.write_str("Random(..)"),
        }
    }
}

/// Smallest and largest replay windows accepted (RFC 4303 §3.4.3: 32 minimum, 64 default).
pub const MIN_REPLAY_WINDOW: u32 = 32;
/// See [`MIN_REPLAY_WINDOW`].
pub const MAX_REPLAY_WINDOW: u32 = 1 << 16;

/// One direction of an ESP SA.
#[derive(Debug, Clone)]
pub struct SaConfig {
    /// Security Parameters Index (chosen by the receiver).
    pub spi: u32,
    /// Transforms.
    pub suite: Suite,
    /// Keys for this direction.
    pub keys: SaKeys,
    /// Tunnel or transport.
    pub mode: Mode,
    /// Extended (64-bit) sequence numbers (RFC 4303 §2.2.1, RFC 4304).
    pub esn: bool,
    /// Inbound: anti-replay window size in packets, [`MIN_REPLAY_WINDOW`] to
    /// [`MAX_REPLAY_WINDOW`].
    pub replay_window: u32,
    /// Outbound: sequence number of the first packet. Inbound: the first sequence number
    /// accepted (everything below counts as already received). Normally 1.
    pub first_seq: u64,
    /// Outbound, tunnel mode: pad inner packets shorter than this many octets with zeros
    /// (TFC padding, RFC 4303 §2.7). 0 (the default) turns it off.
    pub tfc_pad_to: usize,
    /// IV generation.
    pub iv: IvSource,
}

impl SaConfig {
    /// Tunnel mode, 32-bit sequence numbers, 64-packet window, first sequence number 1,
    /// no TFC padding, [`IvSource::Auto`].
    pub fn new(spi: u32, suite: Suite, keys: SaKeys) -> Self {
        Self {
            spi,
            suite,
            keys,
            mode: Mode::Tunnel,
            esn: false,
            replay_window: 64,
            first_seq: 1,
            tfc_pad_to: 0,
            iv: IvSource::Auto,
        }
    }

    /// The highest sequence number this SA may carry.
    pub fn max_seq(&self) -> u64 {
        if self.esn {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        }
    }

    pub(crate) fn validate(&self) -> Result<(), EspError> {
        self.suite.validate(self.spi)?;
        let err = |reason| {
            Err(EspError::Config {
                spi: self.spi,
                reason,
            })
        };
        if self.first_seq == 0 {
            return err("sequence numbers start at 1 (RFC 4303 §3.3.3)");
        }
        if self.first_seq > self.max_seq() {
            return err("first sequence number exceeds the 32-bit space of a non-ESN SA");
        }
        if !(MIN_REPLAY_WINDOW..=MAX_REPLAY_WINDOW).contains(&self.replay_window) {
            return err("replay window must be 32 to 65536 packets");
        }
        let e = self.suite.encryption;
        let i = self.suite.integrity;
        for (which, transform, expected, got) in [
            (
                "encryption",
                e.name(),
                e.key_len(),
                self.keys.encryption.len(),
            ),
            (
                "integrity",
                i.name(),
                i.key_len(),
                self.keys.integrity.len(),
            ),
        ] {
            if expected != got {
                return Err(EspError::KeyLength {
                    spi: self.spi,
                    which,
                    transform,
                    expected,
                    got,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_round_trip() {
        for (id, bits) in [
            (3, None),
            (11, None),
            (12, Some(128)),
            (12, Some(256)),
            (18, Some(128)),
            (19, Some(192)),
            (20, Some(256)),
            (21, Some(128)),
            (28, None),
        ] {
            let e = Encryption::from_iana(id, bits).unwrap();
            assert_eq!(e.iana_id(), id);
        }
        assert!(Encryption::from_iana(20, None).is_err());
        assert!(Encryption::from_iana(12, Some(64)).is_err());
        assert!(Encryption::from_iana(99, None).is_err());
        for id in [0, 2, 12, 13, 14] {
            assert_eq!(Integrity::from_iana(id).unwrap().iana_id(), id);
        }
        assert!(matches!(
            Integrity::from_iana(5),
            Err(EspError::Unsupported { kind: "INTEG", .. })
        ));
    }

    #[test]
    fn suites_are_checked() {
        let gcm = Encryption::AesGcm {
            key_bits: 256,
            icv_len: 16,
        };
        assert!(Suite::split(gcm, Integrity::HmacSha256_128)
            .validate(1)
            .is_err());
        assert!(Suite::split(Encryption::Null, Integrity::None)
            .validate(1)
            .is_err());
        assert!(Suite::combined(Encryption::AesGcm {
            key_bits: 100,
            icv_len: 16
        })
        .validate(1)
        .is_err());
        assert!(Suite::combined(gcm).validate(1).is_ok());
        // Confidentiality-only ESP is legal (RFC 4303 §3.2.2; RFC 3602's test vectors use it).
        assert!(
            Suite::split(Encryption::AesCbc { key_bits: 128 }, Integrity::None)
                .validate(1)
                .is_ok()
        );
    }

    #[test]
    fn config_checks_keys_window_and_first_seq() {
        let suite = Suite::combined(Encryption::ChaCha20Poly1305);
        let mut c = SaConfig::new(7, suite, SaKeys::new(&[0; 36], &[]));
        assert!(c.validate().is_ok());
        c.keys = SaKeys::new(&[0; 32], &[]);
        assert!(matches!(
            c.validate(),
            Err(EspError::KeyLength {
                expected: 36,
                got: 32,
                ..
            })
        ));
        c.keys = SaKeys::new(&[0; 36], &[]);
        c.replay_window = 16;
        assert!(c.validate().is_err());
        c.replay_window = 4096;
        c.first_seq = 1 << 32;
        assert!(c.validate().is_err());
        c.esn = true;
        assert!(c.validate().is_ok());
        let dbg = format!("{c:?}");
        assert!(dbg.contains("redacted"), "{dbg}");
    }
}
