//! CREATE_CHILD_SA pair tests (RFC 7296 §1.3, §2.8, §2.8.1, §2.8.2, §2.17, §2.25): additional
//! CHILD_SAs, CHILD_SA and IKE SA rekeys from either side with and without PFS, simultaneous
//! rekeys, rekey timers, and the CVE-shaped inputs. Every assertion is about what is on the
//! wire (decrypted with the key log) or what both engines report.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use ikelab_engine::*;
use ikelab_policy::{ChildPolicy, ChildProposal, Duration, IkePolicy, Lifetime};
use ikelab_wire::iana::{ExchangeType, KeMethod, NotifyType, PayloadType, ProtocolId};
use ikelab_wire::payload::{Payload, PayloadBody};
use pair::harness::*;

const CCS: ExchangeType = ExchangeType::CREATE_CHILD_SA;
const INFO: ExchangeType = ExchangeType::INFORMATIONAL;

fn esp(s: &str) -> Vec<ChildProposal> {
    vec![ChildProposal::parse(s).unwrap()]
}

fn up(seed: u64, client: IkePolicy, server: IkePolicy) -> (Pair, SaHandle) {
    let mut p = Pair::new(seed, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    (p, h)
}

/// The responder's handle for the (only) IKE SA.
fn b_handle(p: &Pair) -> SaHandle {
    p.b.events
        .iter()
        .find_map(|e| match e.kind {
            EventKind::IkeSaEstablished(_) => e.sa,
            _ => None,
        })
        .unwrap()
}

fn kinds(p: &Pair, c: &Captured) -> Vec<PayloadType> {
    p.payloads(c).iter().map(Payload::payload_type).collect()
}

fn deleted(n: &Node) -> Vec<u32> {
    n.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ChildSaDeleted { spi_in, .. } => Some(spi_in),
            _ => None,
        })
        .collect()
}

fn rekeyed(n: &Node) -> Vec<(u64, u64)> {
    n.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::IkeSaRekeyed { spi_i, spi_r } => Some((spi_i, spi_r)),
            _ => None,
        })
        .collect()
}

fn failed(n: &Node) -> Vec<NotifyType> {
    n.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ChildSaFailed { notify } => Some(notify),
            _ => None,
        })
        .collect()
}

fn nonce(p: &Pair, c: &Captured) -> Vec<u8> {
    p.payloads(c)
        .into_iter()
        .find_map(|x| match x.body {
            PayloadBody::Nonce(n) => Some(n),
            _ => None,
        })
        .unwrap()
}

fn ke_group(p: &Pair, c: &Captured) -> Option<KeMethod> {
    p.payloads(c).into_iter().find_map(|x| match x.body {
        PayloadBody::Ke(k) => Some(k.group),
        _ => None,
    })
}

/// Both sides' CHILD_SAs are the same pairs, mirrored.
fn assert_children_agree(p: &Pair, a: SaHandle, b: SaHandle) -> Vec<(u32, u32)> {
    let ca = p.a.ep.child_sas(a);
    let mut cb: Vec<(u32, u32)> = p.b.ep.child_sas(b).iter().map(|(i, o)| (*o, *i)).collect();
    let mut sorted = ca.clone();
    sorted.sort_unstable();
    cb.sort_unstable();
    assert_eq!(sorted, cb, "a's (in, out) are b's (out, in)");
    ca
}

/// The installed CHILD_SA on `n` with this inbound SPI.
fn info(n: &Node, spi_in: u32) -> ChildSaInfo {
    n.children()
        .into_iter()
        .find(|c| c.spi_in == spi_in)
        .unwrap()
}

fn assert_keys_mirror(p: &Pair, spi_in_a: u32) {
    let ca = info(&p.a, spi_in_a);
    let cb = info(&p.b, ca.spi_out);
    assert_eq!(ca.outbound, cb.inbound);
    assert_eq!(ca.inbound, cb.outbound);
    assert_ne!(ca.outbound, ca.inbound);
}

