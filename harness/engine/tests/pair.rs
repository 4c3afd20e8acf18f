//! Deterministic pair tests: two engines in memory, virtual time, a seeded faulty link. Every
//! error path asserts the Notify on the wire (decrypted with the key log where needed).

mod pair {
    // Shared with tests/create_child.rs, which uses other helpers.
    #[allow(dead_code)]
    pub mod harness;
}

use ikelab_engine::*;
use ikelab_policy::{ChildProposal, Duration, Identity, IkeProposal, IpNet, Secret, TsSpec};
use ikelab_wire::iana::{CpAttributeType, ExchangeType, KeMethod, NotifyType, PayloadType};
use ikelab_wire::payload::PayloadBody;
use pair::harness::*;

fn ike(s: &str) -> Vec<IkeProposal> {
    vec![IkeProposal::parse(s).unwrap()]
}

#[test]
fn psk_handshake_installs_matching_child_sas() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(1, server);
    let h = p.connect(client);
    p.drive_to_established(100);

    let a = p.a.established().unwrap();
    let b = p.b.established().unwrap();
    assert!(a.initiator && !b.initiator);
    assert_eq!((a.spi_i, a.spi_r), (b.spi_i, b.spi_r));
    assert_eq!(a.transforms, b.transforms);
    assert_eq!(a.remote_id, Identity::fqdn("vpn.example"));
    assert_eq!(b.remote_id, Identity::fqdn("client.example"));
    assert!(!a.nat_detected.any());
    assert_eq!(p.a.ep.sa_state(h), Some(SaState::Established));

    let (ca, cb) = (&p.a.children()[0], &p.b.children()[0]);
    assert_eq!(ca.spi_in, cb.spi_out);
    assert_eq!(ca.spi_out, cb.spi_in);
    assert_eq!(ca.outbound, cb.inbound);
    assert_eq!(ca.inbound, cb.outbound);
    assert_ne!(ca.outbound, ca.inbound);
    assert_eq!(ca.transforms, cb.transforms);
    assert_eq!(ca.local_ts, cb.remote_ts);
    assert!(!format!("{ca:?}").contains(&ca.outbound.encryption.expose_hex()));

    // IKE_SA_INIT and IKE_AUTH, one request and one response each.
    let exchanges: Vec<(ExchangeType, bool)> = p
        .wire
        .iter()
        .map(|c| {
            let h = c.message().header;
            (h.exchange_type, h.flags.response())
        })
        .collect();
    assert_eq!(
        exchanges,
        [
            (ExchangeType::IKE_SA_INIT, false),
            (ExchangeType::IKE_SA_INIT, true),
            (ExchangeType::IKE_AUTH, false),
            (ExchangeType::IKE_AUTH, true)
        ]
    );
    let init = p.payloads(&p.wire[0]);
    let kinds: Vec<PayloadType> = init.iter().map(|x| x.payload_type()).collect();
    assert_eq!(
        &kinds[..3],
        [PayloadType::SA, PayloadType::KE, PayloadType::NONCE]
    );
    let n = p.notifies(&p.wire[0]);
    for t in [
        NotifyType::NAT_DETECTION_SOURCE_IP,
        NotifyType::NAT_DETECTION_DESTINATION_IP,
        NotifyType::IKEV2_FRAGMENTATION_SUPPORTED,
        NotifyType::SIGNATURE_HASH_ALGORITHMS,
    ] {
        assert!(n.contains(&t), "{t} in IKE_SA_INIT request: {n:?}");
    }
    let auth = p.payloads(&p.wire[2]);
    let kinds: Vec<PayloadType> = auth.iter().map(|x| x.payload_type()).collect();
    assert_eq!(
        kinds,
        [
            PayloadType::IDI,
            PayloadType::NOTIFY,
            PayloadType::IDR,
            PayloadType::AUTH,
            PayloadType::SA,
            PayloadType::TSI,
            PayloadType::TSR
        ]
    );
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
}

