//! Certificate payloads and the references to them (constraints 4, 5, 20; XP-01..04; SEC-09).

use std::collections::HashMap;

use plist::{Dictionary, Value};

use super::ctx::Ctx;
use super::ike::IkeDict;
use super::value::{dict, int, nonempty, string};
use super::vpn::{ike_dicts, is_vpn};
use super::{Payload, Profile};
use crate::read::xmlpos::join;
use crate::schema::{CERT_PAYLOADS, IDENTITY_PAYLOADS};
use crate::x509::pkcs12::{self, P12Error};
use crate::x509::{self, CertInfo, KeyKind, San};

/// What a certificate payload holds, as far as it could be read.
#[derive(Debug)]
enum Content {
    /// Certificates (root/pem/pkcs1, or the certificates of an opened PKCS#12).
    Certs {
        leaf: Option<CertInfo>,
        all: Vec<CertInfo>,
    },
    /// PKCS#12 that could not be opened; nothing is known about the key.
    Locked,
    /// Generated on the device (SCEP/ACME): the requested key.
    Generated(KeyKind),
    /// Content missing or unreadable (already reported).
    Unknown,
}

fn data(d: &Dictionary) -> Option<&[u8]> {
    match d.get("PayloadContent") {
        Some(Value::Data(b)) => Some(b),
        _ => None,
    }
}

fn analyse(ctx: &mut Ctx, p: &Payload) -> Content {
    let content_path = p.at("PayloadContent");
    match p.ptype {
        "com.apple.security.pkcs12" => {
            let Some(bytes) = data(p.dict) else {
                return Content::Unknown;
            };
            if let Err(e) = pkcs12::parse(bytes) {
                ctx.emit(
                    "XP-01",
                    &content_path,
                    format!("the PKCS#12 identity cannot be parsed ({e}): the device refuses the payload and the profile does not install"),
                    "embed the DER bytes of a .p12 file".into(),
                );
                return Content::Unknown;
            }
            let password = string(p.dict, "Password");
            match pkcs12::open(bytes, password.unwrap_or("")) {
                Ok(c) => {
                    let all: Vec<CertInfo> = c.certs.iter().map(x509::cert_info).collect();
                    let leaf = all.iter().find(|c| !c.is_ca).or(all.first()).cloned();
                    if leaf.is_none() {
                        ctx.emit(
                            "XP-01",
                            &content_path,
                            "the PKCS#12 file holds no X.509 certificate: the device has no identity to offer".into(),
                            "export the identity together with its certificate".into(),
                        );
                    }
                    if let Some(KeyKind::Rsa { bits }) = leaf.as_ref().map(|l| &l.key) {
                        if *bits > 0 && *bits < 2048 {
                            ctx.emit(
                                "SEC-09",
                                &content_path,
                                format!("the identity's key is {bits}-bit RSA: below the 2048-bit minimum of current guidance"),
                                "issue a 2048-bit (or larger) RSA or an ECDSA identity".into(),
                            );
                        }
                    }
                    Content::Certs { leaf, all }
                }
                Err(e) => {
                    let (sev, msg) = match (&e, password) {
                        (P12Error::WrongPassword, Some(_)) => (
                            crate::diag::Severity::Warning,
                            "the profile's Password does not open the PKCS#12 identity: the device cannot import it and asks the user or fails".to_string(),
                        ),
                        (P12Error::WrongPassword, None) => (
                            crate::diag::Severity::Note,
                            "the PKCS#12 identity has no Password in the profile: the device asks for it during installation; its key type was not checked".to_string(),
                        ),
                        _ => (
                            crate::diag::Severity::Note,
                            format!("the PKCS#12 identity could not be opened here ({e}); its key type was not checked"),
                        ),
                    };
                    ctx.emit_at(
                        "XP-02",
                        sev,
                        &content_path,
                        msg,
                        "CertificateType and identity checks need a readable identity".into(),
                    );
                    Content::Locked
                }
            }
        }
        "com.apple.security.root" | "com.apple.security.pem" | "com.apple.security.pkcs1" => {
            let Some(bytes) = data(p.dict) else {
                return Content::Unknown;
            };
            match x509::parse_certs(bytes) {
                Ok(certs) => {
                    let all: Vec<CertInfo> = certs.iter().map(x509::cert_info).collect();
                    Content::Certs {
                        leaf: all.first().cloned(),
                        all,
                    }
                }
                Err(e) => {
                    ctx.emit(
                        "XP-01",
                        &content_path,
                        format!("the certificate cannot be parsed ({e}): the device refuses the payload and the profile does not install"),
                        "embed a DER or PEM X.509 certificate".into(),
                    );
                    Content::Unknown
                }
            }
        }
        "com.apple.security.scep" => {
            let sc = dict(p.dict, "PayloadContent");
            let bits = sc.and_then(|d| int(d, "Keysize")).unwrap_or(1024);
            if bits < 2048 {
                ctx.emit(
                    "SEC-09",
                    &join(&content_path, "Keysize"),
                    format!(
                        "the SCEP identity will be {bits}-bit RSA{}: below the 2048-bit minimum of current guidance",
                        if sc.is_some_and(|d| d.contains_key("Keysize")) { "" } else { " (Apple's default when Keysize is absent)" }
                    ),
                    "set Keysize to 2048 or 4096".into(),
                );
            }
            Content::Generated(KeyKind::Rsa {
                bits: usize::try_from(bits).unwrap_or(0),
            })
        }
        "com.apple.security.acme" => {
            let size = int(p.dict, "KeySize").unwrap_or(0);
            let kind = match string(p.dict, "KeyType") {
                Some("RSA") => KeyKind::Rsa {
                    bits: usize::try_from(size).unwrap_or(0),
                },
                Some("ECSECPrimeRandom") => KeyKind::Ec {
                    curve: match size {
                        256 => x509::Curve::P256,
                        384 => x509::Curve::P384,
                        521 => x509::Curve::P521,
                        n => x509::Curve::Other(format!("{n}-bit")),
                    },
                },
                other => KeyKind::Other(other.unwrap_or("unknown").to_string()),
            };
            Content::Generated(kind)
        }
        _ => Content::Unknown,
    }
}

