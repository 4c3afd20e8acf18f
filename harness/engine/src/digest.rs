//! SHA-1 for NAT detection (RFC 7296 §2.23 fixes the hash to SHA-1).

/// SHA-1 over the concatenation of `parts`.
pub(crate) fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    ikelab_crypto::digest::sha1(parts)
}
