//! MOBIKE (RFC 4555) and NAT rebinding (RFC 7296 §2.23) pair tests: negotiation, an address
//! update moving the IKE SA and its CHILD_SAs, COOKIE2, NO_NATS_ALLOWED, updates refused from
//! the responder side, and ESP following a NAT mapping change without MOBIKE.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use std::net::{IpAddr, SocketAddr};

use ikelab_engine::*;
use ikelab_policy::IkePolicy;
use ikelab_wire::iana::{ExchangeType, NotifyType};
use ikelab_wire::payload::PayloadBody;
use pair::harness::*;

const INFO: ExchangeType = ExchangeType::INFORMATIONAL;
const MOVED: &str = "192.0.2.77";

fn policies(client_mobike: bool, server_mobike: bool) -> (IkePolicy, IkePolicy) {
    let (mut client, mut server) = psk_policies();
    client.features.mobike = client_mobike;
    server.features.mobike = server_mobike;
    (client, server)
}

/// An established pair; returns the initiator's and the responder's SA handles.
fn up(seed: u64, client: IkePolicy, server: IkePolicy, nat: bool) -> (Pair, SaHandle, SaHandle) {
    let mut p = Pair::new(seed, server);
    p.nat = nat;
    let ha = p.connect(client);
    p.drive_to_established(100);
    let hb =
        p.b.events
            .iter()
            .find(|e| matches!(e.kind, EventKind::IkeSaEstablished(_)))
            .and_then(|e| e.sa)
            .unwrap();
    (p, ha, hb)
}

/// Steps until no datagram is in flight and no timer is due within `secs` (the pair never
/// idles: rekeys and keepalives recur).
pub fn settle(p: &mut Pair, secs: u64) {
    let end = p.time + ikelab_policy::Duration::from_secs(secs);
    for _ in 0..1000 {
        let in_flight = p
            .wire
            .iter()
            .any(|c| !c.dropped && c.time + p.latency > p.time);
        let timer = [p.a.ep.poll_timeout(), p.b.ep.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        if !in_flight && timer.is_none_or(|t| t > end) {
            return;
        }
        p.step();
    }
    panic!("not settled at {:?}", p.time);
}

fn moved(n: &Node) -> Vec<(SocketAddr, SocketAddr, bool)> {
    n.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::SaAddressesUpdated {
                local,
                remote,
                udp_encapsulation,
            } => Some((local, remote, udp_encapsulation)),
            _ => None,
        })
        .collect()
}

/// Notify data of one type in a captured message.
fn notify_data(p: &Pair, c: &Captured, t: NotifyType) -> Option<Vec<u8>> {
    p.payloads(c).into_iter().find_map(|x| match x.body {
        PayloadBody::Notify(n) if n.notify_type == t => Some(n.data),
        _ => None,
    })
}

#[test]
fn mobike_negotiated_only_when_both_announce() {
    for (client, server, agreed) in [
        (true, true, true),
        (true, false, false),
        (false, true, false),
    ] {
        let (c, s) = policies(client, server);
        let (mut p, ha, hb) = up(10, c, s, false);
        assert_eq!(p.a.ep.mobike_negotiated(ha), agreed, "{client} {server}");
        assert_eq!(p.b.ep.mobike_negotiated(hb), agreed);
        let auth = p.exchanges(ExchangeType::IKE_AUTH);
        let response = &auth.last().unwrap().1;
        assert_eq!(
            p.notifies(response).contains(&NotifyType::MOBIKE_SUPPORTED),
            agreed,
            "the responder announces MOBIKE only to a MOBIKE initiator it supports"
        );
        let r =
            p.a.ep
                .update_local_address(p.time, ha, MOVED.parse().unwrap());
        if agreed {
            assert_eq!(r, Ok(()));
        } else {
            assert_eq!(r, Err(ConfigError::MobikeUnavailable(ha.0)));
        }
    }
}

