//! Multi-core scaling by SA sharding: each SA belongs to exactly one thread, so there are no
//! locks and no shared sequence counters (the way kernel and VPP data planes scale ESP).
//!
//! Jobs are split into `threads` contiguous chunks, each run on a scoped thread
//! (`std::thread::scope`; no runtime, no pool).

use crate::{EspError, InboundSa, Opened, OutboundSa, PacketBatch};

/// Runs `f` on every item, the items divided among up to `threads` scoped threads. With one
/// thread (or one item) it runs on the caller's thread.
pub fn run<T, F>(items: &mut [T], threads: usize, f: F)
where
    T: Send,
    F: Fn(&mut T) + Sync,
{
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        items.iter_mut().for_each(f);
        return;
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        for part in items.chunks_mut(chunk) {
            let f = &f;
            s.spawn(move || part.iter_mut().for_each(f));
        }
    });
}

/// One SA's share of a sharded seal.
#[derive(Debug)]
pub struct SealJob<'a> {
    /// The SA (owned by this job for the duration of the call).
    pub sa: &'a mut OutboundSa,
    /// Inner packets.
    pub input: &'a PacketBatch,
    /// Next Header for every packet.
    pub next_header: u8,
    /// Sealed packets are appended here.
    pub output: &'a mut PacketBatch,
    /// Packets sealed, or the error that stopped the job.
    pub result: Result<usize, EspError>,
}

impl<'a> SealJob<'a> {
    /// A job not yet run.
    pub fn new(
        sa: &'a mut OutboundSa,
        input: &'a PacketBatch,
        next_header: u8,
        output: &'a mut PacketBatch,
    ) -> Self {
        Self {
            sa,
            input,
            next_header,
            output,
            result: Ok(0),
        }
    }
}

/// Seals every job's batch with its SA on up to `threads` threads.
pub fn seal(jobs: &mut [SealJob<'_>], threads: usize) {
    run(jobs, threads, |j| {
        j.result = j.sa.seal_batch(j.input, j.next_header, j.output);
    });
}

/// One SA's share of a sharded open.
#[derive(Debug)]
pub struct OpenJob<'a> {
    /// The SA.
    pub sa: &'a mut InboundSa,
    /// ESP packets.
    pub input: &'a PacketBatch,
    /// Inner packets (empty entries for refused packets).
    pub output: &'a mut PacketBatch,
    /// Per-packet outcomes.
    pub results: &'a mut Vec<Result<Opened, EspError>>,
    /// Packets opened, or the error that stopped the job (batch full).
    pub result: Result<usize, EspError>,
}

impl<'a> OpenJob<'a> {
    /// A job not yet run.
    pub fn new(
        sa: &'a mut InboundSa,
        input: &'a PacketBatch,
        output: &'a mut PacketBatch,
        results: &'a mut Vec<Result<Opened, EspError>>,
    ) -> Self {
        Self {
            sa,
            input,
            output,
            results,
            result: Ok(0),
        }
    }
}

/// Opens every job's batch with its SA on up to `threads` threads.
pub fn open(jobs: &mut [OpenJob<'_>], threads: usize) {
    run(jobs, threads, |j| {
        j.result = j.sa.open_batch(j.input, j.output, j.results);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_visits_every_item_once_for_any_thread_count() {
        for threads in [0, 1, 2, 3, 8] {
            for n in [0, 1, 5, 16] {
                let mut items: Vec<u32> = (0..n).collect();
                run(&mut items, threads, |x| *x += 100);
                assert_eq!(items, (100..100 + n).collect::<Vec<_>>());
            }
        }
    }
}
