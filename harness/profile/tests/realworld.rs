//! The real-world corpus (`corpora/profiles/`): templates are filled, then every complete profile
//! must get no error (the review of every finding is in `corpora/profiles/REVIEW.md`).
//! `PROFILE_REVIEW=1 cargo test -p ikelab-profile --test realworld -- --nocapture` prints them all.

mod common;

use std::path::{Path, PathBuf};

use base64::Engine;
use common::*;
use ikelab_profile::{Report, Severity};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/profiles")
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn ca_pem() -> String {
    let body = b64(CA_DER);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

const PSK: &str = "Xk3-9fQz-81Lm-Tw2p-Qa7v-Rb5n";

fn value(name: &str) -> Option<String> {
    Some(match name {
        "P12_UUID" | "uuid1" => P12_UUID.into(),
        "VPN_UUID" => VPN_UUID.into(),
        "CA_UUID" => CA_UUID.into(),
        "PROFILE_UUID" => "A1B2C3D4-0000-4000-8000-000000000001".into(),
        "SERVICE_UUID" | "CONN_UUID" => "A1B2C3D4-0000-4000-8000-000000000002".into(),
        "UUID" => "A1B2C3D4-0000-4000-8000-000000000003".into(),
        "P12_EC384_BASE64" => b64(P12_EC384),
        "p12_base64" => b64(P12_RSA),
        "CA_PEM_BASE64" => b64(ca_pem().as_bytes()),
        "ca_base64" => b64(CA_DER),
        "P12_PASSWORD" | "p12_password" => P12_PASS.into(),
        "SHARED_SECRET" | "CONN_SHARED_SECRET" | "VPNSECRET" => PSK.into(),
        "REMOTE_ADDRESS"
        | "CONN_HOST"
        | "VPNHOST"
        | "DOMAIN"
        | "server_addr"
        | "REMOTE_ID"
        | "CONN_REMOTE_IDENTIFIER" => "vpn.example.com".into(),
        "LOCAL_ID" => "client@example.com".into(),
        "client_name" => "client.example.com".into(),
        "PROFILE_NAME" | "SERVICE_NAME" | "SERVICE_NAME_ALT" | "CONN_NAME" => "Example VPN".into(),
        "PROFILE_ID" | "PROFILE_IDENTIFIER" => "com.example.vpn".into(),
        "SERVICE_ID" | "CONN_IDENTIFIER" => "com.example.vpn.conn".into(),
        "VPNUSERNAME" => "alice".into(),
        _ => return None,
    })
}

/// Fills `${NAME}`, `{{NAME}}`, `$name` and `$(uuidgen)` (a fresh UUID per occurrence).
fn fill(t: &str) -> String {
    let mut out = String::new();
    let mut rest = t;
    let mut n = 0;
    while let Some(i) = rest.find(['$', '{']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with("$(uuidgen)") {
            n += 1;
            out.push_str(&format!("B0B0B0B0-0000-4000-8000-{n:012}"));
            rest = &rest["$(uuidgen)".len()..];
            continue;
        }
        let (name, len) = if let Some(r) = rest.strip_prefix("${") {
            let e = r.find('}').unwrap();
            (&r[..e], e + 3)
        } else if let Some(r) = rest.strip_prefix("{{") {
            let e = r.find("}}").unwrap();
            (&r[..e], e + 4)
        } else if let Some(r) = rest.strip_prefix('$') {
            let e = r
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            (&r[..e], e + 1)
        } else {
            out.push('{');
            rest = &rest[1..];
            continue;
        };
        let v = value(name).unwrap_or_else(|| panic!("no fixture value for placeholder {name}"));
        out.push_str(&v);
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

fn files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .chain(std::fs::read_dir(corpus().join("own")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    v.sort();
    v
}

fn is_skeleton(p: &Path) -> bool {
    p.file_name()
        .unwrap()
        .to_string_lossy()
        .contains("profiledocs")
}

fn check_file(p: &Path) -> Report {
    let raw = std::fs::read_to_string(p).unwrap();
    let text = if p.to_string_lossy().ends_with(".template") {
        fill(&raw)
    } else {
        raw
    };
    let name = p.file_name().unwrap().to_string_lossy().to_string();
    ikelab_profile::check_bytes(&name, text.as_bytes(), &Default::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn complete_real_profiles_have_no_errors() {
    let review = std::env::var_os("PROFILE_REVIEW").is_some();
    let mut bad = Vec::new();
    let mut checked = 0;
    for p in files() {
        let r = check_file(&p);
        checked += 1;
        if review {
            for d in &r.diagnostics {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    r.file,
                    d.severity.as_str(),
                    d.rule,
                    d.path,
                    d.message
                );
            }
        }
        if !is_skeleton(&p) {
            for d in r
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
            {
                bad.push(format!("{}: {} {} {}", r.file, d.rule, d.path, d.message));
            }
        }
    }
    assert_eq!(checked, 14, "corpus size changed: update REVIEW.md");
    assert!(
        bad.is_empty(),
        "errors on complete profiles:\n{}",
        bad.join("\n")
    );
}

#[test]
fn skeletons_get_the_errors_the_device_would_also_reject() {
    let r = check_file(&corpus().join("13_profiledocs_com.apple.vpn.managed.mobileconfig"));
    let rules: Vec<&str> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.rule)
        .collect();
    // String PayloadVersion, out-of-range SA values, empty enum strings, missing ProtocolType.
    for want in ["IKE2-C01", "IKE2-C25", "IKE2-C54", "SCH-05"] {
        assert!(rules.contains(&want), "{want} missing: {rules:?}");
    }
    let r =
        check_file(&corpus().join("14_profiledocs_com.apple.vpn.managed.applayer.mobileconfig"));
    let rules: Vec<&str> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.rule)
        .collect();
    assert!(rules.contains(&"IKE2-C07"), "{rules:?}");
}

#[test]
fn quirks_of_real_generators_are_reported_as_warnings() {
    let r = check_file(&corpus().join("own/algo_like_ikev2_cert.mobileconfig.template"));
    let find = |rule: &str| {
        r.diagnostics
            .iter()
            .find(|d| d.rule == rule)
            .map(|d| d.severity)
    };
    assert_eq!(find("IKE2-A10"), Some(Severity::Warning));
    assert_eq!(find("IKE2-C02"), Some(Severity::Warning));
    assert_eq!(
        find("IKE2-C20"),
        None,
        "ECDSA384 identity matches CertificateType ECDSA384"
    );
    let r = check_file(&corpus().join("own/psk_eap_shared_uuid.mobileconfig.template"));
    let d = r.diagnostics.iter().find(|d| d.rule == "IKE2-C03").unwrap();
    assert_eq!(d.severity, Severity::Warning);
}

#[test]
fn secrets_never_reach_any_output() {
    let mut outcomes = Vec::new();
    for p in files() {
        outcomes.push(ikelab_profile::output::Outcome::Checked(check_file(&p)));
    }
    let all = [
        ikelab_profile::output::text(&outcomes),
        ikelab_profile::output::json(&outcomes),
        ikelab_profile::output::sarif(&outcomes),
    ]
    .join("\n");
    for secret in [
        PSK,
        P12_PASS,
        "dummy-xauth-password",
        "DUMMY-NOT-A-KEY",
        "Base64EncodedDataHere==",
    ] {
        assert!(!all.contains(secret), "secret {secret} leaked");
    }
}
