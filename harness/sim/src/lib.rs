//! ikelab sim: a deterministic simulated world of [`ikelab_node::Node`]s.
//!
//! Nodes are addressed by IP. Every datagram a node sends goes through, in order: the
//! sender's NAT (if any), routing by destination address (a NAT's public address routes to
//! the node behind it through the mapping table), the [`Fault`]s, the link ([`LinkModel`]:
//! MTU, loss, latency, jitter, duplication, reordering), and is recorded as a
//! [`WireRecord`]. Time is virtual: it starts at [`START`] and jumps to the next wakeup (a
//! node timer or an arrival); nothing sleeps. All link randomness comes from one seeded
//! xorshift, and nodes are expected to get seeded generators too, so one seed replays a run
//! byte for byte.
//!
//! ```text
//! World::new(WorldConfig { seed, max_steps })
//! add_node(name, addrs, Node) -> NodeId        node / node_mut / node_by_name / connect
//! set_default_link(LinkModel), set_link(from, to, LinkModel)     (one direction)
//! add_nat(inside, public_ip), rebind_nat(inside)    UDP only: raw ESP is refused (DropReason::Nat)
//! add_fault(Fault { selector: Selector, action: FaultAction })
//! use_loopback_udp()     arrivals cross real UDP sockets on 127.0.0.1; the clock stays virtual
//! step() -> bool, run_until(deadline, stop) -> Stop, run_for(d) -> Stop, advance(d)
//! events(id), wire(), delivered(id), echo_replies(id), describe(&WireRecord) -> IkeSummary
//! send_pings(from, src, dst, count, payload_len)
//! write_pcap(path), write_key_tables(dir)       (key tables hold secrets: only when asked)
//! ```
//!
//! Faults are matched against each datagram as the sender emitted it; `nth` counts matching
//! datagrams per fault. [`FaultAction::Mutate`] changes IKE messages *before* encryption:
//! the world learns every IKE SA's keys from the nodes' `IkeKeys` events (so give nodes
//! `EndpointConfig { keylog: true, .. }`, e.g. with [`node_config`]), opens the SK payload,
//! applies the [`Mutation`] to the parsed payloads and re-seals with the same keys, so the
//! receiver sees a message with a valid ICV. [`FaultAction::CorruptByte`] works after
//! encryption. A mutation that cannot apply leaves the datagram unchanged and says why in
//! [`WireRecord::fault`]. Note that the initiator's AUTH signs the IKE_SA_INIT request it
//! *sent* (RFC 7296 §2.15), so any on-path change to IKE_SA_INIT the responder accepts ends
//! in AUTHENTICATION_FAILED at IKE_AUTH; likewise for the responder's IKE_SA_INIT response.
//!
//! Ports are fixed: IKE on 500, NAT-T on 4500 (RFC 3948 framing on 4500 either way).
//! The livelock guard counts [`World::step`]s over the world's life.
#![warn(clippy::unwrap_used)]

mod capture;
mod error;
mod fault;
mod keys;
mod link;
mod loopback;
mod mutate;
mod nat;
mod record;
mod world;

use std::sync::Arc;

use ikelab_crypto::rng::SeededRandom;
use ikelab_engine::EndpointConfig;
use ikelab_policy::IkePolicy;

pub use error::SimError;
pub use fault::{Fault, FaultAction, Mutation, PacketClass, Selector};
pub use keys::{SkFailure, SkPlain};
pub use link::LinkModel;
pub use loopback::MAX_UDP_PAYLOAD;
pub use mutate::MutateError;
pub use record::{DropReason, IkeSummary, Transport, WireKind, WireRecord};
pub use world::{NodeId, Stop, World, WorldConfig, START};

/// An endpoint configuration for simulated nodes: default crypto, a generator seeded with
/// `seed`, message traces and the key log on (the world needs the keys for mutations and
/// decrypted summaries), `responder` answering IKE_SA_INIT when given.
pub fn node_config(seed: u64, responder: Option<IkePolicy>) -> EndpointConfig {
    let mut c = EndpointConfig::new(
        &ikelab_crypto::DEFAULT,
        Arc::new(SeededRandom::from_u64(seed)),
    );
    c.responder = responder.map(Arc::new);
    c.trace_messages = true;
    c.keylog = true;
    c
}
