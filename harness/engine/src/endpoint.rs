//! The endpoint: every IKE SA of one host, demultiplexed by SPI, plus the replies that need no
//! state (RFC 7296 §2.6 COOKIE, §1.2 INVALID_KE_PAYLOAD, §2.7 NO_PROPOSAL_CHOSEN, §2.5
//! INVALID_MAJOR_VERSION and UNSUPPORTED_CRITICAL_PAYLOAD, §2.21.4 INVALID_IKE_SPI).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ikelab_policy::IkePolicy;
use ikelab_wire::esp::NON_ESP_MARKER;
use ikelab_wire::iana::{ExchangeType, NotifyType};
use ikelab_wire::payload::{Payload, PayloadBody};
use ikelab_wire::{Flags, Header, HeaderPacket, Message, Udp4500};

use crate::event::{CloseReason, Direction, Event, EventKind};
use crate::sa::init::{self, Credentials, InitReply, InitRequest};
use crate::sa::{self, notifies, notify, Ctx, IkeSa, Leases, Output, PathInfo, SaState};
use crate::violation::Violation;
use crate::{ConfigError, EndpointConfig, EngineError, SaHandle, Timestamp, Transmit};

mod mobility;

/// What a received datagram was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatagramKind {
    /// An IKE message (handled, or dropped with a violation event).
    Ike,
    /// ESP on the NAT-T port: for the data plane, ignored here.
    Esp,
    /// A NAT-keepalive (RFC 3948 §2.3).
    Keepalive,
    /// Not an IKE message at all.
    Malformed,
}

/// All IKE SAs of one host.
///
/// # Calling contract
///
/// The endpoint does no I/O and never reads a clock: `now` is always an argument, in
/// microseconds since whatever epoch the caller picked (virtual time in tests, a monotonic
/// clock in the UDP driver). Methods fall into four groups:
///
/// - **inputs**: [`Endpoint::handle_datagram`] for every UDP datagram received on the IKE or
///   NAT-T port (with the local and remote socket addresses; on the NAT-T port the payload
///   still carries its non-ESP marker), and [`Endpoint::handle_timeout`] when the time from
///   [`Endpoint::poll_timeout`] has come;
/// - **commands**: [`Endpoint::connect`] starts an IKE SA as initiator,
///   [`Endpoint::delete_ike_sa`], [`Endpoint::delete_child_sa`] and [`Endpoint::send_dpd`]
///   start INFORMATIONAL exchanges, [`Endpoint::create_child_sa`],
///   [`Endpoint::rekey_child_sa`] and [`Endpoint::rekey_ike_sa`] CREATE_CHILD_SA exchanges
///   (the engine also rekeys on its own when the policy lifetimes say so),
///   [`Endpoint::update_local_address`] a MOBIKE move (RFC 4555), [`Endpoint::redirect_peer`]
///   a redirect (RFC 5685; an initiator follows IP gateways by itself, FQDNs through
///   [`Endpoint::follow_redirect`]);
/// - **outputs**, to drain after *every* input or command, in this order:
///   1. [`Endpoint::poll_transmit`] until `None`: send each [`Transmit`] from `local` to
///      `remote`;
///   2. [`Endpoint::poll_timeout`]: the next time to call `handle_timeout` (it only reads
///      state, so it may be called any time; `None` means no timer is armed);
///   3. [`Endpoint::poll_event`] until `None`: SA lifecycle, CHILD_SAs to install in the data
///      plane, violations, traces.
/// - **getters**: [`Endpoint::sa_state`], [`Endpoint::sa_count`], [`Endpoint::half_open`].
///
/// Calling `handle_timeout` early is harmless (nothing is due); calling it late only delays
/// retransmissions. Every source of randomness is [`EndpointConfig::rng`], so two runs with
/// the same seed, inputs and times produce the same outputs (signatures excepted: the crypto
/// provider signs with its own RNG).
pub struct Endpoint {
    shared: Shared,
    sas: BTreeMap<SaHandle, IkeSa>,
    /// Our SPI → SA.
    by_spi: HashMap<u64, SaHandle>,
    /// Responder: (initiator SPI, initiator address) → SA, to spot retransmitted IKE_SA_INIT.
    by_init: HashMap<(u64, SocketAddr), SaHandle>,
    next_handle: u64,
}

