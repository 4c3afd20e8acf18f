//! What the engine reports: SA lifecycle, violations, and (optionally) a trace of every message
//! and the keys for a key log.

use core::fmt;
use std::net::{IpAddr, SocketAddr};

use ikelab_crypto::KeyBytes;
use ikelab_policy::{Encryption, Identity, Mode};
use ikelab_wire::iana::{
    AuthMethod, EncrId, ExchangeType, IntegId, KeMethod, NotifyType, PayloadType, PrfId,
};
use ikelab_wire::payload::AddressRange;
use ikelab_wire::Finding;

use crate::violation::Violation;
use crate::SaHandle;

/// One event, about one SA or (`sa: None`) about the endpoint (stateless replies).
#[derive(Debug, Clone)]
pub struct Event {
    pub sa: Option<SaHandle>,
    pub kind: EventKind,
}

/// Event payloads.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// IKE_AUTH completed: both sides are authenticated.
    IkeSaEstablished(IkeSaInfo),
    /// A CHILD_SA is ready for the ESP data plane.
    ChildSaInstalled(Box<ChildSaInfo>),
    /// The CHILD_SA of an exchange was refused while the IKE SA went on (RFC 7296 §2.21.3).
    ChildSaFailed { notify: NotifyType },
    /// CP(CFG_REPLY) attributes received (initiator) or assigned (responder).
    ConfigAssigned {
        addresses: Vec<IpAddr>,
        dns: Vec<IpAddr>,
    },
    /// A CHILD_SA was deleted (by either side); `spi_in` is our inbound SPI.
    ChildSaDeleted {
        spi_in: u32,
        spi_out: u32,
        by_peer: bool,
    },
    /// The IKE SA is gone; the handle is no longer valid after this event.
    Closed { reason: CloseReason },
    /// The peer broke a requirement.
    Violation(Violation),
    /// We retransmitted a request (RFC 7296 §2.4).
    Retransmitted {
        exchange: ExchangeType,
        message_id: u32,
        attempt: u32,
    },
    /// A message went out or came in (only with [`crate::EndpointConfig::trace_messages`]).
    Message(MessageTrace),
    /// IKE SA keys for a key log (only with [`crate::EndpointConfig::keylog`]).
    IkeKeys(Box<IkeKeyLog>),
    /// The IKE SA was rekeyed (RFC 7296 §1.3.2, §2.18): these are its new SPIs. The
    /// [`crate::SaHandle`] stays the same, its CHILD_SAs moved to the new SA, and the old SA is
    /// deleted on its old SPIs. A new [`EventKind::IkeKeys`] follows when key logging is on.
    IkeSaRekeyed { spi_i: u64, spi_r: u64 },
    /// Our IKE SA rekey was refused; the SA goes on with its current keys (a TEMPORARY_FAILURE
    /// is retried later without this event).
    IkeSaRekeyFailed { notify: NotifyType },
    /// The IKE SA and all its CHILD_SAs now run between these addresses: a MOBIKE address
    /// update (RFC 4555 §3.5) or, without MOBIKE, a NAT mapping change of the peer (RFC 7296
    /// §2.23). A data plane sends this IKE SA's ESP to `remote` from now on.
    SaAddressesUpdated {
        local: SocketAddr,
        remote: SocketAddr,
        udp_encapsulation: bool,
    },
    /// Our MOBIKE address update was refused (e.g. UNEXPECTED_NAT_DETECTED, RFC 4555 §3.9);
    /// the IKE SA goes on.
    AddressUpdateFailed { notify: NotifyType },
    /// MOBIKE responder: the peer's new address `remote` failed the return routability check
    /// (RFC 4555 §3.7), so the IKE SA and its CHILD_SAs stay on their old addresses.
    AddressCheckFailed {
        remote: SocketAddr,
        reason: AddressCheckFailure,
    },
    /// The gateway redirected us (RFC 5685). `new_sa`: the IKE SA the engine started towards
    /// an IP gateway; `None` for a FQDN, which the driver resolves and passes to
    /// [`crate::Endpoint::follow_redirect`].
    Redirected {
        to: crate::Gateway,
        new_sa: Option<SaHandle>,
    },
}

/// Why a return routability check (RFC 4555 §3.7) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressCheckFailure {
    /// The check exhausted its retransmissions without a response.
    NoResponse,
    /// The response did not echo our COOKIE2.
    Cookie2Mismatch,
}

impl fmt::Display for AddressCheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoResponse => "no response at the new address",
            Self::Cookie2Mismatch => "the response did not echo our COOKIE2",
        })
    }
}

/// Why an IKE SA ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer answered with an error Notify (e.g. NO_PROPOSAL_CHOSEN, AUTHENTICATION_FAILED).
    PeerError(NotifyType),
    /// We refused the peer (the Violation event says why).
    LocalError(NotifyType),
    /// A request exhausted its retransmissions (RFC 7296 §2.4): the peer is dead.
    Timeout { exchange: ExchangeType },
    /// The peer deleted the IKE SA.
    DeletedByPeer,
    /// We deleted it ([`crate::Endpoint::delete_ike_sa`]).
    DeletedLocally,
    /// A half-open SA did not complete IKE_AUTH in time.
    HalfOpenTimeout,
    /// The peer misbehaved in a way that ends the SA without a Notify.
    ProtocolError(String),
    /// Too many COOKIE or INVALID_KE_PAYLOAD round trips.
    RetryLimit,
    /// Our PPK is mandatory but the responder did not announce USE_PPK (RFC 8784 §3: the
    /// initiator aborts before IKE_AUTH).
    PpkNotSupported,
    /// The gateway redirected us elsewhere (RFC 5685); see [`EventKind::Redirected`].
    Redirected { to: crate::Gateway },
    /// More redirects than RFC 5685 §3.3's loop limit allows within its period: not followed.
    RedirectLoop { redirects: u32 },
}

