//! The IKEv2 PRFs (HMAC-based, RFC 2104 / RFC 4868) and prf+ (RFC 7296 §2.13).

use crate::integ::HashAlg;
use crate::{CryptoError, KeyBytes};
use aws_lc_rs::hmac;

/// An HMAC PRF. HMAC takes keys of any length, so the RFC 7296 §2.14 rule for
/// fixed-key PRFs (AES-XCBC/CMAC: split Ni | Nr) does not arise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prf {
    /// Algorithm name.
    pub name: &'static str,
    /// Underlying hash.
    pub hash: HashAlg,
}

impl Prf {
    /// Output length, which is also the preferred key length of SK_d, SK_pi and SK_pr.
    pub fn output_len(&self) -> usize {
        self.hash.output_len()
    }

    /// `prf(key, data)` over the concatenation of `data`.
    pub fn compute(&self, key: &[u8], data: &[&[u8]]) -> KeyBytes {
        let k = hmac::Key::new(self.hash.hmac(), key);
        let mut ctx = hmac::Context::with_key(&k);
        for d in data {
            ctx.update(d);
        }
        KeyBytes::from_slice(ctx.sign().as_ref())
    }

    /// `prf+(key, seed)` truncated to `len` octets:
    /// `T1 = prf(K, S | 0x01)`, `Tn = prf(K, Tn-1 | S | n)`, at most 255 blocks.
    pub fn prf_plus(
        &self,
        key: &[u8],
        seed: &[&[u8]],
        len: usize,
    ) -> Result<KeyBytes, CryptoError> {
        let out_len = self.output_len();
        let max = 255 * out_len;
        if len > max {
            return Err(CryptoError::PrfPlusTooLong {
                prf: self.name,
                max,
                asked: len,
            });
        }
        let k = hmac::Key::new(self.hash.hmac(), key);
        let mut out = KeyBytes::zeroed(len);
        let mut prev: Option<hmac::Tag> = None;
        let mut written = 0;
        let mut counter: u8 = 1;
        while written < len {
            let mut ctx = hmac::Context::with_key(&k);
            if let Some(t) = &prev {
                ctx.update(t.as_ref());
            }
            for s in seed {
                ctx.update(s);
            }
            ctx.update(&[counter]);
            let t = ctx.sign();
            let take = (len - written).min(out_len);
            out.as_mut_bytes()[written..written + take].copy_from_slice(&t.as_ref()[..take]);
            written += take;
            prev = Some(t);
            counter = counter.wrapping_add(1);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: Prf = Prf {
        name: "PRF_HMAC_SHA2_256",
        hash: HashAlg::Sha256,
    };

    #[test]
    fn prf_plus_is_the_iterated_prf() {
        let key = b"key";
        let out = SHA256.prf_plus(key, &[b"se", b"ed"], 70).unwrap();
        let t1 = SHA256.compute(key, &[b"seed", &[1]]);
        let t2 = SHA256.compute(key, &[t1.as_bytes(), b"seed", &[2]]);
        let t3 = SHA256.compute(key, &[t2.as_bytes(), b"seed", &[3]]);
        let mut expect = t1.as_bytes().to_vec();
        expect.extend_from_slice(t2.as_bytes());
        expect.extend_from_slice(&t3.as_bytes()[..6]);
        assert_eq!(out.as_bytes(), &expect[..]);
    }

    #[test]
    fn prf_plus_limit() {
        assert!(SHA256.prf_plus(b"k", &[b"s"], 255 * 32).is_ok());
        assert!(matches!(
            SHA256.prf_plus(b"k", &[b"s"], 255 * 32 + 1),
            Err(CryptoError::PrfPlusTooLong { .. })
        ));
    }
}