#[test]
fn additional_child_sa_with_pfs() {
    let (mut client, mut server) = psk_policies();
    let web = ChildPolicy {
        name: "web".into(),
        proposals: esp("aes256gcm16-ecp256"),
        ..ChildPolicy::default()
    };
    client.children.push(web.clone());
    server.children.push(web);
    let (mut p, h) = up(1, client, server);
    let first = p.a.children()[0].clone();
    assert_eq!(
        p.a.ep.create_child_sa(p.time, h, "nope"),
        Err(ConfigError::UnknownChildPolicy {
            policy: "ikelab".into(),
            child: "nope".into()
        })
    );
    p.a.ep.create_child_sa(p.time, h, "web").unwrap();
    p.flush();
    p.drive_until(50, |p| {
        p.a.children().len() == 2 && p.b.children().len() == 2
    });

    let x = p.exchanges(CCS);
    assert_eq!(x.len(), 2);
    let (req, resp) = (&x[0].1, &x[1].1);
    use PayloadType as P;
    assert_eq!(kinds(&p, req), [P::SA, P::NONCE, P::KE, P::TSI, P::TSR]);
    assert_eq!(kinds(&p, resp), [P::SA, P::NONCE, P::KE, P::TSI, P::TSR]);
    assert_eq!(ke_group(&p, req), Some(KeMethod::ECP_256));
    assert_eq!(ke_group(&p, resp), Some(KeMethod::ECP_256));
    assert_eq!(req.message().header.message_id, 2);

    let new = p.a.children()[1].clone();
    assert_eq!(new.name, "web");
    assert_eq!(new.rekey_of, None);
    assert_ne!(new.spi_in, first.spi_in);
    assert_ne!(new.outbound, first.outbound);
    assert_keys_mirror(&p, new.spi_in);
    assert_eq!(assert_children_agree(&p, h, b_handle(&p)).len(), 2);
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
}

