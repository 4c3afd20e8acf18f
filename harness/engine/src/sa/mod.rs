//! One IKE SA: its state, keys, exchange layer and CHILD_SAs.
//!
//! States are named for what the SA waits for (after rustls): the initiator goes
//! `ExpectSaInitResponse → ExpectAuthResponse → Established`, the responder
//! `ExpectAuthRequest → Established`; `Closed` keeps a failed or deleted SA around long enough
//! to answer retransmissions of the request that ended it.

mod auth;
mod child;
mod create_child;
pub(crate) mod exchange;
mod fragment;
mod fragmenting;
mod info;
pub(crate) mod init;
mod lost_child;
mod mobike;
mod ppk;
mod receive;
mod redirect;
mod rekey;
mod retired;
mod routability;
mod temp_failure;
mod vendor;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ikelab_crypto::keys::{IkeSaKeys, IkeSuite};
use ikelab_crypto::sk::SkContext;
use ikelab_policy::{Duration, Identity, IkePolicy};
use ikelab_wire::esp::NON_ESP_MARKER;
use ikelab_wire::iana::{ExchangeType, HashAlgorithm, NotifyType, PayloadType};
use ikelab_wire::payload::{NotifyPayload, Payload, PayloadBody, SkPayload};
use ikelab_wire::{Finding, Flags, Header, Message};

use crate::authn::{LocalCredential, RemoteCredential};
use crate::event::{
    CloseReason, Direction, Event, EventKind, IkeKeyLog, IkeTransforms, MessageTrace, NatDetected,
};
use crate::violation::Violation;
use crate::{EndpointConfig, EngineError, SaHandle, Timestamp, Transmit};

pub(crate) use child::{ChildSa, ChildState};
use exchange::{Exchanges, Outstanding, Purpose, Queued, Sent};
pub(crate) use fragment::numbering_violation as fragment_numbering_violation;
pub use fragment::FragmentLimits;
pub use mobike::AddressUpdate;
pub(crate) use redirect::RedirectState;
pub use redirect::{Gateway, MAX_REDIRECTS, REDIRECT_LOOP_DETECT_PERIOD};

/// What an SA is waiting for (see [`crate::Endpoint::sa_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaState {
    ExpectSaInitResponse,
    ExpectAuthRequest,
    ExpectAuthResponse,
    Established,
    Closed,
}

pub(crate) enum State {
    /// Initiator: IKE_SA_INIT sent.
    ExpectSaInitResponse(Box<init::InitiatorInit>),
    /// Responder: IKE_SA_INIT answered (half-open).
    ExpectAuthRequest,
    /// Initiator: IKE_AUTH sent.
    ExpectAuthResponse(Box<auth::PendingAuth>),
    Established,
    /// Gone; kept until `until` to answer retransmissions from the cache.
    Closed {
        until: Timestamp,
    },
}

impl State {
    fn public(&self) -> SaState {
        match self {
            Self::ExpectSaInitResponse(_) => SaState::ExpectSaInitResponse,
            Self::ExpectAuthRequest => SaState::ExpectAuthRequest,
            Self::ExpectAuthResponse(_) => SaState::ExpectAuthResponse,
            Self::Established => SaState::Established,
            Self::Closed { .. } => SaState::Closed,
        }
    }

    fn name(&self) -> &'static str {
        match self.public() {
            SaState::ExpectSaInitResponse => "ExpectSaInitResponse",
            SaState::ExpectAuthRequest => "ExpectAuthRequest",
            SaState::ExpectAuthResponse => "ExpectAuthResponse",
            SaState::Established => "Established",
            SaState::Closed => "Closed",
        }
    }
}

/// Outputs and endpoint-wide resources an SA uses while handling an input.
pub(crate) struct Ctx<'a> {
    pub now: Timestamp,
    pub config: &'a EndpointConfig,
    pub out: &'a mut Output,
    pub leases: &'a mut Leases,
}

#[derive(Default)]
pub(crate) struct Output {
    pub transmits: VecDeque<Transmit>,
    pub events: VecDeque<Event>,
}

