//! The `ios` client preset against the reference responder: the IKE_SA_INIT request and the
//! first IKE_AUTH request (decrypted with the key log) must carry exactly the payloads,
//! notifies and CP attributes an iPhone sends, in its order (`../shared/notes/anchors.md`,
//! "What real clients send", from strongSwan's iOS interop notes).

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use ikelab_policy::{
    AddressPool, EapMethod, IdentityMatch, IkePolicy, IosProposals, Local, LocalAuth, Remote,
    RemoteAuth, Secret,
};
use ikelab_wire::iana::{CfgType, CpAttributeType, ExchangeType, TransformType};
use ikelab_wire::payload::{Payload, PayloadBody};
use pair::harness::*;

/// iOS's IKE_SA_INIT request.
const IOS_INIT: [&str; 7] = [
    "SA",
    "KE",
    "Nonce",
    "N(REDIRECT_SUPPORTED)",
    "N(NAT_DETECTION_SOURCE_IP)",
    "N(NAT_DETECTION_DESTINATION_IP)",
    "N(IKEV2_FRAGMENTATION_SUPPORTED)",
];

/// iOS's first IKE_AUTH request with EAP (no AUTH payload), as recorded.
const IOS_AUTH_EAP: [&str; 11] = [
    "IDi",
    "N(INITIAL_CONTACT)",
    "IDr",
    "CP(REQUEST: ADDR MASK DHCP DNS ADDR6 DHCP6 DNS6 DOMAIN)",
    "N(ESP_TFC_PADDING_NOT_SUPPORTED)",
    "N(NON_FIRST_FRAGMENTS_ALSO)",
    "SA",
    "TSi",
    "TSr",
    "N(MOBIKE_SUPPORTED)",
    "N(EAP_ONLY_AUTHENTICATION)",
];

/// The recorded sequence for a PSK (or certificate) client: AUTH follows IDr, and there is no
/// EAP_ONLY_AUTHENTICATION.
fn ios_auth_psk() -> Vec<&'static str> {
    let mut v: Vec<&str> = IOS_AUTH_EAP
        .iter()
        .copied()
        .filter(|s| *s != "N(EAP_ONLY_AUTHENTICATION)")
        .collect();
    let idr = v.iter().position(|s| *s == "IDr").unwrap();
    v.insert(idr + 1, "AUTH");
    v
}

fn cp_label(t: CpAttributeType) -> String {
    match t {
        CpAttributeType::INTERNAL_IP4_ADDRESS => "ADDR".into(),
        CpAttributeType::INTERNAL_IP4_NETMASK => "MASK".into(),
        CpAttributeType::INTERNAL_IP4_DHCP => "DHCP".into(),
        CpAttributeType::INTERNAL_IP4_DNS => "DNS".into(),
        CpAttributeType::INTERNAL_IP6_ADDRESS => "ADDR6".into(),
        CpAttributeType::INTERNAL_IP6_DHCP => "DHCP6".into(),
        CpAttributeType::INTERNAL_IP6_DNS => "DNS6".into(),
        CpAttributeType::INTERNAL_DNS_DOMAIN => "DOMAIN".into(),
        other => format!("{other:?}"),
    }
}

/// strongSwan-log-style labels of a message's payloads.
fn labels(payloads: &[Payload]) -> Vec<String> {
    payloads
        .iter()
        .map(|p| match &p.body {
            PayloadBody::Notify(n) => format!(
                "N({})",
                n.notify_type
                    .name()
                    .map_or_else(|| n.notify_type.0.to_string(), str::to_owned)
            ),
            PayloadBody::Cp(cp) => {
                let kind = if cp.cfg_type == CfgType::REQUEST {
                    "REQUEST"
                } else {
                    "OTHER"
                };
                let attrs: Vec<String> = cp
                    .attributes
                    .iter()
                    .map(|a| cp_label(a.attribute_type))
                    .collect();
                format!("CP({kind}: {})", attrs.join(" "))
            }
            _ => p.payload_type().name().unwrap_or("?").to_owned(),
        })
        .collect()
}

fn server() -> IkePolicy {
    let (_, mut server) = psk_policies();
    server.pool = Some(AddressPool {
        ranges: vec![
            "10.9.0.0/24".parse().unwrap(),
            "fd00:9::/120".parse().unwrap(),
        ],
        dns: vec!["10.9.0.53".parse().unwrap()],
        domains: vec!["corp.example".into()],
    });
    server
}

fn ios(proposals: IosProposals) -> IkePolicy {
    let (client, _) = psk_policies();
    IkePolicy::ios_client(client.local, client.remote, proposals)
}

/// Runs the preset until IKE_AUTH completed; returns the pair.
fn run(seed: u64, client: IkePolicy) -> Pair {
    let mut p = Pair::new(seed, server());
    p.connect(client);
    p.drive_to_established(100);
    p
}

fn first_request(p: &Pair, x: ExchangeType) -> Vec<Payload> {
    let (_, c) = p
        .exchanges(x)
        .into_iter()
        .find(|(_, c)| !c.message().header.flags.response())
        .expect("a request");
    p.payloads(&c)
}

