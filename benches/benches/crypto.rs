//! Crypto ceilings for the ESP data plane and handshakes (ikelab-crypto):
//! every AEAD and CBC+HMAC pair at 64, 512, 1400 and 9000 octets, in place on a
//! pre-keyed object (what ESP does per packet), with a same-run memcpy baseline;
//! and key-exchange operations per second per group (key generation + shared
//! secret, i.e. one side of a KE).
//! Prints GB/s per algorithm and size, ops/s per group, and the ratio to memcpy.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ikelab_crypto::cipher::{Aead, BlockCipher};
use ikelab_crypto::integ::Mac;
use ikelab_crypto::rng::SeededRandom;
use ikelab_crypto::DEFAULT;

const SIZES: [usize; 4] = [64, 512, 1400, 9000];
const AAD: [u8; 8] = [1, 2, 3, 4, 0, 0, 0, 5]; // SPI ‖ sequence number
const IV: [u8; 8] = [9; 8];

fn key(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(73).wrapping_add(5))
        .collect()
}

fn aeads() -> Vec<(&'static str, Box<dyn Aead>)> {
    [
        (20, Some(128)),
        (20, Some(256)),
        (19, Some(256)),
        (28, None),
    ]
    .into_iter()
    .map(|(id, bits)| {
        let t = DEFAULT.encr(id, bits).expect("table entry");
        (t.name, t.new_aead(&key(t.key_len)).expect("key"))
    })
    .collect()
}

struct Pair {
    name: &'static str,
    cipher: Box<dyn BlockCipher>,
    mac: Box<dyn Mac>,
}

fn pairs() -> Vec<Pair> {
    [
        ((12, Some(128)), 12, "AES-128-CBC + HMAC-SHA2-256-128"),
        ((12, Some(256)), 12, "AES-256-CBC + HMAC-SHA2-256-128"),
        ((12, Some(256)), 14, "AES-256-CBC + HMAC-SHA2-512-256"),
        ((3, None), 2, "3DES-CBC + HMAC-SHA1-96"),
    ]
    .into_iter()
    .map(|((e, bits), i, name)| {
        let e = DEFAULT.encr(e, bits).expect("table entry");
        let i = DEFAULT.integ(i).expect("table entry");
        Pair {
            name,
            cipher: e.new_block(&key(e.key_len)).expect("key"),
            mac: i.new_mac(&key(i.key_len)).expect("key"),
        }
    })
    .collect()
}

/// ESP-like seal: encrypt in place, ICV over header ‖ IV ‖ ciphertext.
fn pair_seal(p: &Pair, buf: &mut [u8], icv: &mut [u8]) {
    let iv = [7u8; 16];
    let iv = &iv[..p.cipher.iv_len()];
    p.cipher.encrypt_in_place(iv, buf).expect("aligned");
    p.mac.sign(&[&AAD, iv, buf], icv).expect("icv");
}

fn pair_open(p: &Pair, buf: &mut [u8], icv: &[u8]) {
    let iv = [7u8; 16];
    let iv = &iv[..p.cipher.iv_len()];
    p.mac.verify(&[&AAD, iv, buf], icv).expect("verifies");
    p.cipher.decrypt_in_place(iv, buf).expect("aligned");
}