/// Endpoint-wide allocations: pool addresses and inbound ESP SPIs.
#[derive(Default)]
pub(crate) struct Leases {
    pub addresses: BTreeMap<IpAddr, SaHandle>,
    pub esp_spis: BTreeSet<u32>,
    /// Every IKE SPI of ours in use (the endpoint's SPI map and rekeys in flight).
    pub ike_spis: BTreeSet<u64>,
}

impl Ctx<'_> {
    pub fn event(&mut self, sa: Option<SaHandle>, kind: EventKind) {
        self.out.events.push_back(Event { sa, kind });
    }

    pub fn random(&self, len: usize) -> Result<Vec<u8>, EngineError> {
        let mut v = vec![0u8; len];
        self.config.rng.fill(&mut v)?;
        Ok(v)
    }

    pub fn random_u32(&self) -> Result<u32, EngineError> {
        let mut b = [0u8; 4];
        self.config.rng.fill(&mut b)?;
        Ok(u32::from_be_bytes(b))
    }

    /// A fresh non-zero IKE SPI of ours, unique in this endpoint (IKE SA rekey, §1.3.2).
    pub fn new_ike_spi(&mut self) -> Result<u64, EngineError> {
        loop {
            let mut b = [0u8; 8];
            self.config.rng.fill(&mut b)?;
            let spi = u64::from_be_bytes(b);
            if spi != 0 && self.leases.ike_spis.insert(spi) {
                return Ok(spi);
            }
        }
    }

    /// A fresh inbound ESP SPI (≥ 256, RFC 4303 §2.1), unique in this endpoint.
    pub fn new_esp_spi(&mut self) -> Result<u32, EngineError> {
        loop {
            let spi = self.random_u32()?;
            if spi >= 256 && self.leases.esp_spis.insert(spi) {
                return Ok(spi);
            }
        }
    }
}

/// The UDP path of an SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PathInfo {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// On the NAT-T port: IKE messages carry the non-ESP marker.
    pub encap: bool,
}

/// IKE SA keys and the SK contexts for both directions.
pub(crate) struct Keys {
    pub suite: IkeSuite,
    pub keys: IkeSaKeys,
    pub seal: SkContext,
    pub open: SkContext,
    pub transforms: IkeTransforms,
}

pub(crate) struct IkeSa {
    pub handle: SaHandle,
    /// Whether we are the original initiator.
    pub initiator: bool,
    pub policy: Arc<IkePolicy>,
    pub spi_i: u64,
    pub spi_r: u64,
    pub path: PathInfo,
    pub nat: NatDetected,
    pub state: State,
    pub xchg: Exchanges,
    pub keys: Option<Keys>,
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
    /// IKE_SA_INIT request and response as sent (RealMessage1/2 of §2.15).
    pub init_request: Vec<u8>,
    pub init_response: Vec<u8>,
    pub local_cred: LocalCredential,
    pub remote_cred: RemoteCredential,
    pub local_id: Identity,
    pub remote_id: Option<Identity>,
    /// What the peer announced in IKE_SA_INIT.
    pub peer_fragmentation: bool,
    pub peer_hashes: Vec<HashAlgorithm>,
    pub peer_certreq: bool,
    pub children: Vec<ChildSa>,
    /// IKE fragments (RFC 7383) of a message still being received.
    pub(crate) reassembly: Option<fragment::Reassembly>,
    pub last_heard: Timestamp,
    /// Responder: when a half-open SA is dropped.
    pub half_open_deadline: Option<Timestamp>,
    /// Last NAT-keepalive or IKE message we sent.
    pub last_sent: Timestamp,
    /// Initiator: addresses the responder assigned in CP(CFG_REPLY), for later CHILD_SAs.
    pub virtual_ips: Vec<IpAddr>,
    /// Our CREATE_CHILD_SA exchanges, queued or in flight, by token.
    pub(crate) creates: BTreeMap<u32, create_child::PendingCreate>,
    pub(crate) next_token: u32,
    /// Earlier (or redundant) IKE SAs of this handle after a rekey, until deleted (§2.18).
    pub(crate) retired: Vec<retired::Retired>,
    /// When we start rekeying the IKE SA.
    pub ike_rekey_at: Option<Timestamp>,
    /// Our SPIs changed (rekey): the endpoint must update its SPI map.
    pub spis_changed: bool,
    /// Post-quantum preshared key negotiation (RFC 8784).
    pub(crate) ppk: ppk::PpkState,
    /// MOBIKE (RFC 4555) and where the CHILD_SAs run.
    pub(crate) mobility: mobike::Mobility,
    /// Redirect (RFC 5685) bookkeeping.
    pub(crate) redirect: RedirectState,
    /// EAP in IKE_AUTH (RFC 7296 §2.16), while it runs.
    pub(crate) eap: Option<Box<auth::eap::EapSession>>,
    /// When the peer's current run of TEMPORARY_FAILURE answers began (§2.25).
    pub(crate) temporary_failure_since: Option<Timestamp>,
}

