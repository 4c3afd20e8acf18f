//! Policy lowering (issue 9): expected outputs for every complete IKEv2 profile of the
//! real-world corpus whose licence allows copying (`corpora/profiles/`, templates filled as in
//! `realworld.rs`), the Intune path (GCM known issue, group-2 default), gateways and the
//! proposal intersection. `UPDATE_LOWERING=1 cargo test -p ikelab-profile --test lowering`
//! rewrites the expected files (review the diff against the schema before committing).

use std::path::{Path, PathBuf};

use ikelab_profile::lower::{self, explain, gateway, intune, LoweredPayload};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn value(name: &str) -> Option<&'static str> {
    Some(match name {
        "uuid1" => "33333333-3333-4333-8333-333333333333",
        "PROFILE_UUID" => "A1B2C3D4-0000-4000-8000-000000000001",
        "SERVICE_UUID" | "CONN_UUID" => "A1B2C3D4-0000-4000-8000-000000000002",
        "SHARED_SECRET" | "CONN_SHARED_SECRET" => "Xk3-9fQz-81Lm-Tw2p-Qa7v-Rb5n",
        "REMOTE_ADDRESS" | "CONN_HOST" | "server_addr" | "REMOTE_ID" | "CONN_REMOTE_IDENTIFIER" => {
            "vpn.example.com"
        }
        "LOCAL_ID" => "client@example.com",
        "client_name" => "client.example.com",
        "PROFILE_NAME" | "SERVICE_NAME" | "SERVICE_NAME_ALT" | "CONN_NAME" => "Example VPN",
        "PROFILE_ID" | "PROFILE_IDENTIFIER" => "com.example.vpn",
        "SERVICE_ID" | "CONN_IDENTIFIER" => "com.example.vpn.conn",
        // 06 embeds a PKCS#12 and a CA; the lowering does not open them.
        "p12_base64" | "ca_base64" => "AAAA",
        "p12_password" => "unused",
        _ => return None,
    })
}

/// Fills `${NAME}`, `$name` and `$(uuidgen)` placeholders.
fn fill(t: &str) -> String {
    let mut out = String::new();
    let mut rest = t;
    let mut n = 0;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(r) = rest.strip_prefix("$(uuidgen)") {
            n += 1;
            out.push_str(&format!("B0B0B0B0-0000-4000-8000-{n:012}"));
            rest = r;
            continue;
        }
        let (name, len) = if let Some(r) = rest.strip_prefix("${") {
            let e = r.find('}').unwrap();
            (&r[..e], e + 3)
        } else {
            let r = &rest[1..];
            let e = r
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            (&r[..e], e + 1)
        };
        out.push_str(value(name).unwrap_or_else(|| panic!("no value for placeholder {name}")));
        rest = &rest[len..];
    }
    out + rest
}

/// The reviewed part of a lowering: every field of the issue's JSON, compact.
fn summary(p: &LoweredPayload) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap();
    let o = v.as_object_mut().unwrap();
    for k in ["applied", "config_request", "notifies", "traffic_selectors"] {
        o.remove(k);
    }
    let ike: Vec<&str> = p
        .ike_proposals
        .iter()
        .map(|x| x.strongswan.as_str())
        .collect();
    let esp: Vec<&str> = p
        .esp_proposals
        .iter()
        .map(|x| x.strongswan.as_str())
        .collect();
    o.insert("ike_proposals".into(), serde_json::json!(ike));
    o.insert("esp_proposals".into(), serde_json::json!(esp));
    let f: Vec<String> = p
        .findings
        .iter()
        .map(|d| format!("{} {} {}", d.rule, d.severity.as_str(), d.path))
        .collect();
    o.insert("findings".into(), serde_json::json!(f));
    v
}

const CORPUS: &[&str] = &[
    "06_hwdsl2_ikev2setup.mobileconfig.template",
    "08_gaomd_generate-mobileconfig.mobileconfig.template",
    "09_aeron_profile-psk.xml.template",
    "10_aeron_profile.xml.template",
    "11_aeron_profiles_default.xml.template",
    "12_aeron_profiles_ondemand.xml.template",
];

fn lowered(name: &str) -> lower::Lowering {
    let raw = std::fs::read_to_string(root().join("../../corpora/profiles").join(name)).unwrap();
    lower::lower_bytes(name, fill(&raw).as_bytes()).unwrap()
}

#[test]
fn real_world_profiles_lower_to_the_reviewed_output() {
    let update = std::env::var_os("UPDATE_LOWERING").is_some();
    for name in CORPUS {
        let l = lowered(name);
        assert_eq!(l.payloads.len(), 1, "{name}");
        let got: Vec<serde_json::Value> = l.payloads.iter().map(summary).collect();
        let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
        let stem = name.split('.').next().unwrap();
        let path = root().join("tests/lowering").join(format!("{stem}.json"));
        if update {
            std::fs::write(&path, &text).unwrap();
        }
        let want =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            text, want,
            "{name}: lowering changed (UPDATE_LOWERING=1 to rewrite, then review)"
        );
        assert!(
            !text.contains("Xk3-9fQz"),
            "{name}: the PSK reached the output"
        );
    }
}

