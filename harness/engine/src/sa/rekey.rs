//! IKE SA rekey (RFC 7296 §1.3.2, §2.18), simultaneous IKE SA rekeys (§2.8.2), and the
//! rekey timers of the policy lifetimes (§2.8: jittered so both peers rarely start at once).
//!
//! The new IKE SA keeps the [`crate::SaHandle`]: its per-SA fields replace the current ones and
//! the old SA becomes a retired [`Gen`] until its Delete is answered. The CHILD_SAs stay
//! where they are, which is what "moving them to the new IKE SA" means here.

use ikelab_crypto::keys::{derive_ike_sa_keys, rekey_skeyseed};
use ikelab_crypto::sk::SkContext;
use ikelab_crypto::KeyBytes;
use ikelab_policy::{Duration, Lifetime};
use ikelab_wire::iana::{ExchangeType, KeMethod, NotifyType, PayloadType};
use ikelab_wire::payload::{KePayload, Payload, PayloadBody, SaPayload};

use super::child::ChildState;
use super::create_child::{ke_payload, lowest, nonce, CreateKind, PendingCreate};
use super::exchange::{Exchanges, Purpose};
use super::init::NONCE_LEN;
use super::retired::{Gen, Role};
use super::{required, Ctx, IkeSa, Keys, State};
use crate::event::EventKind;
use crate::negotiate::{self, IkeChoice, IkeSelection};
use crate::violation::Violation;
use crate::{EngineError, Timestamp};

const X: ExchangeType = ExchangeType::CREATE_CHILD_SA;

fn spi_u64(spi: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(spi)
        .ok()
        .map(u64::from_be_bytes)
        .filter(|s| *s != 0)
}

impl IkeSa {
    /// `rekey_after` less a random part of `jitter`, from now; `None` when never.
    fn lifetime_deadline(
        ctx: &Ctx<'_>,
        lifetime: &Lifetime,
    ) -> Result<Option<Timestamp>, EngineError> {
        let Some(after) = lifetime.rekey_after else {
            return Ok(None);
        };
        // The jitter takes at most a tenth off (RFC 7296 §2.8.1: "jittered", not halved): a
        // short `rekey_after` with the default jitter still rekeys near its soft lifetime.
        let jitter = lifetime.jitter.as_micros().min(after.as_micros() / 10);
        let cut = if jitter == 0 {
            0
        } else {
            let mut b = [0u8; 8];
            ctx.config.rng.fill(&mut b)?;
            u64::from_be_bytes(b) % jitter
        };
        Ok(Some(
            ctx.now + Duration::from_micros(after.as_micros() - cut),
        ))
    }

    pub(crate) fn schedule_ike_rekey(&mut self, ctx: &Ctx<'_>) -> Result<(), EngineError> {
        self.ike_rekey_at = Self::lifetime_deadline(ctx, &self.policy.ike_lifetime)?;
        Ok(())
    }

    /// When a new CHILD_SA of policy `name` is due for rekeying.
    pub(crate) fn child_rekey_time(
        &self,
        ctx: &Ctx<'_>,
        name: &str,
    ) -> Result<Option<Timestamp>, EngineError> {
        let lifetime = self
            .child_policy(name)
            .map_or(Lifetime::CHILD_DEFAULT, |c| c.lifetime);
        Self::lifetime_deadline(ctx, &lifetime)
    }

    /// §2.25's "later" for a TEMPORARY_FAILURE: one to two initial retransmission timeouts.
    pub(crate) fn retry_delay(&self, ctx: &Ctx<'_>) -> Result<Duration, EngineError> {
        let base = self.policy.retransmission.timeout.as_micros().max(1);
        let r = u64::from(ctx.random_u32()?);
        Ok(Duration::from_micros(base + r % base))
    }

    /// The next rekey timer (established SAs only).
    pub(crate) fn rekey_due(&self) -> Option<Timestamp> {
        if !matches!(self.state, State::Established) {
            return None;
        }
        let children = self
            .children
            .iter()
            .filter(|c| c.state == ChildState::Installed)
            .filter_map(|c| c.rekey_at);
        children.chain(self.ike_rekey_at).min()
    }