struct Shared {
    config: EndpointConfig,
    out: Output,
    leases: Leases,
    cookie_secret: Vec<u8>,
    last_invalid_spi: Option<Timestamp>,
}

/// Version octet of our cookies, so a secret can be rotated.
const COOKIE_VERSION: u8 = 1;

impl Endpoint {
    /// Checks the responder policy's credentials up front so misconfiguration shows here,
    /// not at the first peer.
    pub fn new(config: EndpointConfig) -> Result<Self, ConfigError> {
        if let Some(p) = &config.responder {
            p.validate().map_err(|e| ConfigError::policy(&p.name, e))?;
            let any: SocketAddr = ([0, 0, 0, 0], 0).into();
            Credentials::new(p, any)?;
        }
        let mut cookie_secret = vec![0u8; 32];
        config
            .rng
            .fill(&mut cookie_secret)
            .map_err(|e| ConfigError::policy("endpoint", e))?;
        Ok(Self {
            shared: Shared {
                config,
                out: Output::default(),
                leases: Leases::default(),
                cookie_secret,
                last_invalid_spi: None,
            },
            sas: BTreeMap::new(),
            by_spi: HashMap::new(),
            by_init: HashMap::new(),
            next_handle: 1,
        })
    }

    pub fn config(&self) -> &EndpointConfig {
        &self.shared.config
    }

