//! Faults: which datagrams (a [`Selector`]) and what happens to them (a [`FaultAction`]).

use core::fmt;

use ikelab_policy::Duration;
use ikelab_wire::iana::{ExchangeType, NotifyType, PayloadType};

use crate::NodeId;

/// A fault: every datagram the selector matches gets the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub selector: Selector,
    pub action: FaultAction,
}

/// What kind of datagram a selector looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PacketClass {
    /// IKE messages (port 500, or 4500 behind the non-ESP marker).
    #[default]
    Ike,
    /// ESP, raw (IP protocol 50) or in UDP.
    Esp,
    /// Anything.
    Any,
}

/// Which datagrams a fault applies to. Unset fields match everything; `nth` counts the
/// datagrams that match the other fields (per fault, from 1; 0 = every one), retransmissions
/// included, so `nth: 2` of an IKE_AUTH request is its first retransmission.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub from: Option<NodeId>,
    pub to: Option<NodeId>,
    pub class: PacketClass,
    /// IKE exchange type (IKE datagrams only).
    pub exchange: Option<ExchangeType>,
    /// `Some(true)`: responses only; `Some(false)`: requests only (IKE datagrams only).
    pub response: Option<bool>,
    pub nth: u32,
}

impl Selector {
    /// IKE datagrams of one exchange type.
    pub fn ike(exchange: ExchangeType) -> Self {
        Self {
            exchange: Some(exchange),
            ..Self::default()
        }
    }

    /// ESP datagrams (raw or UDP-encapsulated).
    pub fn esp() -> Self {
        Self {
            class: PacketClass::Esp,
            ..Self::default()
        }
    }

    pub fn request(mut self) -> Self {
        self.response = Some(false);
        self
    }

    pub fn response(mut self) -> Self {
        self.response = Some(true);
        self
    }

    pub fn from(mut self, node: NodeId) -> Self {
        self.from = Some(node);
        self
    }

    pub fn to(mut self, node: NodeId) -> Self {
        self.to = Some(node);
        self
    }

    pub fn nth(mut self, n: u32) -> Self {
        self.nth = n;
        self
    }
}

/// What happens to a selected datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    Drop,
    /// Deliver a second copy (recorded as its own wire record).
    Duplicate,
    /// Deliver this much later than the link would.
    Delay(Duration),
    /// Put a copy on the wire again `after` this long (an attacker's replay).
    Replay {
        after: Duration,
    },
    /// XOR one octet of the UDP payload (or raw ESP packet), after encryption; a negative
    /// offset counts from the end (-1 = last octet). Out of range: nothing changes (noted).
    CorruptByte {
        offset: i64,
        xor: u8,
    },
    /// Change the IKE message before encryption (see [`Mutation`]).
    Mutate(Mutation),
}

impl fmt::Display for FaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Drop => f.write_str("drop"),
            Self::Duplicate => f.write_str("duplicate"),
            Self::Delay(d) => write!(f, "delay {d}"),
            Self::Replay { after } => write!(f, "replay after {after}"),
            Self::CorruptByte { offset, xor } => write!(f, "corrupt byte {offset} ^ {xor:#04x}"),
            Self::Mutate(m) => write!(f, "mutate: {m}"),
        }
    }
}

/// A change to an IKE message's Reprs. For an SK message the world decrypts it with the
/// keys from the nodes' key-log events, changes the inner payloads (header changes apply to
/// the outer header), and re-encrypts with the same keys, so the ICV is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// Remove every payload of this type.
    OmitPayload(PayloadType),
    /// Repeat the first payload of this type right after it.
    DuplicatePayload(PayloadType),
    /// Swap two payloads by index (inner chain for SK messages).
    SwapPayloads(usize, usize),
    /// Append a payload of an unassigned type (4 octets of body).
    AddUnknownPayload {
        payload_type: u8,
        critical: bool,
    },
    /// Set the critical bit on every payload of this type.
    SetCritical(PayloadType),
    /// Non-zero RESERVED: generic payload headers (0x7f), KE and TS payload bodies.
    SetReservedBits,
    MajorVersion(u8),
    MinorVersion(u8),
    /// Replace the header flags octet.
    SetFlags(u8),
    InitiatorSpi(u64),
    ResponderSpi(u64),
    MessageId(u32),
    ExchangeType(u8),
    /// The KE payload's Diffie-Hellman group number.
    KeGroup(u16),
    /// Resize the KE payload's key exchange data (zero-filled when it grows).
    KeDataLen(usize),
    /// IP protocol of every traffic selector.
    TsProtocol(u8),
    /// Remove every Notify of this type.
    RemoveNotify(NotifyType),
    /// Append a Notify (protocol 0, no SPI).
    AddNotify {
        notify_type: u16,
        data: Vec<u8>,
    },
    /// Keep only the IKE header (no payloads, Length 28).
    TruncateAfterHeader,
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OmitPayload(t) => write!(f, "omit {t}"),
            Self::DuplicatePayload(t) => write!(f, "duplicate {t}"),
            Self::SwapPayloads(a, b) => write!(f, "swap payloads {a} and {b}"),
            Self::AddUnknownPayload {
                payload_type,
                critical,
            } => write!(
                f,
                "add unknown payload {payload_type}{}",
                if *critical { " (critical)" } else { "" }
            ),
            Self::SetCritical(t) => write!(f, "critical bit on {t}"),
            Self::SetReservedBits => f.write_str("RESERVED bits set"),
            Self::MajorVersion(v) => write!(f, "major version {v}"),
            Self::MinorVersion(v) => write!(f, "minor version {v}"),
            Self::SetFlags(v) => write!(f, "flags {v:#04x}"),
            Self::InitiatorSpi(s) => write!(f, "SPIi {s:016x}"),
            Self::ResponderSpi(s) => write!(f, "SPIr {s:016x}"),
            Self::MessageId(m) => write!(f, "message ID {m}"),
            Self::ExchangeType(t) => write!(f, "exchange type {t}"),
            Self::KeGroup(g) => write!(f, "KE group {g}"),
            Self::KeDataLen(l) => write!(f, "KE data {l} octets"),
            Self::TsProtocol(p) => write!(f, "TS protocol {p}"),
            Self::RemoveNotify(t) => write!(f, "remove {t}"),
            Self::AddNotify { notify_type, data } => {
                write!(f, "add Notify {notify_type} ({} octets)", data.len())
            }
            Self::TruncateAfterHeader => f.write_str("truncate after header"),
        }
    }
}
