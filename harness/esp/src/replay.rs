//! Anti-replay window (RFC 4303 §3.4.3) as a ring of 64-bit blocks (RFC 6479), and ESN
//! high-order-bit inference (RFC 4303 Appendix A2.2).
//!
//! The window covers the `size` sequence numbers ending at `top`, the highest authenticated
//! one. The ring holds at least one block more than the window needs, so moving `top`
//! forward only clears whole blocks (RFC 6479 §2) and a check is one shift and one AND.
//! Callers check before verifying integrity and update after (RFC 4303 §3.4.3).

use crate::config::{MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW};

/// Why a sequence number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// Already received (or below the SA's first sequence number).
    Duplicate,
    /// Left of the window: `top - seq >= size`.
    TooOld,
}

/// An anti-replay window over 64-bit sequence numbers.
#[derive(Debug, Clone)]
pub struct ReplayWindow {
    size: u64,
    top: u64,
    /// Ring of blocks; bit `s % 64` of block `(s / 64) % len` stands for sequence number `s`.
    blocks: Box<[u64]>,
    mask: u64,
}

impl ReplayWindow {
    /// A window of `size` packets in which sequence numbers below `first_seq` count as
    /// received (sequence number 0 is never valid, RFC 4303 §3.3.3). `size` is clamped to
    /// [`MIN_REPLAY_WINDOW`]..=[`MAX_REPLAY_WINDOW`]; `first_seq` 0 is treated as 1.
    pub fn new(size: u32, first_seq: u64) -> Self {
        let size = size.clamp(MIN_REPLAY_WINDOW, MAX_REPLAY_WINDOW);
        // One spare block so the window never shares a block with the bits being cleared.
        let len = (size as usize).div_ceil(64) + 1;
        let len = len.next_power_of_two();
        let top = first_seq.max(1) - 1;
        let mut blocks = vec![u64::MAX; len].into_boxed_slice();
        let mask = len as u64 - 1;
        // In top's block only the bits up to top are "received"; the rest are future numbers.
        let bit = top % 64;
        blocks[((top / 64) & mask) as usize] = if bit == 63 {
            u64::MAX
        } else {
            (1u64 << (bit + 1)) - 1
        };
        Self {
            size: u64::from(size),
            top,
            blocks,
            mask,
        }
    }

    /// Window size in packets.
    pub fn size(&self) -> u32 {
        // Constructed from a u32.
        self.size as u32
    }

    /// Highest authenticated sequence number (the first sequence number minus one before
    /// anything arrived).
    pub fn top(&self) -> u64 {
        self.top
    }

    /// The full sequence number for a received low half, per RFC 4303 Appendix A2.2: the
    /// candidate closest to the window. `None` when it would leave the 64-bit space.
    pub fn infer_esn(&self, seq_lo: u32) -> Option<u64> {
        let tl = self.top as u32;
        let th = (self.top >> 32) as u32;
        // size ≤ 2^16, so size - 1 fits a u32.
        let w1 = (self.size - 1) as u32;
        let seq_hi = if tl >= w1 {
            // Case A: the window lies in one 2^32 subspace.
            if seq_lo >= tl - w1 {
                th
            } else {
                th.checked_add(1)?
            }
        } else if seq_lo >= tl.wrapping_sub(w1) {
            // Case B: the window straddles two subspaces; this is its lower part.
            th.checked_sub(1)?
        } else {
            th
        };
        Some(u64::from(seq_hi) << 32 | u64::from(seq_lo))
    }

    /// Accepts `seq` if it is right of `top` or inside the window and not yet received.
    pub fn check(&self, seq: u64) -> Result<(), ReplayVerdict> {
        if seq > self.top {
            return Ok(());
        }
        if self.top - seq >= self.size {
            return Err(ReplayVerdict::TooOld);
        }
        if self.blocks[self.block_of(seq)] & (1 << (seq % 64)) != 0 {
            return Err(ReplayVerdict::Duplicate);
        }
        Ok(())
    }

    /// Records `seq` as received (after its ICV verified), sliding the window if needed.
    /// A number that [`ReplayWindow::check`] refuses leaves the window unchanged.
    pub fn update(&mut self, seq: u64) {
        if self.check(seq).is_err() {
            return;
        }
        if seq > self.top {
            let old = self.top / 64;
            let new = seq / 64;
            // Clear the blocks entered for the first time; a jump past the ring clears it all.
            let n = (new - old).min(self.mask + 1);
            for i in 1..=n {
                self.blocks[((old + i) & self.mask) as usize] = 0;
            }
            self.top = seq;
        }
        let b = self.block_of(seq);
        self.blocks[b] |= 1 << (seq % 64);
    }

