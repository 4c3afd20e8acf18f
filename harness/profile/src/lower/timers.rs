//! DPD, NAT keepalive, MTU, lifetimes and the feature switches (LW-DPD, LW-NATKA, LW-MTU,
//! LW-MOBIKE, LW-REDIRECT, LW-FRAG, LW-PPK).

use plist::{Dictionary, Value};

use super::Sink;
use crate::check::value::{int_value, string};
use crate::read::xmlpos::join;

/// DeadPeerDetectionRate → seconds between liveness checks (`None` = off).
pub fn dpd(sink: &mut Sink, ike: &Dictionary, path: &str) -> Option<u64> {
    sink.apply("dpd_interval_s", "LW-DPD");
    let rate = match ike.get("DeadPeerDetectionRate") {
        None => "Medium",
        Some(v) => match v.as_string() {
            Some(s @ ("None" | "Low" | "Medium" | "High")) => s,
            _ => {
                sink.invalid(&join(path, "DeadPeerDetectionRate"), v, "Medium");
                "Medium"
            }
        },
    };
    match rate {
        "None" => None,
        "Low" => Some(1800),
        "High" => Some(60),
        _ => Some(600),
    }
}

/// An integer key with a default and an accepted range; out of range → finding + default.
pub fn int_in(
    sink: &mut Sink,
    d: &Dictionary,
    path: &str,
    key: &str,
    default: i64,
    range: core::ops::RangeInclusive<i64>,
) -> i64 {
    match d.get(key) {
        None => default,
        Some(v) => match int_value(v).filter(|i| range.contains(i)) {
            Some(i) => i,
            None => {
                sink.invalid(&join(path, key), v, &default.to_string());
                default
            }
        },
    }
}

/// A 0/1 switch; a wrong type → finding + default.
pub fn switch(sink: &mut Sink, d: &Dictionary, path: &str, key: &str, default: bool) -> bool {
    match d.get(key) {
        None => default,
        Some(v) => match int_value(v) {
            Some(0) => false,
            Some(1) => true,
            _ => {
                sink.invalid(&join(path, key), v, if default { "1" } else { "0" });
                default
            }
        },
    }
}

/// PPK (RFC 8784): id, secret octets and mandatory flag, when both keys are present.
pub struct PpkIn {
    pub id: String,
    pub secret: Vec<u8>,
    pub mandatory: bool,
}

pub fn ppk(sink: &mut Sink, d: &Dictionary, path: &str) -> Option<PpkIn> {
    let secret = match d.get("PPK") {
        Some(Value::Data(b)) => Some(b.clone()),
        Some(Value::String(s)) => Some(s.as_bytes().to_vec()),
        Some(v) => {
            sink.invalid(&join(path, "PPK"), v, "no PPK");
            None
        }
        None => None,
    };
    let id = string(d, "PPKIdentifier").map(str::to_string);
    match (secret, id) {
        (Some(secret), Some(id)) if !secret.is_empty() && !id.is_empty() => {
            sink.apply("ppk", "LW-PPK");
            let mandatory = switch(sink, d, path, "PPKMandatory", true);
            Some(PpkIn {
                id,
                secret,
                mandatory,
            })
        }
        (None, None) => None,
        _ => {
            sink.error(
                &join(path, "PPK"),
                "PPK and PPKIdentifier must both be present and non-empty: no PPK is used".into(),
                "set both PPK and PPKIdentifier, or neither".into(),
            );
            None
        }
    }
}
