//! X25519 (aws-lc) and X448 (RustCrypto `x448`) for IKEv2 (RFC 8031).

use crate::{CryptoError, KeyBytes};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};

const X25519: &str = "Curve25519";
const X448: &str = "Curve448";

pub(crate) fn x25519_from_private(scalar: &[u8]) -> Result<(PrivateKey, Vec<u8>), CryptoError> {
    if scalar.len() != 32 {
        return Err(CryptoError::length(X25519, "private key", 32, scalar.len()));
    }
    let key = PrivateKey::from_private_key(&agreement::X25519, scalar)
        .map_err(|e| CryptoError::rejected(X25519, e))?;
    let public = key
        .compute_public_key()
        .map_err(|e| CryptoError::rejected(X25519, e))?;
    Ok((key, public.as_ref().to_vec()))
}

pub(crate) fn x25519_agree(key: &PrivateKey, peer: &[u8]) -> Result<KeyBytes, CryptoError> {
    if peer.len() != 32 {
        return Err(CryptoError::InvalidPublicValue {
            what: X25519,
            reason: "wrong length",
        });
    }
    // aws-lc's X25519 fails on an all-zero result, which is exactly the RFC 8031 check.
    agreement::agree(
        key,
        UnparsedPublicKey::new(&agreement::X25519, peer),
        CryptoError::InvalidPublicValue {
            what: X25519,
            reason: "low-order point (all-zero shared secret)",
        },
        |s| Ok(KeyBytes::from_slice(s)),
    )
}

fn arr56(what: &'static str, field: &'static str, b: &[u8]) -> Result<[u8; 56], CryptoError> {
    b.try_into()
        .map_err(|_| CryptoError::length(what, field, 56, b.len()))
}

pub(crate) fn x448_public(scalar: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let s = arr56(X448, "private key", scalar)?;
    x448::x448(s, x448::X448_BASEPOINT_BYTES)
        .map(|p| p.to_vec())
        .ok_or_else(|| CryptoError::rejected(X448, "base point multiplication failed"))
}

pub(crate) fn x448_agree(scalar: &[u8], peer: &[u8]) -> Result<KeyBytes, CryptoError> {
    if peer.len() != 56 {
        return Err(CryptoError::InvalidPublicValue {
            what: X448,
            reason: "wrong length",
        });
    }
    let s = arr56(X448, "private key", scalar)?;
    let p = arr56(X448, "public value", peer)?;
    // x448() returns None for low-order points, whose result would be all zero.
    let mut out = x448::x448(s, p).ok_or(CryptoError::InvalidPublicValue {
        what: X448,
        reason: "low-order point (all-zero shared secret)",
    })?;
    let k = KeyBytes::from_slice(&out);
    zeroize::Zeroize::zeroize(&mut out);
    if k.as_bytes().iter().all(|&b| b == 0) {
        return Err(CryptoError::InvalidPublicValue {
            what: X448,
            reason: "low-order point (all-zero shared secret)",
        });
    }
    Ok(k)
}
