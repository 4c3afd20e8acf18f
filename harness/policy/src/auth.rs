//! How each side authenticates (RFC 7296 §2.15, §2.16; RFC 7427).
//!
//! ```toml
//! [local]
//! auth = { method = "psk", secret = "0x6b6579" }
//! # or
//! auth = { method = "pubkey", certificate = "certs/client.pem", private_key = "keys/client.pem" }
//! [remote]
//! auth = { method = "pubkey", trust_anchors = ["certs/ca.pem"] }
//! # EAP-TLS client (the gateway's TLS certificate is checked against remote.auth's anchors):
//! # auth = { method = "eap", eap_method = "tls", identity = "me@example",
//! #         tls = { certificate = "c.pem", private_key = "k.pem", fragment_size = 1000 } }
//! # EAP-TLS server, as [remote] (it answers with local.auth's pubkey certificate):
//! # auth = { method = "eap", eap_method = "tls", tls = { trust_anchors = ["ca.pem"] } }
//! ```
//!
//! Certificates and keys are inline PEM or file paths; the engine does no I/O, so paths are
//! read by [`crate::IkePolicy::load_files`] before the policy reaches it.

use std::path::{Path, PathBuf};

use ikelab_wire::iana::HashAlgorithm;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::pem;
use crate::registry;
use crate::secret::Secret;
use crate::PolicyError;

/// How we prove our identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum LocalAuth {
    /// Shared key message integrity code (AUTH method 2).
    Psk { secret: Secret },
    /// A signature with the private key of `certificate`.
    Pubkey {
        certificate: CertSource,
        /// Intermediate certificates sent after ours.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        chain: Vec<CertSource>,
        private_key: KeySource,
        #[serde(default)]
        signature: SignaturePolicy,
    },
    /// EAP as the client (RFC 7296 §2.16); the engine support is issue 8's.
    Eap {
        eap_method: EapMethod,
        /// EAP identity; the IKE identity when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identity: Option<String>,
        /// EAP-MSCHAPv2's password; unused (may be absent) with EAP-TLS.
        #[serde(default = "no_password")]
        password: Secret,
        /// EAP-TLS: our certificate and key (`certificate`, `private_key`, `chain`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tls: Option<EapTls>,
    },
}

fn no_password() -> Secret {
    Secret::new(Vec::new())
}

/// EAP-TLS settings (RFC 5216). The client sends `certificate` (with `chain`) and proves
/// `private_key`; it checks the server's certificate against `trust_anchors`, else against
/// the `remote.auth` pubkey trust anchors. The server answers with its IKE certificate and
/// key (`local.auth` pubkey) and requires a client certificate chaining to `trust_anchors`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EapTls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertSource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<CertSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key: Option<KeySource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trust_anchors: Vec<CertSource>,
    /// Largest TLS data in one EAP-TLS message; longer TLS messages are fragmented (§3.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragment_size: Option<u16>,
    /// Highest TLS version offered or accepted: "1.2" or "1.3" (the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_version: Option<String>,
}

impl EapTls {
    /// Reads file sources (relative paths from `base`).
    pub fn load(&mut self, base: &Path) -> Result<(), PolicyError> {
        for c in self.certificate.iter_mut().chain(&mut self.chain) {
            c.load(base)?;
        }
        for c in &mut self.trust_anchors {
            c.load(base)?;
        }
        if let Some(k) = &mut self.private_key {
            k.load(base)?;
        }
        Ok(())
    }
}