#[test]
fn child_sa_rekey_without_pfs_installs_new_then_deletes_old() {
    let (client, server) = psk_policies();
    let (mut p, h) = up(2, client, server);
    let old = p.a.children()[0].clone();
    p.a.ep.rekey_child_sa(p.time, h, old.spi_in).unwrap();
    p.flush();
    p.drive_until(50, |p| {
        deleted(&p.a).contains(&old.spi_in) && deleted(&p.b).contains(&old.spi_out)
    });

    let x = p.exchanges(CCS);
    let (req, resp) = (&x[0].1, &x[1].1);
    use PayloadType as P;
    // strongSwan's order: N(REKEY_SA) SA No TSi TSr.
    assert_eq!(kinds(&p, req), [P::NOTIFY, P::SA, P::NONCE, P::TSI, P::TSR]);
    let rekey_sa = p.payloads(req).into_iter().find_map(|x| match x.body {
        PayloadBody::Notify(n) => Some(n),
        _ => None,
    });
    let n = rekey_sa.unwrap();
    assert_eq!(n.notify_type, NotifyType::REKEY_SA);
    assert_eq!(n.protocol, ProtocolId::ESP);
    assert_eq!(n.spi, old.spi_in.to_be_bytes());
    assert_eq!(kinds(&p, resp), [P::SA, P::NONCE, P::TSI, P::TSR]);

    // Then the rekey initiator deletes the old SA; the answer deletes the other half (§1.4.1).
    let info_x = p.exchanges(INFO);
    assert_eq!(info_x.len(), 2);
    let del = |c: &Captured| {
        p.payloads(c)
            .into_iter()
            .find_map(|x| match x.body {
                PayloadBody::Delete(d) => Some(d.spis),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(del(&info_x[0].1), [old.spi_in.to_be_bytes().to_vec()]);
    assert_eq!(del(&info_x[1].1), [old.spi_out.to_be_bytes().to_vec()]);
    assert!(info_x[0].0 > x[1].0, "delete after the new SA is up");

    // New before old on both sides: installed, then deleted.
    for (n, old_in) in [(&p.a, old.spi_in), (&p.b, old.spi_out)] {
        let installed = n
            .events
            .iter()
            .position(
                |e| matches!(&e.kind, EventKind::ChildSaInstalled(c) if c.rekey_of == Some(old_in)),
            )
            .expect("new SA installed with rekey_of");
        let gone = n
            .events
            .iter()
            .position(
                |e| matches!(e.kind, EventKind::ChildSaDeleted { spi_in, .. } if spi_in == old_in),
            )
            .unwrap();
        assert!(installed < gone);
    }
    let now = assert_children_agree(&p, h, b_handle(&p));
    assert_eq!(now.len(), 1);
    assert_ne!(now[0].0, old.spi_in);
    assert_keys_mirror(&p, now[0].0);
    assert_ne!(info(&p.a, now[0].0).outbound, old.outbound);
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
}

#[test]
fn child_sa_rekey_with_pfs_from_the_responder() {
    let (mut client, mut server) = psk_policies();
    client.children[0].proposals = esp("aes128gcm16-x25519");
    server.children[0].proposals = esp("aes128gcm16-x25519");
    let (mut p, h) = up(3, client, server);
    let hb = b_handle(&p);
    let old_b = p.b.children()[0].clone();
    p.b.ep.rekey_child_sa(p.time, hb, old_b.spi_in).unwrap();
    p.flush();
    p.drive_until(50, |p| deleted(&p.a).len() == 1 && deleted(&p.b).len() == 1);
    let x = p.exchanges(CCS);
    assert!(
        !x[0].1.message().header.flags.initiator(),
        "sent by the responder"
    );
    assert_eq!(ke_group(&p, &x[0].1), Some(KeMethod::CURVE25519));
    assert_eq!(ke_group(&p, &x[1].1), Some(KeMethod::CURVE25519));
    let now = assert_children_agree(&p, h, hb);
    assert_eq!(now.len(), 1);
    assert_keys_mirror(&p, now[0].0);
    // The responder was the exchange initiator: its outbound keys come first in KEYMAT, so
    // they are what the first CHILD_SA would have used the other way round.
    assert_eq!(info(&p.b, now[0].1).rekey_of, Some(old_b.spi_in));
}

#[test]
fn ike_sa_rekey_moves_children_and_deletes_the_old_sa() {
    let (client, server) = psk_policies();
    let (mut p, h) = up(4, client, server);
    let old = p.a.established().unwrap();
    let child = p.a.children()[0].clone();
    p.a.ep.rekey_ike_sa(p.time, h).unwrap();
    p.flush();
    p.drive_until(50, |p| {
        !rekeyed(&p.a).is_empty() && p.exchanges(INFO).len() == 2
    });
    p.drive_until(50, |p| {
        p.a.ep
            .poll_timeout()
            .is_none_or(|t| t > p.time + Duration::from_secs(600))
    });

    let (spi_i, spi_r) = rekeyed(&p.a)[0];
    assert_eq!(rekeyed(&p.b), [(spi_i, spi_r)]);
    assert_ne!((spi_i, spi_r), (old.spi_i, old.spi_r));
    let x = p.exchanges(CCS);
    use PayloadType as P;
    assert_eq!(kinds(&p, &x[0].1), [P::SA, P::NONCE, P::KE]);
    assert_eq!(kinds(&p, &x[1].1), [P::SA, P::NONCE, P::KE]);
    let spi_of = |c: &Captured| {
        p.payloads(c)
            .into_iter()
            .find_map(|x| match x.body {
                PayloadBody::Sa(s) => Some(s.proposals[0].spi.clone()),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(spi_of(&x[0].1), spi_i.to_be_bytes());
    assert_eq!(spi_of(&x[1].1), spi_r.to_be_bytes());
    // The old SA is deleted on its own SPIs, as its last request (Message ID 3).
    let info_x = p.exchanges(INFO);
    let h0 = info_x[0].1.message().header;
    assert_eq!((h0.initiator_spi, h0.responder_spi), (old.spi_i, old.spi_r));
    assert_eq!(h0.message_id, 3);
    assert!(p
        .payloads(&info_x[0].1)
        .iter()
        .any(|x| matches!(&x.body, PayloadBody::Delete(d) if d.protocol == ProtocolId::IKE)));
    // Key log has the new SA (the harness decrypted everything with it).
    assert!(p
        .keys()
        .iter()
        .any(|k| (k.spi_i, k.spi_r) == (spi_i, spi_r)));

    // Same handle, same CHILD_SA, one SA per side; the new SA starts at Message ID 0.
    assert_eq!(p.a.ep.sa_state(h), Some(SaState::Established));
    assert_eq!(p.a.ep.sa_count(), 1);
    assert_eq!(p.b.ep.sa_count(), 1);
    assert_eq!(p.a.ep.child_sas(h), [(child.spi_in, child.spi_out)]);
    assert!(p.a.closed().is_none() && p.b.closed().is_none());
    let before = p.wire.len();
    p.a.ep.send_dpd(p.time, h).unwrap();
    p.flush();
    p.drive_until(20, |p| p.wire.len() == before + 2);
    let dpd = p.wire[before].message().header;
    assert_eq!(
        (dpd.initiator_spi, dpd.responder_spi, dpd.message_id),
        (spi_i, spi_r, 0)
    );
    // CHILD_SA keys now come from the new SK_d: a rekey still agrees on both sides.
    p.a.ep.rekey_child_sa(p.time, h, child.spi_in).unwrap();
    p.flush();
    p.drive_until(50, |p| deleted(&p.a).len() == 1 && deleted(&p.b).len() == 1);
    let now = assert_children_agree(&p, h, b_handle(&p));
    assert_keys_mirror(&p, now[0].0);
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
}

#[test]
fn ike_sa_rekey_by_the_responder_swaps_the_roles() {
    let (client, server) = psk_policies();
    let (mut p, h) = up(5, client, server);
    let hb = b_handle(&p);
    p.b.ep.rekey_ike_sa(p.time, hb).unwrap();
    p.flush();
    p.drive_until(50, |p| {
        !rekeyed(&p.a).is_empty() && p.exchanges(INFO).len() == 2
    });
    let (spi_i, _) = rekeyed(&p.a)[0];
    let req = &p.exchanges(CCS)[0].1;
    assert!(!req.message().header.flags.initiator());
    // §2.18: the rekey initiator is the new SA's initiator: its SPI comes first.
    assert_eq!(rekeyed(&p.b)[0].0, spi_i);
    let before = p.wire.len();
    p.a.ep.send_dpd(p.time, h).unwrap();
    p.flush();
    p.drive_until(20, |p| p.wire.len() == before + 2);
    assert!(!p.wire[before].message().header.flags.initiator());
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
}

#[test]
fn simultaneous_child_rekeys_leave_one_pair_by_the_nonce_rule() {
    let mut winners = [0, 0];
    for seed in 10..22 {
        let (client, server) = psk_policies();
        let (mut p, h) = up(seed, client, server);
        let hb = b_handle(&p);
        let old = p.a.children()[0].clone();
        p.a.ep.rekey_child_sa(p.time, h, old.spi_in).unwrap();
        p.b.ep.rekey_child_sa(p.time, hb, old.spi_out).unwrap();
        p.flush();
        p.drive_until(100, |p| {
            p.a.ep.child_sas(h).len() == 1
                && p.b.ep.child_sas(hb).len() == 1
                && deleted(&p.a).len() == 2
        });
        let survivors = assert_children_agree(&p, h, hb);
        assert_eq!(survivors.len(), 1, "seed {seed}");
        // Which exchange had the lowest of the four nonces? Its SA must be gone.
        let x = p.exchanges(CCS);
        assert_eq!(x.len(), 4, "two exchanges, seed {seed}");
        let by_a: Vec<&Captured> = x
            .iter()
            .map(|(_, c)| c)
            .filter(|c| c.message().header.flags.initiator() != c.message().header.flags.response())
            .collect();
        let by_b: Vec<&Captured> = x
            .iter()
            .map(|(_, c)| c)
            .filter(|c| c.message().header.flags.initiator() == c.message().header.flags.response())
            .collect();
        let lo = |v: &[&Captured]| v.iter().map(|c| nonce(&p, c)).min().unwrap();
        let a_lowest = lo(&by_a) < lo(&by_b);
        // The SA a created as exchange initiator is the one whose spi_in a chose in its request.
        let a_req_spi = p
            .payloads(by_a[0])
            .into_iter()
            .find_map(|x| match x.body {
                PayloadBody::Sa(s) => Some(s.proposals[0].spi.clone()),
                _ => None,
            })
            .unwrap();
        let a_created = u32::from_be_bytes(a_req_spi.try_into().unwrap());
        let a_survives = survivors[0].0 == a_created;
        assert_eq!(a_survives, !a_lowest, "seed {seed}: lowest nonce loses");
        winners[usize::from(a_survives)] += 1;
        // Old and redundant SAs deleted exactly once each, on both sides.
        assert_eq!(deleted(&p.a).len(), 2, "seed {seed}");
        assert_eq!(deleted(&p.b).len(), 2, "seed {seed}");
        assert_eq!(p.exchanges(INFO).len(), 4, "two Deletes, seed {seed}");
        assert_keys_mirror(&p, survivors[0].0);
        assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
    }
    assert!(
        winners[0] > 0 && winners[1] > 0,
        "both outcomes seen: {winners:?}"
    );
}

#[test]
fn simultaneous_ike_rekeys_leave_one_ike_sa() {
    let mut outcomes = [0, 0];
    for seed in 30..40 {
        let (client, server) = psk_policies();
        let (mut p, h) = up(seed, client, server);
        let hb = b_handle(&p);
        let child = p.a.children()[0].clone();
        p.a.ep.rekey_ike_sa(p.time, h).unwrap();
        p.b.ep.rekey_ike_sa(p.time, hb).unwrap();
        p.flush();
        p.drive_until(200, |p| {
            p.a.ep
                .poll_timeout()
                .is_none_or(|t| t > p.time + Duration::from_secs(1000))
                && p.b
                    .ep
                    .poll_timeout()
                    .is_none_or(|t| t > p.time + Duration::from_secs(1000))
        });
        let (ra, rb) = (rekeyed(&p.a), rekeyed(&p.b));
        assert_eq!(ra.len(), 1, "seed {seed}: one switch on a");
        assert_eq!(ra, rb, "seed {seed}: both sides on the same new SA");
        // Four IKE SAs existed (old, two new); the survivor was made by the exchange whose
        // nonces are not the lowest.
        let x = p.exchanges(CCS);
        assert_eq!(x.len(), 4);
        let from_a = |c: &Captured| c.from.ip().to_string() == A_ADDR;
        let a_req = x
            .iter()
            .find(|(_, c)| from_a(c) && !c.message().header.flags.response())
            .unwrap();
        let a_resp = x
            .iter()
            .find(|(_, c)| !from_a(c) && c.message().header.flags.response())
            .unwrap();
        let b_req = x
            .iter()
            .find(|(_, c)| !from_a(c) && !c.message().header.flags.response())
            .unwrap();
        let b_resp = x
            .iter()
            .find(|(_, c)| from_a(c) && c.message().header.flags.response())
            .unwrap();
        let a_low = nonce(&p, &a_req.1).min(nonce(&p, &a_resp.1));
        let b_low = nonce(&p, &b_req.1).min(nonce(&p, &b_resp.1));
        let spi = |c: &Captured| {
            p.payloads(c)
                .into_iter()
                .find_map(|x| match x.body {
                    PayloadBody::Sa(s) => Some(u64::from_be_bytes(
                        s.proposals[0].spi.clone().try_into().unwrap(),
                    )),
                    _ => None,
                })
                .unwrap()
        };
        let a_new = (spi(&a_req.1), spi(&a_resp.1));
        let b_new = (spi(&b_req.1), spi(&b_resp.1));
        let expect = if a_low < b_low { b_new } else { a_new };
        assert_eq!(
            ra[0], expect,
            "seed {seed}: the lowest nonce's SA is deleted"
        );
        outcomes[usize::from(expect == a_new)] += 1;
        assert_eq!(p.a.ep.sa_state(h), Some(SaState::Established));
        assert_eq!(p.b.ep.sa_state(hb), Some(SaState::Established));
        assert_eq!(p.a.ep.child_sas(h), [(child.spi_in, child.spi_out)]);
        assert!(p.a.closed().is_none() && p.b.closed().is_none());
        // Two Deletes: the old SA and the redundant new one.
        let deletes: Vec<(u64, u64)> = p
            .exchanges(INFO)
            .iter()
            .filter(|(_, c)| !c.message().header.flags.response())
            .map(|(_, c)| {
                (
                    c.message().header.initiator_spi,
                    c.message().header.responder_spi,
                )
            })
            .collect();
        assert_eq!(deletes.len(), 2, "seed {seed}: {deletes:?}");
        assert!(!deletes.contains(&ra[0]));
        // The survivor works.
        let before = p.wire.len();
        p.a.ep.send_dpd(p.time, h).unwrap();
        p.flush();
        p.drive_until(20, |p| p.wire.len() == before + 2);
        let d = p.wire[before].message().header;
        assert_eq!((d.initiator_spi, d.responder_spi), ra[0]);
        assert!(
            p.a.violations().is_empty() && p.b.violations().is_empty(),
            "seed {seed}"
        );
    }
    assert!(
        outcomes[0] > 0 && outcomes[1] > 0,
        "both outcomes seen: {outcomes:?}"
    );
}

#[test]
fn rekey_sa_with_a_wrong_protocol_id_is_invalid_syntax() {
    // libreswan CVE-2023-38710: REKEY_SA naming protocol IKE crashed pluto. §3.10: a Child SA
    // notify's Protocol ID MUST be AH or ESP, so the request is malformed: INVALID_SYNTAX.
    let (client, server) = psk_policies();
    let (mut p, h) = up(6, client, server);
    let keys = p.keys();
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == CCS && !m.flags.response() {
            reseal(c, &keys, |_, inner| {
                for x in inner.iter_mut() {
                    if let PayloadBody::Notify(n) = &mut x.body {
                        n.protocol = ProtocolId::IKE;
                    }
                }
            });
        }
        Action::Pass
    }));
    let old = p.a.children()[0].clone();
    let b_before = p.b.ep.child_sas(b_handle(&p));
    p.a.ep.rekey_child_sa(p.time, h, old.spi_in).unwrap();
    p.flush();
    p.drive_until(20, |p| !failed(&p.a).is_empty());
    let resp = &p.exchanges(CCS)[1].1;
    assert_eq!(p.notifies(resp), [NotifyType::INVALID_SYNTAX]);
    assert_eq!(
        p.b.violations(),
        [Violation::InvalidRekeySa {
            protocol: ProtocolId::IKE,
            spi_len: 4
        }]
    );
    assert_eq!(p.b.violations()[0].rfc_section(), "RFC 7296 §3.10");
    assert_eq!(failed(&p.a), [NotifyType::INVALID_SYNTAX]);
    assert_eq!(p.b.ep.child_sas(b_handle(&p)), b_before, "nothing changed");
    assert_eq!(p.a.ep.child_sas(h), [(old.spi_in, old.spi_out)]);
    assert_eq!(p.b.ep.sa_state(b_handle(&p)), Some(SaState::Established));
}

#[test]
fn rekey_of_an_unknown_child_gets_child_sa_not_found() {
    let (client, server) = psk_policies();
    let (mut p, h) = up(7, client, server);
    let keys = p.keys();
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == CCS && !m.flags.response() {
            reseal(c, &keys, |_, inner| {
                for x in inner.iter_mut() {
                    if let PayloadBody::Notify(n) = &mut x.body {
                        n.spi = 0xdead_beef_u32.to_be_bytes().to_vec();
                    }
                }
            });
        }
        Action::Pass
    }));
    let old = p.a.children()[0].clone();
    p.a.ep.rekey_child_sa(p.time, h, old.spi_in).unwrap();
    p.flush();
    p.drive_until(20, |p| p.exchanges(CCS).len() == 2);
    p.drive_until(20, |p| !deleted(&p.a).is_empty());
    let resp = &p.exchanges(CCS)[1].1;
    let n = p
        .payloads(resp)
        .into_iter()
        .find_map(|x| match x.body {
            PayloadBody::Notify(n) => Some(n),
            _ => None,
        })
        .unwrap();
    assert_eq!(n.notify_type, NotifyType::CHILD_SA_NOT_FOUND);
    assert_eq!(
        (n.protocol, n.spi),
        (ProtocolId::ESP, 0xdead_beef_u32.to_be_bytes().to_vec())
    );
    assert_eq!(
        p.b.violations(),
        [Violation::RekeyOfUnknownChild { spi: 0xdead_beef }]
    );
    assert_eq!(p.b.ep.child_sas(b_handle(&p)).len(), 1, "b's SA untouched");
    // §2.25: the initiator takes CHILD_SA_NOT_FOUND as "gone at the peer".
    assert_eq!(deleted(&p.a), [old.spi_in]);
}

