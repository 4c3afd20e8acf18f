//! EAP-TLS in IKE_AUTH (RFC 5216, RFC 9190) between two engines: both roles under TLS 1.3
//! and TLS 1.2, a client certificate the gateway does not trust, a gateway certificate the
//! client does not trust, small EAP-TLS fragments with their acknowledgements, and EAP-TLS
//! messages whose L-flag length is truncated or overstated.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use ikelab_crypto::rng::SeededRandom;
use ikelab_crypto::x509::{TestCa, TestCert, TestKeyType};
use ikelab_engine::*;
use ikelab_policy::{
    CertSource, EapMethod, EapTls, Identity, IdentityMatch, IkePolicy, KeySource, LocalAuth,
    RemoteAuth, Secret,
};
use ikelab_wire::iana::{AuthMethod, ExchangeType, NotifyType};
use ikelab_wire::payload::{eap_code, EapPayload, Payload, PayloadBody};
use pair::harness::*;

const AUTH: ExchangeType = ExchangeType::IKE_AUTH;
const FLAG_L: u8 = 0x80;
const FLAG_M: u8 = 0x40;
const FLAG_S: u8 = 0x20;

fn key(c: &TestCert) -> KeySource {
    KeySource::Der {
        label: "PRIVATE KEY".into(),
        der: Secret::new(c.key.pkcs8_der().as_bytes().to_vec()),
    }
}

struct Pki {
    ca: TestCa,
    server: TestCert,
    client: TestCert,
}

fn pki(seed: u64) -> Pki {
    let rng = SeededRandom::from_u64(seed);
    let kind = TestKeyType::EcdsaP256;
    let ca = TestCa::new("ikelab EAP-TLS CA", kind, &rng).unwrap();
    let server = ca
        .issue("vpn.example", &["vpn.example"], kind, &rng)
        .unwrap();
    let client = ca
        .issue("client.example", &["client.example"], kind, &rng)
        .unwrap();
    Pki { ca, server, client }
}

/// A client running EAP-TLS with `client_cert` and a gateway with `pki.server` that trusts
/// `pki.ca` for client certificates.
fn policies(pki: &Pki, client_cert: &TestCert, tls: EapTls) -> (IkePolicy, IkePolicy) {
    let (mut client, mut server) = psk_policies();
    client.local.auth = LocalAuth::Eap {
        eap_method: EapMethod::Tls,
        identity: Some("client.example".into()),
        password: Secret::new(Vec::new()),
        tls: Some(EapTls {
            certificate: Some(CertSource::Der(client_cert.cert_der.clone())),
            private_key: Some(key(client_cert)),
            ..tls.clone()
        }),
    };
    client.remote.auth = RemoteAuth::Pubkey {
        trust_anchors: vec![CertSource::Der(pki.ca.cert.cert_der.clone())],
        allow_legacy_methods: true,
    };
    server.local.auth = LocalAuth::Pubkey {
        certificate: CertSource::Der(pki.server.cert_der.clone()),
        chain: vec![],
        private_key: key(&pki.server),
        signature: Default::default(),
    };
    server.remote.auth = RemoteAuth::Eap {
        eap_method: EapMethod::Tls,
        users: Vec::new(),
        tls: Some(EapTls {
            trust_anchors: vec![CertSource::Der(pki.ca.cert.cert_der.clone())],
            ..tls
        }),
    };
    (client, server)
}

fn run(seed: u64, client: IkePolicy, server: IkePolicy) -> Pair {
    Pair::handshake(seed, client, server, 400)
}

/// The EAP payloads on the wire (first copies), with whether the gateway sent them.
fn eaps(p: &Pair) -> Vec<(bool, EapPayload)> {
    let mut seen = std::collections::BTreeSet::new();
    p.exchanges(AUTH)
        .into_iter()
        .filter(|(_, c)| !c.dropped)
        .filter_map(|(_, c)| {
            let h = c.message().header;
            if !seen.insert((h.message_id, h.flags.response())) {
                return None;
            }
            p.payloads(&c).into_iter().find_map(|x| match x.body {
                PayloadBody::Eap(e) => Some((h.flags.response(), e)),
                _ => None,
            })
        })
        .collect()
}

fn tls_messages(p: &Pair) -> Vec<(bool, Vec<u8>)> {
    eaps(p)
        .into_iter()
        .filter(|(_, e)| e.eap_type == Some(13))
        .map(|(gw, e)| (gw, e.data))
        .collect()
}

