//! Real IPv4/IPv6 ICMP echo and UDP packets, built and checked with pnet, pushed through
//! seal → open for every transform, both modes, 32-bit and extended sequence numbers.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

use ikelab_crypto::integ::{HashAlg, HmacMac, Mac};
use ikelab_esp::{
    Encryption, EspError, InboundSa, Integrity, Mode, OutboundSa, SaConfig, SaKeys, Suite,
    NEXT_HEADER_DUMMY,
};
use pnet_packet::icmp::echo_request::{EchoRequestPacket, MutableEchoRequestPacket};
use pnet_packet::icmp::{self, IcmpPacket, IcmpTypes};
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv4::{self, Ipv4Packet, MutableIpv4Packet};
use pnet_packet::ipv6::{Ipv6Packet, MutableIpv6Packet};
use pnet_packet::udp::{self, MutableUdpPacket, UdpPacket};
use pnet_packet::Packet;

const SRC4: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 2);
const DST4: Ipv4Addr = Ipv4Addr::new(10, 2, 0, 7);
const SRC6: Ipv6Addr = Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, 2);
const DST6: Ipv6Addr = Ipv6Addr::new(0xfd00, 2, 0, 0, 0, 0, 0, 7);

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8) ^ seed).collect()
}

/// An ICMP echo request segment (no IP header).
fn icmp_echo(id: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 8 + data.len()];
    let mut echo = MutableEchoRequestPacket::new(&mut buf).expect("room for echo");
    echo.set_icmp_type(IcmpTypes::EchoRequest);
    echo.set_identifier(id);
    echo.set_sequence_number(seq);
    echo.set_payload(data);
    let sum = icmp::checksum(&IcmpPacket::new(echo.packet()).expect("icmp"));
    echo.set_checksum(sum);
    buf
}

/// An IPv4 packet around `segment`.
fn ipv4(proto: pnet_packet::ip::IpNextHeaderProtocol, segment: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 20 + segment.len()];
    let mut ip = MutableIpv4Packet::new(&mut buf).expect("room for IPv4");
    ip.set_version(4);
    ip.set_header_length(5);
    ip.set_total_length((20 + segment.len()) as u16);
    ip.set_identification(0x1234);
    ip.set_ttl(64);
    ip.set_next_level_protocol(proto);
    ip.set_source(SRC4);
    ip.set_destination(DST4);
    ip.set_payload(segment);
    let sum = ipv4::checksum(&ip.to_immutable());
    ip.set_checksum(sum);
    buf
}

/// A UDP datagram in IPv6, checksummed.
fn ipv6_udp(data: &[u8]) -> Vec<u8> {
    let udp_len = 8 + data.len();
    let mut buf = vec![0u8; 40 + udp_len];
    {
        let mut u = MutableUdpPacket::new(&mut buf[40..]).expect("room for UDP");
        u.set_source(5353);
        u.set_destination(53);
        u.set_length(udp_len as u16);
        u.set_payload(data);
        let sum = udp::ipv6_checksum(&u.to_immutable(), &SRC6, &DST6);
        u.set_checksum(sum);
    }
    let mut ip = MutableIpv6Packet::new(&mut buf).expect("room for IPv6");
    ip.set_version(6);
    ip.set_payload_length(udp_len as u16);
    ip.set_next_header(IpNextHeaderProtocols::Udp);
    ip.set_hop_limit(64);
    ip.set_source(SRC6);
    ip.set_destination(DST6);
    buf
}

/// A UDP segment for IPv4 transport mode.
fn udp4_segment(data: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 8 + data.len()];
    let mut u = MutableUdpPacket::new(&mut buf).expect("room for UDP");
    u.set_source(4000);
    u.set_destination(5000);
    u.set_length((8 + data.len()) as u16);
    u.set_payload(data);
    let sum = udp::ipv4_checksum(&u.to_immutable(), &SRC4, &DST4);
    u.set_checksum(sum);
    buf
}

fn check_icmp_v4(pkt: &[u8], id: u16, seq: u16, data: &[u8]) {
    let ip = Ipv4Packet::new(pkt).expect("IPv4 header");
    assert_eq!(ip.get_version(), 4);
    assert_eq!(usize::from(ip.get_total_length()), pkt.len());
    assert_eq!(ip.get_checksum(), ipv4::checksum(&ip), "IPv4 checksum");
    assert_eq!(ip.get_next_level_protocol(), IpNextHeaderProtocols::Icmp);
    assert_eq!((ip.get_source(), ip.get_destination()), (SRC4, DST4));
    check_echo(ip.payload(), id, seq, data);
}

