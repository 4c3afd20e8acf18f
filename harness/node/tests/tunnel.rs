//! Two nodes in memory: handshake, then real ICMP echo through the CHILD_SA both ways, with
//! and without UDP encapsulation, and across a CHILD_SA delete.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ikelab_crypto::rng::SeededRandom;
use ikelab_engine::{EndpointConfig, EventKind, Timestamp};
use ikelab_node::{icmp, DataPlaneConfig, DataPlaneError, Node, Output};
use ikelab_policy::{Duration, Identity, IdentityMatch, IkePolicy, Secret};

const A: &str = "192.0.2.1";
const B: &str = "198.51.100.1";

fn sock(ip: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), port)
}

fn policies(esp: &str) -> (IkePolicy, IkePolicy) {
    let psk = Secret::new(b"tunnel test psk".to_vec());
    let mut client = IkePolicy::psk(
        Identity::fqdn("client.example"),
        IdentityMatch::Exact(Identity::fqdn("vpn.example")),
        psk.clone(),
    );
    let mut server = IkePolicy::psk(
        Identity::fqdn("vpn.example"),
        IdentityMatch::Exact(Identity::fqdn("client.example")),
        psk,
    );
    for p in [&mut client, &mut server] {
        p.children[0].proposals = vec![ikelab_policy::ChildProposal::parse(esp).unwrap()];
    }
    (client, server)
}

struct World {
    now: Timestamp,
    nodes: [Node; 2],
    /// (arrival, to node, output)
    wire: VecDeque<(usize, Output)>,
    esp_datagrams: usize,
    /// Hides B's NAT-D so both sides see a NAT and encapsulate.
    nat: bool,
    handle: Option<ikelab_engine::SaHandle>,
}

impl World {
    fn new(seed: u64, server: IkePolicy, nat: bool) -> Self {
        let cfg = |s: u64, responder: Option<IkePolicy>| {
            let mut c =
                EndpointConfig::new(&ikelab_crypto::DEFAULT, Arc::new(SeededRandom::from_u64(s)));
            c.responder = responder.map(Arc::new);
            c
        };
        Self {
            now: Timestamp::from_micros(1_000_000),
            nodes: [
                Node::new(cfg(seed * 2 + 1, None), DataPlaneConfig::default()).unwrap(),
                Node::new(cfg(seed * 2 + 2, Some(server)), DataPlaneConfig::default()).unwrap(),
            ],
            wire: VecDeque::new(),
            esp_datagrams: 0,
            nat,
            handle: None,
        }
    }

    /// Delivers everything queued until both nodes are quiet (timers not run).
    fn settle(&mut self) {
        for _ in 0..1000 {
            for i in 0..2 {
                while let Some(o) = self.nodes[i].poll_transmit() {
                    self.wire.push_back((1 - i, o));
                }
            }
            let Some((to, o)) = self.wire.pop_front() else {
                return;
            };
            self.now = self.now + Duration::from_millis(5);
            match o {
                Output::Udp(mut t) => {
                    if self.nat && to == 1 {
                        // A NAT in front of A: the source port changes, NAT-D sees it.
                        t.local = SocketAddr::new(t.local.ip(), t.local.port() + 10_000);
                    }
                    if self.nat && to == 0 {
                        t.remote = SocketAddr::new(t.remote.ip(), t.remote.port() - 10_000);
                    }
                    let esp = t.local.port() % 10_000 == 4500
                        && t.payload.get(..4).is_some_and(|m| m != [0; 4])
                        && t.payload.len() > 1;
                    self.esp_datagrams += usize::from(esp);
                    self.nodes[to].handle_datagram(self.now, t.remote, t.local, &t.payload);
                }
                Output::Esp(e) => {
                    self.esp_datagrams += 1;
                    self.nodes[to].handle_esp(self.now, e.remote, e.local, &e.payload);
                }
            }
        }
        panic!("livelock");
    }

    fn events(&mut self, i: usize) -> Vec<EventKind> {
        std::iter::from_fn(|| self.nodes[i].poll_event())
            .map(|e| e.kind)
            .collect()
    }
}

fn established(seed: u64, esp: &str, nat: bool) -> World {
    let (client, server) = policies(esp);
    let mut w = World::new(seed, server, nat);
    let now = w.now;
    w.handle = Some(
        w.nodes[0]
            .endpoint_mut()
            .connect(now, Arc::new(client), sock(A, 500), sock(B, 500))
            .unwrap(),
    );
    w.settle();
    for i in 0..2 {
        let ev = w.events(i);
        assert!(
            ev.iter()
                .any(|k| matches!(k, EventKind::ChildSaInstalled(_))),
            "{esp}: node {i}: {ev:?}"
        );
        assert!(w.nodes[i].install_errors().is_empty());
        assert_eq!(w.nodes[i].esp_sas().len(), 1);
    }
    w
}