    /// Starts an IKE SA to `remote` from `local` (needed for NAT detection) and sends
    /// IKE_SA_INIT.
    pub fn connect(
        &mut self,
        now: Timestamp,
        policy: Arc<IkePolicy>,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<SaHandle, ConfigError> {
        let redirect = sa::RedirectState {
            origin: Some((local, remote)),
            ..Default::default()
        };
        self.connect_with(now, policy, local, remote, redirect)
    }

    fn connect_with(
        &mut self,
        now: Timestamp,
        policy: Arc<IkePolicy>,
        local: SocketAddr,
        remote: SocketAddr,
        redirect: sa::RedirectState,
    ) -> Result<SaHandle, ConfigError> {
        policy
            .validate()
            .map_err(|e| ConfigError::policy(&policy.name, e))?;
        if policy.children.is_empty() {
            return Err(ConfigError::NoChild {
                policy: policy.name.clone(),
            });
        }
        let creds = Credentials::new(&policy, local)?;
        let handle = self.new_handle();
        let spi_i = self
            .new_spi()
            .map_err(|e| ConfigError::policy(&policy.name, e))?;
        let Self { shared, .. } = self;
        let mut ctx = shared.ctx(now);
        let sa = IkeSa::connect(
            &mut ctx, handle, policy, creds, spi_i, local, remote, redirect,
        )
        .map_err(|e| match e {
            EngineError::Config(c) => c,
            other => ConfigError::policy("connect", other),
        })?;
        self.register_spi(spi_i, handle);
        self.sas.insert(handle, sa);
        Ok(handle)
    }

    fn new_handle(&mut self) -> SaHandle {
        let h = SaHandle(self.next_handle);
        self.next_handle += 1;
        h
    }

    /// A random non-zero SPI not in use here.
    fn new_spi(&self) -> Result<u64, EngineError> {
        loop {
            let mut b = [0u8; 8];
            self.shared.config.rng.fill(&mut b)?;
            let spi = u64::from_be_bytes(b);
            if spi != 0
                && !self.by_spi.contains_key(&spi)
                && !self.shared.leases.ike_spis.contains(&spi)
            {
                return Ok(spi);
            }
        }
    }

    /// Handles one received UDP datagram.
    pub fn handle_datagram(
        &mut self,
        now: Timestamp,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) -> DatagramKind {
        let ike = if local.port() == self.shared.config.nat_t_port {
            match Udp4500::classify(data) {
                Ok(Udp4500::Ike(b)) => b,
                Ok(Udp4500::Esp(_)) => return DatagramKind::Esp,
                Ok(Udp4500::NatKeepalive) => return DatagramKind::Keepalive,
                Err(_) => return DatagramKind::Malformed,
            }
        } else {
            data
        };
        let Ok(hp) = HeaderPacket::new_checked(ike) else {
            self.shared.violation(
                None,
                Violation::Malformed {
                    error: format!("{} octets: shorter than an IKE header", ike.len()),
                },
            );
            return DatagramKind::Malformed;
        };
        let response = hp.flags().response();
        if hp.major_version() != 2 {
            self.shared.violation(
                None,
                Violation::UnsupportedMajorVersion {
                    major: hp.major_version(),
                },
            );
            // §2.5: answer requests only, with our version in the header.
            if !response {
                let req = header_of(&hp);
                self.shared.stateless_reply(
                    now,
                    &req,
                    local,
                    remote,
                    vec![notify(NotifyType::INVALID_MAJOR_VERSION, Vec::new())],
                );
            }
            return DatagramKind::Ike;
        }
        if hp.exchange_type() == ExchangeType::IKE_SA_INIT && !response && hp.responder_spi() == 0 {
            self.on_init_request(now, local, remote, ike);
            return DatagramKind::Ike;
        }
        let ours = if hp.flags().initiator() {
            hp.responder_spi()
        } else {
            hp.initiator_spi()
        };
        let handle = self.by_spi.get(&ours).copied().filter(|h| {
            self.sas.get(h).is_some_and(|sa| {
                let theirs = if hp.flags().initiator() {
                    hp.initiator_spi()
                } else {
                    hp.responder_spi()
                };
                let known = if sa.initiator { sa.spi_r } else { sa.spi_i };
                // An initiator learns the responder SPI from the first response.
                known == theirs
                    || (sa.initiator && known == 0)
                    || sa
                        .retired_index(hp.initiator_spi(), hp.responder_spi())
                        .is_some()
            })
        });
        let Some(handle) = handle else {
            self.unknown_spi(now, local, remote, &hp, ours);
            return DatagramKind::Ike;
        };
        let parsed = match Message::parse(ike) {
            Ok(p) => p,
            Err(e) => {
                let v = sa::fragment_numbering_violation(ike).unwrap_or(Violation::Malformed {
                    error: e.to_string(),
                });
                self.shared.violation(Some(handle), v);
                return DatagramKind::Ike;
            }
        };
        let Self { sas, shared, .. } = self;
        let Some(sa) = sas.get_mut(&handle) else {
            return DatagramKind::Ike;
        };
        let mut ctx = shared.ctx(now);
        let followup = match sa.on_message(&mut ctx, local, remote, ike, parsed) {
            Ok(f) => f,
            Err(e) => {
                sa.close(&mut ctx, CloseReason::ProtocolError(e.to_string()));
                sa::Followup::default()
            }
        };
        self.sync_spis(handle);
        if let Some(id) = followup.initial_contact {
            self.initial_contact(now, handle, &id);
        }
        self.after_redirect(now, handle);
        DatagramKind::Ike
    }

    fn register_spi(&mut self, spi: u64, handle: SaHandle) {
        self.by_spi.insert(spi, handle);
        self.shared.leases.ike_spis.insert(spi);
    }

    /// After a rekey: the SPI map follows the SA's current and retired SPIs.
    fn sync_spis(&mut self, handle: SaHandle) {
        let Some(sa) = self.sas.get_mut(&handle) else {
            return;
        };
        if !core::mem::take(&mut sa.spis_changed) {
            return;
        }
        let wanted = sa.our_spis();
        let stale: Vec<u64> = self
            .by_spi
            .iter()
            .filter(|(spi, h)| **h == handle && !wanted.contains(spi))
            .map(|(spi, _)| *spi)
            .collect();
        for spi in stale {
            self.by_spi.remove(&spi);
            self.shared.leases.ike_spis.remove(&spi);
        }
        for spi in wanted {
            self.register_spi(spi, handle);
        }
    }

    /// §2.4: INITIAL_CONTACT from an authenticated peer replaces its older IKE SAs with us.
    fn initial_contact(&mut self, now: Timestamp, keep: SaHandle, id: &ikelab_policy::Identity) {
        let Self { sas, shared, .. } = self;
        let mut ctx = shared.ctx(now);
        for (h, sa) in sas.iter_mut() {
            let same_peer = sa.remote_id.as_ref().is_some_and(|r| r.same_as(id));
            if *h != keep && same_peer && sa.public_state() == SaState::Established {
                sa.close(&mut ctx, CloseReason::DeletedByPeer);
            }
        }
    }

    fn unknown_spi(
        &mut self,
        now: Timestamp,
        local: SocketAddr,
        remote: SocketAddr,
        hp: &HeaderPacket<&[u8]>,
        spi: u64,
    ) {
        let response = hp.flags().response();
        self.shared
            .violation(None, Violation::UnknownSpi { spi, response });
        if response {
            return; // §2.21.4: never answer a response.
        }
        // §1.5: an unprotected INFORMATIONAL (INVALID_SPI sent outside any IKE SA) is a hint,
        // not part of an exchange: never answered.
        let protected = matches!(
            hp.next_payload(),
            ikelab_wire::iana::PayloadType::SK | ikelab_wire::iana::PayloadType::SKF
        );
        if hp.exchange_type() == ExchangeType::INFORMATIONAL && !protected {
            return;
        }
        let interval = self.shared.config.invalid_spi_interval;
        if self
            .shared
            .last_invalid_spi
            .is_some_and(|t| now < t + interval)
        {
            return;
        }
        self.shared.last_invalid_spi = Some(now);
        let req = header_of(hp);
        self.shared.stateless_reply(
            now,
            &req,
            local,
            remote,
            vec![notify(NotifyType::INVALID_IKE_SPI, Vec::new())],
        );
    }

    fn on_init_request(
        &mut self,
        now: Timestamp,
        local: SocketAddr,
        remote: SocketAddr,
        ike: &[u8],
    ) {
        let Some(policy) = self.shared.config.responder.clone() else {
            return; // Initiator-only endpoint.
        };
        let Ok(hp) = HeaderPacket::new_checked(ike) else {
            return;
        };
        let spi_i = hp.initiator_spi();
        if let Some(h) = self.by_init.get(&(spi_i, remote)).copied() {
            let Self { sas, shared, .. } = self;
            if let Some(sa) = sas.get_mut(&h) {
                // §2.1: a retransmitted IKE_SA_INIT gets the same response.
                if sa.init_request == ike && sa.public_state() == SaState::ExpectAuthRequest {
                    let mut ctx = shared.ctx(now);
                    let req = header_of(&hp);
                    sa.trace(
                        &mut ctx,
                        Direction::Received,
                        &req,
                        false,
                        &[],
                        true,
                        vec![],
                        ike.len(),
                    );
                    sa.resend_cached(&mut ctx);
                }
            }
            return;
        }
        let parsed = match Message::parse(ike) {
            Ok(p) => p,
            Err(e) => {
                // Unprotected garbage is dropped (§2.21.1).
                self.shared.violation(
                    None,
                    Violation::Malformed {
                        error: e.to_string(),
                    },
                );
                return;
            }
        };
        let msg = &parsed.message;
        if !msg.header.flags.initiator() {
            self.shared.violation(None, Violation::WrongInitiatorFlag);
            return;
        }
        // RFC 7383 §2.5: IKE_SA_INIT is never fragmented (nothing protects it yet).
        if msg
            .payloads
            .iter()
            .any(|p| matches!(p.body, ikelab_wire::payload::PayloadBody::Skf(_)))
        {
            let exchange = ExchangeType::IKE_SA_INIT;
            let v = Violation::FragmentOfUnprotectedMessage { exchange };
            self.shared.violation(None, v);
            return;
        }
        if let Some(t) = sa::unsupported_critical(&msg.payloads) {
            self.shared.refuse(
                now,
                &msg.header,
                local,
                remote,
                vec![notify(NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD, vec![t.0])],
                Some(Violation::UnsupportedCriticalPayload { payload_type: t }),
            );
            return;
        }
        if let Some(threshold) = policy.cookie_threshold {
            if self.half_open() >= threshold as usize {
                let expected = self.shared.cookie(msg, remote);
                let got = notifies(&msg.payloads)
                    .into_iter()
                    .find(|n| n.notify_type == NotifyType::COOKIE)
                    .map(|n| n.data.clone());
                if got.as_deref() != Some(expected.as_slice()) {
                    let v = got.is_some().then_some(Violation::InvalidCookie);
                    self.shared.refuse(
                        now,
                        &msg.header,
                        local,
                        remote,
                        vec![notify(NotifyType::COOKIE, expected)],
                        v,
                    );
                    return;
                }
            }
        }
        let Ok(creds) = Credentials::new(&policy, local) else {
            return; // Checked in Endpoint::new.
        };
        let Ok(spi_r) = self.new_spi() else {
            return;
        };
        let handle = self.new_handle();
        let reply = {
            let mut ctx = self.shared.ctx(now);
            init::respond(
                &mut ctx,
                InitRequest {
                    handle,
                    policy,
                    creds,
                    spi_r,
                    local,
                    remote,
                    raw: ike,
                    msg,
                    findings: parsed.findings.clone(),
                },
            )
        };
        match reply {
            Ok(InitReply::Accept(sa)) => {
                self.register_spi(spi_r, handle);
                self.by_init.insert((spi_i, remote), handle);
                self.sas.insert(handle, *sa);
            }
            Ok(InitReply::Refuse {
                payloads,
                violation,
            }) => self
                .shared
                .refuse(now, &msg.header, local, remote, payloads, violation),
            Ok(InitReply::Drop(v)) => self.shared.violation(None, v),
            Err(e) => self.shared.violation(
                None,
                Violation::Malformed {
                    error: format!("local failure answering IKE_SA_INIT: {e}"),
                },
            ),
        }
    }

    /// Runs every timer that is due.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let Self { sas, shared, .. } = self;
        let mut ctx = shared.ctx(now);
        let mut changed = Vec::new();
        for (h, sa) in sas.iter_mut() {
            if sa.next_timeout().is_some_and(|t| t <= now) {
                if let Err(e) = sa.on_timeout(&mut ctx) {
                    sa.close(&mut ctx, CloseReason::ProtocolError(e.to_string()));
                }
                if sa.spis_changed {
                    changed.push(*h);
                }
            }
        }
        for h in changed {
            self.sync_spis(h);
        }
        let expired: Vec<SaHandle> = self
            .sas
            .iter()
            .filter(|(_, sa)| sa.expired(now))
            .map(|(h, _)| *h)
            .collect();
        for h in expired {
            if self.sas.remove(&h).is_some() {
                let Self { by_spi, shared, .. } = self;
                by_spi.retain(|spi, x| {
                    let keep = *x != h;
                    if !keep {
                        shared.leases.ike_spis.remove(spi);
                    }
                    keep
                });
                self.by_init.retain(|_, x| *x != h);
            }
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.shared.out.transmits.pop_front()
    }

    /// When [`Endpoint::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.sas.values().filter_map(IkeSa::next_timeout).min()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.shared.out.events.pop_front()
    }