fn check_echo(seg: &[u8], id: u16, seq: u16, data: &[u8]) {
    let icmp_pkt = IcmpPacket::new(seg).expect("ICMP");
    assert_eq!(
        icmp_pkt.get_checksum(),
        icmp::checksum(&icmp_pkt),
        "ICMP checksum"
    );
    let echo = EchoRequestPacket::new(seg).expect("echo");
    assert_eq!(echo.get_icmp_type(), IcmpTypes::EchoRequest);
    assert_eq!(
        (echo.get_identifier(), echo.get_sequence_number()),
        (id, seq)
    );
    assert_eq!(echo.payload(), data);
}

fn check_udp_v6(pkt: &[u8], data: &[u8]) {
    let ip = Ipv6Packet::new(pkt).expect("IPv6 header");
    assert_eq!(ip.get_version(), 6);
    assert_eq!(usize::from(ip.get_payload_length()) + 40, pkt.len());
    assert_eq!(ip.get_next_header(), IpNextHeaderProtocols::Udp);
    let u = UdpPacket::new(ip.payload()).expect("UDP");
    assert_eq!(
        u.get_checksum(),
        udp::ipv6_checksum(&u, &SRC6, &DST6),
        "UDP checksum"
    );
    assert_eq!((u.get_source(), u.get_destination()), (5353, 53));
    assert_eq!(u.payload(), data);
}

fn pair(c: &SaConfig) -> (OutboundSa, InboundSa) {
    (
        OutboundSa::new(c).expect("outbound"),
        InboundSa::new(c).expect("inbound"),
    )
}

/// Seals and opens one packet, returning the opened bytes and Next Header.
fn through(tx: &mut OutboundSa, rx: &mut InboundSa, inner: &[u8], nh: u8) -> (Vec<u8>, u8) {
    let mut sealed = vec![0u8; tx.sealed_len(inner.len())];
    let n = tx.seal(inner, nh, &mut sealed).expect("seal");
    assert_eq!(n, sealed.len(), "sealed_len is exact");
    let mut out = vec![0u8; rx.open_capacity(n)];
    let o = rx.open(&sealed, &mut out).expect("open");
    (out[..o.len].to_vec(), o.next_header)
}

#[test]
fn tunnel_mode_icmp_echo_and_ipv6_udp_for_every_suite() {
    let mut n = 0;
    for (i, suite) in common::suites().into_iter().enumerate() {
        for esn in [false, true] {
            let (mut tx, mut rx) =
                pair(&common::config(0x100 + i as u32, suite, Mode::Tunnel, esn));
            for (k, len) in [0usize, 1, 13, 56, 100, 1372].into_iter().enumerate() {
                let data = payload(len, k as u8);
                let pkt = ipv4(IpNextHeaderProtocols::Icmp, &icmp_echo(7, k as u16, &data));
                let mut sealed = vec![0u8; tx.sealed_len(pkt.len())];
                let m = tx.seal_ip(&pkt, &mut sealed).expect("seal_ip");
                let mut out = vec![0u8; m];
                let o = rx.open(&sealed[..m], &mut out).expect("open");
                assert_eq!((o.next_header, o.tfc_len), (4, 0));
                check_icmp_v4(&out[..o.len], 7, k as u16, &data);

                let pkt6 = ipv6_udp(&data);
                let (opened, nh) = through(&mut tx, &mut rx, &pkt6, 41);
                assert_eq!(nh, 41);
                check_udp_v6(&opened, &data);
                n += 2;
            }
            assert_eq!(rx.stats().packets, 12, "{}", suite.name());
            assert_eq!(rx.stats().integrity_failed + rx.stats().replayed, 0);
        }
    }
    println!("{n} IP packets through tunnel-mode SAs");
}

fn sealed_buf(tx: &OutboundSa, inner: &[u8]) -> Vec<u8> {
    vec![0u8; tx.sealed_len(inner.len())]
}

#[test]
fn transport_mode_udp_and_icmp_segments_for_every_suite() {
    for (i, suite) in common::suites().into_iter().enumerate() {
        for esn in [false, true] {
            let (mut tx, mut rx) = pair(&common::config(
                0x200 + i as u32,
                suite,
                Mode::Transport,
                esn,
            ));
            for len in [0usize, 3, 64, 1000] {
                let data = payload(len, 3);
                let seg = udp4_segment(&data);
                let (opened, nh) = through(&mut tx, &mut rx, &seg, 17);
                assert_eq!(nh, 17);
                let u = UdpPacket::new(&opened).expect("UDP");
                assert_eq!(u.get_checksum(), udp::ipv4_checksum(&u, &SRC4, &DST4));
                assert_eq!(u.payload(), &data[..]);

                let echo = icmp_echo(9, len as u16, &data);
                let (opened, nh) = through(&mut tx, &mut rx, &echo, 1);
                assert_eq!(nh, 1);
                check_echo(&opened, 9, len as u16, &data);
            }
        }
    }
}