#[test]
fn address_update_moves_ike_and_child_sas() {
    let (c, s) = policies(true, true);
    let (mut p, ha, hb) = up(11, c, s, false);
    let before = p.wire.len();
    p.a.ep
        .update_local_address(p.time, ha, MOVED.parse().unwrap())
        .unwrap();
    p.flush();
    settle(&mut p, 5);

    let new_a = addr(MOVED, 4500);
    let b = addr(B_ADDR, 4500);
    // §3.3: from the NAT-T port of the new address, to the responder's NAT-T port.
    let update = &p.wire[before];
    assert_eq!((update.from, update.to), (new_a, b));
    assert_eq!(update.message().header.exchange_type, INFO);
    assert_eq!(
        p.notifies(update),
        [
            NotifyType::UPDATE_SA_ADDRESSES,
            NotifyType::NAT_DETECTION_SOURCE_IP,
            NotifyType::NAT_DETECTION_DESTINATION_IP,
            NotifyType::COOKIE2
        ]
    );
    let response = &p.wire[before + 1];
    assert_eq!((response.from, response.to), (b, new_a));
    assert!(response.message().header.flags.response());
    // §3.5: COOKIE2 echoed unchanged.
    let sent = notify_data(&p, update, NotifyType::COOKIE2).unwrap();
    assert_eq!(notify_data(&p, response, NotifyType::COOKIE2), Some(sent));
    let init_src = notify_data(
        &p,
        &p.exchanges(ExchangeType::IKE_SA_INIT)[0].1,
        NotifyType::NAT_DETECTION_SOURCE_IP,
    );
    assert_ne!(
        notify_data(&p, update, NotifyType::NAT_DETECTION_SOURCE_IP),
        init_src,
        "NAT detection is recomputed for the new address"
    );

    // Both sides moved the IKE SA and the CHILD_SAs, and see no NAT (the hashes matched).
    assert_eq!(moved(&p.a), [(new_a, b, true)]);
    assert_eq!(moved(&p.b), [(b, new_a, true)]);
    assert_eq!(p.b.ep.sa_addresses(hb), Some((b, new_a)));
    assert_eq!(p.a.ep.sa_addresses(ha), Some((new_a, b)));
    assert!(!p.b.ep.nat_detected(hb).unwrap().any());
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());

    // The responder's own requests go to the new address.
    let before = p.wire.len();
    p.b.ep.send_dpd(p.time, hb).unwrap();
    p.flush();
    settle(&mut p, 5);
    assert_eq!(p.wire[before].to, new_a);
    assert_eq!(p.a.ep.sa_state(ha), Some(SaState::Established));
}

#[test]
fn additional_addresses_are_recorded() {
    let (c, s) = policies(true, true);
    let (mut p, ha, hb) = up(12, c, s, false);
    let extra: Vec<IpAddr> = vec![
        "192.0.2.200".parse().unwrap(),
        "2001:db8::1".parse().unwrap(),
    ];
    let mut update = AddressUpdate::to(MOVED.parse().unwrap());
    update.additional = Some(extra.clone());
    p.a.ep.update_addresses(p.time, ha, update).unwrap();
    p.flush();
    settle(&mut p, 5);
    assert_eq!(p.b.ep.peer_additional_addresses(hb), extra);

    // NO_ADDITIONAL_ADDRESSES empties the list (§3.6).
    let mut update = AddressUpdate::to(MOVED.parse().unwrap());
    update.additional = Some(vec![]);
    p.a.ep.update_addresses(p.time, ha, update).unwrap();
    p.flush();
    settle(&mut p, 5);
    assert!(p.b.ep.peer_additional_addresses(hb).is_empty());
    let request = p
        .exchanges(INFO)
        .into_iter()
        .rev()
        .find(|(_, c)| !c.message().header.flags.response())
        .unwrap()
        .1;
    assert!(p
        .notifies(&request)
        .contains(&NotifyType::NO_ADDITIONAL_ADDRESSES));
}

