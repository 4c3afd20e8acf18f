//! Steady-state seal and open allocate nothing, for every transform (and the batch API).
//!
//! A counting global allocator, in its own test binary so it sees the whole process; it
//! counts per thread, so the test harness's own threads do not disturb the figures.

// The global allocator must implement an unsafe trait; it only forwards to the system
// allocator and bumps a thread-local counter.
#![allow(unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ikelab_esp::{InboundSa, Mode, Opened, OutboundSa, PacketBatch};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // try_with: the counter may already be gone while the thread shuts down.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    (r, ALLOCS.with(Cell::get) - before)
}

#[test]
fn the_counter_counts() {
    let (v, count) = allocations(|| Vec::<u8>::with_capacity(10));
    assert_eq!((v.capacity() >= 10, count), (true, 1));
}

#[test]
fn seal_and_open_allocate_nothing_per_packet() {
    const PACKETS: usize = 200;
    let mut checked = 0;
    for (i, suite) in common::suites().into_iter().enumerate() {
        for esn in [false, true] {
            let c = common::config(0x100 + i as u32, suite, Mode::Tunnel, esn);
            let mut tx = OutboundSa::new(&c).expect("SA");
            let mut rx = InboundSa::new(&c).expect("SA");
            let mut inner = vec![0u8; 1400];
            inner[0] = 0x45;
            inner[2..4].copy_from_slice(&1400u16.to_be_bytes());
            let mut sealed = vec![0u8; 2048];
            let mut out = vec![0u8; 2048];
            // Warm-up: first use of the CSPRNG and lazily initialised CPU feature tables.
            let n = tx.seal_ip(&inner, &mut sealed).expect("seal");
            rx.open(&sealed[..n], &mut out).expect("open");

            let (ok, count) = allocations(|| {
                let mut ok = 0;
                for k in 0..PACKETS {
                    let len = 20 + (k * 37) % 1381;
                    inner[2..4].copy_from_slice(&(len as u16).to_be_bytes());
                    let n = tx.seal_ip(&inner[..len], &mut sealed).expect("seal");
                    ok += usize::from(rx.open(&sealed[..n], &mut out).is_ok());
                    // Refused packets are free too: a replay and a forgery.
                    assert!(rx.open(&sealed[..n], &mut out).is_err());
                    sealed[n - 1] ^= 1;
                    assert!(rx.open(&sealed[..n], &mut out).is_err());
                }
                ok
            });
            assert_eq!(ok, PACKETS);
            assert_eq!(
                count,
                0,
                "{} (ESN {esn}): {count} allocations",
                suite.name()
            );
            checked += 1;
        }
    }
    println!("{checked} SAs: 0 allocations in {PACKETS} seal/open/replay/forgery rounds each");
}

#[test]
fn batches_allocate_nothing_in_steady_state() {
    let suite = common::suites()[2]; // AES-128-GCM-16
    let c = common::config(0x900, suite, Mode::Tunnel, true);
    let mut tx = OutboundSa::new(&c).expect("SA");
    let mut rx = InboundSa::new(&c).expect("SA");
    let mut inners = PacketBatch::new(64 * 1500, 64);
    let mut sealed = PacketBatch::new(64 * 1600, 64);
    let mut opened = PacketBatch::new(64 * 1600, 64);
    let mut results: Vec<Result<Opened, ikelab_esp::EspError>> = Vec::with_capacity(64);
    for k in 0..64usize {
        let len = 20 + k * 20;
        let mut p = vec![0u8; len];
        p[0] = 0x45;
        p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        inners.push(&p).expect("room");
    }
    let mut round = || {
        sealed.clear();
        opened.clear();
        tx.seal_batch(&inners, 4, &mut sealed).expect("seal batch");
        rx.open_batch(&sealed, &mut opened, &mut results)
            .expect("open batch")
    };
    assert_eq!(round(), 64);
    let (n, count) = allocations(|| (0..20).map(|_| round()).sum::<usize>());
    assert_eq!(n, 20 * 64);
    assert_eq!(count, 0, "{count} allocations in 20 batches");
}
