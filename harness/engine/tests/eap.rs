//! EAP-MSCHAPv2 in IKE_AUTH (RFC 7296 §2.16, RFC 5998) between two engines in virtual time:
//! the rounds and their Message IDs, AUTH from the MSK, EAP-only, wrong passwords, a server
//! that does not know the password, CVE-2025-62291-shaped Failure Requests, and lost rounds.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use ikelab_crypto::rng::SeededRandom;
use ikelab_crypto::x509::{TestCa, TestKeyType};
use ikelab_engine::*;
use ikelab_policy::{
    CertSource, EapMethod, EapUser, IkePolicy, KeySource, LocalAuth, RemoteAuth, Secret,
};
use ikelab_wire::iana::{AuthMethod, ExchangeType, NotifyType, PayloadType};
use ikelab_wire::payload::{eap_code, EapPayload, Payload, PayloadBody};
use pair::harness::*;

const AUTH: ExchangeType = ExchangeType::IKE_AUTH;
const PASSWORD: &str = "s3cret-Passw0rd";

/// A client that runs EAP-MSCHAPv2 as `alice` and a gateway with a certificate that knows
/// alice's password.
fn policies(client_password: &str) -> (IkePolicy, IkePolicy) {
    let rng = SeededRandom::from_u64(7);
    let kind = TestKeyType::EcdsaP256;
    let ca = TestCa::new("ikelab EAP CA", kind, &rng).unwrap();
    let s = ca
        .issue("vpn.example", &["vpn.example"], kind, &rng)
        .unwrap();
    let (mut client, mut server) = psk_policies();
    client.local.auth = LocalAuth::Eap {
        eap_method: EapMethod::Mschapv2,
        identity: Some("alice".into()),
        password: Secret::new(client_password.as_bytes().to_vec()),
        tls: None,
    };
    client.remote.auth = RemoteAuth::Pubkey {
        trust_anchors: vec![CertSource::Der(ca.cert.cert_der.clone())],
        allow_legacy_methods: true,
    };
    server.local.auth = LocalAuth::Pubkey {
        certificate: CertSource::Der(s.cert_der.clone()),
        chain: vec![],
        private_key: KeySource::Der {
            label: "PRIVATE KEY".into(),
            der: Secret::new(s.key.pkcs8_der().as_bytes().to_vec()),
        },
        signature: Default::default(),
    };
    server.remote.auth = RemoteAuth::Eap {
        eap_method: EapMethod::Mschapv2,
        users: vec![EapUser {
            identity: "alice".into(),
            password: Secret::new(PASSWORD.as_bytes().to_vec()),
        }],
        tls: None,
    };
    (client, server)
}

fn run(seed: u64, client: IkePolicy, server: IkePolicy) -> Pair {
    Pair::handshake(seed, client, server, 200)
}

fn eap_of(payloads: &[Payload]) -> Option<EapPayload> {
    payloads.iter().find_map(|p| match &p.body {
        PayloadBody::Eap(e) => Some(e.clone()),
        _ => None,
    })
}

fn types(payloads: &[Payload]) -> Vec<PayloadType> {
    payloads.iter().map(Payload::payload_type).collect()
}

/// The IKE_AUTH messages on the wire, delivered and first copies only, in order.
fn auth_messages(p: &Pair) -> Vec<(u32, bool, Vec<Payload>)> {
    let mut seen = std::collections::BTreeSet::new();
    p.exchanges(AUTH)
        .into_iter()
        .filter(|(_, c)| !c.dropped)
        .filter_map(|(_, c)| {
            let h = c.message().header;
            let key = (h.message_id, h.flags.response());
            seen.insert(key)
                .then(|| (h.message_id, h.flags.response(), p.payloads(&c)))
        })
        .collect()
}

