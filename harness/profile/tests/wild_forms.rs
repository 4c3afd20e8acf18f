//! Profile forms and shapes seen in the wild (own fixtures in `tests/fixtures/wild/`, written for
//! ikelab after the shapes of MDM templates and self-hosted generators): non-UTF-8 encodings,
//! PEM/S-MIME-armoured signatures, multi-tunnel Always On, AEAD Child SAs without integrity, and
//! server addresses typed as `host:port`. Each is checked and lowered.

use ikelab_profile::lower;
use ikelab_profile::{check_bytes, Report, Severity};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn check(name: &str) -> Report {
    check_bytes(name, &fixture(name), &Default::default()).unwrap()
}

fn rules(r: &Report) -> Vec<&'static str> {
    r.diagnostics.iter().map(|d| d.rule).collect()
}

fn lowered(name: &str) -> Value {
    lower::lower_bytes(name, &fixture(name)).unwrap().to_json()
}

/// The lowered payloads with the file-independent fields only.
fn payloads(name: &str) -> Value {
    lowered(name)["payloads"].clone()
}

#[test]
fn utf16_and_latin1_read_like_utf8() {
    let utf8 = check("wild/psk_utf8.mobileconfig");
    assert!(!rules(&utf8).contains(&"IN-03"));
    let want = payloads("wild/psk_utf8.mobileconfig");
    assert_eq!(want[0]["name"], "Büro-VPN 東京");
    for (name, from) in [
        ("wild/psk_utf16le_bom.mobileconfig", "UTF-16LE"),
        ("wild/psk_utf16be_nobom.mobileconfig", "UTF-16BE"),
    ] {
        let r = check(name);
        assert!(!r.has_errors(), "{name}: {:?}", r.diagnostics);
        let note = r.diagnostics.iter().find(|d| d.rule == "IN-03").unwrap();
        assert_eq!(note.severity, Severity::Note);
        assert!(note.message.contains(from), "{}", note.message);
        // Same findings at the same lines and columns as the UTF-8 original.
        let at = |r: &Report| {
            r.diagnostics
                .iter()
                .filter(|d| d.rule != "IN-03")
                .map(|d| (d.rule, d.path.clone(), d.line, d.column))
                .collect::<Vec<_>>()
        };
        assert_eq!(at(&r), at(&utf8), "{name}");
        assert_eq!(payloads(name), want, "{name}");
    }
    let latin1 = check("wild/psk_latin1.mobileconfig");
    assert!(rules(&latin1).contains(&"IN-03"));
    assert_eq!(
        payloads("wild/psk_latin1.mobileconfig")[0]["name"],
        "Büro-VPN"
    );
}

#[test]
fn truncated_utf16_is_unreadable_with_a_reason() {
    let mut b = fixture("wild/psk_utf16le_bom.mobileconfig");
    b.pop();
    let e = check_bytes("t", &b, &Default::default()).unwrap_err();
    assert!(e.to_string().contains("odd number of bytes"), "{e}");
    // Undeclared Latin-1 bytes name the line and column of the bad byte.
    let text =
        "<?xml version=\"1.0\"?>\n<plist><dict><key>A</key><string>B\u{e9}</string></dict></plist>";
    let bytes: Vec<u8> = text.chars().map(|c| c as u8).collect();
    let e = check_bytes("t", &bytes, &Default::default()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("line 2, column 35"), "{msg}");
    assert!(msg.contains("0xE9"), "{msg}");
}

#[test]
fn armoured_signed_profiles_are_unwrapped_and_flagged() {
    let der = check("signed_rsa.mobileconfig");
    assert!(!rules(&der).contains(&"SIG-05"));
    for name in [
        "signed_rsa_pem.mobileconfig",
        "signed_rsa_smime.mobileconfig",
    ] {
        let r = check(name);
        let sig = r.signature.as_ref().unwrap();
        assert!(
            matches!(
                sig.status,
                ikelab_profile::read::SignatureStatus::Verified { .. }
            ),
            "{name}: {sig:?}"
        );
        assert_eq!(sig.signer, der.signature.as_ref().unwrap().signer);
        let w = r.diagnostics.iter().find(|d| d.rule == "SIG-05").unwrap();
        assert_eq!(w.severity, Severity::Warning);
        assert!(w.help.contains("-outform DER"), "{}", w.help);
        assert_eq!(
            payloads(name),
            payloads("signed_rsa.mobileconfig"),
            "{name}"
        );
    }
}

#[test]
fn always_on_with_a_tunnel_per_interface() {
    let name = "wild/alwayson_two_tunnels.mobileconfig";
    let r = check(name);
    assert!(!r.has_errors(), "{:?}", r.diagnostics);
    let p = payloads(name);
    let p = p.as_array().unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(
        p[0]["path"],
        "PayloadContent[0].AlwaysOn.TunnelConfigurations[0]"
    );
    assert_eq!(p[0]["auth"]["local"], "psk");
    assert_eq!(p[1]["auth"]["local"], "pubkey (RSA)");
    assert_eq!(p[1]["auth"]["server_certificate_issuer"], "Example Test CA");
    for t in p {
        assert_eq!(t["nat_keepalive_s"], 110);
        assert_eq!(t["pfs"], true);
        // PFS on: the Child proposal carries the DH group.
        assert_eq!(
            t["esp_proposals"][0]["strongswan"],
            "aes256-sha256-modp2048"
        );
    }
}

