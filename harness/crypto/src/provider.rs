//! The provider: plain-data tables of every transform, indexed by IANA ID.
//!
//! Like rustls' `CryptoProvider`, a [`Provider`] is a `static` value; a restricted
//! provider is just another value pointing at other tables. Lookups of unknown
//! IDs return [`CryptoError::Unsupported`] naming the transform type and ID.

use crate::cipher::{
    Aead, AesCbc, AesGcm, BlockCipher, ChaCha20Poly1305, DesCbc, NullCipher, TripleDesCbc,
    AEAD_IV_LEN, AEAD_SALT_LEN,
};
use crate::integ::{HashAlg, HmacMac, Mac};
use crate::ke::{KeKind, KeTransform};
use crate::prf::Prf;
use crate::{CryptoError, KeyBytes, TransformType};

/// Builds a pre-keyed AEAD from key material of `key_len` octets.
pub type AeadCtor = fn(&EncrTransform, &[u8]) -> Result<Box<dyn Aead>, CryptoError>;
/// Builds a pre-keyed block cipher from a key of `key_len` octets.
pub type BlockCtor = fn(&EncrTransform, &[u8]) -> Result<Box<dyn BlockCipher>, CryptoError>;
/// Builds a pre-keyed MAC from a key of `key_len` octets.
pub type MacCtor = fn(&IntegTransform, &[u8]) -> Result<Box<dyn Mac>, CryptoError>;

/// How an encryption transform is instantiated.
#[derive(Debug, Clone, Copy)]
pub enum CipherCtor {
    /// Combined-mode (AEAD); no INTEG transform is negotiated with it.
    Aead(AeadCtor),
    /// Block cipher used with a separate INTEG transform.
    Block(BlockCtor),
}

/// An encryption transform (IKEv2 Transform Type 1).
#[derive(Debug)]
pub struct EncrTransform {
    /// IANA ID.
    pub id: u16,
    /// Name (IANA name plus key size).
    pub name: &'static str,
    /// The Key Length attribute this entry answers to (`None`: the transform takes none).
    pub key_bits: Option<u16>,
    /// Octets of keying material (SK_e, or per-direction ESP key), salt included.
    pub key_len: usize,
    /// Salt octets at the end of the key material (AEADs).
    pub salt_len: usize,
    /// IV octets carried in each message.
    pub iv_len: usize,
    /// Block size for padding (1 for stream-like AEADs and NULL).
    pub block_len: usize,
    /// AEAD ICV octets (0 for block ciphers: the INTEG transform supplies it).
    pub icv_len: usize,
    /// Deprecated by RFC 8247 / RFC 8221 (DES, 3DES).
    pub insecure: bool,
    /// Usable for the IKE SA (ENCR_NULL is ESP-only).
    pub ike: bool,
    /// True for the fuzzing null implementations.
    pub null: bool,
    /// Constructor.
    pub cipher: CipherCtor,
}

impl EncrTransform {
    /// AEAD transforms need no INTEG transform.
    pub fn is_aead(&self) -> bool {
        matches!(self.cipher, CipherCtor::Aead(_))
    }

    /// Keys an AEAD (`key_material` is `key ‖ salt`).
    pub fn new_aead(&self, key_material: &[u8]) -> Result<Box<dyn Aead>, CryptoError> {
        self.check_key(key_material)?;
        match self.cipher {
            CipherCtor::Aead(f) => f(self, key_material),
            CipherCtor::Block(_) => Err(CryptoError::rejected(self.name, "not an AEAD transform")),
        }
    }

    /// Keys a block cipher.
    pub fn new_block(&self, key: &[u8]) -> Result<Box<dyn BlockCipher>, CryptoError> {
        self.check_key(key)?;
        match self.cipher {
            CipherCtor::Block(f) => f(self, key),
            CipherCtor::Aead(_) => Err(CryptoError::rejected(
                self.name,
                "AEAD transform used as a block cipher",
            )),
        }
    }

    fn check_key(&self, key: &[u8]) -> Result<(), CryptoError> {
        if key.len() != self.key_len {
            return Err(CryptoError::length(
                self.name,
                "key",
                self.key_len,
                key.len(),
            ));
        }
        Ok(())
    }
}

