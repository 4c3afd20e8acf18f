//! IKE_AUTH signatures: RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA and Ed25519 (aws-lc-rs), keys
//! from PKCS#8 or SubjectPublicKeyInfo, and RFC 7427 AlgorithmIdentifiers ([`algid`]).
//!
//! ECDSA signatures are DER `Ecdsa-Sig-Value` for RFC 7427 (AUTH method 14) and
//! fixed `r ‖ s` for RFC 4754 (AUTH methods 9, 10, 11): see [`EcdsaEncoding`].

pub mod algid;
pub(crate) mod der;
mod rsa_sha1;

use crate::integ::HashAlg;
use crate::rng::SecureRandom;
use crate::{CryptoError, KeyBytes};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use core::fmt;

/// A signature scheme: padding/algorithm and hash. For ECDSA the curve comes
/// from the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigScheme {
    /// RSASSA-PKCS1-v1_5 (SHA-1: verification only, for AUTH method 1 peers).
    RsaPkcs1(HashAlg),
    /// RSASSA-PSS with MGF1 of the same hash and salt = hash length.
    RsaPss(HashAlg),
    /// ECDSA.
    Ecdsa(HashAlg),
    /// Ed25519 (RFC 8032; in IKEv2 RFC 8420, AUTH method 14 with the "Identity" hash).
    Ed25519,
}

/// NIST curves for ECDSA keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// secp256r1.
    P256,
    /// secp384r1.
    P384,
    /// secp521r1.
    P521,
}

impl EcCurve {
    /// The curve's natural hash (RFC 4754 methods 9, 10, 11).
    pub fn hash(self) -> HashAlg {
        match self {
            Self::P256 => HashAlg::Sha256,
            Self::P384 => HashAlg::Sha384,
            Self::P521 => HashAlg::Sha512,
        }
    }

    /// Coordinate length in octets.
    pub fn coord_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }
}

/// ECDSA signature encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcdsaEncoding {
    /// ASN.1 DER `Ecdsa-Sig-Value` (RFC 7427).
    Der,
    /// `r ‖ s`, each the coordinate length (RFC 4754).
    Fixed,
}

/// Public key algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA (rsaEncryption or id-RSASSA-PSS SPKI).
    Rsa,
    /// EC public key on a named curve.
    Ec(EcCurve),
    /// Ed25519 (RFC 8410 id-Ed25519).
    Ed25519,
}