    fn block_of(&self, seq: u64) -> usize {
        ((seq / 64) & self.mask) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_duplicates_and_old() {
        let mut w = ReplayWindow::new(64, 1);
        assert_eq!(w.check(0), Err(ReplayVerdict::Duplicate));
        for s in 1..=200 {
            assert_eq!(w.check(s), Ok(()));
            w.update(s);
            assert_eq!(w.check(s), Err(ReplayVerdict::Duplicate));
        }
        assert_eq!(w.top(), 200);
        // The window is (136, 200].
        assert_eq!(w.check(136), Err(ReplayVerdict::TooOld));
        assert_eq!(w.check(137), Err(ReplayVerdict::Duplicate));
        assert_eq!(w.check(1), Err(ReplayVerdict::TooOld));
    }

    #[test]
    fn holes_stay_open_until_they_leave_the_window() {
        let mut w = ReplayWindow::new(128, 1);
        w.update(1);
        w.update(100);
        assert_eq!(w.check(50), Ok(()));
        w.update(50);
        assert_eq!(w.check(50), Err(ReplayVerdict::Duplicate));
        w.update(228); // top - 128 = 100: 100 leaves, 101.. stay
        assert_eq!(w.check(100), Err(ReplayVerdict::TooOld));
        assert_eq!(w.check(101), Ok(()));
        // A jump far past the ring forgets everything.
        w.update(1 << 40);
        assert_eq!(w.check((1 << 40) - 1), Ok(()));
        assert_eq!(w.check((1 << 40) - 128), Err(ReplayVerdict::TooOld));
    }

    #[test]
    fn first_seq_marks_everything_below_as_received() {
        let w = ReplayWindow::new(64, 10);
        assert_eq!(w.top(), 9);
        for s in 1..10 {
            assert_eq!(w.check(s), Err(ReplayVerdict::Duplicate), "{s}");
        }
        assert_eq!(w.check(10), Ok(()));
        assert_eq!(w.check(11), Ok(()));
        let mut w = ReplayWindow::new(64, 64);
        w.update(70);
        assert_eq!(
            w.check(65),
            Ok(()),
            "bits above top in top's block are free"
        );
        assert_eq!(w.check(63), Err(ReplayVerdict::Duplicate));
    }

    #[test]
    fn esn_inference_appendix_a() {
        // Case A, window inside one subspace.
        let mut w = ReplayWindow::new(64, 1);
        w.update((5 << 32) | 1000);
        assert_eq!(w.infer_esn(990), Some((5 << 32) | 990));
        assert_eq!(w.infer_esn(2000), Some((5 << 32) | 2000));
        assert_eq!(
            w.infer_esn(900),
            Some((6 << 32) | 900),
            "left of window: next subspace"
        );
        // Case B, window straddling 2^32 boundary.
        let mut w = ReplayWindow::new(64, 1);
        w.update((1 << 32) | 3);
        assert_eq!(w.infer_esn(u32::MAX - 2), Some(u32::MAX as u64 - 2));
        assert_eq!(w.infer_esn(2), Some((1 << 32) | 2));
        assert_eq!(w.infer_esn(5000), Some((1 << 32) | 5000));
        // Nothing below zero, nothing above 2^64 - 1.
        let w = ReplayWindow::new(64, 1);
        assert_eq!(w.infer_esn(u32::MAX), None);
        assert_eq!(w.infer_esn(1), Some(1));
        let w = ReplayWindow::new(64, u64::MAX - 10);
        assert_eq!(w.infer_esn(0), None);
        assert_eq!(w.infer_esn(u32::MAX), Some(u64::MAX));
    }

    #[test]
    fn sizes_are_clamped_and_ring_is_power_of_two() {
        for (size, want) in [
            (1, 32),
            (64, 64),
            (4096, 4096),
            (u32::MAX, MAX_REPLAY_WINDOW),
        ] {
            let w = ReplayWindow::new(size, 1);
            assert_eq!(w.size(), want);
            assert!(w.blocks.len().is_power_of_two());
            assert!(w.blocks.len() as u64 * 64 >= w.size + 64);
        }
    }
}
