//! Pair tests for RFC 7296 statements the requirements catalogue found ikelab short of:
//! §3.3.5 (a longer key than configured), §3.3.6 (transforms with attributes we do not
//! understand), §2.25 (CHILD_SA_NOT_FOUND answering our rekey) and §3.12 (Vendor IDs).

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use ikelab_engine::*;
use ikelab_policy::{ChildProposal, IkePolicy, IkeProposal, VendorId};
use ikelab_wire::iana::{
    EncrId, ExchangeType, NotifyType, PayloadType, TransformAttributeType, TransformType,
};
use ikelab_wire::payload::{Attribute, AttributeValue, Payload, PayloadBody, SaPayload, Transform};
use pair::harness::*;

const INIT: ExchangeType = ExchangeType::IKE_SA_INIT;
const CCS: ExchangeType = ExchangeType::CREATE_CHILD_SA;
const INFO: ExchangeType = ExchangeType::INFORMATIONAL;

fn with_proposals(mut p: IkePolicy, ike: &str, esp: &str) -> IkePolicy {
    p.ike_proposals = vec![IkeProposal::parse(ike).unwrap()];
    for c in &mut p.children {
        c.proposals = vec![ChildProposal::parse(esp).unwrap()];
    }
    p
}

fn established(n: &Node) -> IkeSaInfo {
    n.established().expect("IKE SA established")
}

/// The SA payload of the responder's IKE_SA_INIT response (unencrypted).
fn init_response_sa(p: &Pair) -> Option<SaPayload> {
    let (_, c) = p
        .exchanges(INIT)
        .into_iter()
        .find(|(_, c)| c.message().header.flags.response())?;
    c.message().payloads.into_iter().find_map(|x| match x.body {
        PayloadBody::Sa(s) => Some(s),
        _ => None,
    })
}

#[test]
fn responder_accepts_a_longer_aes_key_than_configured() {
    // §3.3.5: "if a peer is configured to accept a variable-length cipher with a key length
    // of X bits and is offered that cipher with a larger key length, the implementation
    // SHOULD accept the offer if it supports use of the longer key".
    let (client, server) = psk_policies();
    let client = with_proposals(client, "aes256-sha256-ecp256", "aes256-sha256");
    let server = with_proposals(server, "aes128-sha256-ecp256", "aes128-sha256");
    let p = Pair::handshake(11, client, server, 200);
    for n in [&p.a, &p.b] {
        let t = established(n).transforms;
        assert_eq!(
            (t.encryption.id, t.encryption.key_bits),
            (EncrId::AES_CBC, Some(256))
        );
        let c = &n.children()[0].transforms;
        assert_eq!(
            (c.encryption.id, c.encryption.key_bits),
            (EncrId::AES_CBC, Some(256))
        );
    }
    // The attribute went back unchanged (§3.3.6): Key Length 256 in the response.
    let sa = init_response_sa(&p).unwrap();
    let encr: Vec<_> = sa.proposals[0]
        .transforms
        .iter()
        .filter(|t| t.transform_type == TransformType::ENCR)
        .map(Transform::key_length)
        .collect();
    assert_eq!(encr, [Some(256)]);
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
}

#[test]
fn configured_key_length_wins_and_a_shorter_one_is_refused() {
    // An exact match is preferred to a longer key offered first.
    let (client, server) = psk_policies();
    let client = with_proposals(client, "aes256-aes128-sha256-ecp256", "aes128-sha256");
    let server = with_proposals(server, "aes128-sha256-ecp256", "aes128-sha256");
    let p = Pair::handshake(12, client, server, 200);
    assert_eq!(established(&p.b).transforms.encryption.key_bits, Some(128));
    // Never less than configured.
    let (client, server) = psk_policies();
    let client = with_proposals(client, "aes128-sha256-ecp256", "aes128-sha256");
    let server = with_proposals(server, "aes256-sha256-ecp256", "aes256-sha256");
    let mut p = Pair::new(13, server);
    p.connect(client);
    p.drive_until(200, |p| p.a.closed().is_some());
    assert!(p.a.established().is_none() && p.b.established().is_none());
    let (_, resp) = p.exchanges(INIT).pop().unwrap();
    assert_eq!(p.notifies(&resp), [NotifyType::NO_PROPOSAL_CHOSEN]);
}

fn odd_attribute() -> Attribute {
    Attribute {
        attribute_type: TransformAttributeType(0x3ff0),
        value: AttributeValue::Tv(1),
    }
}

