//! Random numbers behind a trait: the operating system's CSPRNG for real use and
//! a seeded ChaCha20 stream for reproducible simulations and tests.

use crate::CryptoError;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::sync::Mutex;

/// A source of random octets. Implementations are shared (`&self`) between threads.
pub trait SecureRandom: Send + Sync {
    /// Fills `dest` with random octets.
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError>;
}

/// The system CSPRNG (aws-lc's, seeded from the OS).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRandom;

impl SecureRandom for SystemRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        aws_lc_rs::rand::fill(dest).map_err(|_| CryptoError::Rng)
    }
}

/// Deterministic ChaCha20 stream from a seed: same seed, same octets.
///
/// For simulations and tests only; it is a secure stream cipher but its seed is
/// usually public, so nothing it generates is secret.
pub struct SeededRandom {
    inner: Mutex<ChaCha20Rng>,
}

impl SeededRandom {
    /// Seeds from a 32-octet seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            inner: Mutex::new(ChaCha20Rng::from_seed(seed)),
        }
    }

    /// Seeds from a `u64` (little-endian in the first 8 seed octets, rest zero).
    pub fn from_u64(seed: u64) -> Self {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&seed.to_le_bytes());
        Self::from_seed(s)
    }
}

impl core::fmt::Debug for SeededRandom {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SeededRandom(<redacted>)")
    }
}

impl SecureRandom for SeededRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        // A poisoned lock only means another thread panicked mid-fill; the
        // generator state is still a valid ChaCha state.
        let mut g = match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.fill_bytes(dest);
        Ok(())
    }
}

/// Fixed octets, returned in order (then an error): for known-answer tests that
/// need a given IV or private key from "the RNG".
pub struct FixedRandom {
    data: Mutex<(Vec<u8>, usize)>,
}

impl FixedRandom {
    /// Serves `data` front to back.
    pub fn new(data: Vec<u8>) -> Self {
        Self {
            data: Mutex::new((data, 0)),
        }
    }
}

impl core::fmt::Debug for FixedRandom {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FixedRandom(<redacted>)")
    }
}

impl SecureRandom for FixedRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        let mut g = match self.data.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let (data, pos) = &mut *g;
        let end = pos.checked_add(dest.len()).ok_or(CryptoError::Rng)?;
        let src = data.get(*pos..end).ok_or(CryptoError::Rng)?;
        dest.copy_from_slice(src);
        *pos = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_reproducible() {
        let (a, b) = (SeededRandom::from_u64(7), SeededRandom::from_u64(7));
        let (mut x, mut y) = ([0u8; 40], [0u8; 40]);
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        assert_eq!(x, y);
        let c = SeededRandom::from_u64(8);
        c.fill(&mut y).unwrap();
        assert_ne!(x, y);
    }

    #[test]
    fn system_fills() {
        let mut x = [0u8; 32];
        SystemRandom.fill(&mut x).unwrap();
        assert_ne!(x, [0u8; 32]);
    }

    #[test]
    fn fixed_runs_out() {
        let r = FixedRandom::new(vec![1, 2, 3]);
        let mut x = [0u8; 2];
        r.fill(&mut x).unwrap();
        assert_eq!(x, [1, 2]);
        assert_eq!(r.fill(&mut x), Err(CryptoError::Rng));
    }
}
