//! Our CHILD_SA rekey refused because the peer cannot take it: CHILD_SA_NOT_FOUND (RFC 7296
//! §2.25) and NO_ADDITIONAL_SAS (§4). §2.25: "A peer that receives a
//! CHILD_SA_NOT_FOUND notification SHOULD silently delete the Child SA (if it still exists)
//! and send a request to create a new Child SA from scratch (if the Child SA does not yet
//! exist)."

use ikelab_policy::ChildPolicy;

use super::child::ChildState;
use super::create_child::CreateKind;
use super::{Ctx, IkeSa};
use crate::EngineError;

impl IkeSa {
    /// The peer has no CHILD_SA matching our inbound SPI `old`. We drop ours without a Delete
    /// (the peer has nothing to delete) and, if it was still ours to rekey, ask for a fresh one
    /// with the same selectors and mode (no REKEY_SA). No replacement when it is already gone
    /// or superseded: then the peer deleted it on purpose (its Delete crossed our request) or
    /// a replacement exists (§2.8.1 collision).
    pub(crate) fn rekey_child_not_found(
        &mut self,
        ctx: &mut Ctx<'_>,
        old: u32,
    ) -> Result<(), EngineError> {
        let lost = self
            .children
            .iter()
            .find(|c| c.spi_in == old && matches!(c.state, ChildState::Rekeying { .. }))
            .map(|c| {
                (
                    c.name.clone(),
                    c.local_ts.clone(),
                    c.remote_ts.clone(),
                    c.mode,
                )
            });
        self.remove_child(ctx, old, true);
        let Some((name, tsi, tsr, mode)) = lost else {
            return Ok(());
        };
        let policy = self.child_policy(&name).unwrap_or_else(|| ChildPolicy {
            name,
            ..ChildPolicy::default()
        });
        self.start_child_request(ctx, &policy, CreateKind::Child, tsi, tsr, mode)
    }
}

impl IkeSa {
    /// RFC 7296 §4: "If the responder rejects the CREATE_CHILD_SA request with a
    /// NO_ADDITIONAL_SAS notification, the implementation MUST be capable of instead deleting
    /// the old SA and creating a new one." The Delete goes first, so that a peer limiting the
    /// number of CHILD_SAs has room for the new one; a second refusal is reported as usual
    /// (the request is then an ordinary CREATE_CHILD_SA, so nothing loops).
    pub(crate) fn rekey_child_no_additional_sas(
        &mut self,
        ctx: &mut Ctx<'_>,
        old: u32,
    ) -> Result<(), EngineError> {
        let Some(c) = self
            .children
            .iter()
            .find(|c| c.spi_in == old && matches!(c.state, ChildState::Rekeying { .. }))
        else {
            return Ok(());
        };
        let (name, tsi, tsr, mode) = (
            c.name.clone(),
            c.local_ts.clone(),
            c.remote_ts.clone(),
            c.mode,
        );
        self.delete_child(ctx, old)?;
        let policy = self.child_policy(&name).unwrap_or_else(|| ChildPolicy {
            name,
            ..ChildPolicy::default()
        });
        self.start_child_request(ctx, &policy, CreateKind::Child, tsi, tsr, mode)
    }
}
