//! Parse errors that say where (byte offset and payload path) and why.

use core::fmt;

/// A structural error: the bytes cannot be an IKEv2 message (or ESP/UDP-encapsulation frame).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path} at byte {offset}: {kind}")]
pub struct Error {
    /// Offset of the offending field from the start of the parsed buffer (the datagram).
    pub offset: usize,
    /// Payload path, e.g. `SA[0]/Proposal[1]/Transform[3]/Attribute[0]`.
    pub path: String,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// Why the bytes were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// Fewer bytes remain than the field or declared length needs.
    #[error("truncated: {what} needs {needed} bytes, {available} available")]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    /// A length field holds a value the format does not allow.
    #[error("{what} is {value}: {reason}")]
    BadLength {
        what: &'static str,
        value: usize,
        reason: &'static str,
    },
    /// A count field disagrees with the structures that follow it.
    #[error("{what} declares {declared} but {found} are present")]
    CountMismatch {
        what: &'static str,
        declared: usize,
        found: usize,
    },
    /// The header's major version is not 2; the body format is unknown (RFC 7296 §3.1).
    #[error("major version {0} is not IKEv2 (2); the body cannot be parsed")]
    UnsupportedMajorVersion(u8),
    /// Payloads follow an SK/SKF payload, which must be the last payload (RFC 7296 §3.14).
    #[error("{0} bytes follow the SK/SKF payload, which must be last")]
    DataAfterEncrypted(usize),
    /// The datagram does not carry any frame this codec knows.
    #[error("{0}")]
    Unrecognised(&'static str),
}

/// A lazily rendered payload path: a chain of segments on the stack, turned into a string only
/// when an error or finding is reported, so parsing valid input allocates nothing for paths.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    name: &'static str,
    index: Option<usize>,
}

impl<'a> Path<'a> {
    /// The root of a path; renders as the empty string.
    pub const ROOT: Path<'static> = Path {
        parent: None,
        name: "",
        index: None,
    };

    /// A child segment `name[index]`.
    pub fn at(&'a self, name: &'static str, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            name,
            index: Some(index),
        }
    }

    /// A child segment `name`.
    pub fn child(&'a self, name: &'static str) -> Path<'a> {
        Path {
            parent: Some(self),
            name,
            index: None,
        }
    }

    /// Renders the path, e.g. `SA[0]/Proposal[1]`; the root alone renders as `message`.
    pub fn render(&self) -> String {
        let mut segments = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            if !p.name.is_empty() {
                segments.push(p);
            }
            cur = p.parent;
        }
        if segments.is_empty() {
            return "message".to_owned();
        }
        let mut out = String::new();
        for (i, seg) in segments.iter().rev().enumerate() {
            if i > 0 {
                out.push('/');
            }
            out.push_str(seg.name);
            if let Some(idx) = seg.index {
                out.push_str(&format!("[{idx}]"));
            }
        }
        out
    }

    /// An error at `offset` with this path.
    pub fn error(&self, offset: usize, kind: ErrorKind) -> Error {
        Error {
            offset,
            path: self.render(),
            kind,
        }
    }
}

impl fmt::Debug for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_with_indexes() {
        let root = Path::ROOT;
        let sa = root.at("SA", 0);
        let prop = sa.at("Proposal", 1);
        let tr = prop.at("Transform", 3);
        let attr = tr.at("Attribute", 0);
        assert_eq!(attr.render(), "SA[0]/Proposal[1]/Transform[3]/Attribute[0]");
        assert_eq!(root.render(), "message");
        assert_eq!(root.child("header").render(), "header");
    }

    #[test]
    fn errors_display_where_and_why() {
        let root = Path::ROOT;
        let e = root.at("KE", 1).error(
            40,
            ErrorKind::Truncated {
                what: "KE payload body",
                needed: 4,
                available: 2,
            },
        );
        assert_eq!(
            e.to_string(),
            "KE[1] at byte 40: truncated: KE payload body needs 4 bytes, 2 available"
        );
    }
}