#[test]
fn aead_child_without_integrity_and_redirect_off() {
    let name = "wild/cert_gcm_child_no_integrity.mobileconfig";
    let r = check(name);
    assert!(!r.has_errors(), "{:?}", r.diagnostics);
    let p = &payloads(name)[0];
    let esp = &p["esp_proposals"][0];
    assert_eq!(esp["strongswan"], "aes128gcm16");
    let types: Vec<&str> = esp["transforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["ENCR", "ESN"]);
    assert_eq!(
        p["ike_proposals"][0]["strongswan"],
        "aes256-sha256-modp2048"
    );
    assert_eq!(p["redirect"], false);
    assert_eq!(p["pfs"], false);
    assert_eq!(p["child_rekey_s"], 1410 * 60);
    assert_eq!(p["remote_id"]["type"], "ID_IPV4_ADDR");
    let ike_sa_init: Vec<&str> = p["notifies"]["ike_sa_init"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!ike_sa_init.contains(&"REDIRECT_SUPPORTED"));
}

#[test]
fn server_address_with_port_and_identifier_with_space() {
    let name = "wild/server_address_forms.mobileconfig";
    let r = check(name);
    let e = r.diagnostics.iter().find(|d| d.rule == "SCH-14").unwrap();
    assert_eq!(e.severity, Severity::Error);
    assert_eq!(e.path, "PayloadContent[0].IKEv2.RemoteAddress");
    assert_eq!((e.line, e.column), (Some(18), Some(5)));
    assert!(e.message.contains("`:4500`"), "{}", e.message);
    let w = r.diagnostics.iter().find(|d| d.rule == "SCH-15").unwrap();
    assert_eq!(w.path, "PayloadContent[0].IKEv2.RemoteIdentifier");
    assert_eq!(w.severity, Severity::Warning);
    // The lowering agrees with the checker: the payload carries LOWER-03.
    let l = lowered(name);
    let f = l["payloads"][0]["findings"].as_array().unwrap();
    assert!(
        f.iter()
            .any(|d| d["rule"] == "LOWER-03" && d["message"].as_str().unwrap().contains("SCH-14")),
        "{f:?}"
    );
}

#[test]
fn encrypted_profile_lowering_says_encrypted() {
    let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadVersion</key><integer>1</integer>
<key>PayloadIdentifier</key><string>com.example.enc</string>
<key>PayloadUUID</key><string>5B0E7F7A-0000-4000-8000-0000000000E0</string>
<key>EncryptedPayloadContent</key><data>MIAGCSqGSIb3DQEHA6CA</data>
</dict></plist>"#;
    let l = lower::lower_bytes("enc", xml).unwrap().to_json();
    let f = &l["findings"][0];
    assert_eq!(f["rule"], "LOWER-05");
    assert_eq!(f["path"], "EncryptedPayloadContent");
    assert!(f["message"].as_str().unwrap().contains("encrypted"));
}

#[test]
fn unreadable_inputs_say_what_and_where() {
    let err = |b: &[u8]| {
        check_bytes("t", b, &Default::default())
            .unwrap_err()
            .to_string()
    };
    let e = err(b"<!DOCTYPE html>\n<html><body>Sign in</body></html>");
    assert!(e.contains("HTML page"), "{e}");
    let e = err(br##"{"@odata.type": "#microsoft.graph.iosikEv2VpnConfiguration"}"##);
    assert!(e.contains("--intune"), "{e}");
    // A value without its key (CFPropertyList: "Found non-key inside <dict>").
    let e = err(b"<plist>\n<dict>\n  <string>IKEv2</string>\n</dict>\n</plist>");
    assert!(e.contains("line 3, column 3"), "{e}");
    assert!(
        e.contains("<string> inside <dict> where a <key> was expected"),
        "{e}"
    );
    let e = err(b"<plist>\n<dict>\n<key>A</key><true/>\n<key>VPNType</key>\n</dict></plist>");
    assert!(e.contains("line 4, column 1"), "{e}");
    assert!(e.contains("<key>VPNType</key> has no value"), "{e}");
    let e = err(b"<plist><dict><key>A</key><data>@@</data></dict></plist>");
    assert!(e.contains("<data> is not valid base64"), "{e}");
}

#[test]
fn post_quantum_keys_of_ios_26_are_recognised_and_lowered() {
    let name = "wild/pq_mlkem.mobileconfig";
    let r = check(name);
    assert!(!r.has_errors(), "{:?}", r.diagnostics);
    assert!(!rules(&r).contains(&"SCH-01"), "{:?}", r.diagnostics);
    let mut notes: Vec<&str> = r
        .diagnostics
        .iter()
        .filter(|d| d.rule == "SCH-16")
        .map(|d| d.path.as_str())
        .collect();
    notes.sort_unstable();
    assert_eq!(
        notes,
        [
            "PayloadContent[0].IKEv2.AllowPostQuantumKeyExchangeFallback",
            "PayloadContent[0].IKEv2.ChildSecurityAssociationParameters.PostQuantumKeyExchangeMethods",
            "PayloadContent[0].IKEv2.IKESecurityAssociationParameters.PostQuantumKeyExchangeMethods",
        ]
    );
    let p = &payloads(name)[0];
    assert_eq!(
        p["ike_proposals"][0]["strongswan"],
        "aes256gcm16-prfsha384-ecp384-ke1_mlkem768"
    );
    assert_eq!(
        p["esp_proposals"][0]["strongswan"],
        "aes256gcm16-ecp256-ke1_mlkem768-ke2_mlkem1024"
    );
    let esp: Vec<String> = p["esp_proposals"][0]["transforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{}:{}", t["type"].as_str().unwrap(), t["id"]))
        .collect();
    assert_eq!(esp, ["ENCR:20", "KE:19", "ADDKE1:36", "ADDKE2:37", "ESN:0"]);
    let w = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "LOWER-04")
        .unwrap();
    assert!(w["message"]
        .as_str()
        .unwrap()
        .contains("AllowPostQuantumKeyExchangeFallback 0"));
    // The generated strongSwan gateway accepts the ADDKE proposals and says what it needs.
    let l = lower::lower_bytes(name, &fixture(name)).unwrap();
    let conf = lower::gateway::swanctl::emit(&l.payloads[0], name, &Default::default());
    assert!(
        conf.contains("proposals = aes256gcm16-prfsha384-ecp384-ke1_mlkem768"),
        "{conf}"
    );
    assert!(conf.contains("strongSwan 6.0+"), "{conf}");
    // Without PFS the Child SA carries no KE, so no ADDKE either.
    let nopfs = String::from_utf8(fixture(name)).unwrap().replacen(
        "<key>EnablePFS</key>\n\t\t\t\t<integer>1</integer>",
        "<key>EnablePFS</key>\n\t\t\t\t<integer>0</integer>",
        1,
    );
    let l = lower::lower_bytes("nopfs", nopfs.as_bytes())
        .unwrap()
        .to_json();
    assert_eq!(
        l["payloads"][0]["esp_proposals"][0]["strongswan"],
        "aes256gcm16"
    );
}