#[test]
fn ciphertext_hides_the_payload_and_ivs_differ() {
    let c = common::config(
        0x300,
        Suite::split(
            Encryption::AesCbc { key_bits: 128 },
            Integrity::HmacSha256_128,
        ),
        Mode::Tunnel,
        false,
    );
    let (mut tx, _) = pair(&c);
    let pkt = ipv4(IpNextHeaderProtocols::Icmp, &icmp_echo(1, 1, &[0xab; 64]));
    let mut a = sealed_buf(&tx, &pkt);
    let mut b = sealed_buf(&tx, &pkt);
    tx.seal_ip(&pkt, &mut a).expect("seal");
    tx.seal_ip(&pkt, &mut b).expect("seal");
    assert_ne!(a[8..24], b[8..24], "random CBC IVs");
    assert!(!a.windows(16).any(|w| w == [0xab; 16]), "plaintext visible");
    // AEADs use the sequence number as IV (RFC 4106 §3.1: unique per key).
    let g = common::config(
        0x301,
        Suite::combined(Encryption::AesGcm {
            key_bits: 256,
            icv_len: 16,
        }),
        Mode::Tunnel,
        true,
    );
    let (mut tx, _) = pair(&g);
    let mut a = sealed_buf(&tx, &pkt);
    tx.seal_ip(&pkt, &mut a).expect("seal");
    assert_eq!(a[8..16], 1u64.to_be_bytes());
}

#[test]
fn tfc_padding_is_added_and_stripped_by_the_inner_length() {
    for suite in [
        Suite::combined(Encryption::AesGcm {
            key_bits: 128,
            icv_len: 16,
        }),
        Suite::split(
            Encryption::AesCbc { key_bits: 256 },
            Integrity::HmacSha256_128,
        ),
    ] {
        let mut c = common::config(0x400, suite, Mode::Tunnel, false);
        c.tfc_pad_to = 300;
        let (mut tx, mut rx) = pair(&c);
        for len in [0usize, 50, 400] {
            let data = payload(len, 1);
            for pkt in [
                ipv4(IpNextHeaderProtocols::Icmp, &icmp_echo(2, 2, &data)),
                ipv6_udp(&data),
            ] {
                let mut sealed = sealed_buf(&tx, &pkt);
                assert!(sealed.len() >= 300 + 8 + 2 + 8);
                let n = tx.seal_ip(&pkt, &mut sealed).expect("seal");
                let mut out = vec![0u8; n];
                let o = rx.open(&sealed, &mut out).expect("open");
                assert_eq!(o.len, pkt.len());
                assert_eq!(o.tfc_len, 300usize.saturating_sub(pkt.len()));
                assert_eq!(&out[..o.len], &pkt[..]);
            }
        }
    }
}

#[test]
fn every_bit_flip_is_refused_and_leaves_the_window_alone() {
    for (i, suite) in common::suites().into_iter().enumerate() {
        let esn = i % 2 == 0;
        let c = common::config(0x500 + i as u32, suite, Mode::Tunnel, esn);
        let (mut tx, mut rx) = pair(&c);
        let pkt = ipv4(
            IpNextHeaderProtocols::Icmp,
            &icmp_echo(3, 3, &payload(40, 9)),
        );
        let mut sealed = sealed_buf(&tx, &pkt);
        let n = tx.seal_ip(&pkt, &mut sealed).expect("seal");
        let mut out = vec![0u8; n];
        for bit in (0..n * 8).step_by(5) {
            let mut forged = sealed.clone();
            forged[bit / 8] ^= 1 << (bit % 8);
            let e = rx.open(&forged, &mut out).expect_err("forgery accepted");
            if bit < 32 {
                assert!(matches!(e, EspError::WrongSpi { .. }), "{e}");
            } else {
                assert!(
                    matches!(e, EspError::Integrity { .. } | EspError::TooOld { .. }),
                    "{}: bit {bit}: {e}",
                    suite.name()
                );
            }
        }
        // The genuine packet still opens: nothing moved the window.
        let o = rx.open(&sealed, &mut out).expect("genuine packet");
        check_icmp_v4(&out[..o.len], 3, 3, &payload(40, 9));
        assert!(rx.stats().integrity_failed > 0);
    }
}

