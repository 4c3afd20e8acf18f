//! A NAPT in front of one node: outbound UDP gets the public address and a mapped port,
//! inbound UDP to a mapped public port goes back to the inside address. Raw ESP has no ports
//! to map and is refused both ways, as by a typical home router.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// First public port handed out; each new mapping takes the next one.
const FIRST_PORT: u16 = 40_000;

#[derive(Debug, Clone)]
pub(crate) struct Nat {
    pub(crate) public_ip: IpAddr,
    /// inside address → public port.
    out: BTreeMap<SocketAddr, u16>,
    /// public port → inside address.
    back: BTreeMap<u16, SocketAddr>,
    next_port: u16,
}

impl Nat {
    pub(crate) fn new(public_ip: IpAddr) -> Self {
        Self {
            public_ip,
            out: BTreeMap::new(),
            back: BTreeMap::new(),
            next_port: FIRST_PORT,
        }
    }

    fn allocate(&mut self) -> u16 {
        // Skip ports still mapped after a wrap-around (65 535 mappings never happen here).
        loop {
            let p = self.next_port;
            self.next_port = if p == u16::MAX { FIRST_PORT } else { p + 1 };
            if !self.back.contains_key(&p) {
                return p;
            }
        }
    }

    /// The public source for an outbound datagram from `inside`, creating the mapping.
    pub(crate) fn outbound(&mut self, inside: SocketAddr) -> SocketAddr {
        let port = match self.out.get(&inside) {
            Some(p) => *p,
            None => {
                let p = self.allocate();
                self.out.insert(inside, p);
                self.back.insert(p, inside);
                p
            }
        };
        SocketAddr::new(self.public_ip, port)
    }

    /// The inside destination for an inbound datagram to `public`, if mapped.
    pub(crate) fn inbound(&self, public: SocketAddr) -> Option<SocketAddr> {
        self.back.get(&public.port()).copied()
    }

    /// Forgets every mapping and moves each to a fresh public port, as a NAT that lost its
    /// state (or a client that moved) does: the peer sees a new source port.
    pub(crate) fn rebind(&mut self) {
        let inside: Vec<SocketAddr> = self.out.keys().copied().collect();
        self.out.clear();
        self.back.clear();
        for a in inside {
            let p = self.allocate();
            self.out.insert(a, p);
            self.back.insert(p, a);
        }
    }

    pub(crate) fn mappings(&self) -> Vec<(SocketAddr, SocketAddr)> {
        self.out
            .iter()
            .map(|(a, p)| (*a, SocketAddr::new(self.public_ip, *p)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_ways_and_rebinding_moves_ports() {
        let mut n = Nat::new("203.0.113.7".parse().unwrap());
        let a: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let b: SocketAddr = "192.0.2.1:4500".parse().unwrap();
        let pa = n.outbound(a);
        assert_eq!(n.outbound(a), pa);
        let pb = n.outbound(b);
        assert_ne!(pa, pb);
        assert_eq!(n.inbound(pa), Some(a));
        n.rebind();
        assert_eq!(n.inbound(pa), None, "old mapping gone");
        let pa2 = n.outbound(a);
        assert_ne!(pa2, pa);
        assert_eq!(n.inbound(pa2), Some(a));
        assert_eq!(n.mappings().len(), 2);
    }
}
