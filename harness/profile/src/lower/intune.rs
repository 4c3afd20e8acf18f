//! Intune iOS/iPadOS IKEv2 VPN settings → the Apple payload Intune deploys → lowering.
//!
//! Two inputs: Microsoft Graph's `iosikEv2VpnConfiguration` JSON, and a TOML whose keys are the
//! setting names of Intune's "Add VPN settings on iOS and iPadOS devices" page in snake_case
//! (`connection_name`, `vpn_server_address`, `authentication_method`, ...,
//! `[security_association_parameters]` `encryption_algorithm` ...). The deployed payload models
//! what that page documents (rules LW-INTUNE-*): GCM selections deploy AES-256 (known issue),
//! a Diffie-Hellman group left unset deploys group 2, MOBIKE/Redirect toggles are inverted into
//! `DisableMOBIKE`/`DisableRedirect`, user + username/password = `None` + EAP, machine + shared
//! secret = `SharedSecret`. The report puts what the admin chose next to what the device sends.

use plist::{Dictionary, Value};
use serde::Serialize;

use super::{LoweredPayload, Lowering};
use crate::check::Report;
use crate::diag::{Diagnostic, Severity};

/// Why Intune settings could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct IntuneError {
    pub file: String,
    pub reason: String,
}

/// One SA parameter block as the admin set it (`None` = not configured).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaChoice {
    pub encryption: Option<String>,
    pub integrity: Option<String>,
    pub dh_group: Option<i64>,
    pub lifetime_min: Option<i64>,
}

/// The admin's settings, whichever input they came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub connection_name: String,
    pub server: String,
    pub remote_identifier: String,
    pub local_identifier: String,
    /// `user` or `machine`.
    pub client_auth: String,
    /// `certificates`, `username_and_password`, `shared_secret`.
    pub auth_method: String,
    pub shared_secret: Option<String>,
    pub certificate_type: Option<String>,
    pub server_cert_issuer_cn: Option<String>,
    pub server_cert_cn: Option<String>,
    pub dpd_rate: Option<String>,
    pub pfs: bool,
    pub mobike: bool,
    pub redirect: bool,
    pub mtu: Option<i64>,
    pub nat_keepalive: Option<i64>,
    pub always_on: bool,
    pub ike: SaChoice,
    pub child: SaChoice,
}

/// Reads Graph JSON (a text starting with `{`) or the TOML form.
pub fn parse(file: &str, text: &str) -> Result<Settings, IntuneError> {
    let err = |reason: String| IntuneError {
        file: file.into(),
        reason,
    };
    if text.trim_start().starts_with('{') {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?;
        from_graph(&v).map_err(err)
    } else {
        let v: toml::Value = toml::from_str(text).map_err(|e| err(format!("not TOML: {e}")))?;
        from_toml(&v).map_err(err)
    }
}

fn graph_encryption(v: &str) -> String {
    match v {
        "aes256" => "AES-256",
        "aes128" => "AES-128",
        "des" => "DES",
        "tripleDes" => "3DES",
        "aes128Gcm" => "AES-128-GCM",
        "aes256Gcm" => "AES-256-GCM",
        "chaCha20Poly1305" => "ChaCha20Poly1305",
        other => other,
    }
    .to_string()
}

fn graph_integrity(v: &str) -> String {
    match v {
        "sha2_256" => "SHA2-256",
        "sha1_96" => "SHA1-96",
        "sha1_160" => "SHA1-160",
        "sha2_384" => "SHA2-384",
        "sha2_512" => "SHA2-512",
        other => other,
    }
    .to_string()
}