fn ping(w: &mut World, from: usize, count: u16) -> usize {
    let ips: [IpAddr; 2] = [A.parse().unwrap(), B.parse().unwrap()];
    for seq in 0..count {
        let req = icmp::echo_request(ips[from], ips[1 - from], 0x1234, seq, 56).unwrap();
        let now = w.now;
        w.nodes[from].send_packet(now, &req).unwrap();
    }
    w.settle();
    let mut replies = 0;
    while let Some(d) = w.nodes[from].poll_delivered() {
        // Requests the other side sent earlier are delivered here too.
        let e = icmp::parse_echo(&d.inner).unwrap();
        if e.reply {
            assert_eq!((e.dst, e.ident, e.payload_len), (ips[from], 0x1234, 56));
            replies += 1;
        }
    }
    replies
}

#[test]
fn pings_cross_the_tunnel_for_each_esp_suite() {
    for (seed, esp) in [
        "aes256gcm16-noesn",
        "aes128gcm16-esn",
        "chacha20poly1305",
        "aes256-sha256",
        "aes128-sha1",
        "aes192gcm12",
    ]
    .into_iter()
    .enumerate()
    {
        let mut w = established(seed as u64, esp, false);
        assert_eq!(ping(&mut w, 0, 10), 10, "{esp}: replies to A");
        assert_eq!(ping(&mut w, 1, 3), 3, "{esp}: replies to B");
        assert_eq!(w.esp_datagrams, 26, "{esp}: raw ESP, one per packet");
        let (a, b) = (w.nodes[0].data_stats(), w.nodes[1].data_stats());
        assert_eq!((a.sealed, a.opened, a.echo_replied), (13, 13, 3), "{esp}");
        assert_eq!((b.sealed, b.opened, b.echo_replied), (13, 13, 10), "{esp}");
        assert_eq!(a.integrity_failed + a.malformed + b.replayed, 0);
    }
}

#[test]
fn nat_moves_esp_into_udp_4500() {
    let mut w = established(9, "aes256gcm16", true);
    assert_eq!(ping(&mut w, 0, 5), 5);
    assert_eq!(w.esp_datagrams, 10, "ESP-in-UDP datagrams counted on 4500");
}

#[test]
fn tampered_and_replayed_packets_are_counted_not_delivered() {
    let mut w = established(3, "aes256gcm16", false);
    let req = icmp::echo_request(A.parse().unwrap(), B.parse().unwrap(), 1, 1, 32).unwrap();
    let now = w.now;
    w.nodes[0].send_packet(now, &req).unwrap();
    let Some(Output::Esp(e)) = w.nodes[0].poll_transmit() else {
        panic!("raw ESP expected");
    };
    w.nodes[1].handle_esp(now, e.remote, e.local, &e.payload);
    w.nodes[1].handle_esp(now, e.remote, e.local, &e.payload);
    let mut bad = e.payload.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x80;
    w.nodes[1].handle_esp(now, e.remote, e.local, &bad);
    let s = w.nodes[1].data_stats();
    assert_eq!((s.opened, s.replayed, s.integrity_failed), (1, 2, 0));
    // A tampered packet with a fresh sequence number fails the ICV instead.
    w.nodes[0].send_packet(now, &req).unwrap();
    let Some(Output::Esp(mut e2)) = w.nodes[0].poll_transmit() else {
        panic!("raw ESP expected");
    };
    let last = e2.payload.len() - 1;
    e2.payload[last] ^= 0x80;
    w.nodes[1].handle_esp(now, e2.remote, e2.local, &e2.payload);
    assert_eq!(w.nodes[1].data_stats().integrity_failed, 1);
    let delivered = std::iter::from_fn(|| w.nodes[1].poll_delivered()).count();
    assert_eq!(delivered, 1);
}

#[test]
fn deleted_child_sa_stops_traffic() {
    let mut w = established(4, "aes256gcm16", false);
    let (spi_in, _) = w.nodes[0].esp_sas()[0];
    let (now, handle) = (w.now, w.handle.unwrap());
    w.nodes[0]
        .endpoint_mut()
        .delete_child_sa(now, handle, spi_in)
        .unwrap();
    w.settle();
    for i in 0..2 {
        let ev = w.events(i);
        assert!(
            ev.iter()
                .any(|k| matches!(k, EventKind::ChildSaDeleted { .. })),
            "{ev:?}"
        );
        assert!(w.nodes[i].esp_sas().is_empty());
    }
    let req = icmp::echo_request(A.parse().unwrap(), B.parse().unwrap(), 1, 1, 8).unwrap();
    assert!(matches!(
        w.nodes[0].send_packet(w.now, &req),
        Err(DataPlaneError::NoRoute { .. })
    ));
    assert_eq!(w.nodes[0].data_stats().no_route, 1);
}
