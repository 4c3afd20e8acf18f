//! Small accessors over plist values. Numeric getters are lenient like the device: an integer
//! key also reads `<true/>`/`<false/>` and integral `<real>` values (all are NSNumber there).

use plist::{Dictionary, Value};

pub fn string<'v>(d: &'v Dictionary, k: &str) -> Option<&'v str> {
    d.get(k).and_then(Value::as_string)
}

/// A present, non-empty string.
pub fn nonempty<'v>(d: &'v Dictionary, k: &str) -> Option<&'v str> {
    string(d, k).filter(|s| !s.trim().is_empty())
}

pub fn int_value(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => i.as_signed(),
        Value::Boolean(b) => Some(i64::from(*b)),
        Value::Real(r) if r.fract() == 0.0 && r.is_finite() && r.abs() < 9.0e15 => Some(*r as i64),
        _ => None,
    }
}

pub fn int(d: &Dictionary, k: &str) -> Option<i64> {
    d.get(k).and_then(int_value)
}

/// A 0/1 switch: `Some(true)` for non-zero.
pub fn flag(d: &Dictionary, k: &str) -> Option<bool> {
    int(d, k).map(|i| i != 0)
}

pub fn dict<'v>(d: &'v Dictionary, k: &str) -> Option<&'v Dictionary> {
    d.get(k).and_then(Value::as_dictionary)
}

pub fn array<'v>(d: &'v Dictionary, k: &str) -> Option<&'v Vec<Value>> {
    d.get(k).and_then(Value::as_array)
}

/// The plist element name of a value.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "<array>",
        Value::Dictionary(_) => "<dict>",
        Value::Boolean(_) => "<true/>/<false/>",
        Value::Data(_) => "<data>",
        Value::Date(_) => "<date>",
        Value::Real(_) => "<real>",
        Value::Integer(_) => "<integer>",
        Value::String(_) => "<string>",
        Value::Uid(_) => "<uid>",
        _ => "value",
    }
}

/// A short rendering of a non-secret scalar for messages.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let mut t: String = s.chars().take(60).collect();
            if s.chars().count() > 60 {
                t.push('…');
            }
            format!("'{t}'")
        }
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Boolean(b) => b.to_string(),
        other => type_name(other).to_string(),
    }
}