/// The transforms an IKE SA negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeTransforms {
    pub encryption: Encryption,
    pub integrity: Option<IntegId>,
    pub prf: PrfId,
    pub ke: KeMethod,
}

impl fmt::Display for IkeTransforms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = ikelab_policy::IkeProposal {
            encryption: vec![self.encryption],
            integrity: self.integrity.into_iter().collect(),
            prf: vec![self.prf],
            ke: vec![self.ke],
        };
        write!(f, "{p}")
    }
}

/// An established IKE SA.
#[derive(Debug, Clone)]
pub struct IkeSaInfo {
    pub spi_i: u64,
    pub spi_r: u64,
    /// Whether we are the original initiator.
    pub initiator: bool,
    pub transforms: IkeTransforms,
    pub local_id: Identity,
    pub remote_id: Identity,
    pub remote_auth: AuthMethod,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// NAT between the peers (RFC 7296 §2.23): UDP encapsulation on the NAT-T port.
    pub nat_detected: NatDetected,
}

/// Which side is behind a NAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NatDetected {
    pub local: bool,
    pub remote: bool,
}

impl NatDetected {
    pub fn any(self) -> bool {
        self.local || self.remote
    }
}

/// The transforms a CHILD_SA negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildTransforms {
    pub encryption: Encryption,
    pub integrity: Option<IntegId>,
    pub esn: bool,
    /// The PFS group of the CREATE_CHILD_SA exchange that made it (RFC 7296 §1.3.1); `None`
    /// in IKE_AUTH and without PFS.
    pub ke: Option<KeMethod>,
}

impl fmt::Display for ChildTransforms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = ikelab_policy::ChildProposal {
            encryption: vec![self.encryption],
            integrity: self.integrity.into_iter().collect(),
            ke: self.ke.into_iter().collect(),
            esn: vec![if self.esn {
                ikelab_wire::iana::EsnId::ESN
            } else {
                ikelab_wire::iana::EsnId::NO_ESN
            }],
        };
        write!(f, "{p}")
    }
}

/// One direction's ESP keys: encryption key (‖ salt for AEADs) and integrity key (empty for
/// AEADs). Debug prints `<redacted>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspKeys {
    pub encryption: KeyBytes,
    pub integrity: KeyBytes,
}

/// A CHILD_SA for the ESP data plane.
#[derive(Debug, Clone)]
pub struct ChildSaInfo {
    pub name: String,
    /// SPI of the SA we receive on (we chose it).
    pub spi_in: u32,
    /// SPI of the SA we send on (the peer chose it).
    pub spi_out: u32,
    pub transforms: ChildTransforms,
    pub mode: Mode,
    /// Keys for what we send (`spi_out`).
    pub outbound: EspKeys,
    /// Keys for what we receive (`spi_in`).
    pub inbound: EspKeys,
    /// Our side's selectors (TSi for the initiator, TSr for the responder).
    pub local_ts: Vec<AddressRange>,
    pub remote_ts: Vec<AddressRange>,
    /// Tunnel endpoints.
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// ESP in UDP (RFC 3948) because of a NAT.
    pub udp_encapsulation: bool,
    /// A rekey (RFC 7296 §2.8): the inbound SPI of the CHILD_SA this one replaces. The old SA
    /// is deleted (a [`EventKind::ChildSaDeleted`] follows) once this one is installed, so a
    /// data plane keyed on SPIs loses nothing.
    pub rekey_of: Option<u32>,
    /// We sent the request of the exchange that created it. For a rekey this tells a data
    /// plane whether the peer already has the new SA (we got its response) or may not yet
    /// (our response can be lost), RFC 7296 §2.8.
    pub exchange_initiator: bool,
    /// Our rekey lost a simultaneous rekey of the same SA (§2.8.1): we delete this SA at
    /// once, so a data plane receives on it until then but never sends on it.
    pub lost_collision: bool,
}

/// Which way a traced message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// What a message carried, decrypted, for traces and ladder diagrams.
#[derive(Debug, Clone)]
pub struct MessageTrace {
    pub direction: Direction,
    pub exchange: ExchangeType,
    pub message_id: u32,
    pub response: bool,
    pub spi_i: u64,
    pub spi_r: u64,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// Whether the payloads were inside an SK payload.
    pub encrypted: bool,
    /// Payload types in order (inner payloads for encrypted messages).
    pub payloads: Vec<PayloadType>,
    /// Notify types in order.
    pub notifies: Vec<NotifyType>,
    /// A retransmission (sent) or a duplicate answered from the cache (received).
    pub retransmission: bool,
    /// Deviations the parser recorded (received messages).
    pub findings: Vec<Finding>,
    /// Size on the wire, non-ESP marker excluded.
    pub len: usize,
}

/// IKE SA keys in the form Wireshark's `ikev2_decryption_table` wants.
#[derive(Debug, Clone)]
pub struct IkeKeyLog {
    pub spi_i: u64,
    pub spi_r: u64,
    pub encryption: EncrId,
    pub key_bits: Option<u16>,
    pub integrity: Option<IntegId>,
    pub sk_ei: KeyBytes,
    pub sk_er: KeyBytes,
    pub sk_ai: KeyBytes,
    pub sk_ar: KeyBytes,
}