#[test]
fn create_child_sa_before_ike_auth_is_refused_and_changes_nothing() {
    // strongSwan CVE-2014-2338: an IKE SA rekey on a half-open SA was accepted and skipped
    // authentication. The responder drops it (§1: not an exchange of this state) and IKE_AUTH
    // still completes on the same SPIs.
    let (client, server) = psk_policies();
    let mut p = Pair::new(8, server);
    let keys_of = std::rc::Rc::new(std::cell::RefCell::new(Vec::<IkeKeyLog>::new()));
    let k2 = keys_of.clone();
    let mut done = false;
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == ExchangeType::IKE_AUTH && !m.flags.response() && !done {
            done = true;
            let keys = k2.borrow().clone();
            reseal(c, &keys, |h, inner| {
                h.exchange_type = CCS;
                let ni = vec![7u8; 32];
                let sa = ikelab_policy::IkeProposal::parse("aes128gcm16-prfsha256-x25519")
                    .unwrap()
                    .to_wire(1, vec![1, 2, 3, 4, 5, 6, 7, 8]);
                *inner = vec![
                    Payload::new(PayloadBody::Sa(ikelab_wire::payload::SaPayload {
                        proposals: vec![sa],
                    })),
                    Payload::new(PayloadBody::Nonce(ni)),
                ];
            });
        }
        Action::Pass
    }));
    // Key log entries appear after IKE_SA_INIT; feed them to the interceptor.
    let h = p.connect(client);
    p.drive_until(20, |p| !p.keys().is_empty());
    *keys_of.borrow_mut() = p.keys();
    p.drive_until(20, |p| {
        p.b.violations()
            .iter()
            .any(|v| matches!(v, Violation::UnexpectedExchange { .. }))
    });
    assert_eq!(
        p.b.violations(),
        [Violation::UnexpectedExchange {
            exchange: CCS,
            state: "ExpectAuthRequest"
        }]
    );
    assert_eq!(p.b.ep.half_open(), 1, "still half-open");
    assert!(p
        .sent_by_b()
        .iter()
        .all(|c| c.message().header.exchange_type != CCS));
    // The retransmitted IKE_AUTH (unmodified) completes the handshake.
    p.drive_to_established(100);
    assert_eq!(p.a.ep.sa_state(h), Some(SaState::Established));
    assert!(rekeyed(&p.b).is_empty());
    assert_eq!(p.b.ep.sa_count(), 1);
}

