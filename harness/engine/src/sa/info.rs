//! INFORMATIONAL (RFC 7296 §1.4): liveness checks, Delete of CHILD_SAs and the IKE SA, error
//! notifications.

use ikelab_wire::iana::{ExchangeType, NotifyType, ProtocolId};
use ikelab_wire::payload::{DeletePayload, Payload, PayloadBody};

use super::exchange::Purpose;
use super::{notifies, Ctx, Followup, IkeSa};
use crate::event::{CloseReason, EventKind};
use crate::EngineError;

/// A Delete payload for ESP SAs (our inbound SPIs, §3.11).
pub(crate) fn delete_esp(spis: &[u32]) -> Payload {
    Payload::new(PayloadBody::Delete(DeletePayload {
        protocol: ProtocolId::ESP,
        spi_size: 4,
        spis: spis.iter().map(|s| s.to_be_bytes().to_vec()).collect(),
    }))
}

/// A Delete payload for the IKE SA itself (no SPIs, §3.11).
pub(crate) fn delete_ike() -> Payload {
    Payload::new(PayloadBody::Delete(DeletePayload {
        protocol: ProtocolId::IKE,
        spi_size: 0,
        spis: Vec::new(),
    }))
}

impl IkeSa {
    pub(crate) fn on_info_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        inner: &[Payload],
    ) -> Result<Followup, EngineError> {
        let x = ExchangeType::INFORMATIONAL;
        // RFC 4555 §3.5 address updates and RFC 5685 §5 redirects answer for themselves.
        if self.on_update_request(ctx, message_id, inner)?
            || self.info_redirect_request(ctx, message_id, inner)?
        {
            return Ok(Followup::default());
        }
        let mut delete_ike_sa = false;
        let mut ours = Vec::new();
        for p in inner {
            let PayloadBody::Delete(d) = &p.body else {
                continue;
            };
            match d.protocol {
                ProtocolId::IKE => delete_ike_sa = true,
                ProtocolId::ESP | ProtocolId::AH => {
                    // The peer lists its inbound SPIs: our outbound ones (§1.4.1).
                    for spi in &d.spis {
                        let Ok(spi) = <[u8; 4]>::try_from(spi.as_slice()).map(u32::from_be_bytes)
                        else {
                            continue;
                        };
                        if let Some(i) = self.children.iter().position(|c| c.spi_out == spi) {
                            let c = self.children.remove(i);
                            ctx.leases.esp_spis.remove(&c.spi_in);
                            // §1.4.1: crossing Deletes: our own Delete for this pair is in
                            // flight, so the response must not name it again.
                            if !self.deleting_child(c.spi_in) {
                                ours.push(c.spi_in);
                            }
                            ctx.event(
                                Some(self.handle),
                                EventKind::ChildSaDeleted {
                                    spi_in: c.spi_in,
                                    spi_out: c.spi_out,
                                    by_peer: true,
                                },
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        if delete_ike_sa {
            self.respond(ctx, x, message_id, Vec::new())?;
            // §2.8.2: the peer finished its IKE SA rekey without noticing ours and deletes
            // the old SA: its new SA (which we answered) carries on.
            let done = super::retired::Role::Done {
                until: ctx.now + self.retired_linger(),
            };
            if !self.promote_candidate(ctx, Some(done))? {
                self.close(ctx, CloseReason::DeletedByPeer);
            }
            return Ok(Followup::default());
        }
        // An initiator that rejected our IKE_AUTH response says so here (§2.21.2).
        let fatal = notifies(inner)
            .iter()
            .map(|n| n.notify_type)
            .find(|t| *t == NotifyType::AUTHENTICATION_FAILED);
        let mut response = if ours.is_empty() {
            Vec::new()
        } else {
            vec![delete_esp(&ours)]
        };
        // RFC 4555 §3.7: a COOKIE2 is copied as-is (a responder's return routability check).
        response.extend(super::routability::cookie2_echo(inner));
        self.respond(ctx, x, message_id, response)?;
        if let Some(n) = fatal {
            self.close(ctx, CloseReason::PeerError(n));
        }
        Ok(Followup::default())
    }

    pub(crate) fn on_info_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        purpose: Purpose,
        inner: &[Payload],
    ) -> Result<(), EngineError> {
        match purpose {
            Purpose::UpdateAddresses => self.on_update_response(ctx, inner)?,
            Purpose::ReturnRoutability => self.on_check_response(ctx, inner),
            Purpose::DeleteIke => self.close(ctx, CloseReason::DeletedLocally),
            Purpose::DeleteChild { spi_in } => {
                if let Some(i) = self.children.iter().position(|c| c.spi_in == spi_in) {
                    let c = self.children.remove(i);
                    ctx.event(
                        Some(self.handle),
                        EventKind::ChildSaDeleted {
                            spi_in: c.spi_in,
                            spi_out: c.spi_out,
                            by_peer: false,
                        },
                    );
                }
                ctx.leases.esp_spis.remove(&spi_in);
            }
            Purpose::Dpd
            | Purpose::ErrorNotice
            | Purpose::Redirect
            | Purpose::Init
            | Purpose::Auth
            | Purpose::CreateChild { .. } => {}
        }
        Ok(())
    }

    /// Starts deleting the IKE SA (and with it every CHILD_SA).
    pub(crate) fn delete(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EngineError> {
        self.request(
            ctx,
            ExchangeType::INFORMATIONAL,
            vec![delete_ike()],
            Purpose::DeleteIke,
        )
    }

    /// Starts deleting one CHILD_SA.
    pub(crate) fn delete_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        spi_in: u32,
    ) -> Result<(), EngineError> {
        if let Some(c) = self.child_mut(spi_in) {
            c.state = super::ChildState::Deleting;
            c.rekey_at = None;
        }
        self.request(
            ctx,
            ExchangeType::INFORMATIONAL,
            vec![delete_esp(&[spi_in])],
            Purpose::DeleteChild { spi_in },
        )
    }

    /// Sends a liveness check now.
    pub(crate) fn dpd(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EngineError> {
        self.request(ctx, ExchangeType::INFORMATIONAL, Vec::new(), Purpose::Dpd)
    }
}
