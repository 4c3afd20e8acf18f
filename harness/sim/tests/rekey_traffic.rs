//! Rekeys while ESP traffic flows (RFC 7296 §1.3.2, §1.3.3, §2.8, §2.8.1): a ping every
//! 100 ms of virtual time from the client through the tunnel, a CHILD_SA or IKE SA rekey
//! started by either side (or both at once) in the middle, and not one echo reply may be
//! lost. Afterwards the old SPIs are gone from both data planes and ESP uses the new ones.

mod common;

use common::*;
use ikelab_engine::{EventKind, SaHandle, Timestamp};
use ikelab_policy::Duration;
use ikelab_sim::*;
use ikelab_wire::iana::ExchangeType;

/// Pings sent per run: 10 s at one every 100 ms.
const PINGS: usize = 100;
const INTERVAL: Duration = Duration::from_millis(100);
/// The rekey starts at this ping (3 s in).
const REKEY_AT: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rekey {
    ChildByClient,
    ChildByGateway,
    IkeByClient,
    IkeByGateway,
    /// Both sides start a CHILD_SA rekey of the same SA at the same instant (§2.8.1).
    ChildByBoth,
}

/// The IKE SA's handle on a node (from its first CHILD_SA install).
fn handle(w: &World, id: NodeId) -> SaHandle {
    w.events(id)
        .iter()
        .find_map(|(_, e)| match e.kind {
            EventKind::ChildSaInstalled(_) => e.sa,
            _ => None,
        })
        .unwrap()
}

fn start(w: &mut World, id: NodeId, rekey: Rekey) {
    let (now, sa) = (w.now(), handle(w, id));
    let spi_in = w.node(id).esp_sas()[0].0;
    let ep = w.node_mut(id).endpoint_mut();
    match rekey {
        Rekey::ChildByClient | Rekey::ChildByGateway | Rekey::ChildByBoth => {
            ep.rekey_child_sa(now, sa, spi_in).unwrap()
        }
        Rekey::IkeByClient | Rekey::IkeByGateway => ep.rekey_ike_sa(now, sa).unwrap(),
    }
}

struct Outcome {
    s: Setup,
    /// Both nodes' (in, out) before the rekey.
    before: [(u32, u32); 2],
    /// When the rekey was started.
    rekey_time: Timestamp,
}

/// Establishes, then pings every 100 ms while `rekey` happens, with `faults` added after the
/// handshake; runs on until every reply and every IKE exchange is done.
fn run(seed: u64, rekey: Rekey, faults: Vec<Fault>) -> Outcome {
    let mut s = setup(seed);
    s.connect();
    assert!(s.establish(Duration::from_secs(5)));
    let before = [s.w.node(s.a).esp_sas()[0], s.w.node(s.b).esp_sas()[0]];
    for f in faults {
        s.w.add_fault(f);
    }
    let mut rekey_time = START;
    for i in 0..PINGS {
        if i == REKEY_AT {
            rekey_time = s.w.now();
            match rekey {
                Rekey::ChildByClient | Rekey::IkeByClient => start(&mut s.w, s.a, rekey),
                Rekey::ChildByGateway | Rekey::IkeByGateway => start(&mut s.w, s.b, rekey),
                Rekey::ChildByBoth => {
                    start(&mut s.w, s.a, rekey);
                    start(&mut s.w, s.b, rekey);
                }
            }
        }
        s.w.send_pings(s.a, ip(A), ip(B), 1, 56).unwrap();
        s.w.advance(INTERVAL).unwrap();
    }
    // Late replies, and retransmitted rekey or delete exchanges (4 s initial timeout).
    s.w.advance(Duration::from_secs(30)).unwrap();
    Outcome {
        s,
        before,
        rekey_time,
    }
}

/// The SPI of an ESP record (raw or in UDP: the SPI comes first either way).
fn esp_spi(r: &WireRecord) -> u32 {
    u32::from_be_bytes(r.bytes[..4].try_into().unwrap())
}

fn lost_replies(o: &Outcome) -> usize {
    PINGS - o.s.w.echo_replies(o.s.a)
}