#[test]
fn temporary_failure_for_a_rekey_of_a_child_being_deleted() {
    let (client, server) = psk_policies();
    let (mut p, h) = up(9, client, server);
    let hb = b_handle(&p);
    let old = p.a.children()[0].clone();
    p.a.ep.delete_child_sa(p.time, h, old.spi_in).unwrap();
    p.b.ep.rekey_child_sa(p.time, hb, old.spi_out).unwrap();
    p.flush();
    p.drive_until(50, |p| {
        p.exchanges(CCS).len() == 2 && p.exchanges(INFO).len() == 2
    });
    let later = p.time + Duration::from_secs(120);
    p.drive_until(100, |p| p.time >= later);
    let resp = &p.exchanges(CCS)[1].1;
    assert!(resp.message().header.flags.initiator(), "answered by a");
    assert_eq!(p.notifies(resp), [NotifyType::TEMPORARY_FAILURE]);
    assert!(p.a.ep.child_sas(h).is_empty() && p.b.ep.child_sas(hb).is_empty());
    let until_later = p
        .exchanges(CCS)
        .iter()
        .filter(|(_, c)| c.time < later)
        .count();
    assert_eq!(until_later, 2, "a rekey of a deleted SA is not retried");
    assert!(failed(&p.b).is_empty());
}