const OID_RSA: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_RSA_PSS: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_EC: [u8; 7] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: [u8; 8] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: [u8; 5] = [0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: [u8; 5] = [0x2b, 0x81, 0x04, 0x00, 0x23];
/// id-Ed25519, 1.3.101.112 (RFC 8410 §3).
const OID_ED25519: [u8; 3] = [0x2b, 0x65, 0x70];

/// A verification key: SPKI DER, RSAPublicKey DER or an uncompressed EC point
/// (aws-lc accepts all three; we remember which algorithm it is); Ed25519 keys are
/// the raw 32 octets (RFC 8032 §5.1.5).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    kind: KeyKind,
    bytes: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kind", &self.kind)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl PublicKey {
    /// From an X.509 SubjectPublicKeyInfo (RSA, RSASSA-PSS, EC on P-256/384/521, Ed25519).
    pub fn from_spki_der(spki: &[u8]) -> Result<Self, CryptoError> {
        const W: &str = "SubjectPublicKeyInfo";
        let (seq, rest) = der::expect(W, der::SEQUENCE, spki)?;
        if !rest.is_empty() {
            return Err(CryptoError::Unrecognised {
                what: W,
                reason: "trailing data".into(),
            });
        }
        let (alg, bits) = der::expect(W, der::SEQUENCE, seq)?;
        let (key_bits, _) = der::expect(W, der::BIT_STRING, bits)?;
        let (oid, params) = der::expect(W, der::OID, alg)?;
        if oid == OID_ED25519 {
            // RFC 8410 §4: no parameters; the BIT STRING (0 unused bits) is the 32-octet key.
            return match key_bits {
                [0, key @ ..] if params.is_empty() && key.len() == 32 => Ok(Self {
                    kind: KeyKind::Ed25519,
                    bytes: key.to_vec(),
                }),
                _ => Err(CryptoError::Unrecognised {
                    what: W,
                    reason: "Ed25519 key not 32 octets, or with parameters".into(),
                }),
            };
        }
        let kind = if oid == OID_RSA || oid == OID_RSA_PSS {
            KeyKind::Rsa
        } else if oid == OID_EC {
            let (curve, _) = der::expect(W, der::OID, params)?;
            KeyKind::Ec(if curve == OID_P256 {
                EcCurve::P256
            } else if curve == OID_P384 {
                EcCurve::P384
            } else if curve == OID_P521 {
                EcCurve::P521
            } else {
                return Err(CryptoError::Unrecognised {
                    what: W,
                    reason: "EC key on an unsupported curve".into(),
                });
            })
        } else {
            return Err(CryptoError::Unrecognised {
                what: W,
                reason: "unsupported public key algorithm".into(),
            });
        };
        Ok(Self {
            kind,
            bytes: spki.to_vec(),
        })
    }

    /// From a DER RSAPublicKey (PKCS#1).
    pub fn from_rsa_pkcs1_der(der_bytes: &[u8]) -> Self {
        Self {
            kind: KeyKind::Rsa,
            bytes: der_bytes.to_vec(),
        }
    }

    /// From an uncompressed SEC 1 point `0x04 ‖ x ‖ y`.
    pub fn from_ec_point(curve: EcCurve, point: &[u8]) -> Self {
        Self {
            kind: KeyKind::Ec(curve),
            bytes: point.to_vec(),
        }
    }

    /// Key algorithm.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The encoded key as given.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Verifies `signature` over `msg`. `ecdsa` selects the ECDSA signature
    /// encoding and is ignored for RSA.
    pub fn verify(
        &self,
        scheme: SigScheme,
        msg: &[u8],
        signature: &[u8],
        ecdsa: EcdsaEncoding,
    ) -> Result<(), CryptoError> {
        let what = scheme_name(scheme);
        let alg: &'static dyn sig::VerificationAlgorithm = match (scheme, self.kind) {
            (SigScheme::RsaPkcs1(h), KeyKind::Rsa) => match h {
                HashAlg::Sha1 => &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                HashAlg::Sha256 => &sig::RSA_PKCS1_2048_8192_SHA256,
                HashAlg::Sha384 => &sig::RSA_PKCS1_2048_8192_SHA384,
                HashAlg::Sha512 => &sig::RSA_PKCS1_2048_8192_SHA512,
            },
            (SigScheme::RsaPss(h), KeyKind::Rsa) => match h {
                HashAlg::Sha256 => &sig::RSA_PSS_2048_8192_SHA256,
                HashAlg::Sha384 => &sig::RSA_PSS_2048_8192_SHA384,
                HashAlg::Sha512 => &sig::RSA_PSS_2048_8192_SHA512,
                HashAlg::Sha1 => return Err(unsupported(what, "RSASSA-PSS with SHA-1")),
            },
            (SigScheme::Ed25519, KeyKind::Ed25519) => &sig::ED25519,
            (SigScheme::Ecdsa(h), KeyKind::Ec(c)) => {
                ecdsa_verify_alg(c, h, ecdsa).ok_or_else(|| {
                    unsupported(
                        what,
                        format!("ECDSA {c:?} with {h:?} in {ecdsa:?} encoding"),
                    )
                })?
            }
            (s, k) => return Err(unsupported(what, format!("{s:?} with a {k:?} key"))),
        };
        sig::UnparsedPublicKey::new(alg, &self.bytes)
            .verify(msg, signature)
            .map_err(|_| CryptoError::BadSignature { what })
    }
}

fn unsupported(what: &'static str, reason: impl Into<String>) -> CryptoError {
    CryptoError::Rejected {
        what,
        reason: reason.into(),
    }
}

