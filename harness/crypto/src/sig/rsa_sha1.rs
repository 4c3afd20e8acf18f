//! RSASSA-PKCS1-v1_5 with SHA-1 (RFC 8017 §8.2.1), for IKEv2 AUTH method 1 ("RSA Digital
//! Signature", RFC 7296 §3.8) towards peers that announce no RFC 7427 hash algorithms.
//!
//! aws-lc verifies such signatures but refuses to make them, and a responder with an RSA
//! certificate could then not answer such a peer at all. The EMSA-PKCS1-v1_5 encoding is built
//! here; the private-key operation is crypto-bigint's constant-time Montgomery exponentiation
//! (the same code as the MODP groups). Every signature is verified with aws-lc before it is
//! returned, so a wrong result can never reach the wire.

use aws_lc_rs::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY};
use aws_lc_rs::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use zeroize::Zeroize;

use super::der;
use crate::CryptoError;

const WHAT: &str = "RSA PKCS#1 v1.5 SHA-1 signature";

/// DigestInfo prefix for SHA-1 (RFC 8017 §9.2 note 1).
const SHA1_DIGEST_INFO: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];

fn bad(reason: impl Into<String>) -> CryptoError {
    CryptoError::Unrecognised {
        what: WHAT,
        reason: reason.into(),
    }
}

/// The parts of a PKCS#8 RSA key this signer needs (RFC 8017 A.1.2).
struct RsaPrivate<'a> {
    n: &'a [u8],
    e: &'a [u8],
    d: &'a [u8],
}

/// An INTEGER's magnitude without the sign octet DER adds before a set top bit.
fn unsigned(v: &[u8]) -> &[u8] {
    match v {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => v,
    }
}

fn parse(pkcs8: &[u8]) -> Result<RsaPrivate<'_>, CryptoError> {
    let (info, _) = der::expect(WHAT, der::SEQUENCE, pkcs8)?;
    let (_version, rest) = der::expect(WHAT, der::INTEGER, info)?;
    let (_algorithm, rest) = der::expect(WHAT, der::SEQUENCE, rest)?;
    let (key, _) = der::expect(WHAT, 0x04, rest)?;
    let (key, _) = der::expect(WHAT, der::SEQUENCE, key)?;
    let (version, rest) = der::expect(WHAT, der::INTEGER, key)?;
    if version != [0] {
        return Err(bad("only two-prime RSA keys (version 0) are supported"));
    }
    let (n, rest) = der::expect(WHAT, der::INTEGER, rest)?;
    let (e, rest) = der::expect(WHAT, der::INTEGER, rest)?;
    let (d, _) = der::expect(WHAT, der::INTEGER, rest)?;
    Ok(RsaPrivate {
        n: unsigned(n),
        e: unsigned(e),
        d: unsigned(d),
    })
}

/// EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of `msg` with SHA-1, `k` octets long.
fn encode(msg: &[u8], k: usize) -> Result<Vec<u8>, CryptoError> {
    let h = digest(&SHA1_FOR_LEGACY_USE_ONLY, msg);
    let t_len = SHA1_DIGEST_INFO.len() + h.as_ref().len();
    if k < t_len + 11 {
        return Err(bad(format!("a {k}-octet modulus is too short")));
    }
    let mut em = vec![0xff; k];
    em[0] = 0x00;
    em[1] = 0x01;
    em[k - t_len - 1] = 0x00;
    em[k - t_len..k - h.as_ref().len()].copy_from_slice(&SHA1_DIGEST_INFO);
    em[k - h.as_ref().len()..].copy_from_slice(h.as_ref());
    Ok(em)
}

/// Signs `msg` with the RSA key in `pkcs8` (RSASSA-PKCS1-v1_5, SHA-1).
pub(crate) fn sign(pkcs8: &[u8], msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let key = parse(pkcs8)?;
    let k = key.n.len();
    if !(256..=1024).contains(&k) {
        return Err(bad(format!(
            "{}-bit modulus: only 2048 to 8192 bits are signed",
            k * 8
        )));
    }
    let bits = (k * 8) as u32;
    let n = BoxedUint::from_be_slice(key.n, bits).map_err(|e| bad(format!("modulus: {e:?}")))?;
    let n = Odd::new(n)
        .into_option()
        .ok_or_else(|| bad("the modulus is even"))?;
    let params = BoxedMontyParams::new(n);
    let em = BoxedUint::from_be_slice(&encode(msg, k)?, bits)
        .map_err(|e| bad(format!("encoded message: {e:?}")))?;
    let mut d = BoxedUint::from_be_slice(key.d, bits)
        .map_err(|e| bad(format!("private exponent: {e:?}")))?;
    let s = BoxedMontyForm::new(em, &params)
        .pow_bounded_exp(&d, bits)
        .retrieve();
    d.zeroize();
    let bytes = s.to_be_bytes();
    let mut out = vec![0u8; k];
    let src = &bytes[bytes.len().saturating_sub(k)..];
    out[k - src.len()..].copy_from_slice(src);
    RsaPublicKeyComponents { n: key.n, e: key.e }
        .verify(&RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, msg, &out)
        .map_err(|_| bad("the signature made does not verify (corrupt key?)"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_follows_rfc8017() {
        let em = encode(b"abc", 256).unwrap();
        assert_eq!(&em[..2], &[0x00, 0x01]);
        assert!(em[2..256 - 36].iter().all(|&b| b == 0xff));
        assert_eq!(em[256 - 36], 0x00);
        assert_eq!(&em[256 - 35..256 - 20], &SHA1_DIGEST_INFO);
        // SHA-1("abc"), FIPS 180-2 appendix A.1.
        assert_eq!(
            hex::encode(&em[256 - 20..]),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert!(encode(b"abc", 40).is_err());
    }

    #[test]
    fn signatures_verify_with_aws_lc_and_are_deterministic() {
        use crate::integ::HashAlg;
        use crate::sig::{EcdsaEncoding, SigScheme, SigningKey};
        let scheme = SigScheme::RsaPkcs1(HashAlg::Sha1);
        for bits in [2048, 3072] {
            let key = SigningKey::generate_rsa(bits).unwrap();
            let sig = key.sign(scheme, b"octets", EcdsaEncoding::Der).unwrap();
            assert_eq!(sig.len(), bits / 8);
            let public = key.public_key();
            public
                .verify(scheme, b"octets", &sig, EcdsaEncoding::Der)
                .unwrap();
            assert!(public
                .verify(scheme, b"octetz", &sig, EcdsaEncoding::Der)
                .is_err());
            let again = key.sign(scheme, b"octets", EcdsaEncoding::Der).unwrap();
            assert_eq!(sig, again, "PKCS#1 v1.5 is deterministic");
        }
    }

    #[test]
    fn garbage_keys_are_refused_with_a_reason() {
        for key in [
            &[][..],
            &[0x30, 0x03, 0x02, 0x01, 0x00][..],
            &[0x04, 0x00][..],
        ] {
            let err = sign(key, b"m").unwrap_err();
            assert!(err.to_string().contains(WHAT), "{err}");
        }
    }
}