#[test]
fn mschapv2_client_and_server_with_a_certificate_gateway() {
    let (client, server) = policies(PASSWORD);
    let p = run(1, client, server);
    assert_eq!(p.a.children().len(), 1, "{:?}", p.a.closed());
    assert_eq!(p.b.children().len(), 1);
    let msgs = auth_messages(&p);
    // Five rounds: IDi, EAP-Identity, MSCHAPv2 Response, Success Response, AUTH.
    let ids: Vec<(u32, bool)> = msgs.iter().map(|m| (m.0, m.1)).collect();
    assert_eq!(
        ids,
        (1..=5)
            .flat_map(|i| [(i, false), (i, true)])
            .collect::<Vec<_>>()
    );
    let first = &msgs[0].2;
    assert!(
        !types(first).contains(&PayloadType::AUTH),
        "{:?}",
        types(first)
    );
    assert!(!types(first).contains(&PayloadType::EAP));
    let answer = &msgs[1].2;
    for t in [
        PayloadType::IDR,
        PayloadType::CERT,
        PayloadType::AUTH,
        PayloadType::EAP,
    ] {
        assert!(
            types(answer).contains(&t),
            "{t:?} missing: {:?}",
            types(answer)
        );
    }
    let identity_req = eap_of(answer).unwrap();
    assert_eq!(
        (identity_req.code, identity_req.eap_type),
        (eap_code::REQUEST, Some(1))
    );
    assert_eq!(eap_of(&msgs[2].2).unwrap().data, b"alice");
    assert_eq!(eap_of(&msgs[3].2).unwrap().eap_type, Some(26));
    assert_eq!(eap_of(&msgs[7].2).unwrap().code, eap_code::SUCCESS);
    // The final AUTH payloads are MSK MICs (method 2), and carry the CHILD_SA.
    for m in [&msgs[8].2, &msgs[9].2] {
        let auth = m.iter().find_map(|x| match &x.body {
            PayloadBody::Auth(a) => Some(a.method),
            _ => None,
        });
        assert_eq!(auth, Some(AuthMethod::SHARED_KEY_MIC));
    }
    assert!(types(&msgs[9].2).contains(&PayloadType::SA));
    // The initiator reports the certificate AUTH; the responder the MSK AUTH.
    assert_ne!(
        p.a.established().unwrap().remote_auth,
        AuthMethod::SHARED_KEY_MIC
    );
    assert_eq!(
        p.b.established().unwrap().remote_auth,
        AuthMethod::SHARED_KEY_MIC
    );
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
    // Neither password appears in any event.
    let all = format!("{:?}{:?}", p.a.events, p.b.events);
    assert!(!all.contains(PASSWORD), "password in events");
}

#[test]
fn eap_only_authentication_when_both_allow_it() {
    let (mut client, mut server) = policies(PASSWORD);
    client.features.eap_only = true;
    server.features.eap_only = true;
    // The client trusts another CA only: the EAP conversation alone authenticates the gateway.
    let rng = SeededRandom::from_u64(70);
    let other = TestCa::new("another CA", TestKeyType::EcdsaP256, &rng).unwrap();
    client.remote.auth = RemoteAuth::Pubkey {
        trust_anchors: vec![CertSource::Der(other.cert.cert_der.clone())],
        allow_legacy_methods: true,
    };
    let p = run(2, client.clone(), server.clone());
    assert_eq!(p.a.children().len(), 1, "{:?}", p.a.closed());
    let msgs = auth_messages(&p);
    let notifies: Vec<NotifyType> = msgs[0]
        .2
        .iter()
        .filter_map(|x| match &x.body {
            PayloadBody::Notify(n) => Some(n.notify_type),
            _ => None,
        })
        .collect();
    assert!(notifies.contains(&NotifyType::EAP_ONLY_AUTHENTICATION));
    let answer = types(&msgs[1].2);
    assert!(!answer.contains(&PayloadType::AUTH) && !answer.contains(&PayloadType::CERT));
    assert!(answer.contains(&PayloadType::EAP));
    assert_eq!(
        p.a.established().unwrap().remote_auth,
        AuthMethod::SHARED_KEY_MIC
    );

    // A gateway that does not allow EAP-only sends its certificate AUTH, which this client
    // cannot verify.
    server.features.eap_only = false;
    let p = run(3, client, server);
    assert!(
        matches!(
            p.a.violations().as_slice(),
            [Violation::AuthenticationFailed(
                AuthFailure::UntrustedCertificate { .. }
            )]
        ),
        "{:?}",
        p.a.violations()
    );
    assert!(p.a.established().is_none());
}

