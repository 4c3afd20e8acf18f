//! TEMPORARY_FAILURE that does not go away (RFC 7296 §2.25): "If a peer continues to receive
//! TEMPORARY_FAILURE on the same IKE SA after several minutes, it SHOULD conclude that the
//! state information is out of sync and close the IKE SA."

use ikelab_policy::Duration;

use super::{Ctx, IkeSa};
use crate::EngineError;

/// "Several minutes" of nothing but TEMPORARY_FAILURE answers to our CREATE_CHILD_SA requests.
pub(crate) const OUT_OF_SYNC_AFTER: Duration = Duration::from_secs(5 * 60);

impl IkeSa {
    /// The peer answered a CREATE_CHILD_SA request of ours with TEMPORARY_FAILURE. Returns
    /// whether we gave up: the first such answer since the last success was long enough ago,
    /// so the IKE SA is being deleted (and nothing is retried any more).
    pub(crate) fn temporary_failure_received(
        &mut self,
        ctx: &mut Ctx<'_>,
    ) -> Result<bool, EngineError> {
        let since = *self.temporary_failure_since.get_or_insert(ctx.now);
        if ctx.now.saturating_since(since) < OUT_OF_SYNC_AFTER {
            return Ok(false);
        }
        self.temporary_failure_since = None;
        self.ike_rekey_at = None;
        for c in &mut self.children {
            c.rekey_at = None;
        }
        self.delete(ctx)?;
        Ok(true)
    }
}
