//! NIST prime-curve ECDH with the IKEv2 encoding of RFC 5903 §7: the public value
//! is `x ‖ y` (no SEC 1 0x04 prefix), the shared secret is the x coordinate.

use crate::{CryptoError, KeyBytes};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};

fn alg(coord_len: usize) -> Result<&'static agreement::Algorithm, CryptoError> {
    match coord_len {
        32 => Ok(&agreement::ECDH_P256),
        48 => Ok(&agreement::ECDH_P384),
        66 => Ok(&agreement::ECDH_P521),
        n => Err(CryptoError::length("ECP", "coordinate", 32, n)),
    }
}

pub(crate) fn from_private(
    what: &'static str,
    coord_len: usize,
    scalar: &[u8],
) -> Result<(PrivateKey, Vec<u8>), CryptoError> {
    if scalar.len() != coord_len {
        return Err(CryptoError::length(
            what,
            "private scalar",
            coord_len,
            scalar.len(),
        ));
    }
    let key = PrivateKey::from_private_key(alg(coord_len)?, scalar)
        .map_err(|e| CryptoError::rejected(what, e))?;
    let public = key
        .compute_public_key()
        .map_err(|e| CryptoError::rejected(what, e))?;
    // SEC 1 uncompressed 0x04 ‖ x ‖ y → IKE's x ‖ y.
    match public.as_ref().split_first() {
        Some((0x04, xy)) if xy.len() == 2 * coord_len => Ok((key, xy.to_vec())),
        _ => Err(CryptoError::rejected(
            what,
            "unexpected public key encoding from aws-lc",
        )),
    }
}

pub(crate) fn validate(
    what: &'static str,
    coord_len: usize,
    peer: &[u8],
) -> Result<(), CryptoError> {
    if peer.len() != 2 * coord_len {
        return Err(CryptoError::InvalidPublicValue {
            what,
            reason: "length is not 2 × the coordinate size (x ‖ y)",
        });
    }
    // Parse (on-curve check) without agreeing.
    let mut sec1 = Vec::with_capacity(1 + peer.len());
    sec1.push(0x04);
    sec1.extend_from_slice(peer);
    let parsed: Result<agreement::ParsedPublicKey, _> =
        UnparsedPublicKey::new(alg(coord_len)?, &sec1).try_into();
    parsed
        .map(|_| ())
        .map_err(|_| CryptoError::InvalidPublicValue {
            what,
            reason: "not a point on the curve",
        })
}

pub(crate) fn agree(
    what: &'static str,
    coord_len: usize,
    key: &PrivateKey,
    peer: &[u8],
) -> Result<KeyBytes, CryptoError> {
    validate(what, coord_len, peer)?;
    let mut sec1 = Vec::with_capacity(1 + peer.len());
    sec1.push(0x04);
    sec1.extend_from_slice(peer);
    agreement::agree(
        key,
        UnparsedPublicKey::new(alg(coord_len)?, &sec1),
        CryptoError::InvalidPublicValue {
            what,
            reason: "not a point on the curve",
        },
        |s| Ok(KeyBytes::from_slice(s)),
    )
}
