//! ESP data plane (ikelab-esp) against its own ceiling: for each transform and packet size
//! (64, 512, 1400, 9000 octets), `OutboundSa::seal` and `InboundSa::open` next to the raw
//! ikelab-crypto primitive they call (same keys, same sizes, same run). Throughput counts
//! inner octets. The summary lines print GB/s and the ratio ESP/raw; the last ones show
//! sealing sharded over threads (`ikelab_esp::shard`).
//!
//! Opening needs packets the replay window has not seen: each measured chunk opens a ring
//! of pre-sealed packets with a freshly made inbound SA, SA construction left out of the
//! timing (the window check and update stay in).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ikelab_crypto::cipher::{Aead, AesCbc, AesGcm, BlockCipher, ChaCha20Poly1305, NullCipher};
use ikelab_crypto::integ::{HashAlg, HmacMac, Mac};
use ikelab_esp::{
    shard, Encryption, InboundSa, Integrity, Mode, OutboundSa, PacketBatch, SaConfig, SaKeys, Suite,
};

const SIZES: [usize; 4] = [64, 512, 1400, 9000];
const IV: [u8; 16] = [7; 16];
const AAD: [u8; 8] = [0, 0, 0x10, 0x01, 0, 0, 0, 1];

fn key(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(73).wrapping_add(seed))
        .collect()
}

/// The primitive ESP calls, keyed the same way.
enum Raw {
    Aead(Box<dyn Aead>),
    Gmac(Box<AesGcm>),
    Pair(Box<dyn BlockCipher>, Box<HmacMac>),
}

struct Case {
    name: &'static str,
    config: SaConfig,
    raw: Raw,
}

fn cases() -> Vec<Case> {
    use Encryption as E;
    use Integrity as I;
    let gcm = |bits| E::AesGcm {
        key_bits: bits,
        icv_len: 16,
    };
    let list = [
        ("AES-128-GCM-16", gcm(128), I::None),
        ("AES-256-GCM-16", gcm(256), I::None),
        ("ChaCha20-Poly1305", E::ChaCha20Poly1305, I::None),
        ("AES-256-GMAC", E::AesGmac { key_bits: 256 }, I::None),
        (
            "AES-128-CBC/HMAC-SHA1-96",
            E::AesCbc { key_bits: 128 },
            I::HmacSha1_96,
        ),
        (
            "AES-256-CBC/HMAC-SHA2-256-128",
            E::AesCbc { key_bits: 256 },
            I::HmacSha256_128,
        ),
        ("NULL/HMAC-SHA2-256-128", E::Null, I::HmacSha256_128),
    ];
    list.into_iter()
        .map(|(name, e, i)| {
            let ek = key(e.key_len(), 1);
            let ik = key(i.key_len(), 2);
            let mut config = SaConfig::new(0x1001, Suite::split(e, i), SaKeys::new(&ek, &ik));
            config.mode = Mode::Tunnel;
            let hmac = |i: I| {
                let (hash, icv) = match i {
                    I::HmacSha1_96 => (HashAlg::Sha1, 12),
                    _ => (HashAlg::Sha256, 16),
                };
                Box::new(HmacMac::new("raw HMAC", hash, icv, &ik).expect("HMAC key"))
            };
            let raw = match e {
                E::AesGcm { key_bits, .. } => Raw::Aead(Box::new(
                    AesGcm::new(&ek, usize::from(key_bits) / 8, 16).expect("key"),
                )),
                E::ChaCha20Poly1305 => {
                    Raw::Aead(Box::new(ChaCha20Poly1305::new(&ek).expect("key")))
                }
                E::AesGmac { key_bits } => Raw::Gmac(Box::new(
                    AesGcm::new(&ek, usize::from(key_bits) / 8, 16).expect("key"),
                )),
                E::AesCbc { .. } => Raw::Pair(Box::new(AesCbc::new(&ek).expect("key")), hmac(i)),
                _ => Raw::Pair(Box::new(NullCipher), hmac(i)),
            };
            Case { name, config, raw }
        })
        .collect()
}

/// An IPv4-looking inner packet (tunnel mode checks version and Total Length).
fn inner(size: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..size).map(|i| i as u8).collect();
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(size as u16).to_be_bytes());
    p
}

/// State for the raw primitive on one size: a working buffer and ICV for sealing, and a
/// valid ciphertext with its ICV for opening.
struct RawBench<'a> {
    raw: &'a Raw,
    buf: Vec<u8>,
    icv: Vec<u8>,
    ct: Vec<u8>,
    ct_icv: Vec<u8>,
}

