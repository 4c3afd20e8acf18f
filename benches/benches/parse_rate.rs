//! IKE message parse rate: ikelab-wire against rusticata's ipsec-parser on the same real messages
//! (the `ike_seed-*` files of `corpora/ike_message/`, taken from strongSwan captures), measured in
//! the same run. Prints messages/s for both and the ratio.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn messages() -> Vec<Vec<u8>> {
    let msgs: Vec<Vec<u8>> = ikelab_benches::corpus("ike_message")
        .into_iter()
        .filter(|(name, _)| name.starts_with("seed-"))
        .map(|(_, data)| data)
        .filter(|m| ikelab_wire::Message::parse(m).is_ok())
        .collect();
    assert!(!msgs.is_empty(), "no seed messages in corpora/ike_message");
    msgs
}

fn parse_ikelab(msgs: &[Vec<u8>]) -> usize {
    msgs.iter()
        .map(|m| ikelab_wire::Message::parse(black_box(m)).map_or(0, |p| p.message.payloads.len()))
        .sum()
}

fn parse_ipsec_parser(msgs: &[Vec<u8>]) -> usize {
    msgs.iter()
        .map(|m| match ipsec_parser::parse_ikev2_message(black_box(m)) {
            Ok((_, (_, Ok(payloads)))) => payloads.len(),
            _ => 0,
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let msgs = messages();
    let total_bytes: usize = msgs.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("ike_parse");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("ikelab-wire", |b| b.iter(|| parse_ikelab(&msgs)));
    g.bench_function("ipsec-parser", |b| b.iter(|| parse_ipsec_parser(&msgs)));
    g.finish();

    // A direct same-run ratio, so the figure does not depend on reading criterion's reports.
    let rate = |f: fn(&[Vec<u8>]) -> usize| {
        let rounds = 20_000;
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(f(&msgs));
        }
        (rounds * msgs.len()) as f64 / start.elapsed().as_secs_f64()
    };
    let ours = rate(parse_ikelab);
    let theirs = rate(parse_ipsec_parser);
    println!(
        "parse rate over {} real messages ({} bytes): ikelab-wire {:.0} msg/s, ipsec-parser {:.0} msg/s, ratio ikelab/ipsec-parser = {:.2}",
        msgs.len(),
        total_bytes,
        ours,
        theirs,
        ours / theirs
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
