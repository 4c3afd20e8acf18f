//! The null provider for fuzzing (cargo feature `fuzzing`): encryption is the
//! identity and every integrity check passes, so fuzzers reach the states behind
//! SK payload protection. It provides no security.
//!
//! Two guards keep it out of shipped builds:
//! * compile time: enabling the feature in a build that has neither
//!   `debug_assertions` nor `cfg(fuzzing)` (cargo-fuzz sets both) is a
//!   `compile_error!`, so a release binary cannot contain it;
//! * run time: [`crate::Provider::is_null`] is true for it and
//!   [`crate::Provider::ensure_not_null`] refuses it; shipped entry points (the
//!   CLI, the engine's real-network mode) call that on the provider they are given.
//!
//! Key lengths, IV and ICV sizes are those of the real transforms, so message
//! layouts are unchanged; PRFs and key exchange stay real.

#[cfg(not(any(fuzzing, debug_assertions)))]
compile_error!(
    "ikelab-crypto feature `fuzzing` (null crypto) is only allowed in debug or cargo-fuzz (cfg fuzzing) builds"
);

use crate::cipher::{Aead, BlockCipher};
use crate::integ::Mac;
use crate::provider::{null_tables, EncrTransform, IntegTransform, Provider, PRF};
use crate::CryptoError;

/// Null tables for every ENCR and INTEG entry; real PRFs and KE methods.
pub static NULL_FUZZING: Provider = Provider {
    encr: &null_tables::ENCR,
    integ: &null_tables::INTEG,
    prf: &PRF,
    ke: &crate::provider::KE,
};

struct NullAead {
    tag_len: usize,
}

impl Aead for NullAead {
    fn name(&self) -> &'static str {
        "NULL-AEAD (fuzzing)"
    }
    fn tag_len(&self) -> usize {
        self.tag_len
    }
    fn seal_in_place(
        &self,
        _: &[u8],
        _: &[u8],
        _: &mut [u8],
        tag_out: &mut [u8],
    ) -> Result<(), CryptoError> {
        tag_out.fill(0);
        Ok(())
    }
    fn open_in_place(&self, _: &[u8], _: &[u8], _: &mut [u8], _: &[u8]) -> Result<(), CryptoError> {
        Ok(())
    }
}

struct NullBlock {
    block: usize,
    iv: usize,
}

impl BlockCipher for NullBlock {
    fn name(&self) -> &'static str {
        "NULL-CBC (fuzzing)"
    }
    fn block_len(&self) -> usize {
        self.block
    }
    fn iv_len(&self) -> usize {
        self.iv
    }
    fn encrypt_in_place(&self, _: &[u8], in_out: &mut [u8]) -> Result<(), CryptoError> {
        crate::cipher::check_block("NULL-CBC (fuzzing)", in_out.len(), self.block)
    }
    fn decrypt_in_place(&self, iv: &[u8], in_out: &mut [u8]) -> Result<(), CryptoError> {
        self.encrypt_in_place(iv, in_out)
    }
}

struct NullMac {
    icv: usize,
}

impl Mac for NullMac {
    fn name(&self) -> &'static str {
        "NULL-MAC (fuzzing)"
    }
    fn icv_len(&self) -> usize {
        self.icv
    }
    fn sign(&self, _: &[&[u8]], icv_out: &mut [u8]) -> Result<(), CryptoError> {
        icv_out.fill(0);
        Ok(())
    }
    fn verify(&self, _: &[&[u8]], _: &[u8]) -> Result<(), CryptoError> {
        Ok(())
    }
}

pub(crate) fn null_aead(t: &EncrTransform, _: &[u8]) -> Result<Box<dyn Aead>, CryptoError> {
    Ok(Box::new(NullAead { tag_len: t.icv_len }))
}

pub(crate) fn null_block(t: &EncrTransform, _: &[u8]) -> Result<Box<dyn BlockCipher>, CryptoError> {
    Ok(Box::new(NullBlock {
        block: t.block_len,
        iv: t.iv_len,
    }))
}

pub(crate) fn null_mac(t: &IntegTransform, _: &[u8]) -> Result<Box<dyn Mac>, CryptoError> {
    Ok(Box::new(NullMac { icv: t.icv_len }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::IkeSuite;
    use crate::rng::SeededRandom;
    use crate::sk::{SkContext, SkKeys};

    #[test]
    fn null_provider_is_flagged_and_lets_anything_through() {
        assert!(NULL_FUZZING.is_null());
        assert_eq!(
            NULL_FUZZING.ensure_not_null(),
            Err(CryptoError::NullProviderRefused)
        );
        let s = IkeSuite {
            prf: NULL_FUZZING.prf(5).unwrap(),
            encr: NULL_FUZZING.encr(12, Some(128)).unwrap(),
            integ: Some(NULL_FUZZING.integ(12).unwrap()),
        };
        let ctx = SkContext::from_suite(
            &s,
            SkKeys {
                sk_e: &[0; 16],
                sk_a: &[0; 32],
            },
        )
        .unwrap();
        let prefix = [0u8; 32];
        let body = ctx
            .seal(&prefix, b"inner payloads!", &SeededRandom::from_u64(1))
            .unwrap();
        // Identity "encryption": the plaintext is visible in the body.
        assert_eq!(&body[16..31], b"inner payloads!");
        let mut msg = prefix.to_vec();
        msg.extend_from_slice(&body);
        let n = msg.len();
        msg[n - 1] ^= 0xff; // a "wrong" ICV still passes
        assert_eq!(ctx.open(&msg, 32).unwrap(), b"inner payloads!");
    }
}
