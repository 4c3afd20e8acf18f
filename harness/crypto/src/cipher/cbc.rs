//! CBC-mode block ciphers (AES RFC 3602, 3DES RFC 2451, DES RFC 2405) and
//! ENCR_NULL (RFC 2410). IKE/ESP pad themselves, so these take whole blocks and
//! add no padding.

#![allow(deprecated)] // aws-lc-rs marks its DES constants deprecated (legacy use only), as are we.

use super::{check_block, BlockCipher};
use crate::CryptoError;
use aws_lc_rs::cipher::{
    Algorithm, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;

/// Encrypting and decrypting halves of one key, both scheduled at construction.
struct CbcKeys {
    name: &'static str,
    block: usize,
    enc: EncryptingKey,
    dec: DecryptingKey,
}

impl CbcKeys {
    fn new(
        name: &'static str,
        alg: &'static Algorithm,
        key: &[u8],
        key_len: usize,
    ) -> Result<Self, CryptoError> {
        if key.len() != key_len {
            return Err(CryptoError::length(name, "key", key_len, key.len()));
        }
        let unbound =
            || UnboundCipherKey::new(alg, key).map_err(|e| CryptoError::rejected(name, e));
        Ok(Self {
            name,
            block: alg.block_len(),
            enc: EncryptingKey::cbc(unbound()?).map_err(|e| CryptoError::rejected(name, e))?,
            dec: DecryptingKey::cbc(unbound()?).map_err(|e| CryptoError::rejected(name, e))?,
        })
    }

    fn contexts(&self, iv: &[u8]) -> Result<(EncryptionContext, DecryptionContext), CryptoError> {
        if iv.len() != self.block {
            return Err(CryptoError::length(self.name, "IV", self.block, iv.len()));
        }
        let err = |_| CryptoError::length(self.name, "IV", self.block, iv.len());
        Ok(match self.block {
            16 => (
                EncryptionContext::Iv128(FixedLength::try_from(iv).map_err(err)?),
                DecryptionContext::Iv128(FixedLength::try_from(iv).map_err(err)?),
            ),
            _ => (
                EncryptionContext::Iv64(FixedLength::try_from(iv).map_err(err)?),
                DecryptionContext::Iv64(FixedLength::try_from(iv).map_err(err)?),
            ),
        })
    }

    fn encrypt(&self, iv: &[u8], in_out: &mut [u8]) -> Result<(), CryptoError> {
        check_block(self.name, in_out.len(), self.block)?;
        let (ctx, _) = self.contexts(iv)?;
        self.enc
            .less_safe_encrypt(in_out, ctx)
            .map(|_| ())
            .map_err(|e| CryptoError::rejected(self.name, e))
    }

    fn decrypt(&self, iv: &[u8], in_out: &mut [u8]) -> Result<(), CryptoError> {
        check_block(self.name, in_out.len(), self.block)?;
        let (_, ctx) = self.contexts(iv)?;
        self.dec
            .decrypt(in_out, ctx)
            .map(|_| ())
            .map_err(|e| CryptoError::rejected(self.name, e))
    }
}

macro_rules! cbc_cipher {
    ($(#[$doc:meta])* $ty:ident) => {
        $(#[$doc])*
        pub struct $ty(CbcKeys);

        impl BlockCipher for $ty {
            fn name(&self) -> &'static str {
                self.0.name
            }
            fn block_len(&self) -> usize {
                self.0.block
            }
            fn iv_len(&self) -> usize {
                self.0.block
            }
            fn encrypt_in_place(&self, iv: &[u8], in_out: &mut [u8]) -> Result<(), CryptoError> {
                self.0.encrypt(iv, in_out)
            }
            fn decrypt_in_place(&self, iv: &[u8], in_out: &mut [u8]) -> Result<(), CryptoError> {
                self.0.decrypt(iv, in_out)
            }
        }
    };
}

cbc_cipher!(
    /// AES-CBC with a 128, 192 or 256-bit key (RFC 3602).
    AesCbc
);
cbc_cipher!(
    /// Triple DES (EDE3) in CBC mode (RFC 2451). Insecure; kept for legacy peers.
    TripleDesCbc
);
cbc_cipher!(
    /// Single DES in CBC mode (RFC 2405). Insecure; kept for legacy peers.
    DesCbc
);

impl AesCbc {
    /// `key` is 16, 24 or 32 octets.
    pub fn new(key: &[u8]) -> Result<Self, CryptoError> {
        let (name, alg) = match key.len() {
            16 => ("AES-CBC-128", &aws_lc_rs::cipher::AES_128),
            24 => ("AES-CBC-192", &aws_lc_rs::cipher::AES_192),
            32 => ("AES-CBC-256", &aws_lc_rs::cipher::AES_256),
            n => return Err(CryptoError::length("AES-CBC", "key", 32, n)),
        };
        Ok(Self(CbcKeys::new(name, alg, key, key.len())?))
    }
}

impl TripleDesCbc {
    /// `key` is 24 octets (three independent DES keys; weak or repeated keys are rejected).
    pub fn new(key: &[u8]) -> Result<Self, CryptoError> {
        Ok(Self(CbcKeys::new(
            "3DES-CBC",
            &aws_lc_rs::cipher::DES_EDE3_FOR_LEGACY_USE_ONLY,
            key,
            24,
        )?))
    }
}

impl DesCbc {
    /// `key` is 8 octets (weak and semi-weak keys are rejected).
    pub fn new(key: &[u8]) -> Result<Self, CryptoError> {
        Ok(Self(CbcKeys::new(
            "DES-CBC",
            &aws_lc_rs::cipher::DES_FOR_LEGACY_USE_ONLY,
            key,
            8,
        )?))
    }
}

/// ENCR_NULL (RFC 2410): no key, no IV, block size 1, identity.
/// A real ESP transform (integrity-only ESP), not the fuzzing null provider.
#[derive(Debug, Default)]
pub struct NullCipher;

impl BlockCipher for NullCipher {
    fn name(&self) -> &'static str {
        "NULL"
    }
    fn block_len(&self) -> usize {
        1
    }
    fn iv_len(&self) -> usize {
        0
    }
    fn encrypt_in_place(&self, iv: &[u8], _in_out: &mut [u8]) -> Result<(), CryptoError> {
        if !iv.is_empty() {
            return Err(CryptoError::length("NULL", "IV", 0, iv.len()));
        }
        Ok(())
    }
    fn decrypt_in_place(&self, iv: &[u8], in_out: &mut [u8]) -> Result<(), CryptoError> {
        self.encrypt_in_place(iv, in_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_partial_blocks() {
        let key3 = [
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
            0xef, 0x01, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
        ];
        let ciphers: Vec<Box<dyn BlockCipher>> = vec![
            Box::new(AesCbc::new(&[7; 16]).unwrap()),
            Box::new(AesCbc::new(&[7; 24]).unwrap()),
            Box::new(AesCbc::new(&[7; 32]).unwrap()),
            Box::new(TripleDesCbc::new(&key3).unwrap()),
            Box::new(DesCbc::new(&key3[..8]).unwrap()),
        ];
        for c in ciphers {
            let b = c.block_len();
            let iv = vec![3u8; c.iv_len()];
            let pt: Vec<u8> = (0..4 * b as u8).collect();
            let mut buf = pt.clone();
            c.encrypt_in_place(&iv, &mut buf).unwrap();
            assert_ne!(buf, pt, "{}", c.name());
            c.decrypt_in_place(&iv, &mut buf).unwrap();
            assert_eq!(buf, pt, "{}", c.name());
            let mut odd = vec![0u8; b + 1];
            assert!(matches!(
                c.encrypt_in_place(&iv, &mut odd),
                Err(CryptoError::NotBlockAligned { .. })
            ));
            assert!(matches!(
                c.decrypt_in_place(&iv[1..], &mut buf),
                Err(CryptoError::Length { field: "IV", .. })
            ));
        }
    }

    #[test]
    fn weak_des_keys_are_rejected() {
        assert!(DesCbc::new(&[0x01; 8]).is_err());
        assert!(TripleDesCbc::new(&[0x55; 24]).is_err());
        assert!(AesCbc::new(&[0; 20]).is_err());
    }
}
