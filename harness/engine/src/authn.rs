//! AUTH payloads (RFC 7296 §2.15, RFC 4754, RFC 7427) and certificate checks.
//!
//! ```text
//! InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, IDi')
//! ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, IDr')
//! PSK AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
//! ```

use ikelab_crypto::integ::HashAlg;
use ikelab_crypto::provider::PrfTransform;
use ikelab_crypto::sig::{self, algid, EcCurve, EcdsaEncoding, KeyKind, SigScheme, SigningKey};
use ikelab_crypto::x509::{self, CertInfo};
use ikelab_crypto::KeyBytes;
use ikelab_policy::{
    EapMethod, EapUser, Identity, LocalAuth, RemoteAuth, Secret, SignatureMethod, SignaturePolicy,
};
use ikelab_wire::iana::{AuthMethod, CertEncoding, HashAlgorithm, IdType};
use ikelab_wire::payload::{AuthPayload, CertPayload, IdPayload};

use crate::digest::sha1;
use crate::eap_tls::{TlsClientSetup, TlsServerSetup};
use crate::violation::AuthFailure;
use crate::ConfigError;

const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// `RealMessage | Nonce | prf(SK_p, ID')`.
pub(crate) fn signed_octets(
    real_message: &[u8],
    peer_nonce: &[u8],
    prf: &PrfTransform,
    sk_p: &KeyBytes,
    id: &IdPayload,
) -> Vec<u8> {
    let mut id_body = Vec::with_capacity(id.buffer_len());
    id.emit(&mut id_body);
    let maced = prf.compute(sk_p.as_bytes(), &[&id_body]);
    let mut out = Vec::with_capacity(real_message.len() + peer_nonce.len() + maced.len());
    out.extend_from_slice(real_message);
    out.extend_from_slice(peer_nonce);
    out.extend_from_slice(maced.as_bytes());
    out
}

/// Also the AUTH from an EAP MSK (RFC 7296 §2.16), with the MSK as the shared secret.
pub(crate) fn psk_mac(prf: &PrfTransform, psk: &[u8], octets: &[u8]) -> KeyBytes {
    let key = prf.compute(psk, &[KEY_PAD]);
    prf.compute(key.as_bytes(), &[octets])
}

/// Our credential, prepared from the policy once per SA.
pub(crate) enum LocalCredential {
    Psk(Secret),
    Pubkey {
        cert: Vec<u8>,
        chain: Vec<Vec<u8>>,
        info: Box<CertInfo>,
        key: SigningKey,
        signature: SignaturePolicy,
    },
    /// EAP client (RFC 7296 §2.16): no AUTH until the EAP method has produced an MSK.
    Eap {
        /// EAP identity; the IKE identity when absent.
        identity: Option<String>,
        password: Secret,
        /// EAP-TLS instead of EAP-MSCHAPv2 (filled by `eap_tls::attach`).
        tls: Option<TlsClientSetup>,
    },
}

/// The EAP methods the engine runs.
fn eap_method(policy: &str, method: EapMethod) -> Result<(), ConfigError> {
    match method {
        EapMethod::Mschapv2 | EapMethod::Tls => Ok(()),
        m => Err(ConfigError::policy(
            policy,
            format!("EAP method {m:?} is not implemented (EAP-MSCHAPv2 and EAP-TLS are)"),
        )),
    }
}

/// EAP-TLS needs its `tls` section; other methods must not have one.
fn eap_tls_section(policy: &str, method: EapMethod, has_tls: bool) -> Result<(), ConfigError> {
    match (method, has_tls) {
        (EapMethod::Tls, false) => Err(ConfigError::policy(
            policy,
            "EAP-TLS needs a `tls` section (certificate and key, or trust anchors)",
        )),
        (m, true) if m != EapMethod::Tls => Err(ConfigError::policy(
            policy,
            format!("a `tls` section with EAP method {m:?}"),
        )),
        _ => Ok(()),
    }
}