/// An integrity transform (IKEv2 Transform Type 3).
#[derive(Debug)]
pub struct IntegTransform {
    /// IANA ID.
    pub id: u16,
    /// IANA name.
    pub name: &'static str,
    /// Key octets (SK_a, ESP integrity key).
    pub key_len: usize,
    /// ICV octets (truncated output).
    pub icv_len: usize,
    /// Underlying hash.
    pub hash: HashAlg,
    /// SHA-1 based: RFC 8247 recommends against new use.
    pub insecure: bool,
    /// True for the fuzzing null implementation.
    pub null: bool,
    /// Constructor.
    pub mac: MacCtor,
}

impl IntegTransform {
    /// Keys the MAC.
    pub fn new_mac(&self, key: &[u8]) -> Result<Box<dyn Mac>, CryptoError> {
        if key.len() != self.key_len {
            return Err(CryptoError::length(
                self.name,
                "key",
                self.key_len,
                key.len(),
            ));
        }
        (self.mac)(self, key)
    }
}

/// A pseudorandom function (IKEv2 Transform Type 2).
#[derive(Debug)]
pub struct PrfTransform {
    /// IANA ID.
    pub id: u16,
    /// IANA name.
    pub name: &'static str,
    /// Preferred key length = output length (SK_d, SK_pi, SK_pr sizes).
    pub key_len: usize,
    /// SHA-1 based: RFC 8247 recommends against new use.
    pub insecure: bool,
    /// The PRF.
    pub prf: Prf,
}

impl PrfTransform {
    /// `prf(key, data...)`.
    pub fn compute(&self, key: &[u8], data: &[&[u8]]) -> KeyBytes {
        self.prf.compute(key, data)
    }

    /// `prf+(key, seed...)` truncated to `len` octets.
    pub fn prf_plus(
        &self,
        key: &[u8],
        seed: &[&[u8]],
        len: usize,
    ) -> Result<KeyBytes, CryptoError> {
        self.prf.prf_plus(key, seed, len)
    }
}

fn new_gcm(t: &EncrTransform, k: &[u8]) -> Result<Box<dyn Aead>, CryptoError> {
    Ok(Box::new(AesGcm::new(
        k,
        t.key_len - AEAD_SALT_LEN,
        t.icv_len,
    )?))
}
fn new_chacha(_: &EncrTransform, k: &[u8]) -> Result<Box<dyn Aead>, CryptoError> {
    Ok(Box::new(ChaCha20Poly1305::new(k)?))
}
fn new_aes_cbc(_: &EncrTransform, k: &[u8]) -> Result<Box<dyn BlockCipher>, CryptoError> {
    Ok(Box::new(AesCbc::new(k)?))
}
fn new_3des(_: &EncrTransform, k: &[u8]) -> Result<Box<dyn BlockCipher>, CryptoError> {
    Ok(Box::new(TripleDesCbc::new(k)?))
}
fn new_des(_: &EncrTransform, k: &[u8]) -> Result<Box<dyn BlockCipher>, CryptoError> {
    Ok(Box::new(DesCbc::new(k)?))
}
fn new_null(_: &EncrTransform, _: &[u8]) -> Result<Box<dyn BlockCipher>, CryptoError> {
    Ok(Box::new(NullCipher))
}
fn new_hmac(t: &IntegTransform, k: &[u8]) -> Result<Box<dyn Mac>, CryptoError> {
    Ok(Box::new(HmacMac::new(t.name, t.hash, t.icv_len, k)?))
}

macro_rules! gcm {
    ($id:expr, $name:expr, $bits:expr, $icv:expr, $ctor:expr, $null:expr) => {
        EncrTransform {
            id: $id,
            name: $name,
            key_bits: Some($bits),
            key_len: $bits / 8 + AEAD_SALT_LEN,
            salt_len: AEAD_SALT_LEN,
            iv_len: AEAD_IV_LEN,
            block_len: 1,
            icv_len: $icv,
            insecure: false,
            ike: true,
            null: $null,
            cipher: CipherCtor::Aead($ctor),
        }
    };
}

macro_rules! block {
    ($id:expr, $name:expr, $bits:expr, $key:expr, $block:expr, $iv:expr, $insecure:expr, $ike:expr, $ctor:expr, $null:expr) => {
        EncrTransform {
            id: $id,
            name: $name,
            key_bits: $bits,
            key_len: $key,
            salt_len: 0,
            iv_len: $iv,
            block_len: $block,
            icv_len: 0,
            insecure: $insecure,
            ike: $ike,
            null: $null,
            cipher: CipherCtor::Block($ctor),
        }
    };
}