fn established_both_ways(p: &Pair) {
    assert_eq!(
        p.a.children().len(),
        1,
        "{:?} {:?}",
        p.a.closed(),
        p.a.violations()
    );
    assert_eq!(p.b.children().len(), 1, "{:?}", p.b.violations());
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
    assert_eq!(
        p.b.established().unwrap().remote_auth,
        AuthMethod::SHARED_KEY_MIC
    );
    let all = eaps(p);
    assert_eq!(all.last().map(|e| e.1.code), Some(eap_code::SUCCESS));
    // The gateway starts EAP-TLS with the S flag and no data.
    let tls = tls_messages(p);
    assert_eq!(tls[0], (true, vec![FLAG_S]));
}

#[test]
fn eap_tls_13_client_and_server() {
    let pki = pki(1);
    let (client, server) = policies(&pki, &pki.client, EapTls::default());
    let p = run(1, client, server);
    established_both_ways(&p);
    // TLS 1.3 with client authentication: Start, ClientHello, server flight, client flight,
    // commitment, empty ACK: the last two TLS messages are the commitment and the ACK.
    let tls = tls_messages(&p);
    let (gw, ack) = tls.last().unwrap();
    assert!(!gw && ack == &[0], "{tls:?}");
    // Before it, the commitment: one TLS 1.3 application-data record (0x17) alone.
    let (gw, commitment) = &tls[tls.len() - 2];
    assert!(*gw && commitment[1] == 0x17, "{commitment:?}");
    assert!(commitment.len() < 40, "{commitment:?}");
    // No fragmentation at the default 1000-octet size for an ECDSA P-256 chain.
    assert!(tls.iter().all(|(_, d)| d[0] & FLAG_M == 0));
    let all = format!("{:?}{:?}", p.a.events, p.b.events);
    assert!(!all.contains("PRIVATE"), "key material in events");
}

#[test]
fn eap_tls_12_client_and_server() {
    let pki = pki(2);
    let tls = EapTls {
        max_version: Some("1.2".into()),
        ..EapTls::default()
    };
    let (client, server) = policies(&pki, &pki.client, tls);
    let p = run(2, client, server);
    established_both_ways(&p);
    // TLS 1.2: the ClientHello offers 1.2 only; the peer's last message is the empty ACK of
    // the server's ChangeCipherSpec and Finished.
    let tls = tls_messages(&p);
    let hello = &tls[1].1;
    assert_eq!(hello[1], 0x16, "a handshake record");
    assert_eq!(tls.last().unwrap(), &(false, vec![0]));
    // Before it, the server's ChangeCipherSpec record (0x14) and Finished.
    let (gw, finished) = &tls[tls.len() - 2];
    assert!(*gw && finished[1] == 0x14, "{finished:?}");
}

#[test]
fn a_client_certificate_from_another_ca_is_refused() {
    let pki = pki(3);
    let rng = SeededRandom::from_u64(33);
    let other = TestCa::new("another CA", TestKeyType::EcdsaP256, &rng).unwrap();
    let stranger = other
        .issue(
            "client.example",
            &["client.example"],
            TestKeyType::EcdsaP256,
            &rng,
        )
        .unwrap();
    for max in ["1.2", "1.3"] {
        let tls = EapTls {
            max_version: Some(max.into()),
            ..EapTls::default()
        };
        let (client, server) = policies(&pki, &stranger, tls);
        let p = run(3, client, server);
        assert_eq!(
            p.b.closed(),
            Some(CloseReason::LocalError(NotifyType::AUTHENTICATION_FAILED)),
            "{max}"
        );
        assert_eq!(
            p.a.closed(),
            Some(CloseReason::PeerError(NotifyType::AUTHENTICATION_FAILED)),
            "{max}"
        );
        let v = p.b.violations();
        let [Violation::AuthenticationFailed(AuthFailure::EapFailed { reason })] = v.as_slice()
        else {
            panic!("{v:?}")
        };
        assert!(reason.contains("certificate"), "{reason}");
        assert_eq!(eaps(&p).last().unwrap().1.code, eap_code::FAILURE);
        assert!(p.a.established().is_none() && p.b.established().is_none());
    }
}