#[test]
fn update_from_the_responder_is_refused() {
    let (c, s) = policies(true, true);
    let (mut p, ha, hb) = up(13, c, s, false);
    // The API refuses: only the initiator moves an SA (§3.5).
    assert_eq!(
        p.b.ep
            .update_local_address(p.time, hb, "198.51.100.99".parse().unwrap()),
        Err(ConfigError::MobikeUnavailable(hb.0))
    );
    // On the wire: the responder's DPD rewritten into an UPDATE_SA_ADDRESSES.
    let keys = p.keys();
    p.interceptor = Some(Box::new(move |c| {
        let h = c.message().header;
        if h.exchange_type == INFO && !h.flags.response() && !h.flags.initiator() {
            reseal(c, &keys, |_, inner| {
                inner.push(ikelab_wire::payload::Payload::new(PayloadBody::Notify(
                    ikelab_wire::payload::NotifyPayload::new(
                        NotifyType::UPDATE_SA_ADDRESSES,
                        Vec::new(),
                    ),
                )));
            });
        }
        Action::Pass
    }));
    let before = p.a.ep.sa_addresses(ha);
    p.b.ep.send_dpd(p.time, hb).unwrap();
    p.flush();
    settle(&mut p, 5);
    assert!(p.a.violations().contains(&Violation::UpdateFromResponder));
    assert!(moved(&p.a).is_empty());
    assert_eq!(p.a.ep.sa_addresses(ha), before);
    // Answered (the exchange completes) without NAT detection.
    let response = p.exchanges(INFO).last().unwrap().1.clone();
    assert!(response.message().header.flags.response());
    assert!(p.notifies(&response).is_empty());
    assert_eq!(p.b.ep.sa_state(hb), Some(SaState::Established));
}

#[test]
fn wrong_cookie2_echo_closes_the_ike_sa() {
    let (c, s) = policies(true, true);
    let (mut p, ha, _) = up(14, c, s, false);
    let keys = p.keys();
    p.interceptor = Some(corrupt_cookie2_echo(keys, false));
    p.a.ep
        .update_local_address(p.time, ha, MOVED.parse().unwrap())
        .unwrap();
    p.flush();
    settle(&mut p, 5);
    assert!(p.a.violations().contains(&Violation::Cookie2Mismatch));
    assert!(moved(&p.a).is_empty(), "the CHILD_SAs never moved");
    // RFC 4555 §3.7: "If the values do not match, the IKE_SA MUST be closed."
    let closed = format!("{:?}", p.a.closed());
    assert!(closed.contains("COOKIE2"), "{closed}");
}

#[test]
fn no_nats_allowed_refuses_a_translated_update() {
    for nat in [false, true] {
        let (c, s) = policies(true, true);
        let (mut p, ha, hb) = up(15, c, s, nat);
        let before_b = p.b.ep.sa_addresses(hb);
        let mut update = AddressUpdate::to(MOVED.parse().unwrap());
        update.no_nats_allowed = true;
        p.a.ep.update_addresses(p.time, ha, update).unwrap();
        p.flush();
        settle(&mut p, 5);
        let request = p.exchanges(INFO)[0].1.clone();
        assert!(p.notifies(&request).contains(&NotifyType::NO_NATS_ALLOWED));
        if nat {
            // §3.9: the NAT rewrote the addresses NO_NATS_ALLOWED names.
            assert!(p.b.violations().contains(&Violation::UnexpectedNat));
            let response = p.exchanges(INFO)[1].1.clone();
            assert!(p
                .notifies(&response)
                .contains(&NotifyType::UNEXPECTED_NAT_DETECTED));
            assert!(p.a.events.iter().any(|e| matches!(
                e.kind,
                EventKind::AddressUpdateFailed {
                    notify: NotifyType::UNEXPECTED_NAT_DETECTED
                }
            )));
            assert!(moved(&p.a).is_empty() && moved(&p.b).is_empty());
            assert_eq!(p.b.ep.sa_addresses(hb), before_b);
        } else {
            assert_eq!(moved(&p.b).len(), 1);
            assert!(p.b.violations().is_empty());
        }
    }
}