#[test]
fn wrong_password_ends_with_eap_failure_and_authentication_failed() {
    let (client, server) = policies("not the password");
    let p = run(4, client, server);
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::PeerError(NotifyType::AUTHENTICATION_FAILED))
    );
    assert_eq!(
        p.b.closed(),
        Some(CloseReason::LocalError(NotifyType::AUTHENTICATION_FAILED))
    );
    let msgs = auth_messages(&p);
    let last = &msgs.last().unwrap().2;
    assert_eq!(eap_of(last).unwrap().code, eap_code::FAILURE);
    assert!(last.iter().any(|x| matches!(&x.body,
        PayloadBody::Notify(n) if n.notify_type == NotifyType::AUTHENTICATION_FAILED)));
    let violations = p.b.violations();
    let [Violation::AuthenticationFailed(AuthFailure::EapFailed { reason })] =
        violations.as_slice()
    else {
        panic!("{violations:?}")
    };
    assert!(
        reason.contains("wrong password") && reason.contains("alice"),
        "{reason}"
    );
    assert!(!reason.contains(PASSWORD) && !reason.contains("not the password"));
    assert!(p.a.established().is_none() && p.b.established().is_none());

    // An unknown user fails the same way.
    let (mut client, server) = policies(PASSWORD);
    client.local.auth = LocalAuth::Eap {
        eap_method: EapMethod::Mschapv2,
        identity: Some("mallory".into()),
        password: Secret::new(PASSWORD.as_bytes().to_vec()),
        tls: None,
    };
    let p = run(5, client, server);
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::PeerError(NotifyType::AUTHENTICATION_FAILED))
    );
}