#[test]
fn a_server_certificate_the_client_does_not_trust_is_refused() {
    let pki = pki(4);
    let rng = SeededRandom::from_u64(44);
    let other = TestCa::new("another CA", TestKeyType::EcdsaP256, &rng).unwrap();
    // The client checks the TLS server against another CA, and allows EAP-only so that
    // EAP-TLS alone authenticates the gateway.
    let tls = EapTls {
        trust_anchors: vec![CertSource::Der(other.cert.cert_der.clone())],
        ..EapTls::default()
    };
    let (mut client, mut server) = policies(&pki, &pki.client, tls);
    client.features.eap_only = true;
    server.features.eap_only = true;
    if let RemoteAuth::Eap { tls: Some(t), .. } = &mut server.remote.auth {
        t.trust_anchors = vec![CertSource::Der(pki.ca.cert.cert_der.clone())];
    }
    let p = run(4, client, server);
    assert!(p.a.established().is_none() && p.b.established().is_none());
    let v = p.a.violations();
    let [Violation::AuthenticationFailed(AuthFailure::EapFailed { reason })] = v.as_slice() else {
        panic!("{v:?}")
    };
    assert!(reason.contains("certificate"), "{reason}");
}

/// EAP-only: TLS alone authenticates the gateway, so a certificate from the trusted CA for
/// another name must not pass for `vpn.example` (RFC 5216 §5.2); with `%any` as the
/// gateway's identity there is no name to compare and the chain decides.
#[test]
fn a_trusted_server_certificate_for_another_name_is_refused() {
    let pki = pki(8);
    let rng = SeededRandom::from_u64(88);
    let impostor = pki
        .ca
        .issue(
            "other.example",
            &["other.example"],
            TestKeyType::EcdsaP256,
            &rng,
        )
        .unwrap();
    let eap_only = |client_id: IdentityMatch| {
        let (mut client, mut server) = policies(&pki, &pki.client, EapTls::default());
        client.features.eap_only = true;
        server.features.eap_only = true;
        client.remote.id = client_id;
        server.local.auth = LocalAuth::Pubkey {
            certificate: CertSource::Der(impostor.cert_der.clone()),
            chain: vec![],
            private_key: key(&impostor),
            signature: Default::default(),
        };
        run(8, client, server)
    };
    let p = eap_only(IdentityMatch::Exact(Identity::fqdn("vpn.example")));
    assert!(p.a.established().is_none() && p.b.established().is_none());
    let v = p.a.violations();
    let [Violation::AuthenticationFailed(AuthFailure::EapFailed { reason })] = v.as_slice() else {
        panic!("{v:?}")
    };
    assert!(reason.contains("certificate"), "{reason}");

    let p = eap_only(IdentityMatch::Any);
    established_both_ways(&p);
}

#[test]
fn small_fragments_are_sent_and_acknowledged() {
    let pki = pki(5);
    let tls = EapTls {
        fragment_size: Some(100),
        ..EapTls::default()
    };
    let (client, server) = policies(&pki, &pki.client, tls);
    let p = run(5, client, server);
    established_both_ways(&p);
    let tls = tls_messages(&p);
    for (gw, d) in &tls {
        let header = if d[0] & FLAG_L != 0 { 5 } else { 1 };
        assert!(d.len() - header <= 100, "fragment of {} octets", d.len());
        // The first fragment of each side's flight says L and M.
        if d[0] & FLAG_L != 0 {
            assert!(d[0] & FLAG_M != 0, "gateway {gw}");
        }
    }
    let fragmented = |side: bool| {
        tls.iter()
            .filter(|(gw, d)| *gw == side && d[0] == FLAG_L | FLAG_M)
            .count()
    };
    assert!(fragmented(true) >= 1 && fragmented(false) >= 1, "{tls:?}");
    // Every fragment with M is answered by an empty EAP-TLS message from the other side.
    for w in tls.windows(2) {
        if w[0].1[0] & FLAG_M != 0 {
            assert_eq!(w[1], (!w[0].0, vec![0]));
        }
    }
}

