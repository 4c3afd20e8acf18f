//! IKE_AUTH (RFC 7296 §1.2, §2.15): identities, AUTH, the first CHILD_SA with traffic
//! selector narrowing (§2.9) and CP request/reply (§2.19, §3.15).

use std::net::IpAddr;

use ikelab_policy::{ChildPolicy, Identity, Mode, TsAddresses, TsSpec};
use ikelab_wire::iana::{
    AuthMethod, CfgType, CpAttributeType, ExchangeType, NotifyType, PayloadType,
};
use ikelab_wire::payload::{
    AddressRange, AuthPayload, CertPayload, CpAttribute, CpPayload, IdPayload, Payload,
    PayloadBody, SaPayload, TsPayload,
};

use super::child::NewChild;
use super::exchange::Purpose;
use super::{
    error_notify, has_notify, notifies, notify, required, single, Ctx, Followup, IkeSa, State,
};
use crate::authn::signed_octets;
use crate::event::{CloseReason, EventKind, IkeSaInfo};
use crate::negotiate::{self, EspChoice};
use crate::violation::{AuthFailure, Violation};
use crate::EngineError;

pub(super) mod eap;

/// Error Notify types that refuse only the CHILD_SA of an IKE_AUTH exchange while the IKE SA
/// is established (RFC 7296 §1.2, §2.21.3, §3.10.1).
const CHILD_SA_ERRORS: [NotifyType; 7] = [
    NotifyType::NO_PROPOSAL_CHOSEN,
    NotifyType::SINGLE_PAIR_REQUIRED,
    NotifyType::NO_ADDITIONAL_SAS,
    NotifyType::INTERNAL_ADDRESS_FAILURE,
    NotifyType::FAILED_CP_REQUIRED,
    NotifyType::TS_UNACCEPTABLE,
    NotifyType::INVALID_SELECTORS,
];

/// Initiator state while IKE_AUTH is in flight.
pub(crate) struct PendingAuth {
    pub child: Option<PendingChild>,
}

/// The CHILD_SA we proposed in IKE_AUTH.
pub(crate) struct PendingChild {
    pub spi_in: u32,
    pub offered: SaPayload,
    pub tsi: Vec<AddressRange>,
    pub tsr: Vec<AddressRange>,
    pub mode: Mode,
}

pub(super) fn ts_payload(selectors: &[AddressRange]) -> TsPayload {
    TsPayload {
        reserved: [0; 3],
        selectors: selectors
            .iter()
            .cloned()
            .map(ikelab_wire::payload::TrafficSelector::AddressRange)
            .collect(),
    }
}

pub(super) fn ranges(ts: &TsPayload) -> Vec<AddressRange> {
    ts.selectors
        .iter()
        .filter_map(|s| match s {
            ikelab_wire::payload::TrafficSelector::AddressRange(r) => Some(r.clone()),
            ikelab_wire::payload::TrafficSelector::Other { .. } => None,
        })
        .collect()
}

/// Resolves policy selectors; `dynamic` becomes `addr`, or the whole family when `wide`
/// (an initiator asking for a virtual IP does not know its address yet).
pub(super) fn resolve(specs: &[TsSpec], addrs: &[IpAddr], wide: bool) -> Vec<AddressRange> {
    let mut out = Vec::new();
    let Some(&first) = addrs.first() else {
        return out;
    };
    for s in specs {
        match s.addresses {
            TsAddresses::Dynamic if wide => {
                let all = TsSpec::all(first.is_ipv6()).addresses;
                out.push(
                    TsSpec {
                        addresses: all,
                        ..*s
                    }
                    .resolve(first),
                );
            }
            TsAddresses::Dynamic => out.extend(addrs.iter().map(|a| s.resolve(*a))),
            TsAddresses::Range(..) => out.push(s.resolve(first)),
        }
    }
    out
}

impl IkeSa {
    fn id_payload(&self) -> IdPayload {
        self.local_id.to_payload()
    }

