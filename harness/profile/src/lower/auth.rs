//! Authentication per side (LW-AUTH-*).

use ikelab_policy::{CertSource, EapMethod, LocalAuth, RemoteAuth, Secret};
use plist::{Dictionary, Value};
use serde::Serialize;

use super::Sink;
use crate::check::value::{flag, nonempty, string};
use crate::read::xmlpos::join;

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

pub fn policy_auth(
    sink: &mut Sink,
    a: &AuthOut,
    ike: &Dictionary,
    path: &str,
    anchors: &[Vec<u8>],
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
        LocalMethod::Signature { .. } | LocalMethod::EapTls => {
            return Err("the device authenticates with the certificate of its PayloadCertificateUUID identity; the reference client does not take private keys out of a profile".into())
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
