//! Client presets: `IkePolicy::ios_client` and `preset = "ios"` in a policy file.

use ikelab_policy::preset::{ios_features, IOS_CONFIG_REQUEST};
use ikelab_policy::*;
use ikelab_wire::iana::{EncrId, KeMethod};

const SIDES: &str = r#"
[local]
id = "iphone@example.com"
auth = { method = "psk", secret = "secret" }
[remote]
id = "vpn.example.com"
auth = { method = "psk", secret = "secret" }
"#;

fn sides() -> (Local, Remote) {
    let p = IkePolicy::from_toml("sides.toml", SIDES).unwrap();
    (p.local, p.remote)
}

#[test]
fn ios_client_has_ios_proposals_features_and_cp() {
    let (local, remote) = sides();
    let p = IkePolicy::ios_client(local.clone(), remote.clone(), IosProposals::Profile);
    assert_eq!(p.ike_proposals.len(), 1);
    assert_eq!(p.ike_proposals[0].encryption[0].id, EncrId::AES_CBC);
    assert_eq!(p.ike_proposals[0].ke, [KeMethod::MODP_2048]);
    assert_eq!(p.children[0].proposals.len(), 1);
    assert!(p.features.mobike && p.features.redirect && p.features.fragmentation);
    assert!(p.features.esp_tfc_padding_not_supported && p.features.non_first_fragments_also);
    assert!(p.features.signature_hash_algorithms.is_empty());
    assert_eq!(p.config_request, IOS_CONFIG_REQUEST);
    p.validate().unwrap();

    let d = IkePolicy::ios_client(local, remote, IosProposals::Default);
    let groups: Vec<_> = d.ike_proposals.iter().map(|p| p.ke[0]).collect();
    assert_eq!(
        groups,
        [
            KeMethod::MODP_2048,
            KeMethod::ECP_256,
            KeMethod::MODP_1536,
            KeMethod::MODP_1024,
            KeMethod::MODP_1024
        ]
    );
    assert_eq!(d.ike_proposals[4].encryption[0].id, EncrId::TRIPLE_DES);
    assert_eq!(d.children[0].proposals.len(), 5);
    assert_eq!(d.children[0].proposals[0], d.children[0].proposals[2]);
}

#[test]
fn preset_in_a_file_is_the_same_policy() {
    let (local, remote) = sides();
    for (name, proposals) in [
        ("ios", IosProposals::Profile),
        ("ios_default", IosProposals::Default),
    ] {
        let text = format!("preset = \"{name}\"\n{SIDES}");
        let from_file = IkePolicy::from_toml("ios.toml", &text).unwrap();
        let built = IkePolicy::ios_client(local.clone(), remote.clone(), proposals);
        assert_eq!(from_file, built, "{name}");
    }
}

#[test]
fn file_keys_override_the_preset() {
    let text = format!(
        r#"preset = "ios"
ike_proposals = ["aes256gcm16-prfsha256-ecp256"]
{SIDES}
[features]
mobike = false
[[children]]
name = "lan"
remote_ts = ["10.0.0.0/8"]
"#
    );
    let p = IkePolicy::from_toml("ios.toml", &text).unwrap();
    assert_eq!(p.ike_proposals[0].encryption[0].id, EncrId::AES_GCM_16);
    // Features merge key by key: only MOBIKE changed.
    assert!(!p.features.mobike);
    assert_eq!(
        Features {
            mobike: true,
            ..p.features.clone()
        },
        ios_features()
    );
    // A child without proposals gets the preset's.
    assert_eq!(p.children[0].name, "lan");
    assert_eq!(
        p.children[0].proposals,
        IosProposals::Profile.esp_proposals()
    );
    assert_eq!(p.config_request, IOS_CONFIG_REQUEST);
}

#[test]
fn unknown_preset_is_an_error_naming_the_file() {
    let text = format!("preset = \"android\"\n{SIDES}");
    let e = IkePolicy::from_toml("x.toml", &text).unwrap_err();
    let s = e.to_string();
    assert!(s.starts_with("x.toml: preset:"), "{s}");
    assert!(s.contains("android"), "{s}");
}