#[test]
fn temporary_failure_during_an_ike_rekey_and_the_retry() {
    // §2.25.2 both ways: a's IKE SA rekey meets b's additional CHILD_SA.
    let (mut client, mut server) = psk_policies();
    let extra = ChildPolicy {
        name: "extra".into(),
        ..ChildPolicy::default()
    };
    client.children.push(extra.clone());
    server.children.push(extra);
    let (mut p, h) = up(11, client, server);
    let hb = b_handle(&p);
    p.a.ep.rekey_ike_sa(p.time, h).unwrap();
    p.b.ep.create_child_sa(p.time, hb, "extra").unwrap();
    p.flush();
    p.drive_until(100, |p| {
        !rekeyed(&p.a).is_empty() && !failed(&p.b).is_empty()
    });
    let x = p.exchanges(CCS);
    let responses: Vec<Vec<NotifyType>> = x
        .iter()
        .filter(|(_, c)| c.message().header.flags.response())
        .take(2)
        .map(|(_, c)| p.notifies(c))
        .collect();
    assert_eq!(
        responses,
        [
            [NotifyType::TEMPORARY_FAILURE],
            [NotifyType::TEMPORARY_FAILURE]
        ]
    );
    assert_eq!(failed(&p.b), [NotifyType::TEMPORARY_FAILURE]);
    // a retried a few seconds later and succeeded.
    assert_eq!(x.len(), 6);
    assert_eq!(rekeyed(&p.a), rekeyed(&p.b));
    assert!(
        x[4].1.time >= x[0].1.time + Duration::from_secs(4),
        "retried after a delay"
    );
}