/// Changes every ENCR transform of the initiator's IKE_SA_INIT request.
fn mutate_init_encr(p: &mut Pair, f: fn(&mut Vec<Transform>)) {
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let h = c.message().header;
        if h.exchange_type == INIT && !h.flags.response() {
            rewrite(c, |m| {
                for x in &mut m.payloads {
                    if let PayloadBody::Sa(sa) = &mut x.body {
                        for pr in &mut sa.proposals {
                            f(&mut pr.transforms);
                        }
                    }
                }
            });
        }
        Action::Pass
    }));
}

#[test]
fn a_transform_with_an_unknown_attribute_is_unacceptable() {
    // §3.3.6: "if the responder receives a transform ... that contains a Transform Attribute
    // it does not understand, it MUST consider this transform unacceptable".
    let (client, server) = psk_policies();
    let client = with_proposals(client, "aes128-sha256-ecp256", "aes128-sha256");
    let server = with_proposals(server, "aes128-sha256-ecp256", "aes128-sha256");
    let mut p = Pair::new(14, server);
    mutate_init_encr(&mut p, |ts| {
        for t in ts.iter_mut() {
            if t.transform_type == TransformType::ENCR {
                t.attributes.push(odd_attribute());
            }
        }
    });
    p.connect(client);
    p.drive_until(50, |p| p.exchanges(INIT).len() >= 2);
    let (_, resp) = p.exchanges(INIT).pop().unwrap();
    assert!(resp.message().header.flags.response());
    assert_eq!(p.notifies(&resp), [NotifyType::NO_PROPOSAL_CHOSEN]);
}

#[test]
fn other_transforms_of_the_type_are_processed_as_usual() {
    // The same with the odd transform (and an unknown ENCR ID) in front of the plain one:
    // the plain one is chosen.
    let (client, server) = psk_policies();
    let client = with_proposals(client, "aes128-sha256-ecp256", "aes128-sha256");
    let server = with_proposals(server, "aes128-sha256-ecp256", "aes128-sha256");
    let mut p = Pair::new(15, server);
    mutate_init_encr(&mut p, |ts| {
        let mut odd = Transform::with_key_length(TransformType::ENCR, EncrId::AES_CBC.0, 128);
        odd.attributes.push(odd_attribute());
        ts.insert(0, odd);
        ts.insert(0, Transform::new(TransformType::ENCR, 1024));
    });
    p.connect(client);
    p.drive_until(50, |p| init_response_sa(p).is_some());
    let sa = init_response_sa(&p).unwrap();
    let encr: Vec<&Transform> = sa.proposals[0]
        .transforms
        .iter()
        .filter(|t| t.transform_type == TransformType::ENCR)
        .collect();
    assert_eq!(encr.len(), 1);
    assert_eq!(
        (encr[0].id, encr[0].attributes.len(), encr[0].key_length()),
        (EncrId::AES_CBC.0, 1, Some(128))
    );
}