fn scheme_name(s: SigScheme) -> &'static str {
    match s {
        SigScheme::RsaPkcs1(_) => "RSASSA-PKCS1-v1_5",
        SigScheme::RsaPss(_) => "RSASSA-PSS",
        SigScheme::Ecdsa(_) => "ECDSA",
        SigScheme::Ed25519 => "Ed25519",
    }
}

fn ecdsa_verify_alg(
    c: EcCurve,
    h: HashAlg,
    e: EcdsaEncoding,
) -> Option<&'static dyn sig::VerificationAlgorithm> {
    use EcCurve::*;
    use EcdsaEncoding::*;
    use HashAlg::*;
    Some(match (c, h, e) {
        (P256, Sha256, Der) => &sig::ECDSA_P256_SHA256_ASN1,
        (P256, Sha384, Der) => &sig::ECDSA_P256_SHA384_ASN1,
        (P256, Sha512, Der) => &sig::ECDSA_P256_SHA512_ASN1,
        (P384, Sha256, Der) => &sig::ECDSA_P384_SHA256_ASN1,
        (P384, Sha384, Der) => &sig::ECDSA_P384_SHA384_ASN1,
        (P384, Sha512, Der) => &sig::ECDSA_P384_SHA512_ASN1,
        (P521, Sha256, Der) => &sig::ECDSA_P521_SHA256_ASN1,
        (P521, Sha384, Der) => &sig::ECDSA_P521_SHA384_ASN1,
        (P521, Sha512, Der) => &sig::ECDSA_P521_SHA512_ASN1,
        (P256, Sha256, Fixed) => &sig::ECDSA_P256_SHA256_FIXED,
        (P384, Sha384, Fixed) => &sig::ECDSA_P384_SHA384_FIXED,
        (P521, Sha512, Fixed) => &sig::ECDSA_P521_SHA512_FIXED,
        _ => return None,
    })
}

fn ecdsa_sign_alg(
    c: EcCurve,
    h: HashAlg,
    e: EcdsaEncoding,
) -> Option<&'static sig::EcdsaSigningAlgorithm> {
    use EcCurve::*;
    use EcdsaEncoding::*;
    use HashAlg::*;
    Some(match (c, h, e) {
        (P256, Sha256, Der) => &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
        (P384, Sha384, Der) => &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
        (P521, Sha256, Der) => &sig::ECDSA_P521_SHA256_ASN1_SIGNING,
        (P521, Sha384, Der) => &sig::ECDSA_P521_SHA384_ASN1_SIGNING,
        (P521, Sha512, Der) => &sig::ECDSA_P521_SHA512_ASN1_SIGNING,
        (P256, Sha256, Fixed) => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        (P384, Sha384, Fixed) => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        (P521, Sha512, Fixed) => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
        _ => return None,
    })
}

enum Inner {
    Rsa(RsaKeyPair),
    Ecdsa(EcCurve),
    Ed25519(Ed25519KeyPair),
}

/// A private signing key (RSA, ECDSA or Ed25519), held as PKCS#8.
pub struct SigningKey {
    inner: Inner,
    pkcs8: KeyBytes,
    public: PublicKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kind", &self.public.kind)
            .field("private", &"<redacted>")
            .finish()
    }
}

const EC_PROBE: [(EcCurve, &sig::EcdsaSigningAlgorithm); 3] = [
    (EcCurve::P256, &sig::ECDSA_P256_SHA256_ASN1_SIGNING),
    (EcCurve::P384, &sig::ECDSA_P384_SHA384_ASN1_SIGNING),
    (EcCurve::P521, &sig::ECDSA_P521_SHA512_ASN1_SIGNING),
];

