//! What the world records about every datagram on the wire, and decoded summaries of IKE
//! messages for traces and ladder diagrams.

use core::fmt;
use std::net::SocketAddr;

use ikelab_engine::Timestamp;
use ikelab_wire::iana::{ExchangeType, NotifyType, PayloadType};
use ikelab_wire::payload::{Payload, PayloadBody};
use ikelab_wire::{HeaderPacket, Message, Udp4500};

use crate::keys::KeyStore;
use crate::NodeId;

/// What a datagram carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireKind {
    Ike,
    /// ESP: raw (IP protocol 50) or in UDP on the NAT-T port.
    Esp,
    NatKeepalive,
    /// A UDP datagram that is none of the above.
    Other,
}

/// Why a datagram never arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The link's random loss.
    Loss,
    /// A [`crate::FaultAction::Drop`].
    Fault,
    /// Larger than the link MTU (IP packet size).
    Mtu,
    /// A NAT refused it: raw ESP, or no mapping for the public port (e.g. after rebinding).
    Nat,
    /// No node owns the destination address.
    NoRoute,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Loss => "lost",
            Self::Fault => "dropped by fault",
            Self::Mtu => "over MTU",
            Self::Nat => "refused by NAT",
            Self::NoRoute => "no route",
        })
    }
}

/// Where a datagram went: UDP ports, or raw ESP (IP protocol 50) addresses with port 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    /// Raw ESP: the socket addresses carry port 0.
    Esp,
}

/// One datagram as seen on the public wire (after the sender's NAT, before the receiver's):
/// its source and destination are what a capture between the NATs would show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRecord {
    pub time: Timestamp,
    pub from: NodeId,
    /// The node the destination address routed to, `None` when nothing owns it.
    pub to: Option<NodeId>,
    pub transport: Transport,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The UDP payload (non-ESP marker included) or the raw ESP packet, as delivered (after
    /// mutations and corruption).
    pub bytes: Vec<u8>,
    pub kind: WireKind,
    pub dropped: Option<DropReason>,
    /// What faults did to it (their Display, `; `-separated), including notes on mutations
    /// that could not apply and link duplicates.
    pub fault: Option<String>,
}

impl WireRecord {
    /// The IKE message (non-ESP marker removed), for IKE records.
    pub fn ike_bytes(&self) -> Option<&[u8]> {
        if self.kind != WireKind::Ike {
            return None;
        }
        Some(strip_marker(self.src, self.dst, &self.bytes))
    }

    /// The IKE header and outer payloads, without keys: see [`crate::World::describe`] for the
    /// decrypted inner payloads.
    pub fn summary(&self) -> Option<IkeSummary> {
        summarise(self, None)
    }
}

/// Classifies a UDP payload: on the NAT-T port by RFC 3948's rules, elsewhere as IKE when it
/// is at least an IKE header long.
pub(crate) fn classify_udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> WireKind {
    if is_nat_t(src, dst) {
        return match Udp4500::classify(payload) {
            Ok(Udp4500::Ike(_)) => WireKind::Ike,
            Ok(Udp4500::Esp(_)) => WireKind::Esp,
            Ok(Udp4500::NatKeepalive) => WireKind::NatKeepalive,
            Err(_) => WireKind::Other,
        };
    }
    if HeaderPacket::new_checked(payload).is_ok() {
        WireKind::Ike
    } else {
        WireKind::Other
    }
}

/// NAT-T framing (RFC 3948) applies when either end uses port 4500. The IKE port 500 and
/// NAT-T 4500 are fixed in the simulated world.
fn is_nat_t(src: SocketAddr, dst: SocketAddr) -> bool {
    src.port() == 4500 || dst.port() == 4500
}

pub(crate) fn strip_marker(src: SocketAddr, dst: SocketAddr, bytes: &[u8]) -> &[u8] {
    if is_nat_t(src, dst) {
        bytes.get(4..).unwrap_or_default()
    } else {
        bytes
    }
}

/// The marker (if any) in front of an IKE message on this path.
pub(crate) fn marker_len(src: SocketAddr, dst: SocketAddr) -> usize {
    if is_nat_t(src, dst) {
        4
    } else {
        0
    }
}

/// An IKE message decoded for a trace. Inner payloads of SK messages are listed when the
/// world has the SA's keys (`decrypted`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeSummary {
    pub spi_i: u64,
    pub spi_r: u64,
    pub exchange: ExchangeType,
    pub message_id: u32,
    pub response: bool,
    /// The I flag: sent by the original initiator.
    pub initiator: bool,
    pub major_version: u8,
    /// The last payload is SK (or SKF).
    pub encrypted: bool,
    /// The SK payload was opened: `payloads`/`notifies` include the inner ones.
    pub decrypted: bool,
    /// Payload types in order; for decrypted messages the outer ones except SK, then the
    /// inner ones.
    pub payloads: Vec<PayloadType>,
    pub notifies: Vec<NotifyType>,
    /// Why the payloads could not be parsed or opened, if so.
    pub error: Option<String>,
    /// IKE message length (marker excluded).
    pub len: usize,
}

impl fmt::Display for IkeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} #{} [{}]",
            self.exchange,
            if self.response { "response" } else { "request" },
            self.message_id,
            self.payloads
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        if !self.notifies.is_empty() {
            let n: Vec<String> = self.notifies.iter().map(|n| n.to_string()).collect();
            write!(f, " notify {}", n.join(", "))?;
        }
        if let Some(e) = &self.error {
            write!(f, " ({e})")?;
        }
        Ok(())
    }
}

pub(crate) fn summarise(rec: &WireRecord, keys: Option<&KeyStore>) -> Option<IkeSummary> {
    let raw = rec.ike_bytes()?;
    let h = HeaderPacket::new_checked(raw).ok()?;
    let mut s = IkeSummary {
        spi_i: h.initiator_spi(),
        spi_r: h.responder_spi(),
        exchange: h.exchange_type(),
        message_id: h.message_id(),
        response: h.flags().response(),
        initiator: h.flags().initiator(),
        major_version: h.major_version(),
        encrypted: false,
        decrypted: false,
        payloads: Vec::new(),
        notifies: Vec::new(),
        error: None,
        len: raw.len(),
    };
    let msg = match Message::parse(raw) {
        Ok(p) => p.message,
        Err(e) => {
            s.error = Some(e.to_string());
            return Some(s);
        }
    };
    s.encrypted = msg.encrypted().is_some();
    let mut list: Vec<&Payload> = msg.payloads.iter().collect();
    let inner;
    if let (true, Some(keys)) = (s.encrypted, keys) {
        match keys.open(raw, &msg) {
            Ok(p) => {
                inner = p;
                list.pop();
                list.extend(inner.iter());
                s.decrypted = true;
            }
            Err(e) => s.error = Some(e.to_string()),
        }
    }
    for p in list {
        s.payloads.push(p.payload_type());
        if let PayloadBody::Notify(n) = &p.body {
            s.notifies.push(n.notify_type);
        }
    }
    Some(s)
}