/// How we check the peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum RemoteAuth {
    /// The peer's AUTH payload must be method 2 with this key.
    Psk { secret: Secret },
    /// The peer signs; its certificate must chain to one of `trust_anchors`.
    Pubkey {
        trust_anchors: Vec<CertSource>,
        /// Accept AUTH methods 1 and 9-11 (RFC 7296 / RFC 4754) besides 14 (RFC 7427).
        #[serde(default = "yes")]
        allow_legacy_methods: bool,
    },
    /// The peer authenticates with EAP against these users; we are the EAP server.
    Eap {
        eap_method: EapMethod,
        /// EAP-MSCHAPv2's users; none with EAP-TLS.
        #[serde(default)]
        users: Vec<EapUser>,
        /// EAP-TLS: `trust_anchors` for the client certificate.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tls: Option<EapTls>,
    },
}

fn yes() -> bool {
    true
}

/// EAP methods the harness knows (issue 8 implements them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EapMethod {
    Mschapv2,
    Tls,
    Md5,
}

/// One EAP user on the server side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EapUser {
    pub identity: String,
    pub password: Secret,
}

/// Which AUTH method a signature goes out as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignaturePolicy {
    pub method: SignatureMethod,
    /// Hash for method 14, when the peer's SIGNATURE_HASH_ALGORITHMS allows it; the first of
    /// ours the peer lists otherwise.
    #[serde(with = "option_hash", skip_serializing_if = "Option::is_none")]
    pub hash: Option<HashAlgorithm>,
    /// RSASSA-PSS instead of PKCS#1 v1.5 for RSA keys under method 14.
    pub rsa_pss: bool,
}

impl Default for SignaturePolicy {
    fn default() -> Self {
        Self {
            method: SignatureMethod::Auto,
            hash: None,
            rsa_pss: false,
        }
    }
}

/// AUTH methods for signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureMethod {
    /// Method 14 when the peer sent SIGNATURE_HASH_ALGORITHMS, otherwise 1 (RSA) or 9/10/11
    /// (ECDSA by curve), as strongSwan does.
    #[default]
    Auto,
    /// Method 1: RSA PKCS#1 v1.5 with SHA-1.
    RsaSha1,
    /// Methods 9/10/11: ECDSA with the curve's hash (RFC 4754).
    Ecdsa,
    /// Method 14 (RFC 7427).
    DigitalSignature,
}

mod option_hash {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<HashAlgorithm>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(h) => registry::serialize(h, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HashAlgorithm>, D::Error> {
        registry::deserialize(d).map(Some)
    }
}

/// A certificate: DER (written inline as PEM) or a file still to be read.
#[derive(Clone, PartialEq, Eq)]
pub enum CertSource {
    Der(Vec<u8>),
    File(PathBuf),
}

impl CertSource {
    /// The DER certificate; an error if the file has not been loaded.
    pub fn der(&self) -> Result<&[u8], PolicyError> {
        match self {
            Self::Der(d) => Ok(d),
            Self::File(p) => Err(PolicyError::NotLoaded { path: p.clone() }),
        }
    }

    /// Reads a file source (relative paths from `base`).
    pub fn load(&mut self, base: &Path) -> Result<(), PolicyError> {
        if let Self::File(p) = self {
            let path = base.join(&*p);
            let text = read(&path)?;
            *self = Self::from_text(&text).map_err(|reason| PolicyError::Pem {
                path: Some(path.clone()),
                reason,
            })?;
        }
        Ok(())
    }

    /// A certificate from PEM (one CERTIFICATE block) or DER bytes.
    fn from_text(text: &[u8]) -> Result<Self, String> {
        let Ok(s) = core::str::from_utf8(text) else {
            return Ok(Self::Der(text.to_vec()));
        };
        let blocks = pem::decode_all(s).map_err(|e| e.to_string())?;
        match blocks.as_slice() {
            [b] if b.label == "CERTIFICATE" => Ok(Self::Der(b.der.clone())),
            [b] => Err(format!("expected a CERTIFICATE block, found {:?}", b.label)),
            _ => Err(format!(
                "expected one certificate, found {} PEM blocks (list intermediates in `chain`)",
                blocks.len()
            )),
        }
    }
}

impl core::fmt::Debug for CertSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Der(d) => write!(f, "CertSource::Der({} octets)", d.len()),
            Self::File(p) => write!(f, "CertSource::File({})", p.display()),
        }
    }
}

