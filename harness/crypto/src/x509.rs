//! X.509 helpers: what IKE needs from a certificate (identities, public key,
//! issuer signature) and test certificate generation for scenarios (rcgen).

use crate::rng::SecureRandom;
use crate::sig::{algid, der, EcCurve, EcdsaEncoding, PublicKey, SigScheme, SigningKey};
use crate::CryptoError;
use std::net::IpAddr;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The parts of a certificate IKE uses.
#[derive(Debug, Clone)]
pub struct CertInfo {
    /// Subject DN as text (RFC 4514 style, as x509-parser renders it).
    pub subject: String,
    /// Subject DN as DER (the ID_DER_ASN1_DN identification data).
    pub subject_der: Vec<u8>,
    /// Issuer DN as text.
    pub issuer: String,
    /// Issuer DN as DER.
    pub issuer_der: Vec<u8>,
    /// Serial number, colon-separated hex.
    pub serial: String,
    /// subjectAltName dNSName entries (ID_FQDN candidates).
    pub san_dns: Vec<String>,
    /// subjectAltName iPAddress entries (ID_IPV4_ADDR / ID_IPV6_ADDR candidates).
    pub san_ip: Vec<IpAddr>,
    /// subjectAltName rfc822Name entries (ID_RFC822_ADDR candidates).
    pub san_email: Vec<String>,
    /// Subject public key.
    pub public_key: PublicKey,
    /// The issuer's signature scheme, if we support it.
    pub signature_scheme: Option<SigScheme>,
    /// notBefore, seconds since the Unix epoch.
    pub not_before: i64,
    /// notAfter, seconds since the Unix epoch.
    pub not_after: i64,
    /// basicConstraints cA.
    pub is_ca: bool,
}

fn x509_err(e: impl core::fmt::Display) -> CryptoError {
    CryptoError::Unrecognised {
        what: "X.509 certificate",
        reason: e.to_string(),
    }
}

/// Parses a DER certificate.
pub fn parse_certificate(cert_der: &[u8]) -> Result<CertInfo, CryptoError> {
    let (rest, cert) = X509Certificate::from_der(cert_der).map_err(x509_err)?;
    if !rest.is_empty() {
        return Err(x509_err("trailing data after the certificate"));
    }
    let (mut san_dns, mut san_ip, mut san_email) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(san) = cert.subject_alternative_name().map_err(x509_err)? {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(s) => san_dns.push((*s).to_string()),
                GeneralName::RFC822Name(s) => san_email.push((*s).to_string()),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => san_ip.push(IpAddr::from(<[u8; 4]>::try_from(*b).map_err(x509_err)?)),
                    16 => san_ip.push(IpAddr::from(<[u8; 16]>::try_from(*b).map_err(x509_err)?)),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let is_ca = cert
        .basic_constraints()
        .map_err(x509_err)?
        .is_some_and(|bc| bc.value.ca);
    let parts = split_certificate(cert_der)?;
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        subject_der: cert.subject().as_raw().to_vec(),
        issuer: cert.issuer().to_string(),
        issuer_der: cert.issuer().as_raw().to_vec(),
        serial: cert.raw_serial_as_string(),
        san_dns,
        san_ip,
        san_email,
        public_key: PublicKey::from_spki_der(cert.public_key().raw)?,
        signature_scheme: algid::parse_algorithm_identifier(parts.algid).ok(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        is_ca,
    })
}

struct CertParts<'a> {
    tbs: &'a [u8],
    algid: &'a [u8],
    signature: &'a [u8],
}

/// `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }`.
fn split_certificate(cert_der: &[u8]) -> Result<CertParts<'_>, CryptoError> {
    const W: &str = "X.509 certificate";
    let (body, _) = der::expect(W, der::SEQUENCE, cert_der)?;
    let (tbs, rest) = der::raw(W, body)?;
    let (algid, rest) = der::raw(W, rest)?;
    let (bits, _) = der::expect(W, der::BIT_STRING, rest)?;
    match bits.split_first() {
        Some((0, signature)) => Ok(CertParts {
            tbs,
            algid,
            signature,
        }),
        _ => Err(x509_err("signature BIT STRING with unused bits")),
    }
}