/// Runs once to learn the (deterministic) keys, then again with `f` rewriting the gateway's
/// IKE_AUTH response with this Message ID.
fn run_rewriting(
    seed: u64,
    client: IkePolicy,
    server: IkePolicy,
    message_id: u32,
    f: impl Fn(&mut EapPayload) + 'static,
) -> Pair {
    let keys = run(seed, client.clone(), server.clone()).keys();
    let mut p = Pair::new(seed, server);
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let h = c.message().header;
        if h.exchange_type == AUTH && h.flags.response() && h.message_id == message_id {
            reseal(c, &keys, |_, inner| {
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
    p.drive_until(200, |p| p.a.closed().is_some() || p.a.children().len() == 1);
    p
}

#[test]
fn a_gateway_that_does_not_know_the_password_is_refused() {
    let (client, server) = policies(PASSWORD);
    // Response 3 carries the MS-CHAPv2 Success Request "S=<40 hex> M=...": change S=.
    let p = run_rewriting(6, client, server, 3, |e| {
        assert_eq!(e.data[0], 3, "a Success Request");
        let i = e.data.iter().position(|&b| b == b'=').unwrap() + 1;
        e.data[i] = if e.data[i] == b'0' { b'1' } else { b'0' };
    });
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::LocalError(NotifyType::AUTHENTICATION_FAILED))
    );
    let violations = p.a.violations();
    let [Violation::AuthenticationFailed(AuthFailure::EapFailed { reason })] =
        violations.as_slice()
    else {
        panic!("{violations:?}")
    };
    assert!(reason.contains("authenticator response"), "{reason}");
    assert!(p.a.established().is_none());
    // No AUTH went out: the client stopped before deriving anything from the MSK.
    assert!(auth_messages(&p)
        .iter()
        .all(|m| m.1 || !types(&m.2).contains(&PayloadType::AUTH)));
}

#[test]
fn failure_requests_of_abnormal_length_fail_cleanly() {
    // CVE-2025-62291: an MS-CHAPv2 Failure Request shorter than its own header, one whose
    // MS-Length overstates it, and one without E=.
    let shapes: Vec<Vec<u8>> = vec![
        vec![4],
        vec![4, 1, 0],
        vec![4, 1, 0xff, 0xff, b'E', b'=', b'6'],
        [&[4u8, 1, 0, 14][..], b"R=1 V=3 M=x"].concat(),
    ];
    for (i, data) in shapes.into_iter().enumerate() {
        let (client, server) = policies(PASSWORD);
        let p = run_rewriting(7, client, server, 3, move |e| {
            e.data = data.clone();
        });
        assert_eq!(
            p.a.closed(),
            Some(CloseReason::LocalError(NotifyType::AUTHENTICATION_FAILED)),
            "shape {i}"
        );
        assert!(
            matches!(
                p.a.violations().as_slice(),
                [Violation::AuthenticationFailed(
                    AuthFailure::EapMalformed { .. }
                )]
            ),
            "shape {i}: {:?}",
            p.a.violations()
        );
    }
}

#[test]
fn a_lost_eap_round_is_retransmitted() {
    let (client, server) = policies(PASSWORD);
    let mut p = Pair::new(8, server);
    let mut dropped = std::collections::BTreeSet::new();
    // Lose the gateway's MS-CHAPv2 Challenge (response 2) and the client's Success Response
    // (request 4) once each.
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let h = c.message().header;
        let target = h.exchange_type == AUTH
            && ((h.flags.response() && h.message_id == 2)
                || (!h.flags.response() && h.message_id == 4));
        if target && dropped.insert((h.message_id, h.flags.response())) {
            Action::Drop
        } else {
            Action::Pass
        }
    }));
    p.connect(client);
    p.drive_to_established(200);
    let retransmitted: Vec<u32> =
        p.a.events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Retransmitted { message_id, .. } => Some(message_id),
                _ => None,
            })
            .collect();
    assert_eq!(retransmitted, [2, 4]);
    // The gateway answered the repeated request 2 from its cache, not with a new challenge.
    let challenges: Vec<EapPayload> = p
        .exchanges(AUTH)
        .iter()
        .filter(|(_, c)| {
            let h = c.message().header;
            h.flags.response() && h.message_id == 2
        })
        .map(|(_, c)| eap_of(&p.payloads(c)).unwrap())
        .collect();
    assert_eq!(challenges.len(), 2);
    assert_eq!(challenges[0], challenges[1]);
    assert!(p.b.violations().is_empty(), "{:?}", p.b.violations());
}

#[test]
fn eap_policies_for_methods_without_support_are_refused() {
    let (mut client, _) = policies(PASSWORD);
    client.local.auth = LocalAuth::Eap {
        eap_method: EapMethod::Md5,
        identity: None,
        password: Secret::new(b"x".to_vec()),
        tls: None,
    };
    let mut ep = Endpoint::new(config(9, None)).unwrap();
    let e = ep
        .connect(
            Timestamp::from_micros(0),
            std::sync::Arc::new(client),
            addr(A_ADDR, 500),
            addr(B_ADDR, 500),
        )
        .unwrap_err();
    assert!(e.to_string().contains("Md5"), "{e}");
}

#[test]
fn eap_rounds_are_fragmented_like_any_ike_auth_message() {
    let (mut client, mut server) = policies(PASSWORD);
    client.features.fragment_size = 400;
    server.features.fragment_size = 400;
    let p = run(10, client, server);
    assert_eq!(p.a.children().len(), 1, "{:?}", p.a.closed());
    // The gateway's first answer (IDr, CERT, AUTH, EAP-Identity) does not fit in 400 octets.
    let fragments = p
        .exchanges(AUTH)
        .iter()
        .filter(|(_, c)| {
            let m = c.message();
            m.header.flags.response()
                && m.header.message_id == 1
                && matches!(m.encrypted().map(|x| &x.body), Some(PayloadBody::Skf(_)))
        })
        .count();
    assert!(fragments >= 2, "{fragments} fragments");
    let first = &auth_messages(&p)[1].2;
    assert!(types(first).contains(&PayloadType::EAP) && types(first).contains(&PayloadType::CERT));
}
