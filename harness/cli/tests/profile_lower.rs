//! `ikelab profile lower` / `profile connect` end to end: a real-world profile (Aeron, MIT,
//! `corpora/profiles/09`, filled) lowered to a strongSwan gateway config, then connected in the
//! simulation; a gateway whose proposals exclude it fails with a one-line reason.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ikelab")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ikelab-profile-lower-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn profile(dir: &Path) -> PathBuf {
    let t = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../corpora/profiles/09_aeron_profile-psk.xml.template"),
    )
    .unwrap();
    let filled = t
        .replace("${PROFILE_UUID}", "A1B2C3D4-0000-4000-8000-000000000001")
        .replace("${SERVICE_UUID}", "A1B2C3D4-0000-4000-8000-000000000002")
        .replace("${REMOTE_ADDRESS}", "vpn.example.com")
        .replace("${REMOTE_ID}", "vpn.example.com")
        .replace("${LOCAL_ID}", "client@example.com")
        .replace("${SHARED_SECRET}", "Xk3-9fQz-81Lm-Tw2p-Qa7v-Rb5n")
        .replace("${PROFILE_NAME}", "Example")
        .replace("${PROFILE_ID}", "com.example.vpn")
        .replace("${SERVICE_NAME_ALT}", "Example VPN")
        .replace("${SERVICE_NAME}", "Example VPN")
        .replace("${SERVICE_ID}", "com.example.vpn.conn");
    let p = dir.join("aeron.mobileconfig");
    std::fs::write(&p, filled).unwrap();
    p
}

#[test]
fn lower_json_swanctl_and_simulated_connect() {
    let dir = scratch("ok");
    let prof = profile(&dir);
    let out = Command::new(bin())
        .args(["profile", "lower"])
        .arg(&prof)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["payloads"][0]["ike_proposals"][0]["strongswan"],
        "aes256gcm16-prfsha384-ecp384"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("Xk3-9fQz"),
        "PSK in JSON"
    );

    let out = Command::new(bin())
        .args(["profile", "lower", "--format", "swanctl", "--with-secrets"])
        .arg(&prof)
        .output()
        .unwrap();
    assert!(out.status.success());
    let gw = dir.join("swanctl.conf");
    std::fs::write(&gw, &out.stdout).unwrap();
    let out = Command::new(bin())
        .args(["profile", "connect"])
        .arg(&prof)
        .arg("--gateway")
        .arg(&gw)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("connected: IKE aes256gcm16-prfsha384-ecp384, ESP aes256gcm16"),
        "{stdout}"
    );

    // A gateway that excludes the profile's proposal: exit 1 and one line saying why.
    let text = std::fs::read_to_string(&gw).unwrap().replace(
        "proposals = aes256gcm16-prfsha384-ecp384",
        "proposals = aes256-sha256-modp2048",
    );
    let bad = dir.join("bad.conf");
    std::fs::write(&bad, text).unwrap();
    let out = Command::new(bin())
        .args(["profile", "connect"])
        .arg(&prof)
        .arg("--gateway")
        .arg(&bad)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("failed:")).unwrap();
    assert!(
        line.contains("NO_PROPOSAL_CHOSEN")
            && line.contains("the gateway accepts aes256-sha256-modp2048"),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ikelab profile connect PROFILE --gateway GATEWAY` (simulated): exit code and stdout.
fn profile_connect(profile: &Path, gateway: &Path) -> (Option<i32>, String) {
    let out = Command::new(bin())
        .args(["profile", "connect"])
        .arg(profile)
        .arg("--gateway")
        .arg(gateway)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// ikelab's own EAP fixture (SharedSecret for the gateway, ExtendedAuthEnabled for the user)
/// with `password` added as AuthPassword.
fn eap_profile(dir: &Path, name: &str, password: &str) -> PathBuf {
    let t = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../corpora/profiles/own/psk_eap_shared_uuid.mobileconfig.template"),
    )
    .unwrap();
    let filled = t
        .replace("{{UUID}}", "A1B2C3D4-0000-4000-8000-000000000009")
        .replace("{{DOMAIN}}", "vpn.example.com")
        .replace("{{VPNSECRET}}", "Gw-psk-81Lm-Tw2p-Qa7v")
        .replace("{{VPNUSERNAME}}", "alice")
        .replacen(
            "<key>AuthName</key>",
            &format!("<key>AuthPassword</key>\n<string>{password}</string>\n<key>AuthName</key>"),
            1,
        );
    let p = dir.join(name);
    std::fs::write(&p, filled).unwrap();
    p
}

#[test]
fn eap_profile_connects_to_its_generated_gateway_and_a_wrong_password_is_refused() {
    let dir = scratch("eap");
    let prof = eap_profile(&dir, "eap.mobileconfig", "alice-pass-1");
    let redacted = Command::new(bin())
        .args(["profile", "lower", "--format", "swanctl"])
        .arg(&prof)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&redacted.stdout);
    assert!(
        text.contains("eap-") && !text.contains("alice-pass-1") && !text.contains("Gw-psk"),
        "{text}"
    );
    let out = Command::new(bin())
        .args(["profile", "lower", "--format", "swanctl", "--with-secrets"])
        .arg(&prof)
        .output()
        .unwrap();
    assert!(out.status.success());
    let gw = dir.join("swanctl.conf");
    std::fs::write(&gw, &out.stdout).unwrap();
    let connect = |p: &Path| profile_connect(p, &gw);
    let (code, stdout) = connect(&prof);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("connected: IKE "), "{stdout}");
    let wrong = eap_profile(&dir, "wrong.mobileconfig", "not-alices-password");
    let (code, stdout) = connect(&wrong);
    assert_eq!(code, Some(1), "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("failed:")).unwrap();
    assert!(
        line.contains("AUTHENTICATION_FAILED") && line.contains("credentials"),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// ikelab's own certificate fixture: the device's identity (key included) comes out of the
/// profile's PKCS#12 payload; the gateway is an ikelab responder policy with TEST-ONLY keys
/// that trusts the profile's CA. A wrong PKCS#12 password is not run, with a reason.
#[test]
fn certificate_profile_connects_with_its_pkcs12_identity() {
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/profiles/own");
    let prof = own.join("ikev2_cert_p12.mobileconfig");
    let gw = own.join("ikev2_cert_p12/gateway_policy.toml");
    let connect = |p: &Path| profile_connect(p, &gw);
    let (code, stdout) = connect(&prof);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("device auth pubkey (ECDSA256), gateway auth pubkey")
            && stdout.contains("connected: IKE aes256-sha256-ecp256, ESP aes256-sha256"),
        "{stdout}"
    );
    assert!(!stdout.contains("p12-test-pass"), "{stdout}");

    let dir = scratch("p12");
    let wrong = dir.join("wrong.mobileconfig");
    let text = std::fs::read_to_string(&prof).unwrap().replace(
        "<string>p12-test-pass</string>",
        "<string>not-the-p12-password</string>",
    );
    std::fs::write(&wrong, text).unwrap();
    let (code, stdout) = connect(&wrong);
    assert_eq!(code, Some(3), "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("not run:")).unwrap();
    assert!(
        line.contains("PayloadContent[1].Password does not open the PKCS#12 identity"),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