impl Serialize for CertSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Der(d) => s.serialize_str(&pem::encode("CERTIFICATE", d)),
            Self::File(p) => s.collect_str(&p.display()),
        }
    }
}

impl<'de> Deserialize<'de> for CertSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim_start().starts_with("-----BEGIN") {
            Self::from_text(s.as_bytes()).map_err(serde::de::Error::custom)
        } else {
            Ok(Self::File(PathBuf::from(s)))
        }
    }
}

/// A private key: PKCS#8 DER (secret) or a file still to be read. Serializes as the path, or
/// `"<redacted>"` for an inline key.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The PEM label (`PRIVATE KEY`, `EC PRIVATE KEY`, ...) and the DER key.
    Der {
        label: String,
        der: Secret,
    },
    File(PathBuf),
}

impl KeySource {
    /// The DER key and its PEM label; an error if the file has not been loaded.
    pub fn der(&self) -> Result<(&str, &Secret), PolicyError> {
        match self {
            Self::Der { label, der } => Ok((label, der)),
            Self::File(p) => Err(PolicyError::NotLoaded { path: p.clone() }),
        }
    }

    pub fn load(&mut self, base: &Path) -> Result<(), PolicyError> {
        if let Self::File(p) = self {
            let path = base.join(&*p);
            let text = zeroize::Zeroizing::new(read(&path)?);
            *self = Self::from_text(&text).map_err(|reason| PolicyError::Pem {
                path: Some(path.clone()),
                reason,
            })?;
        }
        Ok(())
    }

    fn from_text(text: &[u8]) -> Result<Self, String> {
        let Ok(s) = core::str::from_utf8(text) else {
            return Ok(Self::Der {
                label: "PRIVATE KEY".into(),
                der: Secret::new(text.to_vec()),
            });
        };
        let mut blocks = pem::decode_all(s).map_err(|e| e.to_string())?;
        let pos = blocks
            .iter()
            .position(|b| b.label.ends_with("PRIVATE KEY"))
            .ok_or("no PRIVATE KEY block")?;
        let b = blocks.swap_remove(pos);
        Ok(Self::Der {
            label: b.label,
            der: Secret::new(b.der),
        })
    }
}

impl core::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Der { label, .. } => write!(f, "KeySource::Der({label}, <redacted>)"),
            Self::File(p) => write!(f, "KeySource::File({})", p.display()),
        }
    }
}

impl Serialize for KeySource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Der { .. } => s.serialize_str(crate::secret::REDACTED),
            Self::File(p) => s.collect_str(&p.display()),
        }
    }
}