impl LocalCredential {
    pub fn from_policy(policy: &str, auth: &LocalAuth) -> Result<Self, ConfigError> {
        match auth {
            LocalAuth::Psk { secret } => Ok(Self::Psk(secret.clone())),
            LocalAuth::Pubkey {
                certificate,
                chain,
                private_key,
                signature,
            } => {
                let cert = certificate
                    .der()
                    .map_err(|e| ConfigError::policy(policy, e))?
                    .to_vec();
                let chain = chain
                    .iter()
                    .map(|c| c.der().map(<[u8]>::to_vec))
                    .collect::<Result<_, _>>()
                    .map_err(|e| ConfigError::policy(policy, e))?;
                let (label, der) = private_key
                    .der()
                    .map_err(|e| ConfigError::policy(policy, e))?;
                if label != "PRIVATE KEY" {
                    return Err(ConfigError::policy(
                        policy,
                        format!("private key is a {label:?} PEM block; PKCS#8 (\"PRIVATE KEY\") is needed (openssl pkcs8 -topk8 -nocrypt)"),
                    ));
                }
                let key = SigningKey::from_pkcs8_der(der.expose())
                    .map_err(|e| ConfigError::policy(policy, e))?;
                let info =
                    x509::parse_certificate(&cert).map_err(|e| ConfigError::policy(policy, e))?;
                if &info.public_key != key.public_key() {
                    return Err(ConfigError::policy(
                        policy,
                        "the private key does not belong to the certificate",
                    ));
                }
                Ok(Self::Pubkey {
                    cert,
                    chain,
                    info: Box::new(info),
                    key,
                    signature: signature.clone(),
                })
            }
            LocalAuth::Eap {
                eap_method: method,
                identity,
                password,
                tls,
            } => {
                eap_method(policy, *method)?;
                eap_tls_section(policy, *method, tls.is_some())?;
                if *method == EapMethod::Mschapv2 && password.expose().is_empty() {
                    return Err(ConfigError::policy(
                        policy,
                        "EAP-MSCHAPv2 without a password",
                    ));
                }
                Ok(Self::Eap {
                    identity: identity.clone(),
                    password: password.clone(),
                    tls: None,
                })
            }
        }
    }

    pub fn is_eap(&self) -> bool {
        matches!(self, Self::Eap { .. })
    }

    /// The identity to send when the policy names none.
    pub fn default_identity(&self) -> Option<Identity> {
        match self {
            Self::Psk(_) | Self::Eap { .. } => None,
            Self::Pubkey { info, .. } => {
                Some(Identity::new(IdType::DER_ASN1_DN, info.subject_der.clone()))
            }
        }
    }

    /// Whether we sign with an Ed25519 key.
    pub fn is_ed25519(&self) -> bool {
        matches!(self, Self::Pubkey { key, .. } if key.public_key().kind() == KeyKind::Ed25519)
    }

    /// CERT payloads to send (end entity first).
    pub fn cert_payloads(&self) -> Vec<CertPayload> {
        match self {
            Self::Psk(_) | Self::Eap { .. } => Vec::new(),
            Self::Pubkey { cert, chain, .. } => core::iter::once(cert)
                .chain(chain)
                .map(|c| CertPayload {
                    encoding: CertEncoding::X509_SIGNATURE,
                    data: c.clone(),
                })
                .collect(),
        }
    }