#[test]
fn no_additional_sas_is_reported_and_not_retried() {
    let (mut client, mut server) = psk_policies();
    let extra = ChildPolicy {
        name: "extra".into(),
        ..ChildPolicy::default()
    };
    client.children.push(extra.clone());
    server.children.push(extra);
    let (mut p, h) = up(12, client, server);
    let keys = p.keys();
    // A minimal peer refuses every CHILD_SA after IKE_AUTH (§3.10.1).
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == CCS && m.flags.response() && m.message_id == 2 {
            reseal(c, &keys, |_, inner| {
                *inner = vec![Payload::new(PayloadBody::Notify(
                    ikelab_wire::payload::NotifyPayload::new(NotifyType::NO_ADDITIONAL_SAS, vec![]),
                ))];
            });
        }
        Action::Pass
    }));
    p.a.ep.create_child_sa(p.time, h, "extra").unwrap();
    p.flush();
    p.drive_until(20, |p| !failed(&p.a).is_empty());
    assert_eq!(failed(&p.a), [NotifyType::NO_ADDITIONAL_SAS]);
    assert_eq!(p.a.ep.sa_state(h), Some(SaState::Established));
    assert_eq!(p.a.ep.child_sas(h).len(), 1);
    let later = p.time + Duration::from_secs(120);
    p.drive_until(100, |p| p.time >= later);
    let until_later = p
        .exchanges(CCS)
        .iter()
        .filter(|(_, c)| c.time < later)
        .count();
    assert_eq!(until_later, 2, "not retried");
}

