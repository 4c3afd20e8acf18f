//! IKE SAs of one handle that a rekey replaced (RFC 7296 §2.18) or a simultaneous rekey made
//! redundant (§2.8.2), kept until deleted on their own SPIs, keys and Message IDs.
//!
//! A retired SA is a [`Gen`]: the per-SA fields of [`IkeSa`] (SPIs, role, keys, exchange
//! layer). Handling one of its messages swaps its `Gen` into the `IkeSa`, reuses the normal
//! sealing, window and retransmission code, and swaps it back; the CHILD_SAs are shared, as
//! §1.4 wants Child SA control messages accepted on the old SA until it is gone.

use std::net::SocketAddr;

use ikelab_wire::iana::{ExchangeType, NotifyType, ProtocolId};
use ikelab_wire::payload::PayloadBody;
use ikelab_wire::Parsed;

use super::exchange::{Exchanges, Purpose, RequestCheck};
use super::fragment::Reassembly;
use super::info::delete_ike;
use super::receive::OpenError;
use super::{notify, Ctx, IkeSa, Keys};
use crate::event::Direction;
use crate::violation::Violation;
use crate::{EngineError, Timestamp};

/// The per-SA part of an IKE SA (what a rekey replaces).
pub(crate) struct Gen {
    pub spi_i: u64,
    pub spi_r: u64,
    /// Whether we are this SA's initiator (after a rekey: whether we initiated the rekey).
    pub initiator: bool,
    pub keys: Option<Keys>,
    pub xchg: Exchanges,
    pub reassembly: Option<Reassembly>,
}

impl Gen {
    pub fn our_spi(&self) -> u64 {
        if self.initiator {
            self.spi_i
        } else {
            self.spi_r
        }
    }
}

/// What a retired SA waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Role {
    /// The peer deletes it (it created the SA that replaced it); forgotten at `deadline`.
    AwaitPeerDelete { deadline: Timestamp },
    /// Our Delete for it is in flight.
    Deleting,
    /// Created by the peer's IKE SA rekey while ours was in flight (§2.8.2): survives or not
    /// once ours is answered; `lowest` is the lowest nonce of its exchange.
    Candidate {
        lowest: Vec<u8>,
        deadline: Timestamp,
    },
    /// Deleted; kept until `until` to answer a retransmitted Delete.
    Done { until: Timestamp },
}

pub(crate) struct Retired {
    pub gen: Gen,
    pub role: Role,
}