    /// Our AUTH payload over `octets`. `peer_hashes` is the peer's SIGNATURE_HASH_ALGORITHMS.
    pub fn auth(
        &self,
        prf: &PrfTransform,
        octets: &[u8],
        peer_hashes: &[HashAlgorithm],
    ) -> Result<AuthPayload, AuthFailure> {
        let local = |reason: String| AuthFailure::LocalFailure { reason };
        match self {
            Self::Psk(psk) => Ok(AuthPayload {
                method: AuthMethod::SHARED_KEY_MIC,
                reserved: [0; 3],
                data: psk_mac(prf, psk.expose(), octets).as_bytes().to_vec(),
            }),
            Self::Pubkey { key, signature, .. } => {
                let kind = key.public_key().kind();
                let method = match signature.method {
                    SignatureMethod::Auto if !peer_hashes.is_empty() => {
                        SignatureMethod::DigitalSignature
                    }
                    SignatureMethod::Auto => match kind {
                        KeyKind::Rsa => SignatureMethod::RsaSha1,
                        KeyKind::Ec(_) => SignatureMethod::Ecdsa,
                        // RFC 8420 defines Ed25519 for method 14 only.
                        KeyKind::Ed25519 => SignatureMethod::DigitalSignature,
                    },
                    m => m,
                };
                match (method, kind) {
                    (SignatureMethod::DigitalSignature, _) => {
                        let scheme = rfc7427_scheme(kind, signature, peer_hashes);
                        let sig = key
                            .sign(scheme, octets, EcdsaEncoding::Der)
                            .map_err(|e| local(e.to_string()))?;
                        Ok(AuthPayload {
                            method: AuthMethod::DIGITAL_SIGNATURE,
                            reserved: [0; 3],
                            data: algid::encode_auth_data(scheme, &sig),
                        })
                    }
                    (SignatureMethod::Ecdsa, KeyKind::Ec(curve)) => {
                        let sig = key
                            .sign(SigScheme::Ecdsa(curve.hash()), octets, EcdsaEncoding::Fixed)
                            .map_err(|e| local(e.to_string()))?;
                        Ok(AuthPayload {
                            method: ecdsa_method(curve),
                            reserved: [0; 3],
                            data: sig,
                        })
                    }
                    // A peer without SIGNATURE_HASH_ALGORITHMS gets RFC 7296 method 1.
                    (SignatureMethod::RsaSha1, KeyKind::Rsa) => {
                        let sig = key
                            .sign(
                                SigScheme::RsaPkcs1(HashAlg::Sha1),
                                octets,
                                EcdsaEncoding::Der,
                            )
                            .map_err(|e| local(e.to_string()))?;
                        Ok(AuthPayload {
                            method: AuthMethod::RSA_SIGNATURE,
                            reserved: [0; 3],
                            data: sig,
                        })
                    }
                    (m, k) => Err(local(format!("signature method {m:?} with a {k:?} key"))),
                }
            }
            Self::Eap { .. } => Err(local(
                "an EAP client has no AUTH before EAP has produced an MSK".into(),
            )),
        }
    }
}

fn ecdsa_method(curve: EcCurve) -> AuthMethod {
    match curve {
        EcCurve::P256 => AuthMethod::ECDSA_SHA256_P256,
        EcCurve::P384 => AuthMethod::ECDSA_SHA384_P384,
        EcCurve::P521 => AuthMethod::ECDSA_SHA512_P521,
    }
}

fn hash_alg(h: HashAlgorithm) -> Option<HashAlg> {
    Some(match h {
        HashAlgorithm::SHA1 => HashAlg::Sha1,
        HashAlgorithm::SHA2_256 => HashAlg::Sha256,
        HashAlgorithm::SHA2_384 => HashAlg::Sha384,
        HashAlgorithm::SHA2_512 => HashAlg::Sha512,
        _ => return None,
    })
}

/// Method 14 scheme: ECDSA with the curve's hash; Ed25519 (RFC 8420); RSA with the policy's
/// hash, else the first SHA-2 hash the peer announced, else SHA-256.
fn rfc7427_scheme(kind: KeyKind, policy: &SignaturePolicy, peer: &[HashAlgorithm]) -> SigScheme {
    match kind {
        KeyKind::Ec(curve) => SigScheme::Ecdsa(curve.hash()),
        KeyKind::Ed25519 => SigScheme::Ed25519,
        KeyKind::Rsa => {
            let hash = policy
                .hash
                .or_else(|| {
                    peer.iter()
                        .copied()
                        .find(|h| matches!(hash_alg(*h), Some(a) if a != HashAlg::Sha1))
                })
                .and_then(hash_alg)
                .filter(|h| *h != HashAlg::Sha1)
                .unwrap_or(HashAlg::Sha256);
            if policy.rsa_pss {
                SigScheme::RsaPss(hash)
            } else {
                SigScheme::RsaPkcs1(hash)
            }
        }
    }
}

/// How we check the peer, prepared from the policy.
pub(crate) enum RemoteCredential {
    Psk(Secret),
    Pubkey {
        anchors: Vec<Vec<u8>>,
        allow_legacy: bool,
    },
    /// We are the EAP server (RFC 7296 §2.16) for these users.
    Eap {
        users: Vec<EapUser>,
        /// EAP-TLS instead of EAP-MSCHAPv2 (filled by `eap_tls::attach`).
        tls: Option<TlsServerSetup>,
    },
}

