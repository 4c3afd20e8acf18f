//! Authentication per side (LW-AUTH-*).

use ikelab_policy::{
    CertSource, EapMethod, EapTls, KeySource, LocalAuth, RemoteAuth, Secret, SignaturePolicy,
};
use plist::{Dictionary, Value};
use serde::Serialize;

use super::Sink;
use crate::check::value::{flag, nonempty, string};
use crate::diag::Severity;
use crate::read::xmlpos::{index, join};
use crate::x509::keypair::{key_matches, KeyMatch};
use crate::x509::pkcs12::{self, P12Error};

/// How the device authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum LocalMethod {
    /// AUTH method 2.
    Psk,
    /// A signature with the identity certificate (`CertificateType`); `auth_method` is the
    /// IANA AUTH method the type implies without RFC 7427 (1, 9, 10, 11) or 14.
    Signature {
        certificate_type: String,
        auth_method: &'static str,
    },
    EapMschapv2,
    EapTls,
}

/// How the gateway must authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteMethod {
    Psk,
    Signature,
}

impl LocalMethod {
    pub fn label(&self) -> String {
        match self {
            Self::Psk => "psk".into(),
            Self::Signature {
                certificate_type, ..
            } => format!("pubkey ({certificate_type})"),
            Self::EapMschapv2 => "eap-mschapv2".into(),
            Self::EapTls => "eap-tls".into(),
        }
    }

    pub fn is_eap(&self) -> bool {
        matches!(self, Self::EapMschapv2 | Self::EapTls)
    }
}

impl RemoteMethod {
    pub fn label(self) -> &'static str {
        match self {
            Self::Psk => "psk",
            Self::Signature => "pubkey",
        }
    }
}

/// Output form of `auth`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthOut {
    /// `psk`, `pubkey (ECDSA384)`, `eap-mschapv2`, `eap-tls`.
    pub local: String,
    /// `psk` or `pubkey`.
    pub remote: String,
    #[serde(skip)]
    pub local_method: LocalMethod,
    #[serde(skip)]
    pub remote_method: RemoteMethod,
    /// What the server certificate is checked against (pubkey only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_certificate_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_certificate_issuer: Option<String>,
}

const CERT_TYPES: &[(&str, &str)] = &[
    ("RSA", "RSA_DIGITAL_SIGNATURE"),
    ("ECDSA256", "ECDSA_SHA256_P256"),
    ("ECDSA384", "ECDSA_SHA384_P384"),
    ("ECDSA521", "ECDSA_SHA512_P521"),
    ("RSA-PSS", "DIGITAL_SIGNATURE"),
];

/// Decides both sides' methods.
pub fn methods(sink: &mut Sink, ike: &Dictionary, path: &str) -> AuthOut {
    let am_path = join(path, "AuthenticationMethod");
    let method = match ike.get("AuthenticationMethod") {
        Some(Value::String(s)) if ["None", "SharedSecret", "Certificate"].contains(&s.as_str()) => {
            s.as_str()
        }
        Some(v) => {
            sink.invalid(&am_path, v, "SharedSecret");
            "SharedSecret"
        }
        None => {
            sink.error(
                &am_path,
                "AuthenticationMethod is missing (required): lowered as SharedSecret, the schema's fallback for None".into(),
                "set AuthenticationMethod to SharedSecret, Certificate or None (with ExtendedAuthEnabled 1)".into(),
            );
            "SharedSecret"
        }
    };
    let eap = flag(ike, "ExtendedAuthEnabled") == Some(true);
    let has_cert = nonempty(ike, "PayloadCertificateUUID").is_some();
    let cert_type = || {
        let t = string(ike, "CertificateType").unwrap_or("RSA");
        CERT_TYPES
            .iter()
            .find(|(n, _)| *n == t)
            .copied()
            .unwrap_or(("RSA", "RSA_DIGITAL_SIGNATURE"))
    };
    let (local, remote) = match (method, eap) {
        ("SharedSecret", false) => {
            sink.apply("auth", "LW-AUTH-PSK");
            sink.apply("auth", "LW-AUTH-PSK-REMOTE");
            (LocalMethod::Psk, RemoteMethod::Psk)
        }
        ("None", false) => {
            sink.apply("auth", "LW-AUTH-NONE");
            sink.apply("auth", "LW-AUTH-PSK-REMOTE");
            (LocalMethod::Psk, RemoteMethod::Psk)
        }
        ("Certificate", false) => {
            sink.apply("auth", "LW-AUTH-CERT");
            sink.apply("auth", "LW-AUTH-SERVER-CERT");
            let (t, m) = cert_type();
            (
                LocalMethod::Signature {
                    certificate_type: t.into(),
                    auth_method: m,
                },
                RemoteMethod::Signature,
            )
        }
        ("None", true) => {
            sink.apply("auth", "LW-AUTH-EAP");
            sink.apply("auth", "LW-AUTH-SERVER-CERT");
            let l = if has_cert {
                LocalMethod::EapTls
            } else {
                LocalMethod::EapMschapv2
            };
            (l, RemoteMethod::Signature)
        }
        (m, _) => {
            sink.apply("auth", "LW-AUTH-EAP-MIXED");
            let l = if has_cert {
                LocalMethod::EapTls
            } else {
                LocalMethod::EapMschapv2
            };
            let r = if m == "SharedSecret" {
                RemoteMethod::Psk
            } else {
                sink.apply("auth", "LW-AUTH-SERVER-CERT");
                RemoteMethod::Signature
            };
            (l, r)
        }
    };
    let server_name = (remote == RemoteMethod::Signature).then(|| {
        nonempty(ike, "ServerCertificateCommonName")
            .or_else(|| nonempty(ike, "RemoteIdentifier"))
            .unwrap_or("")
            .to_string()
    });
    AuthOut {
        local: local.label(),
        remote: remote.label().into(),
        local_method: local,
        remote_method: remote,
        server_certificate_name: server_name,
        server_certificate_issuer: (remote == RemoteMethod::Signature)
            .then(|| nonempty(ike, "ServerCertificateIssuerCommonName").map(str::to_string))
            .flatten(),
    }
}

