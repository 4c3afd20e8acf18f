//! Seeds for the `responder_state` fuzz target that reach paths a random walk rarely finds:
//! Vendor IDs received, transform attributes we do not understand, a longer AES key than
//! configured (IKE and ESP), and CHILD_SA_NOT_FOUND / NO_ADDITIONAL_SAS / TEMPORARY_FAILURE
//! answers to the responder's own CHILD_SA rekey. Each seed is built here from the genuine
//! messages (as `3 pos xor` flips, so the target's operation language is unchanged), checked
//! to reach its path, and written to `$IKELAB_WRITE_SEEDS/<name>` when that variable is set:
//!
//! `IKELAB_WRITE_SEEDS=$PWD/corpora/responder_state cargo test -p ikelab-engine fuzzing::seeds`

use ikelab_wire::iana::{ExchangeType, NotifyType, PayloadType};

use super::{drive, psk_policies, Seen};
use crate::event::{Direction, MessageTrace};
use crate::{EventKind, Transmit};

const SK: u8 = 46;
const NOTIFY: u8 = 41;
const VENDOR_ID: u8 = 43;

/// What one run of the harness showed: the responder's events and, per operation, the
/// initiator's undelivered datagrams.
struct Run {
    events: Vec<EventKind>,
    pending: Vec<Vec<Transmit>>,
}

fn run(data: &[u8]) -> Run {
    let (server, client) = psk_policies();
    let mut r = Run {
        events: Vec::new(),
        pending: Vec::new(),
    };
    drive(data, server, client, &mut |seen| match seen {
        Seen::Responder(e) => r.events.push(e.kind.clone()),
        Seen::Pending(p) => r.pending.push(p.to_vec()),
    });
    r
}

impl Run {
    fn traces(&self) -> impl Iterator<Item = &MessageTrace> {
        self.events.iter().filter_map(|e| match e {
            EventKind::Message(m) => Some(m),
            _ => None,
        })
    }

    fn received(&self, exchange: ExchangeType, response: bool) -> Vec<&MessageTrace> {
        self.traces()
            .filter(|m| m.direction == Direction::Received)
            .filter(|m| m.exchange == exchange && m.response == response)
            .collect()
    }

    fn sent(&self, exchange: ExchangeType, response: bool) -> Vec<&MessageTrace> {
        self.traces()
            .filter(|m| m.direction == Direction::Sent && !m.retransmission)
            .filter(|m| m.exchange == exchange && m.response == response)
            .collect()
    }

    fn established(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, EventKind::IkeSaEstablished(_)))
            .count()
    }

    /// The first datagram the last operation found pending.
    fn last_pending(&self) -> Option<Vec<u8>> {
        Some(self.pending.last()?.first()?.payload.clone())
    }
}

/// `3 pos xor` operations turning `from` into `to` (same length; changes only in the first
/// 256 octets, which is all a position octet reaches).
fn flips(from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut ops = Vec::new();
    for (i, (a, b)) in from.iter().zip(to).enumerate() {
        if a != b {
            let pos = u8::try_from(i).expect("change within the first 256 octets");
            ops.extend([3, pos, a ^ b]);
        }
    }
    ops
}

/// Every TV Key Length attribute (type 14 with the AF bit) in the first 256 octets.
fn key_lengths(msg: &[u8]) -> Vec<usize> {
    (0..msg.len().min(256).saturating_sub(3))
        .filter(|&i| msg[i] == 0x80 && msg[i + 1] == 0x0e)
        .collect()
}

/// `msg` with every Key Length set to 192 bits: longer than a configured 128, shorter than
/// 256, so only the "longer key" rule can pick it.
fn all_keys_192(msg: &[u8]) -> Vec<u8> {
    let mut m = msg.to_vec();
    for i in key_lengths(msg) {
        m[i + 2..i + 4].copy_from_slice(&192u16.to_be_bytes());
    }
    m
}

/// `msg` with its first Key Length attribute turned into attribute type 15 (unassigned).
fn first_key_length_unknown(msg: &[u8]) -> Vec<u8> {
    let mut m = msg.to_vec();
    let i = key_lengths(msg)[0];
    m[i + 1] = 0x0f;
    m
}

/// The plaintext payload region of an SK payload under the null provider: where it starts and
/// how long it is. IV and ICV lengths are found by requiring that the inner chain fill the
/// region up to the padding exactly.
fn sk_region(msg: &[u8]) -> Option<(usize, usize)> {
    if msg.get(16) != Some(&SK) {
        return None;
    }
    let first = *msg.get(28)?;
    for iv in [8, 16, 0, 12] {
        for icv in [16, 12, 0, 24, 32, 8] {
            let Some(end) = msg.len().checked_sub(icv + 1) else {
                continue;
            };
            let Some(region_end) = end.checked_sub(usize::from(msg[end])) else {
                continue;
            };
            let start = 32 + iv;
            let (mut at, mut next) = (start, first);
            while next != 0 && at + 4 <= region_end {
                let len = usize::from(u16::from_be_bytes([msg[at + 2], msg[at + 3]]));
                if len < 4 {
                    break;
                }
                next = msg[at];
                at += len;
            }
            if next == 0 && at == region_end && region_end > start {
                return Some((start, region_end - start));
            }
        }
    }
    None
}

