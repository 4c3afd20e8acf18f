//! Integrity transforms: truncated HMACs (RFC 2404, RFC 4868, RFC 7296).

use crate::secret::ct_eq;
use crate::CryptoError;
use aws_lc_rs::hmac;

/// A keyed MAC producing an ICV over several slices (so ESP's ESN high bits,
/// which are not in the packet, need no copy).
pub trait Mac: Send + Sync {
    /// Algorithm name.
    fn name(&self) -> &'static str;
    /// ICV length (the truncated output).
    fn icv_len(&self) -> usize;
    /// Writes the ICV over the concatenation of `parts` to `icv_out` (exactly `icv_len`).
    fn sign(&self, parts: &[&[u8]], icv_out: &mut [u8]) -> Result<(), CryptoError>;
    /// Verifies `icv` in constant time.
    fn verify(&self, parts: &[&[u8]], icv: &[u8]) -> Result<(), CryptoError>;
}

/// HMAC with output truncated to `icv_len` octets.
pub struct HmacMac {
    name: &'static str,
    key: hmac::Key,
    icv_len: usize,
}

/// Hash functions behind the HMAC-based PRFs and integrity transforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-1 (insecure for new deployments, RFC 8247).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    pub(crate) fn hmac(self) -> hmac::Algorithm {
        match self {
            Self::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
            Self::Sha512 => hmac::HMAC_SHA512,
        }
    }

    /// Digest length in octets.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

impl HmacMac {
    /// `key` must be `hash.output_len()` octets (RFC 4868 §2.1.1 / RFC 2404: the key
    /// length of the integrity transforms equals the hash output).
    pub fn new(
        name: &'static str,
        hash: HashAlg,
        icv_len: usize,
        key: &[u8],
    ) -> Result<Self, CryptoError> {
        if key.len() != hash.output_len() {
            return Err(CryptoError::length(
                name,
                "key",
                hash.output_len(),
                key.len(),
            ));
        }
        Ok(Self {
            name,
            key: hmac::Key::new(hash.hmac(), key),
            icv_len,
        })
    }

    fn full(&self, parts: &[&[u8]]) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.key);
        for p in parts {
            ctx.update(p);
        }
        ctx.sign()
    }
}

impl Mac for HmacMac {
    fn name(&self) -> &'static str {
        self.name
    }

    fn icv_len(&self) -> usize {
        self.icv_len
    }

    fn sign(&self, parts: &[&[u8]], icv_out: &mut [u8]) -> Result<(), CryptoError> {
        if icv_out.len() != self.icv_len {
            return Err(CryptoError::length(
                self.name,
                "ICV",
                self.icv_len,
                icv_out.len(),
            ));
        }
        icv_out.copy_from_slice(&self.full(parts).as_ref()[..self.icv_len]);
        Ok(())
    }

    fn verify(&self, parts: &[&[u8]], icv: &[u8]) -> Result<(), CryptoError> {
        if icv.len() != self.icv_len {
            return Err(CryptoError::Integrity { what: self.name });
        }
        if ct_eq(&self.full(parts).as_ref()[..self.icv_len], icv) {
            Ok(())
        } else {
            Err(CryptoError::Integrity { what: self.name })
        }
    }
}
