//! Reassembly of IKE fragments (RFC 7383 §2.6): each SKF payload is verified and decrypted on
//! its own; the plaintexts are joined in fragment order once all have arrived.

use std::collections::BTreeMap;

/// Limits against memory exhaustion (RFC 7383 §5 leaves them to the implementation).
pub(crate) const MAX_FRAGMENTS: u16 = 64;
pub(crate) const MAX_BYTES: usize = 64 * 1024;

/// Fragments of one message collected so far.
#[derive(Debug)]
pub(crate) struct Reassembly {
    pub message_id: u32,
    pub response: bool,
    pub total: u16,
    /// Inner payload type from fragment 1 (0 in the others).
    pub first_payload: Option<ikelab_wire::iana::PayloadType>,
    pieces: BTreeMap<u16, Vec<u8>>,
    bytes: usize,
}

/// What adding a fragment did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Added {
    /// All fragments are in: the joined plaintext and its first payload type.
    Complete(Vec<u8>, ikelab_wire::iana::PayloadType),
    Pending,
    /// Dropped (§2.6.1: fewer total fragments than a message already being reassembled, or
    /// over our limits).
    Discarded(&'static str),
}

impl Reassembly {
    fn new(message_id: u32, response: bool, total: u16) -> Self {
        Self {
            message_id,
            response,
            total,
            first_payload: None,
            pieces: BTreeMap::new(),
            bytes: 0,
        }
    }
}

/// Adds one decrypted fragment to `slot` (the SA's reassembly buffer).
pub(crate) fn add(
    slot: &mut Option<Reassembly>,
    message_id: u32,
    response: bool,
    number: u16,
    total: u16,
    first_payload: ikelab_wire::iana::PayloadType,
    plain: Vec<u8>,
) -> Added {
    if total > MAX_FRAGMENTS {
        return Added::Discarded("more fragments than the reassembly limit");
    }
    let fresh = match slot {
        Some(r) if r.message_id == message_id && r.response == response => {
            if total < r.total {
                return Added::Discarded("fewer total fragments than earlier ones");
            }
            total > r.total
        }
        _ => true,
    };
    if fresh {
        // §2.6.1: a larger total means the sender re-fragmented; start over.
        *slot = Some(Reassembly::new(message_id, response, total));
    }
    let Some(r) = slot else {
        return Added::Pending;
    };
    if r.bytes + plain.len() > MAX_BYTES {
        *slot = None;
        return Added::Discarded("reassembled message over the size limit");
    }
    if number == 1 {
        r.first_payload = Some(first_payload);
    }
    if let std::collections::btree_map::Entry::Vacant(e) = r.pieces.entry(number) {
        r.bytes += plain.len();
        e.insert(plain);
    }
    if r.pieces.len() == usize::from(r.total) {
        let first = r
            .first_payload
            .unwrap_or(ikelab_wire::iana::PayloadType::NONE);
        let joined: Vec<u8> = r.pieces.values().flatten().copied().collect();
        *slot = None;
        return Added::Complete(joined, first);
    }
    Added::Pending
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikelab_wire::iana::PayloadType;

    #[test]
    fn joins_in_order_and_applies_the_rules() {
        let mut slot = None;
        let n = PayloadType::NONE;
        assert_eq!(add(&mut slot, 1, false, 2, 3, n, vec![2]), Added::Pending);
        assert_eq!(
            add(&mut slot, 1, false, 2, 3, n, vec![9]),
            Added::Pending,
            "duplicate"
        );
        assert_eq!(
            add(&mut slot, 1, false, 3, 2, n, vec![3]),
            Added::Discarded("fewer total fragments than earlier ones")
        );
        assert_eq!(add(&mut slot, 1, false, 3, 3, n, vec![3]), Added::Pending);
        assert_eq!(
            add(&mut slot, 1, false, 1, 3, PayloadType::IDI, vec![1]),
            Added::Complete(vec![1, 2, 3], PayloadType::IDI)
        );
        assert!(slot.is_none());
        assert!(matches!(
            add(&mut slot, 2, false, 1, 65, n, vec![]),
            Added::Discarded(_)
        ));
        assert_eq!(
            add(&mut slot, 2, false, 1, 2, n, vec![0; MAX_BYTES]),
            Added::Pending
        );
        assert!(matches!(
            add(&mut slot, 2, false, 2, 2, n, vec![0]),
            Added::Discarded(_)
        ));
    }
}