macro_rules! encr_table {
    ($aead:expr, $chacha:expr, $cbc:expr, $tdes:expr, $des:expr, $nul:expr, $null:expr) => {
        [
            block!(2, "ENCR_DES", None, 8, 8, 8, true, true, $des, $null),
            block!(3, "ENCR_3DES", None, 24, 8, 8, true, true, $tdes, $null),
            block!(11, "ENCR_NULL", None, 0, 1, 0, false, false, $nul, $null),
            block!(
                12,
                "ENCR_AES_CBC-128",
                Some(128),
                16,
                16,
                16,
                false,
                true,
                $cbc,
                $null
            ),
            block!(
                12,
                "ENCR_AES_CBC-192",
                Some(192),
                24,
                16,
                16,
                false,
                true,
                $cbc,
                $null
            ),
            block!(
                12,
                "ENCR_AES_CBC-256",
                Some(256),
                32,
                16,
                16,
                false,
                true,
                $cbc,
                $null
            ),
            gcm!(18, "ENCR_AES_GCM_8-128", 128, 8, $aead, $null),
            gcm!(18, "ENCR_AES_GCM_8-192", 192, 8, $aead, $null),
            gcm!(18, "ENCR_AES_GCM_8-256", 256, 8, $aead, $null),
            gcm!(19, "ENCR_AES_GCM_12-128", 128, 12, $aead, $null),
            gcm!(19, "ENCR_AES_GCM_12-192", 192, 12, $aead, $null),
            gcm!(19, "ENCR_AES_GCM_12-256", 256, 12, $aead, $null),
            gcm!(20, "ENCR_AES_GCM_16-128", 128, 16, $aead, $null),
            gcm!(20, "ENCR_AES_GCM_16-192", 192, 16, $aead, $null),
            gcm!(20, "ENCR_AES_GCM_16-256", 256, 16, $aead, $null),
            EncrTransform {
                id: 28,
                name: "ENCR_CHACHA20_POLY1305",
                key_bits: None,
                key_len: 32 + AEAD_SALT_LEN,
                salt_len: AEAD_SALT_LEN,
                iv_len: AEAD_IV_LEN,
                block_len: 1,
                icv_len: 16,
                insecure: false,
                ike: true,
                null: $null,
                cipher: CipherCtor::Aead($chacha),
            },
        ]
    };
}

macro_rules! integ {
    ($id:expr, $name:expr, $hash:expr, $icv:expr, $insecure:expr, $ctor:expr, $null:expr) => {
        IntegTransform {
            id: $id,
            name: $name,
            key_len: $hash.output_len(),
            icv_len: $icv,
            hash: $hash,
            insecure: $insecure,
            null: $null,
            mac: $ctor,
        }
    };
}

macro_rules! integ_table {
    ($ctor:expr, $null:expr) => {
        [
            integ!(
                2,
                "AUTH_HMAC_SHA1_96",
                HashAlg::Sha1,
                12,
                true,
                $ctor,
                $null
            ),
            integ!(
                7,
                "AUTH_HMAC_SHA1_160",
                HashAlg::Sha1,
                20,
                true,
                $ctor,
                $null
            ),
            integ!(
                12,
                "AUTH_HMAC_SHA2_256_128",
                HashAlg::Sha256,
                16,
                false,
                $ctor,
                $null
            ),
            integ!(
                13,
                "AUTH_HMAC_SHA2_384_192",
                HashAlg::Sha384,
                24,
                false,
                $ctor,
                $null
            ),
            integ!(
                14,
                "AUTH_HMAC_SHA2_512_256",
                HashAlg::Sha512,
                32,
                false,
                $ctor,
                $null
            ),
        ]
    };
}

macro_rules! prf {
    ($id:expr, $name:expr, $hash:expr, $insecure:expr) => {
        PrfTransform {
            id: $id,
            name: $name,
            key_len: $hash.output_len(),
            insecure: $insecure,
            prf: Prf {
                name: $name,
                hash: $hash,
            },
        }
    };
}

