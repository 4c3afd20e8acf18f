//! The link model and the world's one random generator.

use ikelab_policy::Duration;

/// How a (directed) link treats datagrams. Probabilities are per mille.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkModel {
    /// One-way delay.
    pub latency: Duration,
    /// Extra delay, uniform in `0..=jitter` per datagram (reorders when larger than the gap
    /// between datagrams).
    pub jitter: Duration,
    pub loss_permille: u32,
    /// A second copy arrives (with its own jitter).
    pub duplicate_permille: u32,
    /// Held back by one extra latency (plus jitter), so datagrams sent after it overtake it.
    pub reorder_permille: u32,
    /// Largest IP packet (IP + UDP headers + payload) the link carries; larger ones are
    /// dropped and recorded as [`crate::DropReason::Mtu`].
    pub mtu: Option<usize>,
}

impl Default for LinkModel {
    /// 10 ms one way, otherwise perfect.
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(10),
            jitter: Duration::ZERO,
            loss_permille: 0,
            duplicate_permille: 0,
            reorder_permille: 0,
            mtu: None,
        }
    }
}

/// xorshift64*: small, reproducible, independent of the nodes' generators.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        // Never zero: xorshift stays at zero forever.
        Self((seed ^ 0x9e37_79b9_7f4a_7c15).max(1))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// True with probability `permille`/1000. Draws nothing for 0, so a perfect link does
    /// not consume randomness.
    pub(crate) fn chance(&mut self, permille: u32) -> bool {
        permille > 0 && self.next_u64() % 1000 < u64::from(permille)
    }

    /// Uniform in `0..=max`.
    pub(crate) fn upto(&mut self, max: Duration) -> Duration {
        let m = max.as_micros();
        if m == 0 {
            return Duration::ZERO;
        }
        Duration::from_micros(self.next_u64() % (m + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_bounds_hold() {
        let (mut a, mut b) = (Rng::new(5), Rng::new(5));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(5).next_u64(), Rng::new(6).next_u64());
        let mut r = Rng::new(0);
        assert!(!r.chance(0));
        assert!(r.chance(1000));
        let max = Duration::from_micros(7);
        assert!((0..1000).all(|_| r.upto(max) <= max));
    }
}
