//! ChaCha20-Poly1305 for ESP and IKEv2 (RFC 7634): 32-octet key ‖ 4-octet salt,
//! 8-octet IV, 16-octet ICV.

use super::{aead_nonce, split_salt, Aead, AeadOutOfPlace, AEAD_SALT_LEN};
use crate::CryptoError;
use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};

const NAME: &str = "ChaCha20-Poly1305";

/// ChaCha20-Poly1305 keyed once with `key ‖ salt`.
pub struct ChaCha20Poly1305 {
    key: LessSafeKey,
    salt: [u8; AEAD_SALT_LEN],
}

impl ChaCha20Poly1305 {
    /// `keymat` is `key (32) ‖ salt (4)`.
    pub fn new(keymat: &[u8]) -> Result<Self, CryptoError> {
        let (key, salt) = split_salt(NAME, keymat, 32)?;
        let unbound = UnboundKey::new(&aead::CHACHA20_POLY1305, key)
            .map_err(|e| CryptoError::rejected(NAME, e))?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            salt,
        })
    }
}

impl Aead for ChaCha20Poly1305 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tag_len(&self) -> usize {
        16
    }

    fn seal_in_place(
        &self,
        iv: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag_out: &mut [u8],
    ) -> Result<(), CryptoError> {
        if tag_out.len() != 16 {
            return Err(CryptoError::length(NAME, "ICV", 16, tag_out.len()));
        }
        let nonce = aead_nonce(NAME, &self.salt, iv)?;
        let tag = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
            .map_err(|e| CryptoError::rejected(NAME, e))?;
        tag_out.copy_from_slice(tag.as_ref());
        Ok(())
    }

    fn open_in_place(
        &self,
        iv: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), CryptoError> {
        let nonce = aead_nonce(NAME, &self.salt, iv)?;
        if tag.len() != 16 {
            return Err(CryptoError::length(NAME, "ICV", 16, tag.len()));
        }
        self.key
            .open_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                tag,
                in_out,
            )
            .map(|_| ())
            .map_err(|_| CryptoError::Integrity { what: NAME })
    }

    fn out_of_place(&self) -> Option<&dyn AeadOutOfPlace> {
        Some(self)
    }
}

impl AeadOutOfPlace for ChaCha20Poly1305 {
    fn seal_scatter(
        &self,
        iv: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        ct_out: &mut [u8],
        extra: &[u8],
        extra_out_and_tag: &mut [u8],
    ) -> Result<(), CryptoError> {
        let nonce = aead_nonce(NAME, &self.salt, iv)?;
        super::FullTag {
            what: NAME,
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
        let nonce = aead_nonce(NAME, &self.salt, iv)?;
        super::FullTag {
            what: NAME,
            key: &self.key,
            nonce,
        }
        .open_gather(aad, ct, tag, out)
    }
}