#[test]
fn lowering_rules_decide_the_values() {
    // 08: no SA parameters at all -> Apple's documented defaults; empty LocalIdentifier.
    let l = lowered(CORPUS[1]);
    let p = &l.payloads[0];
    assert_eq!(p.ike_proposals[0].strongswan, "aes256-sha256-modp2048");
    assert_eq!(p.esp_proposals[0].strongswan, "aes256-sha256");
    let t: Vec<(&str, u16)> = p.ike_proposals[0]
        .transforms
        .iter()
        .map(|t| (t.ttype, t.id))
        .collect();
    assert_eq!(t, [("ENCR", 12), ("PRF", 5), ("INTEG", 12), ("KE", 14)]);
    assert_eq!(p.ike_proposals[0].transforms[0].key_length, Some(256));
    let esn = p.esp_proposals[0]
        .transforms
        .iter()
        .find(|t| t.ttype == "ESN")
        .unwrap();
    assert_eq!((esn.id, esn.name.as_str()), (0, "NO_ESN"));
    assert_eq!(
        (p.ike_rekey_s, p.child_rekey_s, p.dpd_interval_s, p.mtu),
        (86400, 86400, Some(600), 1280)
    );
    assert_eq!(p.local_id.as_ref().unwrap().value, "%device-address");
    assert!(p.policy.is_some(), "{:?}", p.policy_note);
    // 09: AEAD drops INTEG, PRF follows SHA2-384, PFS puts the group into ESP, DPD High.
    let p = &lowered(CORPUS[2]).payloads[0];
    assert_eq!(
        p.ike_proposals[0].strongswan,
        "aes256gcm16-prfsha384-ecp384"
    );
    assert_eq!(p.esp_proposals[0].strongswan, "aes256gcm16-ecp384");
    assert!(
        p.inferred.contains(&"pfs".to_string())
            && p.inferred.contains(&"esp_proposals".to_string())
    );
    assert_eq!(p.local_id.as_ref().unwrap().id_type, "ID_RFC822_ADDR");
    assert_eq!(p.dpd_interval_s, Some(60));
    // 06: certificate auth, DisableRedirect, lifetime 1410 min, no PFS.
    let p = &lowered(CORPUS[0]).payloads[0];
    assert_eq!(p.auth.local, "pubkey (RSA)");
    assert!(!p.redirect && !p.notifies.ike_sa_init.contains(&"REDIRECT_SUPPORTED"));
    assert_eq!(p.ike_rekey_s, 1410 * 60);
    assert_eq!(p.esp_proposals[0].strongswan, "aes256gcm16");
    assert!(p.policy.is_none() && p.policy_note.is_some());
    // Every applied rule resolves in the table, and the JSON carries the table.
    let json = lowered(CORPUS[2]).to_json();
    let ids: Vec<&str> = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for rules in json["payloads"][0]["applied"].as_object().unwrap().values() {
        for r in rules.as_array().unwrap() {
            assert!(ids.contains(&r.as_str().unwrap()), "{r}");
        }
    }
}

#[test]
fn invalid_values_are_findings_with_checker_paths() {
    let l = lower::lower_bytes(
        "x",
        br#"<plist><dict><key>PayloadContent</key><array><dict>
<key>PayloadType</key><string>com.apple.vpn.managed</string><key>VPNType</key><string>IKEv2</string>
<key>IKEv2</key><dict><key>RemoteAddress</key><string>vpn</string><key>RemoteIdentifier</key><string>vpn</string>
<key>AuthenticationMethod</key><string>SharedSecret</string><key>SharedSecret</key><string>abcdefgh</string>
<key>IKESecurityAssociationParameters</key><dict><key>DiffieHellmanGroup</key><integer>0</integer><key>EncryptionAlgorithm</key><string>AES-512</string></dict>
<key>MTU</key><integer>9000</integer></dict></dict></array></dict></plist>"#,
    )
    .unwrap();
    let p = &l.payloads[0];
    let paths: Vec<&str> = p
        .findings
        .iter()
        .filter(|d| d.rule == "LOWER-01")
        .map(|d| d.path.as_str())
        .collect();
    for want in [
        "PayloadContent[0].IKEv2.IKESecurityAssociationParameters.DiffieHellmanGroup",
        "PayloadContent[0].IKEv2.IKESecurityAssociationParameters.EncryptionAlgorithm",
        "PayloadContent[0].IKEv2.MTU",
    ] {
        assert!(paths.contains(&want), "{want}: {paths:?}");
    }
    assert!(
        p.findings.iter().any(|d| d.rule == "LOWER-03"),
        "the checker's errors are acknowledged"
    );
    assert!(p.findings.iter().all(|d| d.line.is_some()), "XML positions");
    assert_eq!(
        p.ike_proposals[0].strongswan, "aes256-sha256-modp2048",
        "defaults used"
    );
    assert!(l.has_errors());
}

