//! CREATE_CHILD_SA for CHILD_SAs (RFC 7296 §1.3.1, §1.3.3, §2.8, §2.17): additional SAs and
//! rekeys, with or without PFS, both roles; the simultaneous-rekey rule of §2.8.1 and the
//! collision answers of §2.25. IKE SA rekeys (§1.3.2) are in `rekey`.

use ikelab_crypto::ke::KePrivate;
use ikelab_crypto::KeyBytes;
use ikelab_policy::{ChildPolicy, Mode};
use ikelab_wire::iana::{ExchangeType, KeMethod, NotifyType, PayloadType, ProtocolId};
use ikelab_wire::payload::{
    AddressRange, KePayload, NotifyPayload, Payload, PayloadBody, SaPayload, TsPayload,
};

use super::auth::{ranges, resolve, ts_payload};
use super::child::{ChildState, NewChild};
use super::exchange::Purpose;
use super::info::delete_esp;
use super::init::NONCE_LEN;
use super::{error_notify, has_notify, notifies, notify, required, single, Ctx, Followup, IkeSa};
use crate::event::EventKind;
use crate::negotiate::{self, EspChoice, EspSelection};
use crate::violation::Violation;
use crate::EngineError;

const X: ExchangeType = ExchangeType::CREATE_CHILD_SA;

/// What one of our CREATE_CHILD_SA requests does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreateKind {
    /// An additional CHILD_SA.
    Child,
    /// Rekeys the CHILD_SA with this inbound SPI.
    RekeyChild { old: u32 },
    /// Rekeys the IKE SA; `spi_i` is our new SPI.
    RekeyIke { spi_i: u64 },
}

/// The CHILD_SA half of a pending request.
pub(crate) struct ChildRequest {
    pub name: String,
    pub spi_in: u32,
    pub tsi: Vec<AddressRange>,
    pub tsr: Vec<AddressRange>,
    pub mode: Mode,
}

/// Our CREATE_CHILD_SA request, queued or in flight.
pub(crate) struct PendingCreate {
    pub kind: CreateKind,
    pub nonce: Vec<u8>,
    pub ke: Option<KePrivate>,
    pub offered: SaPayload,
    pub child: Option<ChildRequest>,
    /// INVALID_KE_PAYLOAD round trips so far.
    pub retries: u32,
    /// §2.8.1/§2.8.2: the peer rekeyed the same SA while this request was in flight; the
    /// lowest nonce of its exchange.
    pub collision: Option<Vec<u8>>,
}

/// The lowest of two nonces, octet by octet (a prefix is lower), as §2.8.1 defines it.
pub(crate) fn lowest<'a>(a: &'a [u8], b: &'a [u8]) -> &'a [u8] {
    a.min(b)
}

fn sa_of(b: &PayloadBody) -> Option<&SaPayload> {
    match b {
        PayloadBody::Sa(s) => Some(s),
        _ => None,
    }
}
fn nonce_of(b: &PayloadBody) -> Option<&Vec<u8>> {
    match b {
        PayloadBody::Nonce(n) => Some(n),
        _ => None,
    }
}
fn ke_of(b: &PayloadBody) -> Option<&KePayload> {
    match b {
        PayloadBody::Ke(k) => Some(k),
        _ => None,
    }
}
fn tsi_of(b: &PayloadBody) -> Option<&TsPayload> {
    match b {
        PayloadBody::TsInitiator(t) => Some(t),
        _ => None,
    }
}
fn tsr_of(b: &PayloadBody) -> Option<&TsPayload> {
    match b {
        PayloadBody::TsResponder(t) => Some(t),
        _ => None,
    }
}

/// The Nonce of a CREATE_CHILD_SA message, checked against §2.10.
pub(crate) fn nonce(inner: &[Payload]) -> Result<&Vec<u8>, Violation> {
    let n = required(inner, X, PayloadType::NONCE, nonce_of)?;
    if !(16..=256).contains(&n.len()) {
        return Err(Violation::NonceLength { len: n.len() });
    }
    Ok(n)
}

pub(crate) fn ke_payload(ke: &KePrivate) -> Payload {
    Payload::new(PayloadBody::Ke(KePayload {
        group: KeMethod(ke.method().id),
        reserved: 0,
        data: ke.public_value().to_vec(),
    }))
}

