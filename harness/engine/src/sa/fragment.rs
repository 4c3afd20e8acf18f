//! Reassembly of IKE fragments (RFC 7383 §2.6): each SKF payload is checked, verified and
//! decrypted on its own; the plaintexts are joined in fragment order once all have arrived.
//! Requests and responses reassemble separately, so a fragmented request from the peer does
//! not clobber the fragmented response to ours.

use std::collections::BTreeMap;

use ikelab_policy::Duration;
use ikelab_wire::iana::PayloadType;

use crate::violation::Violation;
use crate::Timestamp;

/// What the engine accepts when reassembling a peer's fragmented message. RFC 7383 §5 leaves
/// the numbers to the implementation; strongSwan refuses a reassembled message over its
/// `max_packet` (10000 octets by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentLimits {
    /// Largest Total Fragments accepted.
    pub max_fragments: u16,
    /// Largest reassembled plaintext (sum of the decrypted fragments), in octets.
    pub max_bytes: usize,
    /// How long an incomplete message is kept after its first fragment arrived. The peer's
    /// retransmission (all fragments again, §2.6.1) starts it over.
    pub timeout: Duration,
}

impl Default for FragmentLimits {
    fn default() -> Self {
        Self {
            max_fragments: 64,
            max_bytes: 64 * 1024,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Fragments of one message collected so far.
#[derive(Debug)]
pub(crate) struct Buffer {
    message_id: u32,
    total: u16,
    /// Inner payload type from fragment 1 (0 in the others).
    first_payload: Option<PayloadType>,
    pieces: BTreeMap<u16, Vec<u8>>,
    bytes: usize,
    deadline: Timestamp,
}

/// The SA's reassembly buffers: one for the peer's requests, one for its responses.
#[derive(Debug, Default)]
pub(crate) struct Reassembly {
    request: Option<Buffer>,
    response: Option<Buffer>,
}

impl Reassembly {
    fn slot(&mut self, response: bool) -> &mut Option<Buffer> {
        if response {
            &mut self.response
        } else {
            &mut self.request
        }
    }

    /// When the oldest incomplete message expires.
    pub fn deadline(&self) -> Option<Timestamp> {
        [&self.request, &self.response]
            .into_iter()
            .flatten()
            .map(|b| b.deadline)
            .min()
    }

    /// Drops incomplete messages whose time is up.
    pub fn expire(&mut self, now: Timestamp) {
        for slot in [&mut self.request, &mut self.response] {
            if slot.as_ref().is_some_and(|b| b.deadline <= now) {
                *slot = None;
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.request.is_none() && self.response.is_none()
    }
}

/// One fragment's identity: where it belongs and its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FragmentId {
    pub message_id: u32,
    pub response: bool,
    pub number: u16,
    pub total: u16,
}

/// What to do with a fragment before its ICV is checked (RFC 7383 §2.6, in its order).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Precheck {
    /// Verify and decrypt it, then [`add`] it.
    Verify,
    /// Already stored (§2.6: a replay, e.g. the peer retransmitting all fragments): drop
    /// without a violation.
    Replay,
    /// Invalid: drop silently.
    Discard(Violation),
}

/// The checks §2.6 runs before the ICV: Fragment Number and Total Fragments non-zero and in
/// order, Total Fragments not below that of fragments already held, not a replay; plus our
/// count limit (§5).
pub(crate) fn precheck(
    slot: &Option<Reassembly>,
    limits: &FragmentLimits,
    now: Timestamp,
    f: FragmentId,
) -> Precheck {
    if f.number == 0 || f.number > f.total {
        return Precheck::Discard(Violation::InvalidFragmentNumber {
            number: f.number,
            total: f.total,
        });
    }
    if f.total > limits.max_fragments {
        return Precheck::Discard(Violation::TooManyFragments {
            total: f.total,
            limit: limits.max_fragments,
        });
    }
    let held = slot.as_ref().and_then(|r| {
        if f.response {
            r.response.as_ref()
        } else {
            r.request.as_ref()
        }
    });
    match held {
        Some(b) if b.message_id == f.message_id && b.deadline > now => {
            if f.total < b.total {
                Precheck::Discard(Violation::FragmentTotalDecreased {
                    total: f.total,
                    held: b.total,
                })
            } else if f.total == b.total && b.pieces.contains_key(&f.number) {
                Precheck::Replay
            } else {
                Precheck::Verify
            }
        }
        _ => Precheck::Verify,
    }
}

/// What adding a verified fragment did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Added {
    /// All fragments are in: the joined plaintext and its first payload type.
    Complete(Vec<u8>, PayloadType),
    Pending,
    /// Dropped; the message's fragments held so far are dropped with it.
    Discarded(Violation),
}

/// Adds one verified, decrypted fragment (that passed [`precheck`]) to the SA's buffers.
pub(crate) fn add(
    slot: &mut Option<Reassembly>,
    limits: &FragmentLimits,
    now: Timestamp,
    f: FragmentId,
    first_payload: PayloadType,
    plain: Vec<u8>,
) -> Added {
    let r = slot.get_or_insert_with(Reassembly::default);
    r.expire(now);
    let buf = r.slot(f.response);
    // §2.6: a new message, or a greater Total Fragments (the sender re-fragmented smaller,
    // §2.5.2), starts reassembly over with just this fragment.
    let fresh = !matches!(buf, Some(b) if b.message_id == f.message_id && f.total <= b.total);
    if fresh {
        *buf = Some(Buffer {
            message_id: f.message_id,
            total: f.total,
            first_payload: None,
            pieces: BTreeMap::new(),
            bytes: 0,
            deadline: now + limits.timeout,
        });
    }
    let outcome = match buf {
        Some(b) => add_to(b, limits, f, first_payload, plain),
        None => Added::Pending,
    };
    if !matches!(outcome, Added::Pending) {
        *buf = None;
    }
    if r.is_empty() {
        *slot = None;
    }
    outcome
}

fn add_to(
    b: &mut Buffer,
    limits: &FragmentLimits,
    f: FragmentId,
    first_payload: PayloadType,
    plain: Vec<u8>,
) -> Added {
    if b.pieces.contains_key(&f.number) {
        return Added::Pending;
    }
    let bytes = b.bytes.saturating_add(plain.len());
    if bytes > limits.max_bytes {
        return Added::Discarded(Violation::ReassembledMessageTooLarge {
            bytes,
            limit: limits.max_bytes,
        });
    }
    if f.number == 1 {
        b.first_payload = Some(first_payload);
    }
    b.bytes = bytes;
    b.pieces.insert(f.number, plain);
    if b.pieces.len() < usize::from(b.total) {
        return Added::Pending;
    }
    let first = b.first_payload.unwrap_or(PayloadType::NONE);
    let joined: Vec<u8> = core::mem::take(&mut b.pieces)
        .into_values()
        .flatten()
        .collect();
    Added::Complete(joined, first)
}

/// Why a datagram whose payload chain reaches an SKF payload with an impossible Fragment
/// Number did not parse (the wire codec refuses it), so the refusal names RFC 7383 rather
/// than a generic syntax error. Walks the raw generic payload headers; `None` when there is
/// no such SKF payload.
pub(crate) fn numbering_violation(ike: &[u8]) -> Option<Violation> {
    const HEADER: usize = 28;
    let mut next = *ike.get(16)?;
    let mut off = HEADER;
    loop {
        match PayloadType(next) {
            PayloadType::SKF => {
                let at = |i: usize| -> Option<u16> {
                    Some(u16::from_be_bytes([
                        *ike.get(off + i)?,
                        *ike.get(off + i + 1)?,
                    ]))
                };
                let (number, total) = (at(4)?, at(6)?);
                return (number == 0 || number > total)
                    .then_some(Violation::InvalidFragmentNumber { number, total });
            }
            PayloadType::NONE | PayloadType::SK => return None,
            _ => {
                next = *ike.get(off)?;
                let len = usize::from(u16::from_be_bytes([*ike.get(off + 2)?, *ike.get(off + 3)?]));
                if len < 4 {
                    return None;
                }
                off += len;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(message_id: u32, number: u16, total: u16) -> FragmentId {
        FragmentId {
            message_id,
            response: false,
            number,
            total,
        }
    }

    #[test]
    fn joins_in_order_and_applies_the_rules() {
        let l = FragmentLimits::default();
        let t = Timestamp::from_micros(1);
        let mut slot = None;
        let n = PayloadType::NONE;
        assert_eq!(
            add(&mut slot, &l, t, id(1, 2, 3), n, vec![2]),
            Added::Pending
        );
        assert_eq!(precheck(&slot, &l, t, id(1, 2, 3)), Precheck::Replay);
        assert_eq!(
            precheck(&slot, &l, t, id(1, 1, 2)),
            Precheck::Discard(Violation::FragmentTotalDecreased { total: 2, held: 3 })
        );
        assert_eq!(
            add(&mut slot, &l, t, id(1, 3, 3), n, vec![3]),
            Added::Pending
        );
        assert_eq!(
            add(&mut slot, &l, t, id(1, 1, 3), PayloadType::IDI, vec![1]),
            Added::Complete(vec![1, 2, 3], PayloadType::IDI)
        );
        assert!(slot.is_none());
        assert_eq!(
            precheck(&slot, &l, t, id(2, 1, 65)),
            Precheck::Discard(Violation::TooManyFragments {
                total: 65,
                limit: 64
            })
        );
        assert_eq!(
            precheck(&slot, &l, t, id(2, 0, 2)),
            Precheck::Discard(Violation::InvalidFragmentNumber {
                number: 0,
                total: 2
            })
        );
        assert_eq!(
            add(&mut slot, &l, t, id(2, 1, 2), n, vec![0; l.max_bytes]),
            Added::Pending
        );
        assert!(matches!(
            add(&mut slot, &l, t, id(2, 2, 2), n, vec![0]),
            Added::Discarded(Violation::ReassembledMessageTooLarge { .. })
        ));
        assert!(slot.is_none());
    }

    #[test]
    fn greater_total_restarts_and_timeout_expires() {
        let l = FragmentLimits::default();
        let t = Timestamp::from_micros(1);
        let mut slot = None;
        let n = PayloadType::NONE;
        add(&mut slot, &l, t, id(1, 1, 2), n, vec![1]);
        // Re-fragmented smaller: the earlier fragment is gone.
        assert_eq!(
            add(&mut slot, &l, t, id(1, 2, 3), n, vec![2]),
            Added::Pending
        );
        assert_eq!(
            add(&mut slot, &l, t, id(1, 3, 3), n, vec![3]),
            Added::Pending
        );
        assert_eq!(
            slot.as_ref().and_then(Reassembly::deadline),
            Some(t + l.timeout)
        );
        let late = t + l.timeout;
        assert_eq!(precheck(&slot, &l, late, id(1, 2, 3)), Precheck::Verify);
        assert_eq!(
            add(&mut slot, &l, late, id(1, 1, 3), n, vec![1]),
            Added::Pending
        );
        // A response buffer is independent of the request buffer.
        let resp = FragmentId {
            response: true,
            ..id(1, 1, 1)
        };
        assert_eq!(
            add(&mut slot, &l, late, resp, PayloadType::NOTIFY, vec![7]),
            Added::Complete(vec![7], PayloadType::NOTIFY)
        );
        assert!(slot.as_ref().is_some_and(|r| r.request.is_some()));
    }

    #[test]
    fn numbering_violation_walks_the_chain() {
        let mut m = vec![0u8; 28];
        m[16] = 41; // Notify first, then SKF.
        m.extend([53, 0, 0, 8, 0, 0, 0, 0]);
        m.extend([0, 0, 0, 8, 0, 3, 0, 2]);
        assert_eq!(
            numbering_violation(&m),
            Some(Violation::InvalidFragmentNumber {
                number: 3,
                total: 2
            })
        );
        m[16] = 46;
        assert_eq!(numbering_violation(&m), None);
        assert_eq!(numbering_violation(&m[..10]), None);
    }
}
