//! The ESP half of a node: the SAs the engine negotiated, selected by traffic selector on the
//! way out and by SPI on the way in.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ikelab_crypto::rng::SecureRandom;
use ikelab_engine::{ChildSaInfo, SaHandle, Transmit};
use ikelab_esp::{
    Encryption, EspError, InboundSa, InboundTable, Integrity, IvSource, OutboundSa, SaConfig,
    SaKeys, Suite,
};
use ikelab_wire::payload::AddressRange;

use crate::error::DataPlaneError;
use crate::{icmp, Delivered, EspTransmit, Output};

/// How a node's data plane behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataPlaneConfig {
    /// Answer ICMP echo requests that arrive through a tunnel, like a host behind the
    /// gateway would.
    pub answer_pings: bool,
    /// Anti-replay window of inbound SAs, in packets (RFC 4303 §3.4.3).
    pub replay_window: u32,
}

impl Default for DataPlaneConfig {
    fn default() -> Self {
        Self {
            answer_pings: true,
            replay_window: 128,
        }
    }
}

/// Packet counters over all SAs of a node.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DataPlaneStats {
    pub sealed: u64,
    pub opened: u64,
    pub replayed: u64,
    pub integrity_failed: u64,
    pub malformed: u64,
    pub unknown_spi: u64,
    /// Inner packets no CHILD_SA's selectors covered.
    pub no_route: u64,
    pub echo_replied: u64,
}

struct Outbound {
    ike_sa: Option<SaHandle>,
    spi_in: u32,
    sa: OutboundSa,
    local_ts: Vec<AddressRange>,
    remote_ts: Vec<AddressRange>,
    local: SocketAddr,
    remote: SocketAddr,
    udp_encapsulation: bool,
    /// A rekey whose exchange we answered: the inbound SPI of the SA it replaces, which we
    /// keep sending on until the peer shows it has this one (see [`DataPlane::install`]).
    replaces: Option<u32>,
    /// Receive only: it lost a simultaneous rekey and we are deleting it (§2.8.1).
    receive_only: bool,
}

pub(crate) struct DataPlane {
    config: DataPlaneConfig,
    rng: Arc<dyn SecureRandom>,
    inbound: InboundTable,
    /// Oldest first: sending picks the newest match that is not waiting for its peer.
    outbound: Vec<Outbound>,
    pub(crate) stats: DataPlaneStats,
    pub(crate) delivered: VecDeque<Delivered>,
    scratch: Vec<u8>,
}

/// Maximum inner packet plus ESP overhead.
const SCRATCH: usize = 65_536 + 256;

impl DataPlane {
    pub(crate) fn new(config: DataPlaneConfig, rng: Arc<dyn SecureRandom>) -> Self {
        Self {
            config,
            rng,
            inbound: InboundTable::new(),
            outbound: Vec::new(),
            stats: DataPlaneStats::default(),
            delivered: VecDeque::new(),
            scratch: vec![0; SCRATCH],
        }
    }