fn from_graph(v: &serde_json::Value) -> Result<Settings, String> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let b = |k: &str| v.get(k).and_then(serde_json::Value::as_bool);
    let sa = |k: &str| {
        let d = v.get(k);
        let g = |f: &str| d.and_then(|d| d.get(f));
        SaChoice {
            encryption: g("securityEncryptionAlgorithm")
                .and_then(|x| x.as_str())
                .map(graph_encryption),
            integrity: g("securityIntegrityAlgorithm")
                .and_then(|x| x.as_str())
                .map(graph_integrity),
            // Graph has no "not configured" for the group: 0 or absent stands for it.
            dh_group: g("securityDiffieHellmanGroup")
                .and_then(serde_json::Value::as_i64)
                .filter(|g| *g != 0),
            lifetime_min: g("lifetimeInMinutes")
                .and_then(serde_json::Value::as_i64)
                .filter(|m| *m != 0),
        }
    };
    let server = v
        .get("server")
        .and_then(|s| s.get("address"))
        .and_then(|a| a.as_str())
        .map(str::to_string)
        .ok_or("no server.address: not an iosikEv2VpnConfiguration")?;
    let local = match s("localIdentifier").as_deref() {
        Some("deviceFQDN") => "{{DeviceFQDN}}".to_string(),
        Some("clientCertificateSubjectName") => "{{CertificateSubjectName}}".to_string(),
        _ => String::new(),
    };
    Ok(Settings {
        connection_name: s("connectionName").unwrap_or_default(),
        server,
        remote_identifier: s("remoteIdentifier").unwrap_or_default(),
        local_identifier: local,
        client_auth: match s("clientAuthenticationType").as_deref() {
            Some("deviceAuthentication") => "machine".into(),
            _ => "user".into(),
        },
        auth_method: match s("authenticationMethod").as_deref() {
            Some("sharedSecret") => "shared_secret".into(),
            Some("usernameAndPassword") => "username_and_password".into(),
            _ => "certificates".into(),
        },
        shared_secret: s("sharedSecret"),
        certificate_type: s("serverCertificateType").map(|t| t.to_ascii_uppercase()),
        server_cert_issuer_cn: s("serverCertificateIssuerCommonName"),
        server_cert_cn: s("serverCertificateCommonName"),
        dpd_rate: s("deadPeerDetectionRate").map(|r| {
            let mut c = r.chars();
            c.next().map_or(String::new(), |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        }),
        pfs: b("enablePerfectForwardSecrecy").unwrap_or(false),
        mobike: !b("disableMobilityAndMultihoming").unwrap_or(false),
        redirect: !b("disableRedirect").unwrap_or(false),
        mtu: v.get("mtuSizeInBytes").and_then(serde_json::Value::as_i64),
        nat_keepalive: v
            .get("natKeepAliveIntervalInSeconds")
            .and_then(serde_json::Value::as_i64),
        always_on: b("enableAlwaysOnConfiguration").unwrap_or(false),
        ike: sa("securityAssociationParameters"),
        child: sa("childSecurityAssociationParameters"),
    })
}

fn from_toml(v: &toml::Value) -> Result<Settings, String> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let b = |k: &str, d: bool| v.get(k).and_then(toml::Value::as_bool).unwrap_or(d);
    let norm = |x: String| x.to_ascii_lowercase().replace([' ', '-'], "_");
    let sa = |k: &str| {
        let d = v.get(k);
        let g = |f: &str| d.and_then(|d| d.get(f));
        SaChoice {
            encryption: g("encryption_algorithm")
                .and_then(|x| x.as_str())
                .map(str::to_string),
            integrity: g("integrity_algorithm")
                .and_then(|x| x.as_str())
                .map(str::to_string),
            dh_group: g("diffie_hellman_group").and_then(toml::Value::as_integer),
            lifetime_min: g("lifetime_minutes").and_then(toml::Value::as_integer),
        }
    };
    let server = s("vpn_server_address").ok_or("no vpn_server_address")?;
    let client_auth = norm(s("client_authentication_type").unwrap_or_else(|| "user".into()));
    Ok(Settings {
        connection_name: s("connection_name").unwrap_or_default(),
        server,
        remote_identifier: s("remote_identifier").unwrap_or_default(),
        local_identifier: s("local_identifier").unwrap_or_default(),
        client_auth: if client_auth.starts_with("machine") {
            "machine".into()
        } else {
            "user".into()
        },
        auth_method: norm(s("authentication_method").unwrap_or_else(|| "certificates".into())),
        shared_secret: s("shared_secret"),
        certificate_type: s("certificate_type"),
        server_cert_issuer_cn: s("server_certificate_issuer_common_name"),
        server_cert_cn: s("server_certificate_common_name"),
        dpd_rate: s("dead_peer_detection_rate").filter(|r| r != "Not configured"),
        pfs: b("perfect_forward_secrecy", false),
        mobike: b("mobility_and_multihoming", true),
        redirect: b("redirect", true),
        mtu: v
            .get("maximum_transmission_unit")
            .and_then(toml::Value::as_integer),
        nat_keepalive: v
            .get("nat_keepalive_interval")
            .and_then(toml::Value::as_integer),
        always_on: b("always_on_vpn", false),
        ike: sa("security_association_parameters"),
        child: sa("child_security_association_parameters"),
    })
}

