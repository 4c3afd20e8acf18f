//! Certificate-authenticated profiles become runnable policies: the identity's key comes out
//! of the PKCS#12 payload named by PayloadCertificateUUID (ikelab's own fixture
//! `corpora/profiles/own/ikev2_cert_p12.mobileconfig`, TEST-ONLY keys), and every way it can
//! fail is a note or finding naming the payload.

use std::path::{Path, PathBuf};

use base64::Engine;
use der::{DecodePem, Encode};
use ikelab_policy::{CertSource, EapMethod, KeySource, LocalAuth, RemoteAuth};
use ikelab_profile::lower::{self, LoweredPayload};
use ikelab_profile::x509::keypair::{key_matches, KeyMatch};
use ikelab_profile::Severity;
use x509_cert::Certificate;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/profiles/own")
}

fn fixture() -> String {
    std::fs::read_to_string(dir().join("ikev2_cert_p12.mobileconfig")).unwrap()
}

fn pem_cert(name: &str) -> Certificate {
    Certificate::from_pem(std::fs::read(dir().join("ikev2_cert_p12").join(name)).unwrap()).unwrap()
}

/// The fixture with its PKCS#12 data replaced by `file`'s.
fn with_p12(text: &str, file: &str) -> String {
    let start = text.find("<key>Password</key>").unwrap();
    let d0 = start + text[start..].find("<data>").unwrap() + "<data>".len();
    let d1 = d0 + text[d0..].find("</data>").unwrap();
    let b64 = base64::engine::general_purpose::STANDARD
        .encode(std::fs::read(dir().join("ikev2_cert_p12").join(file)).unwrap());
    format!("{}{b64}{}", &text[..d0], &text[d1..])
}

fn lower_one(text: &str) -> LoweredPayload {
    let l = lower::lower_bytes("p12.mobileconfig", text.as_bytes()).unwrap();
    assert_eq!(l.payloads.len(), 1);
    l.payloads.into_iter().next().unwrap()
}

fn assert_client_identity(p: &LoweredPayload) {
    let policy = p
        .policy
        .as_ref()
        .unwrap_or_else(|| panic!("no policy: {:?}", p.policy_note));
    let LocalAuth::Pubkey {
        certificate,
        chain,
        private_key,
        ..
    } = &policy.local.auth
    else {
        panic!("not pubkey: {:?}", policy.local.auth)
    };
    let client = pem_cert("client.pem");
    assert_eq!(certificate.der().unwrap(), client.to_der().unwrap());
    let ca = pem_cert("ca.pem").to_der().unwrap();
    assert_eq!(chain, &vec![CertSource::Der(ca.clone())]);
    let KeySource::Der { label, der } = private_key else {
        panic!("key not inline")
    };
    assert_eq!(label, "PRIVATE KEY");
    assert_eq!(key_matches(&client, der.expose()), Ok(KeyMatch::Yes));
    assert_eq!(
        key_matches(&pem_cert("gateway.pem"), der.expose()),
        Ok(KeyMatch::No),
        "the client key must not match another certificate"
    );
    match &policy.remote.auth {
        RemoteAuth::Pubkey { trust_anchors, .. } => {
            assert_eq!(trust_anchors, &vec![CertSource::Der(ca)])
        }
        other => panic!("remote auth {other:?}"),
    }
    // Neither the key nor the password reaches Debug or the JSON output.
    let debug = format!("{policy:?}");
    assert!(debug.contains("<redacted>") && !debug.contains("p12-test-pass"));
    let json = serde_json::to_string(p).unwrap();
    assert!(!json.contains("p12-test-pass") && !json.contains("PRIVATE KEY"));
    assert!(p.policy_note.is_none());
}

#[test]
fn pbes2_aes_identity_gives_a_runnable_pubkey_policy() {
    let p = lower_one(&fixture());
    assert_eq!(p.auth.local, "pubkey (ECDSA256)");
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    assert_client_identity(&p);
}

#[test]
fn legacy_3des_identity_opens_too() {
    let p = lower_one(&with_p12(&fixture(), "client_3des.p12"));
    assert_client_identity(&p);
}

#[test]
fn plain_key_bag_is_read() {
    let p = lower_one(&with_p12(&fixture(), "client_plainkey.p12"));
    assert_client_identity(&p);
}

