//! Shared helpers for the criterion benches in `benches/benches/`.

use std::path::PathBuf;

/// The repository root (the benches crate lives one level below it).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}
