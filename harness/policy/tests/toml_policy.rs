//! Whole policies through TOML: every section, defaults, errors with locations, redaction.

use ikelab_policy::*;
use ikelab_wire::iana::{CpAttributeType, EncrId, HashAlgorithm, IdType, KeMethod};

const FULL: &str = r#"
name = "road-warrior"
ike_proposals = ["aes256gcm16-prfsha384-ecp384", "aes256-sha256-modp2048"]
dpd_interval = "30s"
config_request = ["INTERNAL_IP4_ADDRESS", "INTERNAL_IP4_DNS"]
cookie_threshold = 10
half_open_timeout = "20s"
ike_lifetime = { rekey_after = "4h", jitter = "10m" }

[local]
id = "client@example.com"
auth = { method = "psk", secret = "0x736563726574" }

[remote]
id = "C=CH, O=ikelab, CN=vpn.example.com"
auth = { method = "psk", secret = "secret" }

[retransmission]
timeout = "500ms"
backoff = 2.0
retransmits = 3
max_timeout = "2s"

[nat_traversal]
keepalive = "10s"
force_encapsulation = true

[features]
mobike = true
redirect = true
signature_hash_algorithms = ["SHA2_512"]
ppk = { id = "ppk-1", secret = "0sAQIDBA==", mandatory = true }

[pool]
ranges = ["10.8.0.0/24", "fd00::/120"]
dns = ["10.8.0.1"]

[[children]]
name = "net"
proposals = ["aes256gcm16", "aes256-sha256-modp2048"]
local_ts = ["dynamic"]
remote_ts = ["10.0.0.0/8", "192.168.1.0/24[tcp/443]"]
mode = "transport"
lifetime = { rekey_after = "1h" }
"#;

#[test]
fn every_section_parses() {
    let p = IkePolicy::from_toml("full.toml", FULL).unwrap();
    assert_eq!(p.name, "road-warrior");
    assert_eq!(p.ike_proposals.len(), 2);
    assert_eq!(p.ike_proposals[0].ke, [KeMethod::ECP_384]);
    assert_eq!(p.local.id.as_ref().unwrap().id_type, IdType::RFC822_ADDR);
    assert!(matches!(&p.remote.id, IdentityMatch::Exact(id) if id.id_type == IdType::DER_ASN1_DN));
    assert_eq!(p.dpd_interval, Some(Duration::from_secs(30)));
    assert_eq!(p.retransmission.wait(2), Duration::from_secs(2));
    assert_eq!(p.retransmission.wait(1), Duration::from_secs(1));
    assert!(p.nat_traversal.force_encapsulation);
    assert!(
        p.features.mobike && p.features.fragmentation,
        "unnamed features keep defaults"
    );
    assert_eq!(
        p.features.signature_hash_algorithms,
        [HashAlgorithm::SHA2_512]
    );
    assert_eq!(
        p.features.ppk.as_ref().unwrap().secret.expose(),
        [1, 2, 3, 4]
    );
    assert_eq!(
        p.config_request,
        [
            CpAttributeType::INTERNAL_IP4_ADDRESS,
            CpAttributeType::INTERNAL_IP4_DNS
        ]
    );
    assert_eq!(p.pool.as_ref().unwrap().ranges.len(), 2);
    let c = &p.children[0];
    assert_eq!(c.mode, Mode::Transport);
    assert_eq!(c.remote_ts[1].protocol, 6);
    assert_eq!(c.proposals[1].ke, [KeMethod::MODP_2048]);
    assert_eq!(c.lifetime.jitter, Duration::ZERO);
    assert_eq!(p.cookie_threshold, Some(10));
}

#[test]
fn minimal_policy_gets_defaults() {
    let p = IkePolicy::from_toml(
        "min.toml",
        r#"
[local]
auth = { method = "psk", secret = "k" }
[remote]
auth = { method = "psk", secret = "k" }
"#,
    )
    .unwrap();
    assert_eq!(p.ike_proposals, default_ike_proposals());
    assert_eq!(p.children.len(), 1);
    assert_eq!(p.children[0].local_ts, [TsSpec::DYNAMIC]);
    assert_eq!(p.remote.id, IdentityMatch::Any);
    assert_eq!(p.local.id, None);
    assert_eq!(p.retransmission, Retransmission::default());
    assert_eq!(p.ike_proposals[0].encryption[0].id, EncrId::AES_GCM_16);
}

#[test]
fn serialization_redacts_and_reparses_structure() {
    let p = IkePolicy::from_toml("full.toml", FULL).unwrap();
    let out = toml::to_string(&p).unwrap();
    assert!(
        !out.contains("736563726574") && !out.contains("AQIDBA"),
        "{out}"
    );
    assert!(out.contains("<redacted>"));
    assert!(out.contains("\"aes256gcm16-prfsha384-ecp384\""));
    assert!(out.contains("C=CH, O=ikelab, CN=vpn.example.com"));
    let e = IkePolicy::from_toml("out.toml", &out).unwrap_err();
    assert!(e.to_string().contains("secrets removed"), "{e}");
    // With the secrets put back, the printed policy is the same policy.
    let restored = out.replace("\"<redacted>\"", "\"x\"");
    let mut back = IkePolicy::from_toml("out.toml", &restored).unwrap();
    back.local.auth = p.local.auth.clone();
    back.remote.auth = p.remote.auth.clone();
    back.features.ppk = p.features.ppk.clone();
    assert_eq!(back, p);
    assert!(!format!("{p:?}").contains("736563726574"));
}

#[test]
fn errors_point_at_lines_and_name_the_problem() {
    let e = IkePolicy::from_toml(
        "bad.toml",
        "ike_proposals = [\"aes256-sha256-modp2047\"]\n[local]\nauth = { method = \"psk\", secret = \"k\" }\n[remote]\nauth = { method = \"psk\", secret = \"k\" }\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("bad.toml: TOML parse error at line 1"), "{e}");
    assert!(e.contains("\"modp2047\" at position 2"), "{e}");

    let e = IkePolicy::from_toml(
        "bad.toml",
        "[local]\nauth = { method = \"psk\", secret = \"k\" }\n[remote]\nauth = { method = \"psk\", secret = \"k\" }\n[features]\nmoobike = true\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 6") && e.contains("moobike"), "{e}");

    let e = IkePolicy::from_toml(
        "bad.toml",
        "dpd_interval = \"0s\"\n[local]\nauth = { method = \"psk\", secret = \"\" }\n[remote]\nauth = { method = \"pubkey\", trust_anchors = [] }\n[retransmission]\nbackoff = 0.5\n",
    )
    .unwrap_err();
    let PolicyError::Invalid(problems) = &e else {
        panic!("{e}")
    };
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(e.to_string().contains("local.auth.secret: empty PSK"));
}