/// Runs the exchange rewriting the EAP payload of IKE_AUTH `message_id` (a request from the
/// client, or a response from the gateway).
fn run_rewriting(
    seed: u64,
    client: IkePolicy,
    server: IkePolicy,
    message_id: u32,
    response: bool,
    f: impl Fn(&mut EapPayload) + 'static,
) -> Pair {
    let keys = run(seed, client.clone(), server.clone()).keys();
    let mut p = Pair::new(seed, server);
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let h = c.message().header;
        if h.exchange_type == AUTH && h.flags.response() == response && h.message_id == message_id {
            reseal(c, &keys, |_, inner: &mut Vec<Payload>| {
                for x in inner.iter_mut() {
                    if let PayloadBody::Eap(e) = &mut x.body {
                        f(e);
                    }
                }
            });
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_until(400, |p| p.a.closed().is_some() && p.b.closed().is_some());
    p
}

fn malformed(v: &[Violation]) -> bool {
    matches!(
        v,
        [Violation::AuthenticationFailed(
            AuthFailure::EapMalformed { .. }
        )]
    )
}

#[test]
fn truncated_and_overstated_tls_message_lengths_fail_cleanly() {
    let shapes: Vec<Vec<u8>> = vec![
        // No Flags octet at all.
        vec![],
        // L flag with three of the four length octets.
        vec![FLAG_L, 0, 0],
        // L says 10 octets, 40 arrive.
        [&[FLAG_L, 0, 0, 0, 10][..], &[0x16; 40]].concat(),
        // L says 4 GiB - 1.
        [&[FLAG_L | FLAG_M, 0xff, 0xff, 0xff, 0xff][..], &[0x16; 40]].concat(),
        // L says 400 octets, the message ends after 40 with no M flag.
        [&[FLAG_L, 0, 0, 1, 0x90][..], &[0x16; 40]].concat(),
    ];
    let pki = pki(6);
    for (i, data) in shapes.into_iter().enumerate() {
        // Response 3 is the gateway's first TLS flight (1: EAP-Identity, 2: Start).
        let (client, server) = policies(&pki, &pki.client, EapTls::default());
        let d = data.clone();
        let p = run_rewriting(6, client, server, 3, true, move |e| e.data = d.clone());
        assert_eq!(
            p.a.closed(),
            Some(CloseReason::LocalError(NotifyType::AUTHENTICATION_FAILED)),
            "client, shape {i}"
        );
        assert!(
            malformed(&p.a.violations()),
            "shape {i}: {:?}",
            p.a.violations()
        );

        // Request 3 is the client's ClientHello: the gateway refuses the same shapes.
        let (client, server) = policies(&pki, &pki.client, EapTls::default());
        let p = run_rewriting(6, client, server, 3, false, move |e| e.data = data.clone());
        assert_eq!(
            p.b.closed(),
            Some(CloseReason::LocalError(NotifyType::AUTHENTICATION_FAILED)),
            "gateway, shape {i}"
        );
        assert!(
            malformed(&p.b.violations()),
            "shape {i}: {:?}",
            p.b.violations()
        );
        assert_eq!(
            p.a.closed(),
            Some(CloseReason::PeerError(NotifyType::AUTHENTICATION_FAILED))
        );
    }
}

#[test]
fn eap_tls_policies_are_checked_at_load() {
    let pki = pki(7);
    let (mut client, _) = policies(&pki, &pki.client, EapTls::default());
    if let LocalAuth::Eap { tls, .. } = &mut client.local.auth {
        *tls = None;
    }
    let mut ep = Endpoint::new(config(9, None)).unwrap();
    let connect = |ep: &mut Endpoint, p: IkePolicy| {
        ep.connect(
            Timestamp::from_micros(0),
            std::sync::Arc::new(p),
            addr(A_ADDR, 500),
            addr(B_ADDR, 500),
        )
    };
    let e = connect(&mut ep, client).unwrap_err();
    assert!(e.to_string().contains("tls"), "{e}");
    let (mut client, _) = policies(&pki, &pki.client, EapTls::default());
    if let LocalAuth::Eap { tls: Some(t), .. } = &mut client.local.auth {
        t.private_key = None;
    }
    let e = connect(&mut ep, client).unwrap_err();
    assert!(e.to_string().contains("private_key"), "{e}");
    let (_, mut server) = policies(&pki, &pki.client, EapTls::default());
    if let RemoteAuth::Eap { tls: Some(t), .. } = &mut server.remote.auth {
        t.trust_anchors.clear();
    }
    assert!(Endpoint::new(config(1, Some(server))).is_err());
}

#[test]
fn tls_13_eap_success_without_the_commitment_message_is_refused() {
    // Replace the gateway's commitment (the TLS 1.3 record after the client's Finished) by
    // EAP-Success, as strongSwan 5.9.8 with TLS 1.3 does.
    let pki = pki(8);
    let (client, server) = policies(&pki, &pki.client, EapTls::default());
    let plain = run(8, client.clone(), server.clone());
    established_both_ways(&plain);
    // Responses: 1 Identity, 2 Start, 3 server flight, 4 commitment, 5 Success, 6 AUTH.
    let commitment_round = 4;
    let p = run_rewriting(8, client, server, commitment_round, true, |e| {
        assert_eq!(e.eap_type, Some(13));
        *e = EapPayload {
            code: eap_code::SUCCESS,
            identifier: e.identifier,
            eap_type: None,
            data: Vec::new(),
        };
    });
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::LocalError(NotifyType::AUTHENTICATION_FAILED))
    );
    let v = p.a.violations();
    let [Violation::AuthenticationFailed(AuthFailure::EapFailed { reason })] = v.as_slice() else {
        panic!("{v:?}")
    };
    assert!(reason.contains("commitment"), "{reason}");
}