    /// The initiator's IKE_AUTH request (Message ID 1).
    pub(crate) fn send_auth(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EngineError> {
        let policy = self.policy.clone();
        if !self.ppk_before_auth(ctx)? {
            return Ok(());
        }
        let f = &policy.features;
        let idi = self.id_payload();
        let Some(keys) = &self.keys else {
            return Ok(());
        };
        let octets = signed_octets(
            &self.init_request,
            &self.nr,
            keys.suite.prf,
            &keys.keys.sk_pi,
            &idi,
        );
        // An EAP client sends no AUTH until EAP has produced the MSK (§2.16).
        let auth = match self.local_cred.is_eap() {
            true => None,
            false => match self
                .local_cred
                .auth(keys.suite.prf, &octets, &self.peer_hashes)
            {
                Ok(a) => Some(a),
                Err(failure) => {
                    let reason = CloseReason::ProtocolError(format!("{failure:?}"));
                    self.close(ctx, reason);
                    return Ok(());
                }
            },
        };
        let ppk_notifies = match self.ppk_request_notifies(&idi) {
            Ok(n) => n,
            Err(failure) => {
                let reason = CloseReason::ProtocolError(format!("{failure:?}"));
                self.close(ctx, reason);
                return Ok(());
            }
        };
        let mut inner = vec![Payload::new(PayloadBody::IdInitiator(idi))];
        inner.extend(
            self.local_cred
                .cert_payloads()
                .into_iter()
                .map(|c| Payload::new(PayloadBody::Cert(c))),
        );
        // Not while the IKE SA this one replaces after a redirect is up (RFC 5685 §5).
        if f.initial_contact && self.redirect.replaces.is_none() {
            inner.push(notify(NotifyType::INITIAL_CONTACT, Vec::new()));
        }
        if let Some(cr) = self.remote_cred.certreq() {
            inner.push(Payload::new(PayloadBody::CertReq(cr)));
        }
        if let Some(id) = policy.remote.id.exact() {
            inner.push(Payload::new(PayloadBody::IdResponder(id.to_payload())));
        }
        // EAP_ONLY_AUTHENTICATION goes last (below), where iOS and strongSwan send it.
        let eap_notifies = match auth {
            Some(auth) => {
                inner.push(Payload::new(PayloadBody::Auth(auth)));
                Vec::new()
            }
            None => self.eap_client_start(),
        };
        if !policy.config_request.is_empty() {
            inner.push(Payload::new(PayloadBody::Cp(CpPayload {
                cfg_type: CfgType::REQUEST,
                reserved: [0; 3],
                attributes: policy
                    .config_request
                    .iter()
                    .map(|t| CpAttribute::new(*t, Vec::new()))
                    .collect(),
            })));
        }
        let child = match policy.children.first() {
            Some(c) => Some(self.propose_child(ctx, c)?),
            None => None,
        };
        if let Some(c) = &child {
            if c.mode == Mode::Transport {
                inner.push(notify(NotifyType::USE_TRANSPORT_MODE, Vec::new()));
            }
            if f.esp_tfc_padding_not_supported {
                inner.push(notify(
                    NotifyType::ESP_TFC_PADDING_NOT_SUPPORTED,
                    Vec::new(),
                ));
            }
            if f.non_first_fragments_also {
                inner.push(notify(NotifyType::NON_FIRST_FRAGMENTS_ALSO, Vec::new()));
            }
            inner.push(Payload::new(PayloadBody::Sa(c.offered.clone())));
            inner.push(Payload::new(PayloadBody::TsInitiator(ts_payload(&c.tsi))));
            inner.push(Payload::new(PayloadBody::TsResponder(ts_payload(&c.tsr))));
        }
        if f.mobike {
            inner.push(notify(NotifyType::MOBIKE_SUPPORTED, Vec::new()));
        }
        inner.extend(eap_notifies);
        inner.extend(ppk_notifies);
        self.state = State::ExpectAuthResponse(Box::new(PendingAuth { child }));
        self.request(ctx, ExchangeType::IKE_AUTH, inner, Purpose::Auth)
    }

    fn propose_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        c: &ChildPolicy,
    ) -> Result<PendingChild, EngineError> {
        let spi_in = ctx.new_esp_spi()?;
        let offered = negotiate::offer_esp(ctx.config.provider, &c.proposals);
        let offered = SaPayload {
            proposals: offered
                .iter()
                .enumerate()
                .map(|(i, p)| p.to_wire((i + 1).min(255) as u8, spi_in))
                .collect(),
        };
        let local_ip = self.path.local.ip();
        let wants_vip = self.policy.config_request.iter().any(|t| {
            let v6 = *t == CpAttributeType::INTERNAL_IP6_ADDRESS;
            (v6 || *t == CpAttributeType::INTERNAL_IP4_ADDRESS) && local_ip.is_ipv6() == v6
        });
        Ok(PendingChild {
            spi_in,
            offered,
            tsi: resolve(&c.local_ts, &[local_ip], wants_vip),
            tsr: resolve(&c.remote_ts, &[self.path.remote.ip()], false),
            mode: c.mode,
        })
    }