fn bench_bulk(c: &mut Criterion) {
    let aeads = aeads();
    let pairs = pairs();
    for &size in &SIZES {
        let mut g = c.benchmark_group(format!("esp_{size}B"));
        g.throughput(Throughput::Bytes(size as u64));
        let src = vec![0x5au8; size];
        let mut dst = vec![0u8; size];
        g.bench_function("memcpy (baseline)", |b| {
            b.iter(|| dst.copy_from_slice(black_box(&src)))
        });
        for (name, a) in &aeads {
            let mut buf = vec![0u8; size];
            let mut tag = vec![0u8; a.tag_len()];
            g.bench_function(BenchmarkId::new("seal", name), |b| {
                b.iter(|| {
                    a.seal_in_place(&IV, &AAD, black_box(&mut buf), &mut tag)
                        .expect("seal")
                })
            });
            // Open needs a valid ciphertext each time: seal once, then open a copy.
            let mut ct = vec![0u8; size];
            a.seal_in_place(&IV, &AAD, &mut ct, &mut tag).expect("seal");
            g.bench_function(BenchmarkId::new("open", name), |b| {
                b.iter(|| {
                    buf.copy_from_slice(&ct);
                    a.open_in_place(&IV, &AAD, black_box(&mut buf), &tag)
                        .expect("open")
                })
            });
        }
        for p in &pairs {
            let block = p.cipher.block_len();
            let len = size / block * block;
            let mut buf = vec![0u8; len];
            let mut icv = vec![0u8; p.mac.icv_len()];
            g.bench_function(BenchmarkId::new("seal", p.name), |b| {
                b.iter(|| pair_seal(p, black_box(&mut buf), &mut icv))
            });
            let mut ct = vec![0u8; len];
            pair_seal(p, &mut ct, &mut icv);
            g.bench_function(BenchmarkId::new("open", p.name), |b| {
                b.iter(|| {
                    buf.copy_from_slice(&ct);
                    pair_open(p, black_box(&mut buf), &icv)
                })
            });
        }
        g.finish();
    }

    // Same-run summary in GB/s (seal / open), with memcpy as the ceiling.
    let rate = |size: usize, f: &mut dyn FnMut()| {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < Duration::from_millis(150) {
            for _ in 0..64 {
                f();
            }
            n += 64;
        }
        (n as f64 * size as f64) / start.elapsed().as_secs_f64() / 1e9
    };
    for &size in &SIZES {
        let src = vec![0x5au8; size];
        let mut dst = vec![0u8; size];
        let memcpy = rate(size, &mut || dst.copy_from_slice(black_box(&src)));
        println!("summary {size:>5} B: memcpy {memcpy:.2} GB/s");
        for (name, a) in &aeads {
            let mut buf = vec![0u8; size];
            let mut tag = vec![0u8; a.tag_len()];
            let seal = rate(size, &mut || {
                a.seal_in_place(&IV, &AAD, black_box(&mut buf), &mut tag)
                    .expect("seal")
            });
            let mut ct = vec![0u8; size];
            a.seal_in_place(&IV, &AAD, &mut ct, &mut tag).expect("seal");
            let open = rate(size, &mut || {
                buf.copy_from_slice(&ct);
                a.open_in_place(&IV, &AAD, black_box(&mut buf), &tag)
                    .expect("open")
            });
            println!("summary {size:>5} B: {name:<34} seal {seal:6.2} GB/s  open {open:6.2} GB/s  (memcpy/seal = {:.0}x)", memcpy / seal);
        }
        for p in &pairs {
            let len = size / p.cipher.block_len() * p.cipher.block_len();
            let mut buf = vec![0u8; len];
            let mut icv = vec![0u8; p.mac.icv_len()];
            let seal = rate(len, &mut || pair_seal(p, black_box(&mut buf), &mut icv));
            let mut ct = vec![0u8; len];
            pair_seal(p, &mut ct, &mut icv);
            let open = rate(len, &mut || {
                buf.copy_from_slice(&ct);
                pair_open(p, black_box(&mut buf), &icv)
            });
            println!(
                "summary {size:>5} B: {:<34} seal {seal:6.2} GB/s  open {open:6.2} GB/s",
                p.name
            );
        }
    }
}

fn bench_ke(c: &mut Criterion) {
    let rng = SeededRandom::from_u64(42);
    let mut g = c.benchmark_group("ke_keygen_plus_agree");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    for ke in DEFAULT.ke {
        let peer = ke.generate(&rng).expect("keygen");
        let peer_pub = peer.public_value().to_vec();
        g.bench_function(format!("{} ({})", ke.id, ke.name), |b| {
            b.iter(|| {
                let k = ke.generate(&rng).expect("keygen");
                black_box(k.agree(black_box(&peer_pub)).expect("agree"))
            })
        });
    }
    g.finish();
    for ke in DEFAULT.ke {
        let peer = ke.generate(&rng).expect("keygen");
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < Duration::from_millis(300) || n < 2 {
            let k = ke.generate(&rng).expect("keygen");
            black_box(k.agree(peer.public_value()).expect("agree"));
            n += 1;
        }
        let ops = f64::from(n) / start.elapsed().as_secs_f64();
        println!(
            "summary KE {:>2} {:<26} {ops:10.1} ops/s (keygen + agree)",
            ke.id, ke.name
        );
    }
}

criterion_group!(benches, bench_bulk, bench_ke);
criterion_main!(benches);
