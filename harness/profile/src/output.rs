//! Output formats: rustc-like text, JSON and SARIF 2.1.0.
//!
//! Each takes a list of outcomes: a report, or the read error of a file that could not be read.
//! JSON: one file → one object `{"file", "diagnostics": [...]}`; several files → an array of them
//! (an unreadable file has `"error"` and no diagnostics). SARIF: one run, all files.

use serde_json::{json, Value};

use crate::check::Report;
use crate::diag::{Diagnostic, Severity};
use crate::rules::RULES;

/// The outcome for one input file.
#[derive(Debug)]
pub enum Outcome {
    Checked(Report),
    Unreadable { file: String, error: String },
}

impl Outcome {
    pub fn file(&self) -> &str {
        match self {
            Outcome::Checked(r) => &r.file,
            Outcome::Unreadable { file, .. } => file,
        }
    }
}

fn location(file: &str, d: &Diagnostic) -> String {
    match (d.line, d.column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    }
}

/// rustc-style text.
pub fn text(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        match o {
            Outcome::Unreadable { file, error } => {
                out.push_str(&format!("error: cannot read {file}: {error}\n\n"));
            }
            Outcome::Checked(r) => {
                for d in &r.diagnostics {
                    out.push_str(&format!(
                        "{}[{}]: {}\n",
                        d.severity.as_str(),
                        d.rule,
                        d.message
                    ));
                    out.push_str(&format!("  --> {}\n", location(&r.file, d)));
                    if !d.path.is_empty() {
                        out.push_str(&format!("   = key: {}\n", d.path));
                    }
                    if !d.help.is_empty() {
                        out.push_str(&format!("   = help: {}\n", d.help));
                    }
                    out.push('\n');
                }
                let (e, w, n) = (
                    r.count(Severity::Error),
                    r.count(Severity::Warning),
                    r.count(Severity::Note),
                );
                out.push_str(&format!(
                    "{}: {e} error{}, {w} warning{}, {n} note{}\n",
                    r.file,
                    if e == 1 { "" } else { "s" },
                    if w == 1 { "" } else { "s" },
                    if n == 1 { "" } else { "s" }
                ));
            }
        }
    }
    out
}

fn json_one(o: &Outcome) -> Value {
    match o {
        Outcome::Unreadable { file, error } => json!({
            "file": file,
            "error": error,
            "diagnostics": [],
        }),
        Outcome::Checked(r) => json!({
            "file": r.file,
            "diagnostics": r.diagnostics.iter().map(|d| json!({
                "severity": d.severity.as_str(),
                "rule": d.rule,
                "path": d.path,
                "line": d.line,
                "column": d.column,
                "message": d.message,
                "help": d.help,
            })).collect::<Vec<_>>(),
        }),
    }
}

/// JSON: an object for one file, an array for several.
pub fn json(outcomes: &[Outcome]) -> String {
    let v = match outcomes {
        [one] => json_one(one),
        many => Value::Array(many.iter().map(json_one).collect()),
    };
    serde_json::to_string_pretty(&v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A relative URI reference for a file path (RFC 3986: percent-encode what is not allowed).
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// SARIF 2.1.0 log with one run.
pub fn sarif(outcomes: &[Outcome]) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let mut props = json!({ "category": r.category.as_str() });
            if let Some(c) = r.constraint {
                props["constraint"] = json!(c);
            }
            if !r.covers.is_empty() {
                props["covers"] = json!(r.covers);
            }
            json!({
                "id": r.id,
                "shortDescription": { "text": r.title },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": props,
            })
        })
        .collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    let mut artifacts = Vec::new();
    for o in outcomes {
        let art = json!({ "location": { "uri": uri(o.file()) } });
        // SARIF requires unique artifacts.
        if !artifacts.contains(&art) {
            artifacts.push(art);
        }
        match o {
            Outcome::Unreadable { file, error } => notifications.push(json!({
                "level": "error",
                "message": { "text": format!("cannot read {file}: {error}") },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri(file) } } }],
            })),
            Outcome::Checked(r) => {
                for d in &r.diagnostics {
                    let mut phys = json!({ "artifactLocation": { "uri": uri(&r.file) } });
                    if let Some(l) = d.line.filter(|l| *l >= 1) {
                        let mut region = json!({ "startLine": l });
                        if let Some(c) = d.column.filter(|c| *c >= 1) {
                            region["startColumn"] = json!(c);
                        }
                        phys["region"] = region;
                    }
                    let mut loc = json!({ "physicalLocation": phys });
                    if !d.path.is_empty() {
                        loc["logicalLocations"] =
                            json!([{ "fullyQualifiedName": d.path, "kind": "member" }]);
                    }
                    let mut res = json!({
                        "ruleId": d.rule,
                        "level": level(d.severity),
                        "message": { "text": d.message },
                        "locations": [loc],
                        "properties": { "help": d.help },
                    });
                    if let Some(i) = RULES.iter().position(|r| r.id == d.rule) {
                        res["ruleIndex"] = json!(i);
                    }
                    results.push(res);
                }
            }
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "ikelab-profile",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/ikelab",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "artifacts": artifacts,
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