/// A setting: what the admin chose, what Intune deploys, what the device sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub setting: String,
    pub chose: String,
    pub deployed: String,
    pub device_sends: String,
}

/// The Intune path's result.
#[derive(Debug, Clone)]
pub struct IntuneLowering {
    pub settings: Settings,
    pub rows: Vec<Row>,
    /// Intune-specific findings (IKE2-D04 GCM known issue, IKE2-D02 group-2 default).
    pub findings: Vec<Diagnostic>,
    /// The checker's report on the deployed profile.
    pub check: Report,
    pub lowering: Lowering,
    /// The deployed profile (XML) with its secrets replaced by `<redacted>`.
    pub deployed_redacted: String,
}

const VPN: &str = "PayloadContent[0]";

fn deployed_sa(c: &SaChoice, findings: &mut Vec<Diagnostic>, path: &str) -> Dictionary {
    let mut d = Dictionary::new();
    let chose = c.encryption.clone().unwrap_or_else(|| "AES-256".into());
    let enc = if chose.ends_with("-GCM") {
        findings.push(Diagnostic {
            severity: Severity::Warning,
            rule: "IKE2-D04",
            path: format!("{path}.EncryptionAlgorithm"),
            line: None,
            column: None,
            message: format!("the admin chose {chose}, but Intune deploys AES-256 (documented known issue): the device proposes AES-CBC-256 with an integrity algorithm, and a GCM-only gateway answers NO_PROPOSAL_CHOSEN"),
            help: "configure AES-256 (CBC) on both sides, or deploy the profile without Intune's VPN template (custom .mobileconfig) to get GCM".into(),
        });
        "AES-256".to_string()
    } else {
        chose
    };
    d.insert("EncryptionAlgorithm".into(), Value::String(enc));
    d.insert(
        "IntegrityAlgorithm".into(),
        Value::String(c.integrity.clone().unwrap_or_else(|| "SHA2-256".into())),
    );
    let dh = match c.dh_group {
        Some(g) => g,
        None => {
            findings.push(Diagnostic {
                severity: Severity::Warning,
                rule: "IKE2-D02",
                path: format!("{path}.DiffieHellmanGroup"),
                line: None,
                column: None,
                message: "the Diffie-Hellman group was left at Intune's default, group 2 (MODP-1024; Apple's default is 14): RFC 8247 says SHOULD NOT, and AlwaysOn on iOS 14.2+ refuses it".into(),
                help: "select group 14, 19 or 20 explicitly".into(),
            });
            2
        }
    };
    d.insert("DiffieHellmanGroup".into(), Value::Integer(dh.into()));
    d.insert(
        "LifeTimeInMinutes".into(),
        Value::Integer(c.lifetime_min.unwrap_or(1440).into()),
    );
    d
}

