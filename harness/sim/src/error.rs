//! What can go wrong driving the world.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use ikelab_engine::{ConfigError, Timestamp};
use ikelab_node::DataPlaneError;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The world was still busy after `max_steps` steps: two nodes keep each other going
    /// (or the budget is too small for the scenario).
    #[error("livelock guard: still busy after {steps} steps (WorldConfig::max_steps) at virtual time {at}")]
    Livelock { steps: u64, at: Timestamp },
    #[error("node {node:?}: address {addr} is already used by {owner:?}")]
    AddressInUse {
        node: String,
        addr: IpAddr,
        owner: String,
    },
    #[error("node {node:?}: no NAT in front of it")]
    NoNat { node: String },
    #[error("node {node:?}: connect: {source}")]
    Connect {
        node: String,
        #[source]
        source: ConfigError,
    },
    #[error("node {node:?}: cannot send inner packet: {source}")]
    DataPlane {
        node: String,
        #[source]
        source: DataPlaneError,
    },
    #[error("ping {src} -> {dst}: the address families differ")]
    MixedFamilies { src: IpAddr, dst: IpAddr },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: writing pcap: {source}")]
    Pcap {
        path: PathBuf,
        #[source]
        source: pcap_file::PcapError,
    },
    /// Loopback mode: the datagram from `src` to `dst` (simulated addresses) did not
    /// cross the real sockets intact.
    #[error("loopback UDP {src} -> {dst}: {what}: {source}")]
    Loopback {
        src: SocketAddr,
        dst: SocketAddr,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("pcap record {index}: cannot synthesize IP/UDP headers: {reason}")]
    Packet { index: usize, reason: String },
}