    /// Deletes an IKE SA (INFORMATIONAL with Delete, RFC 7296 §1.4.1).
    pub fn delete_ike_sa(&mut self, now: Timestamp, sa: SaHandle) -> Result<(), ConfigError> {
        self.command(now, sa, |sa, ctx| sa.delete(ctx))
    }

    /// Deletes a CHILD_SA by our inbound SPI.
    pub fn delete_child_sa(
        &mut self,
        now: Timestamp,
        sa: SaHandle,
        spi_in: u32,
    ) -> Result<(), ConfigError> {
        let known = self
            .sas
            .get(&sa)
            .is_some_and(|s| s.children.iter().any(|c| c.spi_in == spi_in));
        if !known {
            return Err(ConfigError::UnknownChild {
                sa: sa.0,
                spi: spi_in,
            });
        }
        self.command(now, sa, |s, ctx| s.delete_child(ctx, spi_in))
    }

    /// Creates an additional CHILD_SA (CREATE_CHILD_SA, RFC 7296 §1.3.1) from the SA's policy
    /// CHILD_SA `child_name`, with PFS when its proposals name KE methods. The outcome is an
    /// [`EventKind::ChildSaInstalled`] or [`EventKind::ChildSaFailed`].
    pub fn create_child_sa(
        &mut self,
        now: Timestamp,
        sa: SaHandle,
        child_name: &str,
    ) -> Result<(), ConfigError> {
        let s = self.sas.get(&sa).ok_or(ConfigError::UnknownSa(sa.0))?;
        let policy = s
            .child_policy(child_name)
            .ok_or_else(|| ConfigError::UnknownChildPolicy {
                policy: s.policy.name.clone(),
                child: child_name.to_owned(),
            })?;
        self.command(now, sa, |s, ctx| s.start_create_child(ctx, &policy))
    }