static ENCR: [EncrTransform; 16] = encr_table!(
    new_gcm,
    new_chacha,
    new_aes_cbc,
    new_3des,
    new_des,
    new_null,
    false
);
static INTEG: [IntegTransform; 5] = integ_table!(new_hmac, false);
pub(crate) static PRF: [PrfTransform; 4] = [
    prf!(2, "PRF_HMAC_SHA1", HashAlg::Sha1, true),
    prf!(5, "PRF_HMAC_SHA2_256", HashAlg::Sha256, false),
    prf!(6, "PRF_HMAC_SHA2_384", HashAlg::Sha384, false),
    prf!(7, "PRF_HMAC_SHA2_512", HashAlg::Sha512, false),
];

macro_rules! modp {
    ($id:expr, $name:expr, $bits:expr, $exp:expr, $insecure:expr) => {
        KeTransform {
            id: $id,
            name: $name,
            public_len: $bits / 8,
            shared_len: $bits / 8,
            insecure: $insecure,
            kind: KeKind::Modp {
                bits: $bits,
                exponent_bits: $exp,
            },
        }
    };
}

pub(crate) static KE: [KeTransform; 13] = [
    // Exponent sizes: twice the upper strength estimate of RFC 3526 §8, at least 256.
    modp!(1, "768-bit MODP Group", 768, 256, true),
    modp!(2, "1024-bit MODP Group", 1024, 256, true),
    modp!(5, "1536-bit MODP Group", 1536, 256, true),
    modp!(14, "2048-bit MODP Group", 2048, 320, false),
    modp!(15, "3072-bit MODP Group", 3072, 420, false),
    modp!(16, "4096-bit MODP Group", 4096, 480, false),
    modp!(17, "6144-bit MODP Group", 6144, 540, false),
    modp!(18, "8192-bit MODP Group", 8192, 620, false),
    KeTransform {
        id: 19,
        name: "256-bit random ECP group",
        public_len: 64,
        shared_len: 32,
        insecure: false,
        kind: KeKind::Ecp { coord_len: 32 },
    },
    KeTransform {
        id: 20,
        name: "384-bit random ECP group",
        public_len: 96,
        shared_len: 48,
        insecure: false,
        kind: KeKind::Ecp { coord_len: 48 },
    },
    KeTransform {
        id: 21,
        name: "521-bit random ECP group",
        public_len: 132,
        shared_len: 66,
        insecure: false,
        kind: KeKind::Ecp { coord_len: 66 },
    },
    KeTransform {
        id: 31,
        name: "Curve25519",
        public_len: 32,
        shared_len: 32,
        insecure: false,
        kind: KeKind::X25519,
    },
    KeTransform {
        id: 32,
        name: "Curve448",
        public_len: 56,
        shared_len: 56,
        insecure: false,
        kind: KeKind::X448,
    },
];

/// A crypto provider: transform tables by IANA ID.
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    /// Encryption transforms (one entry per ID and Key Length).
    pub encr: &'static [EncrTransform],
    /// Integrity transforms.
    pub integ: &'static [IntegTransform],
    /// PRFs.
    pub prf: &'static [PrfTransform],
    /// Key exchange methods.
    pub ke: &'static [KeTransform],
}

/// The real provider (aws-lc-rs, crypto-bigint, x448).
pub static DEFAULT: Provider = Provider {
    encr: &ENCR,
    integ: &INTEG,
    prf: &PRF,
    ke: &KE,
};

impl Provider {
    /// Encryption transform `id` with Key Length attribute `key_bits` (in bits).
    pub fn encr(
        &self,
        id: u16,
        key_bits: Option<u16>,
    ) -> Result<&'static EncrTransform, CryptoError> {
        self.encr
            .iter()
            .find(|t| t.id == id && t.key_bits == key_bits)
            .ok_or(CryptoError::Unsupported {
                kind: TransformType::Encr,
                id,
                key_bits,
            })
    }

    /// Integrity transform `id`.
    pub fn integ(&self, id: u16) -> Result<&'static IntegTransform, CryptoError> {
        self.integ
            .iter()
            .find(|t| t.id == id)
            .ok_or(CryptoError::Unsupported {
                kind: TransformType::Integ,
                id,
                key_bits: None,
            })
    }

    /// PRF `id`.
    pub fn prf(&self, id: u16) -> Result<&'static PrfTransform, CryptoError> {
        self.prf
            .iter()
            .find(|t| t.id == id)
            .ok_or(CryptoError::Unsupported {
                kind: TransformType::Prf,
                id,
                key_bits: None,
            })
    }

    /// Key exchange method `id`.
    pub fn ke(&self, id: u16) -> Result<&'static KeTransform, CryptoError> {
        self.ke
            .iter()
            .find(|t| t.id == id)
            .ok_or(CryptoError::Unsupported {
                kind: TransformType::Ke,
                id,
                key_bits: None,
            })
    }

    /// True if any table entry is a fuzzing null implementation.
    pub fn is_null(&self) -> bool {
        self.encr.iter().any(|t| t.null) || self.integ.iter().any(|t| t.null)
    }

    /// Refuses null providers. Every shipped entry point that protects or checks
    /// traffic calls this before using a provider it was handed.
    pub fn ensure_not_null(&self) -> Result<(), CryptoError> {
        if self.is_null() {
            Err(CryptoError::NullProviderRefused)
        } else {
            Ok(())
        }
    }
}

