//! The world: nodes, links, NATs, faults, the virtual clock and the recordings.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use ikelab_crypto::rng::SeededRandom;
use ikelab_engine::{ChildSaInfo, Event, EventKind, IkeKeyLog, SaHandle, Timestamp};
use ikelab_node::{icmp, Delivered, Node, Output};
use ikelab_policy::{Duration, IkePolicy};
use ikelab_wire::HeaderPacket;

use crate::capture;
use crate::error::SimError;
use crate::fault::{Fault, FaultAction, PacketClass};
use crate::keys::KeyStore;
use crate::link::{LinkModel, Rng};
use crate::loopback::Loopback;
use crate::mutate::mutate;
use crate::nat::Nat;
use crate::record::{
    classify_udp, marker_len, strip_marker, summarise, DropReason, IkeSummary, Transport, WireKind,
    WireRecord,
};

/// Where the virtual clock starts.
pub const START: Timestamp = Timestamp::from_micros(1_000_000);

/// Identifies a node in its world (index in the order added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

/// How a world runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorldConfig {
    /// Seeds the link model's generator and the IVs of re-sealed (mutated) messages.
    pub seed: u64,
    /// Livelock guard: [`World::step`] fails with [`SimError::Livelock`] once the world has
    /// taken this many steps in total.
    pub max_steps: u64,
}

impl Default for WorldConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            max_steps: 100_000,
        }
    }
}

/// Why [`World::run_until`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The stop condition held.
    Condition,
    /// Nothing left to do: no timers, nothing in flight.
    Idle,
    /// The deadline came first (the clock is at the deadline).
    Deadline,
}

struct SimNode {
    name: String,
    addrs: Vec<IpAddr>,
    node: Node,
    events: Vec<(Timestamp, Event)>,
    delivered: Vec<(Timestamp, Delivered)>,
    nat: Option<Nat>,
}

/// Something due at a point in virtual time.
enum Scheduled {
    /// A datagram arrives at a node.
    Deliver {
        to: NodeId,
        transport: Transport,
        /// The receiver's address (inside a NAT: the inside address).
        local: SocketAddr,
        remote: SocketAddr,
        bytes: Vec<u8>,
    },
    /// A replayed copy goes on the wire again (recorded then, delivered after the latency).
    Replay(WireRecord),
}

/// What the faults decided for one datagram.
#[derive(Default)]
struct Effect {
    drop: bool,
    copies: u32,
    delay: u64,
    replays: Vec<Duration>,
    notes: Vec<String>,
}

/// A deterministic simulated network of [`Node`]s. See the crate documentation.
pub struct World {
    config: WorldConfig,
    now: Timestamp,
    nodes: Vec<SimNode>,
    default_link: LinkModel,
    links: BTreeMap<(NodeId, NodeId), LinkModel>,
    faults: Vec<(Fault, u32)>,
    queue: BTreeMap<(Timestamp, u64), Scheduled>,
    seq: u64,
    wire: Vec<WireRecord>,
    keys: KeyStore,
    children: Vec<ChildSaInfo>,
    rng: Rng,
    seal_rng: SeededRandom,
    steps: u64,
    ping_ident: u16,
    /// Loopback mode: arrivals cross real UDP sockets (see [`World::use_loopback_udp`]).
    loopback: Option<Loopback>,
}

impl World {
    pub fn new(config: WorldConfig) -> Self {
        Self {
            config,
            now: START,
            nodes: Vec::new(),
            default_link: LinkModel::default(),
            links: BTreeMap::new(),
            faults: Vec::new(),
            queue: BTreeMap::new(),
            seq: 0,
            wire: Vec::new(),
            keys: KeyStore::default(),
            children: Vec::new(),
            rng: Rng::new(config.seed),
            seal_rng: SeededRandom::from_u64(config.seed ^ 0x5eed_5ea1),
            steps: 0,
            ping_ident: 0x1000,
            loopback: None,
        }
    }