#[test]
fn replay_is_checked_before_integrity() {
    let c = common::config(
        0x600,
        Suite::combined(Encryption::ChaCha20Poly1305),
        Mode::Transport,
        false,
    );
    let (mut tx, mut rx) = pair(&c);
    let mut sealed = vec![0u8; tx.sealed_len(10)];
    tx.seal(&[1; 10], 17, &mut sealed).expect("seal");
    let mut out = vec![0u8; sealed.len()];
    rx.open(&sealed, &mut out).expect("first");
    // Same sequence number, broken ICV: refused as a replay without touching the ICV.
    let n = sealed.len();
    sealed[n - 1] ^= 0xff;
    assert!(matches!(
        rx.open(&sealed, &mut out),
        Err(EspError::Replay { seq: 1, .. })
    ));
    assert_eq!(rx.stats().integrity_failed, 0);
    assert_eq!(rx.stats().replayed, 1);
}

#[test]
fn esn_high_bits_are_authenticated_but_not_sent() {
    for (i, suite) in common::suites().into_iter().enumerate() {
        let mut c = common::config(0x700 + i as u32, suite, Mode::Transport, true);
        c.first_seq = (1 << 32) + 5;
        let mut tx = OutboundSa::new(&c).expect("SA");
        let mut sealed = vec![0u8; tx.sealed_len(20)];
        tx.seal(&[7; 20], 17, &mut sealed).expect("seal");
        assert_eq!(
            sealed[4..8],
            5u32.to_be_bytes(),
            "only the low half is sent"
        );
        let mut out = vec![0u8; sealed.len() + 8];
        // A receiver whose window sits in the high half 1 infers it and opens.
        let mut c_rx = c.clone();
        c_rx.first_seq = 1 << 32;
        let mut rx = InboundSa::new(&c_rx).expect("SA");
        assert_eq!(rx.open(&sealed, &mut out).expect("open").seq, (1 << 32) + 5);
        // One in high half 0 infers 0:5, and the ICV says no.
        c_rx.first_seq = 1;
        let mut rx = InboundSa::new(&c_rx).expect("SA");
        assert!(
            matches!(
                rx.open(&sealed, &mut out),
                Err(EspError::Integrity { seq: 5, .. })
            ),
            "{}",
            suite.name()
        );
    }
}

/// A NULL + HMAC-SHA2-256 packet with arbitrary trailer bytes, ICV computed by hand.
fn null_hmac_packet(spi: u32, seq: u32, body: &[u8], key: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&spi.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(body);
    let mac = HmacMac::new("test", HashAlg::Sha256, 16, key).expect("key");
    let mut icv = [0u8; 16];
    mac.sign(&[&p], &mut icv).expect("icv");
    p.extend_from_slice(&icv);
    p
}

#[test]
fn padding_and_pad_length_are_checked() {
    let ikey = [0x42u8; 32];
    let mut c = SaConfig::new(
        0x800,
        Suite::split(Encryption::Null, Integrity::HmacSha256_128),
        SaKeys::new(&[], &ikey),
    );
    c.mode = Mode::Transport;
    let mut rx = InboundSa::new(&c).expect("SA");
    let mut out = [0u8; 64];
    // Correct padding 1, 2 opens.
    let ok = null_hmac_packet(0x800, 1, &[9, 9, 1, 2, 2, 17], &ikey);
    assert_eq!(rx.open(&ok, &mut out).expect("valid").len, 2);
    // Padding 1, 3: the second octet is wrong (RFC 4303 §2.4).
    let bad = null_hmac_packet(0x800, 2, &[9, 9, 1, 3, 2, 17], &ikey);
    assert!(matches!(
        rx.open(&bad, &mut out),
        Err(EspError::Padding {
            index: 1,
            got: 3,
            expected: 2,
            seq: 2,
            ..
        })
    ));
    // Pad length beyond the payload.
    let bad = null_hmac_packet(0x800, 3, &[1, 2, 3, 4, 9, 17], &ikey);
    assert!(matches!(
        rx.open(&bad, &mut out),
        Err(EspError::PadLength {
            pad_len: 9,
            available: 4,
            ..
        })
    ));
    // Both were authentic: their sequence numbers are spent.
    assert!(matches!(
        rx.open(&bad, &mut out),
        Err(EspError::Replay { seq: 3, .. })
    ));
    assert_eq!(rx.stats().malformed, 2);
}

