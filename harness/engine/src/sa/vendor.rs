//! Vendor ID payloads (RFC 7296 §3.12): sent in IKE_SA_INIT when the policy lists some.
//! Received ones need no code: the receive path skips payloads it has no use for, which is
//! what "unfamiliar Vendor IDs MUST be ignored" asks.

use ikelab_policy::IkePolicy;
use ikelab_wire::payload::{Payload, PayloadBody};

/// The policy's Vendor IDs, in order, after the notifies of IKE_SA_INIT (the `[V+]` of the
/// §1.2 figures). `Payload::new` leaves the critical bit clear: a Vendor ID "MUST NOT change
/// the interpretation of any information defined in this specification".
pub(crate) fn vendor_id_payloads(policy: &IkePolicy) -> Vec<Payload> {
    policy
        .features
        .vendor_ids
        .iter()
        .map(|v| Payload::new(PayloadBody::VendorId(v.as_bytes().to_vec())))
        .collect()
}
