//! Post-quantum additional key exchanges (iOS/macOS 26): `PostQuantumKeyExchangeMethods` in the
//! SA parameter dictionaries become RFC 9370 ADDKE1..ADDKE7 transforms (rule LW-PQ).
//!
//! The keys postdate the schema snapshot; the checker's `newer` module documents the sources and
//! validates the values. The reference client's policy has no ADDKE transforms, so the lowered
//! JSON carries them while `profile connect` runs without them (a LOWER-04 warning says so).

use plist::{Dictionary, Value};

use super::Sink;
use super::{ProposalOut, TransformOut};
use crate::check::value::{array, int_value};
use crate::diag::Severity;
use crate::read::xmlpos::{index, join};

const KEY: &str = "PostQuantumKeyExchangeMethods";

/// (IANA Transform Type 4 ID, IANA name, strongSwan keyword).
fn method(id: i64) -> Option<(u16, &'static str, &'static str)> {
    match id {
        36 => Some((36, "ML_KEM_768", "mlkem768")),
        37 => Some((37, "ML_KEM_1024", "mlkem1024")),
        _ => None,
    }
}

/// The documented methods listed in `sa` (0 = none and unknown values are skipped: the checker
/// reports them), at most seven.
pub fn methods(s: &mut Sink, sa: Option<&Dictionary>, sa_path: &str) -> Vec<i64> {
    let Some(items) = sa.and_then(|d| array(d, KEY)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, v) in items.iter().enumerate() {
        match int_value(v) {
            Some(0) => {}
            Some(id) if method(id).is_some() && out.len() < crate::check::newer::MAX_ADDKE => {
                out.push(id)
            }
            _ => s.push(
                Severity::Error,
                "LOWER-01",
                &index(&join(sa_path, KEY), i),
                format!(
                    "`{}` is not a post-quantum method Apple documents (36, 37), or beyond the seventh: not lowered",
                    show(v)
                ),
                "use 36 (ML-KEM-768) or 37 (ML-KEM-1024), at most seven".into(),
            ),
        }
    }
    out
}

fn show(v: &Value) -> String {
    crate::check::value::show(v)
}

/// Appends ADDKE1.. transforms and the strongSwan `-keN_` suffixes to a lowered proposal.
pub fn extend(p: &mut ProposalOut, ids: &[i64]) {
    for (n, id) in ids.iter().enumerate() {
        let Some((iana, name, ss)) = method(*id) else {
            continue;
        };
        // After the KE transforms, before ESN (order within a proposal carries no meaning).
        let at = p
            .transforms
            .iter()
            .position(|t| t.ttype == "ESN")
            .unwrap_or(p.transforms.len());
        p.transforms.insert(
            at,
            TransformOut {
                ttype: ADDKE[n],
                id: iana,
                name: name.to_string(),
                key_length: None,
            },
        );
        p.strongswan.push_str(&format!("-ke{}_{ss}", n + 1));
    }
}

const ADDKE: [&str; 7] = [
    "ADDKE1", "ADDKE2", "ADDKE3", "ADDKE4", "ADDKE5", "ADDKE6", "ADDKE7",
];

/// Records the rule and the reference client's limitation when any ADDKE is proposed.
pub fn note(s: &mut Sink, path: &str, ike: &[i64], esp: &[i64], fallback: Option<bool>) {
    if ike.is_empty() && esp.is_empty() {
        return;
    }
    if !ike.is_empty() {
        s.apply("ike_proposals", "LW-PQ");
    }
    if !esp.is_empty() {
        s.apply("esp_proposals", "LW-PQ");
    }
    let strict = fallback == Some(false);
    s.push(
        Severity::Warning,
        "LOWER-04",
        path,
        format!(
            "the device (iOS/macOS 26+) proposes RFC 9370 additional key exchanges (ML-KEM) in an IKE_INTERMEDIATE exchange; ikelab's reference client does not implement them, so `profile connect` negotiates without them{}",
            if strict {
                ", while the device, with AllowPostQuantumKeyExchangeFallback 0, fails against a gateway without ML-KEM"
            } else {
                ""
            }
        ),
        "check the gateway's ADDKE support separately (strongSwan 6: `ke1_mlkem768` in the proposal)".into(),
    );
}