#[test]
fn eap_tls_carries_the_identity_and_the_profile_anchors() {
    let text = fixture().replace(
        "<string>Certificate</string>",
        "<string>None</string>\n        <key>ExtendedAuthEnabled</key>\n        <integer>1</integer>\n        <key>AuthName</key>\n        <string>client@example.com</string>",
    );
    let p = lower_one(&text);
    assert_eq!(p.auth.local, "eap-tls");
    let policy = p.policy.as_ref().unwrap();
    let LocalAuth::Eap {
        eap_method,
        identity,
        tls: Some(tls),
        ..
    } = &policy.local.auth
    else {
        panic!("not EAP-TLS: {:?}", policy.local.auth)
    };
    assert_eq!(*eap_method, EapMethod::Tls);
    assert_eq!(identity.as_deref(), Some("client@example.com"));
    let client = pem_cert("client.pem");
    assert_eq!(
        tls.certificate.as_ref().unwrap().der().unwrap(),
        client.to_der().unwrap()
    );
    let Some(KeySource::Der { der, .. }) = &tls.private_key else {
        panic!("no key")
    };
    assert_eq!(key_matches(&client, der.expose()), Ok(KeyMatch::Yes));
    assert_eq!(
        tls.trust_anchors,
        vec![CertSource::Der(pem_cert("ca.pem").to_der().unwrap())]
    );
}

#[test]
fn wrong_password_is_a_finding_and_a_note() {
    let p = lower_one(&fixture().replace(
        "<string>p12-test-pass</string>",
        "<string>not-the-password</string>",
    ));
    assert!(p.policy.is_none());
    let note = p.policy_note.as_deref().unwrap();
    assert!(
        note.contains("PayloadContent[1].Password does not open the PKCS#12 identity"),
        "{note}"
    );
    let f = p
        .findings
        .iter()
        .find(|d| d.rule == "LOWER-04")
        .expect("finding");
    assert_eq!(
        (f.severity, f.path.as_str()),
        (Severity::Warning, "PayloadContent[1].Password")
    );
    assert!(!serde_json::to_string(&p)
        .unwrap()
        .contains("not-the-password"));
}

#[test]
fn missing_password_means_the_device_prompts() {
    let p = lower_one(&fixture().replace(
        "<key>Password</key>\n      <string>p12-test-pass</string>\n",
        "",
    ));
    assert!(p.policy.is_none());
    let note = p.policy_note.as_deref().unwrap();
    assert!(
        note.contains("the PKCS#12 identity has no Password in the profile")
            && note.contains("the device asks the user"),
        "{note}"
    );
}

#[test]
fn identity_without_a_key_is_a_finding() {
    let p = lower_one(&with_p12(&fixture(), "client_nokey.p12"));
    assert!(p.policy.is_none());
    let note = p.policy_note.as_deref().unwrap();
    assert!(note.contains("holds no private key"), "{note}");
    assert!(p
        .findings
        .iter()
        .any(|d| d.rule == "LOWER-04" && d.path == "PayloadContent[1].PayloadContent"));
}

#[test]
fn scep_identity_is_not_runnable() {
    let text = fixture().replace(
        "<string>com.apple.security.pkcs12</string>",
        "<string>com.apple.security.scep</string>",
    );
    let note = lower_one(&text).policy_note.unwrap();
    assert!(
        note.contains("PayloadContent[1]") && note.contains("generated on the device"),
        "{note}"
    );
}

#[test]
fn key_match_checks_the_public_half() {
    let key = pkcs8_file("TEST-ONLY-client.key");
    assert_eq!(
        key_matches(&pem_cert("client.pem"), &key),
        Ok(KeyMatch::Yes)
    );
    assert_eq!(key_matches(&pem_cert("ca.pem"), &key), Ok(KeyMatch::No));
    assert!(key_matches(&pem_cert("client.pem"), &[0x30, 0x00]).is_err());
}

fn pkcs8_file(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(dir().join("ikev2_cert_p12").join(name)).unwrap();
    let (label, der) = der::pem::decode_vec(text.as_bytes()).unwrap();
    assert_eq!(label, "PRIVATE KEY");
    der
}

/// The checker's PKCS#12 fixtures (RSA 3DES, RSA-1024 RC2, P-384 PBES2): each key is decrypted
/// and belongs to exactly one certificate, the non-CA one.
#[test]
fn keys_of_the_checker_fixtures_match_their_leaf() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for name in [
        "id_rsa_3des.p12",
        "id_rsa1024_rc2.p12",
        "id_ec384_pbes2.p12",
    ] {
        let bytes = std::fs::read(fixtures.join(name)).unwrap();
        let c = ikelab_profile::x509::pkcs12::open(&bytes, "p12-fixture-pass").unwrap();
        assert_eq!(c.keys.len(), 1, "{name}: {:?}", c.key_errors);
        assert_eq!(format!("{:?}", c.keys), "[Secret(<redacted>)]", "{name}");
        let matching: Vec<bool> = c
            .certs
            .iter()
            .map(|cert| key_matches(cert, c.keys[0].expose()) == Ok(KeyMatch::Yes))
            .collect();
        assert_eq!(
            matching.iter().filter(|m| **m).count(),
            1,
            "{name}: {matching:?}"
        );
    }
}