/// Checks that `issuer` signed `cert_der` (signature only: no validity or
/// constraint checks, which are policy for the caller).
pub fn verify_signed_by(cert_der: &[u8], issuer: &PublicKey) -> Result<(), CryptoError> {
    let parts = split_certificate(cert_der)?;
    let scheme = algid::parse_algorithm_identifier(parts.algid)?;
    issuer.verify(scheme, parts.tbs, parts.signature, EcdsaEncoding::Der)
}

/// Verifies a chain `leaf, intermediates...` up to `trust_anchor_der` by
/// signatures and issuer/subject name matching.
pub fn verify_chain(chain: &[&[u8]], trust_anchor_der: &[u8]) -> Result<(), CryptoError> {
    let anchor = parse_certificate(trust_anchor_der)?;
    let mut issuers: Vec<CertInfo> = Vec::with_capacity(chain.len());
    for c in chain.iter().skip(1) {
        issuers.push(parse_certificate(c)?);
    }
    issuers.push(anchor);
    for (i, cert) in chain.iter().enumerate() {
        let info = parse_certificate(cert)?;
        let issuer = &issuers[i];
        if info.issuer_der != issuer.subject_der {
            return Err(CryptoError::Rejected {
                what: "certificate chain",
                reason: format!("'{}' is not issued by '{}'", info.subject, issuer.subject),
            });
        }
        verify_signed_by(cert, &issuer.public_key)?;
    }
    Ok(())
}

/// Key types for generated test certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestKeyType {
    /// RSA 2048 (not reproducible from a seed).
    Rsa2048,
    /// ECDSA P-256.
    EcdsaP256,
    /// ECDSA P-384.
    EcdsaP384,
    /// ECDSA P-521.
    EcdsaP521,
    /// Ed25519.
    Ed25519,
}

impl TestKeyType {
    fn generate(self, rng: &dyn SecureRandom) -> Result<SigningKey, CryptoError> {
        match self {
            Self::Rsa2048 => SigningKey::generate_rsa(2048),
            Self::EcdsaP256 => SigningKey::generate_ecdsa(EcCurve::P256, rng),
            Self::EcdsaP384 => SigningKey::generate_ecdsa(EcCurve::P384, rng),
            Self::EcdsaP521 => SigningKey::generate_ecdsa(EcCurve::P521, rng),
            Self::Ed25519 => SigningKey::generate_ed25519(rng),
        }
    }
}

/// A generated certificate and its private key.
pub struct TestCert {
    /// DER certificate.
    pub cert_der: Vec<u8>,
    /// PEM certificate.
    pub cert_pem: String,
    /// Private key.
    pub key: SigningKey,
}

impl core::fmt::Debug for TestCert {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TestCert")
            .field("cert_der_len", &self.cert_der.len())
            .field("key", &self.key)
            .finish()
    }
}

impl TestCert {
    /// The private key as PKCS#8 PEM (secret: write it only where a peer needs it).
    pub fn key_pkcs8_pem(&self) -> Result<String, CryptoError> {
        Ok(rcgen_key(&self.key)?.serialize_pem())
    }
}

fn rcgen_err(e: rcgen::Error) -> CryptoError {
    CryptoError::rejected("test certificate generation", e)
}

fn rcgen_key(key: &SigningKey) -> Result<rcgen::KeyPair, CryptoError> {
    rcgen::KeyPair::try_from(key.pkcs8_der().as_bytes()).map_err(rcgen_err)
}

/// A test CA that issues end-entity certificates.
#[derive(Debug)]
pub struct TestCa {
    /// The CA certificate (self-signed).
    pub cert: TestCert,
    params: rcgen::CertificateParams,
}

