//! Every FaultAction and a set of Mutations, each with an effect a test can see.

mod common;

use common::*;
use ikelab_engine::{CloseReason, EventKind};
use ikelab_policy::Duration;
use ikelab_sim::*;
use ikelab_wire::iana::{ExchangeType, NotifyType, PayloadType};
use ikelab_wire::Message;

fn with_fault(seed: u64, selector: Selector, action: FaultAction) -> Setup {
    let mut s = setup(seed);
    s.w.add_fault(Fault { selector, action });
    s.connect();
    s
}

fn retransmissions(w: &World, id: NodeId) -> usize {
    count(w, id, |k| matches!(k, EventKind::Retransmitted { .. }))
}

#[test]
fn drop_first_auth_request_forces_a_retransmission() {
    let mut s = setup(1);
    let sel = Selector::ike(ExchangeType::IKE_AUTH)
        .request()
        .from(s.a)
        .nth(1);
    s.w.add_fault(Fault {
        selector: sel,
        action: FaultAction::Drop,
    });
    s.connect();
    assert!(s.establish(Duration::from_secs(30)));
    let auth: Vec<&WireRecord> =
        s.w.wire()
            .iter()
            .filter(|r| {
                s.w.describe(r)
                    .is_some_and(|d| d.exchange == ExchangeType::IKE_AUTH && !d.response)
            })
            .collect();
    assert_eq!(auth.len(), 2, "the original and one retransmission");
    assert_eq!(auth[0].dropped, Some(DropReason::Fault));
    assert_eq!(auth[0].fault.as_deref(), Some("drop"));
    assert_eq!(auth[1].dropped, None);
    assert_eq!(auth[0].bytes, auth[1].bytes, "retransmitted unchanged");
    assert_eq!(retransmissions(&s.w, s.a), 1);
    assert_eq!(
        s.w.faults().next().unwrap().1,
        2,
        "both matched the selector"
    );
}

