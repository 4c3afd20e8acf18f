//! Does a PKCS#8 private key belong to a certificate? Compares the key's public half with the
//! certificate's SubjectPublicKeyInfo, so a PKCS#12 identity is only used when it can sign.

use const_oid::db::rfc5912;
use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, BitStringRef, OctetStringRef};
use der::Decode;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::{DecodePrivateKey, PrivateKeyInfo};
use x509_cert::Certificate;

/// SEC 1 `ECPrivateKey` (RFC 5915).
#[derive(der::Sequence)]
struct EcPrivateKey<'a> {
    version: u8,
    d: OctetStringRef<'a>,
    /// Declared so that `[1]` can be read after it; the curve comes from PKCS#8.
    #[allow(dead_code)]
    #[asn1(context_specific = "0", optional = "true")]
    params: Option<AnyRef<'a>>,
    #[asn1(context_specific = "1", optional = "true")]
    public: Option<BitStringRef<'a>>,
}

/// Whether the key matches the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMatch {
    Yes,
    No,
    /// The key type cannot be compared here (P-521 without an embedded public key, EdDSA).
    Unchecked,
}

/// Compares `pkcs8` (PrivateKeyInfo DER) with `cert`'s public key; `Err` when the key cannot
/// be read at all.
pub fn key_matches(cert: &Certificate, pkcs8: &[u8]) -> Result<KeyMatch, String> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let cert_bits = spki.subject_public_key.raw_bytes();
    let info = PrivateKeyInfo::from_der(pkcs8).map_err(|e| format!("PKCS#8 key: {e}"))?;
    let alg = info.algorithm.oid;
    if alg == rfc5912::RSA_ENCRYPTION {
        if spki.algorithm.oid != rfc5912::RSA_ENCRYPTION {
            return Ok(KeyMatch::No);
        }
        let key = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8).map_err(|e| format!("RSA key: {e}"))?;
        let Ok(cert_key) = rsa::RsaPublicKey::from_pkcs1_der(cert_bits) else {
            return Ok(KeyMatch::No);
        };
        return Ok(if key.to_public_key() == cert_key {
            KeyMatch::Yes
        } else {
            KeyMatch::No
        });
    }
    if alg != rfc5912::ID_EC_PUBLIC_KEY {
        return Ok(if alg == spki.algorithm.oid {
            KeyMatch::Unchecked
        } else {
            KeyMatch::No
        });
    }
    if spki.algorithm.oid != rfc5912::ID_EC_PUBLIC_KEY {
        return Ok(KeyMatch::No);
    }
    let curve_of =
        |p: Option<&der::asn1::Any>| p.and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let key_curve = info
        .algorithm
        .parameters
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let cert_curve = curve_of(spki.algorithm.parameters.as_ref());
    if key_curve.is_none() || key_curve != cert_curve {
        return Ok(KeyMatch::No);
    }
    let ec = EcPrivateKey::from_der(info.private_key).map_err(|e| format!("EC key: {e}"))?;
    if ec.version != 1 {
        return Err(format!("EC key: version {} (1 expected)", ec.version));
    }
    let d = ec.d.as_bytes();
    let same = match key_curve {
        Some(rfc5912::SECP_256_R_1) => {
            let k =
                p256::ecdsa::SigningKey::from_slice(d).map_err(|e| format!("P-256 key: {e}"))?;
            p256::ecdsa::VerifyingKey::from_sec1_bytes(cert_bits)
                .is_ok_and(|c| *k.verifying_key() == c)
        }
        Some(rfc5912::SECP_384_R_1) => {
            let k =
                p384::ecdsa::SigningKey::from_slice(d).map_err(|e| format!("P-384 key: {e}"))?;
            p384::ecdsa::VerifyingKey::from_sec1_bytes(cert_bits)
                .is_ok_and(|c| *k.verifying_key() == c)
        }
        _ => match ec.public.and_then(|p| p.as_bytes()) {
            Some(p) => p == cert_bits,
            None => return Ok(KeyMatch::Unchecked),
        },
    };
    Ok(if same { KeyMatch::Yes } else { KeyMatch::No })
}
