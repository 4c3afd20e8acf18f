//! `ikelab profile check` end to end: exit codes, text/JSON/SARIF output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ikelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ikelab"))
        .args(args)
        .output()
        .expect("run ikelab")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../profile/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// Writes `content` to a fresh file in the target's temp area.
fn temp(name: &str, content: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("profile_check");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

const MTU_1500: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>IKEv2</key>
      <dict>
        <key>AuthenticationMethod</key>
        <string>SharedSecret</string>
        <key>SharedSecret</key>
        <string>cli-test-secret-value-0123456789</string>
        <key>LocalIdentifier</key>
        <string>client@example.com</string>
        <key>RemoteAddress</key>
        <string>vpn.example.com</string>
        <key>RemoteIdentifier</key>
        <string>vpn.example.com</string>
        <key>EnablePFS</key>
        <integer>1</integer>
        <key>MTU</key>
        <integer>1500</integer>
      </dict>
      <key>PayloadIdentifier</key>
      <string>com.example.cli.vpn</string>
      <key>PayloadType</key>
      <string>com.apple.vpn.managed</string>
      <key>PayloadUUID</key>
      <string>0D6B7C1E-1111-4222-8333-444455556666</string>
      <key>PayloadVersion</key>
      <integer>1</integer>
      <key>UserDefinedName</key>
      <string>CLI test</string>
      <key>VPNType</key>
      <string>IKEv2</string>
    </dict>
  </array>
  <key>PayloadIdentifier</key>
  <string>com.example.cli</string>
  <key>PayloadType</key>
  <string>Configuration</string>
  <key>PayloadUUID</key>
  <string>0D6B7C1E-7777-4888-8999-AAAABBBBCCCC</string>
  <key>PayloadVersion</key>
  <integer>1</integer>
</dict>
</plist>
"#;

#[test]
fn clean_signed_profile_exits_0() {
    let out = ikelab(&["profile", "check", &fixture("signed_rsa.mobileconfig")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("note[SIG-01]"), "{text}");
}

#[test]
fn errors_exit_1_with_rustc_like_text() {
    let p = temp("mtu.mobileconfig", MTU_1500);
    let out = ikelab(&["profile", "check", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error[IKE2-C31]:"), "{text}");
    // MTU's <key> is on line 21, column 9 of MTU_1500.
    assert!(text.contains("mtu.mobileconfig:21:9"), "{text}");
    assert!(
        text.contains("= key: PayloadContent[0].IKEv2.MTU"),
        "{text}"
    );
    assert!(text.contains("= help:"), "{text}");
    assert!(
        !text.contains("cli-test-secret-value"),
        "secret leaked: {text}"
    );
}

#[test]
fn unreadable_inputs_exit_2() {
    let empty = temp("empty.mobileconfig", "");
    let trunc = temp("trunc.mobileconfig", &MTU_1500[..300]);
    for p in [&empty, &trunc] {
        let out = ikelab(&["profile", "check", p.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("cannot read"), "{err}");
    }
    let out = ikelab(&["profile", "check", "/nonexistent/x.mobileconfig"]);
    assert_eq!(out.status.code(), Some(2));
    // Exit 2 wins over exit 1 when both happen.
    let bad = temp("mtu2.mobileconfig", MTU_1500);
    let out = ikelab(&[
        "profile",
        "check",
        bad.to_str().unwrap(),
        empty.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_and_sarif_formats() {
    let p = temp("mtu3.mobileconfig", MTU_1500);
    let out = ikelab(&["profile", "check", "--format", "json", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["file"].as_str().unwrap().ends_with("mtu3.mobileconfig"));
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "IKE2-C31")
        .unwrap();
    for k in [
        "severity", "rule", "path", "line", "column", "message", "help",
    ] {
        assert!(d.get(k).is_some(), "missing {k}");
    }
    assert_eq!(d["line"], 21);

    let out = ikelab(&[
        "profile",
        "check",
        "--format",
        "sarif",
        "--os",
        "ios:13.0",
        p.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    // MTU needs iOS 14: on iOS 13 the availability finding is reported under C31.
    assert!(results.iter().any(|r| r["ruleId"] == "IKE2-C31"));
}

#[test]
fn bad_os_argument_is_a_usage_error() {
    let out = ikelab(&[
        "profile",
        "check",
        "--os",
        "windows:11",
        &fixture("signed_rsa.mobileconfig"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown OS"));
}
