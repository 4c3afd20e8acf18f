//! Signature verification for CMS signers and certificate chains (RSA PKCS#1 v1.5, ECDSA P-256/P-384).

use const_oid::db::rfc5912;
use const_oid::ObjectIdentifier;
use der::Encode;
use sha2::Digest;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<HashAlg> {
        Some(match *oid {
            rfc5912::ID_SHA_1 => HashAlg::Sha1,
            rfc5912::ID_SHA_256 => HashAlg::Sha256,
            rfc5912::ID_SHA_384 => HashAlg::Sha384,
            rfc5912::ID_SHA_512 => HashAlg::Sha512,
            _ => return None,
        })
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha1 => sha1::Sha1::digest(data).to_vec(),
            HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The algorithm or key type is outside what this checker can verify.
    Unsupported(String),
    /// The signature is well-formed but does not verify.
    Invalid,
}

/// `ecdsa-with-SHA1` (RFC 3279); not in const-oid's RFC 5912 table.
const ECDSA_WITH_SHA_1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");

enum SigKind {
    Rsa,
    Ecdsa,
}

/// The hash and family of a signature algorithm; `hint` is the CMS digest algorithm for
/// signature OIDs that name only the key type (`rsaEncryption`, `id-ecPublicKey`).
fn classify(
    sig: &AlgorithmIdentifierOwned,
    hint: Option<HashAlg>,
) -> Result<(SigKind, HashAlg), VerifyError> {
    let need_hint = || {
        hint.ok_or_else(|| VerifyError::Unsupported("signature algorithm without a hash".into()))
    };
    Ok(match sig.oid {
        rfc5912::RSA_ENCRYPTION => (SigKind::Rsa, need_hint()?),
        rfc5912::SHA_1_WITH_RSA_ENCRYPTION => (SigKind::Rsa, HashAlg::Sha1),
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION => (SigKind::Rsa, HashAlg::Sha256),
        rfc5912::SHA_384_WITH_RSA_ENCRYPTION => (SigKind::Rsa, HashAlg::Sha384),
        rfc5912::SHA_512_WITH_RSA_ENCRYPTION => (SigKind::Rsa, HashAlg::Sha512),
        rfc5912::ID_EC_PUBLIC_KEY => (SigKind::Ecdsa, need_hint()?),
        ECDSA_WITH_SHA_1 => (SigKind::Ecdsa, HashAlg::Sha1),
        rfc5912::ECDSA_WITH_SHA_256 => (SigKind::Ecdsa, HashAlg::Sha256),
        rfc5912::ECDSA_WITH_SHA_384 => (SigKind::Ecdsa, HashAlg::Sha384),
        rfc5912::ECDSA_WITH_SHA_512 => (SigKind::Ecdsa, HashAlg::Sha512),
        other => {
            return Err(VerifyError::Unsupported(format!(
                "signature algorithm {}",
                super::oid_name(&other)
            )))
        }
    })
}

/// Verifies `signature` over `message` with the key in `spki`.
pub fn verify(
    spki: &SubjectPublicKeyInfoOwned,
    sig_alg: &AlgorithmIdentifierOwned,
    hint: Option<HashAlg>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    let (kind, hash) = classify(sig_alg, hint)?;
    let digest = hash.digest(message);
    let key_bits = spki.subject_public_key.raw_bytes();
    match kind {
        SigKind::Rsa => {
            use rsa::pkcs1::DecodeRsaPublicKey;
            if spki.algorithm.oid != rfc5912::RSA_ENCRYPTION {
                return Err(VerifyError::Unsupported(
                    "RSA signature with a non-RSA key".into(),
                ));
            }
            let key = rsa::RsaPublicKey::from_pkcs1_der(key_bits)
                .map_err(|e| VerifyError::Unsupported(format!("RSA key: {e}")))?;
            let scheme = match hash {
                HashAlg::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                HashAlg::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                HashAlg::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                HashAlg::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
            };
            key.verify(scheme, &digest, signature)
                .map_err(|_| VerifyError::Invalid)
        }
        SigKind::Ecdsa => {
            use p256::ecdsa::signature::hazmat::PrehashVerifier;
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            match curve {
                Some(rfc5912::SECP_256_R_1) => {
                    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bits)
                        .map_err(|_| VerifyError::Unsupported("malformed P-256 key".into()))?;
                    let sig = p256::ecdsa::Signature::from_der(signature)
                        .map_err(|_| VerifyError::Invalid)?;
                    vk.verify_prehash(&digest, &sig)
                        .map_err(|_| VerifyError::Invalid)
                }
                Some(rfc5912::SECP_384_R_1) => {
                    let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bits)
                        .map_err(|_| VerifyError::Unsupported("malformed P-384 key".into()))?;
                    let sig = p384::ecdsa::Signature::from_der(signature)
                        .map_err(|_| VerifyError::Invalid)?;
                    vk.verify_prehash(&digest, &sig)
                        .map_err(|_| VerifyError::Invalid)
                }
                other => Err(VerifyError::Unsupported(format!(
                    "ECDSA curve {}",
                    other.map_or("(none)".to_string(), |o| super::oid_name(&o))
                ))),
            }
        }
    }
}

/// Verifies that `issuer` signed `cert`.
pub fn verify_cert(cert: &Certificate, issuer: &Certificate) -> Result<(), VerifyError> {
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(|e| VerifyError::Unsupported(format!("re-encoding certificate: {e}")))?;
    let sig = cert
        .signature
        .as_bytes()
        .ok_or_else(|| VerifyError::Unsupported("signature is not whole bytes".into()))?;
    verify(
        &issuer.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm,
        None,
        &tbs,
        sig,
    )
}
