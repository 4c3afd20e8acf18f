//! Errors for input that cannot be read as a profile (CLI exit code 2).

use thiserror::Error;

/// Why a file could not be read as a configuration profile.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("empty input: the file has no content")]
    Empty,
    #[error("not a property list: {reason}")]
    NotPlist { reason: String },
    /// `line`/`column` are 1-based; `None` when the parser gave no position.
    #[error("malformed XML property list{}: {reason}", at_pos(*line, *column))]
    Xml {
        line: Option<u32>,
        column: Option<u32>,
        reason: String,
    },
    #[error("malformed binary property list: {reason}")]
    Binary { reason: String },
    #[error("signed profile (CMS) could not be decoded: {reason}")]
    Cms { reason: String },
    #[error("signed profile has a detached signature: the profile content is not in the file")]
    Detached,
    #[error("the property list's root is a {found}, but a profile must be a dictionary")]
    RootNotDict { found: &'static str },
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn at_pos(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}