#[test]
fn post_quantum_values_apple_does_not_document_are_errors() {
    let src = String::from_utf8(fixture("wild/pq_mlkem.mobileconfig")).unwrap();
    let bad = src.replacen("<integer>36</integer>", "<integer>35</integer>", 1);
    let r = check_bytes("bad", bad.as_bytes(), &Default::default()).unwrap();
    let e = r
        .diagnostics
        .iter()
        .find(|d| d.rule == "SCH-16" && d.severity == Severity::Error)
        .unwrap();
    assert_eq!(
        e.path,
        "PayloadContent[0].IKEv2.IKESecurityAssociationParameters.PostQuantumKeyExchangeMethods"
    );
    assert!(e.message.contains("item 0 is 35"), "{}", e.message);
    let l = lower::lower_bytes("bad", bad.as_bytes()).unwrap().to_json();
    assert_eq!(
        l["payloads"][0]["ike_proposals"][0]["strongswan"],
        "aes256gcm16-prfsha384-ecp384"
    );
}

#[test]
fn always_on_with_an_ecdsa_certificate_type_is_a_warning() {
    let name = "wild/alwayson_two_tunnels.mobileconfig";
    assert!(!rules(&check(name)).contains(&"IKE2-C54"));
    let ec = String::from_utf8(fixture(name)).unwrap().replacen(
        "<string>RSA</string>",
        "<string>ECDSA256</string>",
        1,
    );
    let r = check_bytes("ec", ec.as_bytes(), &Default::default()).unwrap();
    let w = r.diagnostics.iter().find(|d| d.rule == "IKE2-C54").unwrap();
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(
        w.path,
        "PayloadContent[0].AlwaysOn.TunnelConfigurations[1].CertificateType"
    );
    assert!(w.message.contains("only RSA"), "{}", w.message);
}

#[test]
fn payload_enabled_from_mdm_exports_is_a_note() {
    let src = String::from_utf8(fixture("wild/psk_utf8.mobileconfig")).unwrap();
    let jamf = src.replacen(
        "<key>PayloadIdentifier</key>\n\t\t\t<string>com.example.wild.psk.vpn</string>",
        "<key>PayloadEnabled</key>\n\t\t\t<true/>\n\t\t\t<key>PayloadIdentifier</key>\n\t\t\t<string>com.example.wild.psk.vpn</string>",
        1,
    );
    assert_ne!(jamf, src);
    let r = check_bytes("jamf", jamf.as_bytes(), &Default::default()).unwrap();
    let n = r.diagnostics.iter().find(|d| d.rule == "SCH-01").unwrap();
    assert_eq!(n.severity, Severity::Note);
    assert_eq!(n.path, "PayloadContent[0].PayloadEnabled");
    assert!(n.message.contains("Jamf"), "{}", n.message);
}