    /// Rekeys a CHILD_SA by our inbound SPI (RFC 7296 §1.3.3, §2.8): a new SA with fresh keys
    /// (PFS per the policy), installed before the old one is deleted. Already being rekeyed or
    /// deleted: nothing happens.
    pub fn rekey_child_sa(
        &mut self,
        now: Timestamp,
        sa: SaHandle,
        spi_in: u32,
    ) -> Result<(), ConfigError> {
        let known = self
            .sas
            .get(&sa)
            .is_some_and(|s| s.children.iter().any(|c| c.spi_in == spi_in));
        if !known {
            return Err(ConfigError::UnknownChild {
                sa: sa.0,
                spi: spi_in,
            });
        }
        self.command(now, sa, |s, ctx| s.start_rekey_child(ctx, spi_in))
    }

    /// Rekeys the IKE SA (RFC 7296 §1.3.2, §2.18): new SPIs and keys, the CHILD_SAs carry on.
    /// The [`SaHandle`] stays valid; [`EventKind::IkeSaRekeyed`] reports the new SPIs.
    pub fn rekey_ike_sa(&mut self, now: Timestamp, sa: SaHandle) -> Result<(), ConfigError> {
        self.command(now, sa, |s, ctx| s.start_rekey_ike(ctx))
    }