/// The checks every CHILD_SA rekey run must pass.
fn assert_child_rekeyed(o: &Outcome, what: &str) {
    let (w, a, b) = (&o.s.w, o.s.a, o.s.b);
    assert_eq!(lost_replies(o), 0, "{what}: echo replies lost");
    assert_eq!(w.echo_replies(a), PINGS, "{what}: no duplicate replies");
    let (sa_a, sa_b) = (w.node(a).esp_sas(), w.node(b).esp_sas());
    assert_eq!(sa_a.len(), 1, "{what}: client SAs {sa_a:x?}");
    assert_eq!(sa_b.len(), 1, "{what}: gateway SAs {sa_b:x?}");
    let (new_a, new_b) = (sa_a[0], sa_b[0]);
    assert_eq!(new_a, (new_b.1, new_b.0), "{what}: the SA pairs mirror");
    for (old, new) in [(o.before[0], new_a), (o.before[1], new_b)] {
        assert_ne!(old.0, new.0, "{what}: inbound SPI replaced");
        assert_ne!(old.1, new.1, "{what}: outbound SPI replaced");
    }
    // Both engines agree with their data planes.
    let (ha, hb) = (handle(w, a), handle(w, b));
    assert_eq!(w.node(a).endpoint().child_sas(ha), sa_a, "{what}");
    assert_eq!(w.node(b).endpoint().child_sas(hb), sa_b, "{what}");
    // Every ESP packet from the last old-SA delete on is on the new SPIs; the old SPIs were
    // in use until the rekey.
    let last_delete = [a, b]
        .iter()
        .flat_map(|id| w.events(*id))
        .filter(|(_, e)| matches!(e.kind, EventKind::ChildSaDeleted { .. }))
        .map(|(t, _)| *t)
        .max()
        .unwrap();
    let esp: Vec<&WireRecord> = w
        .wire()
        .iter()
        .filter(|r| r.kind == WireKind::Esp)
        .collect();
    let after: Vec<u32> = esp
        .iter()
        .filter(|r| r.time > last_delete)
        .map(|r| esp_spi(r))
        .collect();
    assert!(after.len() > 20, "{what}: traffic after the rekey");
    for spi in &after {
        assert!(
            *spi == new_a.1 || *spi == new_b.1,
            "{what}: {spi:08x} after the rekey, new SAs {new_a:x?}"
        );
    }
    assert!(esp
        .iter()
        .filter(|r| r.time < o.rekey_time)
        .all(|r| esp_spi(r) == o.before[0].1 || esp_spi(r) == o.before[1].1));
    for id in [a, b] {
        assert!(
            w.node(id).install_errors().is_empty(),
            "{what}: {:?}",
            w.node(id).install_errors()
        );
        let st = w.node(id).data_stats();
        assert_eq!(
            (st.unknown_spi, st.integrity_failed, st.replayed),
            (0, 0, 0),
            "{what}: {st:?}"
        );
    }
}