/// The genuine CREATE_CHILD_SA response `msg` rewritten into an error answer: one Notify of
/// type `n` (protocol ESP, the same SPI octets) filling the payload region.
fn refusal(msg: &[u8], n: NotifyType) -> Vec<u8> {
    let (start, len) = sk_region(msg).expect("an SK payload under the null provider");
    assert!(len >= 12 && start + 8 < 256);
    let mut m = msg.to_vec();
    m[28] = NOTIFY;
    m[start] = 0;
    m[start + 1] = 0;
    m[start + 2..start + 4].copy_from_slice(&u16::try_from(len).expect("short").to_be_bytes());
    m[start + 4] = 3;
    m[start + 5] = 4;
    m[start + 6..start + 8].copy_from_slice(&n.0.to_be_bytes());
    m
}

/// Advances time until the responder sends a CREATE_CHILD_SA request (its CHILD_SA rekey);
/// returns the operations with the initiator's answer pending. Small steps near the rekey
/// time keep the initiator's own rekey (also due within the jitter) out of the same step, so
/// the request is no collision.
fn until_responder_rekeys(mut ops: Vec<u8>) -> Vec<u8> {
    let before = run(&ops).sent(ExchangeType::CREATE_CHILD_SA, false).len();
    for step in 0..800 {
        // Rekeys are due from 54 minutes on (a tenth of jitter at most): 12 × 255 s first.
        // After a refusal, one long step (the retry is due within seconds, and the
        // TEMPORARY_FAILURE seed needs minutes to pass).
        let secs = match (before, step) {
            (0, 0..12) | (1.., 0) => 255,
            _ => 5,
        };
        ops.extend([4, secs, 0]);
        if run(&ops).sent(ExchangeType::CREATE_CHILD_SA, false).len() > before {
            return ops;
        }
    }
    panic!("the responder never rekeyed");
}

/// Seeds ending in the responder's CHILD_SA rekey answered with `n`, `rounds` times.
fn rekey_refused(n: NotifyType, rounds: usize) -> Vec<u8> {
    let mut ops = vec![0, 0];
    for _ in 0..rounds {
        ops = until_responder_rekeys(ops);
        let mut probe = ops.clone();
        probe.push(5);
        let genuine = run(&probe).last_pending().expect("the initiator answered");
        ops.extend(flips(&genuine, &refusal(&genuine, n)));
        ops.push(0);
    }
    ops
}

fn write(name: &str, seed: &[u8]) {
    if let Some(dir) = std::env::var_os("IKELAB_WRITE_SEEDS") {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, seed).expect("seed directory writable");
    }
}

fn has_notify(m: &MessageTrace, n: NotifyType) -> bool {
    m.notifies.contains(&n)
}

#[test]
fn genuine_exchange_carries_the_responders_vendor_id() {
    let seed = [0, 0];
    let r = run(&seed);
    assert_eq!(r.established(), 1);
    let init = r.sent(ExchangeType::IKE_SA_INIT, true);
    assert!(init[0].payloads.contains(&PayloadType::VENDOR_ID));
    write("vendor-id-sent", &seed);
}

#[test]
fn a_vendor_id_from_the_initiator_is_ignored() {
    // IKE_SA_INIT's notifies lie past octet 256; IKE_AUTH's INITIAL_CONTACT does not. Its
    // type octet sits in IDi's generic header, which AUTH does not cover (§2.15).
    let auth = run(&[0, 5]).last_pending().expect("IKE_AUTH pending");
    let (start, _) = sk_region(&auth).expect("SK payload");
    let next_of_idi = start;
    assert_eq!(auth[next_of_idi], NOTIFY, "IDi then INITIAL_CONTACT");
    let mut to = auth.clone();
    to[next_of_idi] = VENDOR_ID;
    let seed = [vec![0], flips(&auth, &to), vec![0]].concat();
    let r = run(&seed);
    let got = r.received(ExchangeType::IKE_AUTH, false);
    assert!(got[0].payloads.contains(&PayloadType::VENDOR_ID));
    assert_eq!(r.established(), 1, "an unknown Vendor ID changes nothing");
    write("vendor-id-received", &seed);
}