    /// Sends a liveness check (an empty INFORMATIONAL request).
    pub fn send_dpd(&mut self, now: Timestamp, sa: SaHandle) -> Result<(), ConfigError> {
        self.command(now, sa, |s, ctx| s.dpd(ctx))
    }

    fn command(
        &mut self,
        now: Timestamp,
        handle: SaHandle,
        f: impl FnOnce(&mut IkeSa, &mut Ctx<'_>) -> Result<(), EngineError>,
    ) -> Result<(), ConfigError> {
        let Self { sas, shared, .. } = self;
        let sa = sas
            .get_mut(&handle)
            .ok_or(ConfigError::UnknownSa(handle.0))?;
        if sa.public_state() != SaState::Established {
            return Err(ConfigError::NotEstablished(handle.0));
        }
        let mut ctx = shared.ctx(now);
        if let Err(e) = f(sa, &mut ctx) {
            sa.close(&mut ctx, CloseReason::ProtocolError(e.to_string()));
        }
        self.sync_spis(handle);
        Ok(())
    }

    /// What an SA waits for; `None` once it is forgotten.
    pub fn sa_state(&self, sa: SaHandle) -> Option<SaState> {
        self.sas.get(&sa).map(IkeSa::public_state)
    }

    /// SAs known (closed ones linger to answer retransmissions).
    pub fn sa_count(&self) -> usize {
        self.sas.len()
    }

    /// Half-open SAs (the COOKIE threshold counts these).
    pub fn half_open(&self) -> usize {
        self.sas.values().filter(|s| s.is_half_open()).count()
    }

    /// The CHILD_SAs of an IKE SA as (inbound SPI, outbound SPI).
    pub fn child_sas(&self, sa: SaHandle) -> Vec<(u32, u32)> {
        self.sas
            .get(&sa)
            .map(|s| s.children.iter().map(|c| (c.spi_in, c.spi_out)).collect())
            .unwrap_or_default()
    }

    /// Addresses leased from the responder pool.
    pub fn leased_addresses(&self) -> Vec<IpAddr> {
        self.shared.leases.addresses.keys().copied().collect()
    }
}

fn header_of(hp: &HeaderPacket<&[u8]>) -> Header {
    Header {
        initiator_spi: hp.initiator_spi(),
        responder_spi: hp.responder_spi(),
        major_version: hp.major_version(),
        minor_version: hp.minor_version(),
        exchange_type: hp.exchange_type(),
        flags: hp.flags(),
        message_id: hp.message_id(),
    }
}

impl Shared {
    fn ctx(&mut self, now: Timestamp) -> Ctx<'_> {
        Ctx {
            now,
            config: &self.config,
            out: &mut self.out,
            leases: &mut self.leases,
        }
    }

