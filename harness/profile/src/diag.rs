//! Diagnostics produced by the checker.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One finding. `line`/`column` are 1-based and present when the profile was XML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub rule: &'static str,
    /// Key path such as `PayloadContent[0].IKEv2.MTU` (empty = the profile as a whole).
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// What is wrong and what the device will do about it.
    pub message: String,
    /// How to fix it.
    pub help: String,
}