#[test]
fn child_sa_not_found_replaces_the_child_from_scratch() {
    // §2.25: "A peer that receives a CHILD_SA_NOT_FOUND notification SHOULD silently delete
    // the Child SA (if it still exists) and send a request to create a new Child SA from
    // scratch". The responder is made to answer so by a REKEY_SA naming an SPI it lacks.
    let (client, server) = psk_policies();
    let mut p = Pair::new(16, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    let keys = p.keys();
    let mut first = true;
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == CCS && !m.flags.response() && first {
            first = false;
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
    p.drive_until(100, |p| p.a.children().len() == 2);
    p.drive_until(100, |p| p.exchanges(CCS).len() == 4);
    let ccs = p.exchanges(CCS);
    assert_eq!(
        ccs.len(),
        4,
        "rekey + CHILD_SA_NOT_FOUND, then a fresh CHILD_SA"
    );
    assert_eq!(p.notifies(&ccs[1].1), [NotifyType::CHILD_SA_NOT_FOUND]);
    let fresh: Vec<PayloadType> = p
        .payloads(&ccs[2].1)
        .iter()
        .map(Payload::payload_type)
        .collect();
    assert_eq!(
        fresh,
        [
            PayloadType::SA,
            PayloadType::NONCE,
            PayloadType::TSI,
            PayloadType::TSR
        ],
        "no N(REKEY_SA)"
    );
    assert!(
        p.sent_by_a()
            .iter()
            .all(|c| c.message().header.exchange_type != INFO),
        "silently: no Delete for the old SA"
    );
    let now = p.a.ep.child_sas(h);
    assert_eq!(now.len(), 1);
    assert_ne!(now[0].0, old.spi_in);
    assert!(p.a.violations().is_empty());
}

#[test]
fn child_sa_not_found_for_a_child_already_deleted_creates_nothing() {
    // The peer's Delete crossed our rekey: the SA is gone on purpose, nothing is recreated.
    let (client, server) = psk_policies();
    let mut p = Pair::new(17, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    let old = p.a.children()[0].clone();
    let bh =
        p.b.events
            .iter()
            .find_map(|e| match e.kind {
                EventKind::IkeSaEstablished(_) => e.sa,
                _ => None,
            })
            .unwrap();
    // Lose a's rekey request once: its retransmission arrives after b's Delete exchange.
    let mut lose = true;
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == CCS && !m.flags.response() && lose {
            lose = false;
            return Action::Drop;
        }
        Action::Pass
    }));
    p.a.ep.rekey_child_sa(p.time, h, old.spi_in).unwrap();
    p.flush();
    p.b.ep.delete_child_sa(p.time, bh, old.spi_out).unwrap();
    p.flush();
    p.drive_until(400, |p| {
        p.a.ep.child_sas(h).is_empty() && p.exchanges(CCS).len() == 3
    });
    // Nothing follows (a fresh CHILD_SA would within a few round trips).
    let until = p.time + ikelab_policy::Duration::from_secs(5);
    p.drive_until(400, |p| p.time >= until);
    // a retransmitted the rekey after the Delete; b no longer knew the SA.
    let ccs = p.exchanges(CCS);
    let answered: Vec<_> = ccs
        .iter()
        .filter(|(_, c)| c.message().header.flags.response())
        .map(|(_, c)| p.notifies(c))
        .collect();
    assert_eq!(answered, [vec![NotifyType::CHILD_SA_NOT_FOUND]]);
    assert!(p.a.ep.child_sas(h).is_empty(), "no replacement");
    assert_eq!(
        ccs.iter()
            .filter(|(_, c)| !c.message().header.flags.response()
                && p.payloads(c)
                    .iter()
                    .any(|x| x.payload_type() == PayloadType::TSI))
            .count(),
        2,
        "the rekey request (lost once, retransmitted), no CHILD_SA request after it"
    );
}

#[test]
fn vendor_ids_go_out_in_ike_sa_init_both_ways() {
    // §3.12: Vendor ID payloads after the notifies, critical bit clear; the peer's are
    // ignored.
    let (mut client, mut server) = psk_policies();
    client.features.vendor_ids = vec![VendorId::parse("0xc0ffee01").unwrap()];
    server.features.vendor_ids = vec![
        VendorId::parse("4048b7d56ebce885").unwrap(),
        VendorId::parse("01").unwrap(),
    ];
    let p = Pair::handshake(18, client, server, 200);
    established(&p.a);
    established(&p.b);
    let vids = |response: bool| -> Vec<(bool, Vec<u8>)> {
        let (_, c) = p
            .exchanges(INIT)
            .into_iter()
            .find(|(_, c)| c.message().header.flags.response() == response)
            .unwrap();
        let payloads = c.message().payloads;
        let tail: Vec<_> = payloads
            .iter()
            .skip_while(|x| x.payload_type() != PayloadType::VENDOR_ID)
            .collect();
        assert!(
            tail.iter()
                .all(|x| x.payload_type() == PayloadType::VENDOR_ID),
            "Vendor IDs last"
        );
        tail.into_iter()
            .filter_map(|x| match &x.body {
                PayloadBody::VendorId(d) => Some((x.critical, d.clone())),
                _ => None,
            })
            .collect()
    };
    assert_eq!(vids(false), [(false, vec![0xc0, 0xff, 0xee, 0x01])]);
    assert_eq!(
        vids(true),
        [
            (false, vec![0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85]),
            (false, vec![0x01])
        ]
    );
    assert!(p.a.violations().is_empty() && p.b.violations().is_empty());
    // Only IKE_SA_INIT carries them.
    assert!(p
        .wire
        .iter()
        .filter(|c| c.message().header.exchange_type != INIT)
        .all(|c| p
            .payloads(c)
            .iter()
            .all(|x| x.payload_type() != PayloadType::VENDOR_ID)));
}

