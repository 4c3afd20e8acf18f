//! MOBIKE (RFC 4555 §3.5) under traffic: a client with two addresses pings through the
//! tunnel every 100 ms, moves the IKE SA to its second address halfway, and not one echo
//! reply may be lost. Afterwards ESP runs between the new address and the gateway only, and
//! a NAT rebinding without MOBIKE (RFC 7296 §2.23) moves the gateway's ESP as well.

mod common;

use common::*;
use ikelab_engine::{EventKind, SaHandle};
use ikelab_node::{DataPlaneConfig, Node};
use ikelab_policy::Duration;
use ikelab_sim::*;

const A2: &str = "192.0.2.2";
const PINGS: usize = 60;
const MOVE_AT: usize = 30;
const INTERVAL: Duration = Duration::from_millis(100);

fn handle(w: &World, id: NodeId) -> SaHandle {
    w.events(id)
        .iter()
        .find_map(|(_, e)| match e.kind {
            EventKind::IkeSaEstablished(_) => e.sa,
            _ => None,
        })
        .unwrap()
}

/// Client at A and A2 (MOBIKE on), gateway at B (MOBIKE on); established.
fn mobike_world(seed: u64) -> (World, NodeId, NodeId) {
    let (mut client, mut server) = psk_policies();
    client.features.mobike = true;
    server.features.mobike = true;
    let mut w = World::new(WorldConfig {
        seed,
        max_steps: 20_000,
    });
    let node = |s, p| Node::new(node_config(s, p), DataPlaneConfig::default()).unwrap();
    let a = w
        .add_node("client", vec![ip(A), ip(A2)], node(seed * 2 + 1, None))
        .unwrap();
    let b = w
        .add_node("gateway", vec![ip(B)], node(seed * 2 + 2, Some(server)))
        .unwrap();
    w.connect(a, client, sock(A, 500), sock(B, 500)).unwrap();
    let stop = w
        .run_until(w.now() + Duration::from_secs(5), |w| {
            installed(w, a) && installed(w, b)
        })
        .unwrap();
    assert_eq!(stop, Stop::Condition);
    (w, a, b)
}

#[test]
fn pings_continue_across_a_mobike_address_change() {
    let (mut w, a, b) = mobike_world(31);
    let mut moved_at = None;
    for i in 0..PINGS {
        if i == MOVE_AT {
            let (now, sa) = (w.now(), handle(&w, a));
            w.node_mut(a)
                .endpoint_mut()
                .update_local_address(now, sa, ip(A2))
                .unwrap();
            moved_at = Some(now);
        }
        w.send_pings(a, ip(A), ip(B), 1, 56).unwrap();
        w.advance(INTERVAL).unwrap();
    }
    w.advance(Duration::from_secs(5)).unwrap();
    assert_eq!(
        w.echo_replies(a),
        PINGS,
        "echo replies lost across the move"
    );

    for id in [a, b] {
        assert_eq!(
            count(&w, id, |k| matches!(
                k,
                EventKind::SaAddressesUpdated { .. }
            )),
            1
        );
    }
    let (hb, moved_at) = (handle(&w, b), moved_at.unwrap());
    assert_eq!(
        w.node(b).endpoint().sa_addresses(hb),
        Some((sock(B, 4500), sock(A2, 4500)))
    );
    // Once the update's response is out, ESP runs between A2 and B only, in UDP on 4500.
    let response = w
        .wire()
        .iter()
        .filter(|r| r.time >= moved_at && r.kind == WireKind::Ike && r.from == b)
        .map(|r| r.time)
        .next()
        .unwrap();
    let esp: Vec<&WireRecord> = w
        .wire()
        .iter()
        .filter(|r| r.kind == WireKind::Esp && r.time > response)
        .collect();
    assert!(esp.len() >= 2 * (PINGS - MOVE_AT) - 2, "{}", esp.len());
    for r in esp {
        let client_side = if r.from == a { r.src } else { r.dst };
        assert_eq!(client_side, sock(A2, 4500), "{r:?}");
        assert_eq!(r.transport, Transport::Udp);
    }
}

#[test]
fn gateway_esp_follows_a_nat_rebinding() {
    // RFC7296-2.23-14: without MOBIKE the gateway follows the client's new NAT mapping, ESP
    // included, after the next authenticated request.
    let mut s = setup(32);
    s.w.add_nat(s.a, ip(NAT_IP)).unwrap();
    s.connect();
    assert!(s.establish(Duration::from_secs(5)));
    let (a, b) = (s.a, s.b);
    s.w.send_pings(a, ip(A), ip(B), 1, 56).unwrap();
    s.w.advance(Duration::from_secs(1)).unwrap();
    s.w.rebind_nat(a).unwrap();
    let (now, sa) = (s.w.now(), handle(&s.w, a));
    s.w.node_mut(a).endpoint_mut().send_dpd(now, sa).unwrap();
    s.w.advance(Duration::from_secs(1)).unwrap();
    s.w.send_pings(a, ip(A), ip(B), 3, 56).unwrap();
    s.w.advance(Duration::from_secs(2)).unwrap();
    assert_eq!(
        s.w.echo_replies(a),
        4,
        "replies reach the client through the new mapping"
    );
    let updated: Vec<_> =
        s.w.events(b)
            .iter()
            .filter_map(|(_, e)| match e.kind {
                EventKind::SaAddressesUpdated { remote, .. } => Some(remote),
                _ => None,
            })
            .collect();
    let public = s.w.nat_mappings(a);
    assert_eq!(updated.len(), 1);
    assert!(
        public.iter().any(|(_, p)| *p == updated[0]),
        "{updated:?} {public:?}"
    );
}