impl<'de> Deserialize<'de> for KeySource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = zeroize::Zeroizing::new(String::deserialize(d)?);
        if s.as_str() == crate::secret::REDACTED {
            return Err(serde::de::Error::custom(
                "the private key is \"<redacted>\": this policy was written with its secrets removed",
            ));
        }
        if s.trim_start().starts_with("-----BEGIN") {
            Self::from_text(s.as_bytes()).map_err(serde::de::Error::custom)
        } else {
            Ok(Self::File(PathBuf::from(s.as_str())))
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, PolicyError> {
    std::fs::read(path).map_err(|e| PolicyError::Io {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug)]
    struct W {
        auth: LocalAuth,
    }

    #[test]
    fn psk_and_pubkey_forms() {
        let w: W = toml::from_str(r#"auth = { method = "psk", secret = "0x0102" }"#).unwrap();
        assert_eq!(
            w.auth,
            LocalAuth::Psk {
                secret: Secret::new(vec![1, 2])
            }
        );
        let out = toml::to_string(&w).unwrap();
        assert!(
            out.contains("<redacted>") && !out.contains("0x0102"),
            "{out}"
        );

        let pem_cert = pem::encode("CERTIFICATE", &[0x30, 0x00]);
        let pem_key = pem::encode("PRIVATE KEY", &[0x30, 0x01, 0x00]);
        let text = format!(
            "auth = {{ method = \"pubkey\", certificate = '''{pem_cert}''', private_key = '''{pem_key}''', signature = {{ method = \"digital_signature\", hash = \"SHA2_384\" }} }}"
        );
        let w: W = toml::from_str(&text).unwrap();
        let LocalAuth::Pubkey {
            certificate,
            private_key,
            signature,
            ..
        } = &w.auth
        else {
            panic!("{:?}", w.auth)
        };
        assert_eq!(certificate.der().unwrap(), [0x30, 0x00]);
        assert_eq!(private_key.der().unwrap().1.expose(), [0x30, 0x01, 0x00]);
        assert_eq!(signature.hash, Some(HashAlgorithm::SHA2_384));
        assert!(!format!("{w:?}").contains("48, 1"), "key bytes in Debug");
        let out = toml::to_string(&w).unwrap();
        assert!(
            out.contains("BEGIN CERTIFICATE") && !out.contains("PRIVATE KEY"),
            "{out}"
        );
    }

    #[test]
    fn eap_tls_forms() {
        let pem_cert = pem::encode("CERTIFICATE", &[0x30, 0x00]);
        let pem_key = pem::encode("PRIVATE KEY", &[0x30, 0x01, 0x07]);
        let text = format!(
            "auth = {{ method = \"eap\", eap_method = \"tls\", identity = \"me\", tls = {{ certificate = '''{pem_cert}''', private_key = '''{pem_key}''', fragment_size = 300 }} }}"
        );
        let w: W = toml::from_str(&text).unwrap();
        let LocalAuth::Eap {
            eap_method,
            password,
            tls: Some(tls),
            ..
        } = &w.auth
        else {
            panic!("{:?}", w.auth)
        };
        assert_eq!(*eap_method, EapMethod::Tls);
        assert!(password.expose().is_empty());
        assert_eq!(tls.fragment_size, Some(300));
        let key = tls.private_key.as_ref().unwrap().der().unwrap().1;
        assert_eq!(key.expose(), [0x30, 0x01, 0x07]);
        assert!(!format!("{w:?}").contains("48, 1, 7"), "key bytes in Debug");
        let out = toml::to_string(&w).unwrap();
        assert!(
            out.contains("<redacted>") && !out.contains("PRIVATE KEY"),
            "{out}"
        );
        let e = toml::from_str::<W>(
            r#"auth = { method = "eap", eap_method = "tls", tls = { colour = 1 } }"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn unknown_fields_and_files() {
        let e = toml::from_str::<W>(r#"auth = { method = "psk", secret = "x", colour = 1 }"#)
            .unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        let e = toml::from_str::<W>(r#"auth = { method = "kerberos" }"#).unwrap_err();
        assert!(e.to_string().contains("kerberos"), "{e}");

        let dir = std::env::temp_dir().join(format!("ikelab-policy-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("c.pem"), pem::encode("CERTIFICATE", &[0x30, 0x00])).unwrap();
        let mut c = CertSource::File("c.pem".into());
        assert!(matches!(c.der(), Err(PolicyError::NotLoaded { .. })));
        c.load(&dir).unwrap();
        assert_eq!(c.der().unwrap(), [0x30, 0x00]);
        let mut missing = CertSource::File("nope.pem".into());
        let e = missing.load(&dir).unwrap_err();
        assert!(e.to_string().contains("nope.pem"), "{e}");
        std::fs::write(dir.join("k.pem"), pem::encode("CERTIFICATE", &[1])).unwrap();
        let mut k = KeySource::File("k.pem".into());
        assert!(k
            .load(&dir)
            .unwrap_err()
            .to_string()
            .contains("no PRIVATE KEY"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