impl RemoteCredential {
    pub fn from_policy(policy: &str, auth: &RemoteAuth) -> Result<Self, ConfigError> {
        match auth {
            RemoteAuth::Psk { secret } => Ok(Self::Psk(secret.clone())),
            RemoteAuth::Pubkey {
                trust_anchors,
                allow_legacy_methods,
            } => Ok(Self::Pubkey {
                anchors: trust_anchors
                    .iter()
                    .map(|c| c.der().map(<[u8]>::to_vec))
                    .collect::<Result<_, _>>()
                    .map_err(|e| ConfigError::policy(policy, e))?,
                allow_legacy: *allow_legacy_methods,
            }),
            RemoteAuth::Eap {
                eap_method: m,
                users,
                tls,
            } => {
                eap_method(policy, *m)?;
                eap_tls_section(policy, *m, tls.is_some())?;
                Ok(Self::Eap {
                    users: users.clone(),
                    tls: None,
                })
            }
        }
    }

    pub fn is_eap(&self) -> bool {
        matches!(self, Self::Eap { .. })
    }

    /// CERTREQ data: SHA-1 hashes of the trust anchors' SubjectPublicKeyInfo (RFC 7296 §3.7).
    pub fn certreq(&self) -> Option<CertPayload> {
        let Self::Pubkey { anchors, .. } = self else {
            return None;
        };
        let mut data = Vec::new();
        for a in anchors {
            if let Ok(info) = x509::parse_certificate(a) {
                data.extend_from_slice(&sha1(&[info.public_key.as_bytes()]));
            }
        }
        Some(CertPayload {
            encoding: CertEncoding::X509_SIGNATURE,
            data,
        })
    }

    /// Verifies the peer's AUTH over `octets`, with its identity and CERT payloads.
    pub fn verify(
        &self,
        prf: &PrfTransform,
        octets: &[u8],
        auth: &AuthPayload,
        id: &Identity,
        certs: &[&CertPayload],
    ) -> Result<(), AuthFailure> {
        match self {
            Self::Psk(psk) => {
                if auth.method != AuthMethod::SHARED_KEY_MIC {
                    return Err(AuthFailure::WrongMethod {
                        method: auth.method.0,
                    });
                }
                if psk_mac(prf, psk.expose(), octets).ct_eq(&auth.data) {
                    Ok(())
                } else {
                    Err(AuthFailure::PskMismatch)
                }
            }
            Self::Pubkey {
                anchors,
                allow_legacy,
            } => {
                let legacy = matches!(
                    auth.method,
                    AuthMethod::RSA_SIGNATURE
                        | AuthMethod::ECDSA_SHA256_P256
                        | AuthMethod::ECDSA_SHA384_P384
                        | AuthMethod::ECDSA_SHA512_P521
                );
                if !(auth.method == AuthMethod::DIGITAL_SIGNATURE || legacy && *allow_legacy) {
                    return Err(AuthFailure::WrongMethod {
                        method: auth.method.0,
                    });
                }
                let x509: Vec<&[u8]> = certs
                    .iter()
                    .filter(|c| c.encoding == CertEncoding::X509_SIGNATURE)
                    .map(|c| c.data.as_slice())
                    .collect();
                let Some(leaf) = x509.first() else {
                    return Err(AuthFailure::MissingCertificate);
                };
                let info = x509::parse_certificate(leaf).map_err(|e| {
                    AuthFailure::UntrustedCertificate {
                        reason: e.to_string(),
                    }
                })?;
                let mut last_error = String::from("no trust anchor configured");
                let trusted = anchors.iter().any(|a| match x509::verify_chain(&x509, a) {
                    Ok(()) => true,
                    Err(e) => {
                        last_error = e.to_string();
                        false
                    }
                });
                if !trusted {
                    return Err(AuthFailure::UntrustedCertificate { reason: last_error });
                }
                if !cert_has_identity(&info, id) {
                    return Err(AuthFailure::CertificateIdentityMismatch {
                        identity: id.to_string(),
                    });
                }
                verify_signature(&info.public_key, auth, octets)
            }
            // The peer must run EAP (no AUTH in its first IKE_AUTH request).
            Self::Eap { .. } => Err(AuthFailure::WrongMethod {
                method: auth.method.0,
            }),
        }
    }
}