#[test]
fn ike_proposal_attributes_unknown_and_longer_key() {
    let first = run(&[5]).last_pending().expect("IKE_SA_INIT pending");
    assert!(
        !key_lengths(&first).is_empty(),
        "AES with Key Length offered"
    );

    let seed = [flips(&first, &all_keys_192(&first)), vec![0]].concat();
    let r = run(&seed);
    let resp = r.sent(ExchangeType::IKE_SA_INIT, true);
    assert!(
        resp[0].payloads.contains(&PayloadType::SA),
        "a longer AES key than configured is accepted: {:?}",
        resp[0].notifies
    );
    write("ike-key-192", &seed);

    let seed = [flips(&first, &first_key_length_unknown(&first)), vec![0, 0]].concat();
    let r = run(&seed);
    assert_eq!(r.received(ExchangeType::IKE_SA_INIT, false).len(), 1);
    assert_eq!(r.sent(ExchangeType::IKE_SA_INIT, true).len(), 1);
    write("ike-unknown-attribute", &seed);
}

#[test]
fn esp_proposal_attributes_unknown_and_longer_key() {
    let auth = run(&[0, 5]).last_pending().expect("IKE_AUTH pending");
    assert!(
        !key_lengths(&auth).is_empty(),
        "ESP AES with Key Length offered"
    );

    // ChaCha20-Poly1305 (no Key Length) would be an exact match: offered as 3DES instead,
    // which the responder does not configure.
    let mut to = all_keys_192(&auth);
    let chacha = (0..200)
        .find(|&i| auth[i..i + 6] == [0, 8, 1, 0, 0, 28])
        .expect("ChaCha20-Poly1305 offered");
    to[chacha + 5] = 3;
    let seed = [vec![0], flips(&auth, &to), vec![0]].concat();
    let r = run(&seed);
    assert_eq!(r.established(), 1);
    assert!(
        r.events.iter().any(|e| matches!(e,
            EventKind::ChildSaInstalled(c) if c.transforms.encryption.key_bits == Some(192))),
        "the responder keys the CHILD_SA with the longer key"
    );
    write("esp-key-192", &seed);

    let seed = [
        vec![0],
        flips(&auth, &first_key_length_unknown(&auth)),
        vec![0],
    ]
    .concat();
    let r = run(&seed);
    assert_eq!(r.established(), 1);
    write("esp-unknown-attribute", &seed);
}

#[test]
fn child_sa_not_found_answer_makes_the_responder_create_a_new_child() {
    let seed = rekey_refused(NotifyType::CHILD_SA_NOT_FOUND, 1);
    let r = run(&[seed.as_slice(), &[5]].concat());
    let got = r.received(ExchangeType::CREATE_CHILD_SA, true);
    assert!(got
        .iter()
        .any(|m| has_notify(m, NotifyType::CHILD_SA_NOT_FOUND)));
    // The refused rekey, then the fresh CHILD_SA request.
    assert_eq!(r.sent(ExchangeType::CREATE_CHILD_SA, false).len(), 2);
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, EventKind::ChildSaDeleted { .. })));
    write("child-sa-not-found", &seed);
}

#[test]
fn no_additional_sas_answer_deletes_then_creates() {
    let seed = rekey_refused(NotifyType::NO_ADDITIONAL_SAS, 1);
    let r = run(&[seed.as_slice(), &[5]].concat());
    let got = r.received(ExchangeType::CREATE_CHILD_SA, true);
    assert!(got
        .iter()
        .any(|m| has_notify(m, NotifyType::NO_ADDITIONAL_SAS)));
    let deletes = r.sent(ExchangeType::INFORMATIONAL, false);
    assert!(deletes
        .iter()
        .any(|m| m.payloads.contains(&PayloadType::DELETE)));
    write("no-additional-sas", &seed);
}

#[test]
fn temporary_failure_for_minutes_closes_the_ike_sa() {
    let once = rekey_refused(NotifyType::TEMPORARY_FAILURE, 1);
    let r = run(&once);
    assert!(!r
        .events
        .iter()
        .any(|e| matches!(e, EventKind::Closed { .. })));
    write("temporary-failure", &once);

    // Refused again and again until OUT_OF_SYNC_AFTER has passed since the first.
    let mut rounds = 2;
    let seed = loop {
        let seed = rekey_refused(NotifyType::TEMPORARY_FAILURE, rounds);
        // Delivers the Delete and its answer.
        let r = run(&[seed.as_slice(), &[0, 0]].concat());
        let deleted = r.events.iter().any(|e| {
            matches!(
                e,
                EventKind::Closed {
                    reason: crate::CloseReason::DeletedLocally
                }
            )
        });
        if deleted {
            break seed;
        }
        rounds += 1;
        assert!(rounds < 10, "TEMPORARY_FAILURE never gave up");
    };
    write("temporary-failure-out-of-sync", &seed);
}