#[cfg(feature = "fuzzing")]
pub(crate) mod null_tables {
    use super::*;
    use crate::null::{null_aead, null_block, null_mac};

    pub(crate) static ENCR: [EncrTransform; 16] =
        encr_table!(null_aead, null_aead, null_block, null_block, null_block, null_block, true);
    pub(crate) static INTEG: [IntegTransform; 5] = integ_table!(null_mac, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_and_typed_errors() {
        let p = &DEFAULT;
        assert_eq!(p.encr(12, Some(256)).unwrap().key_len, 32);
        assert_eq!(p.encr(20, Some(128)).unwrap().key_len, 20);
        assert_eq!(p.encr(19, Some(256)).unwrap().icv_len, 12);
        assert_eq!(p.encr(28, None).unwrap().key_len, 36);
        assert!(p.encr(3, None).unwrap().insecure);
        let e = p.encr(12, None).unwrap_err();
        assert_eq!(e.to_string(), "unsupported ENCR transform ID 12");
        let e = p.encr(12, Some(512)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unsupported ENCR transform ID 12 with key length 512 bits"
        );
        assert_eq!(
            p.integ(99).unwrap_err().to_string(),
            "unsupported INTEG transform ID 99"
        );
        assert_eq!(
            p.prf(4).unwrap_err().to_string(),
            "unsupported PRF transform ID 4"
        );
        assert_eq!(
            p.ke(22).unwrap_err().to_string(),
            "unsupported KE transform ID 22"
        );
        for id in [1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 31, 32] {
            assert_eq!(p.ke(id).unwrap().id, id);
        }
        for (id, icv) in [(2, 12), (7, 20), (12, 16), (13, 24), (14, 32)] {
            assert_eq!(p.integ(id).unwrap().icv_len, icv);
        }
        for (id, len) in [(2, 20), (5, 32), (6, 48), (7, 64)] {
            assert_eq!(p.prf(id).unwrap().key_len, len);
        }
        assert!(
            p.ke(1).unwrap().insecure && p.ke(5).unwrap().insecure && !p.ke(14).unwrap().insecure
        );
        assert!(!p.is_null());
        p.ensure_not_null().unwrap();
    }

    #[test]
    fn every_cipher_keys_from_its_table_lengths() {
        for t in DEFAULT.encr {
            let key: Vec<u8> = (0..t.key_len as u8)
                .map(|i| i.wrapping_mul(37).wrapping_add(11))
                .collect();
            if t.is_aead() {
                let a = t.new_aead(&key).unwrap();
                assert_eq!(a.tag_len(), t.icv_len, "{}", t.name);
            } else {
                let b = t.new_block(&key).unwrap();
                assert_eq!(
                    (b.block_len(), b.iv_len()),
                    (t.block_len, t.iv_len),
                    "{}",
                    t.name
                );
            }
            // One octet short is a typed length error.
            let short = &key[..key.len().saturating_sub(1)];
            let r = if t.is_aead() {
                t.new_aead(short).map(|_| ())
            } else if t.key_len == 0 {
                t.new_block(&[0]).map(|_| ())
            } else {
                t.new_block(short).map(|_| ())
            };
            assert!(
                matches!(r, Err(CryptoError::Length { field: "key", .. })),
                "{}",
                t.name
            );
        }
        for t in DEFAULT.integ {
            let m = t.new_mac(&vec![1; t.key_len]).unwrap();
            assert_eq!(m.icv_len(), t.icv_len);
        }
    }
}