    /// Installs both directions of a CHILD_SA the engine negotiated.
    ///
    /// Rekeys (RFC 7296 §2.8): the inbound half is ready at once, and the old SA stays until
    /// its [`ChildSaDeleted`](ikelab_engine::EventKind::ChildSaDeleted), since "a node MUST
    /// accept incoming packets through either SA". The outbound half takes over at once only
    /// when we initiated the exchange: we have the peer's response, so it can receive on the
    /// new SA. As the responder our response may be lost and retransmitted for, so we go on
    /// sending on the old SA until the peer deletes it (the initiator deletes the old SA once
    /// it has the new one, §2.8) or sends on the new one. An SA that lost a simultaneous
    /// rekey (§2.8.1) only receives until its creator's Delete takes it away.
    pub(crate) fn install(
        &mut self,
        ike_sa: Option<SaHandle>,
        info: &ChildSaInfo,
    ) -> Result<(), DataPlaneError> {
        let unsupported = |source| DataPlaneError::Unsupported {
            spi_in: info.spi_in,
            source,
        };
        let t = &info.transforms;
        let encryption =
            Encryption::from_iana(t.encryption.id.0, t.encryption.key_bits).map_err(unsupported)?;
        let integrity = match t.integrity {
            Some(i) => Integrity::from_iana(i.0).map_err(unsupported)?,
            None => Integrity::None,
        };
        let suite = Suite {
            encryption,
            integrity,
        };
        let config = |spi: u32, keys: &ikelab_engine::EspKeys| {
            let mut c = SaConfig::new(
                spi,
                suite,
                SaKeys {
                    encryption: keys.encryption.clone(),
                    integrity: keys.integrity.clone(),
                },
            );
            c.esn = t.esn;
            c.replay_window = self.config.replay_window;
            c.mode = match info.mode {
                ikelab_policy::Mode::Tunnel => ikelab_esp::Mode::Tunnel,
                ikelab_policy::Mode::Transport => ikelab_esp::Mode::Transport,
            };
            // Counter IVs for AEADs (RFC 4106 §3.1); CBC IVs from the endpoint's generator, so
            // a seeded simulation replays byte for byte.
            if !encryption.is_combined() {
                c.iv = IvSource::Random(Arc::clone(&self.rng));
            }
            c
        };
        let inbound = InboundSa::new(&config(info.spi_in, &info.inbound)).map_err(unsupported)?;
        let outbound =
            OutboundSa::new(&config(info.spi_out, &info.outbound)).map_err(unsupported)?;
        self.inbound.insert(inbound);
        self.outbound.retain(|o| o.spi_in != info.spi_in);
        let replaces = info.rekey_of.filter(|old| {
            !info.exchange_initiator && self.outbound.iter().any(|o| o.spi_in == *old)
        });
        self.outbound.push(Outbound {
            ike_sa,
            spi_in: info.spi_in,
            sa: outbound,
            local_ts: info.local_ts.clone(),
            remote_ts: info.remote_ts.clone(),
            local: info.local,
            remote: info.remote,
            udp_encapsulation: info.udp_encapsulation,
            replaces,
            receive_only: info.lost_collision,
        });
        Ok(())
    }

    /// Removes a CHILD_SA (both directions).
    pub(crate) fn remove(&mut self, spi_in: u32, spi_out: u32) {
        self.inbound.remove(spi_in);
        self.outbound
            .retain(|o| o.spi_in != spi_in && o.sa.spi() != spi_out);
        self.replaced(spi_in);
    }

    /// The SA with inbound SPI `old` is gone: its successors may send.
    fn replaced(&mut self, old: u32) {
        for o in &mut self.outbound {
            if o.replaces == Some(old) {
                o.replaces = None;
            }
        }
    }

    /// The IKE SA moved (MOBIKE, RFC 4555 §3.5, or a NAT rebinding, RFC 7296 §2.23): its
    /// CHILD_SAs send between the new addresses from now on.
    pub(crate) fn retarget(
        &mut self,
        ike_sa: SaHandle,
        local: SocketAddr,
        remote: SocketAddr,
        udp_encapsulation: bool,
    ) {
        for o in self
            .outbound
            .iter_mut()
            .filter(|o| o.ike_sa == Some(ike_sa))
        {
            o.local = local;
            o.remote = remote;
            o.udp_encapsulation = udp_encapsulation;
        }
    }

    /// Removes every CHILD_SA of an IKE SA.
    pub(crate) fn remove_ike_sa(&mut self, ike_sa: SaHandle) {
        let gone: Vec<u32> = self
            .outbound
            .iter()
            .filter(|o| o.ike_sa == Some(ike_sa))
            .map(|o| o.spi_in)
            .collect();
        for spi in &gone {
            self.inbound.remove(*spi);
        }
        self.outbound.retain(|o| o.ike_sa != Some(ike_sa));
        for spi in gone {
            self.replaced(spi);
        }
    }

    /// (spi_in, spi_out) of every installed CHILD_SA, oldest first.
    pub(crate) fn sas(&self) -> Vec<(u32, u32)> {
        self.outbound
            .iter()
            .map(|o| (o.spi_in, o.sa.spi()))
            .collect()
    }

    /// Seals an inner IP packet on the newest CHILD_SA whose selectors cover it.
    pub(crate) fn send(
        &mut self,
        inner: &[u8],
        out: &mut VecDeque<Output>,
    ) -> Result<u32, DataPlaneError> {
        let flow = Flow::of(inner)?;
        let Some(o) = self.outbound.iter_mut().rev().find(|o| {
            o.replaces.is_none()
                && !o.receive_only
                && covers(&o.local_ts, flow.src, &flow)
                && covers(&o.remote_ts, flow.dst, &flow)
        }) else {
            self.stats.no_route += 1;
            return Err(DataPlaneError::NoRoute {
                src: flow.src,
                dst: flow.dst,
            });
        };
        let n = o.sa.seal_ip(inner, &mut self.scratch)?;
        let payload = self.scratch[..n].to_vec();
        self.stats.sealed += 1;
        out.push_back(if o.udp_encapsulation {
            Output::Udp(Transmit {
                local: o.local,
                remote: o.remote,
                payload,
            })
        } else {
            Output::Esp(EspTransmit {
                local: o.local.ip(),
                remote: o.remote.ip(),
                payload,
            })
        });
        Ok(o.sa.spi())
    }