/// The policy's auth, when the reference client can use it; `Err` says why not.
/// The payload's SharedSecret (string or data), when non-empty.
pub fn shared_secret(ike: &Dictionary) -> Option<Secret> {
    match ike.get("SharedSecret") {
        Some(Value::String(s)) if !s.is_empty() => Some(Secret::new(s.as_bytes().to_vec())),
        Some(Value::Data(d)) if !d.is_empty() => Some(Secret::new(d.clone())),
        _ => None,
    }
}

/// `items` are the profile's top-level payloads (for the PayloadCertificateUUID identity).
pub fn policy_auth(
    sink: &mut Sink,
    a: &AuthOut,
    ike: &Dictionary,
    path: &str,
    anchors: &[Vec<u8>],
    items: &[Value],
) -> Result<(LocalAuth, RemoteAuth), String> {
    let psk = || shared_secret(ike);
    let local = match &a.local_method {
        LocalMethod::Psk => match psk() {
            Some(secret) => LocalAuth::Psk { secret },
            None => {
                sink.error(
                    &join(path, "SharedSecret"),
                    "the payload authenticates with a shared secret but SharedSecret is missing or empty".into(),
                    "set SharedSecret (or choose another AuthenticationMethod)".into(),
                );
                return Err("no SharedSecret in the profile".into());
            }
        },
        LocalMethod::EapMschapv2 => {
            let identity = nonempty(ike, "AuthName").map(str::to_string);
            match nonempty(ike, "AuthPassword") {
                Some(pw) => LocalAuth::Eap {
                    eap_method: EapMethod::Mschapv2,
                    identity,
                    password: Secret::new(pw.as_bytes().to_vec()),
                    tls: None,
                },
                None => return Err("EAP-MSCHAPv2 without AuthPassword: the device prompts the user for the password".into()),
            }
        }
        LocalMethod::Signature { .. } => {
            let id = identity(sink, ike, path, items)?;
            LocalAuth::Pubkey {
                certificate: CertSource::Der(id.certificate),
                chain: id.chain.into_iter().map(CertSource::Der).collect(),
                private_key: id.key,
                signature: SignaturePolicy::default(),
            }
        }
        LocalMethod::EapTls => {
            let id = identity(sink, ike, path, items)?;
            LocalAuth::Eap {
                eap_method: EapMethod::Tls,
                identity: nonempty(ike, "AuthName").map(str::to_string),
                password: Secret::new(Vec::new()),
                tls: Some(EapTls {
                    certificate: Some(CertSource::Der(id.certificate)),
                    chain: id.chain.into_iter().map(CertSource::Der).collect(),
                    private_key: Some(id.key),
                    trust_anchors: anchors.iter().cloned().map(CertSource::Der).collect(),
                    ..EapTls::default()
                }),
            }
        }
    };
    let remote = match a.remote_method {
        RemoteMethod::Psk => match psk() {
            Some(secret) => RemoteAuth::Psk { secret },
            None => return Err("no SharedSecret in the profile".into()),
        },
        RemoteMethod::Signature => RemoteAuth::Pubkey {
            trust_anchors: anchors.iter().cloned().map(CertSource::Der).collect(),
            allow_legacy_methods: true,
        },
    };
    Ok((local, remote))
}

/// The device's identity from its PKCS#12 payload: leaf certificate, the other certificates,
/// and the leaf's PKCS#8 key.
struct Identity {
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
    key: KeySource,
}

