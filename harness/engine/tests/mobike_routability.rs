//! MOBIKE return routability check (RFC 4555 §3.5, §3.7), ikelab as the responder.
//!
//! §3.5, the responder after an UPDATE_SA_ADDRESSES: "If necessary, initiate a return
//! routability check for the new initiator address (see Section 3.7) and wait until the check
//! is completed." §3.7: "By default, the return routability check SHOULD be done before
//! updating the IPsec SAs", and "if included, the recipient of an INFORMATIONAL request MUST
//! copy the notification [COOKIE2] as-is to the response. When processing the response, the
//! original sender MUST verify that the value is the same one as sent."

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use std::net::SocketAddr;

use ikelab_engine::*;
use ikelab_wire::iana::{ExchangeType, NotifyType};
use ikelab_wire::payload::PayloadBody;
use pair::harness::*;

const INFO: ExchangeType = ExchangeType::INFORMATIONAL;
const MOVED: &str = "192.0.2.77";

/// An established MOBIKE pair; the initiator's and the responder's SA handles.
fn up(seed: u64) -> (Pair, SaHandle, SaHandle) {
    let (mut client, mut server) = psk_policies();
    client.features.mobike = true;
    server.features.mobike = true;
    let mut p = Pair::new(seed, server);
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

fn moved(n: &Node) -> Vec<SocketAddr> {
    n.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::SaAddressesUpdated { remote, .. } => Some(remote),
            _ => None,
        })
        .collect()
}

fn check_failures(n: &Node) -> Vec<(SocketAddr, AddressCheckFailure)> {
    n.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::AddressCheckFailed { remote, reason } => Some((remote, reason)),
            _ => None,
        })
        .collect()
}

fn cookie2(p: &Pair, c: &Captured) -> Option<Vec<u8>> {
    p.payloads(c).into_iter().find_map(|x| match x.body {
        PayloadBody::Notify(n) if n.notify_type == NotifyType::COOKIE2 => Some(n.data),
        _ => None,
    })
}

/// The responder's INFORMATIONAL requests (the checks) on the wire, by index.
fn checks(p: &Pair) -> Vec<usize> {
    p.exchanges(INFO)
        .into_iter()
        .filter(|(_, c)| {
            let h = c.message().header;
            !h.flags.response() && !h.flags.initiator()
        })
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn update_is_verified_before_the_child_sas_move() {
    let (mut p, ha, hb) = up(41);
    let new_a = addr(MOVED, 4500);
    p.a.ep
        .update_local_address(p.time, ha, MOVED.parse().unwrap())
        .unwrap();
    p.flush();
    // Until the check is on the wire the responder answers IKE at the new address but has
    // not moved ESP.
    p.drive_until(20, |p| !checks(p).is_empty());
    assert!(moved(&p.b).is_empty(), "ESP waits for the check");
    assert_eq!(p.b.ep.sa_addresses(hb).map(|x| x.1), Some(new_a));
    let check = p.wire[checks(&p)[0]].clone();
    assert_eq!(check.to, new_a, "§3.5: the check goes to the new address");
    let sent = cookie2(&p, &check).expect("the check carries a COOKIE2");
    assert!((8..=64).contains(&sent.len()), "§4.2.5: 8 to 64 octets");

    p.drive_until(20, |p| !moved(&p.b).is_empty());
    // The initiator copied the COOKIE2 as-is (§3.7).
    let answer = p
        .exchanges(INFO)
        .into_iter()
        .map(|(_, c)| c)
        .find(|c| {
            let h = c.message().header;
            h.flags.response()
                && h.flags.initiator()
                && h.message_id == check.message().header.message_id
        })
        .expect("the initiator answers the check");
    assert_eq!(cookie2(&p, &answer), Some(sent));
    assert_eq!(moved(&p.b), [new_a]);
    assert!(check_failures(&p.b).is_empty());
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
    assert_eq!(p.b.ep.sa_state(hb), Some(SaState::Established));
}

#[test]
fn unanswered_check_keeps_the_old_addresses() {
    let (mut p, ha, hb) = up(42);
    let old = p.b.ep.sa_addresses(hb).unwrap();
    let new_a = addr(MOVED, 4500);
    // The new address never receives the responder's requests (a spoofed or one-way path);
    // its answer to the update itself still gets through.
    p.interceptor = Some(Box::new(move |c| {
        let h = c.message().header;
        if c.to == new_a && !h.flags.response() {
            Action::Drop
        } else {
            Action::Pass
        }
    }));
    p.a.ep
        .update_local_address(p.time, ha, MOVED.parse().unwrap())
        .unwrap();
    p.flush();
    p.drive_until(400, |p| !check_failures(&p.b).is_empty());

    // Sent again on the normal retransmission schedule, then given up.
    let sent = checks(&p);
    assert!(sent.len() > 1, "the check is retransmitted");
    assert!(sent
        .iter()
        .all(|&i| p.wire[i].to == new_a && p.wire[i].dropped));
    assert_eq!(
        check_failures(&p.b),
        [(new_a, AddressCheckFailure::NoResponse)]
    );
    assert!(moved(&p.b).is_empty(), "ESP never went to the new address");
    assert_eq!(
        p.b.ep.sa_addresses(hb),
        Some(old),
        "IKE returns to the old path"
    );
    assert_eq!(p.b.closed(), None, "a failed check does not end the IKE SA");
    assert_eq!(p.b.ep.sa_state(hb), Some(SaState::Established));
}

#[test]
fn check_answered_with_a_wrong_cookie2_closes_the_ike_sa() {
    let (mut p, ha, hb) = up(43);
    let new_a = addr(MOVED, 4500);
    let keys = p.keys();
    // The initiator's answers to the responder's requests echo a corrupted COOKIE2.
    p.interceptor = Some(corrupt_cookie2_echo(keys, true));
    p.a.ep
        .update_local_address(p.time, ha, MOVED.parse().unwrap())
        .unwrap();
    p.flush();
    p.drive_until(50, |p| !check_failures(&p.b).is_empty());
    assert_eq!(
        check_failures(&p.b),
        [(new_a, AddressCheckFailure::Cookie2Mismatch)]
    );
    assert!(p.b.violations().contains(&Violation::Cookie2Mismatch));
    assert!(moved(&p.b).is_empty(), "ESP never went to the new address");
    // §3.7: "If the values do not match, the IKE_SA MUST be closed."
    let closed = format!("{:?}", p.b.closed());
    assert!(closed.contains("COOKIE2"), "{closed}");
    assert_ne!(p.b.ep.sa_state(hb), Some(SaState::Established));
}