impl<'a> RawBench<'a> {
    fn new(raw: &'a Raw, size: usize) -> Self {
        // CBC needs whole blocks: the ESP payload of `size` octets is padded likewise.
        let len = match raw {
            Raw::Pair(c, _) => size.div_ceil(c.block_len()) * c.block_len(),
            _ => size,
        };
        let mut b = Self {
            raw,
            buf: inner(len.max(20)),
            icv: vec![0; 32],
            ct: Vec::new(),
            ct_icv: Vec::new(),
        };
        b.buf.truncate(len);
        b.seal();
        b.ct = b.buf.clone();
        b.ct_icv = b.icv.clone();
        b
    }

    fn seal(&mut self) {
        match self.raw {
            Raw::Aead(a) => a
                .seal_in_place(&IV[..8], &AAD, &mut self.buf, &mut self.icv[..16])
                .expect("seal"),
            Raw::Gmac(g) => g
                .seal_in_place(&IV[..8], &self.buf, &mut [], &mut self.icv[..16])
                .expect("seal"),
            Raw::Pair(c, m) => {
                let iv = &IV[..c.iv_len()];
                c.encrypt_in_place(iv, &mut self.buf).expect("encrypt");
                m.sign(&[&AAD, iv, &self.buf], &mut self.icv[..m.icv_len()])
                    .expect("sign");
            }
        }
    }

    fn open(&mut self) {
        match self.raw {
            Raw::Aead(a) => {
                self.buf.copy_from_slice(&self.ct);
                a.open_in_place(&IV[..8], &AAD, &mut self.buf, &self.ct_icv[..16])
                    .expect("open")
            }
            Raw::Gmac(g) => {
                g.open_in_place(&IV[..8], &self.ct, &mut [], &self.ct_icv[..16])
                    .expect("verify");
                self.buf.copy_from_slice(&self.ct);
            }
            Raw::Pair(c, m) => {
                let iv = &IV[..c.iv_len()];
                m.verify(&[&AAD, iv, &self.ct], &self.ct_icv[..m.icv_len()])
                    .expect("verify");
                self.buf.copy_from_slice(&self.ct);
                c.decrypt_in_place(iv, &mut self.buf).expect("decrypt");
            }
        }
    }
}

/// Sealing with a reusable SA and output slot.
struct EspSeal {
    tx: OutboundSa,
    inner: Vec<u8>,
    out: Vec<u8>,
}

impl EspSeal {
    fn new(config: &SaConfig, size: usize) -> Self {
        let tx = OutboundSa::new(config).expect("SA");
        let out = vec![0; tx.sealed_len(size)];
        Self {
            tx,
            inner: inner(size),
            out,
        }
    }

    fn seal(&mut self) {
        black_box(
            self.tx
                .seal_ip(black_box(&self.inner), &mut self.out)
                .expect("seal"),
        );
    }

    /// Zero-copy variant: the inner packet is already at the headroom offset (its bytes
    /// are the previous ciphertext, which costs the same to encrypt).
    fn seal_in_place(&mut self) {
        let len = self.inner.len();
        black_box(
            self.tx
                .seal_in_place(black_box(&mut self.out), len, 4)
                .expect("seal"),
        );
    }
}

/// A ring of sealed packets opened by fresh inbound SAs.
struct EspOpen<'a> {
    config: &'a SaConfig,
    ring: Vec<Vec<u8>>,
    out: Vec<u8>,
}

impl<'a> EspOpen<'a> {
    fn new(config: &'a SaConfig, size: usize) -> Self {
        let mut s = EspSeal::new(config, size);
        // Enough packets to amortise the per-chunk timer, few enough to stay in cache.
        let k = (256 * 1024 / size).clamp(32, 1024);
        let ring = (0..k)
            .map(|_| {
                s.seal();
                s.out.clone()
            })
            .collect();
        Self {
            config,
            ring,
            out: vec![0; size + 64],
        }
    }

    /// Time to open `iters` packets, SA construction excluded.
    fn time(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            let mut rx = InboundSa::new(self.config).expect("SA");
            let n = left.min(self.ring.len());
            let start = Instant::now();
            for p in &self.ring[..n] {
                black_box(rx.open(black_box(p), &mut self.out).expect("open"));
            }
            total += start.elapsed();
            left -= n;
        }
        total
    }
}

