//! CHILD_SAs: keys (RFC 7296 §2.17), rekey bookkeeping (§2.8) and the event the ESP data
//! plane consumes.

use ikelab_crypto::keys::child_sa_keys;
use ikelab_crypto::KeyBytes;
use ikelab_policy::Mode;
use ikelab_wire::payload::AddressRange;

use super::{Ctx, IkeSa};
use crate::event::{ChildSaInfo, ChildTransforms, EspKeys, EventKind};
use crate::negotiate::EspChoice;
use crate::{EngineError, Timestamp};

/// Where a CHILD_SA is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChildState {
    Installed,
    /// Our CREATE_CHILD_SA rekeying it is queued or in flight (`token` names it).
    Rekeying {
        token: u32,
    },
    /// A newer SA replaced it; `by_us`: we delete it, otherwise we wait for the peer's Delete.
    Superseded {
        by_us: bool,
    },
    /// Our Delete for it is queued or in flight.
    Deleting,
}

/// A CHILD_SA as the IKE SA tracks it (keys go to the data plane in the event only).
#[derive(Debug, Clone)]
pub(crate) struct ChildSa {
    pub name: String,
    pub spi_in: u32,
    pub spi_out: u32,
    pub transforms: ChildTransforms,
    pub local_ts: Vec<AddressRange>,
    pub remote_ts: Vec<AddressRange>,
    pub mode: Mode,
    pub state: ChildState,
    /// When we start rekeying it (the policy's lifetime less jitter).
    pub rekey_at: Option<Timestamp>,
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
    /// Whether we sent the request of the exchange that created it: KEYMAT starts with the
    /// keys for the SA carrying the exchange initiator's traffic (§2.17).
    pub exchange_initiator: bool,
    /// The exchange's nonces (IKE_SA_INIT's for the first CHILD_SA).
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
    /// The fresh shared secret of a CREATE_CHILD_SA with PFS.
    pub g_ir: Option<KeyBytes>,
    /// The inbound SPI of the SA this one rekeys.
    pub rekey_of: Option<u32>,
    /// §2.8.1: our rekey lost a simultaneous rekey; we close this SA right away.
    pub lost_collision: bool,
}

impl IkeSa {
    /// Derives the CHILD_SA's keys from SK_d and the exchange's nonces (and g^ir with PFS),
    /// records it and reports it.
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
            exchange_initiator,
            ni,
            nr,
            g_ir,
            rekey_of,
            lost_collision,
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
            g_ir.as_ref().map(KeyBytes::as_bytes),
            &ni,
            &nr,
        )?;
        let from_initiator = EspKeys {
            encryption: k.encr_i,
            integrity: k.integ_i,
        };
        let from_responder = EspKeys {
            encryption: k.encr_r,
            integrity: k.integ_r,
        };
        let (outbound, inbound) = if exchange_initiator {
            (from_initiator, from_responder)
        } else {
            (from_responder, from_initiator)
        };
        let rekey_at = self.child_rekey_time(ctx, &name)?;
        // Report a PFS group only when a KE exchange really went into the keys (a KE
        // transform echoed in IKE_AUTH carries none, RFC 7296 §1.2).
        let mut transforms = choice.transforms.clone();
        if g_ir.is_none() {
            transforms.ke = None;
        }
        let child = ChildSa {
            name,
            spi_in,
            spi_out: choice.peer_spi,
            transforms,
            local_ts,
            remote_ts,
            mode,
            state: ChildState::Installed,
            rekey_at,
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
                rekey_of,
                exchange_initiator,
                lost_collision,
            })),
        );
        self.children.push(child);
        Ok(())
    }

    /// Removes a CHILD_SA locally, frees its SPI and reports it.
    pub(crate) fn remove_child(&mut self, ctx: &mut Ctx<'_>, spi_in: u32, by_peer: bool) {
        if let Some(i) = self.children.iter().position(|c| c.spi_in == spi_in) {
            let c = self.children.remove(i);
            ctx.leases.esp_spis.remove(&c.spi_in);
            ctx.event(
                Some(self.handle),
                EventKind::ChildSaDeleted {
                    spi_in: c.spi_in,
                    spi_out: c.spi_out,
                    by_peer,
                },
            );
        }
    }

    pub(crate) fn child_mut(&mut self, spi_in: u32) -> Option<&mut ChildSa> {
        self.children.iter_mut().find(|c| c.spi_in == spi_in)
    }
}