#[test]
fn invalid_ke_payload_in_create_child_sa_then_retry_with_the_group() {
    let (mut client, mut server) = psk_policies();
    let pfs = |s: &str| ChildPolicy {
        name: "pfs".into(),
        proposals: esp(s),
        ..ChildPolicy::default()
    };
    client.children.push(pfs("aes128gcm16-ecp256-x25519"));
    server.children.push(pfs("aes128gcm16-x25519"));
    let (mut p, h) = up(13, client, server);
    p.a.ep.create_child_sa(p.time, h, "pfs").unwrap();
    p.flush();
    p.drive_until(50, |p| p.a.children().len() == 2);
    let x = p.exchanges(CCS);
    assert_eq!(x.len(), 4);
    assert_eq!(ke_group(&p, &x[0].1), Some(KeMethod::ECP_256));
    let refusal = p
        .payloads(&x[1].1)
        .into_iter()
        .find_map(|x| match x.body {
            PayloadBody::Notify(n) => Some(n),
            _ => None,
        })
        .unwrap();
    assert_eq!(refusal.notify_type, NotifyType::INVALID_KE_PAYLOAD);
    assert_eq!(refusal.data, 31u16.to_be_bytes());
    assert_eq!(ke_group(&p, &x[2].1), Some(KeMethod::CURVE25519));
    assert_eq!(ke_group(&p, &x[3].1), Some(KeMethod::CURVE25519));
    assert_eq!(
        p.b.violations(),
        [Violation::KeGroupMismatch {
            received: KeMethod::ECP_256,
            wanted: KeMethod::CURVE25519
        }]
    );
    assert_keys_mirror(&p, p.a.children()[1].spi_in);
}

#[test]
fn lifetimes_trigger_rekeys_and_the_peer_that_rekeys_first_wins() {
    let (mut client, mut server) = psk_policies();
    let life = |secs: u64| Lifetime {
        rekey_after: Some(Duration::from_secs(secs)),
        jitter: Duration::from_secs(secs / 10),
        expire_after: None,
    };
    client.children[0].lifetime = life(600);
    server.children[0].lifetime = life(300);
    client.ike_lifetime = life(1000);
    server.ike_lifetime = Lifetime::NEVER;
    let (mut p, h) = up(14, client, server);
    let start = p.time;
    let old = p.a.children()[0].clone();
    p.drive_until(200, |p| !deleted(&p.a).is_empty());
    let x = p.exchanges(CCS);
    let req = x[0].1.message().header;
    assert!(!req.flags.initiator(), "b's shorter lifetime fires first");
    let at = x[0].1.time.saturating_since(start).as_secs();
    assert!(
        (270..=300).contains(&at),
        "rekeyed at {at} s: 300 s less up to 10 %"
    );
    assert_eq!(deleted(&p.a), [old.spi_in]);
    // a's own timer for the old SA was cancelled: up to 850 s only b rekeyed, every ~300 s.
    p.drive_until(500, |p| p.time >= start + Duration::from_secs(850));
    let by_a = p
        .exchanges(CCS)
        .iter()
        .filter(|(_, c)| {
            let f = c.message().header.flags;
            f.initiator() && !f.response()
        })
        .count();
    assert_eq!(by_a, 0);
    assert!(p.exchanges(CCS).len() >= 4);
    // The IKE SA rekeys on a's lifetime (1000 s less up to 100 s).
    p.drive_until(500, |p| !rekeyed(&p.a).is_empty());
    let at = p.time.saturating_since(start).as_secs();
    assert!((900..=1001).contains(&at), "IKE SA rekeyed at {at} s");
    assert_eq!(p.a.ep.sa_state(h), Some(SaState::Established));
    assert_eq!(assert_children_agree(&p, h, b_handle(&p)).len(), 1);
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
}

#[test]
fn rekeys_complete_under_loss_and_duplication() {
    for seed in 50..60 {
        let (client, server) = psk_policies();
        let (mut p, h) = up(seed, client, server);
        let hb = b_handle(&p);
        p.faults = LinkFaults {
            loss: 200,
            duplicate: 100,
            jitter_us: 20_000,
        };
        let old = p.a.children()[0].clone();
        p.a.ep.rekey_child_sa(p.time, h, old.spi_in).unwrap();
        p.a.ep.rekey_ike_sa(p.time, h).unwrap();
        p.flush();
        p.drive_until(3_000, |p| {
            deleted(&p.a).contains(&old.spi_in)
                && deleted(&p.b).contains(&old.spi_out)
                && !rekeyed(&p.b).is_empty()
                && !rekeyed(&p.a).is_empty()
        });
        assert_eq!(rekeyed(&p.a), rekeyed(&p.b), "seed {seed}");
        assert_eq!(assert_children_agree(&p, h, hb).len(), 1, "seed {seed}");
        assert!(
            p.a.closed().is_none() && p.b.closed().is_none(),
            "seed {seed}"
        );
    }
}