fn verify_signature(
    key: &sig::PublicKey,
    auth: &AuthPayload,
    octets: &[u8],
) -> Result<(), AuthFailure> {
    let bad = |e: ikelab_crypto::CryptoError| AuthFailure::BadSignature {
        reason: e.to_string(),
    };
    let (scheme, signature, encoding) = match auth.method {
        AuthMethod::DIGITAL_SIGNATURE => {
            let (scheme, s) = algid::decode_auth_data(&auth.data).map_err(bad)?;
            (scheme, s, EcdsaEncoding::Der)
        }
        AuthMethod::RSA_SIGNATURE => (
            SigScheme::RsaPkcs1(HashAlg::Sha1),
            auth.data.as_slice(),
            EcdsaEncoding::Der,
        ),
        m => {
            let curve = match (m, key.kind()) {
                (AuthMethod::ECDSA_SHA256_P256, KeyKind::Ec(c @ EcCurve::P256))
                | (AuthMethod::ECDSA_SHA384_P384, KeyKind::Ec(c @ EcCurve::P384))
                | (AuthMethod::ECDSA_SHA512_P521, KeyKind::Ec(c @ EcCurve::P521)) => c,
                _ => return Err(AuthFailure::WrongMethod { method: m.0 }),
            };
            (
                SigScheme::Ecdsa(curve.hash()),
                auth.data.as_slice(),
                EcdsaEncoding::Fixed,
            )
        }
    };
    key.verify(scheme, octets, signature, encoding).map_err(bad)
}

/// RFC 4945 §3.1: the identity must appear in the certificate (subjectAltName, or the subject
/// for DNs).
fn cert_has_identity(info: &CertInfo, id: &Identity) -> bool {
    let text = core::str::from_utf8(&id.data).ok();
    match id.id_type {
        IdType::DER_ASN1_DN => {
            Identity::new(IdType::DER_ASN1_DN, info.subject_der.clone()).same_as(id)
        }
        IdType::FQDN => {
            text.is_some_and(|t| info.san_dns.iter().any(|d| d.eq_ignore_ascii_case(t)))
        }
        IdType::RFC822_ADDR => {
            text.is_some_and(|t| info.san_email.iter().any(|d| d.eq_ignore_ascii_case(t)))
        }
        IdType::IPV4_ADDR | IdType::IPV6_ADDR => {
            let ip = match id.data.len() {
                4 => <[u8; 4]>::try_from(id.data.as_slice())
                    .ok()
                    .map(std::net::IpAddr::from),
                16 => <[u8; 16]>::try_from(id.data.as_slice())
                    .ok()
                    .map(std::net::IpAddr::from),
                _ => None,
            };
            ip.is_some_and(|ip| info.san_ip.contains(&ip))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikelab_crypto::DEFAULT;

    #[test]
    fn psk_auth_is_prf_of_prf() {
        let prf = DEFAULT.prf(5).unwrap();
        let sk = KeyBytes::from_slice(&[7; 32]);
        let id = IdPayload::new(IdType::FQDN, b"a.example".to_vec());
        let octets = signed_octets(b"msg1", b"nonce", prf, &sk, &id);
        assert_eq!(&octets[..9], b"msg1nonce");
        assert_eq!(octets.len(), 9 + 32);
        let cred = LocalCredential::Psk(Secret::new(b"k".to_vec()));
        let a = cred.auth(prf, &octets, &[]).unwrap();
        assert_eq!(a.method, AuthMethod::SHARED_KEY_MIC);
        let inner = prf.compute(b"k", &[KEY_PAD]);
        assert_eq!(a.data, prf.compute(inner.as_bytes(), &[&octets]).as_bytes());
        let remote = RemoteCredential::Psk(Secret::new(b"k".to_vec()));
        let peer = Identity::fqdn("a.example");
        remote.verify(prf, &octets, &a, &peer, &[]).unwrap();
        let wrong = RemoteCredential::Psk(Secret::new(b"x".to_vec()));
        assert_eq!(
            wrong.verify(prf, &octets, &a, &peer, &[]),
            Err(AuthFailure::PskMismatch)
        );
    }
}