    /// Opens an ESP packet; delivers it and answers pings.
    pub(crate) fn receive(&mut self, packet: &[u8], out: &mut VecDeque<Output>) {
        let opened = match self.inbound.open(packet, &mut self.scratch) {
            Ok(o) => o,
            Err(e) => {
                self.count_error(&e);
                return;
            }
        };
        let (spi, opened) = opened;
        self.stats.opened += 1;
        // The peer sends on a rekeyed SA we answered for: it has it, so we may too (§2.8).
        if let Some(o) = self
            .outbound
            .iter_mut()
            .find(|o| o.spi_in == spi && o.replaces.is_some())
        {
            o.replaces = None;
        }
        if opened.is_dummy() {
            return;
        }
        let inner = self.scratch[..opened.len].to_vec();
        if self.config.answer_pings {
            if let Some(reply) = icmp::reply_to(&inner) {
                if self.send(&reply, out).is_ok() {
                    self.stats.echo_replied += 1;
                }
            }
        }
        self.delivered.push_back(Delivered { spi, inner });
    }

    fn count_error(&mut self, e: &EspError) {
        let s = &mut self.stats;
        match e {
            EspError::Replay { .. } | EspError::TooOld { .. } => s.replayed += 1,
            EspError::Integrity { .. } => s.integrity_failed += 1,
            EspError::UnknownSpi { .. } => s.unknown_spi += 1,
            _ => s.malformed += 1,
        }
    }
}

/// Addresses, protocol and destination port of an inner packet.
struct Flow {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    /// Source and destination ports for TCP, UDP and SCTP.
    ports: Option<(u16, u16)>,
}

impl Flow {
    fn of(p: &[u8]) -> Result<Self, DataPlaneError> {
        let bad = |reason| DataPlaneError::InnerPacket { reason };
        let (src, dst, protocol, l4): (IpAddr, IpAddr, u8, &[u8]) = match p.first().map(|b| b >> 4)
        {
            Some(4) if p.len() >= 20 => {
                let ihl = usize::from(p[0] & 0x0f) * 4;
                let a = |i: usize| IpAddr::from([p[i], p[i + 1], p[i + 2], p[i + 3]]);
                (a(12), a(16), p[9], p.get(ihl..).unwrap_or(&[]))
            }
            Some(6) if p.len() >= 40 => {
                let a = |i: usize| {
                    let mut b = [0u8; 16];
                    b.copy_from_slice(&p[i..i + 16]);
                    IpAddr::from(b)
                };
                (a(8), a(24), p[6], &p[40..])
            }
            Some(4 | 6) => return Err(bad("shorter than its IP header")),
            _ => return Err(bad("neither IPv4 nor IPv6")),
        };
        let ports = match (protocol, l4) {
            (6 | 17 | 132, [a, b, c, d, ..]) => {
                Some((u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d])))
            }
            _ => None,
        };
        Ok(Self {
            src,
            dst,
            protocol,
            ports,
        })
    }
}

/// Whether a selector list covers `addr` (RFC 4301 §4.4.1: address range, protocol, ports).
fn covers(ts: &[AddressRange], addr: IpAddr, flow: &Flow) -> bool {
    ts.iter().any(|r| {
        let in_range = match (addr, r.start_address, r.end_address) {
            (IpAddr::V4(a), IpAddr::V4(s), IpAddr::V4(e)) => s <= a && a <= e,
            (IpAddr::V6(a), IpAddr::V6(s), IpAddr::V6(e)) => s <= a && a <= e,
            _ => false,
        };
        let proto_ok = r.ip_protocol == 0 || r.ip_protocol == flow.protocol;
        let ports_ok = match flow.ports {
            // The selector's ports are checked against the port on its own side: the caller
            // passes local selectors with the source address and remote with the destination.
            Some((sp, dp)) => {
                let p = if addr == flow.src { sp } else { dp };
                r.start_port <= p && p <= r.end_port
            }
            None => true,
        };
        in_range && proto_ok && ports_ok
    })
}
