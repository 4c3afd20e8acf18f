//! AES-GCM with 8, 12 or 16-octet ICV (RFC 4106 for ESP, RFC 5282 for IKE).
//!
//! aws-lc-rs only exposes 16-octet GCM tags. Shorter ICVs are still plain GCM:
//! SP 800-38D §7.1 defines the t-bit tag as `T = MSB_t(GCTR_K(J0, S))`, the
//! leftmost t bits of the full tag, and RFC 4106 §6 / RFC 5282 §7 only choose t.
//! So sealing computes the full tag and keeps its leftmost 8 or 12 octets.
//! Opening needs the full tag of the *received* ciphertext, which aws-lc-rs only
//! produces when sealing; we therefore CTR-decrypt (GCM's keystream starts at
//! counter block `nonce ‖ 0x00000002`), re-seal the plaintext (which restores the
//! ciphertext and yields the full tag), compare the leftmost octets in constant
//! time, and only then decrypt for real. The buffer never holds unauthenticated
//! plaintext when we return an error.

use super::{aead_nonce, split_salt, Aead, AeadOutOfPlace, AEAD_SALT_LEN};
use crate::secret::ct_eq;
use crate::CryptoError;
use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;

/// GCM's 32-bit block counter: 2^32 - 2 blocks per nonce at most; our inputs
/// (≤ 64 KiB IKE/ESP) never get near it, so aws-lc's 128-bit CTR increment and
/// GCM's inc32 agree.
const MAX_GCM_INPUT: usize = (1 << 36) - 64;

/// AES-GCM keyed once with `key ‖ salt`.
pub struct AesGcm {
    name: &'static str,
    key: LessSafeKey,
    /// Only for truncated ICVs: AES-CTR with the same key, to recompute tags.
    ctr: Option<EncryptingKey>,
    salt: [u8; AEAD_SALT_LEN],
    tag_len: usize,
}

impl AesGcm {
    /// `keymat` is `key (16/24/32) ‖ salt (4)`; `tag_len` is 8, 12 or 16.
    pub fn new(keymat: &[u8], key_len: usize, tag_len: usize) -> Result<Self, CryptoError> {
        let (name, alg, ctr_alg) = match (key_len, tag_len) {
            (16, 8) => (
                "AES-GCM-128 (8-octet ICV)",
                &aead::AES_128_GCM,
                &aws_lc_rs::cipher::AES_128,
            ),
            (16, 12) => (
                "AES-GCM-128 (12-octet ICV)",
                &aead::AES_128_GCM,
                &aws_lc_rs::cipher::AES_128,
            ),
            (16, 16) => (
                "AES-GCM-128",
                &aead::AES_128_GCM,
                &aws_lc_rs::cipher::AES_128,
            ),
            (24, 8) => (
                "AES-GCM-192 (8-octet ICV)",
                &aead::AES_192_GCM,
                &aws_lc_rs::cipher::AES_192,
            ),
            (24, 12) => (
                "AES-GCM-192 (12-octet ICV)",
                &aead::AES_192_GCM,
                &aws_lc_rs::cipher::AES_192,
            ),
            (24, 16) => (
                "AES-GCM-192",
                &aead::AES_192_GCM,
                &aws_lc_rs::cipher::AES_192,
            ),
            (32, 8) => (
                "AES-GCM-256 (8-octet ICV)",
                &aead::AES_256_GCM,
                &aws_lc_rs::cipher::AES_256,
            ),
            (32, 12) => (
                "AES-GCM-256 (12-octet ICV)",
                &aead::AES_256_GCM,
                &aws_lc_rs::cipher::AES_256,
            ),
            (32, 16) => (
                "AES-GCM-256",
                &aead::AES_256_GCM,
                &aws_lc_rs::cipher::AES_256,
            ),
            (16 | 24 | 32, t) => return Err(CryptoError::length("AES-GCM", "ICV", 16, t)),
            (k, _) => return Err(CryptoError::length("AES-GCM", "key", 32, k)),
        };
        let (key, salt) = split_salt(name, keymat, key_len)?;
        let unbound = UnboundKey::new(alg, key).map_err(|e| CryptoError::rejected(name, e))?;
        let ctr = if tag_len < 16 {
            let k =
                UnboundCipherKey::new(ctr_alg, key).map_err(|e| CryptoError::rejected(name, e))?;
            Some(EncryptingKey::ctr(k).map_err(|e| CryptoError::rejected(name, e))?)
        } else {
            None
        };
        Ok(Self {
            name,
            key: LessSafeKey::new(unbound),
            ctr,
            salt,
            tag_len,
        })
    }

    fn ctr_xor(
        &self,
        ctr: &EncryptingKey,
        nonce: &[u8; 12],
        in_out: &mut [u8],
    ) -> Result<(), CryptoError> {
        let mut block = [0u8; 16];
        block[..12].copy_from_slice(nonce);
        block[15] = 2; // J0 + 1: the first keystream block of GCM with a 96-bit IV
        ctr.less_safe_encrypt(in_out, EncryptionContext::Iv128(FixedLength::from(block)))
            .map(|_| ())
            .map_err(|e| CryptoError::rejected(self.name, e))
    }
}