/// A problem with the identity that the checker does not report: a lowering warning on
/// `at`, and the policy note.
fn unusable(sink: &mut Sink, at: &str, msg: String, help: &str) -> String {
    sink.push(Severity::Warning, "LOWER-04", at, msg.clone(), help.into());
    msg
}

/// Opens the PKCS#12 payload named by the IKEv2 dictionary's PayloadCertificateUUID.
fn identity(
    sink: &mut Sink,
    ike: &Dictionary,
    path: &str,
    items: &[Value],
) -> Result<Identity, String> {
    use der::Encode;
    let Some(uuid) = nonempty(ike, "PayloadCertificateUUID") else {
        return Err(format!(
            "{} is missing: the device has no identity to authenticate with",
            join(path, "PayloadCertificateUUID")
        ));
    };
    let found = items.iter().enumerate().find_map(|(i, v)| {
        let d = v.as_dictionary()?;
        string(d, "PayloadUUID")
            .is_some_and(|u| u.eq_ignore_ascii_case(uuid.trim()))
            .then(|| (index("PayloadContent", i), d))
    });
    let Some((p, d)) = found else {
        return Err(format!(
            "PayloadCertificateUUID '{uuid}' names no payload in this profile: the device has no identity"
        ));
    };
    match string(d, "PayloadType").unwrap_or("") {
        "com.apple.security.pkcs12" => {}
        t @ ("com.apple.security.scep" | "com.apple.security.acme") => {
            return Err(format!(
                "the identity {p} ({t}) is generated on the device: its private key never leaves it, so the reference client cannot stand in for the device"
            ))
        }
        t => {
            return Err(format!(
                "the PayloadCertificateUUID payload {p} is `{t}`, not a PKCS#12 identity: it has no private key"
            ))
        }
    }
    let content = join(&p, "PayloadContent");
    let Some(Value::Data(bytes)) = d.get("PayloadContent") else {
        return Err(format!("{content} holds no PKCS#12 data"));
    };
    let Some(password) = string(d, "Password") else {
        return Err(format!(
            "the PKCS#12 identity has no Password in the profile ({}): the device asks the user",
            join(&p, "Password")
        ));
    };
    let opened = match pkcs12::open(bytes, password) {
        Ok(c) => c,
        Err(P12Error::WrongPassword) => {
            return Err(unusable(
                sink,
                &join(&p, "Password"),
                format!("{} does not open the PKCS#12 identity {content}: the device cannot import it, so it has no key to authenticate with", join(&p, "Password")),
                "set Password to the PKCS#12 file's export password",
            ))
        }
        // Unparseable files are the checker's XP-01 error already.
        Err(e @ P12Error::NotPkcs12(_)) => {
            return Err(format!("the PKCS#12 identity {content} cannot be read: {e}"))
        }
        Err(e) => {
            return Err(unusable(
                sink,
                &content,
                format!("the PKCS#12 identity {content} cannot be opened here: {e}"),
                "export the identity with PBES2/AES or PBE-SHA1-3DES",
            ))
        }
    };
    if opened.keys.is_empty() {
        let msg = match opened.key_errors.first() {
            Some(e) => format!("the private key in {content} cannot be decrypted: {e}"),
            None => format!("{content} holds no private key (no keyBag or pkcs8ShroudedKeyBag): the device has a certificate but cannot sign"),
        };
        return Err(unusable(
            sink,
            &content,
            msg,
            "export the identity together with its private key",
        ));
    }
    // The identity is the certificate a key belongs to; an end-entity certificate first.
    let mut order: Vec<usize> = (0..opened.certs.len()).collect();
    order.sort_by_key(|&i| crate::x509::cert_info(&opened.certs[i]).is_ca);
    let mut pick = None;
    'outer: for want in [KeyMatch::Yes, KeyMatch::Unchecked] {
        for &ci in &order {
            for key in &opened.keys {
                if key_matches(&opened.certs[ci], key.expose()) == Ok(want) {
                    pick = Some((ci, key.clone()));
                    break 'outer;
                }
            }
        }
    }
    let Some((leaf, key)) = pick else {
        return Err(unusable(
            sink,
            &content,
            format!("the private key in {content} belongs to none of its certificates: the device cannot sign with the identity"),
            "export the certificate together with its own private key",
        ));
    };
    let ders: Vec<Vec<u8>> = opened
        .certs
        .iter()
        .map(|c| {
            c.to_der()
                .map_err(|e| format!("{content}: certificate: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let certificate = ders[leaf].clone();
    let chain = ders
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != leaf)
        .map(|(_, d)| d)
        .collect();
    Ok(Identity {
        certificate,
        chain,
        key: KeySource::Der {
            label: "PRIVATE KEY".into(),
            der: key,
        },
    })
}
