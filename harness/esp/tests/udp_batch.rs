//! UDP encapsulation (RFC 3948), the inbound SA table, the batch API and SA sharding.

mod common;

use ikelab_esp::udp::{self, Received, UdpHeader, NAT_T_PORT};
use ikelab_esp::{
    shard, Encryption, EspError, InboundSa, InboundTable, Integrity, Mode, Opened, OutboundSa,
    PacketBatch, Suite,
};

fn gcm256() -> Suite {
    Suite::combined(Encryption::AesGcm {
        key_bits: 256,
        icv_len: 16,
    })
}

fn ipv4(len: usize, tag: u8) -> Vec<u8> {
    let mut p = vec![tag; len];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    p
}

#[test]
fn esp_in_udp_keepalive_and_ike_demux() {
    let c1 = common::config(0x1111, gcm256(), Mode::Tunnel, true);
    let c2 = common::config(
        0x2222,
        Suite::split(
            Encryption::AesCbc { key_bits: 128 },
            Integrity::HmacSha256_128,
        ),
        Mode::Tunnel,
        false,
    );
    let mut table = InboundTable::new();
    assert!(table.insert(InboundSa::new(&c1).expect("SA")).is_none());
    assert!(table.insert(InboundSa::new(&c2).expect("SA")).is_none());
    assert_eq!(table.len(), 2);
    let mut tx1 = OutboundSa::new(&c1).expect("SA");
    let mut tx2 = OutboundSa::new(&c2).expect("SA");

    let inner = ipv4(100, 0xaa);
    let mut dgram = vec![0u8; 2048];
    let mut out = vec![0u8; 2048];
    for (tx, spi) in [(&mut tx1, 0x1111), (&mut tx2, 0x2222)] {
        let n =
            udp::seal_datagram(tx, &inner, 4, NAT_T_PORT, NAT_T_PORT, &mut dgram).expect("seal");
        let (h, payload) = UdpHeader::parse(&dgram[..n]).expect("UDP");
        assert_eq!((h.src_port, h.dst_port, h.checksum), (4500, 4500, 0));
        assert_eq!(usize::from(h.length), n);
        match udp::receive(&mut table, payload, &mut out).expect("receive") {
            Received::Esp { spi: s, opened } => {
                assert_eq!(s, spi);
                assert_eq!(&out[..opened.len], &inner[..]);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        udp::receive(&mut table, &udp::nat_keepalive(), &mut out),
        Ok(Received::NatKeepalive)
    );
    let mut ike = vec![0u8; 40];
    let n = udp::write_ike(&[0x11; 28], &mut ike).expect("room");
    assert_eq!(&ike[..4], &[0, 0, 0, 0]);
    assert_eq!(
        udp::receive(&mut table, &ike[..n], &mut out),
        Ok(Received::Ike(&[0x11; 28][..]))
    );
    assert!(matches!(
        udp::receive(&mut table, &[0xfe], &mut out),
        Err(EspError::Udp { .. })
    ));
    let mut unknown = dgram.clone();
    unknown[8..12].copy_from_slice(&0x3333u32.to_be_bytes());
    assert!(matches!(
        udp::receive(&mut table, &unknown[8..200], &mut out),
        Err(EspError::UnknownSpi { spi: 0x3333 })
    ));
    assert!(table.remove(0x1111).is_some());
    assert!(table.get(0x1111).is_none());

    // SPI 0 would read as the non-ESP marker.
    let mut tx0 = OutboundSa::new(&common::config(0, gcm256(), Mode::Tunnel, false)).expect("SA");
    assert!(matches!(
        udp::seal(&mut tx0, &inner, 4, &mut dgram),
        Err(EspError::Udp { .. })
    ));
    assert!(UdpHeader::parse(&[0, 1, 0, 2, 0, 50, 0, 0]).is_err());
    assert!(UdpHeader::parse(&[0; 7]).is_err());
}

fn batch_of(n: usize) -> PacketBatch {
    let mut b = PacketBatch::new(n * 1500, n);
    for k in 0..n {
        b.push(&ipv4(20 + (k * 97) % 1400, k as u8)).expect("room");
    }
    b
}

#[test]
fn batch_equals_one_at_a_time() {
    let c = common::config(0x4444, gcm256(), Mode::Tunnel, false);
    let inners = batch_of(50);
    let mut a = OutboundSa::new(&c).expect("SA");
    let mut b = OutboundSa::new(&c).expect("SA");
    let mut sealed = PacketBatch::new(50 * 1600, 50);
    assert_eq!(a.seal_batch(&inners, 4, &mut sealed), Ok(50));
    for (i, inner) in inners.iter().enumerate() {
        let mut one = vec![0u8; b.sealed_len(inner.len())];
        b.seal(inner, 4, &mut one).expect("seal");
        assert_eq!(sealed.get(i), Some(&one[..]));
    }

    // Open with a replayed packet in the middle: that entry is empty and its result an error.
    let mut with_replay = PacketBatch::new(51 * 1600, 51);
    for (i, p) in sealed.iter().enumerate() {
        with_replay.push(p).expect("room");
        if i == 10 {
            with_replay.push(p).expect("room");
        }
    }
    let mut rx = InboundSa::new(&c).expect("SA");
    let mut opened = PacketBatch::new(51 * 1600, 51);
    let mut results: Vec<Result<Opened, EspError>> = Vec::new();
    assert_eq!(
        rx.open_batch(&with_replay, &mut opened, &mut results),
        Ok(50)
    );
    assert_eq!(results.len(), 51);
    assert!(matches!(results[11], Err(EspError::Replay { seq: 11, .. })));
    assert_eq!(opened.get(11), Some(&[][..]));
    let delivered: Vec<&[u8]> = opened.iter().filter(|p| !p.is_empty()).collect();
    let expected: Vec<&[u8]> = inners.iter().collect();
    assert_eq!(delivered, expected);

    // A full output batch stops sealing with an error, keeping what fit.
    let mut small = PacketBatch::new(3000, 50);
    assert!(matches!(
        a.seal_batch(&inners, 4, &mut small),
        Err(EspError::BatchFull { .. })
    ));
    assert!(!small.is_empty());
}

#[test]
fn sharded_seal_and_open_match_sequential_results() {
    const SAS: usize = 6;
    let configs: Vec<_> = (0..SAS)
        .map(|i| {
            let suite = if i % 2 == 0 {
                gcm256()
            } else {
                Suite::combined(Encryption::ChaCha20Poly1305)
            };
            common::config(0x5000 + i as u32, suite, Mode::Tunnel, i % 3 == 0)
        })
        .collect();
    let inputs: Vec<PacketBatch> = (0..SAS).map(|_| batch_of(40)).collect();

    // Sequential reference.
    let reference: Vec<PacketBatch> = configs
        .iter()
        .zip(&inputs)
        .map(|(c, input)| {
            let mut sa = OutboundSa::new(c).expect("SA");
            let mut out = PacketBatch::new(40 * 1600, 40);
            sa.seal_batch(input, 4, &mut out).expect("seal");
            out
        })
        .collect();

    for threads in [1, 2, 4] {
        let mut tx: Vec<OutboundSa> = configs
            .iter()
            .map(|c| OutboundSa::new(c).expect("SA"))
            .collect();
        let mut sealed: Vec<PacketBatch> =
            (0..SAS).map(|_| PacketBatch::new(40 * 1600, 40)).collect();
        let mut jobs: Vec<shard::SealJob<'_>> = tx
            .iter_mut()
            .zip(&inputs)
            .zip(sealed.iter_mut())
            .map(|((sa, input), output)| shard::SealJob::new(sa, input, 4, output))
            .collect();
        shard::seal(&mut jobs, threads);
        assert!(jobs.iter().all(|j| j.result == Ok(40)));
        drop(jobs);
        for (a, b) in sealed.iter().zip(&reference) {
            assert_eq!(a.bytes(), b.bytes(), "{threads} threads");
        }

        let mut rx: Vec<InboundSa> = configs
            .iter()
            .map(|c| InboundSa::new(c).expect("SA"))
            .collect();
        let mut opened: Vec<PacketBatch> =
            (0..SAS).map(|_| PacketBatch::new(40 * 1600, 40)).collect();
        let mut results: Vec<Vec<Result<Opened, EspError>>> =
            (0..SAS).map(|_| Vec::new()).collect();
        let mut jobs: Vec<shard::OpenJob<'_>> = rx
            .iter_mut()
            .zip(&sealed)
            .zip(opened.iter_mut())
            .zip(results.iter_mut())
            .map(|(((sa, input), output), results)| shard::OpenJob::new(sa, input, output, results))
            .collect();
        shard::open(&mut jobs, threads);
        assert!(jobs.iter().all(|j| j.result == Ok(40)));
        drop(jobs);
        for (a, b) in opened.iter().zip(&inputs) {
            assert_eq!(a.bytes(), b.bytes());
        }
    }
}