#[test]
fn tunnel_mode_checks_next_header_and_inner_length() {
    let c = common::config(
        0x900,
        Suite::combined(Encryption::AesGcm {
            key_bits: 128,
            icv_len: 16,
        }),
        Mode::Tunnel,
        false,
    );
    let (mut tx, mut rx) = pair(&c);
    let mut buf = vec![0u8; 256];
    let mut out = vec![0u8; 256];
    let seg = udp4_segment(b"hello");
    let n = tx.seal(&seg, 17, &mut buf).expect("seal");
    assert!(matches!(
        rx.open(&buf[..n], &mut out),
        Err(EspError::TunnelNextHeader {
            next_header: 17,
            ..
        })
    ));
    let v6 = ipv6_udp(b"x");
    let n = tx.seal(&v6, 4, &mut buf).expect("seal");
    assert!(matches!(
        rx.open(&buf[..n], &mut out),
        Err(EspError::InnerPacket { .. })
    ));
    let mut v4 = ipv4(IpNextHeaderProtocols::Icmp, &icmp_echo(1, 1, b"abc"));
    v4[3] += 10; // Total Length beyond the payload
    let n = tx.seal(&v4, 4, &mut buf).expect("seal");
    assert!(matches!(
        rx.open(&buf[..n], &mut out),
        Err(EspError::InnerPacket { .. })
    ));
    assert!(matches!(
        tx.seal_ip(b"\x10abc", &mut buf),
        Err(EspError::InnerPacket { .. })
    ));
    // Dummy packets (RFC 4303 §2.6) open and say so.
    let n = tx
        .seal(&[0xee; 30], NEXT_HEADER_DUMMY, &mut buf)
        .expect("seal");
    let o = rx.open(&buf[..n], &mut out).expect("dummy");
    assert!(o.is_dummy());
}

#[test]
fn buffers_too_small_consume_nothing() {
    let c = common::config(
        0xa00,
        Suite::combined(Encryption::AesGcm {
            key_bits: 128,
            icv_len: 16,
        }),
        Mode::Transport,
        false,
    );
    let (mut tx, mut rx) = pair(&c);
    let need = tx.sealed_len(100);
    let mut small = vec![0u8; need - 1];
    assert!(matches!(
        tx.seal(&[0; 100], 6, &mut small),
        Err(EspError::BufferTooSmall { needed, .. }) if needed == need
    ));
    assert_eq!(tx.next_seq(), Some(1));
    let mut sealed = vec![0u8; need];
    tx.seal(&[0; 100], 6, &mut sealed).expect("seal");
    let mut out = vec![0u8; rx.open_capacity(need) - 1];
    assert!(matches!(
        rx.open(&sealed, &mut out),
        Err(EspError::BufferTooSmall { .. })
    ));
    let mut out = vec![0u8; rx.open_capacity(need)];
    assert_eq!(rx.open(&sealed, &mut out).expect("open").len, 100);
    for len in 0..sealed.len().min(rx.open_capacity(0) + 8) {
        assert!(rx.open(&sealed[..len], &mut out).is_err());
    }
}

#[test]
fn seal_in_place_equals_seal() {
    for (i, suite) in common::suites().into_iter().enumerate() {
        for esn in [false, true] {
            // Counter IVs for the AEADs; CBC draws random IVs, so compare by opening.
            let c = common::config(0xb00 + i as u32, suite, Mode::Tunnel, esn);
            let (mut a, mut rx) = pair(&c);
            let mut b = OutboundSa::new(&c).expect("SA");
            let pkt = ipv4(
                IpNextHeaderProtocols::Icmp,
                &icmp_echo(5, 5, &payload(77, 2)),
            );
            let mut copied = sealed_buf(&a, &pkt);
            let n = a.seal_ip(&pkt, &mut copied).expect("seal");
            let mut buf = vec![0u8; b.sealed_len(pkt.len())];
            let head = b.headroom();
            buf[head..head + pkt.len()].copy_from_slice(&pkt);
            let m = b
                .seal_in_place(&mut buf, pkt.len(), 4)
                .expect("seal in place");
            assert_eq!(n, m);
            if suite.encryption.is_combined() {
                assert_eq!(copied, buf, "{}", suite.name());
            }
            let mut out = vec![0u8; m];
            let o = rx.open(&buf, &mut out).expect("open");
            check_icmp_v4(&out[..o.len], 5, 5, &payload(77, 2));
            assert!(b.seal_in_place(&mut buf[..m - 1], pkt.len(), 4).is_err());
        }
    }
}