#[test]
fn same_seed_same_bytes() {
    let run = |seed| {
        let (client, server) = psk_policies();
        let mut p = Pair::new(seed, server);
        p.connect(client);
        p.drive_to_established(100);
        p.wire.iter().map(|c| c.payload.clone()).collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[test]
fn handshakes_complete_under_30_percent_loss() {
    let mut retransmissions = 0;
    for seed in 0..25 {
        let (client, server) = psk_policies();
        let mut p = Pair::new(seed, server);
        p.faults = LinkFaults {
            loss: 300,
            duplicate: 100,
            jitter_us: 30_000,
        };
        p.connect(client);
        p.drive_to_established(2_000);
        retransmissions += p.a.count(|k| matches!(k, EventKind::Retransmitted { .. }));
        assert!(
            p.a.violations()
                .iter()
                .all(|v| matches!(v, Violation::UnexpectedResponse { .. })),
            "seed {seed}: {:?}",
            p.a.violations()
        );
        assert_eq!(p.a.children().len(), 1, "seed {seed}");
        assert_eq!(
            p.b.children().len(),
            1,
            "seed {seed}: duplicates create nothing twice"
        );
    }
    assert!(
        retransmissions > 10,
        "loss must have forced retransmissions: {retransmissions}"
    );
}

#[test]
fn invalid_ke_payload_then_retry_with_the_requested_group() {
    let (mut client, mut server) = psk_policies();
    client.ike_proposals = ike("aes128gcm16-prfsha256-ecp256-x25519");
    server.ike_proposals = ike("aes128gcm16-prfsha256-x25519");
    let mut p = Pair::new(2, server);
    p.connect(client);
    p.drive_to_established(100);

    let first = p.wire[0].message();
    let ke = first.payloads.iter().find_map(|x| match &x.body {
        PayloadBody::Ke(k) => Some(k.group),
        _ => None,
    });
    assert_eq!(ke, Some(KeMethod::ECP_256));
    let reply = p.wire[1].message();
    let [x] = reply.payloads.as_slice() else {
        panic!("INVALID_KE reply carries one notify: {reply:?}")
    };
    let PayloadBody::Notify(n) = &x.body else {
        panic!()
    };
    assert_eq!(n.notify_type, NotifyType::INVALID_KE_PAYLOAD);
    assert_eq!(n.data, [0x00, 31], "the group the responder wants");
    assert_eq!(reply.header.responder_spi, 0, "stateless reply");
    let retry = p.wire[2].message();
    assert_eq!(retry.header.initiator_spi, first.header.initiator_spi);
    assert_eq!(retry.header.message_id, 0);
    assert_eq!(
        p.a.established().unwrap().transforms.ke,
        KeMethod::CURVE25519
    );
    // ECP-256 is in the initiator's SA payload: guessing a group the responder does not
    // prefer is legal (RFC 7296 §1.2; §3.4 "SHOULD match the first group"), no violation.
    assert!(p.b.violations().is_empty(), "{:?}", p.b.violations());
}

#[test]
fn cookie_round_trip() {
    let (client, mut server) = psk_policies();
    server.cookie_threshold = Some(0);
    let mut p = Pair::new(3, server);
    p.connect(client);
    p.drive_to_established(100);

    let reply = p.wire[1].message();
    let cookie = match reply.payloads.as_slice() {
        [x] => match &x.body {
            PayloadBody::Notify(n) if n.notify_type == NotifyType::COOKIE => n.data.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert!((1..=64).contains(&cookie.len()));
    assert_eq!(p.b.ep.sa_count(), 1, "the COOKIE reply kept no state");
    let retry = p.wire[2].message();
    match &retry.payloads[0].body {
        PayloadBody::Notify(n) => {
            assert_eq!(n.notify_type, NotifyType::COOKIE);
            assert_eq!(n.data, cookie);
        }
        other => panic!("COOKIE must be the first payload: {other:?}"),
    }
    // Everything after the cookie is the first request unchanged (§2.6).
    assert_eq!(retry.payloads[1..], p.wire[0].message().payloads[..]);
    assert!(p.b.violations().is_empty());
}

#[test]
fn forged_cookie_gets_a_fresh_one() {
    let (client, mut server) = psk_policies();
    server.cookie_threshold = Some(0);
    let mut p = Pair::new(4, server);
    let mut n = 0;
    p.interceptor = Some(Box::new(move |c| {
        n += 1;
        if n == 3 {
            rewrite(c, |m| {
                if let PayloadBody::Notify(x) = &mut m.payloads[0].body {
                    x.data[5] ^= 1;
                }
            });
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_to_established(200);
    assert!(p.b.violations().contains(&Violation::InvalidCookie));
    assert_eq!(p.notifies(&p.wire[3]), [NotifyType::COOKIE]);
}

/// The unprotected NO_PROPOSAL_CHOSEN is believed only after one retransmission got no
/// better answer (RFC 7296 §2.21.1), so the responder rejects the request twice.
#[test]
fn no_proposal_chosen() {
    let (mut client, mut server) = psk_policies();
    client.ike_proposals = ike("aes128-sha256-x25519");
    server.ike_proposals = ike("aes256gcm16-prfsha384-ecp384");
    let mut p = Pair::new(5, server);
    let h = p.connect(client);
    p.drive_until(100, |p| p.a.closed().is_some());
    assert_eq!(p.notifies(&p.wire[1]), [NotifyType::NO_PROPOSAL_CHOSEN]);
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::PeerError(NotifyType::NO_PROPOSAL_CHOSEN))
    );
    assert_eq!(
        p.b.violations(),
        [Violation::NoProposalChosen, Violation::NoProposalChosen]
    );
    assert_eq!(p.b.ep.sa_count(), 0);
    assert_eq!(p.a.ep.sa_state(h), Some(SaState::Closed));
    p.drive_bounded(100);
    assert_eq!(p.a.ep.sa_state(h), None, "closed SAs are forgotten");
    assert_eq!(p.wire.len(), 4);
}

/// The IKE_AUTH response of a failed authentication, decrypted.
fn auth_response_notifies(p: &Pair) -> Vec<NotifyType> {
    let resp = p
        .sent_by_b()
        .into_iter()
        .find(|c| c.message().header.exchange_type == ExchangeType::IKE_AUTH)
        .expect("an IKE_AUTH response");
    p.notifies(resp)
}

#[test]
fn authentication_failed_wrong_psk() {
    let (mut client, server) = psk_policies();
    let wrong = Secret::new(b"wrong".to_vec());
    client.local.auth = ikelab_policy::LocalAuth::Psk {
        secret: wrong.clone(),
    };
    client.remote.auth = ikelab_policy::RemoteAuth::Psk { secret: wrong };
    let mut p = Pair::new(6, server);
    p.connect(client);
    p.drive_until(100, |p| p.a.closed().is_some());
    assert_eq!(
        auth_response_notifies(&p),
        [NotifyType::AUTHENTICATION_FAILED]
    );
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::PeerError(NotifyType::AUTHENTICATION_FAILED))
    );
    assert_eq!(
        p.b.violations(),
        [Violation::AuthenticationFailed(AuthFailure::PskMismatch)]
    );
    assert!(p.a.established().is_none() && p.b.established().is_none());
    assert_eq!(p.b.ep.half_open(), 0);
}

#[test]
fn authentication_failed_wrong_identity() {
    let (mut client, server) = psk_policies();
    client.local.id = Some(Identity::fqdn("mallory.example"));
    let mut p = Pair::new(7, server);
    p.connect(client);
    p.drive_until(100, |p| p.a.closed().is_some());
    assert_eq!(
        auth_response_notifies(&p),
        [NotifyType::AUTHENTICATION_FAILED]
    );
    assert!(matches!(
        p.b.violations().as_slice(),
        [Violation::AuthenticationFailed(AuthFailure::IdentityMismatch { received, .. })]
            if received == "mallory.example"
    ));
}

#[test]
fn idr_naming_someone_else_is_refused() {
    let (client, mut server) = psk_policies();
    server.local.id = Some(Identity::fqdn("other.example"));
    let mut p = Pair::new(8, server);
    p.connect(client);
    p.drive_until(100, |p| p.a.closed().is_some());
    assert_eq!(
        auth_response_notifies(&p),
        [NotifyType::AUTHENTICATION_FAILED]
    );
    assert!(matches!(
        p.b.violations().as_slice(),
        [Violation::AuthenticationFailed(AuthFailure::NotOurIdentity { requested })]
            if requested == "vpn.example"
    ));
}

#[test]
fn initiator_reports_a_bad_responder_auth_in_an_informational() {
    // The responder signs with a key the initiator does not expect (§2.21.2).
    let (mut client, mut server) = psk_policies();
    server.local.auth = ikelab_policy::LocalAuth::Psk {
        secret: Secret::new(b"responder key".to_vec()),
    };
    client.remote.auth = ikelab_policy::RemoteAuth::Psk {
        secret: Secret::new(b"what the client expects".to_vec()),
    };
    let mut p = Pair::new(9, server);
    p.connect(client);
    p.drive_until(100, |p| p.b.closed().is_some());
    assert_eq!(
        p.a.violations(),
        [Violation::AuthenticationFailed(AuthFailure::PskMismatch)]
    );
    let notice = p
        .sent_by_a()
        .into_iter()
        .find(|c| c.message().header.exchange_type == ExchangeType::INFORMATIONAL)
        .expect("an INFORMATIONAL request");
    assert_eq!(p.notifies(notice), [NotifyType::AUTHENTICATION_FAILED]);
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::LocalError(NotifyType::AUTHENTICATION_FAILED))
    );
    assert_eq!(
        p.b.closed(),
        Some(CloseReason::PeerError(NotifyType::AUTHENTICATION_FAILED))
    );
}

#[test]
fn ts_narrowing() {
    let (mut client, mut server) = psk_policies();
    client.children[0].remote_ts = vec![TsSpec::all(false)];
    server.children[0].local_ts = vec!["10.0.0.0/24".parse().unwrap()];
    let mut p = Pair::new(11, server);
    p.connect(client);
    p.drive_to_established(100);
    let c = &p.a.children()[0];
    assert_eq!(c.remote_ts.len(), 1);
    assert_eq!(c.remote_ts[0].start_address.to_string(), "10.0.0.0");
    assert_eq!(c.remote_ts[0].end_address.to_string(), "10.0.0.255");
    assert_eq!(c.local_ts[0].start_address.to_string(), A_ADDR);
    assert!(p.a.violations().is_empty());
}

#[test]
fn ts_unacceptable_keeps_the_ike_sa() {
    let (mut client, mut server) = psk_policies();
    client.children[0].remote_ts = vec!["172.16.0.0/16".parse().unwrap()];
    server.children[0].local_ts = vec!["10.0.0.0/24".parse().unwrap()];
    let mut p = Pair::new(12, server);
    p.connect(client);
    p.drive_until(100, |p| {
        p.a.count(|k| matches!(k, EventKind::ChildSaFailed { .. })) > 0
    });
    let n = auth_response_notifies(&p);
    assert_eq!(n, [NotifyType::TS_UNACCEPTABLE]);
    assert!(p.a.established().is_some() && p.b.established().is_some());
    assert!(p.a.children().is_empty() && p.b.children().is_empty());
    assert_eq!(p.b.violations(), [Violation::TsUnacceptable]);
}

#[test]
fn child_no_proposal_chosen_in_ike_auth() {
    let (mut client, mut server) = psk_policies();
    client.children[0].proposals = vec![ChildProposal::parse("aes128-sha256").unwrap()];
    server.children[0].proposals = vec![ChildProposal::parse("aes256gcm16").unwrap()];
    let mut p = Pair::new(13, server);
    p.connect(client);
    p.drive_until(100, |p| {
        p.a.count(|k| matches!(k, EventKind::ChildSaFailed { .. })) > 0
    });
    assert_eq!(auth_response_notifies(&p), [NotifyType::NO_PROPOSAL_CHOSEN]);
    assert!(p.a.established().is_some());
}

#[test]
fn retransmitted_requests_get_the_cached_response() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(14, server);
    // Lose the first IKE_AUTH response and the first IKE_SA_INIT response.
    let mut lost = 0;
    p.interceptor = Some(Box::new(move |c| {
        let h = c.message().header;
        if h.flags.response()
            && lost < 2
            && (h.exchange_type == ExchangeType::IKE_AUTH || lost == 0)
        {
            lost += 1;
            return Action::Drop;
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_to_established(200);
    let retx: Vec<(ExchangeType, u32)> =
        p.a.events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Retransmitted {
                    exchange, attempt, ..
                } => Some((exchange, attempt)),
                _ => None,
            })
            .collect();
    assert_eq!(
        retx,
        [(ExchangeType::IKE_SA_INIT, 1), (ExchangeType::IKE_AUTH, 1)]
    );
    // The responder answered each retransmission from its cache: identical bytes.
    let responses: Vec<&Captured> = p
        .wire
        .iter()
        .filter(|c| c.message().header.flags.response())
        .collect();
    assert_eq!(responses.len(), 4);
    assert_eq!(responses[0].payload, responses[1].payload);
    assert_eq!(responses[2].payload, responses[3].payload);
    assert!(responses[0].dropped && responses[2].dropped);
    let cached = p.b.traces().iter().filter(|t| t.retransmission).count();
    assert_eq!(
        cached, 4,
        "two duplicates received, two cached responses sent"
    );
    assert_eq!(
        p.b.children().len(),
        1,
        "the duplicate IKE_AUTH made no second CHILD_SA"
    );
    // The retransmission waited the policy's first timeout (4 s).
    let gap = p.wire[2].time.as_micros() - p.wire[0].time.as_micros();
    assert_eq!(gap, 4_000_000);
}

#[test]
fn peer_declared_dead_after_the_retransmission_budget() {
    let (mut client, server) = psk_policies();
    client.retransmission.retransmits = 2;
    client.retransmission.timeout = Duration::from_secs(1);
    client.retransmission.backoff = 2.0;
    let mut p = Pair::new(15, server);
    p.interceptor = Some(Box::new(|_| Action::Drop));
    let start = p.time;
    p.connect(client);
    p.drive_until(100, |p| p.a.closed().is_some());
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::Timeout {
            exchange: ExchangeType::IKE_SA_INIT
        })
    );
    assert_eq!(p.wire.len(), 3, "first send and two retransmissions");
    // 1 s + 2 s + 4 s after the first send.
    assert_eq!(p.time.as_micros() - start.as_micros(), 7_000_000);
}

#[test]
fn unknown_critical_payload_is_refused_and_non_critical_ignored() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(16, server.clone());
    p.interceptor = Some(Box::new(|c| {
        if c.message().header.exchange_type == ExchangeType::IKE_SA_INIT
            && !c.message().header.flags.response()
        {
            rewrite(c, |m| m.payloads.push(unknown_payload(201, true)));
        }
        Action::Pass
    }));
    p.connect(client.clone());
    p.drive_until(100, |p| !p.b.violations().is_empty() && p.wire.len() >= 2);
    let reply = p.wire[1].message();
    let PayloadBody::Notify(n) = &reply.payloads[0].body else {
        panic!()
    };
    assert_eq!(n.notify_type, NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD);
    assert_eq!(n.data, [201], "the payload type");
    assert_eq!(
        p.b.violations()[0],
        Violation::UnsupportedCriticalPayload {
            payload_type: PayloadType(201)
        }
    );
    assert_eq!(p.b.ep.sa_count(), 0);

    // A non-critical unknown payload is skipped: the responder answers normally. It is
    // part of RealMessage1, which the initiator's AUTH does not cover, so the tampering
    // shows at IKE_AUTH (§2.15 binds the exact IKE_SA_INIT bytes).
    let mut p = Pair::new(17, server);
    p.interceptor = Some(Box::new(|c| {
        if c.message().header.exchange_type == ExchangeType::IKE_SA_INIT
            && !c.message().header.flags.response()
        {
            rewrite(c, |m| m.payloads.push(unknown_payload(201, false)));
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_until(100, |p| p.a.closed().is_some());
    assert_eq!(
        p.wire[1].message().payloads[0].payload_type(),
        PayloadType::SA
    );
    assert_eq!(
        p.b.violations(),
        [Violation::AuthenticationFailed(AuthFailure::PskMismatch)]
    );
}

#[test]
fn major_version_3_gets_invalid_major_version() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(18, server);
    p.interceptor = Some(Box::new(|c| {
        if c.to.ip().to_string() == B_ADDR {
            // Byte 17 is MjVer|MnVer.
            let off = c.payload.len() - c.ike().len();
            c.payload[off + 17] = 0x30;
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_until(50, |p| p.wire.len() >= 2);
    let reply = &p.wire[1];
    let m = reply.message();
    assert_eq!((m.header.major_version, m.header.minor_version), (2, 0));
    assert!(m.header.flags.response());
    assert_eq!(p.notifies(reply), [NotifyType::INVALID_MAJOR_VERSION]);
    assert_eq!(
        p.b.violations()[0],
        Violation::UnsupportedMajorVersion { major: 3 }
    );
    assert_eq!(p.b.ep.sa_count(), 0);
}

/// INVALID_SYNTAX may only be sent protected (RFC 7296 §3.10.1), so a responder drops a
/// malformed IKE_SA_INIT request unanswered (§2.21.1) and keeps no state.
#[test]
fn missing_ke_payload_is_dropped_unanswered() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(19, server);
    p.interceptor = Some(Box::new(|c| {
        if c.to.ip().to_string() == B_ADDR {
            rewrite(c, |m| {
                m.payloads.retain(|x| x.payload_type() != PayloadType::KE)
            });
        }
        Action::Pass
    }));
    p.connect(client);
    // The first request and the initiator's retransmission of it, both to B.
    p.drive_until(50, |p| p.wire.len() >= 2);
    assert!(
        p.wire.iter().all(|c| c.to.ip().to_string() == B_ADDR),
        "the responder answered a malformed IKE_SA_INIT"
    );
    assert_eq!(
        p.b.violations()[0],
        Violation::MissingPayload {
            exchange: ExchangeType::IKE_SA_INIT,
            payload: PayloadType::KE
        }
    );
    assert_eq!(p.b.ep.sa_count(), 0);
}

#[test]
fn nat_detected_moves_to_port_4500_with_the_marker() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(20, server);
    p.nat = true;
    p.connect(client);
    p.drive_to_established(100);
    let a = p.a.established().unwrap();
    let b = p.b.established().unwrap();
    assert!(a.nat_detected.local && !a.nat_detected.remote);
    assert!(b.nat_detected.remote && !b.nat_detected.local);
    let auth = &p.wire[2];
    assert_eq!((auth.from.port(), auth.to.port()), (14500, 4500));
    assert_eq!(&auth.payload[..4], [0, 0, 0, 0], "non-ESP marker");
    assert!(p.a.children()[0].udp_encapsulation && p.b.children()[0].udp_encapsulation);
    assert_eq!(
        p.b.children()[0].remote.to_string(),
        format!("{NAT_ADDR}:14500")
    );
}

#[test]
fn address_pool_assigns_and_narrows() {
    let (mut client, mut server) = psk_policies();
    client.config_request = vec![
        CpAttributeType::INTERNAL_IP4_ADDRESS,
        CpAttributeType::INTERNAL_IP4_DNS,
    ];
    client.children[0].remote_ts = vec![TsSpec::all(false)];
    server.pool = Some(ikelab_policy::AddressPool {
        ranges: vec!["10.8.0.0/24".parse::<IpNet>().unwrap()],
        dns: vec!["10.8.0.53".parse().unwrap()],
        domains: vec![],
    });
    server.children[0].local_ts = vec![TsSpec::all(false)];
    let mut p = Pair::new(21, server);
    p.connect(client);
    p.drive_to_established(100);
    let assigned = p.a.events.iter().find_map(|e| match &e.kind {
        EventKind::ConfigAssigned { addresses, dns } => Some((addresses.clone(), dns.clone())),
        _ => None,
    });
    let (addrs, dns) = assigned.unwrap();
    assert_eq!(addrs[0].to_string(), "10.8.0.1");
    assert_eq!(dns[0].to_string(), "10.8.0.53");
    let c = &p.a.children()[0];
    assert_eq!(c.local_ts[0].start_address.to_string(), "10.8.0.1");
    assert_eq!(c.local_ts[0].end_address.to_string(), "10.8.0.1");
    assert_eq!(p.b.ep.leased_addresses().len(), 1);
}

#[test]
fn delete_child_and_ike_sa_from_either_side() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(22, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    let spi = p.a.children()[0].spi_in;
    p.a.ep.delete_child_sa(p.time, h, spi).unwrap();
    p.drive_until(100, |p| {
        p.a.count(|k| matches!(k, EventKind::ChildSaDeleted { by_peer: false, .. })) == 1
    });
    assert_eq!(
        p.b.count(|k| matches!(k, EventKind::ChildSaDeleted { by_peer: true, .. })),
        1
    );
    assert!(p.a.ep.child_sas(h).is_empty());

    // The responder deletes the IKE SA.
    let hb = p.b.events.iter().find_map(|e| e.sa).unwrap();
    p.b.ep.delete_ike_sa(p.time, hb).unwrap();
    p.drive_until(100, |p| p.a.closed().is_some() && p.b.closed().is_some());
    assert_eq!(p.a.closed(), Some(CloseReason::DeletedByPeer));
    assert_eq!(p.b.closed(), Some(CloseReason::DeletedLocally));
    let del = p
        .wire
        .iter()
        .rev()
        .find(|c| !c.message().header.flags.response())
        .unwrap();
    let payloads = p.payloads(del);
    assert!(matches!(&payloads[0].body, PayloadBody::Delete(d) if d.protocol.0 == 1));
}

#[test]
fn dpd_on_the_policy_interval_and_dead_peer() {
    let (mut client, server) = psk_policies();
    client.dpd_interval = Some(Duration::from_secs(30));
    client.retransmission.retransmits = 1;
    client.retransmission.timeout = Duration::from_secs(2);
    let mut p = Pair::new(23, server);
    p.connect(client);
    p.drive_to_established(100);
    let t0 = p.time;
    // One DPD round trip after 30 s of silence.
    p.drive_until(100, |p| {
        p.wire
            .iter()
            .filter(|c| c.message().header.exchange_type == ExchangeType::INFORMATIONAL)
            .count()
            == 2
    });
    let dpd = p
        .wire
        .iter()
        .find(|c| c.message().header.exchange_type == ExchangeType::INFORMATIONAL)
        .unwrap();
    assert!(p.payloads(dpd).is_empty(), "DPD is an empty INFORMATIONAL");
    assert!(dpd.time.as_micros() - t0.as_micros() >= 29_000_000);
    // Then the peer goes silent.
    p.interceptor = Some(Box::new(|_| Action::Drop));
    p.drive_until(100, |p| p.a.closed().is_some());
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::Timeout {
            exchange: ExchangeType::INFORMATIONAL
        })
    );
}

#[test]
fn unknown_spi_gets_invalid_ike_spi_rate_limited() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(24, server);
    p.connect(client);
    p.drive_to_established(100);
    // Replay the IKE_AUTH request to an endpoint that has never seen the SA.
    let auth = p.wire[2].clone();
    let mut fresh = Endpoint::new(config(99, Some(psk_policies().1))).unwrap();
    for _ in 0..3 {
        fresh.handle_datagram(p.time, auth.to, auth.from, &auth.payload);
    }
    let t = fresh.poll_transmit().unwrap();
    assert!(fresh.poll_transmit().is_none(), "rate limited to one reply");
    let m = ikelab_wire::Message::parse(&t.payload).unwrap().message;
    assert!(m.header.flags.response());
    assert_eq!(m.header.message_id, 1);
    match &m.payloads[0].body {
        PayloadBody::Notify(n) => assert_eq!(n.notify_type, NotifyType::INVALID_IKE_SPI),
        other => panic!("{other:?}"),
    }
    // Responses to unknown SPIs are never answered.
    let resp = p.wire[3].clone();
    fresh.handle_datagram(
        p.time + Duration::from_secs(5),
        resp.to,
        resp.from,
        &resp.payload,
    );
    assert!(fresh.poll_transmit().is_none());
}

#[test]
fn message_id_outside_the_window_is_dropped() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(25, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    p.a.ep.send_dpd(p.time, h).unwrap();
    // Bump the Message ID of the DPD request (header is outside the encryption, but covered by
    // the ICV: the responder must check the window before the ICV or drop either way).
    p.interceptor = Some(Box::new(|c| {
        if !c.message().header.flags.response() {
            let off = c.payload.len() - c.ike().len();
            c.payload[off + 23] = 9;
        }
        Action::Pass
    }));
    p.step();
    p.step();
    assert!(matches!(
        p.b.violations().last(),
        Some(Violation::MessageIdOutsideWindow {
            received: 9,
            expected: 2
        })
    ));
}

#[test]
fn ecdsa_and_rsa_certificates() {
    use ikelab_crypto::rng::SeededRandom;
    use ikelab_crypto::x509::{TestCa, TestKeyType};
    use ikelab_policy::{CertSource, KeySource, LocalAuth, RemoteAuth};

    let rng = SeededRandom::from_u64(5);
    for kind in [TestKeyType::EcdsaP256, TestKeyType::Rsa2048] {
        let ca = TestCa::new("ikelab test CA", kind, &rng).unwrap();
        let other_ca = TestCa::new("untrusted CA", kind, &rng).unwrap();
        let c = ca
            .issue("client.example", &["client.example"], kind, &rng)
            .unwrap();
        let s = ca
            .issue("vpn.example", &["vpn.example"], kind, &rng)
            .unwrap();
        let rogue = other_ca
            .issue("client.example", &["client.example"], kind, &rng)
            .unwrap();
        let local = |cert: &ikelab_crypto::x509::TestCert| LocalAuth::Pubkey {
            certificate: CertSource::Der(cert.cert_der.clone()),
            chain: vec![],
            private_key: KeySource::Der {
                label: "PRIVATE KEY".into(),
                der: Secret::new(cert.key.pkcs8_der().as_bytes().to_vec()),
            },
            signature: Default::default(),
        };
        let remote = RemoteAuth::Pubkey {
            trust_anchors: vec![CertSource::Der(ca.cert.cert_der.clone())],
            allow_legacy_methods: true,
        };
        let (mut client, mut server) = psk_policies();
        client.local.auth = local(&c);
        client.remote.auth = remote.clone();
        server.local.auth = local(&s);
        server.remote.auth = remote.clone();
        let mut p = Pair::new(30, server.clone());
        p.connect(client.clone());
        p.drive_to_established(100);
        assert_eq!(
            p.b.established().unwrap().remote_auth,
            ikelab_wire::iana::AuthMethod::DIGITAL_SIGNATURE,
            "{kind:?}"
        );
        let auth = p.payloads(&p.wire[2]);
        assert!(auth.iter().any(|x| matches!(x.body, PayloadBody::Cert(_))));
        assert!(auth
            .iter()
            .any(|x| matches!(x.body, PayloadBody::CertReq(_))));

        // A certificate from a CA the responder does not trust.
        client.local.auth = local(&rogue);
        let mut p = Pair::new(31, server);
        p.connect(client);
        p.drive_until(100, |p| p.a.closed().is_some());
        assert_eq!(
            auth_response_notifies(&p),
            [NotifyType::AUTHENTICATION_FAILED]
        );
        assert!(
            matches!(
                p.b.violations().as_slice(),
                [Violation::AuthenticationFailed(
                    AuthFailure::UntrustedCertificate { .. }
                )]
            ),
            "{kind:?}: {:?}",
            p.b.violations()
        );
    }
}

#[test]
fn keylog_lines_in_wireshark_format() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(40, server);
    p.connect(client);
    p.drive_to_established(100);
    let k = &p.keys()[0];
    let line = k.wireshark_line().unwrap();
    let fields: Vec<&str> = line.split(',').collect();
    assert_eq!(fields.len(), 8);
    assert_eq!(fields[0], format!("{:016x}", k.spi_i));
    assert_eq!(fields[2], k.sk_ei.expose_hex());
    assert_eq!(fields[4], "\"AES-GCM-128 with 16 octet ICV [RFC5282]\"");
    assert_eq!(fields[7], "\"NONE [RFC4306]\"");
    let esp = p.a.children()[0].wireshark_lines();
    assert_eq!(esp.len(), 2);
    assert!(esp[0].starts_with(&format!("\"IPv4\",\"{A_ADDR}\",\"{B_ADDR}\"")));
    assert!(esp[0].contains("\"AES-GCM with 16 octet ICV [RFC4106]\""));
}

#[test]
fn fragmented_ike_auth_is_reassembled() {
    use ikelab_crypto::sk::{SkContext, SkKeys};
    use ikelab_wire::payload::{Payload, SkfPayload};
    use std::cell::RefCell;
    use std::rc::Rc;

    let (client, server) = psk_policies();
    let mut p = Pair::new(41, server);
    // Hold back the IKE_AUTH request; it is sent again below as three SKF fragments.
    let held: Rc<RefCell<Vec<Captured>>> = Rc::default();
    let h2 = held.clone();
    p.interceptor = Some(Box::new(move |c| {
        let h = c.message().header;
        if h.exchange_type == ExchangeType::IKE_AUTH
            && !h.flags.response()
            && h2.borrow().is_empty()
        {
            h2.borrow_mut().push(c.clone());
            return Action::Drop;
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_until(20, |_| !held.borrow().is_empty());
    let orig = held.borrow()[0].clone();
    let inner = p.payloads(&orig);
    let mut plain = Vec::new();
    Payload::emit_chain(&inner, &mut plain);
    let k = p.keys()[0].clone();
    let dp = &ikelab_crypto::DEFAULT;
    let ctx = SkContext::new(
        dp.encr(k.encryption.0, k.key_bits).unwrap(),
        None,
        SkKeys {
            sk_e: k.sk_ei.as_bytes(),
            sk_a: k.sk_ai.as_bytes(),
        },
    )
    .unwrap();
    let header = orig.message().header;
    let pieces: Vec<&[u8]> = plain.chunks(plain.len() / 3 + 1).collect();
    let total = pieces.len() as u16;
    // Deliver out of order: 3, 1, 2 (and 1 twice).
    for n in [3u16, 1, 1, 2] {
        let piece = pieces[usize::from(n - 1)];
        let pad = ctx.min_pad_len(piece.len());
        let body_len = ctx.body_len(piece.len(), pad);
        let first = if n == 1 {
            inner[0].payload_type()
        } else {
            PayloadType::NONE
        };
        let msg = ikelab_wire::Message {
            header: header.clone(),
            payloads: vec![Payload::new(PayloadBody::Skf(SkfPayload {
                first_payload: first,
                fragment_number: n,
                total_fragments: total,
                body: vec![0; body_len],
            }))],
        };
        let mut bytes = msg.emit();
        bytes.truncate(bytes.len() - body_len);
        let rng = ikelab_crypto::rng::SeededRandom::from_u64(u64::from(n));
        let body = ctx.seal_padded(&bytes, piece, pad, &rng).unwrap();
        bytes.extend(body);
        p.inject(Captured {
            time: p.time,
            from: orig.from,
            to: orig.to,
            payload: bytes,
            dropped: false,
        });
    }
    p.drive_to_established(100);
    assert_eq!(p.b.children().len(), 1);
    let responses = p
        .sent_by_b()
        .into_iter()
        .filter(|c| c.message().header.exchange_type == ExchangeType::IKE_AUTH)
        .count();
    assert_eq!(responses, 1, "one response to the reassembled request");
}

/// RFC 7296 §2.5: a message with an unknown critical payload MUST be rejected. A response
/// cannot be answered with UNSUPPORTED_CRITICAL_PAYLOAD, so the initiator ends the exchange
/// instead of going on to IKE_AUTH with it.
#[test]
fn unknown_critical_payload_in_ike_sa_init_response_is_rejected() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(23, server);
    p.interceptor = Some(Box::new(|c| {
        let h = c.message().header;
        if h.exchange_type == ExchangeType::IKE_SA_INIT && h.flags.response() {
            rewrite(c, |m| m.payloads.push(unknown_payload(49, true)));
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_until(100, |p| p.a.closed().is_some());
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::LocalError(
            NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD
        ))
    );
    let v = Violation::UnsupportedCriticalPayload {
        payload_type: PayloadType(49),
    };
    assert!(p.a.violations().contains(&v));
    let auth = p.exchanges(ExchangeType::IKE_AUTH);
    assert!(auth.is_empty(), "no IKE_AUTH");
}
