//! Anti-replay window and ESN inference against a reference model: a set of received
//! sequence numbers plus the RFC 4303 §3.4.3 window rule.

mod common;

use std::collections::BTreeSet;

use ikelab_esp::{
    Encryption, EspError, InboundSa, Mode, OutboundSa, ReplayVerdict, ReplayWindow, Suite,
};
use proptest::prelude::*;

/// The obvious model: every number ever accepted, and the highest.
struct Model {
    seen: BTreeSet<u64>,
    top: u64,
    size: u64,
    first: u64,
}

impl Model {
    fn new(size: u32, first: u64) -> Self {
        Self {
            seen: BTreeSet::new(),
            top: first - 1,
            size: u64::from(size),
            first,
        }
    }

    fn check(&self, s: u64) -> Result<(), ReplayVerdict> {
        if s > self.top {
            Ok(())
        } else if self.top - s >= self.size {
            Err(ReplayVerdict::TooOld)
        } else if s < self.first || self.seen.contains(&s) {
            Err(ReplayVerdict::Duplicate)
        } else {
            Ok(())
        }
    }

    fn update(&mut self, s: u64) {
        if self.check(s).is_ok() {
            self.seen.insert(s);
            self.top = self.top.max(s);
        }
    }
}

/// One arrival: how to pick the next number relative to the model's state, and whether
/// its ICV verifies.
#[derive(Debug, Clone)]
enum Step {
    /// top + k (in order, or a gap).
    Ahead(u64),
    /// top - k (reordered, maybe a duplicate or too old).
    Behind(u64),
    /// A number received before.
    Duplicate(usize),
    /// A far jump ahead.
    Jump(u64),
}

fn step(max_jump: u64) -> impl Strategy<Value = (Step, bool)> {
    let s = prop_oneof![
        6 => (1u64..4).prop_map(Step::Ahead),
        4 => (0u64..5000).prop_map(Step::Behind),
        2 => any::<usize>().prop_map(Step::Duplicate),
        1 => (1u64..max_jump).prop_map(Step::Jump),
    ];
    // One in eight fails integrity: the window must not move.
    (s, prop::bool::weighted(0.875))
}