/// `(path of the PayloadCertificateUUID key, its value, the IKE dict if it is one)`.
fn references<'a>(p: &'a Payload<'a>) -> Vec<(String, &'a str, Option<IkeDict<'a>>)> {
    let mut out = Vec::new();
    let mut ike_paths = Vec::new();
    for ike in ike_dicts(p) {
        if let Some(u) = ike.cert_uuid() {
            ike_paths.push(ike.path.clone());
            out.push((ike.at("PayloadCertificateUUID"), u, Some(ike)));
        }
    }
    for name in ["VPN", "IPSec", "TransparentProxy", "DNS", "IKEv2"] {
        let path = p.at(name);
        if ike_paths.contains(&path) {
            continue;
        }
        if let Some(u) = dict(p.dict, name).and_then(|d| nonempty(d, "PayloadCertificateUUID")) {
            out.push((join(&path, "PayloadCertificateUUID"), u, None));
        }
    }
    out
}

fn identity_matches(id: &str, cert: &CertInfo) -> bool {
    let id = id.trim();
    let eq = |s: &str| s.eq_ignore_ascii_case(id);
    cert.common_name.as_deref().is_some_and(eq)
        || eq(&cert.subject)
        || cert.sans.iter().any(|s| match s {
            San::Dns(d) | San::Email(d) | San::Uri(d) => eq(d),
            San::Ip(ip) => id.parse::<std::net::IpAddr>().is_ok_and(|i| i == *ip),
            San::Other => false,
        })
}