    pub fn config(&self) -> WorldConfig {
        self.config
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Steps taken so far (what the livelock guard counts).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// From now on every datagram crosses real UDP sockets on 127.0.0.1 when it arrives
    /// (one socket per simulated address, port and transport), and the receiver gets what
    /// the kernel delivered. The clock stays virtual, so a seed replays the same run as in
    /// memory; a datagram the sockets cannot carry makes [`World::step`] fail.
    pub fn use_loopback_udp(&mut self) {
        self.loopback.get_or_insert_with(Loopback::default);
    }

    /// Datagrams carried over loopback sockets so far (`None` in memory mode).
    pub fn loopback_datagrams(&self) -> Option<u64> {
        self.loopback.as_ref().map(Loopback::carried)
    }

    // ---- nodes -------------------------------------------------------------------------

    /// Adds a node owning `addrs`. Datagrams to any of them reach it. Give the node's
    /// endpoint `keylog: true` so mutations can re-encrypt and summaries can decrypt.
    pub fn add_node(
        &mut self,
        name: &str,
        addrs: Vec<IpAddr>,
        node: Node,
    ) -> Result<NodeId, SimError> {
        for a in &addrs {
            if let Some(owner) = self.owner_name(*a) {
                return Err(SimError::AddressInUse {
                    node: name.to_owned(),
                    addr: *a,
                    owner,
                });
            }
        }
        self.nodes.push(SimNode {
            name: name.to_owned(),
            addrs,
            node,
            events: Vec::new(),
            delivered: Vec::new(),
            nat: None,
        });
        Ok(NodeId(self.nodes.len() - 1))
    }

    fn owner_name(&self, a: IpAddr) -> Option<String> {
        self.nodes.iter().find_map(|n| {
            (n.addrs.contains(&a) || n.nat.as_ref().is_some_and(|x| x.public_ip == a))
                .then(|| n.name.clone())
        })
    }

    /// Panics if `id` is not from this world's [`World::add_node`].
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0].node
    }

    /// For commands (connect, delete, DPD) at [`World::now`]; what they send goes on the
    /// wire at the next step.
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.0].node
    }

    pub fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name).map(NodeId)
    }

    pub fn name(&self, id: NodeId) -> &str {
        &self.nodes[id.0].name
    }

    pub fn addrs(&self, id: NodeId) -> &[IpAddr] {
        &self.nodes[id.0].addrs
    }

    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> {
        (0..self.nodes.len()).map(NodeId)
    }

    /// Starts an IKE SA from `from` (shorthand for `node_mut(from).endpoint_mut().connect`).
    pub fn connect(
        &mut self,
        from: NodeId,
        policy: IkePolicy,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<SaHandle, SimError> {
        let now = self.now;
        let n = &mut self.nodes[from.0];
        let h = n
            .node
            .endpoint_mut()
            .connect(now, Arc::new(policy), local, remote)
            .map_err(|source| SimError::Connect {
                node: n.name.clone(),
                source,
            })?;
        self.flush();
        Ok(h)
    }

    // ---- network -----------------------------------------------------------------------

    /// The link model for every direction without an override.
    pub fn set_default_link(&mut self, link: LinkModel) {
        self.default_link = link;
    }

    /// Overrides the link from `from` to `to` (one direction).
    pub fn set_link(&mut self, from: NodeId, to: NodeId, link: LinkModel) {
        self.links.insert((from, to), link);
    }

    pub fn link(&self, from: NodeId, to: NodeId) -> &LinkModel {
        self.links.get(&(from, to)).unwrap_or(&self.default_link)
    }

    /// Puts `inside` behind a NAPT with `public_ip`.
    pub fn add_nat(&mut self, inside: NodeId, public_ip: IpAddr) -> Result<(), SimError> {
        if let Some(owner) = self.owner_name(public_ip) {
            return Err(SimError::AddressInUse {
                node: self.nodes[inside.0].name.clone(),
                addr: public_ip,
                owner,
            });
        }
        self.nodes[inside.0].nat = Some(Nat::new(public_ip));
        Ok(())
    }

    /// The NAT in front of `inside` moves every mapping to a new public port (old ports are
    /// refused from now on).
    pub fn rebind_nat(&mut self, inside: NodeId) -> Result<(), SimError> {
        let n = &mut self.nodes[inside.0];
        let nat = n.nat.as_mut().ok_or_else(|| SimError::NoNat {
            node: n.name.clone(),
        })?;
        nat.rebind();
        Ok(())
    }

    /// Current NAT mappings of `inside`: (inside address, public address).
    pub fn nat_mappings(&self, inside: NodeId) -> Vec<(SocketAddr, SocketAddr)> {
        self.nodes[inside.0]
            .nat
            .as_ref()
            .map(Nat::mappings)
            .unwrap_or_default()
    }

    pub fn add_fault(&mut self, fault: Fault) {
        self.faults.push((fault, 0));
    }

    /// Faults with how many datagrams each has matched so far.
    pub fn faults(&self) -> impl Iterator<Item = (&Fault, u32)> {
        self.faults.iter().map(|(f, n)| (f, *n))
    }

    // ---- recordings --------------------------------------------------------------------

    /// Every event of a node, with the virtual time it came out.
    pub fn events(&self, id: NodeId) -> &[(Timestamp, Event)] {
        &self.nodes[id.0].events
    }

    /// Every datagram put on the wire, in order.
    pub fn wire(&self) -> &[WireRecord] {
        &self.wire
    }

    /// Inner packets that arrived at a node through a CHILD_SA.
    pub fn delivered(&self, id: NodeId) -> &[(Timestamp, Delivered)] {
        &self.nodes[id.0].delivered
    }

    /// ICMP echo replies delivered to a node.
    pub fn echo_replies(&self, id: NodeId) -> usize {
        self.nodes[id.0]
            .delivered
            .iter()
            .filter(|(_, d)| icmp::parse_echo(&d.inner).is_some_and(|e| e.reply))
            .count()
    }

    /// An IKE record decoded, inner payloads decrypted when the world has the keys.
    pub fn describe(&self, rec: &WireRecord) -> Option<IkeSummary> {
        summarise(rec, Some(&self.keys))
    }

    /// The opened SK payload of an IKE record: `None` for unencrypted (or fragmented)
    /// messages, an error when the world lacks the keys or the payload does not open.
    pub fn open_sk(
        &self,
        rec: &WireRecord,
    ) -> Option<Result<crate::keys::SkPlain, crate::SkFailure>> {
        let raw = rec.ike_bytes()?;
        let msg = ikelab_wire::Message::parse(raw).ok()?.message;
        msg.encrypted()?;
        Some(self.keys.open_plain(raw, &msg))
    }

    /// IKE SA keys learned from key-log events (secret).
    pub fn ike_keys(&self) -> impl Iterator<Item = &IkeKeyLog> {
        self.keys.ike_keys()
    }

    /// Writes the wire as a classic pcap (LINKTYPE_RAW, virtual timestamps).
    pub fn write_pcap(&self, path: &Path) -> Result<(), SimError> {
        capture::write_pcap(path, &self.wire)
    }

    /// Writes Wireshark's `ikev2_decryption_table` and `esp_sa` (SECRET keys) into `dir`.
    pub fn write_key_tables(&self, dir: &Path) -> Result<(), SimError> {
        std::fs::create_dir_all(dir).map_err(|source| SimError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let ike: Vec<String> = self
            .keys
            .ike_keys()
            .filter_map(IkeKeyLog::wireshark_line)
            .collect();
        let mut esp: Vec<String> = Vec::new();
        for l in self.children.iter().flat_map(ChildSaInfo::wireshark_lines) {
            if !esp.contains(&l) {
                esp.push(l);
            }
        }
        capture::write_lines(dir, "ikev2_decryption_table", &ike)?;
        capture::write_lines(dir, "esp_sa", &esp)
    }

    // ---- traffic -----------------------------------------------------------------------

    /// Sends `count` ICMP echo requests from `src` to `dst` through `from`'s CHILD_SAs
    /// (sequence numbers 0..count, one identifier per call). Replies show up in
    /// [`World::echo_replies`] once the world has run.
    pub fn send_pings(
        &mut self,
        from: NodeId,
        src: IpAddr,
        dst: IpAddr,
        count: u16,
        payload_len: usize,
    ) -> Result<(), SimError> {
        let ident = self.ping_ident;
        self.ping_ident = self.ping_ident.wrapping_add(1);
        let now = self.now;
        for seq in 0..count {
            let req = icmp::echo_request(src, dst, ident, seq, payload_len)
                .ok_or(SimError::MixedFamilies { src, dst })?;
            let n = &mut self.nodes[from.0];
            n.node
                .send_packet(now, &req)
                .map_err(|source| SimError::DataPlane {
                    node: n.name.clone(),
                    source,
                })?;
        }
        self.flush();
        Ok(())
    }

    /// Puts a hand-made UDP datagram on the wire as if `from` had sent it from `src`
    /// (through its NAT, the faults and the link, and recorded like any other).
    /// The record is marked `injected` (its `fault` note), so expectations can tell what
    /// the receiver did after it.
    pub fn inject_udp(&mut self, from: NodeId, src: SocketAddr, dst: SocketAddr, bytes: Vec<u8>) {
        let at = self.wire.len();
        self.transmit(
            from,
            Output::Udp(ikelab_engine::Transmit {
                local: src,
                remote: dst,
                payload: bytes,
            }),
        );
        if let Some(rec) = self.wire.get_mut(at) {
            rec.fault.get_or_insert_with(|| "injected".into());
        }
    }

    // ---- time --------------------------------------------------------------------------

    /// The next point in time something happens: a node timer or a scheduled arrival.
    pub fn next_wakeup(&self) -> Option<Timestamp> {
        let timers = self.nodes.iter().filter_map(|n| n.node.poll_timeout());
        let queued = self.queue.keys().next().map(|k| k.0);
        timers.chain(queued).min()
    }

    /// One step: collect what the nodes want sent, jump the clock to the next wakeup,
    /// deliver everything due, run due timers. `Ok(false)` when there is nothing to do.
    pub fn step(&mut self) -> Result<bool, SimError> {
        self.flush();
        let Some(next) = self.next_wakeup() else {
            return Ok(false);
        };
        self.steps += 1;
        if self.steps > self.config.max_steps {
            return Err(SimError::Livelock {
                steps: self.config.max_steps,
                at: self.now,
            });
        }
        self.now = self.now.max(next);
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            match entry.remove() {
                Scheduled::Deliver {
                    to,
                    transport,
                    local,
                    remote,
                    bytes,
                } => {
                    let bytes = match self.loopback.as_mut() {
                        Some(l) => l.carry(transport, remote, local, &bytes)?,
                        None => bytes,
                    };
                    self.deliver(to, transport, local, remote, &bytes)
                }
                Scheduled::Replay(rec) => self.replay(rec),
            }
        }
        let now = self.now;
        for n in &mut self.nodes {
            if n.node.poll_timeout().is_some_and(|t| t <= now) {
                n.node.handle_timeout(now);
            }
        }
        self.flush();
        Ok(true)
    }

    /// Steps until `stop` holds, the world is idle, or the next wakeup is after `deadline`
    /// (then the clock is set to the deadline).
    pub fn run_until(
        &mut self,
        deadline: Timestamp,
        mut stop: impl FnMut(&World) -> bool,
    ) -> Result<Stop, SimError> {
        loop {
            self.flush();
            if stop(self) {
                return Ok(Stop::Condition);
            }
            match self.next_wakeup() {
                None => return Ok(Stop::Idle),
                Some(t) if t > deadline => {
                    self.now = self.now.max(deadline);
                    return Ok(Stop::Deadline);
                }
                Some(_) => {
                    self.step()?;
                }
            }
        }
    }

    /// Runs for `d` of virtual time; the clock ends at `now + d` (idle or not).
    pub fn run_for(&mut self, d: Duration) -> Result<Stop, SimError> {
        let target = self.now + d;
        let stop = self.run_until(target, |_| false)?;
        self.now = self.now.max(target);
        Ok(stop)
    }

    /// Moves the clock forward by `d`, running every timer and arrival due on the way.
    pub fn advance(&mut self, d: Duration) -> Result<(), SimError> {
        self.run_for(d).map(|_| ())
    }

    // ---- internals ---------------------------------------------------------------------

    /// Collects events, inner packets and datagrams from every node.
    fn flush(&mut self) {
        let now = self.now;
        for i in 0..self.nodes.len() {
            while let Some(e) = self.nodes[i].node.poll_event() {
                match &e.kind {
                    EventKind::IkeKeys(k) => self.keys.learn(k),
                    EventKind::ChildSaInstalled(c) => self.children.push((**c).clone()),
                    _ => {}
                }
                self.nodes[i].events.push((now, e));
            }
            while let Some(d) = self.nodes[i].node.poll_delivered() {
                self.nodes[i].delivered.push((now, d));
            }
            while let Some(o) = self.nodes[i].node.poll_transmit() {
                self.transmit(NodeId(i), o);
            }
        }
    }

    fn schedule(&mut self, at: Timestamp, s: Scheduled) {
        self.seq += 1;
        self.queue.insert((at, self.seq), s);
    }

    fn deliver(
        &mut self,
        to: NodeId,
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
    ) {
        let now = self.now;
        let n = &mut self.nodes[to.0].node;
        match transport {
            Transport::Udp => n.handle_datagram(now, local, remote, bytes),
            Transport::Esp => n.handle_esp(now, local.ip(), remote.ip(), bytes),
        }
    }

    /// Where a public destination goes: the node and its (inside) address.
    fn route(
        &self,
        transport: Transport,
        dst: SocketAddr,
    ) -> Result<(NodeId, SocketAddr), (Option<NodeId>, DropReason)> {
        if let Some(i) = self.nodes.iter().position(|n| n.addrs.contains(&dst.ip())) {
            return Ok((NodeId(i), dst));
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let Some(nat) = n.nat.as_ref().filter(|x| x.public_ip == dst.ip()) else {
                continue;
            };
            if transport == Transport::Esp {
                return Err((Some(NodeId(i)), DropReason::Nat));
            }
            return nat
                .inbound(dst)
                .map(|inside| (NodeId(i), inside))
                .ok_or((Some(NodeId(i)), DropReason::Nat));
        }
        Err((None, DropReason::NoRoute))
    }

    /// One datagram from a node: sender's NAT, routing, faults, link, recording, delivery.
    fn transmit(&mut self, from: NodeId, out: Output) {
        let (transport, src, dst, bytes) = match out {
            Output::Udp(t) => (Transport::Udp, t.local, t.remote, t.payload),
            Output::Esp(e) => (
                Transport::Esp,
                SocketAddr::new(e.local, 0),
                SocketAddr::new(e.remote, 0),
                e.payload,
            ),
        };
        let kind = match transport {
            Transport::Udp => classify_udp(src, dst, &bytes),
            Transport::Esp => WireKind::Esp,
        };
        let mut rec = WireRecord {
            time: self.now,
            from,
            to: None,
            transport,
            src,
            dst,
            bytes,
            kind,
            dropped: None,
            fault: None,
        };
        if let Some(nat) = self.nodes[from.0].nat.as_mut() {
            if transport == Transport::Esp {
                rec.dropped = Some(DropReason::Nat);
                rec.to = self.route(transport, rec.dst).ok().map(|r| r.0);
                self.wire.push(rec);
                return;
            }
            rec.src = nat.outbound(src);
        }
        let (to, local) = match self.route(transport, rec.dst) {
            Ok(r) => r,
            Err((to, reason)) => {
                rec.to = to;
                rec.dropped = Some(reason);
                self.wire.push(rec);
                return;
            }
        };
        rec.to = Some(to);
        let effect = self.apply_faults(&mut rec);
        if !effect.notes.is_empty() {
            rec.fault = Some(effect.notes.join("; "));
        }
        let link = self.link(from, to).clone();
        if link
            .mtu
            .is_some_and(|m| capture::ip_len(transport, rec.dst, rec.bytes.len()) > m)
        {
            rec.dropped = Some(DropReason::Mtu);
        } else if effect.drop {
            rec.dropped = Some(DropReason::Fault);
        } else if self.rng.chance(link.loss_permille) {
            rec.dropped = Some(DropReason::Loss);
        }
        self.wire.push(rec.clone());
        if rec.dropped.is_some() {
            return;
        }
        let base = self.now + Duration::from_micros(effect.delay);
        self.send_copy(&link, base, to, local, &rec);
        if self.rng.chance(link.duplicate_permille) {
            self.record_copy(&rec, "link duplicate");
            self.send_copy(&link, base, to, local, &rec);
        }
        for _ in 0..effect.copies {
            self.record_copy(&rec, "duplicate (copy)");
            self.send_copy(&link, base, to, local, &rec);
        }
        for after in effect.replays {
            let mut copy = rec.clone();
            copy.fault = Some(format!("replay (sent first at {})", rec.time));
            self.schedule(self.now + after, Scheduled::Replay(copy));
        }
    }

    fn record_copy(&mut self, rec: &WireRecord, note: &str) {
        let mut copy = rec.clone();
        copy.fault = Some(note.to_owned());
        self.wire.push(copy);
    }

    /// Schedules one arrival: latency, jitter, and maybe the reorder hold-back.
    fn send_copy(
        &mut self,
        link: &LinkModel,
        base: Timestamp,
        to: NodeId,
        local: SocketAddr,
        rec: &WireRecord,
    ) {
        let mut at = base + link.latency + self.rng.upto(link.jitter);
        if self.rng.chance(link.reorder_permille) {
            at = at + link.latency.max(Duration::from_millis(1)) + link.jitter;
        }
        self.schedule(
            at,
            Scheduled::Deliver {
                to,
                transport: rec.transport,
                local,
                remote: rec.src,
                bytes: rec.bytes.clone(),
            },
        );
    }

    /// A replayed copy goes on the wire now: routed again (a NAT may have rebound), no
    /// faults, no loss.
    fn replay(&mut self, mut rec: WireRecord) {
        rec.time = self.now;
        match self.route(rec.transport, rec.dst) {
            Ok((to, local)) => {
                rec.to = Some(to);
                self.wire.push(rec.clone());
                let at = self.now + self.link(rec.from, to).latency;
                self.schedule(
                    at,
                    Scheduled::Deliver {
                        to,
                        transport: rec.transport,
                        local,
                        remote: rec.src,
                        bytes: rec.bytes,
                    },
                );
            }
            Err((to, reason)) => {
                rec.to = to;
                rec.dropped = Some(reason);
                self.wire.push(rec);
            }
        }
    }

    /// Matches every fault against the datagram as sent, then applies the actions of those
    /// that fire, in the order they were added.
    fn apply_faults(&mut self, rec: &mut WireRecord) -> Effect {
        let mut effect = Effect::default();
        if self.faults.is_empty() {
            return effect;
        }
        let ike = (rec.kind == WireKind::Ike)
            .then(|| HeaderPacket::new_checked(strip_marker(rec.src, rec.dst, &rec.bytes)).ok())
            .flatten()
            .map(|h| (h.exchange_type(), h.flags().response()));
        let mut fired = Vec::new();
        for (i, (f, count)) in self.faults.iter_mut().enumerate() {
            let s = &f.selector;
            let class_ok = match s.class {
                PacketClass::Ike => rec.kind == WireKind::Ike,
                PacketClass::Esp => rec.kind == WireKind::Esp,
                PacketClass::Any => true,
            };
            let ok = class_ok
                && s.from.is_none_or(|n| n == rec.from)
                && s.to.is_none_or(|n| Some(n) == rec.to)
                && s.exchange.is_none_or(|x| ike.is_some_and(|h| h.0 == x))
                && s.response.is_none_or(|r| ike.is_some_and(|h| h.1 == r));
            if !ok {
                continue;
            }
            *count += 1;
            if s.nth == 0 || *count == s.nth {
                fired.push(i);
            }
        }
        for i in fired {
            let action = self.faults[i].0.action.clone();
            match action {
                FaultAction::Drop => effect.drop = true,
                FaultAction::Duplicate => effect.copies += 1,
                FaultAction::Delay(d) => effect.delay += d.as_micros(),
                FaultAction::Replay { after } => effect.replays.push(after),
                FaultAction::CorruptByte { offset, xor } => {
                    let len = rec.bytes.len() as i64;
                    let at = if offset < 0 { len + offset } else { offset };
                    if (0..len).contains(&at) {
                        rec.bytes[at as usize] ^= xor;
                    } else {
                        effect
                            .notes
                            .push(format!("{action} not applied: {len} octets"));
                        continue;
                    }
                }
                FaultAction::Mutate(ref m) => {
                    let marker = marker_len(rec.src, rec.dst);
                    let result = match rec.ike_bytes() {
                        Some(ike) => {
                            mutate(ike, m, &self.keys, &self.seal_rng).map_err(|e| e.to_string())
                        }
                        None => Err("not an IKE message".to_owned()),
                    };
                    match result {
                        Ok(new) => {
                            rec.bytes.truncate(marker);
                            rec.bytes.extend_from_slice(&new);
                        }
                        Err(e) => {
                            effect.notes.push(format!("{action} not applied: {e}"));
                            continue;
                        }
                    }
                }
            }
            effect.notes.push(action.to_string());
        }
        effect
    }
}