fn bench_esp(c: &mut Criterion) {
    let cases = cases();
    for &size in &SIZES {
        let mut g = c.benchmark_group(format!("esp_{size}B"));
        g.throughput(Throughput::Bytes(size as u64));
        for case in &cases {
            let mut raw = RawBench::new(&case.raw, size);
            g.bench_function(BenchmarkId::new("raw seal", case.name), |b| {
                b.iter(|| raw.seal())
            });
            g.bench_function(BenchmarkId::new("raw open", case.name), |b| {
                b.iter(|| raw.open())
            });
            let mut seal = EspSeal::new(&case.config, size);
            g.bench_function(BenchmarkId::new("ESP seal", case.name), |b| {
                b.iter(|| seal.seal())
            });
            let mut open = EspOpen::new(&case.config, size);
            g.bench_function(BenchmarkId::new("ESP open", case.name), |b| {
                b.iter_custom(|iters| open.time(iters))
            });
        }
        g.finish();
    }
    summary(&cases);
}

/// GB/s of `size`-octet operations, measured for about 50 ms by `f(iters) -> elapsed`.
fn rate(size: usize, f: &mut dyn FnMut(u64) -> Duration) -> f64 {
    let mut n = 0u64;
    let mut t = Duration::ZERO;
    let mut batch = 64;
    while t < Duration::from_millis(50) {
        t += f(batch);
        n += batch;
        batch = (batch * 2).min(1 << 14);
    }
    n as f64 * size as f64 / t.as_secs_f64() / 1e9
}

fn timed(iters: u64, f: &mut dyn FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed()
}

/// Raw and ESP rates are measured interleaved, eight rounds each, and the best round of
/// each kept: on a shared machine that compares both at their least disturbed.
fn summary(cases: &[Case]) {
    const ROUNDS: usize = 8;
    for &size in &SIZES {
        for case in cases {
            let mut raw = RawBench::new(&case.raw, size);
            let mut seal = EspSeal::new(&case.config, size);
            let mut open = EspOpen::new(&case.config, size);
            let mut best = [0f64; 5];
            for _ in 0..ROUNDS {
                let r = [
                    rate(size, &mut |n| timed(n, &mut || raw.seal())),
                    rate(size, &mut |n| timed(n, &mut || seal.seal())),
                    rate(size, &mut |n| timed(n, &mut || raw.open())),
                    rate(size, &mut |n| open.time(n)),
                    rate(size, &mut |n| timed(n, &mut || seal.seal_in_place())),
                ];
                for (b, r) in best.iter_mut().zip(r) {
                    *b = b.max(r);
                }
            }
            let [raw_seal, esp_seal, raw_open, esp_open, in_place] = best;
            println!(
                "summary {size:>5} B {:<30} seal: ESP {esp_seal:6.2} GB/s raw {raw_seal:6.2} GB/s ratio {:.3} (in place {:.3}) | open: ESP {esp_open:6.2} GB/s raw {raw_open:6.2} GB/s ratio {:.3}",
                case.name,
                esp_seal / raw_seal,
                in_place / raw_seal,
                esp_open / raw_open,
            );
        }
    }
    sharded(&cases[1]);
}

/// Sealing throughput with the SAs spread over 1, 2 and 4 threads (one SA per shard).
fn sharded(case: &Case) {
    const SIZE: usize = 1400;
    const PER_BATCH: usize = 512;
    for threads in [1usize, 2, 4] {
        let shards = threads.max(2);
        let mut input = PacketBatch::new(PER_BATCH * SIZE, PER_BATCH);
        for _ in 0..PER_BATCH {
            input.push(&inner(SIZE)).expect("room");
        }
        let mut sas: Vec<OutboundSa> = (0..shards)
            .map(|i| {
                let mut c = case.config.clone();
                c.spi += i as u32;
                OutboundSa::new(&c).expect("SA")
            })
            .collect();
        let mut outs: Vec<PacketBatch> = (0..shards)
            .map(|_| PacketBatch::new(PER_BATCH * (SIZE + 64), PER_BATCH))
            .collect();
        let start = Instant::now();
        let mut rounds = 0u64;
        while start.elapsed() < Duration::from_millis(400) {
            outs.iter_mut().for_each(PacketBatch::clear);
            let mut jobs: Vec<shard::SealJob<'_>> = sas
                .iter_mut()
                .zip(outs.iter_mut())
                .map(|(sa, out)| shard::SealJob::new(sa, &input, 4, out))
                .collect();
            shard::seal(&mut jobs, threads);
            assert!(jobs.iter().all(|j| j.result == Ok(PER_BATCH)));
            rounds += 1;
        }
        let octets = rounds as f64 * (SIZE * PER_BATCH * shards) as f64;
        let gbps = octets / start.elapsed().as_secs_f64() / 1e9;
        println!(
            "summary sharded seal {} {SIZE} B, {shards} SAs on {threads} thread(s): {gbps:6.2} GB/s",
            case.name
        );
    }
}

criterion_group!(benches, bench_esp);
criterion_main!(benches);