pub(crate) fn rules(ctx: &mut Ctx, prof: &Profile) {
    let mut contents: HashMap<usize, Content> = HashMap::new();
    for (i, p) in prof.payloads.iter().enumerate() {
        if CERT_PAYLOADS.contains(&p.ptype) {
            let c = analyse(ctx, p);
            contents.insert(i, c);
        }
    }
    let by_uuid = |u: &str| {
        prof.payloads.iter().enumerate().find(|(_, p)| {
            string(p.dict, "PayloadUUID").is_some_and(|x| x.eq_ignore_ascii_case(u.trim()))
        })
    };
    // CA common names in the profile, for XP-04.
    let ca_names: Vec<String> = contents
        .values()
        .filter_map(|c| match c {
            Content::Certs { all, .. } => Some(all),
            _ => None,
        })
        .flatten()
        .filter(|c| c.is_ca)
        .filter_map(|c| c.common_name.clone())
        .collect();
    for p in prof.payloads.iter().filter(|p| is_vpn(p)) {
        for (path, uuid, ike) in references(p) {
            let Some((idx, target)) = by_uuid(uuid) else {
                ctx.emit(
                    "IKE2-C04",
                    &path,
                    format!("PayloadCertificateUUID '{uuid}' names no payload in this profile: the device cannot find the credential, so the VPN payload fails to install"),
                    "set it to the PayloadUUID of the PKCS#12/SCEP/ACME payload in the same profile".into(),
                );
                continue;
            };
            if !CERT_PAYLOADS.contains(&target.ptype) {
                ctx.emit(
                    "IKE2-C04",
                    &path,
                    format!("PayloadCertificateUUID '{uuid}' names `{}` ({}), not a certificate payload: the device has no credential to use", target.path, if target.ptype.is_empty() { "no PayloadType" } else { target.ptype }),
                    "reference a com.apple.security.pkcs12/scep/acme payload".into(),
                );
                continue;
            }
            if !IDENTITY_PAYLOADS.contains(&target.ptype) {
                ctx.emit(
                    "IKE2-C05",
                    &path,
                    format!("PayloadCertificateUUID names a {} payload, which has no private key: the device cannot sign with it", target.ptype),
                    "reference an identity (com.apple.security.pkcs12, scep or acme) instead".into(),
                );
                continue;
            }
            let Some(ike) = ike else { continue };
            if ike.method() != Some("Certificate") {
                continue;
            }
            let key = match contents.get(&idx) {
                Some(Content::Certs { leaf: Some(l), .. }) => Some((l.key.clone(), Some(l))),
                Some(Content::Generated(k)) => Some((k.clone(), None)),
                _ => None,
            };
            let Some((key, leaf)) = key else { continue };
            let ct = string(ike.dict, "CertificateType").unwrap_or("RSA");
            let explicit = ike.dict.contains_key("CertificateType");
            if !key.matches_certificate_type(ct) {
                ctx.emit(
                    "IKE2-C20",
                    &ike.at(if explicit { "CertificateType" } else { "AuthenticationMethod" }),
                    format!(
                        "CertificateType {ct}{} but the identity's key is {key}: the device signs AUTH for the wrong algorithm and the server rejects it",
                        if explicit { "" } else { " (the default)" }
                    ),
                    match key.certificate_type() {
                        Some(t) => format!("set CertificateType to {t}"),
                        None => "use an RSA or ECDSA P-256/P-384/P-521 identity".into(),
                    },
                );
            }
            if let (Some(leaf), Some(lid)) = (leaf, nonempty(ike.dict, "LocalIdentifier")) {
                if !identity_matches(lid, leaf) {
                    ctx.emit(
                        "XP-03",
                        &ike.at("LocalIdentifier"),
                        format!("LocalIdentifier '{lid}' is neither the identity certificate's subject CN nor one of its subjectAltNames: servers that check IDi against the certificate reject the client"),
                        format!(
                            "use one of the certificate's names ({})",
                            leaf_names(leaf)
                        ),
                    );
                }
            }
        }
    }
    for p in prof.payloads.iter().filter(|p| is_vpn(p)) {
        for ike in ike_dicts(p) {
            if let Some(cn) = nonempty(ike.dict, "ServerCertificateIssuerCommonName") {
                if !ca_names.is_empty() && !ca_names.iter().any(|n| n == cn) {
                    ctx.emit(
                        "XP-04",
                        &ike.at("ServerCertificateIssuerCommonName"),
                        format!("ServerCertificateIssuerCommonName '{cn}' matches none of the CA certificates in this profile ({}): the device requests a certificate from an issuer the profile does not install", ca_names.join(", ")),
                        "use the issuing CA's CN exactly, or install that CA".into(),
                    );
                }
            }
        }
    }
}

fn leaf_names(c: &CertInfo) -> String {
    let mut names: Vec<String> = c.common_name.iter().map(|n| format!("CN {n}")).collect();
    for s in &c.sans {
        match s {
            San::Dns(d) => names.push(format!("DNS {d}")),
            San::Email(e) => names.push(format!("email {e}")),
            San::Ip(i) => names.push(format!("IP {i}")),
            San::Uri(u) => names.push(format!("URI {u}")),
            San::Other => {}
        }
    }
    if names.is_empty() {
        c.subject.clone()
    } else {
        names.join(", ")
    }
}