/// Sets the client's EAP identity in a policy from `policies`.
fn with_eap_identity(mut client: IkePolicy, identity: &str) -> IkePolicy {
    if let LocalAuth::Eap { identity: id, .. } = &mut client.local.auth {
        *id = Some(identity.into());
    }
    client
}

fn refused_for_identity(p: &Pair, claimed: &str) {
    assert_eq!(
        p.b.closed(),
        Some(CloseReason::LocalError(NotifyType::AUTHENTICATION_FAILED))
    );
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::PeerError(NotifyType::AUTHENTICATION_FAILED))
    );
    let v = p.b.violations();
    let [Violation::AuthenticationFailed(AuthFailure::EapFailed { reason })] = v.as_slice() else {
        panic!("{v:?}")
    };
    assert!(
        reason.contains(&format!("\"{claimed}\"")) && reason.contains("dNSName client.example"),
        "{reason}"
    );
    assert_eq!(eaps(p).last().unwrap().1.code, eap_code::FAILURE);
    assert!(p.a.established().is_none() && p.b.established().is_none());
}

#[test]
fn the_client_certificate_must_name_the_eap_identity() {
    let pki = pki(11);
    for max in ["1.2", "1.3"] {
        let tls = EapTls {
            max_version: Some(max.into()),
            ..EapTls::default()
        };
        // The certificate's dNSName, in another case: accepted.
        let (client, server) = policies(&pki, &pki.client, tls.clone());
        let p = run(11, with_eap_identity(client, "Client.Example"), server);
        established_both_ways(&p);
        // A trusted certificate for client.example claiming to be mallory.example: refused.
        let (client, server) = policies(&pki, &pki.client, tls);
        let p = run(11, with_eap_identity(client, "mallory.example"), server);
        refused_for_identity(&p, "mallory.example");
    }
}

#[test]
fn the_client_certificate_must_name_the_ike_identity() {
    let pki = pki(12);
    let (mut client, mut server) = policies(&pki, &pki.client, EapTls::default());
    // EAP identity client.example matches the certificate; IDi mallory.example does not.
    client.local.id = Some(Identity::fqdn("mallory.example"));
    server.remote.id = IdentityMatch::Any;
    let p = run(12, client, server);
    refused_for_identity(&p, "mallory.example");
    let v = format!("{:?}", p.b.violations());
    assert!(v.contains("IKE identity"), "{v}");
}

#[test]
fn an_rfc822_identity_is_matched_by_an_rfc822name() {
    let pki = pki(13);
    let rng = SeededRandom::from_u64(13);
    let alice = pki
        .ca
        .issue(
            "Alice",
            &["alice@client.example"],
            TestKeyType::EcdsaP256,
            &rng,
        )
        .unwrap();
    let (mut client, mut server) = policies(&pki, &alice, EapTls::default());
    client.local.id = Some(Identity::email("alice@client.example"));
    server.remote.id = IdentityMatch::Exact(Identity::email("alice@client.example"));
    let p = run(
        13,
        with_eap_identity(client, "alice@client.example"),
        server,
    );
    established_both_ways(&p);
    // Another address at the same domain is not Alice.
    let (mut client, mut server) = policies(&pki, &alice, EapTls::default());
    client.local.id = Some(Identity::email("alice@client.example"));
    server.remote.id = IdentityMatch::Any;
    let p = run(13, with_eap_identity(client, "bob@client.example"), server);
    let v = format!("{:?}", p.b.violations());
    assert!(
        v.contains("\\\"bob@client.example\\\"") && v.contains("rfc822Name alice@client.example"),
        "{v}"
    );
    assert!(p.b.established().is_none());
}
