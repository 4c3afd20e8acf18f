//! ikelab UDP driver: runs a [`Node`] (an IKE [`Endpoint`] with its ESP data plane) on two UDP
//! sockets, the IKE port (500) and the NAT-T port (4500: IKE after the non-ESP marker, and
//! ESP-in-UDP), with tokio. The node does the protocol; this crate only moves datagrams, maps
//! the monotonic clock to [`Timestamp`], and hands out events and delivered inner packets.
//!
//! ```no_run
//! # async fn f(policy: std::sync::Arc<ikelab_policy::IkePolicy>) -> std::io::Result<()> {
//! use ikelab_udp::{UdpEndpoint, Ports};
//! let config = ikelab_engine::EndpointConfig::new(
//!     &ikelab_crypto::DEFAULT,
//!     std::sync::Arc::new(ikelab_crypto::rng::SystemRandom),
//! );
//! let mut ep = UdpEndpoint::bind(config, "0.0.0.0".parse().unwrap(), Ports::STANDARD).await?;
//! let sa = ep.connect(policy, "192.0.2.1:500".parse().unwrap()).unwrap();
//! while let Ok(event) = ep.next_event().await {
//!     println!("{sa:?}: {:?}", event.kind);
//! }
//! # Ok(()) }
//! ```
#![warn(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ikelab_engine::{ConfigError, Endpoint, EndpointConfig, Event, SaHandle, Timestamp};
use ikelab_node::{DataPlaneConfig, DataPlaneError, DataPlaneStats, Delivered, Node, Output};
use ikelab_policy::IkePolicy;
use tokio::net::UdpSocket;
use tokio::time::Instant;

/// How long the old NAT-T socket keeps receiving after a MOBIKE move.
pub const OLD_ADDRESS_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Local ports: IKE and NAT-T, and the peer's NAT-T port an initiator moves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    pub ike: u16,
    pub nat_t: u16,
    pub peer_nat_t: u16,
}

impl Ports {
    pub const STANDARD: Self = Self {
        ike: 500,
        nat_t: 4500,
        peer_nat_t: 4500,
    };
}

/// What [`UdpEndpoint::next`] reports.
#[derive(Debug)]
pub enum Happening {
    Event(Event),
    /// An inner packet arrived through a CHILD_SA.
    Delivered(Delivered),
}

/// An endpoint on real sockets.
pub struct UdpEndpoint {
    node: Node,
    ike: UdpSocket,
    nat_t: UdpSocket,
    ike_local: SocketAddr,
    nat_t_local: SocketAddr,
    epoch: Instant,
    happenings: VecDeque<Happening>,
    /// After a MOBIKE move: the old NAT-T socket, still receiving until the deadline, so
    /// ESP and IKE the peer sent before it processed our update are not lost.
    old_nat_t: Option<(UdpSocket, SocketAddr, Instant)>,
    /// Raw ESP packets (IP protocol 50) the node wanted sent: this driver has UDP sockets
    /// only, so CHILD_SAs carry traffic here only when UDP-encapsulated (a NAT, or a peer
    /// such as strongSwan with kernel-libipsec that forces encapsulation).
    pub raw_esp_unsent: u64,
}

impl UdpEndpoint {
    /// Binds both ports on `ip` and creates the endpoint. Refuses the fuzzing null crypto
    /// provider: this is the real-network mode.
    pub async fn bind(mut config: EndpointConfig, ip: IpAddr, ports: Ports) -> io::Result<Self> {
        config
            .provider
            .ensure_not_null()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let ike = UdpSocket::bind(SocketAddr::new(ip, ports.ike)).await?;
        let nat_t = UdpSocket::bind(SocketAddr::new(ip, ports.nat_t)).await?;
        let ike_local = ike.local_addr()?;
        let nat_t_local = nat_t.local_addr()?;
        config.nat_t_port = nat_t_local.port();
        config.peer_nat_t_port = ports.peer_nat_t;
        let node = Node::new(config, DataPlaneConfig::default())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        Ok(Self {
            node,
            ike,
            nat_t,
            ike_local,
            nat_t_local,
            epoch: Instant::now(),
            happenings: VecDeque::new(),
            old_nat_t: None,
            raw_esp_unsent: 0,
        })
    }