impl Aead for AesGcm {
    fn name(&self) -> &'static str {
        self.name
    }

    fn tag_len(&self) -> usize {
        self.tag_len
    }

    fn seal_in_place(
        &self,
        iv: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag_out: &mut [u8],
    ) -> Result<(), CryptoError> {
        if tag_out.len() != self.tag_len {
            return Err(CryptoError::length(
                self.name,
                "ICV",
                self.tag_len,
                tag_out.len(),
            ));
        }
        if in_out.len() > MAX_GCM_INPUT {
            return Err(CryptoError::length(
                self.name,
                "input",
                MAX_GCM_INPUT,
                in_out.len(),
            ));
        }
        let nonce = aead_nonce(self.name, &self.salt, iv)?;
        let tag = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
            .map_err(|e| CryptoError::rejected(self.name, e))?;
        // The t-octet GCM tag is the leftmost t octets of the full tag (SP 800-38D §7.1).
        tag_out.copy_from_slice(&tag.as_ref()[..self.tag_len]);
        Ok(())
    }

    fn open_in_place(
        &self,
        iv: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), CryptoError> {
        if tag.len() != self.tag_len {
            return Err(CryptoError::length(
                self.name,
                "ICV",
                self.tag_len,
                tag.len(),
            ));
        }
        if in_out.len() > MAX_GCM_INPUT {
            return Err(CryptoError::length(
                self.name,
                "input",
                MAX_GCM_INPUT,
                in_out.len(),
            ));
        }
        let nonce = aead_nonce(self.name, &self.salt, iv)?;
        let Some(ctr) = &self.ctr else {
            return self
                .key
                .open_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    tag,
                    in_out,
                )
                .map(|_| ())
                .map_err(|_| CryptoError::Integrity { what: self.name });
        };
        // Truncated ICV: see the module comment.
        self.ctr_xor(ctr, &nonce, in_out)?;
        let full = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
            .map_err(|e| CryptoError::rejected(self.name, e))?;
        if !ct_eq(&full.as_ref()[..self.tag_len], tag) {
            return Err(CryptoError::Integrity { what: self.name });
        }
        self.ctr_xor(ctr, &nonce, in_out)
    }

    fn out_of_place(&self) -> Option<&dyn AeadOutOfPlace> {
        // Truncated ICVs need the recompute-the-tag path of `open_in_place`.
        (self.tag_len == 16).then_some(self as &dyn AeadOutOfPlace)
    }
}

impl AeadOutOfPlace for AesGcm {
    fn seal_scatter(
        &self,
        iv: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        ct_out: &mut [u8],
        extra: &[u8],
        extra_out_and_tag: &mut [u8],
    ) -> Result<(), CryptoError> {
        if self.tag_len != 16 || plaintext.len() + extra.len() > MAX_GCM_INPUT {
            return Err(CryptoError::length(self.name, "ICV", 16, self.tag_len));
        }
        let nonce = aead_nonce(self.name, &self.salt, iv)?;
        super::FullTag {
            what: self.name,
            key: &self.key,
            nonce,
        }
        .seal_scatter(aad, plaintext, ct_out, extra, extra_out_and_tag)
    }

    fn open_gather(
        &self,
        iv: &[u8],
        aad: &[u8],
        ct: &[u8],
        tag: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        if self.tag_len != 16 || ct.len() > MAX_GCM_INPUT {
            return Err(CryptoError::length(self.name, "ICV", 16, self.tag_len));
        }
        let nonce = aead_nonce(self.name, &self.salt, iv)?;
        super::FullTag {
            what: self.name,
            key: &self.key,
            nonce,
        }
        .open_gather(aad, ct, tag, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keymat(len: usize) -> Vec<u8> {
        (0..len as u8 + 4).collect()
    }

    #[test]
    fn truncated_tags_are_prefixes_of_the_full_tag() {
        for key_len in [16, 24, 32] {
            let full = AesGcm::new(&keymat(key_len), key_len, 16).unwrap();
            for t in [8, 12] {
                let short = AesGcm::new(&keymat(key_len), key_len, t).unwrap();
                for len in [0usize, 1, 15, 16, 17, 100] {
                    let pt: Vec<u8> = (0..len).map(|i| i as u8).collect();
                    let iv = [9u8; 8];
                    let (mut a, mut b) = (pt.clone(), pt.clone());
                    let mut ta = [0u8; 16];
                    let mut tb = vec![0u8; t];
                    full.seal_in_place(&iv, b"aad", &mut a, &mut ta).unwrap();
                    short.seal_in_place(&iv, b"aad", &mut b, &mut tb).unwrap();
                    assert_eq!(a, b);
                    assert_eq!(&ta[..t], &tb[..]);
                    short.open_in_place(&iv, b"aad", &mut b, &tb).unwrap();
                    assert_eq!(b, pt);
                    // A flipped ciphertext bit leaves the ciphertext in the buffer.
                    if len > 0 {
                        let mut c = a.clone();
                        c[0] ^= 1;
                        let before = c.clone();
                        assert!(short.open_in_place(&iv, b"aad", &mut c, &tb).is_err());
                        assert_eq!(c, before);
                    }
                    let mut bad = tb.clone();
                    bad[t - 1] ^= 0x80;
                    let mut c = a.clone();
                    assert!(short.open_in_place(&iv, b"aad", &mut c, &bad).is_err());
                    assert!(short
                        .open_in_place(&iv, b"aaD", &mut a.clone(), &tb)
                        .is_err());
                }
            }
        }
    }

    #[test]
    fn wrong_sizes_are_typed_errors() {
        assert!(matches!(
            AesGcm::new(&keymat(16), 16, 10),
            Err(CryptoError::Length { .. })
        ));
        assert!(matches!(
            AesGcm::new(&[0; 16], 16, 16),
            Err(CryptoError::Length { .. })
        ));
        let g = AesGcm::new(&keymat(16), 16, 16).unwrap();
        let mut t = [0u8; 16];
        assert!(matches!(
            g.seal_in_place(&[0; 12], b"", &mut [], &mut t),
            Err(CryptoError::Length { field: "IV", .. })
        ));
    }
}
