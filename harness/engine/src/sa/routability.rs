//! MOBIKE return routability check (RFC 4555 §3.5, §3.7): a responder verifies the
//! initiator's new address before it sends ESP there.
//!
//! RFC 4555 §3.5, the responder's steps after an UPDATE_SA_ADDRESSES: "Reply to the
//! INFORMATIONAL request. If necessary, initiate a return routability check for the new
//! initiator address (see Section 3.7) and wait until the check is completed. Update the
//! IPsec SAs to use the new addresses."
//!
//! §3.7: "By default, this "return routability check" SHOULD be performed." and "By default,
//! the return routability check SHOULD be done before updating the IPsec SAs". "The sender of
//! an INFORMATIONAL request MAY include a COOKIE2 notification, and if included, the
//! recipient of an INFORMATIONAL request MUST copy the notification as-is to the response.
//! When processing the response, the original sender MUST verify that the value is the same
//! one as sent."
//!
//! So the IKE SA answers at the new address at once (§3.5 "Update the IP addresses in the
//! IKE_SA"), while the CHILD_SAs stay where they were until an INFORMATIONAL request with a
//! fresh COOKIE2, sent to the new address, is answered with that COOKIE2. If the check's
//! retransmissions run out, the IKE SA goes back to the old addresses (it is not closed:
//! the old path may still work) and [`EventKind::AddressCheckFailed`] says why.
//!
//! The initiator needs no check of its own: only it moves the SA (§3.5), the responder's
//! address does not change, and the response to its UPDATE_SA_ADDRESSES, echoing its COOKIE2,
//! already proves the path. What it must do is answer a responder's check: copy the COOKIE2
//! of any INFORMATIONAL request into the response (§3.7), see [`cookie2_echo`].

use ikelab_wire::iana::{ExchangeType, NotifyType};
use ikelab_wire::payload::Payload;

use super::exchange::Purpose;
use super::{notifies, notify, Ctx, IkeSa, PathInfo};
use crate::event::{AddressCheckFailure, CloseReason, EventKind};
use crate::violation::Violation;
use crate::EngineError;

/// COOKIE2 length of a check (RFC 4555 §4.2.5: 8 to 64 octets, unpredictable).
const CHECK_COOKIE2_LEN: usize = 16;

/// A check sent (or queued behind another request), oldest first.
#[derive(Debug, Clone)]
pub(crate) struct PendingCheck {
    pub cookie2: Vec<u8>,
    /// The addresses being verified; the CHILD_SAs move there when the check succeeds.
    pub target: PathInfo,
}

/// The COOKIE2 of a request, copied as-is for the response (RFC 4555 §3.7).
pub(crate) fn cookie2_echo(inner: &[Payload]) -> Option<Payload> {
    notifies(inner)
        .into_iter()
        .find(|n| n.notify_type == NotifyType::COOKIE2)
        .map(|n| notify(NotifyType::COOKIE2, n.data.clone()))
}

impl IkeSa {
    /// Responder, after answering an UPDATE_SA_ADDRESSES (`self.path` holds the new
    /// addresses): moves the CHILD_SAs at once if the peer's address is unchanged, otherwise
    /// verifies the new address first.
    pub(crate) fn move_children_checked(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EngineError> {
        let peer_moved = self
            .mobility
            .esp_path
            .is_some_and(|esp| esp.remote != self.path.remote);
        if !peer_moved {
            self.move_children(ctx);
            return Ok(());
        }
        let cookie2 = ctx.random(CHECK_COOKIE2_LEN)?;
        self.mobility.checks.push_back(PendingCheck {
            cookie2: cookie2.clone(),
            target: self.path,
        });
        self.request(
            ctx,
            ExchangeType::INFORMATIONAL,
            vec![notify(NotifyType::COOKIE2, cookie2)],
            Purpose::ReturnRoutability,
        )
    }

    /// The response to our check: the CHILD_SAs move if it echoes the COOKIE2 (§3.7).
    pub(crate) fn on_check_response(&mut self, ctx: &mut Ctx<'_>, inner: &[Payload]) {
        let Some(check) = self.mobility.checks.pop_front() else {
            return;
        };
        let echoed = notifies(inner)
            .into_iter()
            .any(|n| n.notify_type == NotifyType::COOKIE2 && n.data == check.cookie2);
        if !echoed {
            // §3.7: "If the values do not match, the IKE_SA MUST be closed." ESP never moved.
            self.violation(ctx, Violation::Cookie2Mismatch);
            self.check_failed(ctx, &check, AddressCheckFailure::Cookie2Mismatch);
            self.close(ctx, cookie2_mismatch());
            return;
        }
        // A later update replaced the address being checked; its own check decides.
        if check.target == self.path {
            self.move_children(ctx);
        }
    }

    /// A check ran out of retransmissions (RFC 7296 §2.4 schedule). Returns whether the
    /// outstanding request was a check, which unlike other requests does not end the SA.
    pub(crate) fn check_timed_out(&mut self, ctx: &mut Ctx<'_>) -> Result<bool, EngineError> {
        let is_check = self
            .xchg
            .outstanding
            .as_ref()
            .is_some_and(|o| o.purpose == Purpose::ReturnRoutability);
        if !is_check {
            return Ok(false);
        }
        self.xchg.outstanding = None;
        if let Some(check) = self.mobility.checks.pop_front() {
            self.check_failed(ctx, &check, AddressCheckFailure::NoResponse);
        }
        self.pump(ctx)?;
        Ok(true)
    }

    /// The new address was not verified: the IKE SA returns to where the CHILD_SAs run,
    /// unless a later update moved it elsewhere again.
    fn check_failed(&mut self, ctx: &mut Ctx<'_>, check: &PendingCheck, why: AddressCheckFailure) {
        if check.target == self.path {
            if let Some(esp) = self.mobility.esp_path {
                self.path = esp;
            }
        }
        ctx.event(
            Some(self.handle),
            EventKind::AddressCheckFailed {
                remote: check.target.remote,
                reason: why,
            },
        );
    }
}

/// Why an IKE SA ends when a response does not echo our COOKIE2 (RFC 4555 §3.7).
pub(crate) fn cookie2_mismatch() -> CloseReason {
    CloseReason::ProtocolError(
        "the response did not echo our COOKIE2 (RFC 4555 §3.7: the IKE SA MUST be closed)".into(),
    )
}