/// The Apple profile Intune deploys for these settings (secrets included).
pub fn deploy(s: &Settings, findings: &mut Vec<Diagnostic>) -> Dictionary {
    let mut ike = Dictionary::new();
    let st = |v: &str| Value::String(v.to_string());
    ike.insert("RemoteAddress".into(), st(&s.server));
    ike.insert("RemoteIdentifier".into(), st(&s.remote_identifier));
    ike.insert("LocalIdentifier".into(), st(&s.local_identifier));
    let cert_uuid = "6D1E3B4A-9C2F-4E5D-8A7B-1C0D2E3F4A5B";
    match (s.client_auth.as_str(), s.auth_method.as_str()) {
        (_, "shared_secret") => {
            ike.insert("AuthenticationMethod".into(), st("SharedSecret"));
            ike.insert("ExtendedAuthEnabled".into(), Value::Integer(0.into()));
            if let Some(p) = &s.shared_secret {
                ike.insert("SharedSecret".into(), st(p));
            }
        }
        (_, "username_and_password") => {
            ike.insert("AuthenticationMethod".into(), st("None"));
            ike.insert("ExtendedAuthEnabled".into(), Value::Integer(1.into()));
        }
        ("user", _) => {
            // User + certificate = EAP-TLS with the certificate profile's identity (§4, D18).
            ike.insert("AuthenticationMethod".into(), st("None"));
            ike.insert("ExtendedAuthEnabled".into(), Value::Integer(1.into()));
            ike.insert("PayloadCertificateUUID".into(), st(cert_uuid));
        }
        _ => {
            ike.insert("AuthenticationMethod".into(), st("Certificate"));
            ike.insert("ExtendedAuthEnabled".into(), Value::Integer(0.into()));
            ike.insert("PayloadCertificateUUID".into(), st(cert_uuid));
        }
    }
    if s.auth_method == "certificates" {
        ike.insert(
            "CertificateType".into(),
            st(s.certificate_type.as_deref().unwrap_or("RSA")),
        );
    }
    if let Some(v) = &s.server_cert_issuer_cn {
        ike.insert("ServerCertificateIssuerCommonName".into(), st(v));
    }
    if let Some(v) = &s.server_cert_cn {
        ike.insert("ServerCertificateCommonName".into(), st(v));
    }
    if let Some(v) = &s.dpd_rate {
        ike.insert("DeadPeerDetectionRate".into(), st(v));
    }
    ike.insert("EnablePFS".into(), Value::Integer(i64::from(s.pfs).into()));
    ike.insert(
        "DisableMOBIKE".into(),
        Value::Integer(i64::from(!s.mobike).into()),
    );
    ike.insert(
        "DisableRedirect".into(),
        Value::Integer(i64::from(!s.redirect).into()),
    );
    if let Some(m) = s.mtu {
        ike.insert("MTU".into(), Value::Integer(m.into()));
    }
    if let Some(n) = s.nat_keepalive {
        ike.insert("NATKeepAliveInterval".into(), Value::Integer(n.into()));
    }
    let ike_sa = deployed_sa(
        &s.ike,
        findings,
        &format!("{VPN}.IKEv2.IKESecurityAssociationParameters"),
    );
    let child_sa = deployed_sa(
        &s.child,
        findings,
        &format!("{VPN}.IKEv2.ChildSecurityAssociationParameters"),
    );
    ike.insert(
        "IKESecurityAssociationParameters".into(),
        Value::Dictionary(ike_sa),
    );
    ike.insert(
        "ChildSecurityAssociationParameters".into(),
        Value::Dictionary(child_sa),
    );

    let mut vpn = Dictionary::new();
    vpn.insert("PayloadType".into(), st("com.apple.vpn.managed"));
    vpn.insert("PayloadVersion".into(), Value::Integer(1.into()));
    vpn.insert(
        "PayloadIdentifier".into(),
        st("com.microsoft.intune.vpn.ikev2"),
    );
    vpn.insert(
        "PayloadUUID".into(),
        st("0B7E5C1A-2D3F-4A6B-9C8D-7E6F5A4B3C2D"),
    );
    vpn.insert("UserDefinedName".into(), st(&s.connection_name));
    if s.always_on {
        vpn.insert("VPNType".into(), st("AlwaysOn"));
        let mut tc = ike;
        tc.insert("ProtocolType".into(), st("IKEv2"));
        let mut ao = Dictionary::new();
        ao.insert(
            "TunnelConfigurations".into(),
            Value::Array(vec![Value::Dictionary(tc)]),
        );
        vpn.insert("AlwaysOn".into(), Value::Dictionary(ao));
    } else {
        vpn.insert("VPNType".into(), st("IKEv2"));
        vpn.insert("IKEv2".into(), Value::Dictionary(ike));
    }
    let mut root = Dictionary::new();
    root.insert("PayloadType".into(), st("Configuration"));
    root.insert("PayloadVersion".into(), Value::Integer(1.into()));
    root.insert(
        "PayloadIdentifier".into(),
        st("com.microsoft.intune.profile"),
    );
    root.insert(
        "PayloadUUID".into(),
        st("5A4B3C2D-1E0F-4A9B-8C7D-6E5F4A3B2C1D"),
    );
    root.insert("PayloadDisplayName".into(), st(&s.connection_name));
    root.insert(
        "PayloadContent".into(),
        Value::Array(vec![Value::Dictionary(vpn)]),
    );
    root
}