    /// The responder's IKE_AUTH: authenticate the initiator, answer, set up the CHILD_SA.
    pub(crate) fn on_auth_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        inner: &[Payload],
    ) -> Result<Followup, EngineError> {
        if let Some(f) = self.on_eap_auth_request(ctx, message_id, inner)? {
            return Ok(f);
        }
        let x = ExchangeType::IKE_AUTH;
        let fail =
            |sa: &mut Self, ctx: &mut Ctx<'_>, v: Violation| -> Result<Followup, EngineError> {
                let n = v.notify().unwrap_or(NotifyType::INVALID_SYNTAX);
                sa.violation(ctx, v);
                sa.respond(ctx, x, message_id, vec![notify(n, Vec::new())])?;
                sa.close(ctx, CloseReason::LocalError(n));
                Ok(Followup::default())
            };
        let idi = match required(inner, x, PayloadType::IDI, |b| match b {
            PayloadBody::IdInitiator(i) => Some(i),
            _ => None,
        }) {
            Ok(i) => i,
            Err(v) => return fail(self, ctx, v),
        };
        let auth = match single(inner, x, PayloadType::AUTH, |b| match b {
            PayloadBody::Auth(a) => Some(a),
            _ => None,
        }) {
            Ok(Some(a)) => a,
            // No AUTH: the initiator wants EAP (§2.16).
            Ok(None) if self.remote_cred.is_eap() => {
                let idi = idi.clone();
                return self.eap_server_start(ctx, message_id, inner, &idi);
            }
            Ok(None) => {
                return fail(
                    self,
                    ctx,
                    Violation::AuthenticationFailed(AuthFailure::WrongMethod { method: 0 }),
                )
            }
            Err(v) => return fail(self, ctx, v),
        };
        let idr = match single(inner, x, PayloadType::IDR, |b| match b {
            PayloadBody::IdResponder(i) => Some(i),
            _ => None,
        }) {
            Ok(i) => i,
            Err(v) => return fail(self, ctx, v),
        };
        // §1.2: SAi2, TSi and TSr are mandatory in IKE_AUTH (childless IKE SAs need RFC 6023,
        // not supported); missing or repeated they make the request malformed: INVALID_SYNTAX
        // (§2.21.2, §3.10.1) in the protected response, and no IKE SA.
        let child_payloads = [
            required(inner, x, PayloadType::SA, |b| match b {
                PayloadBody::Sa(s) => Some(s),
                _ => None,
            })
            .err(),
            required(inner, x, PayloadType::TSI, |b| match b {
                PayloadBody::TsInitiator(t) => Some(t),
                _ => None,
            })
            .err(),
            required(inner, x, PayloadType::TSR, |b| match b {
                PayloadBody::TsResponder(t) => Some(t),
                _ => None,
            })
            .err(),
        ];
        if let Some(v) = child_payloads.into_iter().flatten().next() {
            return fail(self, ctx, v);
        }
        let peer = Identity::from_payload(idi);
        let ppk = match self.ppk_on_auth_request(inner, auth) {
            Ok(p) => p,
            Err(f) => return fail(self, ctx, Violation::AuthenticationFailed(f)),
        };
        let checked = ppk.substitute.as_ref().unwrap_or(auth);
        if let Err(f) = self.authenticate_peer(idi, checked, inner, &self.init_request, &self.nr) {
            return fail(self, ctx, Violation::AuthenticationFailed(f));
        }
        if let Some(idr) = idr {
            let asked = Identity::from_payload(idr);
            if !asked.same_as(&self.local_id) {
                return fail(
                    self,
                    ctx,
                    Violation::AuthenticationFailed(AuthFailure::NotOurIdentity {
                        requested: asked.to_string(),
                    }),
                );
            }
        }
        // Our own AUTH over ResponderSignedOctets.
        let Some(keys) = &self.keys else {
            return Ok(Followup::default());
        };
        let idr_ours = self.id_payload();
        let octets = signed_octets(
            &self.init_response,
            &self.ni,
            keys.suite.prf,
            &keys.keys.sk_pr,
            &idr_ours,
        );
        let our_auth = match self
            .local_cred
            .auth(keys.suite.prf, &octets, &self.peer_hashes)
        {
            Ok(a) => a,
            Err(f) => return fail(self, ctx, Violation::AuthenticationFailed(f)),
        };
        self.remote_id = Some(peer.clone());
        self.half_open_deadline = None;
        self.state = State::Established;
        self.schedule_ike_rekey(ctx)?;

        let mut out = vec![Payload::new(PayloadBody::IdResponder(idr_ours))];
        out.extend(
            self.local_cred
                .cert_payloads()
                .into_iter()
                .map(|c| Payload::new(PayloadBody::Cert(c))),
        );
        out.push(Payload::new(PayloadBody::Auth(our_auth)));
        // RFC 8784 §3: confirms that AUTH (ours and the peer's) used the PPK; also before a
        // redirect, whose initiator checks our AUTH the same way.
        if ppk.confirm {
            out.push(Self::ppk_confirmation());
        }
        self.mobike_established(inner, Some(&mut out));
        // RFC 5685 §6: send the authenticated initiator elsewhere instead of a CHILD_SA.
        if let Some(gw) = self.auth_redirect_target() {
            out.push(super::redirect::redirect_notify(&gw, None));
            self.respond(ctx, x, message_id, out)?;
            self.established(ctx, auth.method);
            return Ok(Followup::default());
        }
        let installed = self.answer_child(ctx, inner, &mut out)?;
        self.respond(ctx, x, message_id, out)?;
        self.established(ctx, auth.method);
        if let Some(c) = installed {
            self.install_child(ctx, c)?;
        }
        let initial_contact = has_notify(inner, NotifyType::INITIAL_CONTACT).then_some(peer);
        Ok(Followup { initial_contact })
    }

    /// Checks the peer's identity against the policy and its AUTH payload.
    fn authenticate_peer(
        &self,
        id: &IdPayload,
        auth: &AuthPayload,
        inner: &[Payload],
        real_message: &[u8],
        our_nonce: &[u8],
    ) -> Result<(), AuthFailure> {
        let peer = Identity::from_payload(id);
        if !self.policy.remote.id.matches(&peer) {
            return Err(AuthFailure::IdentityMismatch {
                received: peer.to_string(),
                expected: self.policy.remote.id.to_string(),
            });
        }
        let Some(keys) = &self.keys else {
            return Err(AuthFailure::LocalFailure {
                reason: "no IKE SA keys".into(),
            });
        };
        let sk_p = if self.initiator {
            &keys.keys.sk_pr
        } else {
            &keys.keys.sk_pi
        };
        let octets = signed_octets(real_message, our_nonce, keys.suite.prf, sk_p, id);
        let certs: Vec<&CertPayload> = inner
            .iter()
            .filter_map(|p| match &p.body {
                PayloadBody::Cert(c) => Some(c),
                _ => None,
            })
            .collect();
        self.remote_cred
            .verify(keys.suite.prf, &octets, auth, &peer, &certs)
    }

    fn established(&self, ctx: &mut Ctx<'_>, remote_auth: AuthMethod) {
        let Some(keys) = &self.keys else {
            return;
        };
        let Some(remote_id) = self.remote_id.clone() else {
            return;
        };
        ctx.event(
            Some(self.handle),
            EventKind::IkeSaEstablished(IkeSaInfo {
                spi_i: self.spi_i,
                spi_r: self.spi_r,
                initiator: self.initiator,
                transforms: keys.transforms.clone(),
                local_id: self.local_id.clone(),
                remote_id,
                remote_auth,
                local: self.path.local,
                remote: self.path.remote,
                nat_detected: self.nat,
            }),
        );
    }

    /// Responder: selects the CHILD_SA, narrows selectors, assigns addresses, and appends the
    /// response payloads. Returns the installation to run after the response is sent.
    fn answer_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        inner: &[Payload],
        out: &mut Vec<Payload>,
    ) -> Result<Option<NewChild>, EngineError> {
        let x = ExchangeType::IKE_AUTH;
        let sa = single(inner, x, PayloadType::SA, |b| match b {
            PayloadBody::Sa(s) => Some(s),
            _ => None,
        })
        .ok()
        .flatten();
        let tsi = single(inner, x, PayloadType::TSI, |b| match b {
            PayloadBody::TsInitiator(t) => Some(t),
            _ => None,
        })
        .ok()
        .flatten();
        let tsr = single(inner, x, PayloadType::TSR, |b| match b {
            PayloadBody::TsResponder(t) => Some(t),
            _ => None,
        })
        .ok()
        .flatten();
        let (Some(sa), Some(tsi), Some(tsr)) = (sa, tsi, tsr) else {
            // Checked in on_auth_request: all three are present exactly once.
            return Ok(None);
        };
        let Some(child_policy) = self.policy.children.first().cloned() else {
            out.push(notify(NotifyType::NO_PROPOSAL_CHOSEN, Vec::new()));
            return Ok(None);
        };
        let child_fail = |sa: &Self, ctx: &mut Ctx<'_>, out: &mut Vec<Payload>, v: Violation| {
            if let Some(n) = v.notify() {
                out.push(notify(n, Vec::new()));
            }
            ctx.event(
                Some(sa.handle),
                EventKind::ChildSaFailed {
                    notify: v.notify().unwrap_or(NotifyType::NO_PROPOSAL_CHOSEN),
                },
            );
            sa.violation(ctx, v);
            Ok(None)
        };

        // Addresses first: the initiator's selectors narrow to what we assign.
        let cp_request = inner.iter().find_map(|p| match &p.body {
            PayloadBody::Cp(c) if c.cfg_type == CfgType::REQUEST => Some(c),
            _ => None,
        });
        let mut assigned: Vec<IpAddr> = Vec::new();
        let mut cp_reply = None;
        if let (Some(req), Some(pool)) = (cp_request, self.policy.pool.clone()) {
            match self.assign_addresses(ctx, req, &pool) {
                Some((addrs, reply)) => {
                    assigned = addrs;
                    cp_reply = Some(reply);
                }
                None => return child_fail(self, ctx, out, Violation::AddressPoolExhausted),
            }
        }
        let Some(choice) = negotiate::select_esp(ctx.config.provider, &child_policy.proposals, sa)
        else {
            return child_fail(self, ctx, out, Violation::NoProposalChosen);
        };
        let mut peer_addrs = if assigned.is_empty() {
            vec![self.path.remote.ip()]
        } else {
            assigned.clone()
        };
        if assigned.is_empty() && self.nat.remote {
            // Behind a NAT the initiator proposes its private address (§2.23.1): a single
            // host in TSi stands for "dynamic".
            peer_addrs.extend(
                ranges(tsi)
                    .iter()
                    .filter(|r| r.start_address == r.end_address)
                    .map(|r| r.start_address),
            );
        }
        let ours_remote = resolve(&child_policy.remote_ts, &peer_addrs, false);
        let ours_local = resolve(&child_policy.local_ts, &[self.path.local.ip()], false);
        let n_tsi = negotiate::narrow(&ranges(tsi), &ours_remote);
        let n_tsr = negotiate::narrow(&ranges(tsr), &ours_local);
        if n_tsi.is_empty() || n_tsr.is_empty() {
            return child_fail(self, ctx, out, Violation::TsUnacceptable);
        }
        let transport = has_notify(inner, NotifyType::USE_TRANSPORT_MODE)
            && child_policy.mode == Mode::Transport;
        let mode = if transport {
            Mode::Transport
        } else {
            Mode::Tunnel
        };
        let spi_in = ctx.new_esp_spi()?;
        if let Some(reply) = cp_reply {
            out.push(Payload::new(PayloadBody::Cp(reply)));
            ctx.event(
                Some(self.handle),
                EventKind::ConfigAssigned {
                    addresses: assigned,
                    dns: self
                        .policy
                        .pool
                        .as_ref()
                        .map(|p| p.dns.clone())
                        .unwrap_or_default(),
                },
            );
        }
        if transport {
            out.push(notify(NotifyType::USE_TRANSPORT_MODE, Vec::new()));
        }
        out.push(Payload::new(PayloadBody::Sa(choice.to_wire(spi_in))));
        out.push(Payload::new(PayloadBody::TsInitiator(ts_payload(&n_tsi))));
        out.push(Payload::new(PayloadBody::TsResponder(ts_payload(&n_tsr))));
        Ok(Some(NewChild {
            name: child_policy.name,
            choice,
            spi_in,
            mode,
            // Responder: TSr is local, TSi remote.
            local_ts: n_tsr,
            remote_ts: n_tsi,
            exchange_initiator: false,
            ni: self.ni.clone(),
            nr: self.nr.clone(),
            g_ir: None,
            rekey_of: None,
            lost_collision: false,
        }))
    }

    /// Leases one address per requested family from the pool and builds CP(CFG_REPLY).
    fn assign_addresses(
        &mut self,
        ctx: &mut Ctx<'_>,
        req: &CpPayload,
        pool: &ikelab_policy::AddressPool,
    ) -> Option<(Vec<IpAddr>, CpPayload)> {
        let wants = |t: CpAttributeType| req.attributes.iter().any(|a| a.attribute_type == t);
        let mut addrs = Vec::new();
        let mut attrs = Vec::new();
        for net in &pool.ranges {
            let v6 = net.addr.is_ipv6();
            let ty = if v6 {
                CpAttributeType::INTERNAL_IP6_ADDRESS
            } else {
                CpAttributeType::INTERNAL_IP4_ADDRESS
            };
            if !wants(ty) {
                continue;
            }
            let addr = lease(ctx, self.handle, net)?;
            addrs.push(addr);
            match addr {
                IpAddr::V4(a) => {
                    attrs.push(CpAttribute::new(ty, a.octets().to_vec()));
                    if wants(CpAttributeType::INTERNAL_IP4_NETMASK) {
                        let mask = u32::MAX
                            .checked_shl(32 - u32::from(net.prefix))
                            .unwrap_or(0);
                        attrs.push(CpAttribute::new(
                            CpAttributeType::INTERNAL_IP4_NETMASK,
                            mask.to_be_bytes().to_vec(),
                        ));
                    }
                }
                IpAddr::V6(a) => {
                    let mut v = a.octets().to_vec();
                    v.push(net.prefix);
                    attrs.push(CpAttribute::new(ty, v));
                }
            }
        }
        if addrs.is_empty()
            && (wants(CpAttributeType::INTERNAL_IP4_ADDRESS)
                || wants(CpAttributeType::INTERNAL_IP6_ADDRESS))
        {
            return None;
        }
        for dns in &pool.dns {
            let (ty, v) = match dns {
                IpAddr::V4(a) => (CpAttributeType::INTERNAL_IP4_DNS, a.octets().to_vec()),
                IpAddr::V6(a) => (CpAttributeType::INTERNAL_IP6_DNS, a.octets().to_vec()),
            };
            if wants(ty) {
                attrs.push(CpAttribute::new(ty, v));
            }
        }
        if wants(CpAttributeType::INTERNAL_DNS_DOMAIN) {
            for d in &pool.domains {
                attrs.push(CpAttribute::new(
                    CpAttributeType::INTERNAL_DNS_DOMAIN,
                    d.as_bytes().to_vec(),
                ));
            }
        }
        Some((
            addrs,
            CpPayload {
                cfg_type: CfgType::REPLY,
                reserved: [0; 3],
                attributes: attrs,
            },
        ))
    }

    /// The initiator's handling of the IKE_AUTH response.
    pub(crate) fn on_auth_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        inner: &[Payload],
    ) -> Result<(), EngineError> {
        if self.on_eap_auth_response(ctx, inner)? {
            return Ok(());
        }
        let State::ExpectAuthResponse(pending) =
            core::mem::replace(&mut self.state, State::ExpectAuthRequest)
        else {
            return Ok(());
        };
        let x = ExchangeType::IKE_AUTH;
        let auth = single(inner, x, PayloadType::AUTH, |b| match b {
            PayloadBody::Auth(a) => Some(a),
            _ => None,
        });
        if let (Ok(None), Some(err)) = (&auth, error_notify(inner)) {
            self.close(ctx, CloseReason::PeerError(err));
            return Ok(());
        }
        // §3.10.1: "Unrecognized error types in a response MUST be assumed to mean that the
        // corresponding request has failed entirely." Only the CHILD_SA errors of §1.2/§2.21.3
        // leave the IKE SA standing.
        if let Some(err) = notifies(inner)
            .into_iter()
            .map(|n| n.notify_type)
            .find(|t| t.is_error() && !CHILD_SA_ERRORS.contains(t))
        {
            self.close(ctx, CloseReason::PeerError(err));
            return Ok(());
        }
        let idr = required(inner, x, PayloadType::IDR, |b| match b {
            PayloadBody::IdResponder(i) => Some(i),
            _ => None,
        });
        let (idr, auth) = match (idr, auth) {
            (Ok(i), Ok(Some(a))) => (i, a),
            (Err(v), _) | (_, Err(v)) => return self.fail_auth_response(ctx, v),
            (_, Ok(None)) => {
                let v = Violation::MissingPayload {
                    exchange: x,
                    payload: PayloadType::AUTH,
                };
                return self.fail_auth_response(ctx, v);
            }
        };
        if let Err(f) = self.ppk_after_auth_response(inner) {
            return self.fail_auth_response(ctx, Violation::AuthenticationFailed(f));
        }
        if let Err(f) = self.authenticate_peer(idr, auth, inner, &self.init_response, &self.ni) {
            return self.fail_auth_response(ctx, Violation::AuthenticationFailed(f));
        }
        // RFC 5685 §6: authenticated, but sent elsewhere.
        if self.auth_redirect_response(ctx, inner)? {
            return Ok(());
        }
        self.remote_id = Some(Identity::from_payload(idr));
        self.state = State::Established;
        self.mobike_established(inner, None);
        self.schedule_ike_rekey(ctx)?;
        self.established(ctx, auth.method);
        if let Some(child) = pending.child {
            self.accept_child(ctx, inner, child)?;
        }
        Ok(())
    }

    /// §2.21.2: an initiator that rejects the IKE_AUTH response says so in a separate
    /// INFORMATIONAL exchange, then deletes the SA.
    fn fail_auth_response(&mut self, ctx: &mut Ctx<'_>, v: Violation) -> Result<(), EngineError> {
        let n = v.notify();
        self.violation(ctx, v);
        if let Some(n) = n {
            self.request(
                ctx,
                ExchangeType::INFORMATIONAL,
                vec![notify(n, Vec::new())],
                Purpose::ErrorNotice,
            )?;
        }
        self.close(
            ctx,
            CloseReason::LocalError(n.unwrap_or(NotifyType::INVALID_SYNTAX)),
        );
        Ok(())
    }

    fn accept_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        inner: &[Payload],
        child: PendingChild,
    ) -> Result<(), EngineError> {
        let x = ExchangeType::IKE_AUTH;
        if let Some(cp) = inner.iter().find_map(|p| match &p.body {
            PayloadBody::Cp(c) if c.cfg_type == CfgType::REPLY => Some(c),
            _ => None,
        }) {
            let pick = |t4: CpAttributeType, t6: CpAttributeType| -> Vec<IpAddr> {
                cp.attributes
                    .iter()
                    .filter_map(|a| match (a.attribute_type, a.value.len()) {
                        (t, 4) if t == t4 => <[u8; 4]>::try_from(a.value.as_slice())
                            .ok()
                            .map(IpAddr::from),
                        (t, 16 | 17) if t == t6 => {
                            <[u8; 16]>::try_from(&a.value[..16]).ok().map(IpAddr::from)
                        }
                        _ => None,
                    })
                    .collect()
            };
            self.virtual_ips = pick(
                CpAttributeType::INTERNAL_IP4_ADDRESS,
                CpAttributeType::INTERNAL_IP6_ADDRESS,
            );
            ctx.event(
                Some(self.handle),
                EventKind::ConfigAssigned {
                    addresses: self.virtual_ips.clone(),
                    dns: pick(
                        CpAttributeType::INTERNAL_IP4_DNS,
                        CpAttributeType::INTERNAL_IP6_DNS,
                    ),
                },
            );
        }
        if let Some(err) = error_notify(inner) {
            ctx.leases.esp_spis.remove(&child.spi_in);
            ctx.event(Some(self.handle), EventKind::ChildSaFailed { notify: err });
            return Ok(());
        }
        let sa = required(inner, x, PayloadType::SA, |b| match b {
            PayloadBody::Sa(s) => Some(s),
            _ => None,
        });
        let tsi = required(inner, x, PayloadType::TSI, |b| match b {
            PayloadBody::TsInitiator(t) => Some(t),
            _ => None,
        });
        let tsr = required(inner, x, PayloadType::TSR, |b| match b {
            PayloadBody::TsResponder(t) => Some(t),
            _ => None,
        });
        let checked: Result<(EspChoice, Vec<AddressRange>, Vec<AddressRange>), Violation> =
            (|| {
                let choice = negotiate::check_esp_choice(ctx.config.provider, &child.offered, sa?)
                    .map_err(|reason| Violation::InvalidProposalChoice { reason })?;
                let (tsi, tsr) = (ranges(tsi?), ranges(tsr?));
                if !negotiate::is_narrowing(&tsi, &child.tsi)
                    || !negotiate::is_narrowing(&tsr, &child.tsr)
                {
                    return Err(Violation::TsNotNarrowed);
                }
                Ok((choice, tsi, tsr))
            })();
        match checked {
            Ok((choice, tsi, tsr)) => {
                let transport = has_notify(inner, NotifyType::USE_TRANSPORT_MODE)
                    && child.mode == Mode::Transport;
                let mode = if transport {
                    Mode::Transport
                } else {
                    Mode::Tunnel
                };
                let name = self
                    .policy
                    .children
                    .first()
                    .map_or_else(|| "child".to_owned(), |c| c.name.clone());
                self.install_child(
                    ctx,
                    NewChild {
                        name,
                        choice,
                        spi_in: child.spi_in,
                        mode,
                        local_ts: tsi,
                        remote_ts: tsr,
                        exchange_initiator: true,
                        ni: self.ni.clone(),
                        nr: self.nr.clone(),
                        g_ir: None,
                        rekey_of: None,
                        lost_collision: false,
                    },
                )
            }
            Err(v) => {
                // The IKE SA stands; the CHILD_SA the responder created is deleted.
                let spi_out = match &v {
                    Violation::TsNotNarrowed => inner.iter().find_map(|p| match &p.body {
                        PayloadBody::Sa(s) => s.proposals.first().map(|p| p.spi.clone()),
                        _ => None,
                    }),
                    _ => None,
                };
                self.violation(ctx, v);
                ctx.event(
                    Some(self.handle),
                    EventKind::ChildSaFailed {
                        notify: NotifyType::NO_PROPOSAL_CHOSEN,
                    },
                );
                if spi_out.is_some() {
                    self.request(
                        ctx,
                        ExchangeType::INFORMATIONAL,
                        vec![super::info::delete_esp(&[child.spi_in])],
                        Purpose::DeleteChild {
                            spi_in: child.spi_in,
                        },
                    )?;
                } else {
                    ctx.leases.esp_spis.remove(&child.spi_in);
                }
                Ok(())
            }
        }
    }
}

/// The lowest free host address of `net` (network and IPv4 broadcast addresses skipped).
fn lease(ctx: &mut Ctx<'_>, sa: crate::SaHandle, net: &ikelab_policy::IpNet) -> Option<IpAddr> {
    let (lo, hi) = net.range();
    let candidates: Box<dyn Iterator<Item = IpAddr>> = match (lo, hi) {
        (IpAddr::V4(lo), IpAddr::V4(hi)) => {
            let (lo, hi) = (u32::from(lo), u32::from(hi));
            Box::new((lo.saturating_add(1)..hi).map(|a| IpAddr::from(a.to_be_bytes())))
        }
        (IpAddr::V6(lo), IpAddr::V6(hi)) => {
            let (lo, hi) = (u128::from(lo), u128::from(hi));
            Box::new((lo.saturating_add(1)..=hi).map(|a| IpAddr::from(a.to_be_bytes())))
        }
        _ => return None,
    };
    // Bounded: a pool is small, and a /64 must not make us scan forever.
    let addr = candidates
        .take(1 << 16)
        .find(|a| !ctx.leases.addresses.contains_key(a))?;
    ctx.leases.addresses.insert(addr, sa);
    Some(addr)
}
