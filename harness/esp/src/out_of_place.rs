//! TEMPORARY adapter: out-of-place AEAD straight from aws-lc-rs, for AES-GCM-16 and
//! ChaCha20-Poly1305.
//!
//! ikelab-crypto's `Aead` works in place only, so `seal(inner, out)` would copy every inner
//! packet into `out` before encrypting it, and `open(packet, out)` every ciphertext: one
//! extra pass over each packet, about 10% of AES-GCM's cost at 1400 octets. aws-lc-rs
//! encrypts from one buffer into another (`seal_out_of_place_scatter`, which also takes the
//! ESP trailer from a separate slice) and decrypts likewise (`open_separate_gather`).
//! Remove this module once ikelab-crypto's `Aead` offers out-of-place seal and open; the
//! in-place path through ikelab-crypto stays for every other transform and for TFC padding.
//! Keys are scheduled from the same key material as the ikelab-crypto object, and the
//! published vectors (draft-mcgrew-gcm-test-01, RFC 7634) run through this path.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::config::Encryption;

pub(crate) struct OutOfPlace {
    key: LessSafeKey,
    salt: [u8; 4],
}

/// The operation failed: for open, the ICV did not verify (the output holds no plaintext).
pub(crate) struct Failed;

impl OutOfPlace {
    /// `keymat` is key ‖ 4-octet salt. `None` for transforms this adapter does not cover.
    pub fn new(e: Encryption, keymat: &[u8]) -> Option<Self> {
        let alg = match e {
            Encryption::AesGcm {
                key_bits: 128,
                icv_len: 16,
            } => &aead::AES_128_GCM,
            Encryption::AesGcm {
                key_bits: 256,
                icv_len: 16,
            } => &aead::AES_256_GCM,
            Encryption::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
            _ => return None,
        };
        let (key, salt) = keymat.split_at_checked(keymat.len().checked_sub(4)?)?;
        let key = UnboundKey::new(alg, key).ok()?;
        Some(Self {
            key: LessSafeKey::new(key),
            salt: salt.try_into().ok()?,
        })
    }

    fn nonce(&self, iv: &[u8]) -> Result<Nonce, Failed> {
        let mut n = [0u8; 12];
        n[..4].copy_from_slice(&self.salt);
        n[4..].copy_from_slice(iv.get(..8).ok_or(Failed)?);
        Ok(Nonce::assume_unique_for_key(n))
    }

    /// Encrypts `inner` into `out_ct` and `trailer` into `out_trailer_and_tag`, followed by
    /// the 16-octet tag (RFC 4106 / RFC 7634 nonce `salt ‖ iv`).
    pub fn seal(
        &self,
        iv: &[u8],
        aad: &[u8],
        inner: &[u8],
        out_ct: &mut [u8],
        trailer: &[u8],
        out_trailer_and_tag: &mut [u8],
    ) -> Result<(), Failed> {
        self.key
            .seal_out_of_place_scatter(
                self.nonce(iv)?,
                Aad::from(aad),
                inner,
                out_ct,
                trailer,
                out_trailer_and_tag,
            )
            .map_err(|_| Failed)
    }

    /// Verifies `tag` and decrypts `ct` into `out` (same length). On failure `out` is zeroed.
    pub fn open(
        &self,
        iv: &[u8],
        aad: &[u8],
        ct: &[u8],
        tag: &[u8],
        out: &mut [u8],
    ) -> Result<(), Failed> {
        let r = self.nonce(iv).and_then(|n| {
            self.key
                .open_separate_gather(n, Aad::from(aad), ct, tag, out)
                .map_err(|_| Failed)
        });
        if r.is_err() {
            out.fill(0);
        }
        r
    }
}
