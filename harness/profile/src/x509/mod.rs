//! Certificates carried by certificate payloads and by signed profiles.

pub mod keypair;
pub mod pkcs12;
pub mod verify;

use std::fmt;
use std::net::IpAddr;

use const_oid::db::{rfc4519, rfc5912, rfc8410};
use const_oid::ObjectIdentifier;
use der::{Decode, DecodePem};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};
use x509_cert::Certificate;

/// A readable name for an OID (const-oid's database, else dotted form).
pub fn oid_name(oid: &ObjectIdentifier) -> String {
    const_oid::db::DB
        .by_oid(oid)
        .map_or_else(|| oid.to_string(), str::to_string)
}

/// Public-key algorithm of a certificate, as far as IKEv2 `CertificateType` cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    Rsa { bits: usize },
    RsaPss { bits: usize },
    Ec { curve: Curve },
    Ed25519,
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
    Other(String),
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyKind::Rsa { bits } => write!(f, "RSA {bits}-bit"),
            KeyKind::RsaPss { bits } => write!(f, "RSA-PSS {bits}-bit"),
            KeyKind::Ec { curve } => match curve {
                Curve::P256 => f.write_str("ECDSA P-256"),
                Curve::P384 => f.write_str("ECDSA P-384"),
                Curve::P521 => f.write_str("ECDSA P-521"),
                Curve::Other(o) => write!(f, "EC ({o})"),
            },
            KeyKind::Ed25519 => f.write_str("Ed25519"),
            KeyKind::Other(o) => write!(f, "{o}"),
        }
    }
}

impl KeyKind {
    /// Whether an IKEv2 `CertificateType` value fits this key.
    pub fn matches_certificate_type(&self, ty: &str) -> bool {
        matches!(
            (ty, self),
            ("RSA", KeyKind::Rsa { .. })
                | ("RSA-PSS", KeyKind::Rsa { .. } | KeyKind::RsaPss { .. })
                | ("ECDSA256", KeyKind::Ec { curve: Curve::P256 })
                | ("ECDSA384", KeyKind::Ec { curve: Curve::P384 })
                | ("ECDSA521", KeyKind::Ec { curve: Curve::P521 })
        )
    }

    /// The `CertificateType` value that would fit, if any.
    pub fn certificate_type(&self) -> Option<&'static str> {
        match self {
            KeyKind::Rsa { .. } => Some("RSA"),
            KeyKind::RsaPss { .. } => Some("RSA-PSS"),
            KeyKind::Ec { curve: Curve::P256 } => Some("ECDSA256"),
            KeyKind::Ec { curve: Curve::P384 } => Some("ECDSA384"),
            KeyKind::Ec { curve: Curve::P521 } => Some("ECDSA521"),
            _ => None,
        }
    }
}

/// A subjectAltName entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    Dns(String),
    Email(String),
    Ip(IpAddr),
    Uri(String),
    Other,
}

/// What the checker needs to know about one certificate.
#[derive(Debug, Clone)]
pub struct CertInfo {
    pub subject: String,
    pub common_name: Option<String>,
    pub issuer: String,
    pub issuer_common_name: Option<String>,
    pub sans: Vec<San>,
    pub key: KeyKind,
    pub is_ca: bool,
}

fn rsa_bits(spki_key: &[u8]) -> usize {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::traits::PublicKeyParts;
    rsa::RsaPublicKey::from_pkcs1_der(spki_key).map_or(0, |k| k.n().bits())
}

fn common_name(name: &x509_cert::name::Name) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == rfc4519::CN)
        .find_map(|atv| {
            // CN is PrintableString or UTF8String in practice.
            der::asn1::Utf8StringRef::try_from(&atv.value)
                .map(|s| s.as_str().to_string())
                .or_else(|_| {
                    der::asn1::PrintableStringRef::try_from(&atv.value).map(|s| s.to_string())
                })
                .ok()
        })
}

pub fn cert_info(cert: &Certificate) -> CertInfo {
    let tbs = &cert.tbs_certificate;
    let spki = &tbs.subject_public_key_info;
    let key_bits = spki.subject_public_key.raw_bytes();
    let key = match spki.algorithm.oid {
        rfc5912::RSA_ENCRYPTION => KeyKind::Rsa {
            bits: rsa_bits(key_bits),
        },
        rfc5912::ID_RSASSA_PSS => KeyKind::RsaPss {
            bits: rsa_bits(key_bits),
        },
        rfc5912::ID_EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            KeyKind::Ec {
                curve: match curve {
                    Some(rfc5912::SECP_256_R_1) => Curve::P256,
                    Some(rfc5912::SECP_384_R_1) => Curve::P384,
                    Some(rfc5912::SECP_521_R_1) => Curve::P521,
                    Some(o) => Curve::Other(oid_name(&o)),
                    None => Curve::Other("no curve".into()),
                },
            }
        }
        rfc8410::ID_ED_25519 => KeyKind::Ed25519,
        other => KeyKind::Other(oid_name(&other)),
    };
    let mut sans = Vec::new();
    if let Ok(Some((_, san))) = tbs.get::<SubjectAltName>() {
        for g in san.0 {
            sans.push(match g {
                GeneralName::DnsName(s) => San::Dns(s.to_string()),
                GeneralName::Rfc822Name(s) => San::Email(s.to_string()),
                GeneralName::UniformResourceIdentifier(s) => San::Uri(s.to_string()),
                GeneralName::IpAddress(o) => match o.as_bytes().len() {
                    4 => {
                        let b: [u8; 4] = o.as_bytes().try_into().unwrap_or([0; 4]);
                        San::Ip(IpAddr::from(b))
                    }
                    16 => {
                        let b: [u8; 16] = o.as_bytes().try_into().unwrap_or([0; 16]);
                        San::Ip(IpAddr::from(b))
                    }
                    _ => San::Other,
                },
                _ => San::Other,
            });
        }
    }
    let is_ca = matches!(tbs.get::<BasicConstraints>(), Ok(Some((_, bc))) if bc.ca);
    CertInfo {
        subject: tbs.subject.to_string(),
        common_name: common_name(&tbs.subject),
        issuer: tbs.issuer.to_string(),
        issuer_common_name: common_name(&tbs.issuer),
        sans,
        key,
        is_ca,
    }
}

/// Parses certificate payload content: DER, or PEM (one or more certificates).
pub fn parse_certs(data: &[u8]) -> Result<Vec<Certificate>, String> {
    let trimmed: &[u8] = {
        let n = data.iter().take_while(|b| b.is_ascii_whitespace()).count();
        &data[n..]
    };
    if trimmed.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(trimmed).map_err(|_| "PEM is not UTF-8".to_string())?;
        let mut out = Vec::new();
        for block in text.split_inclusive("-----END CERTIFICATE-----") {
            let Some(start) = block.find("-----BEGIN CERTIFICATE-----") else {
                continue;
            };
            let cert = Certificate::from_pem(&block.as_bytes()[start..])
                .map_err(|e| format!("PEM certificate: {e}"))?;
            out.push(cert);
        }
        if out.is_empty() {
            return Err("PEM without a CERTIFICATE block".into());
        }
        return Ok(out);
    }
    let der = crate::read::ber_to_der(trimmed).map_err(|e| format!("not DER: {}", e.0))?;
    Certificate::from_der(&der)
        .map(|c| vec![c])
        .map_err(|e| format!("not an X.509 certificate: {e}"))
}
