//! CHILD_SAs: keys (RFC 7296 §2.17) and the event the ESP data plane consumes.

use ikelab_crypto::keys::child_sa_keys;
use ikelab_policy::Mode;
use ikelab_wire::payload::AddressRange;

use super::{Ctx, IkeSa};
use crate::event::{ChildSaInfo, ChildTransforms, EspKeys, EventKind};
use crate::negotiate::EspChoice;
use crate::EngineError;

/// A CHILD_SA as the IKE SA tracks it (keys go to the data plane in the event only).
#[derive(Debug, Clone)]
pub(crate) struct ChildSa {
    pub name: String,
    pub spi_in: u32,
    pub spi_out: u32,
    pub transforms: ChildTransforms,
    pub local_ts: Vec<AddressRange>,
    pub remote_ts: Vec<AddressRange>,
}

/// A negotiated CHILD_SA about to be keyed and reported.
pub(crate) struct NewChild {
    pub name: String,
    pub choice: EspChoice,
    pub spi_in: u32,
    pub mode: Mode,
    /// Our side's selectors (TSi for the initiator, TSr for the responder).
    pub local_ts: Vec<AddressRange>,
    pub remote_ts: Vec<AddressRange>,
}

impl IkeSa {
    /// Derives the CHILD_SA's keys from SK_d and the IKE_SA_INIT nonces (first CHILD_SA, no
    /// PFS), records it and reports it.
    pub(crate) fn install_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        new: NewChild,
    ) -> Result<(), EngineError> {
        let NewChild {
            name,
            choice,
            spi_in,
            mode,
            local_ts,
            remote_ts,
        } = new;
        let keys =
            self.keys
                .as_ref()
                .ok_or(EngineError::Config(crate::ConfigError::NotEstablished(
                    self.handle.0,
                )))?;
        let k = child_sa_keys(
            keys.suite.prf,
            &keys.keys.sk_d,
            choice.encr,
            choice.integ,
            None,
            &self.ni,
            &self.nr,
        )?;
        let from_initiator = EspKeys {
            encryption: k.encr_i,
            integrity: k.integ_i,
        };
        let from_responder = EspKeys {
            encryption: k.encr_r,
            integrity: k.integ_r,
        };
        let (outbound, inbound) = if self.initiator {
            (from_initiator, from_responder)
        } else {
            (from_responder, from_initiator)
        };
        let child = ChildSa {
            name,
            spi_in,
            spi_out: choice.peer_spi,
            transforms: choice.transforms.clone(),
            local_ts,
            remote_ts,
        };
        ctx.event(
            Some(self.handle),
            EventKind::ChildSaInstalled(Box::new(ChildSaInfo {
                name: child.name.clone(),
                spi_in,
                spi_out: child.spi_out,
                transforms: child.transforms.clone(),
                mode,
                outbound,
                inbound,
                local_ts: child.local_ts.clone(),
                remote_ts: child.remote_ts.clone(),
                local: self.path.local,
                remote: self.path.remote,
                udp_encapsulation: self.path.encap,
            })),
        );
        self.children.push(child);
        Ok(())
    }
}
