//! Key material that zeroizes on drop and never prints itself.

use core::fmt;
use zeroize::Zeroizing;

/// Secret octets (keys, SKEYSEED, shared secrets, PPKs).
///
/// Zeroized on drop. `Debug` prints `<redacted>`; the bytes leave only through
/// [`KeyBytes::as_bytes`] or [`KeyBytes::expose_hex`], which callers use for an
/// explicitly requested key log.
#[derive(Clone, Default)]
pub struct KeyBytes(Zeroizing<Vec<u8>>);

impl KeyBytes {
    /// Takes ownership of `bytes` (no copy is left behind).
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// `len` zero octets (to be filled in place).
    pub fn zeroed(len: usize) -> Self {
        Self::new(vec![0; len])
    }

    /// The secret octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Mutable access, for filling in place.
    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// Number of octets.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for an empty key (e.g. SK_a with an AEAD).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Lower-case hex of the secret, for an explicitly requested key log only.
    pub fn expose_hex(&self) -> String {
        let mut s = String::with_capacity(self.0.len() * 2);
        for b in self.0.iter() {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        ct_eq(&self.0, other)
    }
}

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyBytes(<redacted>, {} octets)", self.0.len())
    }
}

impl PartialEq for KeyBytes {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl Eq for KeyBytes {}

impl From<Vec<u8>> for KeyBytes {
    fn from(v: Vec<u8>) -> Self {
        Self::new(v)
    }
}

/// Constant-time comparison (length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // black_box keeps the optimiser from turning the fold into an early exit.
    core::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let k = KeyBytes::from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        let s = format!("{k:?}");
        assert!(s.contains("<redacted>"));
        assert!(!s.contains("dead"));
        assert_eq!(k.expose_hex(), "deadbeef");
    }

    #[test]
    fn ct_eq_works() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