#[test]
fn dropping_every_response_times_out() {
    let mut s = with_fault(
        2,
        Selector::ike(ExchangeType::IKE_SA_INIT).response(),
        FaultAction::Drop,
    );
    s.w.run_until(s.deadline(Duration::from_secs(600)), |_| false)
        .unwrap();
    let closed = s.w.events(s.a).iter().find_map(|(_, e)| match &e.kind {
        EventKind::Closed { reason } => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(
        closed,
        Some(CloseReason::Timeout {
            exchange: ExchangeType::IKE_SA_INIT
        })
    );
    assert!(retransmissions(&s.w, s.a) >= 3);
}

#[test]
fn duplicated_request_is_answered_from_the_cache() {
    let mut s = with_fault(
        3,
        Selector::ike(ExchangeType::IKE_AUTH).request().nth(1),
        FaultAction::Duplicate,
    );
    assert!(s.establish(Duration::from_secs(5)));
    s.w.run_for(Duration::from_secs(1)).unwrap();
    let auth_resp: Vec<IkeSummary> = sent_by(&s.w, s.b)
        .into_iter()
        .filter(|d| d.exchange == ExchangeType::IKE_AUTH)
        .collect();
    assert_eq!(auth_resp.len(), 2, "the responder answered the copy too");
    let copies =
        s.w.wire()
            .iter()
            .filter(|r| r.fault.as_deref() == Some("duplicate (copy)"))
            .count();
    assert_eq!(copies, 1);
    assert_eq!(
        count(&s.w, s.b, |k| matches!(k, EventKind::IkeSaEstablished(_))),
        1
    );
}

#[test]
fn delay_postpones_the_arrival() {
    let mut s = with_fault(
        4,
        Selector::ike(ExchangeType::IKE_SA_INIT).request(),
        FaultAction::Delay(Duration::from_millis(300)),
    );
    assert!(s.establish(Duration::from_secs(5)));
    // The response goes out when the delayed request arrives: 10 ms + 300 ms later.
    let resp = s.w.wire().iter().find(|r| r.from == s.b).unwrap();
    assert_eq!(resp.time.as_micros(), START.as_micros() + 310_000);
    assert_eq!(s.w.wire()[0].fault.as_deref(), Some("delay 300ms"));
}

#[test]
fn replayed_auth_request_after_establishment() {
    let mut s = with_fault(
        5,
        Selector::ike(ExchangeType::IKE_AUTH).request(),
        FaultAction::Replay {
            after: Duration::from_secs(2),
        },
    );
    assert!(s.establish(Duration::from_secs(5)));
    s.w.run_for(Duration::from_secs(5)).unwrap();
    let replays: Vec<&WireRecord> =
        s.w.wire()
            .iter()
            .filter(|r| {
                r.fault
                    .as_deref()
                    .is_some_and(|f| f.starts_with("replay (sent first"))
            })
            .collect();
    assert_eq!(replays.len(), 1);
    assert_eq!(replays[0].time.as_micros(), START.as_micros() + 2_020_000);
    // A replay of the last request gets the cached response again; nothing new is set up.
    let responses = sent_by(&s.w, s.b)
        .into_iter()
        .filter(|d| d.exchange == ExchangeType::IKE_AUTH)
        .count();
    assert_eq!(responses, 2);
    assert_eq!(
        count(&s.w, s.b, |k| matches!(k, EventKind::ChildSaInstalled(_))),
        1
    );
}

#[test]
fn corrupted_auth_request_fails_integrity_and_is_retransmitted() {
    let mut s = with_fault(
        6,
        Selector::ike(ExchangeType::IKE_AUTH).request().nth(1),
        FaultAction::CorruptByte {
            offset: -1,
            xor: 0x01,
        },
    );
    assert!(s.establish(Duration::from_secs(30)));
    let auth: Vec<&WireRecord> =
        s.w.wire()
            .iter()
            .filter(|r| {
                s.w.describe(r)
                    .is_some_and(|d| d.exchange == ExchangeType::IKE_AUTH && !d.response)
            })
            .collect();
    assert_eq!(auth.len(), 2);
    let bad = s.w.describe(auth[0]).unwrap();
    assert!(!bad.decrypted, "the ICV no longer verifies: {bad}");
    assert!(s.w.describe(auth[1]).unwrap().decrypted);
    assert_eq!(auth[0].bytes.len(), auth[1].bytes.len());
    assert_eq!(retransmissions(&s.w, s.a), 1);
}

#[test]
fn corrupt_byte_out_of_range_is_noted() {
    let mut s = with_fault(
        7,
        Selector::ike(ExchangeType::IKE_SA_INIT).request(),
        FaultAction::CorruptByte {
            offset: 100_000,
            xor: 1,
        },
    );
    assert!(s.establish(Duration::from_secs(5)));
    let note = s.w.wire()[0].fault.clone().unwrap();
    assert!(note.contains("not applied"), "{note}");
}

#[test]
fn esp_faults_select_esp_only() {
    let mut s = setup(8);
    s.w.add_fault(Fault {
        selector: Selector::esp().from(s.a).nth(2),
        action: FaultAction::Drop,
    });
    s.connect();
    assert!(s.establish(Duration::from_secs(5)));
    s.w.send_pings(s.a, ip(A), ip(B), 4, 16).unwrap();
    s.w.run_for(Duration::from_secs(1)).unwrap();
    assert_eq!(s.w.echo_replies(s.a), 3);
    let dropped: Vec<&WireRecord> = s.w.wire().iter().filter(|r| r.dropped.is_some()).collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].kind, WireKind::Esp);
}

#[test]
fn corrupted_esp_is_counted_not_delivered() {
    let mut s = setup(9);
    s.w.add_fault(Fault {
        selector: Selector::esp().from(s.a).nth(1),
        action: FaultAction::CorruptByte {
            offset: 20,
            xor: 0x80,
        },
    });
    s.connect();
    assert!(s.establish(Duration::from_secs(5)));
    s.w.send_pings(s.a, ip(A), ip(B), 2, 16).unwrap();
    s.w.run_for(Duration::from_secs(1)).unwrap();
    assert_eq!(s.w.echo_replies(s.a), 1);
    assert_eq!(s.w.node(s.b).data_stats().integrity_failed, 1);
}

// ---- mutations -------------------------------------------------------------------------

fn mutate(seed: u64, selector: Selector, m: Mutation) -> Setup {
    let mut s = with_fault(seed, selector, FaultAction::Mutate(m));
    s.w.run_for(Duration::from_secs(3)).unwrap();
    s
}

#[test]
fn unknown_critical_payload_in_auth_request_is_refused() {
    let s = mutate(
        10,
        Selector::ike(ExchangeType::IKE_AUTH).request().nth(1),
        Mutation::AddUnknownPayload {
            payload_type: 49,
            critical: true,
        },
    );
    let req =
        s.w.wire()
            .iter()
            .find(|r| r.fault.is_some())
            .map(|r| s.w.describe(r).unwrap())
            .unwrap();
    assert!(req.decrypted, "re-sealed with a valid ICV: {req}");
    assert_eq!(req.payloads.last(), Some(&PayloadType(49)));
    assert!(
        sent_notify(
            &s.w,
            s.b,
            ExchangeType::IKE_AUTH,
            NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD
        ),
        "{:?}",
        sent_by(&s.w, s.b)
    );
    assert!(!installed(&s.w, s.b));
}