fn pick(m: &Model, accepted: &[u64], st: &Step) -> Option<u64> {
    match *st {
        Step::Ahead(k) => m.top.checked_add(k),
        Step::Behind(k) => m.top.checked_sub(k).filter(|&s| s > 0),
        Step::Duplicate(i) if !accepted.is_empty() => Some(accepted[i % accepted.len()]),
        Step::Duplicate(_) => None,
        Step::Jump(k) => m.top.checked_add(k),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// check() agrees with the model before every arrival; update() only after "integrity".
    #[test]
    fn window_matches_model(
        size in prop_oneof![Just(32u32), Just(64), 65u32..200, Just(1024), Just(4096)],
        first in prop_oneof![Just(1u64), 1u64..10_000, Just((1u64 << 32) - 300)],
        steps in prop::collection::vec(step(1 << 20), 1..400),
    ) {
        let mut w = ReplayWindow::new(size, first);
        let mut m = Model::new(size, first);
        let mut accepted = Vec::new();
        for (st, verifies) in &steps {
            let Some(s) = pick(&m, &accepted, st) else { continue };
            let got = w.check(s);
            prop_assert_eq!(got, m.check(s), "seq {} top {}", s, m.top);
            if got.is_ok() && *verifies {
                w.update(s);
                m.update(s);
                accepted.push(s);
            }
            prop_assert_eq!(w.top(), m.top);
        }
        // Sweep the window and just beyond it: every verdict agrees.
        for s in m.top.saturating_sub(u64::from(size) + 70)..=m.top + 70 {
            prop_assert_eq!(w.check(s), m.check(s), "sweep seq {}", s);
        }
    }

    /// RFC 4303 Appendix A2.2: the low 32 bits alone recover any number in
    /// [top - W + 1, top + 2^32 - W], across the 2^32 boundary.
    #[test]
    fn esn_inference_recovers_numbers_near_the_window(
        size in prop_oneof![Just(32u32), Just(64), Just(4096), Just(65536)],
        top in prop_oneof![
            Just((1u64 << 32) - 1),
            (1u64 << 32) - 70_000..(1u64 << 32) + 70_000,
            any::<u64>().prop_map(|x| x >> 8),
            (1u64 << 33) - 5..(1u64 << 33) + 5,
        ],
        offset in any::<i64>(),
    ) {
        let mut w = ReplayWindow::new(size, 1);
        w.update(top);
        let lo = top.saturating_sub(u64::from(size) - 1).max(1);
        let hi = top + (1u64 << 32) - u64::from(size);
        let span = hi - lo + 1;
        let s = lo + (offset as u64) % span;
        prop_assert_eq!(w.infer_esn(s as u32), Some(s));
        // Beyond the range the answer differs by a multiple of 2^32.
        let beyond = hi + 1;
        prop_assert_ne!(w.infer_esn(beyond as u32), Some(beyond));
    }
}

/// Sequences built from the model and delivered to an AES-GCM ESN SA across 2^32: every
/// acceptance decision and every payload matches.
fn sa_run(
    order: &[usize],
    sealed: &[Vec<u8>],
    base: u64,
    window: u32,
) -> Result<(), TestCaseError> {
    let suite = Suite::combined(Encryption::AesGcm {
        key_bits: 128,
        icv_len: 16,
    });
    let mut c = common::config(0xbeef, suite, Mode::Transport, true);
    c.first_seq = base;
    c.replay_window = window;
    let mut rx = InboundSa::new(&c).expect("SA");
    let mut m = Model::new(window, base);
    let mut out = vec![0u8; 128];
    for &i in order {
        let seq = base + i as u64;
        let expect = m.check(seq);
        match rx.open(&sealed[i], &mut out) {
            Ok(o) => {
                prop_assert!(
                    expect.is_ok(),
                    "accepted {:#x}, model says {:?}",
                    seq,
                    expect
                );
                prop_assert_eq!(o.seq, seq);
                prop_assert_eq!(&out[..o.len], &(seq.to_be_bytes())[..]);
                m.update(seq);
            }
            Err(EspError::Replay { seq: s, .. }) => {
                prop_assert_eq!(s, seq);
                prop_assert_eq!(expect, Err(ReplayVerdict::Duplicate));
            }
            // Left of the window in the previous 2^32 subspace, the low bits read as the
            // next subspace (RFC 4303 Appendix A2.2) and the ICV refuses the guess.
            Err(EspError::TooOld { .. } | EspError::Integrity { .. }) => {
                prop_assert_eq!(expect, Err(ReplayVerdict::TooOld));
            }
            Err(e) => prop_assert!(false, "seq {:#x}: {}", seq, e),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn esn_sa_across_2_pow_32_matches_model(
        order in prop::collection::vec(0usize..300, 1..400),
        window in prop_oneof![Just(32u32), Just(64), Just(256)],
    ) {
        let base = (1u64 << 32) - 150;
        let suite = Suite::combined(Encryption::AesGcm { key_bits: 128, icv_len: 16 });
        let mut c = common::config(0xbeef, suite, Mode::Transport, true);
        c.first_seq = base;
        let mut tx = OutboundSa::new(&c).expect("SA");
        let sealed: Vec<Vec<u8>> = (0..300u64)
            .map(|i| {
                let mut b = vec![0u8; tx.sealed_len(8)];
                tx.seal(&(base + i).to_be_bytes(), 17, &mut b).expect("seal");
                b
            })
            .collect();
        sa_run(&order, &sealed, base, window)?;
    }
}

#[test]
fn esn_sa_in_order_across_the_boundary() {
    let base = (1u64 << 32) - 3;
    let suite = Suite::combined(Encryption::ChaCha20Poly1305);
    let mut c = common::config(0xcafe, suite, Mode::Transport, true);
    c.first_seq = base;
    let (mut tx, mut rx) = (
        OutboundSa::new(&c).expect("SA"),
        InboundSa::new(&c).expect("SA"),
    );
    let mut buf = [0u8; 64];
    let mut out = [0u8; 64];
    for i in 0..6u64 {
        let n = tx.seal(b"x", 17, &mut buf).expect("seal");
        let o = rx.open(&buf[..n], &mut out).expect("open");
        assert_eq!(o.seq, base + i);
    }
    assert_eq!(rx.replay_window().top(), (1 << 32) + 2);
}
