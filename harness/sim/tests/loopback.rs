//! Loopback mode: the same world with every arrival crossing real UDP sockets on 127.0.0.1.

mod common;

use common::*;
use ikelab_policy::Duration;
use ikelab_sim::*;

/// A handshake, pings through the CHILD_SA, then the wire and the replies.
fn handshake_and_pings(seed: u64, loopback: bool, nat: bool) -> (Setup, Vec<Vec<u8>>) {
    let mut s = setup(seed);
    if loopback {
        s.w.use_loopback_udp();
    }
    if nat {
        s.w.add_nat(s.a, ip(NAT_IP)).unwrap();
    }
    s.connect();
    assert!(s.establish(Duration::from_secs(5)));
    s.w.send_pings(s.a, ip(A), ip(B), 10, 56).unwrap();
    s.w.run_for(Duration::from_secs(1)).unwrap();
    let bytes = s.w.wire().iter().map(|r| r.bytes.clone()).collect();
    (s, bytes)
}

fn arrivals(w: &World) -> u64 {
    w.wire().iter().filter(|r| r.dropped.is_none()).count() as u64
}

#[test]
fn every_arrival_crosses_a_socket_and_the_run_equals_memory_mode() {
    for nat in [false, true] {
        let (memory, memory_wire) = handshake_and_pings(4, false, nat);
        let (udp, udp_wire) = handshake_and_pings(4, true, nat);
        assert_eq!(memory.w.loopback_datagrams(), None);
        assert_eq!(
            udp.w.loopback_datagrams(),
            Some(arrivals(&udp.w)),
            "nat {nat}"
        );
        assert!(arrivals(&udp.w) >= 24, "IKE_SA_INIT, IKE_AUTH and 20 ESP");
        assert_eq!(udp.w.echo_replies(udp.a), 10, "nat {nat}");
        assert_eq!(udp_wire, memory_wire, "same seed, same bytes (nat {nat})");
        assert_eq!(udp.w.now(), memory.w.now());
    }
}

#[test]
fn a_datagram_udp_cannot_carry_fails_the_step() {
    for loopback in [false, true] {
        let mut s = setup(7);
        if loopback {
            s.w.use_loopback_udp();
        }
        s.w.inject_udp(
            s.a,
            sock(A, 500),
            sock(B, 500),
            vec![0u8; MAX_UDP_PAYLOAD + 1],
        );
        let stepped = s.w.step();
        if loopback {
            let err = stepped.unwrap_err();
            assert!(
                matches!(err, SimError::Loopback { what: "send", .. }),
                "{err}"
            );
            let text = err.to_string();
            assert!(text.contains("192.0.2.1:500 -> 198.51.100.1:500"), "{text}");
            assert!(text.contains("65508 octets"), "{text}");
        } else {
            // In memory the datagram arrives; the gateway finds no IKE message in it.
            assert!(stepped.unwrap());
        }
    }
}

#[test]
fn the_largest_udp_datagram_crosses_intact() {
    let mut s = setup(8);
    s.w.use_loopback_udp();
    let big: Vec<u8> = (0..MAX_UDP_PAYLOAD).map(|i| (i % 251) as u8).collect();
    s.w.inject_udp(s.a, sock(A, 500), sock(B, 500), big);
    assert!(s.w.step().unwrap());
    assert_eq!(s.w.loopback_datagrams(), Some(1));
}