#[test]
fn unknown_non_critical_payload_is_ignored() {
    let mut s = mutate(
        11,
        Selector::ike(ExchangeType::IKE_AUTH).request().nth(1),
        Mutation::AddUnknownPayload {
            payload_type: 49,
            critical: false,
        },
    );
    assert!(s.establish(Duration::from_secs(1)));
}

#[test]
fn major_version_3_gets_invalid_major_version() {
    let s = mutate(
        12,
        Selector::ike(ExchangeType::IKE_SA_INIT).request().nth(1),
        Mutation::MajorVersion(3),
    );
    let first = &s.w.wire()[0];
    assert_eq!(s.w.describe(first).unwrap().major_version, 3);
    assert_eq!(first.fault.as_deref(), Some("mutate: major version 3"));
    assert!(sent_notify(
        &s.w,
        s.b,
        ExchangeType::IKE_SA_INIT,
        NotifyType::INVALID_MAJOR_VERSION
    ));
}

#[test]
fn omitted_nonce_is_refused() {
    let s = mutate(
        13,
        Selector::ike(ExchangeType::IKE_SA_INIT).request(),
        Mutation::OmitPayload(PayloadType::NONCE),
    );
    let d = s.w.describe(&s.w.wire()[0]).unwrap();
    assert!(!d.payloads.contains(&PayloadType::NONCE));
    assert!(!installed(&s.w, s.b));
    assert_eq!(
        count(&s.w, s.b, |k| matches!(k, EventKind::IkeSaEstablished(_))),
        0
    );
}

#[test]
fn ke_group_1025_gets_invalid_ke_payload() {
    let s = mutate(
        14,
        Selector::ike(ExchangeType::IKE_SA_INIT).request().nth(1),
        Mutation::KeGroup(1025),
    );
    assert!(
        sent_notify(
            &s.w,
            s.b,
            ExchangeType::IKE_SA_INIT,
            NotifyType::INVALID_KE_PAYLOAD
        ),
        "{:?}",
        sent_by(&s.w, s.b)
    );
}

#[test]
fn swapped_auth_payloads_still_establish() {
    // RFC 7296 §3.2: payload order is not significant except where stated.
    let mut s = mutate(
        15,
        Selector::ike(ExchangeType::IKE_AUTH).request().nth(1),
        Mutation::SwapPayloads(0, 1),
    );
    let req =
        s.w.wire()
            .iter()
            .find(|r| r.fault.is_some())
            .map(|r| s.w.describe(r).unwrap())
            .unwrap();
    assert_eq!(req.payloads[1], PayloadType::IDI);
    assert!(s.establish(Duration::from_secs(1)));
}

#[test]
fn truncated_and_failed_mutations_are_recorded() {
    let s = mutate(
        16,
        Selector::ike(ExchangeType::IKE_SA_INIT).request().nth(1),
        Mutation::TruncateAfterHeader,
    );
    let first = &s.w.wire()[0];
    assert_eq!(first.bytes.len(), 28);
    let m = Message::parse(&first.bytes).unwrap().message;
    assert!(m.payloads.is_empty());
    // A mutation that finds nothing to change leaves the datagram alone and says why.
    let s = mutate(
        17,
        Selector::ike(ExchangeType::IKE_SA_INIT).request().nth(1),
        Mutation::RemoveNotify(NotifyType::COOKIE),
    );
    let note = s.w.wire()[0].fault.clone().unwrap();
    assert!(
        note.contains("not applied") && note.contains("COOKIE"),
        "{note}"
    );
}

#[test]
fn message_id_mutation_in_encrypted_request() {
    let s = mutate(
        18,
        Selector::ike(ExchangeType::IKE_AUTH).request().nth(1),
        Mutation::MessageId(7),
    );
    let req =
        s.w.wire()
            .iter()
            .find(|r| r.fault.is_some())
            .map(|r| s.w.describe(r).unwrap())
            .unwrap();
    assert_eq!(req.message_id, 7);
    assert!(req.decrypted);
    // Outside the window: the responder must not answer it (RFC 7296 §2.3).
    assert!(!sent_by(&s.w, s.b)
        .iter()
        .any(|d| d.exchange == ExchangeType::IKE_AUTH && d.message_id == 7));
    assert!(!installed(&s.w, s.b));
}