/// A notify about one ESP SA (REKEY_SA, CHILD_SA_NOT_FOUND: §3.10 puts the SPI in it).
fn esp_notify(t: NotifyType, spi: u32) -> Payload {
    Payload::new(PayloadBody::Notify(NotifyPayload {
        protocol: ProtocolId::ESP,
        spi: spi.to_be_bytes().to_vec(),
        notify_type: t,
        data: Vec::new(),
    }))
}

impl IkeSa {
    pub(crate) fn child_policy(&self, name: &str) -> Option<ChildPolicy> {
        self.policy
            .children
            .iter()
            .find(|c| c.name == name)
            .cloned()
    }

    /// The KE method our first PFS proposal names first (§1.3.1: KEi must be of the group
    /// the initiator expects the responder to accept).
    fn pfs_group(offered: &[ikelab_policy::ChildProposal]) -> Option<KeMethod> {
        offered
            .first()
            .and_then(|p| p.ke.first())
            .copied()
            .filter(|k| *k != KeMethod::NONE)
    }

    fn next_token(&mut self) -> u32 {
        let t = self.next_token;
        self.next_token = self.next_token.wrapping_add(1);
        t
    }

    /// Starts an additional CHILD_SA for the policy's CHILD_SA `name`.
    pub(crate) fn start_create_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        policy: &ChildPolicy,
    ) -> Result<(), EngineError> {
        let local: Vec<_> = if self.virtual_ips.is_empty() {
            vec![self.path.local.ip()]
        } else {
            self.virtual_ips.clone()
        };
        let tsi = resolve(&policy.local_ts, &local, false);
        let tsr = resolve(&policy.remote_ts, &[self.path.remote.ip()], false);
        self.start_child_request(ctx, policy, CreateKind::Child, tsi, tsr, policy.mode)
    }

    /// Starts rekeying our CHILD_SA with inbound SPI `old` (same selectors and mode, §2.8).
    pub(crate) fn start_rekey_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        old: u32,
    ) -> Result<(), EngineError> {
        let Some(c) = self.children.iter().find(|c| c.spi_in == old) else {
            return Ok(());
        };
        if c.state != ChildState::Installed {
            return Ok(()); // Already being rekeyed or deleted.
        }
        let (tsi, tsr, mode) = (c.local_ts.clone(), c.remote_ts.clone(), c.mode);
        let policy = self.child_policy(&c.name).unwrap_or_else(|| ChildPolicy {
            name: c.name.clone(),
            ..ChildPolicy::default()
        });
        self.start_child_request(ctx, &policy, CreateKind::RekeyChild { old }, tsi, tsr, mode)
    }

    pub(super) fn start_child_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        policy: &ChildPolicy,
        kind: CreateKind,
        tsi: Vec<AddressRange>,
        tsr: Vec<AddressRange>,
        mode: Mode,
    ) -> Result<(), EngineError> {
        let offered = negotiate::offer_esp_pfs(ctx.config.provider, &policy.proposals);
        let ke = match Self::pfs_group(&offered) {
            Some(g) => Some(
                ctx.config
                    .provider
                    .ke(g.0)?
                    .generate(ctx.config.rng.as_ref())?,
            ),
            None => None,
        };
        let spi_in = ctx.new_esp_spi()?;
        let offered = SaPayload {
            proposals: offered
                .iter()
                .enumerate()
                .map(|(i, p)| p.to_wire((i + 1).min(255) as u8, spi_in))
                .collect(),
        };
        let token = self.next_token();
        if let CreateKind::RekeyChild { old } = kind {
            if let Some(c) = self.child_mut(old) {
                c.state = ChildState::Rekeying { token };
                c.rekey_at = None;
            }
        }
        let pending = PendingCreate {
            kind,
            nonce: ctx.random(NONCE_LEN)?,
            ke,
            offered,
            child: Some(ChildRequest {
                name: policy.name.clone(),
                spi_in,
                tsi,
                tsr,
                mode,
            }),
            retries: 0,
            collision: None,
        };
        let inner = self.create_payloads(&pending);
        self.creates.insert(token, pending);
        self.request(ctx, X, inner, Purpose::CreateChild { token })
    }

    /// The request's payloads (§1.3.1, §1.3.2): [N(REKEY_SA)], [N(USE_TRANSPORT_MODE)], SA,
    /// Ni, [KEi], [TSi, TSr].
    pub(crate) fn create_payloads(&self, p: &PendingCreate) -> Vec<Payload> {
        let f = &self.policy.features;
        let mut inner = Vec::new();
        if let CreateKind::RekeyChild { old } = p.kind {
            inner.push(esp_notify(NotifyType::REKEY_SA, old));
        }
        if let Some(c) = &p.child {
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
        }
        inner.push(Payload::new(PayloadBody::Sa(p.offered.clone())));
        inner.push(Payload::new(PayloadBody::Nonce(p.nonce.clone())));
        if let Some(ke) = &p.ke {
            inner.push(ke_payload(ke));
        }
        if let Some(c) = &p.child {
            inner.push(Payload::new(PayloadBody::TsInitiator(ts_payload(&c.tsi))));
            inner.push(Payload::new(PayloadBody::TsResponder(ts_payload(&c.tsr))));
        }
        inner
    }

    /// The response to one of our CREATE_CHILD_SA requests.
    pub(crate) fn on_create_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        token: u32,
        inner: &[Payload],
    ) -> Result<(), EngineError> {
        let Some(mut p) = self.creates.remove(&token) else {
            return Ok(());
        };
        if let Some(n) = notifies(inner)
            .into_iter()
            .find(|n| n.notify_type == NotifyType::INVALID_KE_PAYLOAD)
        {
            match n.invalid_ke_group() {
                Some(group) if self.may_retry_with(ctx, &p, group) => {
                    // §1.3: the same request again with a KE payload of the group asked for.
                    p.retries += 1;
                    p.ke = Some(
                        ctx.config
                            .provider
                            .ke(group.0)?
                            .generate(ctx.config.rng.as_ref())?,
                    );
                    let inner = self.create_payloads(&p);
                    self.creates.insert(token, p);
                    return self.request(ctx, X, inner, Purpose::CreateChild { token });
                }
                Some(group) => {
                    self.violation(ctx, Violation::InvalidKeGroupNotOffered { group });
                }
                None => self.violation(
                    ctx,
                    Violation::Malformed {
                        error: "INVALID_KE_PAYLOAD without a 2-octet group".into(),
                    },
                ),
            }
            return self.create_failed(ctx, p, NotifyType::INVALID_KE_PAYLOAD);
        }
        if let Some(err) = error_notify(inner) {
            return self.create_failed(ctx, p, err);
        }
        self.temporary_failure_since = None;
        match p.kind {
            CreateKind::RekeyIke { .. } => self.finish_ike_rekey(ctx, p, inner),
            _ => self.finish_child(ctx, p, inner),
        }
    }

    /// Whether an INVALID_KE_PAYLOAD naming `group` may be retried: the group was offered, is
    /// not the one we sent, and the retry budget is not spent.
    fn may_retry_with(&self, ctx: &Ctx<'_>, p: &PendingCreate, group: KeMethod) -> bool {
        let offered = p
            .offered
            .proposals
            .iter()
            .flat_map(|x| &x.transforms)
            .any(|t| {
                t.transform_type == ikelab_wire::iana::TransformType::KE
                    && t.id == group.0
                    && group != KeMethod::NONE
            });
        let same = p.ke.as_ref().is_some_and(|k| k.method().id == group.0);
        offered && !same && p.retries < ctx.config.max_init_retries
    }

    /// Our request's response was unusable: treated like a refusal with `n`.
    pub(crate) fn create_abandoned(
        &mut self,
        ctx: &mut Ctx<'_>,
        token: u32,
        n: NotifyType,
    ) -> Result<(), EngineError> {
        match self.creates.remove(&token) {
            Some(p) => self.create_failed(ctx, p, n),
            None => Ok(()),
        }
    }

    /// The peer refused our request (§2.21.3: the IKE SA stays).
    pub(crate) fn create_failed(
        &mut self,
        ctx: &mut Ctx<'_>,
        p: PendingCreate,
        n: NotifyType,
    ) -> Result<(), EngineError> {
        if let Some(c) = &p.child {
            ctx.leases.esp_spis.remove(&c.spi_in);
        }
        match p.kind {
            CreateKind::Child => {
                ctx.event(Some(self.handle), EventKind::ChildSaFailed { notify: n });
            }
            CreateKind::RekeyChild { old } => {
                if n == NotifyType::TEMPORARY_FAILURE && self.temporary_failure_received(ctx)? {
                    return Ok(());
                }
                let retry = self.retry_delay(ctx)?;
                let now = ctx.now;
                match n {
                    // §2.25: the peer does not know the SA: it is gone there.
                    NotifyType::CHILD_SA_NOT_FOUND => self.rekey_child_not_found(ctx, old)?,
                    // §4: refused as one SA too many: delete it, then create a new one.
                    NotifyType::NO_ADDITIONAL_SAS if p.collision.is_none() => {
                        self.rekey_child_no_additional_sas(ctx, old)?
                    }
                    _ => {
                        let peer_rekeyed = p.collision.is_some();
                        if let Some(c) = self.child_mut(old) {
                            if peer_rekeyed {
                                // §2.8.1: the peer's rekey of it went through; it deletes it.
                                c.state = ChildState::Superseded { by_us: false };
                            } else if matches!(c.state, ChildState::Rekeying { .. }) {
                                c.state = ChildState::Installed;
                                // §2.25: TEMPORARY_FAILURE is retried a little later; other
                                // refusals are reported and not retried.
                                c.rekey_at =
                                    (n == NotifyType::TEMPORARY_FAILURE).then(|| now + retry);
                            }
                        }
                        if n != NotifyType::TEMPORARY_FAILURE && !peer_rekeyed {
                            ctx.event(Some(self.handle), EventKind::ChildSaFailed { notify: n });
                        }
                    }
                }
            }
            CreateKind::RekeyIke { spi_i } => {
                ctx.leases.ike_spis.remove(&spi_i);
                self.ike_rekey_refused(ctx, n)?;
            }
        }
        Ok(())
    }

    /// The responder's CHILD_SA in its CREATE_CHILD_SA response.
    fn finish_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        p: PendingCreate,
        inner: &[Payload],
    ) -> Result<(), EngineError> {
        let Some(req) = &p.child else {
            return Ok(());
        };
        let checked = (|| -> Result<(EspChoice, Vec<u8>, Option<KeyBytes>, _, _), Violation> {
            let sa = required(inner, X, PayloadType::SA, sa_of)?;
            let nr = nonce(inner)?.clone();
            let choice = negotiate::check_esp_choice(ctx.config.provider, &p.offered, sa)
                .map_err(|reason| Violation::InvalidProposalChoice { reason })?;
            let ke = single(inner, X, PayloadType::KE, ke_of)?;
            let g_ir = match (choice.ke, ke, &p.ke) {
                (None, _, _) => None,
                (Some(g), Some(ke), Some(ours)) if ke.group == g && g.0 == ours.method().id => {
                    Some(ours.agree(&ke.data).map_err(|e| Violation::InvalidKeData {
                        group: g,
                        reason: e.to_string(),
                    })?)
                }
                (Some(_), None, _) => {
                    return Err(Violation::MissingPayload {
                        exchange: X,
                        payload: PayloadType::KE,
                    })
                }
                _ => return Err(Violation::ResponseKeMismatch),
            };
            let tsi = ranges(required(inner, X, PayloadType::TSI, tsi_of)?);
            let tsr = ranges(required(inner, X, PayloadType::TSR, tsr_of)?);
            if !negotiate::is_narrowing(&tsi, &req.tsi) || !negotiate::is_narrowing(&tsr, &req.tsr)
            {
                return Err(Violation::TsNotNarrowed);
            }
            Ok((choice, nr, g_ir, tsi, tsr))
        })();
        let (choice, nr, g_ir, tsi, tsr) = match checked {
            Ok(x) => x,
            Err(v) => {
                // The responder created its half: delete it (§1.4.1), keep the IKE SA.
                self.violation(ctx, v);
                let spi_in = req.spi_in;
                let kind = p.kind;
                ctx.event(
                    Some(self.handle),
                    EventKind::ChildSaFailed {
                        notify: NotifyType::NO_PROPOSAL_CHOSEN,
                    },
                );
                if let CreateKind::RekeyChild { old } = kind {
                    if let Some(c) = self.child_mut(old) {
                        c.state = ChildState::Installed;
                    }
                }
                return self.request(
                    ctx,
                    ExchangeType::INFORMATIONAL,
                    vec![delete_esp(&[spi_in])],
                    Purpose::DeleteChild { spi_in },
                );
            }
        };
        let transport =
            has_notify(inner, NotifyType::USE_TRANSPORT_MODE) && req.mode == Mode::Transport;
        let rekey_of = match p.kind {
            CreateKind::RekeyChild { old } => Some(old),
            _ => None,
        };
        let new_spi = req.spi_in;
        let ours_lowest = lowest(&p.nonce, &nr).to_vec();
        // §2.8.1: the SA created with the lowest of the four nonces is closed by the
        // endpoint that created it; the old SA is deleted by whoever created the survivor.
        let lost_collision = rekey_of.is_some()
            && p.collision
                .as_ref()
                .is_some_and(|theirs| ours_lowest < *theirs);
        self.install_child(
            ctx,
            NewChild {
                name: req.name.clone(),
                choice,
                spi_in: req.spi_in,
                mode: if transport {
                    Mode::Transport
                } else {
                    Mode::Tunnel
                },
                local_ts: tsi,
                remote_ts: tsr,
                exchange_initiator: true,
                ni: p.nonce.clone(),
                nr,
                g_ir,
                rekey_of,
                lost_collision,
            },
        )?;
        let Some(old) = rekey_of else {
            return Ok(());
        };
        if lost_collision {
            if let Some(c) = self.child_mut(old) {
                c.state = ChildState::Superseded { by_us: false };
            }
            self.delete_child(ctx, new_spi)
        } else if self.children.iter().any(|c| c.spi_in == old) {
            self.delete_child(ctx, old)
        } else {
            Ok(())
        }
    }

    /// The responder side of CREATE_CHILD_SA: IKE SA rekey, CHILD_SA rekey, or an additional
    /// CHILD_SA. Every refusal is a Notify in the response; the IKE SA stays (§2.21.3).
    pub(crate) fn on_create_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        inner: &[Payload],
    ) -> Result<Followup, EngineError> {
        let parsed = (|| -> Result<_, Violation> {
            let sa = required(inner, X, PayloadType::SA, sa_of)?;
            let ni = nonce(inner)?;
            let ke = single(inner, X, PayloadType::KE, ke_of)?;
            Ok((sa, ni, ke))
        })();
        let (sa, ni, ke) = match parsed {
            Ok(x) => x,
            Err(v) => return self.refuse_create(ctx, message_id, v),
        };
        if sa
            .proposals
            .first()
            .is_some_and(|p| p.protocol == ProtocolId::IKE)
        {
            self.on_ike_rekey_request(ctx, message_id, inner, sa, ni, ke)?;
            return Ok(Followup::default());
        }
        self.on_child_request(ctx, message_id, inner, sa, ni, ke)?;
        Ok(Followup::default())
    }

    /// Answers with the violation's Notify and reports it.
    pub(crate) fn refuse_create(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        v: Violation,
    ) -> Result<Followup, EngineError> {
        let n = v.notify().unwrap_or(NotifyType::INVALID_SYNTAX);
        let data = match &v {
            Violation::KeGroupMismatch { wanted, .. } => wanted.0.to_be_bytes().to_vec(),
            _ => Vec::new(),
        };
        let payload = match &v {
            Violation::RekeyOfUnknownChild { spi } => esp_notify(n, *spi),
            _ => notify(n, data),
        };
        self.violation(ctx, v);
        self.respond(ctx, X, message_id, vec![payload])?;
        Ok(Followup::default())
    }

    /// §2.25: TEMPORARY_FAILURE for a request that collides with one of ours.
    pub(crate) fn temporary_failure(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
    ) -> Result<(), EngineError> {
        self.respond(
            ctx,
            X,
            message_id,
            vec![notify(NotifyType::TEMPORARY_FAILURE, Vec::new())],
        )
    }

    fn on_child_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        inner: &[Payload],
        sa: &SaPayload,
        ni: &[u8],
        ke: Option<&KePayload>,
    ) -> Result<(), EngineError> {
        let rekey = notifies(inner)
            .into_iter()
            .find(|n| n.notify_type == NotifyType::REKEY_SA);
        let old = match rekey {
            Some(n) => {
                let esp_or_ah = n.protocol == ProtocolId::ESP || n.protocol == ProtocolId::AH;
                let spi = <[u8; 4]>::try_from(n.spi.as_slice()).map(u32::from_be_bytes);
                let Ok(spi) = spi.ok().filter(|_| esp_or_ah).ok_or(()) else {
                    let v = Violation::InvalidRekeySa {
                        protocol: n.protocol,
                        spi_len: n.spi.len(),
                    };
                    self.refuse_create(ctx, message_id, v)?;
                    return Ok(());
                };
                // The peer names its inbound SPI: our outbound one (as in Delete, §1.4.1).
                let Some(c) = self
                    .children
                    .iter()
                    .find(|c| c.spi_out == spi && n.protocol == ProtocolId::ESP)
                else {
                    self.refuse_create(ctx, message_id, Violation::RekeyOfUnknownChild { spi })?;
                    return Ok(());
                };
                // §2.25: an SA we are closing (or already replaced) is not rekeyed.
                if matches!(
                    c.state,
                    ChildState::Deleting | ChildState::Superseded { by_us: true }
                ) {
                    return self.temporary_failure(ctx, message_id);
                }
                Some(c.clone())
            }
            None => None,
        };
        // §2.25.2: no CHILD_SA is created or rekeyed while we rekey the IKE SA.
        if self.ike_rekey_in_flight() {
            return self.temporary_failure(ctx, message_id);
        }
        let ts = (|| -> Result<_, Violation> {
            Ok((
                ranges(required(inner, X, PayloadType::TSI, tsi_of)?),
                ranges(required(inner, X, PayloadType::TSR, tsr_of)?),
            ))
        })();
        let (tsi, tsr) = match ts {
            Ok(x) => x,
            Err(v) => {
                self.refuse_create(ctx, message_id, v)?;
                return Ok(());
            }
        };
        let ke_group = ke.map(|k| k.group);
        // Candidates: the rekeyed SA's own policy and selectors, or every CHILD_SA policy.
        let candidates: Vec<(ChildPolicy, Vec<AddressRange>, Vec<AddressRange>)> = match &old {
            Some(c) => vec![(
                self.child_policy(&c.name).unwrap_or_else(|| ChildPolicy {
                    name: c.name.clone(),
                    ..ChildPolicy::default()
                }),
                c.remote_ts.clone(),
                c.local_ts.clone(),
            )],
            None => {
                let peer = self.peer_addresses(ctx, &tsi);
                let local = [self.path.local.ip()];
                self.policy
                    .children
                    .iter()
                    .map(|p| {
                        (
                            p.clone(),
                            resolve(&p.remote_ts, &peer, false),
                            resolve(&p.local_ts, &local, false),
                        )
                    })
                    .collect()
            }
        };
        let mut refusal = Violation::NoProposalChosen;
        let mut chosen = None;
        for (policy, remote, local) in candidates {
            match negotiate::select_esp_ke(ctx.config.provider, &policy.proposals, sa, ke_group) {
                EspSelection::Chosen(c) => {
                    let n_tsi = negotiate::narrow(&tsi, &remote);
                    let n_tsr = negotiate::narrow(&tsr, &local);
                    if n_tsi.is_empty() || n_tsr.is_empty() {
                        refusal = Violation::TsUnacceptable;
                        continue;
                    }
                    chosen = Some((policy, c, n_tsi, n_tsr));
                    break;
                }
                EspSelection::WrongGroup(wanted) => {
                    if !matches!(refusal, Violation::KeGroupMismatch { .. }) {
                        refusal = Violation::KeGroupMismatch {
                            received: ke_group.unwrap_or(KeMethod::NONE),
                            wanted,
                        };
                    }
                }
                EspSelection::NoProposal => {}
            }
        }
        let Some((policy, choice, n_tsi, n_tsr)) = chosen else {
            self.refuse_create(ctx, message_id, refusal)?;
            return Ok(());
        };
        let (ours, g_ir) = match (choice.ke, ke) {
            (Some(g), Some(ke)) => {
                let ours = ctx
                    .config
                    .provider
                    .ke(g.0)?
                    .generate(ctx.config.rng.as_ref())?;
                match ours.agree(&ke.data) {
                    Ok(s) => (Some(ours), Some(s)),
                    Err(e) => {
                        let v = Violation::InvalidKeData {
                            group: g,
                            reason: e.to_string(),
                        };
                        self.refuse_create(ctx, message_id, v)?;
                        return Ok(());
                    }
                }
            }
            _ => (None, None),
        };
        let want_transport = old.as_ref().map_or(policy.mode == Mode::Transport, |c| {
            c.mode == Mode::Transport
        });
        let transport = has_notify(inner, NotifyType::USE_TRANSPORT_MODE) && want_transport;
        let spi_in = ctx.new_esp_spi()?;
        let nr = ctx.random(NONCE_LEN)?;
        let mut out = Vec::new();
        if transport {
            out.push(notify(NotifyType::USE_TRANSPORT_MODE, Vec::new()));
        }
        out.push(Payload::new(PayloadBody::Sa(choice.to_wire(spi_in))));
        out.push(Payload::new(PayloadBody::Nonce(nr.clone())));
        if let Some(k) = &ours {
            out.push(ke_payload(k));
        }
        out.push(Payload::new(PayloadBody::TsInitiator(ts_payload(&n_tsi))));
        out.push(Payload::new(PayloadBody::TsResponder(ts_payload(&n_tsr))));
        self.respond(ctx, X, message_id, out)?;
        let their_lowest = lowest(ni, &nr).to_vec();
        self.install_child(
            ctx,
            NewChild {
                name: old.as_ref().map_or(policy.name.clone(), |c| c.name.clone()),
                choice,
                spi_in,
                mode: if transport {
                    Mode::Transport
                } else {
                    Mode::Tunnel
                },
                local_ts: n_tsr,
                remote_ts: n_tsi,
                exchange_initiator: false,
                ni: ni.to_vec(),
                nr,
                g_ir,
                rekey_of: old.as_ref().map(|c| c.spi_in),
                lost_collision: false,
            },
        )?;
        if let Some(old) = old {
            self.peer_rekeyed_child(ctx, old.spi_in, old.state, their_lowest);
        }
        Ok(())
    }

    /// The peer replaced our CHILD_SA `old`: it will delete it. If our own rekey of it is in
    /// flight, both exchanges complete and §2.8.1 decides when ours is answered; if it is only
    /// queued, it is dropped.
    fn peer_rekeyed_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        old: u32,
        state: ChildState,
        their_lowest: Vec<u8>,
    ) {
        let mut superseded = true;
        if let ChildState::Rekeying { token } = state {
            let purpose = Purpose::CreateChild { token };
            if self
                .xchg
                .outstanding
                .as_ref()
                .is_some_and(|o| o.purpose == purpose)
            {
                if let Some(p) = self.creates.get_mut(&token) {
                    p.collision = Some(their_lowest);
                    superseded = false;
                }
            } else {
                self.xchg.queue.retain(|q| q.purpose != purpose);
                if let Some(p) = self.creates.remove(&token) {
                    if let Some(c) = p.child {
                        ctx.leases.esp_spis.remove(&c.spi_in);
                    }
                }
            }
        }
        if let Some(c) = self.child_mut(old) {
            c.rekey_at = None;
            if superseded {
                c.state = ChildState::Superseded { by_us: false };
            }
        }
    }

    /// The initiator's addresses for its dynamic selectors: what the pool gave it, else its
    /// address and (behind a NAT, §2.23.1) the single hosts it proposes.
    fn peer_addresses(&self, ctx: &Ctx<'_>, tsi: &[AddressRange]) -> Vec<std::net::IpAddr> {
        let leased: Vec<_> = ctx
            .leases
            .addresses
            .iter()
            .filter(|(_, h)| **h == self.handle)
            .map(|(a, _)| *a)
            .collect();
        if !leased.is_empty() {
            return leased;
        }
        let mut out = vec![self.path.remote.ip()];
        if self.nat.remote {
            out.extend(
                tsi.iter()
                    .filter(|r| r.start_address == r.end_address)
                    .map(|r| r.start_address),
            );
        }
        out
    }
}