    fn violation(&mut self, sa: Option<SaHandle>, v: Violation) {
        self.out.events.push_back(Event {
            sa,
            kind: EventKind::Violation(v),
        });
    }

    fn refuse(
        &mut self,
        now: Timestamp,
        req: &Header,
        local: SocketAddr,
        remote: SocketAddr,
        payloads: Vec<Payload>,
        violation: Option<Violation>,
    ) {
        if let Some(v) = violation {
            self.violation(None, v);
        }
        self.stateless_reply(now, req, local, remote, payloads);
    }

    /// An unprotected response that keeps no state: the request's SPIs and Message ID, our
    /// version, the R flag, and the I flag of the other side.
    fn stateless_reply(
        &mut self,
        _now: Timestamp,
        req: &Header,
        local: SocketAddr,
        remote: SocketAddr,
        payloads: Vec<Payload>,
    ) {
        let header = Header {
            initiator_spi: req.initiator_spi,
            responder_spi: req.responder_spi,
            major_version: 2,
            minor_version: 0,
            exchange_type: req.exchange_type,
            flags: Flags::new(!req.flags.initiator(), true),
            message_id: req.message_id,
        };
        let msg = Message { header, payloads };
        let bytes = msg.emit();
        let encap = local.port() == self.config.nat_t_port;
        if self.config.trace_messages {
            let path = PathInfo {
                local,
                remote,
                encap,
            };
            let trace = sa::trace_of(
                Direction::Sent,
                &msg.header,
                path,
                false,
                &msg.payloads,
                false,
                vec![],
                bytes.len(),
            );
            self.out.events.push_back(Event {
                sa: None,
                kind: EventKind::Message(trace),
            });
        }
        let mut payload = Vec::with_capacity(bytes.len() + 4);
        if encap {
            payload.extend_from_slice(&NON_ESP_MARKER);
        }
        payload.extend_from_slice(&bytes);
        self.out.transmits.push_back(Transmit {
            local,
            remote,
            payload,
        });
    }

    /// `version | prf(secret, Ni | IPi | SPIi)` (RFC 7296 §2.6's recipe with HMAC-SHA-256).
    fn cookie(&self, msg: &Message, remote: SocketAddr) -> Vec<u8> {
        let ni: &[u8] = msg
            .payloads
            .iter()
            .find_map(|p| match &p.body {
                PayloadBody::Nonce(n) => Some(n.as_slice()),
                _ => None,
            })
            .unwrap_or(&[]);
        let ip = match remote.ip() {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        let mut out = vec![COOKIE_VERSION];
        if let Ok(prf) = self.config.provider.prf(5) {
            let mac = prf.compute(
                &self.cookie_secret,
                &[ni, &ip, &msg.header.initiator_spi.to_be_bytes()],
            );
            out.extend_from_slice(mac.as_bytes());
        }
        out
    }
}
