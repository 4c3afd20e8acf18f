//! IKEv2 keys Apple added after the schema snapshot in `schema/apple/` (SCH-16).
//!
//! A device that knows such a key acts on it, so "unknown key: the device ignores it" would be
//! wrong for current devices. These keys are recognised by name, their values are checked against
//! Apple's documentation, and the finding says which OS versions read them.
//!
//! Sources (Apple developer documentation, 2025–2026):
//! - `VPN.IKEv2.AllowPostQuantumKeyExchangeFallback` (iOS/macOS/tvOS/visionOS/watchOS 26): "If set
//!   to 0, the VPN doesn't establish a connection if the server does not support or doesn't allow
//!   post-quantum key exchanges. The device ignores this key if PostQuantumKeyExchangeMethods is
//!   not present in IKESecurityAssociationParameters or ChildSecurityAssociationParameters."
//! - `NEVPNIKEv2SecurityAssociationParameters.postQuantumKeyExchangeMethods` (26): "You can
//!   specify up to seven key-exchange methods, which correspond to the Additional Key Exchange
//!   transform types ADDKE1–ADDKE7 in RFC 9370"; `NEVPNIKEv2PostQuantumKeyExchangeMethod`:
//!   36 = ML-KEM-768, 37 = ML-KEM-1024 (None = 0).

use plist::Value;

use super::ctx::Ctx;
use super::owner::ike_rel;
use super::value::int_value;
use super::walk::At;
use crate::diag::Severity;

/// The most additional key exchanges RFC 9370 allows (ADDKE1..ADDKE7).
pub const MAX_ADDKE: usize = 7;

/// IANA Transform Type 4 IDs Apple documents for `PostQuantumKeyExchangeMethods`.
pub fn pq_method_name(id: i64) -> Option<&'static str> {
    match id {
        36 => Some("ML-KEM-768"),
        37 => Some("ML-KEM-1024"),
        _ => None,
    }
}

const OS: &str = "iOS/iPadOS/macOS/tvOS/visionOS 26";

fn is_sa_dict_key(rel: &str, key: &str) -> bool {
    [
        "IKESecurityAssociationParameters",
        "ChildSecurityAssociationParameters",
    ]
    .iter()
    .any(|d| rel == format!("{d}.{key}"))
}

/// Handles `k` if it is a known key newer than the schema snapshot; false otherwise.
pub(crate) fn handle(ctx: &mut Ctx, k: &str, v: &Value, at: &At) -> bool {
    let Some(rel) = ike_rel(&at.spath) else {
        return false;
    };
    if rel == "AllowPostQuantumKeyExchangeFallback" {
        match int_value(v) {
            Some(0 | 1) => note(ctx, k, at, "allows (1) or forbids (0) connecting without a post-quantum key exchange when the server does not offer one"),
            _ => bad(ctx, k, at, format!("must be the integer 0 or 1, not {}", super::value::show(v))),
        }
        return true;
    }
    if is_sa_dict_key(rel, "PostQuantumKeyExchangeMethods") {
        let Value::Array(items) = v else {
            bad(
                ctx,
                k,
                at,
                format!(
                    "must be an <array> of integers (36 ML-KEM-768, 37 ML-KEM-1024), not {}",
                    super::value::type_name(v)
                ),
            );
            return true;
        };
        if items.len() > MAX_ADDKE {
            bad(ctx, k, at, format!("lists {} methods; RFC 9370 allows at most {MAX_ADDKE} additional key exchanges (ADDKE1–ADDKE7)", items.len()));
            return true;
        }
        for (i, item) in items.iter().enumerate() {
            match int_value(item) {
                Some(id) if pq_method_name(id).is_some() => {}
                Some(0) => {}
                _ => {
                    bad(
                        ctx,
                        k,
                        at,
                        format!(
                            "item {i} is {}, not a method Apple documents (36 ML-KEM-768, 37 ML-KEM-1024)",
                            super::value::show(item)
                        ),
                    );
                    return true;
                }
            }
        }
        note(ctx, k, at, "adds RFC 9370 additional key exchanges (ADDKE transforms, exchanged in IKE_INTERMEDIATE) to the proposal");
        return true;
    }
    false
}

fn note(ctx: &mut Ctx, k: &str, at: &At, what: &str) {
    ctx.emit_at(
        "SCH-16",
        Severity::Note,
        &at.path,
        format!("`{k}` is newer than ikelab's Apple schema snapshot ({OS}): it {what}; earlier OS versions ignore it"),
        "no change needed; check the gateway supports it".into(),
    );
}

fn bad(ctx: &mut Ctx, k: &str, at: &At, why: String) {
    ctx.emit_at(
        "SCH-16",
        Severity::Error,
        &at.path,
        format!("`{k}` ({OS}) {why}: devices that read it reject the value"),
        "use an array such as [36] (ML-KEM-768) in the SA parameters, and 0/1 for AllowPostQuantumKeyExchangeFallback".into(),
    );
}
