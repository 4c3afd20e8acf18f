//! Finite-field Diffie-Hellman over the RFC 2409 / RFC 3526 MODP groups with
//! crypto-bigint's constant-time Montgomery exponentiation.

use super::modp_primes::*;
use crate::rng::SecureRandom;
use crate::{CryptoError, KeyBytes};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use std::sync::OnceLock;

pub(crate) struct ModpGroup {
    bits: u32,
    len: usize,
    p_bytes: Vec<u8>,
    params: BoxedMontyParams,
}

fn parse(hex_p: &str) -> Result<ModpGroup, CryptoError> {
    let p_bytes = hex::decode(hex_p).map_err(|e| CryptoError::rejected("MODP prime table", e))?;
    let bits = (p_bytes.len() * 8) as u32;
    let p = BoxedUint::from_be_slice(&p_bytes, bits)
        .map_err(|e| CryptoError::rejected("MODP prime", format!("{e:?}")))?;
    let odd = Odd::new(p)
        .into_option()
        .ok_or_else(|| CryptoError::rejected("MODP prime", "even modulus"))?;
    Ok(ModpGroup {
        bits,
        len: p_bytes.len(),
        p_bytes,
        params: BoxedMontyParams::new(odd),
    })
}

/// The group for IANA ID `id`, parsed once.
pub(crate) fn group(id: u16, bits: usize) -> Result<&'static ModpGroup, CryptoError> {
    macro_rules! cached {
        ($c:ident) => {{
            static CELL: OnceLock<Result<ModpGroup, CryptoError>> = OnceLock::new();
            CELL.get_or_init(|| parse($c))
                .as_ref()
                .map_err(Clone::clone)
        }};
    }
    let g = match id {
        1 => cached!(MODP_1),
        2 => cached!(MODP_2),
        5 => cached!(MODP_5),
        14 => cached!(MODP_14),
        15 => cached!(MODP_15),
        16 => cached!(MODP_16),
        17 => cached!(MODP_17),
        18 => cached!(MODP_18),
        _ => {
            return Err(CryptoError::Unsupported {
                kind: crate::TransformType::Ke,
                id,
                key_bits: None,
            })
        }
    }?;
    if g.len * 8 != bits {
        return Err(CryptoError::rejected(
            "MODP group table",
            "modulus size mismatch",
        ));
    }
    Ok(g)
}

/// A random exponent of exactly `bits` bits (top bit set, so never 0 or 1).
pub(crate) fn random_exponent(bits: u32, rng: &dyn SecureRandom) -> Result<KeyBytes, CryptoError> {
    let len = bits.div_ceil(8) as usize;
    let mut x = KeyBytes::zeroed(len);
    rng.fill(x.as_mut_bytes())?;
    let top = (bits - 1) % 8;
    let b = &mut x.as_mut_bytes()[0];
    *b &= (1u16 << (top + 1)).wrapping_sub(1) as u8;
    *b |= 1 << top;
    Ok(x)
}

impl ModpGroup {
    fn pow(&self, base: BoxedUint, exponent: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if exponent.is_empty() || exponent.len() > self.len {
            return Err(CryptoError::length(
                "MODP",
                "private exponent",
                self.len,
                exponent.len(),
            ));
        }
        let mut e = BoxedUint::from_be_slice(exponent, self.bits)
            .map_err(|e| CryptoError::rejected("MODP exponent", format!("{e:?}")))?;
        let ebits = (exponent.len() * 8) as u32;
        let r = BoxedMontyForm::new(base, &self.params)
            .pow_bounded_exp(&e, ebits)
            .retrieve();
        zeroize::Zeroize::zeroize(&mut e);
        // The result is reduced mod p, so it fits the modulus length; RFC 7296 §3.4
        // and §2.14 want it left-padded to exactly that length.
        let bytes = r.to_be_bytes();
        let mut out = vec![0u8; self.len];
        let off = bytes.len().saturating_sub(self.len);
        let src = &bytes[off..];
        out[self.len - src.len()..].copy_from_slice(src);
        Ok(out)
    }

    /// g^x mod p with g = 2.
    pub(crate) fn public(&self, x: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.pow(
            BoxedUint::from_be_slice(&[2], self.bits)
                .map_err(|e| CryptoError::rejected("MODP", format!("{e:?}")))?,
            x,
        )
    }

    /// RFC 7296 §3.4 (length = modulus) and RFC 6989 §2.1 (1 < y < p-1). The groups
    /// here are safe primes, so the range check is sufficient (RFC 6989 §2.2).
    pub(crate) fn validate(&self, what: &'static str, y: &[u8]) -> Result<(), CryptoError> {
        if y.len() != self.len {
            return Err(CryptoError::InvalidPublicValue {
                what,
                reason: "length differs from the modulus length",
            });
        }
        // Public values: variable-time comparisons are fine.
        let mut p_minus_1 = self.p_bytes.clone();
        if let Some(last) = p_minus_1.last_mut() {
            *last -= 1; // p is odd
        }
        let le_one = y[..self.len - 1].iter().all(|&b| b == 0) && y[self.len - 1] <= 1;
        if le_one {
            return Err(CryptoError::InvalidPublicValue {
                what,
                reason: "y <= 1",
            });
        }
        if y >= &p_minus_1[..] {
            return Err(CryptoError::InvalidPublicValue {
                what,
                reason: "y >= p-1",
            });
        }
        Ok(())
    }

    /// g^ir = y^x mod p, padded to the modulus length.
    pub(crate) fn shared(
        &self,
        what: &'static str,
        x: &[u8],
        y: &[u8],
    ) -> Result<KeyBytes, CryptoError> {
        self.validate(what, y)?;
        let base = BoxedUint::from_be_slice(y, self.bits)
            .map_err(|e| CryptoError::rejected(what, format!("{e:?}")))?;
        Ok(KeyBytes::new(self.pow(base, x)?))
    }
}