/// What the endpoint must do after an SA handled something.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Followup {
    /// The SA authenticated with INITIAL_CONTACT: close other SAs with this peer identity.
    pub initial_contact: Option<Identity>,
}

impl IkeSa {
    pub fn public_state(&self) -> SaState {
        self.state.public()
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed { .. })
    }

    /// Whether it is half-open (counts towards the COOKIE threshold).
    pub fn is_half_open(&self) -> bool {
        matches!(self.state, State::ExpectAuthRequest)
    }

    /// Whether the closed SA may be forgotten.
    pub fn expired(&self, now: Timestamp) -> bool {
        matches!(self.state, State::Closed { until } if until <= now)
    }

    /// Our SPI (the one the peer addresses us by).
    pub fn our_spi(&self) -> u64 {
        if self.initiator {
            self.spi_i
        } else {
            self.spi_r
        }
    }

    fn header(&self, exchange: ExchangeType, response: bool, message_id: u32) -> Header {
        Header {
            initiator_spi: self.spi_i,
            responder_spi: self.spi_r,
            major_version: 2,
            minor_version: 0,
            exchange_type: exchange,
            flags: Flags::new(self.initiator, response),
            message_id,
        }
    }

    /// Builds an encrypted message around `inner`.
    fn seal(
        &self,
        ctx: &Ctx<'_>,
        exchange: ExchangeType,
        response: bool,
        message_id: u32,
        inner: &[Payload],
    ) -> Result<Vec<u8>, EngineError> {
        let keys =
            self.keys
                .as_ref()
                .ok_or(EngineError::Config(crate::ConfigError::NotEstablished(
                    self.handle.0,
                )))?;
        let mut plain = Vec::with_capacity(Payload::chain_len(inner));
        Payload::emit_chain(inner, &mut plain);
        let pad = keys.seal.min_pad_len(plain.len());
        let body_len = keys.seal.body_len(plain.len(), pad);
        let first = inner
            .first()
            .map_or(PayloadType::NONE, Payload::payload_type);
        let msg = Message {
            header: self.header(exchange, response, message_id),
            payloads: vec![Payload::new(PayloadBody::Sk(SkPayload {
                first_payload: first,
                body: vec![0; body_len],
            }))],
        };
        let mut bytes = msg.emit();
        bytes.truncate(bytes.len() - body_len);
        let body = keys
            .seal
            .seal_padded(&bytes, &plain, pad, ctx.config.rng.as_ref())?;
        bytes.extend_from_slice(&body);
        Ok(bytes)
    }

    /// Sends IKE message bytes on the SA's path (non-ESP marker on the NAT-T port).
    pub(crate) fn send_bytes(&mut self, ctx: &mut Ctx<'_>, bytes: &[u8]) {
        let mut payload = Vec::with_capacity(bytes.len() + 4);
        if self.path.encap {
            payload.extend_from_slice(&NON_ESP_MARKER);
        }
        payload.extend_from_slice(bytes);
        ctx.out.transmits.push_back(Transmit {
            local: self.path.local,
            remote: self.path.remote,
            payload,
        });
        self.last_sent = ctx.now;
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn trace(
        &self,
        ctx: &mut Ctx<'_>,
        direction: Direction,
        header: &Header,
        encrypted: bool,
        payloads: &[Payload],
        retransmission: bool,
        findings: Vec<Finding>,
        len: usize,
    ) {
        if !ctx.config.trace_messages {
            return;
        }
        let trace = trace_of(
            direction,
            header,
            self.path,
            encrypted,
            payloads,
            retransmission,
            findings,
            len,
        );
        ctx.event(Some(self.handle), EventKind::Message(trace));
    }

    /// Sends a request now or queues it behind the outstanding one.
    pub(crate) fn request(
        &mut self,
        ctx: &mut Ctx<'_>,
        exchange: ExchangeType,
        inner: Vec<Payload>,
        purpose: Purpose,
    ) -> Result<(), EngineError> {
        if !self.xchg.idle() {
            self.xchg.queue.push_back(Queued {
                exchange,
                inner,
                purpose,
            });
            return Ok(());
        }
        let id = self.xchg.next_id;
        self.xchg.next_id = id.wrapping_add(1);
        let datagrams = self.seal_datagrams(ctx, exchange, false, id, &inner)?;
        let sent = Sent {
            header: self.header(exchange, false, id),
            encrypted: true,
            payloads: inner,
            datagrams,
        };
        self.send(ctx, &sent, false);
        let random = ctx.random_u32()?;
        self.xchg.outstanding = Some(Outstanding {
            id,
            exchange,
            sent,
            attempt: 0,
            deadline: ctx.now + exchange::wait(&self.policy.retransmission, 0, random),
            purpose,
        });
        Ok(())
    }

    /// Starts the next queued request, if the window is free.
    pub(crate) fn pump(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EngineError> {
        if self.xchg.idle() && !self.is_closed() {
            if let Some(q) = self.xchg.queue.pop_front() {
                self.request(ctx, q.exchange, q.inner, q.purpose)?;
            }
        }
        Ok(())
    }

    /// Sends an encrypted response and caches it for retransmitted requests.
    pub(crate) fn respond(
        &mut self,
        ctx: &mut Ctx<'_>,
        exchange: ExchangeType,
        message_id: u32,
        inner: Vec<Payload>,
    ) -> Result<(), EngineError> {
        let datagrams = self.seal_datagrams(ctx, exchange, true, message_id, &inner)?;
        let sent = Sent {
            header: self.header(exchange, true, message_id),
            encrypted: true,
            payloads: inner,
            datagrams,
        };
        self.send(ctx, &sent, false);
        self.xchg.responded(message_id, sent);
        Ok(())
    }

    /// Traces and transmits a message.
    pub(crate) fn send(&mut self, ctx: &mut Ctx<'_>, sent: &Sent, retransmission: bool) {
        let len = sent.datagrams.iter().map(Vec::len).sum();
        self.trace(
            ctx,
            Direction::Sent,
            &sent.header,
            sent.encrypted,
            &sent.payloads,
            retransmission,
            vec![],
            len,
        );
        for d in &sent.datagrams {
            self.send_bytes(ctx, d);
        }
    }

    /// Answers a retransmitted request with the cached response (RFC 7296 §2.1).
    pub(crate) fn resend_cached(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(c) = self.xchg.cached.take() {
            self.send(ctx, &c.sent, true);
            self.xchg.cached = Some(c);
        }
    }

    /// Ends the SA: releases its leases, reports why, and keeps it to answer retransmissions.
    pub(crate) fn close(&mut self, ctx: &mut Ctx<'_>, reason: CloseReason) {
        if self.is_closed() {
            return;
        }
        for c in self.children.drain(..) {
            ctx.leases.esp_spis.remove(&c.spi_in);
        }
        for (_, p) in core::mem::take(&mut self.creates) {
            if let Some(c) = p.child {
                ctx.leases.esp_spis.remove(&c.spi_in);
            }
            if let create_child::CreateKind::RekeyIke { spi_i } = p.kind {
                ctx.leases.ike_spis.remove(&spi_i);
            }
        }
        // An old IKE SA still owed the peer's Delete (§1.3.2) answers it while we linger: a
        // peer may delete the new SA first (pluto after a rekey and `whack --terminate`).
        self.retired.retain_mut(|r| {
            r.gen.xchg.outstanding = None;
            matches!(
                r.role,
                retired::Role::AwaitPeerDelete { .. } | retired::Role::Done { .. }
            )
        });
        self.spis_changed = true;
        ctx.leases.addresses.retain(|_, h| *h != self.handle);
        self.xchg.outstanding = None;
        self.xchg.queue.clear();
        // Long enough for the peer to give up retransmitting what we answered last.
        let linger = self
            .policy
            .retransmission
            .budget()
            .min(Duration::from_secs(60));
        self.state = State::Closed {
            until: ctx.now + linger,
        };
        ctx.event(Some(self.handle), EventKind::Closed { reason });
    }

    pub(crate) fn violation(&self, ctx: &mut Ctx<'_>, v: Violation) {
        ctx.event(Some(self.handle), EventKind::Violation(v));
    }

    /// The next time [`IkeSa::on_timeout`] has work.
    pub fn next_timeout(&self) -> Option<Timestamp> {
        if let State::Closed { until } = self.state {
            return Some(until);
        }
        let mut t = self.xchg.outstanding.as_ref().map(|o| o.deadline);
        let mut consider = |x: Option<Timestamp>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        consider(self.half_open_deadline);
        consider(self.dpd_due());
        consider(self.keepalive_due());
        consider(self.rekey_due());
        consider(self.reassembly.as_ref().and_then(|r| r.deadline()));
        for r in &self.retired {
            consider(r.next_timeout());
        }
        t
    }

    fn dpd_due(&self) -> Option<Timestamp> {
        let interval = self.policy.dpd_interval?;
        (matches!(self.state, State::Established) && self.xchg.idle())
            .then(|| self.last_heard + interval)
    }

    fn keepalive_due(&self) -> Option<Timestamp> {
        let interval = self.policy.nat_traversal.keepalive?;
        (self.nat.local && self.path.encap && !self.is_closed()).then(|| self.last_sent + interval)
    }

    /// Retransmissions, DPD, keepalives, rekeys and half-open expiry.
    pub fn on_timeout(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EngineError> {
        if self.is_closed() {
            return Ok(());
        }
        let now = ctx.now;
        if self.half_open_deadline.is_some_and(|d| d <= now) && self.is_half_open() {
            self.close(ctx, CloseReason::HalfOpenTimeout);
            return Ok(());
        }
        // RFC 7383 §2.6: an incomplete message is as if never received; free its fragments.
        if let Some(r) = &mut self.reassembly {
            r.expire(now);
        }
        self.retired_timeouts(ctx)?;
        if let Some(n) = self.init_error_due(now) {
            self.close(ctx, CloseReason::PeerError(n));
            return Ok(());
        }
        if let Some(exchange) = self.retransmit_due(ctx)? {
            // An unanswered MOBIKE return routability check fails the move, not the SA.
            if !self.check_timed_out(ctx)? {
                self.close(ctx, CloseReason::Timeout { exchange });
                return Ok(());
            }
        }
        if self.dpd_due().is_some_and(|d| d <= now) {
            self.request(ctx, ExchangeType::INFORMATIONAL, Vec::new(), Purpose::Dpd)?;
        }
        if self.keepalive_due().is_some_and(|d| d <= now) {
            ctx.out.transmits.push_back(Transmit {
                local: self.path.local,
                remote: self.path.remote,
                payload: vec![ikelab_wire::esp::NAT_KEEPALIVE],
            });
            self.last_sent = now;
        }
        self.rekey_timeouts(ctx)
    }

    /// Retransmits the outstanding request if its wait is over; returns its exchange when
    /// the retransmissions are exhausted (the peer is dead).
    pub(crate) fn retransmit_due(
        &mut self,
        ctx: &mut Ctx<'_>,
    ) -> Result<Option<ExchangeType>, EngineError> {
        let now = ctx.now;
        if let Some(o) = &mut self.xchg.outstanding {
            if o.deadline <= now {
                if o.attempt >= self.policy.retransmission.retransmits {
                    return Ok(Some(o.exchange));
                }
                o.attempt += 1;
                let (attempt, exchange, id) = (o.attempt, o.exchange, o.id);
                let sent = o.sent.clone();
                let random = ctx.random_u32()?;
                if let Some(o) = &mut self.xchg.outstanding {
                    o.deadline = now + exchange::wait(&self.policy.retransmission, attempt, random);
                }
                self.send(ctx, &sent, true);
                ctx.event(
                    Some(self.handle),
                    EventKind::Retransmitted {
                        exchange,
                        message_id: id,
                        attempt,
                    },
                );
            }
        }
        Ok(None)
    }

    /// Emits the key-log event for this SA's IKE keys, if asked for.
    pub(crate) fn keylog(&self, ctx: &mut Ctx<'_>) {
        let (true, Some(k)) = (ctx.config.keylog, &self.keys) else {
            return;
        };
        ctx.event(
            Some(self.handle),
            EventKind::IkeKeys(Box::new(IkeKeyLog {
                spi_i: self.spi_i,
                spi_r: self.spi_r,
                encryption: k.transforms.encryption.id,
                key_bits: k.transforms.encryption.key_bits,
                integrity: k.transforms.integrity,
                sk_ei: k.keys.sk_ei.clone(),
                sk_er: k.keys.sk_er.clone(),
                sk_ai: k.keys.sk_ai.clone(),
                sk_ar: k.keys.sk_ar.clone(),
            })),
        );
    }
}

/// The notifications in a payload list.
pub(crate) fn notifies(payloads: &[Payload]) -> Vec<&NotifyPayload> {
    payloads
        .iter()
        .filter_map(|p| match &p.body {
            PayloadBody::Notify(n) => Some(n),
            _ => None,
        })
        .collect()
}

/// The first error notification (type below 16384), if any.
pub(crate) fn error_notify(payloads: &[Payload]) -> Option<NotifyType> {
    notifies(payloads)
        .into_iter()
        .map(|n| n.notify_type)
        .find(|t| t.is_error())
}

pub(crate) fn has_notify(payloads: &[Payload], t: NotifyType) -> bool {
    notifies(payloads).iter().any(|n| n.notify_type == t)
}

pub(crate) fn notify(t: NotifyType, data: impl Into<Vec<u8>>) -> Payload {
    Payload::new(PayloadBody::Notify(NotifyPayload::new(t, data)))
}

/// The first payload of a type we do not understand that has the critical bit (RFC 7296
/// §2.5).
pub(crate) fn unsupported_critical(payloads: &[Payload]) -> Option<PayloadType> {
    payloads
        .iter()
        .find(|p| p.critical && matches!(p.body, PayloadBody::Unknown { .. }))
        .map(Payload::payload_type)
}

/// The payloads of one type; an error names the exchange when more than `max` are present.
pub(crate) fn single<'a, T>(
    payloads: &'a [Payload],
    exchange: ExchangeType,
    ty: PayloadType,
    pick: impl Fn(&'a PayloadBody) -> Option<&'a T>,
) -> Result<Option<&'a T>, Violation> {
    let mut found = payloads.iter().filter_map(|p| pick(&p.body));
    let first = found.next();
    if found.next().is_some() {
        return Err(Violation::DuplicatePayload {
            exchange,
            payload: ty,
        });
    }
    Ok(first)
}

/// Like [`single`] but the payload is mandatory.
pub(crate) fn required<'a, T>(
    payloads: &'a [Payload],
    exchange: ExchangeType,
    ty: PayloadType,
    pick: impl Fn(&'a PayloadBody) -> Option<&'a T>,
) -> Result<&'a T, Violation> {
    single(payloads, exchange, ty, pick)?.ok_or(Violation::MissingPayload {
        exchange,
        payload: ty,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn trace_of(
    direction: Direction,
    header: &Header,
    path: PathInfo,
    encrypted: bool,
    payloads: &[Payload],
    retransmission: bool,
    findings: Vec<Finding>,
    len: usize,
) -> MessageTrace {
    MessageTrace {
        direction,
        exchange: header.exchange_type,
        message_id: header.message_id,
        response: header.flags.response(),
        spi_i: header.initiator_spi,
        spi_r: header.responder_spi,
        local: path.local,
        remote: path.remote,
        encrypted,
        payloads: payloads.iter().map(Payload::payload_type).collect(),
        notifies: notifies(payloads).iter().map(|n| n.notify_type).collect(),
        retransmission,
        findings,
        len,
    }
}