    /// Starts the rekeys whose time has come.
    pub(crate) fn rekey_timeouts(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EngineError> {
        if !matches!(self.state, State::Established) {
            return Ok(());
        }
        let now = ctx.now;
        if self.ike_rekey_at.is_some_and(|t| t <= now) {
            self.ike_rekey_at = None;
            self.start_rekey_ike(ctx)?;
        }
        let due: Vec<u32> = self
            .children
            .iter()
            .filter(|c| c.state == ChildState::Installed && c.rekey_at.is_some_and(|t| t <= now))
            .map(|c| c.spi_in)
            .collect();
        for spi in due {
            self.start_rekey_child(ctx, spi)?;
        }
        Ok(())
    }

    /// The token of our IKE SA rekey, if one is queued or in flight.
    fn ike_rekey_token(&self) -> Option<u32> {
        self.creates
            .iter()
            .find(|(_, p)| matches!(p.kind, CreateKind::RekeyIke { .. }))
            .map(|(t, _)| *t)
    }

    fn outstanding_token(&self) -> Option<u32> {
        match self.xchg.outstanding.as_ref().map(|o| o.purpose) {
            Some(Purpose::CreateChild { token }) => Some(token),
            _ => None,
        }
    }

    /// Whether our IKE SA rekey request is on the wire.
    pub(crate) fn ike_rekey_in_flight(&self) -> bool {
        self.outstanding_token()
            .is_some_and(|t| Some(t) == self.ike_rekey_token())
    }

    /// §2.25.2: a CHILD_SA being created, rekeyed or deleted by a request of ours in flight.
    fn child_exchange_in_flight(&self) -> bool {
        match self.xchg.outstanding.as_ref().map(|o| o.purpose) {
            Some(Purpose::DeleteChild { .. }) => true,
            Some(Purpose::CreateChild { token }) => self
                .creates
                .get(&token)
                .is_some_and(|p| !matches!(p.kind, CreateKind::RekeyIke { .. })),
            _ => false,
        }
    }

    /// Our Delete of the CHILD_SA with this inbound SPI is on the wire (§1.4.1, §2.25.1).
    pub(crate) fn deleting_child(&self, spi_in: u32) -> bool {
        matches!(
            self.xchg.outstanding.as_ref().map(|o| o.purpose),
            Some(Purpose::DeleteChild { spi_in: s }) if s == spi_in
        )
    }

    /// We are closing the IKE SA: our Delete is queued or on the wire (§2.25.2).
    fn deleting_ike(&self) -> bool {
        self.xchg.outstanding.as_ref().map(|o| o.purpose) == Some(Purpose::DeleteIke)
            || self
                .xchg
                .queue
                .iter()
                .any(|q| q.purpose == Purpose::DeleteIke)
    }

    /// Starts rekeying the IKE SA (unless a rekey is already under way).
    pub(crate) fn start_rekey_ike(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EngineError> {
        if self.ike_rekey_token().is_some() {
            return Ok(());
        }
        let Some(keys) = &self.keys else {
            return Ok(());
        };
        let offered = negotiate::offer_ike(ctx.config.provider, &self.policy.ike_proposals);
        let Some(first) = offered.first() else {
            return Ok(());
        };
        // The current group when we offer it first: the responder most likely takes it.
        let current = keys.transforms.ke;
        let Some(group) = (if first.ke.contains(&current) {
            Some(current)
        } else {
            first.ke.first().copied()
        }) else {
            return Ok(());
        };
        let ke = ctx
            .config
            .provider
            .ke(group.0)?
            .generate(ctx.config.rng.as_ref())?;
        let spi_i = ctx.new_ike_spi()?;
        let offered = SaPayload {
            proposals: offered
                .iter()
                .enumerate()
                .map(|(i, p)| p.to_wire((i + 1).min(255) as u8, spi_i.to_be_bytes().to_vec()))
                .collect(),
        };
        let pending = PendingCreate {
            kind: CreateKind::RekeyIke { spi_i },
            nonce: ctx.random(NONCE_LEN)?,
            ke: Some(ke),
            offered,
            child: None,
            retries: 0,
            collision: None,
        };
        let inner = self.create_payloads(&pending);
        let token = self.next_token;
        self.next_token = self.next_token.wrapping_add(1);
        self.creates.insert(token, pending);
        self.request(ctx, X, inner, Purpose::CreateChild { token })
    }

    /// SKEYSEED from the old SK_d (§2.18) and the new SA's keys.
    #[allow(clippy::too_many_arguments)]
    fn rekeyed_gen(
        &self,
        choice: &IkeChoice,
        g_ir: &KeyBytes,
        ni: &[u8],
        nr: &[u8],
        spi_i: u64,
        spi_r: u64,
        initiator: bool,
    ) -> Result<Gen, EngineError> {
        let old =
            self.keys
                .as_ref()
                .ok_or(EngineError::Config(crate::ConfigError::NotEstablished(
                    self.handle.0,
                )))?;
        let seed = rekey_skeyseed(old.suite.prf, &old.keys.sk_d, g_ir.as_bytes(), ni, nr);
        let keys = derive_ike_sa_keys(
            &choice.suite,
            &seed,
            ni,
            nr,
            &spi_i.to_be_bytes(),
            &spi_r.to_be_bytes(),
        )?;
        let (seal, open) = if initiator {
            (keys.initiator(), keys.responder())
        } else {
            (keys.responder(), keys.initiator())
        };
        let seal = SkContext::from_suite(&choice.suite, seal)?;
        let open = SkContext::from_suite(&choice.suite, open)?;
        Ok(Gen {
            spi_i,
            spi_r,
            initiator,
            keys: Some(Keys {
                suite: choice.suite,
                keys,
                seal,
                open,
                transforms: choice.transforms.clone(),
            }),
            xchg: Exchanges::default(),
            reassembly: None,
        })
    }

    /// Key-log event for a generation that is not (yet) the current one.
    fn keylog_gen(&mut self, ctx: &mut Ctx<'_>, g: &mut Gen) {
        self.swap_gen(g);
        self.keylog(ctx);
        self.swap_gen(g);
    }

    /// Makes `new` the current IKE SA; the previous one is retired with `old_role`. Queued
    /// requests move to the new SA (§2.18: it starts at Message ID 0).
    fn switch_to(
        &mut self,
        ctx: &mut Ctx<'_>,
        mut new: Gen,
        old_role: Role,
    ) -> Result<(), EngineError> {
        self.swap_gen(&mut new);
        self.xchg.queue = core::mem::take(&mut new.xchg.queue);
        self.retire(ctx, new, old_role)?;
        self.schedule_ike_rekey(ctx)?;
        ctx.event(
            Some(self.handle),
            EventKind::IkeSaRekeyed {
                spi_i: self.spi_i,
                spi_r: self.spi_r,
            },
        );
        self.pump(ctx)
    }

    fn await_peer_delete(&self, ctx: &Ctx<'_>) -> Role {
        Role::AwaitPeerDelete {
            deadline: ctx.now + self.retired_linger(),
        }
    }

    /// The responder's IKE SA rekey: SA (with the peer's new SPI), Ni, KEi.
    pub(crate) fn on_ike_rekey_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        inner: &[Payload],
        sa: &SaPayload,
        ni: &[u8],
        ke: Option<&KePayload>,
    ) -> Result<(), EngineError> {
        let Some(ke) = ke else {
            let v = Violation::MissingPayload {
                exchange: X,
                payload: PayloadType::KE,
            };
            return self.refuse_create(ctx, message_id, v).map(|_| ());
        };
        if inner.iter().any(|p| {
            matches!(
                p.body,
                PayloadBody::TsInitiator(_) | PayloadBody::TsResponder(_)
            )
        }) {
            let v = Violation::MalformedCreateChild {
                reason: "traffic selectors in an IKE SA rekey".into(),
            };
            return self.refuse_create(ctx, message_id, v).map(|_| ());
        }
        // §2.25.2: also while we are closing the IKE SA the peer wants to rekey.
        if self.child_exchange_in_flight() || self.deleting_ike() {
            return self.temporary_failure(ctx, message_id);
        }
        let choice = match negotiate::select_ike_spi(
            ctx.config.provider,
            &self.policy.ike_proposals,
            sa,
            ke.group,
            8,
        ) {
            IkeSelection::Chosen(c) => c,
            IkeSelection::WrongGroup(wanted) => {
                let v = Violation::KeGroupMismatch {
                    received: ke.group,
                    wanted,
                };
                return self.refuse_create(ctx, message_id, v).map(|_| ());
            }
            IkeSelection::NoProposal => {
                return self
                    .refuse_create(ctx, message_id, Violation::NoProposalChosen)
                    .map(|_| ())
            }
        };
        let Some(spi_i) = spi_u64(&choice.spi) else {
            let v = Violation::MalformedCreateChild {
                reason: "zero IKE SPI in the rekey proposal".into(),
            };
            return self.refuse_create(ctx, message_id, v).map(|_| ());
        };
        let ours = ctx
            .config
            .provider
            .ke(choice.transforms.ke.0)?
            .generate(ctx.config.rng.as_ref())?;
        let g_ir = match ours.agree(&ke.data) {
            Ok(s) => s,
            Err(e) => {
                let v = Violation::InvalidKeData {
                    group: ke.group,
                    reason: e.to_string(),
                };
                return self.refuse_create(ctx, message_id, v).map(|_| ());
            }
        };
        let nr = ctx.random(NONCE_LEN)?;
        let spi_r = ctx.new_ike_spi()?;
        let out = vec![
            Payload::new(PayloadBody::Sa(
                choice.to_wire_with_spi(spi_r.to_be_bytes().to_vec()),
            )),
            Payload::new(PayloadBody::Nonce(nr.clone())),
            ke_payload(&ours),
        ];
        self.respond(ctx, X, message_id, out)?;
        let mut gen = self.rekeyed_gen(&choice, &g_ir, ni, &nr, spi_i, spi_r, false)?;
        self.keylog_gen(ctx, &mut gen);
        if self.ike_rekey_in_flight() {
            // §2.8.2: both rekeys complete; ours being answered decides which SA survives.
            let role = Role::Candidate {
                lowest: lowest(ni, &nr).to_vec(),
                deadline: ctx.now + self.retired_linger(),
            };
            return self.retire(ctx, gen, role);
        }
        // Our own rekey, only queued, is moot now.
        if let Some(t) = self.ike_rekey_token() {
            self.xchg
                .queue
                .retain(|q| q.purpose != Purpose::CreateChild { token: t });
            if let Some(p) = self.creates.remove(&t) {
                if let CreateKind::RekeyIke { spi_i } = p.kind {
                    ctx.leases.ike_spis.remove(&spi_i);
                }
            }
        }
        let role = self.await_peer_delete(ctx);
        self.switch_to(ctx, gen, role)
    }

    /// The responder's answer to our IKE SA rekey.
    pub(crate) fn finish_ike_rekey(
        &mut self,
        ctx: &mut Ctx<'_>,
        p: PendingCreate,
        inner: &[Payload],
    ) -> Result<(), EngineError> {
        let CreateKind::RekeyIke { spi_i } = p.kind else {
            return Ok(());
        };
        let checked = (|| -> Result<(IkeChoice, Vec<u8>, u64, KeyBytes), Violation> {
            let sa = required(inner, X, PayloadType::SA, |b| match b {
                PayloadBody::Sa(s) => Some(s),
                _ => None,
            })?;
            let nr = nonce(inner)?.clone();
            let ke = required(inner, X, PayloadType::KE, |b| match b {
                PayloadBody::Ke(k) => Some(k),
                _ => None,
            })?;
            let choice = negotiate::check_ike_choice(ctx.config.provider, &p.offered, sa)
                .map_err(|reason| Violation::InvalidProposalChoice { reason })?;
            let spi_r = spi_u64(&choice.spi).ok_or_else(|| Violation::InvalidProposalChoice {
                reason: "the rekey response's IKE SPI is not 8 non-zero octets".into(),
            })?;
            let Some(ours) = &p.ke else {
                return Err(Violation::ResponseKeMismatch);
            };
            if ke.group != choice.transforms.ke || ke.group != KeMethod(ours.method().id) {
                return Err(Violation::ResponseKeMismatch);
            }
            let g_ir = ours.agree(&ke.data).map_err(|e| Violation::InvalidKeData {
                group: ke.group,
                reason: e.to_string(),
            })?;
            Ok((choice, nr, spi_r, g_ir))
        })();
        let (choice, nr, spi_r, g_ir) = match checked {
            Ok(x) => x,
            Err(v) => {
                let n = v.notify().unwrap_or(NotifyType::INVALID_SYNTAX);
                self.violation(ctx, v);
                ctx.leases.ike_spis.remove(&spi_i);
                ctx.event(Some(self.handle), EventKind::IkeSaRekeyFailed { notify: n });
                return Ok(());
            }
        };
        let mut gen = self.rekeyed_gen(&choice, &g_ir, &p.nonce, &nr, spi_i, spi_r, true)?;
        self.keylog_gen(ctx, &mut gen);
        let ours_lowest = lowest(&p.nonce, &nr).to_vec();
        let candidate = self
            .retired
            .iter()
            .position(|r| matches!(&r.role, Role::Candidate { .. }));
        let Some(i) = candidate else {
            return self.switch_to(ctx, gen, Role::Deleting);
        };
        let theirs_lower = matches!(
            &self.retired[i].role,
            Role::Candidate { lowest, .. } if *lowest < ours_lowest
        );
        if theirs_lower {
            // §2.8.2: the SA with the lowest nonce is deleted by its creator (the peer); ours
            // survives and we delete the old one.
            self.retired[i].role = self.await_peer_delete(ctx);
            self.switch_to(ctx, gen, Role::Deleting)
        } else {
            // Ours has the lowest nonce: we delete it; the peer's survives and the peer
            // deletes the old SA.
            self.retire(ctx, gen, Role::Deleting)?;
            let c = self.retired.remove(i);
            let role = self.await_peer_delete(ctx);
            self.switch_to(ctx, c.gen, role)
        }
    }

    /// Our IKE SA rekey was refused. If the peer's own rekey went through meanwhile (we
    /// answered it), its SA is the new one (§2.8.2: it did not notice the collision).
    pub(crate) fn ike_rekey_refused(
        &mut self,
        ctx: &mut Ctx<'_>,
        n: NotifyType,
    ) -> Result<(), EngineError> {
        if self.promote_candidate(ctx, None)? {
            return Ok(());
        }
        if n == NotifyType::TEMPORARY_FAILURE {
            if self.temporary_failure_received(ctx)? {
                return Ok(());
            }
            self.ike_rekey_at = Some(ctx.now + self.retry_delay(ctx)?);
        } else {
            ctx.event(Some(self.handle), EventKind::IkeSaRekeyFailed { notify: n });
        }
        Ok(())
    }

    /// Makes the peer's colliding IKE SA the current one, if there is one. `old_role`: what
    /// the current SA becomes (default: wait for the peer's Delete). Our own IKE SA rekey is
    /// forgotten.
    pub(crate) fn promote_candidate(
        &mut self,
        ctx: &mut Ctx<'_>,
        old_role: Option<Role>,
    ) -> Result<bool, EngineError> {
        let Some(i) = self
            .retired
            .iter()
            .position(|r| matches!(r.role, Role::Candidate { .. }))
        else {
            return Ok(false);
        };
        if let Some(t) = self.ike_rekey_token() {
            self.xchg
                .queue
                .retain(|q| q.purpose != Purpose::CreateChild { token: t });
            if let Some(p) = self.creates.remove(&t) {
                if let CreateKind::RekeyIke { spi_i } = p.kind {
                    ctx.leases.ike_spis.remove(&spi_i);
                }
            }
        }
        if matches!(old_role, Some(Role::Done { .. })) {
            // The peer deleted the old SA: our request on it (our crossed rekey) died with
            // it and is never retransmitted (§2.25.2).
            self.xchg.outstanding = None;
        }
        let c = self.retired.remove(i);
        let role = old_role.unwrap_or_else(|| self.await_peer_delete(ctx));
        self.switch_to(ctx, c.gen, role)?;
        Ok(true)
    }
}