#[test]
fn an_initiator_forcing_encapsulation_moves_to_the_nat_t_port() {
    // §2.23: a responder that sees a NAT_DETECTION_SOURCE_IP mismatch enables NAT traversal.
    // An initiator that fakes the mismatch (strongSwan's encap = yes) claims to be behind a
    // NAT, so it must float to port 4500 as such an initiator would: otherwise the
    // responder's ESP-in-UDP has nowhere to go.
    let (mut client, server) = psk_policies();
    client.nat_traversal.force_encapsulation = true;
    let p = Pair::handshake(19, client, server, 200);
    let b = established(&p.b);
    assert!(b.nat_detected.remote && !b.nat_detected.local);
    let auth_request = p
        .exchanges(ExchangeType::IKE_AUTH)
        .into_iter()
        .map(|(_, c)| c)
        .find(|c| !c.message().header.flags.response())
        .unwrap();
    assert_eq!(
        (auth_request.from.port(), auth_request.to.port()),
        (4500, 4500)
    );
    for n in [&p.a, &p.b] {
        assert!(n.children()[0].udp_encapsulation);
    }
}

#[test]
fn temporary_failure_for_several_minutes_closes_the_ike_sa() {
    // §2.25: "If a peer continues to receive TEMPORARY_FAILURE on the same IKE SA after
    // several minutes, it SHOULD conclude that the state information is out of sync and
    // close the IKE SA."
    let (client, server) = psk_policies();
    let mut p = Pair::new(20, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    let keys = p.keys();
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == CCS && m.flags.response() {
            reseal(c, &keys, |_, inner| {
                *inner = vec![Payload::new(PayloadBody::Notify(
                    ikelab_wire::payload::NotifyPayload::new(
                        NotifyType::TEMPORARY_FAILURE,
                        Vec::new(),
                    ),
                ))];
            });
        }
        Action::Pass
    }));
    let start = p.time;
    let old = p.a.children()[0].clone();
    p.a.ep.rekey_child_sa(p.time, h, old.spi_in).unwrap();
    p.flush();
    p.drive_until(2000, |p| p.a.closed().is_some());
    assert_eq!(p.a.closed(), Some(CloseReason::DeletedLocally));
    let requests: Vec<Timestamp> = p
        .sent_by_a()
        .iter()
        .filter(|c| {
            let h = c.message().header;
            h.exchange_type == CCS && !h.flags.response()
        })
        .map(|c| c.time)
        .collect();
    assert!(requests.len() > 5, "retried: {}", requests.len());
    let delete = p
        .sent_by_a()
        .iter()
        .filter(|c| c.message().header.exchange_type == INFO)
        .map(|c| c.time)
        .next()
        .unwrap();
    let waited = delete.saturating_since(start).as_micros();
    assert!(
        (300_000_000..360_000_000).contains(&waited),
        "deleted after {waited} µs"
    );
}

#[test]
fn no_additional_sas_on_a_rekey_deletes_then_creates() {
    // §4: "If the responder rejects the CREATE_CHILD_SA request with a NO_ADDITIONAL_SAS
    // notification, the implementation MUST be capable of instead deleting the old SA and
    // creating a new one."
    let (client, server) = psk_policies();
    let mut p = Pair::new(21, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    let keys = p.keys();
    let mut first = true;
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == CCS && m.flags.response() && first {
            first = false;
            reseal(c, &keys, |_, inner| {
                *inner = vec![Payload::new(PayloadBody::Notify(
                    ikelab_wire::payload::NotifyPayload::new(
                        NotifyType::NO_ADDITIONAL_SAS,
                        Vec::new(),
                    ),
                ))];
            });
        }
        Action::Pass
    }));
    let old = p.a.children()[0].clone();
    p.a.ep.rekey_child_sa(p.time, h, old.spi_in).unwrap();
    p.flush();
    p.drive_until(200, |p| p.a.children().len() == 2);
    let requests: Vec<(ExchangeType, Vec<PayloadType>)> = p
        .sent_by_a()
        .iter()
        .filter(|c| !c.message().header.flags.response())
        .map(|c| {
            (
                c.message().header.exchange_type,
                p.payloads(c).iter().map(Payload::payload_type).collect(),
            )
        })
        .skip(2)
        .collect();
    assert_eq!(
        requests,
        [
            (
                CCS,
                vec![
                    PayloadType::NOTIFY,
                    PayloadType::SA,
                    PayloadType::NONCE,
                    PayloadType::TSI,
                    PayloadType::TSR
                ]
            ),
            (INFO, vec![PayloadType::DELETE]),
            (
                CCS,
                vec![
                    PayloadType::SA,
                    PayloadType::NONCE,
                    PayloadType::TSI,
                    PayloadType::TSR
                ]
            ),
        ]
    );
    let now = p.a.ep.child_sas(h);
    assert_eq!(now.len(), 1);
    assert_ne!(now[0].0, old.spi_in);
    assert!(p.a.violations().is_empty());
}
