//! Builds a `plist::Value` from the plist crate's event stream without recursion and with a
//! nesting limit, so hostile input cannot exhaust the stack (building or dropping the value).

use plist::stream::OwnedEvent;
use plist::{Dictionary, Value};

use super::MAX_DEPTH;

#[derive(Debug)]
pub struct BuildError {
    pub reason: String,
    /// Byte offset into the plist, when the plist crate reported one.
    pub offset: Option<usize>,
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(o) => write!(f, "{} at byte {o}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

fn from_plist_error(e: &plist::Error) -> BuildError {
    // plist's Display is "<Kind> (offset N)"; the kind is the useful part.
    let text = e.to_string();
    let (reason, offset) = match text.rsplit_once(" (offset ") {
        Some((kind, rest)) => (
            kind.to_string(),
            rest.trim_end_matches(')').parse::<usize>().ok(),
        ),
        None => (text, None),
    };
    let reason = match reason.as_str() {
        "UnexpectedEof" | "UnexpectedEndOfEventStream" => {
            "unexpected end of input (truncated?)".to_string()
        }
        other => super::hints::kind_text(other).unwrap_or(reason),
    };
    BuildError { reason, offset }
}

enum Open {
    Array(Vec<Value>),
    Dict(Dictionary, Option<String>),
}

pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "array",
        Value::Dictionary(_) => "dictionary",
        Value::Boolean(_) => "boolean",
        Value::Data(_) => "data",
        Value::Date(_) => "date",
        Value::Real(_) => "real",
        Value::Integer(_) => "integer",
        Value::String(_) => "string",
        Value::Uid(_) => "uid",
        _ => "value",
    }
}

fn err(reason: &str) -> BuildError {
    BuildError {
        reason: reason.to_string(),
        offset: None,
    }
}

pub fn from_events<I>(events: I) -> Result<Value, BuildError>
where
    I: Iterator<Item = Result<OwnedEvent, plist::Error>>,
{
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Value> = None;
    for ev in events {
        let ev = ev.map_err(|e| from_plist_error(&e))?;
        if root.is_some() {
            return Err(err("data after the end of the root value"));
        }
        let value = match ev {
            OwnedEvent::StartArray(_) | OwnedEvent::StartDictionary(_) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(&format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                stack.push(if matches!(ev, OwnedEvent::StartArray(_)) {
                    Open::Array(Vec::new())
                } else {
                    Open::Dict(Dictionary::new(), None)
                });
                continue;
            }
            OwnedEvent::EndCollection => match stack.pop() {
                Some(Open::Array(a)) => Value::Array(a),
                Some(Open::Dict(d, None)) => Value::Dictionary(d),
                Some(Open::Dict(_, Some(_))) => return Err(err("dictionary key without a value")),
                None => return Err(err("unbalanced end of collection")),
            },
            OwnedEvent::Boolean(b) => Value::Boolean(b),
            OwnedEvent::Data(d) => Value::Data(d.into_owned()),
            OwnedEvent::Date(d) => Value::Date(d),
            OwnedEvent::Integer(i) => Value::Integer(i),
            OwnedEvent::Real(r) => Value::Real(r),
            OwnedEvent::String(s) => {
                // In a dict awaiting a key, a string event is the key.
                if let Some(Open::Dict(_, key @ None)) = stack.last_mut() {
                    *key = Some(s.into_owned());
                    continue;
                }
                Value::String(s.into_owned())
            }
            OwnedEvent::Uid(u) => Value::Uid(u),
            _ => return Err(err("unsupported plist event")),
        };
        match stack.last_mut() {
            None => root = Some(value),
            Some(Open::Array(a)) => a.push(value),
            Some(Open::Dict(d, key)) => match key.take() {
                // Duplicate keys: the later value wins, as with CFPropertyList.
                Some(k) => {
                    d.insert(k, value);
                }
                None => return Err(err("dictionary key is not a string")),
            },
        }
    }
    if !stack.is_empty() {
        return Err(err("unexpected end of input (truncated?)"));
    }
    root.ok_or_else(|| err("no value in the property list"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn xml(s: &str) -> Result<Value, BuildError> {
        from_events(plist::stream::XmlReader::new(Cursor::new(s.as_bytes())))
    }

    #[test]
    fn builds_nested_values() {
        let v = xml(
            "<plist><dict><key>A</key><array><integer>1</integer><true/></array></dict></plist>",
        )
        .unwrap();
        let a = v.as_dictionary().unwrap()["A"].as_array().unwrap();
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn depth_is_limited() {
        let doc = format!(
            "<plist>{}{}</plist>",
            "<array>".repeat(MAX_DEPTH + 1),
            "</array>".repeat(MAX_DEPTH + 1)
        );
        assert!(xml(&doc).unwrap_err().reason.contains("nesting"));
    }

    #[test]
    fn truncation_is_reported() {
        let e = xml("<plist><dict><key>A</key><string>x</string>").unwrap_err();
        assert!(
            e.reason.contains("truncated") || e.reason.contains("end"),
            "{e}"
        );
    }
}
