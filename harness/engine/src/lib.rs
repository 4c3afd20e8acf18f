//! ikelab engine: a sans-IO IKEv2 (RFC 7296) initiator and responder.
//!
//! The engine owns no socket and reads no clock. An [`Endpoint`] takes datagrams, timeouts and
//! commands with the current [`Timestamp`], and produces datagrams to send, the next time it
//! wants to be woken, and [`Event`]s. The same code runs in memory (tests, the simulator, fuzz
//! targets) and over UDP (the `ikelab-udp` driver). See [`Endpoint`] for the calling contract.
//!
//! Module map:
//! - [`endpoint`]: demultiplexing by SPI, stateless replies (COOKIE, INVALID_KE_PAYLOAD,
//!   NO_PROPOSAL_CHOSEN, INVALID_MAJOR_VERSION, INVALID_IKE_SPI), the address pool.
//! - `sa`: one IKE SA: states named for what they wait for ([`SaState`]), the exchange layer
//!   (Message IDs, retransmission, cached responses), IKE_SA_INIT, IKE_AUTH, INFORMATIONAL,
//!   MOBIKE address updates (RFC 4555) and redirects (RFC 5685).
//! - `negotiate`: proposal selection and traffic selector narrowing.
//! - `authn`: AUTH payloads (PSK, RSA/ECDSA signatures, RFC 7427) and certificate checks.
//! - [`violation`]: what a peer can do wrong, with RFC section and Notify.
#![warn(clippy::unwrap_used)]

mod attrs;
mod authn;
mod digest;
mod eap;
mod eap_tls;
pub mod endpoint;
mod error;
mod event;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
mod keylog;
mod natd;
mod negotiate;
mod sa;
mod time;
pub mod violation;

use std::net::SocketAddr;
use std::sync::Arc;

use ikelab_crypto::rng::SecureRandom;
use ikelab_crypto::Provider;
use ikelab_policy::IkePolicy;

pub use endpoint::{DatagramKind, Endpoint};
pub use error::{ConfigError, EngineError};
pub use event::{
    AddressCheckFailure, ChildSaInfo, ChildTransforms, CloseReason, Direction, EspKeys, Event,
    EventKind, IkeKeyLog, IkeSaInfo, IkeTransforms, MessageTrace, NatDetected,
};
pub use sa::{
    AddressUpdate, FragmentLimits, Gateway, SaState, MAX_REDIRECTS, REDIRECT_LOOP_DETECT_PERIOD,
};
pub use time::Timestamp;
pub use violation::{AuthFailure, Violation};

/// Identifies an IKE SA within its endpoint. Never reused. An IKE SA rekey (RFC 7296 §2.18)
/// keeps the handle: the new SA (new SPIs, see [`EventKind::IkeSaRekeyed`]) takes over the old
/// one's CHILD_SAs and commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SaHandle(pub u64);

/// A datagram to send: UDP payload (non-ESP marker included on the NAT-T port) and the
/// addresses to send it from and to.
#[derive(Clone, PartialEq, Eq)]
pub struct Transmit {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub payload: Vec<u8>,
}

impl core::fmt::Debug for Transmit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Transmit({} -> {}, {} octets)",
            self.local,
            self.remote,
            self.payload.len()
        )
    }
}

/// How an endpoint runs.
#[derive(Clone)]
pub struct EndpointConfig {
    /// Crypto provider; [`ikelab_crypto::DEFAULT`] for real use.
    pub provider: &'static Provider,
    /// All randomness (SPIs, nonces, KE private keys, IVs, jitter) comes from here; pass a
    /// seeded generator to replay runs exactly.
    pub rng: Arc<dyn SecureRandom>,
    /// The policy to answer IKE_SA_INIT requests with; `None`: initiator only.
    pub responder: Option<Arc<IkePolicy>>,
    /// Our NAT-T port (RFC 3948): where the driver receives UDP-encapsulated traffic.
    pub nat_t_port: u16,
    /// The peer's NAT-T port an initiator switches to when a NAT is detected.
    pub peer_nat_t_port: u16,
    /// Emit [`EventKind::Message`] for every message sent and received.
    pub trace_messages: bool,
    /// Emit [`EventKind::IkeKeys`] (secret keys!) for a key log. Off unless asked for.
    pub keylog: bool,
    /// COOKIE and INVALID_KE_PAYLOAD round trips an initiator accepts per connection.
    pub max_init_retries: u32,
    /// Minimum time between unprotected INVALID_IKE_SPI replies (RFC 7296 §2.21.4: rate
    /// limited).
    pub invalid_spi_interval: ikelab_policy::Duration,
    /// Limits on reassembling the peer's IKE fragments (RFC 7383 §2.6, §5).
    pub fragment_limits: FragmentLimits,
}

impl EndpointConfig {
    pub fn new(provider: &'static Provider, rng: Arc<dyn SecureRandom>) -> Self {
        Self {
            provider,
            rng,
            responder: None,
            nat_t_port: 4500,
            peer_nat_t_port: 4500,
            trace_messages: false,
            keylog: false,
            max_init_retries: 3,
            invalid_spi_interval: ikelab_policy::Duration::from_secs(1),
            fragment_limits: FragmentLimits::default(),
        }
    }
}

impl core::fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("responder", &self.responder.as_ref().map(|p| &p.name))
            .field("nat_t_port", &self.nat_t_port)
            .field("peer_nat_t_port", &self.peer_nat_t_port)
            .field("trace_messages", &self.trace_messages)
            .field("keylog", &self.keylog)
            .finish_non_exhaustive()
    }
}
