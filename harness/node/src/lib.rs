//! ikelab node: an IKEv2 [`Endpoint`] with its ESP data plane attached.
//!
//! The engine negotiates CHILD_SAs and reports them as events; a [`Node`] installs each one
//! into an `ikelab-esp` inbound/outbound SA pair as the event passes through, removes it when
//! it is deleted, and routes ESP (raw, or in UDP on the NAT-T port) to it. Like the engine it
//! is sans-IO: the simulator and the UDP driver feed it datagrams and time and send what
//! [`Node::poll_transmit`] yields.
//!
//! ```text
//! handle_datagram ─┬─ IKE ──────────► Endpoint ──► events ─┬─► install/remove SAs
//!                  └─ ESP-in-UDP ─┐                        └─► poll_event
//! handle_esp ─────────────────────┴─► open ──► poll_delivered (+ echo replies)
//! send_packet ───────────────────────► seal ──► poll_transmit
//! ```
#![warn(clippy::unwrap_used)]

mod dataplane;
mod error;
pub mod icmp;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use ikelab_engine::{
    ConfigError, DatagramKind, Endpoint, EndpointConfig, Event, EventKind, Timestamp, Transmit,
};
use ikelab_wire::Udp4500;

pub use dataplane::{DataPlaneConfig, DataPlaneStats};
pub use error::DataPlaneError;

/// What a node wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A UDP datagram: IKE on 500 or 4500 (non-ESP marker included), or ESP-in-UDP on the
    /// NAT-T port (RFC 3948).
    Udp(Transmit),
    /// A raw ESP packet (IP protocol 50) for a CHILD_SA that is not UDP-encapsulated.
    Esp(EspTransmit),
}

/// A raw ESP packet and the tunnel endpoints it goes between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspTransmit {
    pub local: IpAddr,
    pub remote: IpAddr,
    pub payload: Vec<u8>,
}

/// An inner packet that arrived through a CHILD_SA and opened correctly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Our inbound SPI it arrived on.
    pub spi: u32,
    /// The inner IP packet.
    pub inner: Vec<u8>,
}

/// An endpoint and its data plane.
pub struct Node {
    endpoint: Endpoint,
    dataplane: dataplane::DataPlane,
    outputs: VecDeque<Output>,
    events: VecDeque<Event>,
    nat_t_port: u16,
    install_errors: Vec<DataPlaneError>,
}

impl Node {
    pub fn new(config: EndpointConfig, dp: DataPlaneConfig) -> Result<Self, ConfigError> {
        let rng = std::sync::Arc::clone(&config.rng);
        let nat_t_port = config.nat_t_port;
        Ok(Self {
            endpoint: Endpoint::new(config)?,
            dataplane: dataplane::DataPlane::new(dp, rng),
            outputs: VecDeque::new(),
            events: VecDeque::new(),
            nat_t_port,
            install_errors: Vec::new(),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// For commands (connect, delete, DPD). Call [`Node::poll_event`] afterwards as usual;
    /// events the command caused are applied to the data plane there.
    pub fn endpoint_mut(&mut self) -> &mut Endpoint {
        &mut self.endpoint
    }

    /// A UDP datagram arrived on `local` from `remote`.
    pub fn handle_datagram(
        &mut self,
        now: Timestamp,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        if local.port() == self.nat_t_port {
            if let Ok(Udp4500::Esp(esp)) = Udp4500::classify(data) {
                self.dataplane.receive(esp.into_inner(), &mut self.outputs);
                return;
            }
        }
        let kind = self.endpoint.handle_datagram(now, local, remote, data);
        debug_assert_ne!(kind, DatagramKind::Esp, "ESP on the NAT-T port is ours");
        self.pump();
    }

    /// A raw ESP packet (IP protocol 50) arrived.
    pub fn handle_esp(&mut self, _now: Timestamp, _local: IpAddr, _remote: IpAddr, packet: &[u8]) {
        self.dataplane.receive(packet, &mut self.outputs);
    }

    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.endpoint.handle_timeout(now);
        self.pump();
    }

    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.endpoint.poll_timeout()
    }

    pub fn poll_transmit(&mut self) -> Option<Output> {
        self.pump();
        self.outputs.pop_front()
    }

    /// Engine events, in order. CHILD_SA installs and deletes have been applied to the data
    /// plane by the time they come out here.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.pump();
        self.events.pop_front()
    }

    /// Seals an inner IP packet on the newest CHILD_SA whose selectors cover its addresses
    /// (protocol and ports too); the ESP packet comes out of [`Node::poll_transmit`].
    /// Returns the outbound SPI used.
    pub fn send_packet(&mut self, _now: Timestamp, inner: &[u8]) -> Result<u32, DataPlaneError> {
        self.pump();
        self.dataplane.send(inner, &mut self.outputs)
    }

    /// Inner packets that arrived and opened correctly (answered pings included).
    pub fn poll_delivered(&mut self) -> Option<Delivered> {
        self.dataplane.delivered.pop_front()
    }

    pub fn data_stats(&self) -> DataPlaneStats {
        self.dataplane.stats
    }

    /// CHILD_SAs the engine installed that the data plane could not run.
    pub fn install_errors(&self) -> &[DataPlaneError] {
        &self.install_errors
    }

    /// Installed CHILD_SAs as (inbound SPI, outbound SPI), oldest first.
    pub fn esp_sas(&self) -> Vec<(u32, u32)> {
        self.dataplane.sas()
    }

    /// Moves the engine's output into ours, applying SA events to the data plane. Engine
    /// datagrams go first so an IKE response is never overtaken by ESP it enabled.
    fn pump(&mut self) {
        while let Some(t) = self.endpoint.poll_transmit() {
            self.outputs.push_back(Output::Udp(t));
        }
        while let Some(e) = self.endpoint.poll_event() {
            match &e.kind {
                EventKind::ChildSaInstalled(info) => {
                    if let Err(err) = self.dataplane.install(e.sa, info) {
                        // The engine negotiated something the data plane cannot run: kept
                        // for the driver to report, never hidden.
                        self.install_errors.push(err);
                    }
                }
                EventKind::ChildSaDeleted {
                    spi_in, spi_out, ..
                } => self.dataplane.remove(*spi_in, *spi_out),
                EventKind::SaAddressesUpdated {
                    local,
                    remote,
                    udp_encapsulation,
                } => {
                    if let Some(sa) = e.sa {
                        self.dataplane
                            .retarget(sa, *local, *remote, *udp_encapsulation);
                    }
                }
                EventKind::Closed { .. } => {
                    if let Some(sa) = e.sa {
                        self.dataplane.remove_ike_sa(sa);
                    }
                }
                _ => {}
            }
            self.events.push_back(e);
        }
    }
}