fn assert_ike_rekeyed(o: Outcome, what: &str) {
    let (w, a, b) = (&o.s.w, o.s.a, o.s.b);
    assert_eq!(lost_replies(&o), 0, "{what}: echo replies lost");
    // The CHILD_SA carries on untouched under the new IKE SA.
    assert_eq!(w.node(a).esp_sas(), vec![o.before[0]], "{what}");
    assert_eq!(w.node(b).esp_sas(), vec![o.before[1]], "{what}");
    let rekeyed = |id| {
        w.events(id)
            .iter()
            .find_map(|(_, e)| match e.kind {
                EventKind::IkeSaRekeyed { spi_i, spi_r } => Some((spi_i, spi_r)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{what}: no IkeSaRekeyed"))
    };
    let spis = rekeyed(a);
    assert_eq!(spis, rekeyed(b), "{what}: both sides on the same new SA");
    // The old IKE SA was deleted under itself; later exchanges (none here) would use the new
    // SPIs. The last IKE message on the wire is the old SA's Delete exchange or the rekey.
    let ike: Vec<IkeSummary> = w
        .wire()
        .iter()
        .filter(|r| r.time >= o.rekey_time)
        .filter_map(|r| w.describe(r))
        .collect();
    assert!(ike
        .iter()
        .any(|m| m.exchange == ExchangeType::CREATE_CHILD_SA && m.response));
    assert!(ike
        .iter()
        .any(|m| m.exchange == ExchangeType::INFORMATIONAL && (m.spi_i, m.spi_r) != spis));
    for id in [a, b] {
        let st = w.node(id).data_stats();
        assert_eq!((st.unknown_spi, st.integrity_failed), (0, 0), "{what}");
    }
    // Still alive on the new SA: a liveness check is answered under the new SPIs.
    let (now, h) = (w.now(), handle(w, a));
    let mut w2 = o.s.w;
    w2.node_mut(a).endpoint_mut().send_dpd(now, h).unwrap();
    w2.advance(Duration::from_secs(30)).unwrap();
    let answered = w2
        .wire()
        .iter()
        .filter(|r| r.time >= now && r.from == b && r.dropped.is_none())
        .filter_map(|r| w2.describe(r))
        .any(|m| {
            m.exchange == ExchangeType::INFORMATIONAL && m.response && (m.spi_i, m.spi_r) == spis
        });
    assert!(answered, "{what}: DPD on the new IKE SA");
}

#[test]
fn client_rekeys_the_child_sa_without_loss() {
    let o = run(21, Rekey::ChildByClient, vec![]);
    assert_child_rekeyed(&o, "client CHILD_SA rekey");
}

#[test]
fn gateway_rekeys_the_child_sa_without_loss() {
    let o = run(22, Rekey::ChildByGateway, vec![]);
    assert_child_rekeyed(&o, "gateway CHILD_SA rekey");
}

#[test]
fn simultaneous_child_sa_rekeys_without_loss() {
    let o = run(23, Rekey::ChildByBoth, vec![]);
    assert_child_rekeyed(&o, "simultaneous CHILD_SA rekey");
    // Two exchanges really crossed: each side sent a CREATE_CHILD_SA request.
    for id in [o.s.a, o.s.b] {
        let reqs = sent_by(&o.s.w, id)
            .iter()
            .filter(|m| m.exchange == ExchangeType::CREATE_CHILD_SA && !m.response)
            .count();
        assert_eq!(reqs, 1);
    }
    // §2.8.1: exactly one of the two new SAs lost, reported by the side that created it,
    // which deleted it; the survivor's creator deleted the old SA.
    let lost: Vec<(NodeId, u32)> = [o.s.a, o.s.b]
        .into_iter()
        .flat_map(|id| {
            o.s.w
                .events(id)
                .iter()
                .filter_map(move |(_, e)| match &e.kind {
                    EventKind::ChildSaInstalled(c) if c.lost_collision => Some((id, c.spi_in)),
                    _ => None,
                })
        })
        .collect();
    assert_eq!(lost.len(), 1, "{lost:x?}");
    let (loser, spi) = lost[0];
    assert!(o.s.w.events(loser).iter().any(|(_, e)| matches!(
        e.kind,
        EventKind::ChildSaDeleted { spi_in, by_peer: false, .. } if spi_in == spi
    )));
}

#[test]
fn client_rekeys_the_ike_sa_without_loss() {
    let o = run(24, Rekey::IkeByClient, vec![]);
    assert_ike_rekeyed(o, "client IKE SA rekey");
}

#[test]
fn gateway_rekeys_the_ike_sa_without_loss() {
    let o = run(25, Rekey::IkeByGateway, vec![]);
    assert_ike_rekeyed(o, "gateway IKE SA rekey");
}

/// Drops every tenth IKE datagram (from the `phase`th on) after the handshake: 10 % loss on
/// IKE only, deterministic, and over the ten phases every message of the rekey and delete
/// exchanges gets dropped in some run.
fn ike_loss(phase: u32) -> Vec<Fault> {
    (0..20)
        .map(|k| Fault {
            selector: Selector::default().nth(phase + 10 * k),
            action: FaultAction::Drop,
        })
        .collect()
}

#[test]
fn child_sa_rekeys_complete_without_loss_under_ike_loss() {
    for phase in 1..=10 {
        for rekey in [
            Rekey::ChildByClient,
            Rekey::ChildByGateway,
            Rekey::ChildByBoth,
        ] {
            let o = run(30 + u64::from(phase), rekey, ike_loss(phase));
            let what = format!("{rekey:?}, IKE loss phase {phase}");
            assert_child_rekeyed(&o, &what);
            // Every run with at least `phase` IKE datagrams after the handshake lost one.
            let ike: Vec<&WireRecord> =
                o.s.w
                    .wire()
                    .iter()
                    .filter(|r| r.kind == WireKind::Ike && r.time >= o.rekey_time)
                    .collect();
            let dropped = ike
                .iter()
                .filter(|r| r.dropped == Some(DropReason::Fault))
                .count();
            assert_eq!(
                dropped >= 1,
                ike.len() >= phase as usize,
                "{what}: {dropped} of {} dropped",
                ike.len()
            );
        }
    }
}

#[test]
fn ike_sa_rekeys_complete_without_loss_under_ike_loss() {
    for phase in 1..=10 {
        for rekey in [Rekey::IkeByClient, Rekey::IkeByGateway] {
            let o = run(50 + u64::from(phase), rekey, ike_loss(phase));
            assert_ike_rekeyed(o, &format!("{rekey:?}, IKE loss phase {phase}"));
        }
    }
}

#[test]
fn the_ike_loss_faults_do_drop_rekey_messages() {
    // Phase 1 drops the first IKE datagram after the handshake: the rekey request.
    let o = run(60, Rekey::ChildByClient, ike_loss(1));
    let first =
        o.s.w
            .wire()
            .iter()
            .find(|r| r.kind == WireKind::Ike && r.time >= o.rekey_time)
            .unwrap();
    assert_eq!(first.dropped, Some(DropReason::Fault));
    let d = o.s.w.describe(first).unwrap();
    assert_eq!(
        (d.exchange, d.response),
        (ExchangeType::CREATE_CHILD_SA, false)
    );
    assert!(
        count(&o.s.w, o.s.a, |k| matches!(
            k,
            EventKind::Retransmitted { .. }
        )) >= 1
    );
    assert_child_rekeyed(&o, "request dropped");
}