impl TestCa {
    /// A self-signed CA with subject `CN=<common_name>`.
    pub fn new(
        common_name: &str,
        key_type: TestKeyType,
        rng: &dyn SecureRandom,
    ) -> Result<Self, CryptoError> {
        let key = key_type.generate(rng)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(rcgen_err)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let kp = rcgen_key(&key)?;
        let cert = params.self_signed(&kp).map_err(rcgen_err)?;
        Ok(Self {
            cert: TestCert {
                cert_der: cert.der().to_vec(),
                cert_pem: cert.pem(),
                key,
            },
            params,
        })
    }

    /// Issues `CN=<common_name>` with subjectAltNames `sans` (IP literals become
    /// iPAddress entries, anything with '@' an rfc822Name, the rest dNSName).
    pub fn issue(
        &self,
        common_name: &str,
        sans: &[&str],
        key_type: TestKeyType,
        rng: &dyn SecureRandom,
    ) -> Result<TestCert, CryptoError> {
        let key = key_type.generate(rng)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(rcgen_err)?;
        for s in sans {
            let san = if let Ok(ip) = s.parse::<IpAddr>() {
                rcgen::SanType::IpAddress(ip)
            } else if s.contains('@') {
                rcgen::SanType::Rfc822Name((*s).try_into().map_err(rcgen_err)?)
            } else {
                rcgen::SanType::DnsName((*s).try_into().map_err(rcgen_err)?)
            };
            params.subject_alt_names.push(san);
        }
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        let issuer = rcgen::Issuer::new(self.params.clone(), rcgen_key(&self.cert.key)?);
        let cert = params
            .signed_by(&rcgen_key(&key)?, &issuer)
            .map_err(rcgen_err)?;
        Ok(TestCert {
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRandom;

    #[test]
    fn generate_parse_and_verify_chain() {
        let rng = SeededRandom::from_u64(21);
        for (ca_type, leaf_type) in [
            (TestKeyType::EcdsaP256, TestKeyType::EcdsaP384),
            (TestKeyType::EcdsaP384, TestKeyType::EcdsaP256),
            (TestKeyType::Rsa2048, TestKeyType::EcdsaP521),
            (TestKeyType::EcdsaP256, TestKeyType::Ed25519),
            (TestKeyType::Ed25519, TestKeyType::EcdsaP384),
        ] {
            let ca = TestCa::new("ikelab test CA", ca_type, &rng).unwrap();
            let leaf = ca
                .issue(
                    "vpn.example.test",
                    &["vpn.example.test", "198.51.100.2", "user@example.test"],
                    leaf_type,
                    &rng,
                )
                .unwrap();
            let info = parse_certificate(&leaf.cert_der).unwrap();
            assert_eq!(info.subject, "CN=vpn.example.test");
            assert_eq!(info.issuer, "CN=ikelab test CA");
            assert_eq!(info.san_dns, vec!["vpn.example.test".to_string()]);
            assert_eq!(info.san_ip, vec!["198.51.100.2".parse::<IpAddr>().unwrap()]);
            assert_eq!(info.san_email, vec!["user@example.test".to_string()]);
            assert!(!info.is_ca);
            assert_eq!(&info.public_key, leaf.key.public_key());
            assert!(info.signature_scheme.is_some());
            let ca_info = parse_certificate(&ca.cert.cert_der).unwrap();
            assert!(ca_info.is_ca);
            verify_chain(&[&leaf.cert_der], &ca.cert.cert_der).unwrap();
            // A flipped bit in the TBS breaks the signature.
            let mut bad = leaf.cert_der.clone();
            let n = bad.len();
            bad[n / 2] ^= 1;
            assert!(verify_signed_by(&bad, &ca_info.public_key).is_err());
            // Wrong anchor.
            let other = TestCa::new("other CA", TestKeyType::EcdsaP256, &rng).unwrap();
            assert!(verify_chain(&[&leaf.cert_der], &other.cert.cert_der).is_err());
            assert!(leaf
                .key_pkcs8_pem()
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----"));
            assert!(leaf.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        }
        assert!(parse_certificate(b"not a certificate").is_err());
    }
}