    /// The IKE socket's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.ike_local
    }

    /// The NAT-T socket's address.
    pub fn nat_t_addr(&self) -> SocketAddr {
        self.nat_t_local
    }

    /// Engine time now.
    pub fn now(&self) -> Timestamp {
        let us = Instant::now()
            .saturating_duration_since(self.epoch)
            .as_micros();
        Timestamp::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
    }

    pub fn endpoint(&mut self) -> &mut Endpoint {
        self.node.endpoint_mut()
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Seals an inner IP packet on the CHILD_SA whose selectors cover it; it goes out on the
    /// next [`UdpEndpoint::next`] call. Returns the outbound SPI.
    pub fn send_packet(&mut self, inner: &[u8]) -> Result<u32, DataPlaneError> {
        let now = self.now();
        self.node.send_packet(now, inner)
    }

    pub fn data_stats(&self) -> DataPlaneStats {
        self.node.data_stats()
    }

    /// Starts an IKE SA to `remote`. With the socket bound to the unspecified address, the
    /// source address the kernel would pick for `remote` is used for NAT detection.
    pub fn connect(
        &mut self,
        policy: Arc<IkePolicy>,
        remote: SocketAddr,
    ) -> Result<SaHandle, ConfigError> {
        let local = SocketAddr::new(
            source_ip_for(self.ike_local.ip(), remote),
            self.ike_local.port(),
        );
        let now = self.now();
        self.node.endpoint_mut().connect(now, policy, local, remote)
    }

    /// MOBIKE (RFC 4555 §3.5): rebinds both sockets to `ip` (same ports) and has the engine
    /// move IKE SA `sa` there with UPDATE_SA_ADDRESSES. The outcome is an
    /// [`ikelab_engine::EventKind::SaAddressesUpdated`] from [`UdpEndpoint::next`]. The old
    /// NAT-T socket keeps receiving for [`OLD_ADDRESS_GRACE`] when the old address was a
    /// specific one (make before break: replies already on their way are not lost).
    pub fn move_to(&mut self, sa: SaHandle, ip: IpAddr) -> io::Result<()> {
        let bind = |port: u16| -> io::Result<UdpSocket> {
            let s = std::net::UdpSocket::bind(SocketAddr::new(ip, port))?;
            s.set_nonblocking(true)?;
            UdpSocket::from_std(s)
        };
        let (ike_port, nat_t_port) = (self.ike_local.port(), self.nat_t_local.port());
        let (ike, nat_t) = match (bind(ike_port), bind(nat_t_port)) {
            (Ok(i), Ok(n)) => (i, n),
            _ => {
                // A wildcard bind holds the ports: give them up first.
                drop(std::mem::replace(&mut self.ike, bind(0)?));
                drop(std::mem::replace(&mut self.nat_t, bind(0)?));
                (bind(ike_port)?, bind(nat_t_port)?)
            }
        };
        self.ike = ike;
        let old = std::mem::replace(&mut self.nat_t, nat_t);
        if !self.nat_t_local.ip().is_unspecified() {
            let until = Instant::now() + OLD_ADDRESS_GRACE;
            self.old_nat_t = Some((old, self.nat_t_local, until));
        }
        self.ike_local = self.ike.local_addr()?;
        self.nat_t_local = self.nat_t.local_addr()?;
        let now = self.now();
        self.node
            .endpoint_mut()
            .update_local_address(now, sa, ip)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))
    }

    /// Runs I/O and timers until the engine reports an event. Inner packets delivered
    /// meanwhile are counted in [`UdpEndpoint::data_stats`] and dropped; use
    /// [`UdpEndpoint::next`] to see them.
    pub async fn next_event(&mut self) -> io::Result<Event> {
        loop {
            if let Happening::Event(e) = self.next().await? {
                return Ok(e);
            }
        }
    }

    /// Runs I/O and timers until the node reports an event or delivers an inner packet.
    pub async fn next(&mut self) -> io::Result<Happening> {
        let mut ike_buf = vec![0u8; 65536];
        let mut nat_buf = vec![0u8; 65536];
        let mut old_buf = vec![0u8; 65536];
        loop {
            if self
                .old_nat_t
                .as_ref()
                .is_some_and(|o| o.2 <= Instant::now())
            {
                self.old_nat_t = None;
            }
            self.flush().await?;
            if let Some(h) = self.happenings.pop_front() {
                return Ok(h);
            }
            let deadline = self
                .node
                .poll_timeout()
                .map(|t| self.epoch + std::time::Duration::from_micros(t.as_micros()));
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                r = self.ike.recv_from(&mut ike_buf) => {
                    let (n, from) = r?;
                    let local = self.receive_addr(self.ike_local, from);
                    let now = self.now();
                    self.node.handle_datagram(now, local, from, &ike_buf[..n]);
                }
                r = self.nat_t.recv_from(&mut nat_buf) => {
                    let (n, from) = r?;
                    let local = self.receive_addr(self.nat_t_local, from);
                    let now = self.now();
                    self.node.handle_datagram(now, local, from, &nat_buf[..n]);
                }
                r = recv_old(&self.old_nat_t, &mut old_buf) => {
                    let (n, from, local) = r?;
                    let now = self.now();
                    self.node.handle_datagram(now, local, from, &old_buf[..n]);
                }
                () = sleep => {
                    let now = self.now();
                    self.node.handle_timeout(now);
                }
            }
        }
    }

    /// The local address a datagram from `from` arrived at (the socket's, with the source
    /// address the kernel routes `from` through when bound to the unspecified address).
    fn receive_addr(&self, socket: SocketAddr, from: SocketAddr) -> SocketAddr {
        SocketAddr::new(source_ip_for(socket.ip(), from), socket.port())
    }

    /// Sends every queued datagram from the socket its local port names, and queues events
    /// and delivered packets.
    async fn flush(&mut self) -> io::Result<()> {
        while let Some(out) = self.node.poll_transmit() {
            let t = match out {
                Output::Udp(t) => t,
                Output::Esp(_) => {
                    self.raw_esp_unsent += 1;
                    continue;
                }
            };
            let socket = if t.local.port() == self.nat_t_local.port() {
                &self.nat_t
            } else {
                &self.ike
            };
            socket.send_to(&t.payload, t.remote).await?;
        }
        while let Some(e) = self.node.poll_event() {
            self.happenings.push_back(Happening::Event(e));
        }
        while let Some(d) = self.node.poll_delivered() {
            self.happenings.push_back(Happening::Delivered(d));
        }
        Ok(())
    }
}

/// Receives on the old NAT-T socket after a move; never ready without one.
async fn recv_old(
    old: &Option<(UdpSocket, SocketAddr, Instant)>,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddr, SocketAddr)> {
    match old {
        Some((s, local, _)) => {
            let (n, from) = s.recv_from(buf).await?;
            Ok((n, from, *local))
        }
        None => std::future::pending().await,
    }
}

/// `bound` itself, or for an unspecified address the source address the kernel picks towards
/// `remote` (found by connecting a throwaway UDP socket; no packet is sent).
fn source_ip_for(bound: IpAddr, remote: SocketAddr) -> IpAddr {
    if !bound.is_unspecified() {
        return bound;
    }
    let any: SocketAddr = if remote.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    std::net::UdpSocket::bind(any)
        .and_then(|s| {
            s.connect(remote)?;
            s.local_addr()
        })
        .map_or(bound, |a| a.ip())
}
