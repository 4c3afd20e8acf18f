//! Profile checks per second on the public corpus (`corpora/profiles/`, own fixtures included;
//! templates as stored, unreadable ones skipped). Baseline in the same run: reading the plist
//! alone (XML + position index), so the ratio is the cost of the semantic checks over parsing.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ikelab_profile::{check_bytes, Options};

/// Named corpus files: (file name, bytes).
type Corpus = [(String, Vec<u8>)];
fn profiles() -> Vec<(String, Vec<u8>)> {
    let opts = Options::default();
    let mut v: Vec<(String, Vec<u8>)> = ikelab_benches::corpus("profiles")
        .into_iter()
        .chain(ikelab_benches::corpus("profiles/own"))
        .filter(|(n, d)| !n.ends_with(".md") && check_bytes(n, d, &opts).is_ok())
        .collect();
    v.sort();
    assert!(
        v.len() >= 8,
        "corpora/profiles has too few readable profiles"
    );
    v
}

fn check_all(p: &[(String, Vec<u8>)]) -> usize {
    let opts = Options::default();
    p.iter()
        .map(|(n, d)| check_bytes(n, black_box(d), &opts).map_or(0, |r| r.diagnostics.len()))
        .sum()
}

fn read_all(p: &[(String, Vec<u8>)]) -> usize {
    p.iter()
        .map(|(_, d)| {
            ikelab_profile::read::read(black_box(d))
                .map_or(0, |s| s.positions.map_or(0, |i| i.len()))
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let p = profiles();
    let mut g = c.benchmark_group("profile_check");
    g.throughput(Throughput::Elements(p.len() as u64));
    g.bench_function("check", |b| b.iter(|| check_all(&p)));
    g.bench_function("read-only baseline", |b| b.iter(|| read_all(&p)));
    g.finish();

    let rate = |f: fn(&Corpus) -> usize| {
        let rounds = 300;
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(f(&p));
        }
        (rounds * p.len()) as f64 / start.elapsed().as_secs_f64()
    };
    let checked = rate(check_all);
    let read = rate(read_all);
    println!(
        "profile check over {} corpus profiles: {:.0} profiles/s checked, {:.0} profiles/s read only, check/read = {:.2}",
        p.len(),
        checked,
        read,
        checked / read
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