#[test]
fn update_from_an_unusable_address_is_refused() {
    let (c, s) = policies(true, true);
    let (mut p, ha, hb) = up(19, c, s, false);
    let before = p.b.ep.sa_addresses(hb);
    // Something on the path rewrites the source of the update to a multicast address.
    p.interceptor = Some(Box::new(|c| {
        if c.from == addr(MOVED, 4500) {
            c.from = addr("224.0.0.1", 4500);
        }
        Action::Pass
    }));
    p.a.ep
        .update_local_address(p.time, ha, MOVED.parse().unwrap())
        .unwrap();
    p.flush();
    settle(&mut p, 5);
    assert!(p.a.events.iter().any(|e| matches!(
        e.kind,
        EventKind::AddressUpdateFailed {
            notify: NotifyType::UNACCEPTABLE_ADDRESSES
        }
    )));
    assert!(moved(&p.b).is_empty());
    assert_eq!(p.b.ep.sa_addresses(hb), before);
}

#[test]
fn mobike_notify_without_negotiation_is_ignored() {
    let (c, s) = policies(false, false);
    let (mut p, ha, hb) = up(16, c, s, false);
    let keys = p.keys();
    p.interceptor = Some(Box::new(move |c| {
        let h = c.message().header;
        if h.exchange_type == INFO && !h.flags.response() && h.flags.initiator() {
            reseal(c, &keys, |_, inner| {
                inner.push(ikelab_wire::payload::Payload::new(PayloadBody::Notify(
                    ikelab_wire::payload::NotifyPayload::new(
                        NotifyType::UPDATE_SA_ADDRESSES,
                        Vec::new(),
                    ),
                )));
            });
        }
        Action::Pass
    }));
    p.a.ep.send_dpd(p.time, ha).unwrap();
    p.flush();
    settle(&mut p, 5);
    assert!(p.b.violations().contains(&Violation::MobikeNotNegotiated {
        notify: NotifyType::UPDATE_SA_ADDRESSES
    }));
    assert!(moved(&p.b).is_empty());
    assert_eq!(p.b.ep.sa_state(hb), Some(SaState::Established));
}

/// Rewrites the NAT's mapping of the initiator from public port 14500 to 24500 (a rebinding).
fn rebind(c: &mut Captured) -> Action {
    let nat = addr(NAT_ADDR, 14500);
    let rebound = addr(NAT_ADDR, 24500);
    if c.from == nat {
        c.from = rebound;
    }
    // The Pair's NAT maps the replies back by port: send them to the real inside port.
    if c.to == addr(A_ADDR, 14500) {
        c.to = addr(A_ADDR, 4500);
    }
    Action::Pass
}

#[test]
fn nat_rebinding_moves_esp_without_mobike() {
    // RFC 7296 §2.23 (RFC7296-2.23-14): the responder follows the new mapping from an
    // authenticated request, ESP included.
    let (c, s) = policies(false, false);
    let (mut p, ha, hb) = up(17, c, s, true);
    let b = addr(B_ADDR, 4500);
    assert_eq!(p.b.ep.sa_addresses(hb), Some((b, addr(NAT_ADDR, 14500))));
    p.interceptor = Some(Box::new(rebind));
    p.a.ep.send_dpd(p.time, ha).unwrap();
    p.flush();
    settle(&mut p, 5);
    let rebound = addr(NAT_ADDR, 24500);
    assert_eq!(moved(&p.b), [(b, rebound, true)]);
    assert_eq!(p.b.ep.sa_addresses(hb), Some((b, rebound)));
    assert!(
        moved(&p.a).is_empty(),
        "nothing changed on the initiator's side"
    );
}

#[test]
fn nat_rebinding_with_mobike_waits_for_the_initiator() {
    // RFC 4555 §3.8: with MOBIKE only UPDATE_SA_ADDRESSES moves the CHILD_SAs.
    let (c, s) = policies(true, true);
    let (mut p, ha, _) = up(18, c, s, true);
    p.interceptor = Some(Box::new(rebind));
    p.a.ep.send_dpd(p.time, ha).unwrap();
    p.flush();
    settle(&mut p, 5);
    assert!(moved(&p.b).is_empty());
    p.a.ep
        .update_local_address(p.time, ha, A_ADDR.parse().unwrap())
        .unwrap();
    p.flush();
    settle(&mut p, 5);
    let b = addr(B_ADDR, 4500);
    assert_eq!(moved(&p.b), [(b, addr(NAT_ADDR, 24500), true)]);
    // The initiator learns it is behind a NAT from the response's hashes.
    assert!(p.a.ep.nat_detected(ha).unwrap().local);
}