impl Retired {
    pub fn next_timeout(&self) -> Option<Timestamp> {
        let role = match &self.role {
            Role::AwaitPeerDelete { deadline } | Role::Candidate { deadline, .. } => {
                Some(*deadline)
            }
            Role::Done { until } => Some(*until),
            Role::Deleting => None,
        };
        let out = self.gen.xchg.outstanding.as_ref().map(|o| o.deadline);
        match (role, out) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl IkeSa {
    /// Exchanges the current SA's per-SA fields with `g`.
    pub(crate) fn swap_gen(&mut self, g: &mut Gen) {
        core::mem::swap(&mut self.spi_i, &mut g.spi_i);
        core::mem::swap(&mut self.spi_r, &mut g.spi_r);
        core::mem::swap(&mut self.initiator, &mut g.initiator);
        core::mem::swap(&mut self.keys, &mut g.keys);
        core::mem::swap(&mut self.xchg, &mut g.xchg);
        core::mem::swap(&mut self.reassembly, &mut g.reassembly);
    }

    /// Runs `f` with retired SA `i` swapped in as the current one.
    pub(crate) fn with_retired<R>(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut Self, &mut Role) -> R,
    ) -> Option<R> {
        if i >= self.retired.len() {
            return None;
        }
        let mut r = self.retired.remove(i);
        self.swap_gen(&mut r.gen);
        let out = f(self, &mut r.role);
        self.swap_gen(&mut r.gen);
        self.retired.insert(i, r);
        Some(out)
    }

    /// The retired SA a message with these SPIs belongs to.
    pub(crate) fn retired_index(&self, spi_i: u64, spi_r: u64) -> Option<usize> {
        self.retired
            .iter()
            .position(|r| r.gen.spi_i == spi_i && r.gen.spi_r == spi_r)
    }

    /// Every SPI of ours this handle answers to (current and retired SAs).
    pub fn our_spis(&self) -> Vec<u64> {
        let mut v = vec![self.our_spi()];
        v.extend(self.retired.iter().map(|r| r.gen.our_spi()));
        v
    }

    /// Keeps `gen` as a retired SA; with [`Role::Deleting`] its Delete goes out at once (the
    /// last request on it, §1.3.2).
    pub(crate) fn retire(
        &mut self,
        ctx: &mut Ctx<'_>,
        gen: Gen,
        role: Role,
    ) -> Result<(), EngineError> {
        let deleting = role == Role::Deleting;
        self.retired.push(Retired { gen, role });
        self.spis_changed = true;
        if deleting {
            let i = self.retired.len() - 1;
            self.with_retired(i, |sa, _| {
                sa.request(
                    ctx,
                    ExchangeType::INFORMATIONAL,
                    vec![delete_ike()],
                    Purpose::DeleteIke,
                )
            })
            .unwrap_or(Ok(()))?;
        }
        Ok(())
    }

    /// How long a retired SA waits for the peer.
    pub(crate) fn retired_linger(&self) -> ikelab_policy::Duration {
        self.policy
            .retransmission
            .budget()
            .min(ikelab_policy::Duration::from_secs(300))
    }

    /// A message on the SPIs of retired SA `i`.
    pub(crate) fn on_retired_message(
        &mut self,
        ctx: &mut Ctx<'_>,
        i: usize,
        local: SocketAddr,
        remote: SocketAddr,
        raw: &[u8],
        parsed: Parsed,
    ) -> Result<(), EngineError> {
        self.with_retired(i, |sa, role| {
            sa.retired_message(ctx, role, local, remote, raw, parsed)
        })
        .unwrap_or(Ok(()))
    }

    fn retired_message(
        &mut self,
        ctx: &mut Ctx<'_>,
        role: &mut Role,
        local: SocketAddr,
        remote: SocketAddr,
        raw: &[u8],
        parsed: Parsed,
    ) -> Result<(), EngineError> {
        let msg = &parsed.message;
        let h = &msg.header;
        if h.flags.initiator() == self.initiator {
            self.violation(ctx, Violation::WrongInitiatorFlag);
            return Ok(());
        }
        if h.flags.response() {
            if !self.xchg.matches_outstanding(h.message_id) {
                return Ok(());
            }
            let Ok((inner, findings)) = self.decrypt(ctx, raw, msg) else {
                return Ok(());
            };
            self.trace(
                ctx,
                Direction::Received,
                h,
                true,
                &inner,
                false,
                findings,
                raw.len(),
            );
            if let Some(done) = self.xchg.outstanding.take() {
                if done.purpose == Purpose::DeleteIke {
                    *role = Role::Done { until: ctx.now };
                }
            }
            return Ok(());
        }
        match self.xchg.check_request(h.message_id) {
            RequestCheck::Retransmitted => {
                self.resend_cached(ctx);
                return Ok(());
            }
            RequestCheck::OutOfWindow { expected } => {
                self.violation(
                    ctx,
                    Violation::MessageIdOutsideWindow {
                        received: h.message_id,
                        expected,
                    },
                );
                return Ok(());
            }
            RequestCheck::New if matches!(role, Role::Done { .. }) => return Ok(()),
            RequestCheck::New => {}
        }
        let exchange = h.exchange_type;
        let (inner, findings) = match self.decrypt(ctx, raw, msg) {
            Ok(x) => x,
            Err(OpenError::Syntax(error)) => {
                self.violation(ctx, Violation::Malformed { error });
                return self.respond(
                    ctx,
                    exchange,
                    h.message_id,
                    vec![notify(NotifyType::INVALID_SYNTAX, Vec::new())],
                );
            }
            Err(_) => return Ok(()),
        };
        self.trace(
            ctx,
            Direction::Received,
            h,
            true,
            &inner,
            false,
            findings,
            raw.len(),
        );
        self.last_heard = ctx.now;
        self.path.local = local;
        self.path.remote = remote;
        match exchange {
            ExchangeType::INFORMATIONAL => {
                let deletes_ike = inner.iter().any(
                    |p| matches!(&p.body, PayloadBody::Delete(d) if d.protocol == ProtocolId::IKE),
                );
                if deletes_ike {
                    self.respond(ctx, exchange, h.message_id, Vec::new())?;
                    *role = Role::Done {
                        until: ctx.now + self.retired_linger(),
                    };
                    return Ok(());
                }
                // Child SA deletes and liveness checks still work on the old SA.
                self.on_info_request(ctx, h.message_id, &inner).map(|_| ())
            }
            // §2.25: this IKE SA is being closed.
            ExchangeType::CREATE_CHILD_SA => self.respond(
                ctx,
                exchange,
                h.message_id,
                vec![notify(NotifyType::TEMPORARY_FAILURE, Vec::new())],
            ),
            _ => {
                self.violation(
                    ctx,
                    Violation::UnexpectedExchange {
                        exchange,
                        state: "Retired",
                    },
                );
                Ok(())
            }
        }
    }

    /// Retransmissions and expiry of retired SAs.
    pub(crate) fn retired_timeouts(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EngineError> {
        let now = ctx.now;
        let mut i = self.retired.len();
        while i > 0 {
            i -= 1;
            if self.retired[i].next_timeout().is_none_or(|t| t > now) {
                continue;
            }
            let expired = match &self.retired[i].role {
                Role::Done { until } => *until <= now,
                Role::AwaitPeerDelete { deadline } | Role::Candidate { deadline, .. } => {
                    *deadline <= now
                }
                Role::Deleting => false,
            };
            if expired {
                self.retired.remove(i);
                self.spis_changed = true;
                continue;
            }
            self.with_retired(i, |sa, role| -> Result<(), EngineError> {
                if sa.retransmit_due(ctx)?.is_some() {
                    // The peer never answered on the old SA: nothing more to do there.
                    sa.xchg.outstanding = None;
                    *role = Role::Done { until: now };
                }
                Ok(())
            })
            .unwrap_or(Ok(()))?;
        }
        Ok(())
    }
}
