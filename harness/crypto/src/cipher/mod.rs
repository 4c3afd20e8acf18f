//! Pre-keyed ciphers with caller-provided buffers.
//!
//! The key schedule runs once, at construction; `seal`/`open`/`encrypt`/`decrypt`
//! then work in place on the caller's buffer and allocate nothing, which is what
//! the ESP data plane needs per packet.

mod cbc;
mod chacha;
mod gcm;

pub use cbc::{AesCbc, DesCbc, NullCipher, TripleDesCbc};
pub use chacha::ChaCha20Poly1305;
pub use gcm::AesGcm;

use crate::CryptoError;

/// Length of the explicit per-message IV of every AEAD here (RFC 4106, RFC 5282,
/// RFC 7634): the nonce is `salt (4 octets, from the key material) ‖ IV (8 octets)`.
pub const AEAD_IV_LEN: usize = 8;
/// Salt octets at the end of the AEAD key material (AES-GCM and ChaCha20-Poly1305).
pub const AEAD_SALT_LEN: usize = 4;

/// An authenticated cipher keyed with `key ‖ salt`.
///
/// `iv` is the 8-octet explicit IV carried in the packet; `in_out` is encrypted
/// or decrypted in place; the tag is written to / read from a separate slice of
/// exactly [`Aead::tag_len`] octets.
pub trait Aead: Send + Sync {
    /// Algorithm name, for errors and logs.
    fn name(&self) -> &'static str;
    /// ICV (tag) length in octets.
    fn tag_len(&self) -> usize;
    /// Encrypts `in_out` in place and writes the tag to `tag_out`.
    fn seal_in_place(
        &self,
        iv: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag_out: &mut [u8],
    ) -> Result<(), CryptoError>;
    /// Verifies `tag` and decrypts `in_out` in place. On failure `in_out` holds
    /// no unauthenticated plaintext.
    fn open_in_place(
        &self,
        iv: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), CryptoError>;
    /// The copy-free interface, where the implementation has one (AES-GCM with a 16-octet
    /// ICV, ChaCha20-Poly1305). The ESP data plane seals from the inner packet straight into
    /// the output buffer with it, saving a pass over every packet.
    fn out_of_place(&self) -> Option<&dyn AeadOutOfPlace> {
        None
    }
}

/// Encryption from one buffer into another (see [`Aead::out_of_place`]).
pub trait AeadOutOfPlace: Send + Sync {
    /// Encrypts `plaintext ‖ extra` (RFC 4303: the inner packet, then padding and trailer
    /// held in a small separate buffer) into `ct_out` (same length as `plaintext`) and
    /// `extra_out_and_tag` (`extra`'s ciphertext followed by the full ICV).
    fn seal_scatter(
        &self,
        iv: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        ct_out: &mut [u8],
        extra: &[u8],
        extra_out_and_tag: &mut [u8],
    ) -> Result<(), CryptoError>;
    /// Verifies `tag` over `ct` and decrypts it into `out` (same length). On failure `out`
    /// is zeroed: it never holds unauthenticated plaintext.
    fn open_gather(
        &self,
        iv: &[u8],
        aad: &[u8],
        ct: &[u8],
        tag: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError>;
}

/// [`AeadOutOfPlace`] over an aws-lc-rs key, for the AEADs whose full 16-octet tag is the ICV:
/// one message's key and nonce.
pub(crate) struct FullTag<'a> {
    pub what: &'static str,
    pub key: &'a aws_lc_rs::aead::LessSafeKey,
    pub nonce: [u8; 12],
}

impl FullTag<'_> {
    pub(crate) fn seal_scatter(
        self,
        aad: &[u8],
        plaintext: &[u8],
        ct_out: &mut [u8],
        extra: &[u8],
        extra_out_and_tag: &mut [u8],
    ) -> Result<(), CryptoError> {
        use aws_lc_rs::aead::{Aad, Nonce};
        if ct_out.len() != plaintext.len() {
            return Err(CryptoError::length(
                self.what,
                "ciphertext output",
                plaintext.len(),
                ct_out.len(),
            ));
        }
        if extra_out_and_tag.len() != extra.len() + 16 {
            return Err(CryptoError::length(
                self.what,
                "trailer and ICV output",
                extra.len() + 16,
                extra_out_and_tag.len(),
            ));
        }
        self.key
            .seal_out_of_place_scatter(
                Nonce::assume_unique_for_key(self.nonce),
                Aad::from(aad),
                plaintext,
                ct_out,
                extra,
                extra_out_and_tag,
            )
            .map_err(|e| CryptoError::rejected(self.what, e))
    }

    pub(crate) fn open_gather(
        self,
        aad: &[u8],
        ct: &[u8],
        tag: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        use aws_lc_rs::aead::{Aad, Nonce};
        if tag.len() != 16 {
            return Err(CryptoError::length(self.what, "ICV", 16, tag.len()));
        }
        if out.len() != ct.len() {
            return Err(CryptoError::length(
                self.what,
                "plaintext output",
                ct.len(),
                out.len(),
            ));
        }
        let r = self
            .key
            .open_separate_gather(
                Nonce::assume_unique_for_key(self.nonce),
                Aad::from(aad),
                ct,
                tag,
                out,
            )
            .map_err(|_| CryptoError::Integrity { what: self.what });
        if r.is_err() {
            out.fill(0);
        }
        r
    }
}

/// An unauthenticated block cipher in CBC mode (or ENCR_NULL), used with a
/// separate [`crate::integ::Mac`].
pub trait BlockCipher: Send + Sync {
    /// Algorithm name, for errors and logs.
    fn name(&self) -> &'static str;
    /// Block size; inputs must be a multiple of it.
    fn block_len(&self) -> usize;
    /// IV length carried in the packet.
    fn iv_len(&self) -> usize;
    /// Encrypts `in_out` (a whole number of blocks) in place.
    fn encrypt_in_place(&self, iv: &[u8], in_out: &mut [u8]) -> Result<(), CryptoError>;
    /// Decrypts `in_out` (a whole number of blocks) in place.
    fn decrypt_in_place(&self, iv: &[u8], in_out: &mut [u8]) -> Result<(), CryptoError>;
}

/// Builds the 12-octet AEAD nonce `salt ‖ iv`.
pub(crate) fn aead_nonce(
    what: &'static str,
    salt: &[u8; AEAD_SALT_LEN],
    iv: &[u8],
) -> Result<[u8; 12], CryptoError> {
    if iv.len() != AEAD_IV_LEN {
        return Err(CryptoError::length(what, "IV", AEAD_IV_LEN, iv.len()));
    }
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(salt);
    n[4..].copy_from_slice(iv);
    Ok(n)
}

/// Splits AEAD key material `key ‖ salt`.
pub(crate) fn split_salt<'a>(
    what: &'static str,
    keymat: &'a [u8],
    key_len: usize,
) -> Result<(&'a [u8], [u8; AEAD_SALT_LEN]), CryptoError> {
    if keymat.len() != key_len + AEAD_SALT_LEN {
        return Err(CryptoError::length(
            what,
            "key material (key ‖ salt)",
            key_len + AEAD_SALT_LEN,
            keymat.len(),
        ));
    }
    let (key, salt) = keymat.split_at(key_len);
    let mut s = [0u8; AEAD_SALT_LEN];
    s.copy_from_slice(salt);
    Ok((key, s))
}

pub(crate) fn check_block(what: &'static str, len: usize, block: usize) -> Result<(), CryptoError> {
    if !len.is_multiple_of(block) {
        return Err(CryptoError::NotBlockAligned { what, len, block });
    }
    Ok(())
}