/// (ENCR, key bits, INTEG, PRF, KE) ids of each proposal of an SA payload, to compare with
/// iOS's list.
fn transforms(payloads: &[Payload]) -> Vec<Vec<(TransformType, u16)>> {
    let sa = payloads
        .iter()
        .find_map(|p| match &p.body {
            PayloadBody::Sa(s) => Some(s),
            _ => None,
        })
        .expect("SA payload");
    sa.proposals
        .iter()
        .map(|p| {
            p.transforms
                .iter()
                .map(|t| (t.transform_type, t.id))
                .collect()
        })
        .collect()
}

#[test]
fn ios_preset_sends_the_recorded_sequences() {
    for (seed, proposals) in [(1, IosProposals::Profile), (2, IosProposals::Default)] {
        let p = run(seed, ios(proposals));
        assert!(p.a.established().is_some(), "{proposals:?}");
        let init = first_request(&p, ExchangeType::IKE_SA_INIT);
        assert_eq!(labels(&init), IOS_INIT, "{proposals:?}");
        let auth = first_request(&p, ExchangeType::IKE_AUTH);
        assert_eq!(labels(&auth), ios_auth_psk(), "{proposals:?}");
    }
}

#[test]
fn ios_proposals_are_on_the_wire_in_order() {
    use TransformType as T;
    // Profile: one proposal, AES-CBC-256 (key length attribute), HMAC-SHA2-256-128,
    // PRF-HMAC-SHA2-256, MODP-2048.
    let p = run(3, ios(IosProposals::Profile));
    let ike = transforms(&first_request(&p, ExchangeType::IKE_SA_INIT));
    assert_eq!(
        ike,
        [vec![
            (T::ENCR, 12),
            (T::PRF, 5),
            (T::INTEG, 12),
            (T::KE, 14)
        ]]
    );
    let esp = transforms(&first_request(&p, ExchangeType::IKE_AUTH));
    assert_eq!(esp, [vec![(T::ENCR, 12), (T::INTEG, 12), (T::SN, 0)]]);

    // No profile: five IKE and five ESP proposals.
    let p = run(4, ios(IosProposals::Default));
    let ike = transforms(&first_request(&p, ExchangeType::IKE_SA_INIT));
    let groups: Vec<u16> = ike
        .iter()
        .map(|p| p.iter().find(|t| t.0 == T::KE).unwrap().1)
        .collect();
    assert_eq!(groups, [14, 19, 5, 2, 2]);
    let encr: Vec<u16> = ike.iter().map(|p| p[0].1).collect();
    assert_eq!(encr, [12, 12, 12, 12, 3]);
    let esp = transforms(&first_request(&p, ExchangeType::IKE_AUTH));
    assert_eq!(esp.len(), 5);
    assert_eq!(esp[0], esp[2]);
    assert_eq!(esp[4][0], (T::ENCR, 3));
}

#[test]
fn default_policies_keep_their_own_order() {
    // The preset is a property of the policy: a default client sends no REDIRECT_SUPPORTED,
    // sends SIGNATURE_HASH_ALGORITHMS, and no CP.
    let (client, _) = psk_policies();
    let p = run(5, client);
    let init = labels(&first_request(&p, ExchangeType::IKE_SA_INIT));
    assert!(!init.contains(&"N(REDIRECT_SUPPORTED)".to_owned()));
    assert!(init.contains(&"N(SIGNATURE_HASH_ALGORITHMS)".to_owned()));
    let auth = labels(&first_request(&p, ExchangeType::IKE_AUTH));
    assert!(!auth.iter().any(|l| l.starts_with("CP(")));
}

#[test]
fn ios_preset_with_eap_sends_the_recorded_sequence() {
    let (_, mut server) = psk_policies();
    server.remote.auth = RemoteAuth::Eap {
        eap_method: EapMethod::Mschapv2,
        users: vec![ikelab_policy::EapUser {
            identity: "iphone".into(),
            password: Secret::new(b"password".to_vec()),
        }],
        tls: None,
    };
    server.pool = server_pool();
    let (client, _) = psk_policies();
    let local = Local {
        id: client.local.id,
        auth: LocalAuth::Eap {
            eap_method: EapMethod::Mschapv2,
            identity: Some("iphone".into()),
            password: Secret::new(b"password".to_vec()),
            tls: None,
        },
    };
    let remote = Remote {
        id: IdentityMatch::Exact(ikelab_policy::Identity::fqdn("vpn.example")),
        auth: client.remote.auth,
    };
    let mut p = Pair::new(6, server);
    p.connect(IkePolicy::ios_client(local, remote, IosProposals::Profile));
    p.drive_to_established(200);
    assert_eq!(
        labels(&first_request(&p, ExchangeType::IKE_SA_INIT)),
        IOS_INIT
    );
    assert_eq!(
        labels(&first_request(&p, ExchangeType::IKE_AUTH)),
        IOS_AUTH_EAP
    );
}

fn server_pool() -> Option<AddressPool> {
    server().pool
}