impl SigningKey {
    /// From a PKCS#8 (v1 or v2) DER private key, RSA, EC or Ed25519.
    pub fn from_pkcs8_der(pkcs8: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(k) = RsaKeyPair::from_pkcs8(pkcs8) {
            let spki = k
                .public_key()
                .as_der()
                .map_err(|e| CryptoError::rejected("RSA key", e))?;
            let public = PublicKey::from_spki_der(spki.as_ref())?;
            return Ok(Self {
                inner: Inner::Rsa(k),
                pkcs8: KeyBytes::from_slice(pkcs8),
                public,
            });
        }
        for (curve, alg) in EC_PROBE {
            if let Ok(k) = EcdsaKeyPair::from_pkcs8(alg, pkcs8) {
                let spki = k
                    .public_key()
                    .as_der()
                    .map_err(|e| CryptoError::rejected("EC key", e))?;
                return Ok(Self {
                    inner: Inner::Ecdsa(curve),
                    pkcs8: KeyBytes::from_slice(pkcs8),
                    public: PublicKey::from_spki_der(spki.as_ref())?,
                });
            }
        }
        // v1 (OpenSSL's and strongSwan's form) has no public key to check against.
        if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8) {
            let public = PublicKey {
                kind: KeyKind::Ed25519,
                bytes: k.public_key().as_ref().to_vec(),
            };
            return Ok(Self {
                inner: Inner::Ed25519(k),
                pkcs8: KeyBytes::from_slice(pkcs8),
                public,
            });
        }
        Err(CryptoError::rejected(
            "PKCS#8 private key",
            "neither an RSA key, an EC key on P-256/384/521 nor an Ed25519 key",
        ))
    }

    /// A new RSA key of `bits` (2048, 3072, 4096 or 8192). RSA key generation
    /// uses aws-lc's own RNG, so it is not reproducible from a seed.
    pub fn generate_rsa(bits: usize) -> Result<Self, CryptoError> {
        use aws_lc_rs::rsa::KeySize;
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            n => {
                return Err(CryptoError::length(
                    "RSA key generation",
                    "modulus bits",
                    2048,
                    n,
                ))
            }
        };
        let k = RsaKeyPair::generate(size)
            .map_err(|e| CryptoError::rejected("RSA key generation", e))?;
        let der = k
            .as_der()
            .map_err(|e| CryptoError::rejected("RSA key generation", e))?;
        Self::from_pkcs8_der(der.as_ref())
    }

    /// A new ECDSA key whose scalar comes from `rng` (reproducible with a seeded RNG).
    pub fn generate_ecdsa(curve: EcCurve, rng: &dyn SecureRandom) -> Result<Self, CryptoError> {
        let ke_id = match curve {
            EcCurve::P256 => 19,
            EcCurve::P384 => 20,
            EcCurve::P521 => 21,
        };
        let ke = crate::DEFAULT.ke(ke_id)?;
        // Draw a valid scalar the same way ECDH does, then rebuild it as an ECDSA key.
        for _ in 0..64 {
            let mut s = KeyBytes::zeroed(curve.coord_len());
            rng.fill(s.as_mut_bytes())?;
            if curve == EcCurve::P521 {
                s.as_mut_bytes()[0] &= 0x01;
            }
            let Ok(ecdh) = ke.from_private_bytes(s.as_bytes()) else {
                continue;
            };
            let mut point = vec![0x04];
            point.extend_from_slice(ecdh.public_value());
            let alg = EC_PROBE
                .iter()
                .find(|(c, _)| *c == curve)
                .map(|(_, a)| *a)
                .ok_or_else(|| CryptoError::rejected("ECDSA key generation", "unknown curve"))?;
            let kp = EcdsaKeyPair::from_private_key_and_public_key(alg, s.as_bytes(), &point)
                .map_err(|e| CryptoError::rejected("ECDSA key generation", e))?;
            let der = kp
                .to_pkcs8v1()
                .map_err(|e| CryptoError::rejected("ECDSA key generation", e))?;
            return Self::from_pkcs8_der(der.as_ref());
        }
        Err(CryptoError::rejected(
            "ECDSA key generation",
            "no valid scalar in 64 draws",
        ))
    }

    /// A new Ed25519 key whose seed comes from `rng` (reproducible with a seeded RNG).
    pub fn generate_ed25519(rng: &dyn SecureRandom) -> Result<Self, CryptoError> {
        let mut seed = KeyBytes::zeroed(32);
        rng.fill(seed.as_mut_bytes())?;
        let kp = Ed25519KeyPair::from_seed_unchecked(seed.as_bytes())
            .map_err(|e| CryptoError::rejected("Ed25519 key generation", e))?;
        let der = kp
            .to_pkcs8v1()
            .map_err(|e| CryptoError::rejected("Ed25519 key generation", e))?;
        Self::from_pkcs8_der(der.as_ref())
    }

    /// The PKCS#8 DER encoding (secret).
    pub fn pkcs8_der(&self) -> &KeyBytes {
        &self.pkcs8
    }

    /// The matching public key (SPKI).
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The natural scheme for AUTH method 14: RSA → PKCS#1 v1.5 SHA-256,
    /// EC → ECDSA with the curve's hash.
    pub fn default_scheme(&self) -> SigScheme {
        match self.inner {
            Inner::Rsa(_) => SigScheme::RsaPkcs1(HashAlg::Sha256),
            Inner::Ecdsa(c) => SigScheme::Ecdsa(c.hash()),
            Inner::Ed25519(_) => SigScheme::Ed25519,
        }
    }

    /// Signs `msg`. `ecdsa` selects DER (RFC 7427) or fixed (RFC 4754) output.
    pub fn sign(
        &self,
        scheme: SigScheme,
        msg: &[u8],
        ecdsa: EcdsaEncoding,
    ) -> Result<Vec<u8>, CryptoError> {
        let what = scheme_name(scheme);
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match (&self.inner, scheme) {
            (Inner::Rsa(k), SigScheme::RsaPkcs1(h) | SigScheme::RsaPss(h)) => {
                let pss = matches!(scheme, SigScheme::RsaPss(_));
                let enc: &'static dyn sig::RsaEncoding = match (pss, h) {
                    (false, HashAlg::Sha256) => &sig::RSA_PKCS1_SHA256,
                    (false, HashAlg::Sha384) => &sig::RSA_PKCS1_SHA384,
                    (false, HashAlg::Sha512) => &sig::RSA_PKCS1_SHA512,
                    (true, HashAlg::Sha256) => &sig::RSA_PSS_SHA256,
                    (true, HashAlg::Sha384) => &sig::RSA_PSS_SHA384,
                    (true, HashAlg::Sha512) => &sig::RSA_PSS_SHA512,
                    // aws-lc makes no SHA-1 signatures; AUTH method 1 still needs them.
                    (false, HashAlg::Sha1) => return rsa_sha1::sign(self.pkcs8.as_bytes(), msg),
                    (true, HashAlg::Sha1) => {
                        return Err(unsupported(what, "RSASSA-PSS with SHA-1"))
                    }
                };
                let mut out = vec![0u8; k.public_modulus_len()];
                k.sign(enc, &rng, msg, &mut out)
                    .map_err(|e| CryptoError::rejected(what, e))?;
                Ok(out)
            }
            (Inner::Ecdsa(c), SigScheme::Ecdsa(h)) => {
                let alg = ecdsa_sign_alg(*c, h, ecdsa).ok_or_else(|| {
                    unsupported(
                        what,
                        format!("signing {c:?} with {h:?} in {ecdsa:?} encoding"),
                    )
                })?;
                let kp = EcdsaKeyPair::from_pkcs8(alg, self.pkcs8.as_bytes())
                    .map_err(|e| CryptoError::rejected(what, e))?;
                let s = kp
                    .sign(&rng, msg)
                    .map_err(|e| CryptoError::rejected(what, e))?;
                Ok(s.as_ref().to_vec())
            }
            (Inner::Ed25519(k), SigScheme::Ed25519) => Ok(k
                .try_sign(msg)
                .map_err(|e| CryptoError::rejected(what, e))?
                .as_ref()
                .to_vec()),
            (_, s) => Err(unsupported(
                what,
                format!("{s:?} with a {:?} key", self.public.kind),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRandom;

    #[test]
    fn sign_verify_every_scheme() {
        let rng = SeededRandom::from_u64(11);
        let rsa = SigningKey::generate_rsa(2048).unwrap();
        for s in [
            SigScheme::RsaPkcs1(HashAlg::Sha256),
            SigScheme::RsaPkcs1(HashAlg::Sha384),
            SigScheme::RsaPkcs1(HashAlg::Sha512),
            SigScheme::RsaPss(HashAlg::Sha256),
            SigScheme::RsaPss(HashAlg::Sha384),
            SigScheme::RsaPss(HashAlg::Sha512),
        ] {
            let sig = rsa.sign(s, b"msg", EcdsaEncoding::Der).unwrap();
            rsa.public_key()
                .verify(s, b"msg", &sig, EcdsaEncoding::Der)
                .unwrap();
            assert!(rsa
                .public_key()
                .verify(s, b"msG", &sig, EcdsaEncoding::Der)
                .is_err());
        }
        for c in [EcCurve::P256, EcCurve::P384, EcCurve::P521] {
            let k = SigningKey::generate_ecdsa(c, &rng).unwrap();
            let k2 = SigningKey::generate_ecdsa(c, &SeededRandom::from_u64(11)).unwrap();
            assert_eq!(k.public_key().kind(), KeyKind::Ec(c));
            for e in [EcdsaEncoding::Der, EcdsaEncoding::Fixed] {
                let s = SigScheme::Ecdsa(c.hash());
                let sig = k.sign(s, b"msg", e).unwrap();
                if e == EcdsaEncoding::Fixed {
                    assert_eq!(sig.len(), 2 * c.coord_len());
                }
                k.public_key().verify(s, b"msg", &sig, e).unwrap();
                assert!(k.public_key().verify(s, b"msg!", &sig, e).is_err());
                let _ = &k2;
            }
            assert!(k
                .sign(SigScheme::RsaPss(HashAlg::Sha256), b"m", EcdsaEncoding::Der)
                .is_err());
            let dbg = format!("{k:?}");
            assert!(dbg.contains("<redacted>"));
        }
        // Same seed, same key.
        let a = SigningKey::generate_ecdsa(EcCurve::P256, &SeededRandom::from_u64(5)).unwrap();
        let b = SigningKey::generate_ecdsa(EcCurve::P256, &SeededRandom::from_u64(5)).unwrap();
        assert_eq!(a.public_key(), b.public_key());
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn ed25519_rfc8032_test_1() {
        // RFC 8032 §7.1 TEST 1, the seed wrapped as PKCS#8 v1 (RFC 8410 §7).
        let pkcs8 = unhex(
            "302e020100300506032b657004220420\
             9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        );
        let public = unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let want = unhex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        );
        let k = SigningKey::from_pkcs8_der(&pkcs8).unwrap();
        assert_eq!(k.public_key().kind(), KeyKind::Ed25519);
        assert_eq!(k.public_key().as_bytes(), &public[..]);
        assert_eq!(k.default_scheme(), SigScheme::Ed25519);
        let sig = k.sign(SigScheme::Ed25519, b"", EcdsaEncoding::Der).unwrap();
        assert_eq!(sig, want);
        // The same key from its SubjectPublicKeyInfo (RFC 8410 §4).
        let spki = [&unhex("302a300506032b6570032100")[..], &public].concat();
        let pk = PublicKey::from_spki_der(&spki).unwrap();
        assert_eq!(pk, *k.public_key());
        pk.verify(SigScheme::Ed25519, b"", &want, EcdsaEncoding::Der)
            .unwrap();
        assert!(pk
            .verify(SigScheme::Ed25519, b"x", &want, EcdsaEncoding::Der)
            .is_err());
        assert!(pk
            .verify(
                SigScheme::Ecdsa(HashAlg::Sha256),
                b"",
                &want,
                EcdsaEncoding::Der
            )
            .is_err());
        assert!(k
            .sign(SigScheme::RsaPss(HashAlg::Sha256), b"", EcdsaEncoding::Der)
            .is_err());
        // Parameters or a short key are refused.
        let short = [&unhex("3029300506032b6570032000")[..], &public[..31]].concat();
        assert!(PublicKey::from_spki_der(&short).is_err());
    }
}