#[test]
fn ts_protocol_and_notify_mutations_change_the_inner_payloads() {
    let s = mutate(
        19,
        Selector::ike(ExchangeType::IKE_AUTH).request().nth(1),
        Mutation::AddNotify {
            notify_type: 40_000,
            data: vec![1, 2, 3],
        },
    );
    let req =
        s.w.wire()
            .iter()
            .find(|r| r.fault.is_some())
            .map(|r| s.w.describe(r).unwrap())
            .unwrap();
    assert!(req.notifies.contains(&NotifyType(40_000)), "{req}");
    // Unknown status notifies are ignored.
    assert!(installed(&s.w, s.b));
    // TSi/TSr narrowed to protocol 254 on both sides: ICMP no longer has a CHILD_SA.
    let mut s = mutate(
        20,
        Selector::ike(ExchangeType::IKE_AUTH).request().nth(1),
        Mutation::TsProtocol(0xfe),
    );
    for id in [s.a, s.b] {
        let child = s.w.events(id).iter().find_map(|(_, e)| match &e.kind {
            EventKind::ChildSaInstalled(c) => Some(c.clone()),
            _ => None,
        });
        let child = child.expect("installed");
        assert!(child.local_ts.iter().all(|t| t.ip_protocol == 0xfe));
    }
    let err = s.w.send_pings(s.a, ip(A), ip(B), 1, 8).unwrap_err();
    assert!(matches!(err, SimError::DataPlane { .. }), "{err}");
}

#[test]
fn reserved_bits_are_ignored() {
    // RFC 7296 §3.2: RESERVED MUST be ignored on receipt. In IKE_AUTH (inner payloads,
    // re-sealed) the exchange completes.
    let mut s = mutate(
        21,
        Selector::ike(ExchangeType::IKE_AUTH).request().nth(1),
        Mutation::SetReservedBits,
    );
    assert!(s.establish(Duration::from_secs(1)));
    // In IKE_SA_INIT the responder answers normally, but the initiator's AUTH signs the
    // message it sent, not the mutated one (§2.15): on-path changes to IKE_SA_INIT always
    // end in AUTHENTICATION_FAILED.
    let s = mutate(
        22,
        Selector::ike(ExchangeType::IKE_SA_INIT).request().nth(1),
        Mutation::SetReservedBits,
    );
    let m = Message::parse(&s.w.wire()[0].bytes).unwrap().message;
    assert!(m.payloads.iter().all(|p| p.reserved == 0x7f));
    let resp = &sent_by(&s.w, s.b)[0];
    assert_eq!(
        (resp.exchange, resp.payloads[..3].to_vec()),
        (
            ExchangeType::IKE_SA_INIT,
            vec![PayloadType::SA, PayloadType::KE, PayloadType::NONCE]
        )
    );
    assert!(sent_notify(
        &s.w,
        s.b,
        ExchangeType::IKE_AUTH,
        NotifyType::AUTHENTICATION_FAILED
    ));
}

#[test]
fn mutations_reseal_cbc_hmac_sas_too() {
    let mut s = setup(23);
    s.client.ike_proposals =
        vec![ikelab_policy::IkeProposal::parse("aes128-sha256-x25519").unwrap()];
    s.w.add_fault(Fault {
        selector: Selector::ike(ExchangeType::IKE_AUTH).request().nth(1),
        action: FaultAction::Mutate(Mutation::DuplicatePayload(PayloadType::IDI)),
    });
    s.connect();
    s.w.run_for(Duration::from_secs(3)).unwrap();
    let k = s.w.ike_keys().next().unwrap();
    assert!(k.integrity.is_some(), "a CBC + HMAC SA");
    let req =
        s.w.wire()
            .iter()
            .find(|r| r.fault.is_some())
            .map(|r| s.w.describe(r).unwrap())
            .unwrap();
    assert!(req.decrypted, "{req}");
    assert_eq!(&req.payloads[..2], [PayloadType::IDI, PayloadType::IDI]);
    // The responder opened it (valid ICV) and refused the duplicate IDi.
    assert!(sent_notify(
        &s.w,
        s.b,
        ExchangeType::IKE_AUTH,
        NotifyType::INVALID_SYNTAX
    ));
}

/// INVALID_SYNTAX may only be sent protected (RFC 7296 §3.10.1): the responder drops the
/// request with bad KE data, records why, and is not left with an SA from it.
#[test]
fn short_ke_data_is_dropped_unanswered() {
    let s = mutate(
        24,
        Selector::ike(ExchangeType::IKE_SA_INIT).request().nth(1),
        Mutation::KeDataLen(7),
    );
    assert!(!sent_notify(
        &s.w,
        s.b,
        ExchangeType::IKE_SA_INIT,
        NotifyType::INVALID_SYNTAX
    ));
    assert!(
        count(&s.w, s.b, |k| matches!(
            k,
            EventKind::Violation(ikelab_engine::Violation::InvalidKeData { .. })
        )) >= 1
    );
}