#[test]
fn intune_gcm_known_issue_and_group_2_default() {
    for file in ["intune_gcm.toml", "intune_gcm_graph.json"] {
        let text = std::fs::read_to_string(root().join("tests/lowering").join(file)).unwrap();
        let il = intune::lower_text(file, &text).unwrap();
        let p = &il.lowering.payloads[0];
        // The admin chose AES-256-GCM and left the group: the device sends AES-CBC + group 2.
        assert_eq!(
            p.ike_proposals[0].strongswan, "aes256-sha256-modp1024",
            "{file}"
        );
        assert_eq!(p.esp_proposals[0].strongswan, "aes256-sha256", "{file}");
        let rules = il.rule_ids();
        assert!(
            rules.contains(&"IKE2-D04"),
            "{file}: GCM known issue not flagged: {rules:?}"
        );
        assert!(
            rules.contains(&"IKE2-D02"),
            "{file}: group-2 default not flagged"
        );
        assert!(
            rules.contains(&"SEC-03"),
            "{file}: the checker flags DH group 2 on the deployed payload"
        );
        let row = il
            .rows
            .iter()
            .find(|r| r.setting.ends_with("Encryption algorithm"))
            .unwrap();
        assert_eq!(
            (row.chose.as_str(), row.deployed.as_str()),
            ("AES-256-GCM", "AES-256")
        );
        assert!(
            !il.deployed_redacted.contains("intune-psk-0123456789"),
            "secret in output"
        );
        assert!(
            !p.mobike,
            "{file}: MOBIKE disabled by the admin -> DisableMOBIKE 1"
        );
        // Against a GCM-only gateway the device fails, and says why in one sentence.
        let gw = gateway::parse("gw", "connections {\n gw {\n proposals = aes256gcm16-prfsha256-modp2048\n children { c { esp_proposals = aes256gcm16 } }\n local { auth = psk \n id = vpn.example.com }\n remote { auth = psk }\n }\n}\n").unwrap();
        let c = explain::compare(p, &gw);
        assert!(!c.ok());
        assert!(
            c.explanation
                .contains("AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024"),
            "{}",
            c.explanation
        );
    }
}

#[test]
fn generated_swanctl_gateway_accepts_the_profile_and_parses_back() {
    for name in CORPUS {
        let l = lowered(name);
        let p = &l.payloads[0];
        let conf = gateway::swanctl::emit(
            p,
            name,
            &gateway::swanctl::EmitOptions {
                with_secrets: true,
                ..Default::default()
            },
        );
        let gw =
            gateway::parse("gen.conf", &conf).unwrap_or_else(|e| panic!("{name}: {e}\n{conf}"));
        let c = explain::compare(p, &gw);
        assert!(c.ok(), "{name}: {}", c.explanation);
        assert!(c.rekey_ok, "{name}");
        let redacted = gateway::swanctl::emit(p, name, &Default::default());
        assert!(
            !redacted.contains("0x58"),
            "{name}: PSK written without --with-secrets"
        );
    }
}

#[test]
fn azure_p2s_and_policy_gateways() {
    let xml = std::fs::read_to_string(root().join("tests/lowering/azure_VpnSettings.xml")).unwrap();
    let az = gateway::parse("VpnSettings.xml", &xml).unwrap();
    assert_eq!(
        (az.kind, az.ike_proposals.len(), az.esp_proposals.len()),
        ("azure-p2s", 17, 11)
    );
    // 08 (defaults: AES-256/SHA2-256/MODP-2048) is in Azure's table, but its PSK auth is not.
    let p = &lowered(CORPUS[1]).payloads[0];
    let c = explain::compare(p, &az);
    assert_eq!(c.ike.as_deref(), Some("aes256-sha256-modp2048"));
    assert!(!c.auth_ok && !c.identity_ok, "{}", c.explanation);
    assert!(
        c.problems
            .iter()
            .any(|p| p.contains("authenticates with psk but the gateway expects pubkey")),
        "{:?}",
        c.problems
    );
    // 09's ECP-384 GCM proposal with PRF SHA-384 is in the table too.
    assert_eq!(
        explain::compare(&lowered(CORPUS[2]).payloads[0], &az)
            .ike
            .as_deref(),
        Some("aes256gcm16-prfsha384-ecp384")
    );
    let pol = gateway::parse(
        "gw.toml",
        "ike_proposals = [\"aes128-sha256-ecp256\"]\n[local]\nid = \"vpn.example.com\"\nauth = { method = \"psk\", secret = \"0x01\" }\n[remote]\nauth = { method = \"psk\", secret = \"0x01\" }\n",
    )
    .unwrap();
    let c = explain::compare(p, &pol);
    assert!(c.ike.is_none());
    assert!(c.explanation.starts_with("the profile proposes only AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 for the IKE SA; the gateway accepts aes128-sha256-ecp256"), "{}", c.explanation);
}

#[test]
fn lowering_is_deterministic() {
    for name in CORPUS {
        assert_eq!(lowered(name).to_json(), lowered(name).to_json(), "{name}");
    }
}
