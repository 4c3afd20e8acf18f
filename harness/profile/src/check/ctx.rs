//! Checking context: options, positions, collected diagnostics and secrets to keep out of them.

use crate::diag::{Diagnostic, Severity};
use crate::read::{Pos, PosIndex};
use crate::rules;
use crate::schema::{Os, Ver};

/// `--os ios:17.4`: the device the profile is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsTarget {
    pub os: Os,
    /// `None` = the newest version (only OS-level gating applies).
    pub version: Option<Ver>,
}

impl OsTarget {
    /// Parses `ios:17.4`, `macos:14`, `watchos` (newest).
    pub fn parse(s: &str) -> Result<OsTarget, String> {
        let (os, ver) = match s.split_once(':') {
            Some((o, v)) => (o, Some(v)),
            None => (s, None),
        };
        let os = Os::parse(os).ok_or_else(|| {
            format!("unknown OS `{os}` (expected ios, macos, tvos, visionos or watchos)")
        })?;
        let version = match ver {
            None => None,
            Some(v) => Some(Ver::parse(v).ok_or_else(|| format!("bad OS version `{v}`"))?),
        };
        Ok(OsTarget { os, version })
    }

    /// True when this target runs `os` at version >= `v` (a target without version is newest).
    pub fn at_least(&self, os: Os, v: Ver) -> bool {
        self.os == os && self.version.is_none_or(|t| t >= v)
    }

    pub fn describe(&self) -> String {
        match self.version {
            Some(v) => format!("{} {v}", self.os.name()),
            None => self.os.name().to_string(),
        }
    }
}

/// Checker options.
#[derive(Debug, Clone)]
pub struct Options {
    pub os: Option<OsTarget>,
    /// Pre-shared keys shorter than this (in characters) get SEC-05.
    pub min_psk_len: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            os: None,
            min_psk_len: 20,
        }
    }
}

pub(crate) struct Ctx<'a> {
    pub opts: &'a Options,
    positions: Option<&'a PosIndex>,
    pub diags: Vec<Diagnostic>,
    secrets: Vec<String>,
}

/// The enclosing path: `A.B[2].C` → `A.B[2]` → `A.B` → `A` → ``.
pub fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        if let Some(i) = path.rfind('[') {
            return Some(&path[..i]);
        }
    }
    Some(path.rfind('.').map_or("", |i| &path[..i]))
}

impl<'a> Ctx<'a> {
    pub fn new(opts: &'a Options, positions: Option<&'a PosIndex>) -> Self {
        Ctx {
            opts,
            positions,
            diags: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// Nearest position for `path` (the key itself, else its closest ancestor).
    pub fn pos(&self, path: &str) -> Option<Pos> {
        let idx = self.positions?;
        let mut p = Some(path);
        while let Some(cur) = p {
            if let Some(pos) = idx.get(cur) {
                return Some(pos);
            }
            p = parent(cur);
        }
        None
    }

    /// Emits `rule` at its default severity.
    pub fn emit(&mut self, rule: &'static str, path: &str, message: String, help: String) {
        let sev = rules::rule(rule).map_or(Severity::Warning, |r| r.severity);
        self.emit_at(rule, sev, path, message, help);
    }

    pub fn emit_at(
        &mut self,
        rule: &'static str,
        severity: Severity,
        path: &str,
        message: String,
        help: String,
    ) {
        debug_assert!(rules::rule(rule).is_some(), "unregistered rule {rule}");
        let pos = self.pos(path);
        self.diags.push(Diagnostic {
            severity,
            rule,
            path: path.to_string(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            message,
            help,
        });
    }

    /// Remembers a secret value so it can be scrubbed from any output.
    pub fn secret(&mut self, s: &str) {
        if !s.is_empty() {
            self.secrets.push(s.to_string());
        }
    }

    pub fn target(&self) -> Option<OsTarget> {
        self.opts.os
    }

    /// iOS-version gated rule: applies when no target is given (newest iOS assumed) or the target
    /// is iOS >= `v`.
    pub fn ios_at_least(&self, v: Ver) -> bool {
        match self.opts.os {
            None => true,
            Some(t) => t.at_least(Os::Ios, v),
        }
    }

    pub fn target_is(&self, os: Os) -> bool {
        self.opts.os.is_some_and(|t| t.os == os)
    }

    /// Finalises: redacts secrets and orders diagnostics by position. Messages are built without
    /// secret values; this is defence in depth. Quoted occurrences are always replaced; bare
    /// substrings only for secrets long enough not to collide with ordinary words.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let scrub = |text: &mut String, secrets: &[String]| {
            for s in secrets {
                for (open, close) in [("'", "'"), ("`", "`"), ("\"", "\"")] {
                    let quoted = format!("{open}{s}{close}");
                    if text.contains(&quoted) {
                        *text = text.replace(&quoted, "<redacted>");
                    }
                }
                if s.chars().count() >= 12 && text.contains(s.as_str()) {
                    *text = text.replace(s.as_str(), "<redacted>");
                }
            }
        };
        for d in &mut self.diags {
            scrub(&mut d.message, &self.secrets);
            scrub(&mut d.help, &self.secrets);
        }
        self.diags.sort_by(|a, b| {
            (
                a.line.unwrap_or(u32::MAX),
                a.column.unwrap_or(0),
                &a.path,
                a.rule,
            )
                .cmp(&(
                    b.line.unwrap_or(u32::MAX),
                    b.column.unwrap_or(0),
                    &b.path,
                    b.rule,
                ))
        });
        self.diags.dedup();
        self.diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents() {
        assert_eq!(parent("A.B[2].C"), Some("A.B[2]"));
        assert_eq!(parent("A.B[2]"), Some("A.B"));
        assert_eq!(parent("A"), Some(""));
        assert_eq!(parent(""), None);
    }

    #[test]
    fn os_targets() {
        let t = OsTarget::parse("ios:17.4").unwrap();
        assert_eq!(t.os, Os::Ios);
        assert!(t.at_least(Os::Ios, Ver(17, 0, 0)));
        assert!(!t.at_least(Os::Ios, Ver(18, 0, 0)));
        assert!(!t.at_least(Os::MacOs, Ver(1, 0, 0)));
        assert!(OsTarget::parse("windows:11").is_err());
        assert!(OsTarget::parse("ios:x").is_err());
        assert_eq!(OsTarget::parse("macOS").unwrap().version, None);
    }
}