fn xml(d: &Dictionary) -> Vec<u8> {
    let mut buf = Vec::new();
    if Value::Dictionary(d.clone())
        .to_writer_xml(&mut buf)
        .is_err()
    {
        buf.clear();
    }
    buf
}

fn redact(v: &mut Value) {
    match v {
        Value::Dictionary(d) => {
            for (k, x) in d.iter_mut() {
                if matches!(
                    k.as_str(),
                    "SharedSecret" | "AuthPassword" | "Password" | "PPK"
                ) {
                    *x = Value::String("<redacted>".into());
                } else {
                    redact(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}

fn rows(s: &Settings, p: Option<&LoweredPayload>) -> Vec<Row> {
    let mut r = Vec::new();
    let sends_ike = p
        .and_then(|p| p.ike_proposals.first())
        .map_or(String::new(), |x| x.strongswan.clone());
    let sends_esp = p
        .and_then(|p| p.esp_proposals.first())
        .map_or(String::new(), |x| x.strongswan.clone());
    for (label, c, sends) in [
        ("Security association parameters", &s.ike, &sends_ike),
        (
            "Child security association parameters",
            &s.child,
            &sends_esp,
        ),
    ] {
        let enc = c.encryption.clone().unwrap_or_else(|| "(default)".into());
        let enc_dep = if enc.ends_with("-GCM") || enc == "(default)" {
            "AES-256".to_string()
        } else {
            enc.clone()
        };
        r.push(Row {
            setting: format!("{label}: Encryption algorithm"),
            chose: enc,
            deployed: enc_dep,
            device_sends: sends.clone(),
        });
        r.push(Row {
            setting: format!("{label}: Diffie-Hellman group"),
            chose: c.dh_group.map_or("(default)".into(), |g| g.to_string()),
            deployed: c.dh_group.unwrap_or(2).to_string(),
            device_sends: sends.clone(),
        });
    }
    r.push(Row {
        setting: "Mobility and multihoming (MOBIKE)".into(),
        chose: if s.mobike { "Enable" } else { "Disable" }.into(),
        deployed: format!("DisableMOBIKE {}", i64::from(!s.mobike)),
        device_sends: p.map_or(String::new(), |p| {
            if p.mobike {
                "MOBIKE_SUPPORTED".into()
            } else {
                "no MOBIKE_SUPPORTED".into()
            }
        }),
    });
    r.push(Row {
        setting: "Authentication method".into(),
        chose: format!("{} ({})", s.auth_method, s.client_auth),
        deployed: p.map_or(String::new(), |p| p.auth.local.clone()),
        device_sends: p.map_or(String::new(), |p| p.auth.local.clone()),
    });
    r
}

impl IntuneLowering {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "rows": self.rows,
            "findings": self.findings,
            "checker_findings": self.check.diagnostics,
            "deployed_profile": self.deployed_redacted,
        })
    }

    /// Rules reported on the Intune path: Intune findings and the checker's on the payload.
    pub fn rule_ids(&self) -> Vec<&'static str> {
        self.findings
            .iter()
            .chain(&self.check.diagnostics)
            .map(|d| d.rule)
            .collect()
    }
}

/// Reads Intune settings and lowers what Intune deploys.
pub fn lower_text(file: &str, text: &str) -> Result<IntuneLowering, IntuneError> {
    let settings = parse(file, text)?;
    let mut findings = Vec::new();
    let root = deploy(&settings, &mut findings);
    let bytes = xml(&root);
    let name = format!("{file} (as deployed by Intune)");
    let src = crate::read::read(&bytes).map_err(|e| IntuneError {
        file: file.into(),
        reason: format!("deployed profile unreadable: {e}"),
    })?;
    let check = crate::check::check_source(&name, &src, &crate::Options::default());
    let lowering = super::lower_source(&name, &src);
    let mut redacted = Value::Dictionary(root);
    redact(&mut redacted);
    let deployed_redacted = redacted
        .as_dictionary()
        .map(xml)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    Ok(IntuneLowering {
        rows: rows(&settings, lowering.payloads.first()),
        settings,
        findings,
        check,
        lowering,
        deployed_redacted,
    })
}
