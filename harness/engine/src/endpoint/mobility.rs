//! Endpoint commands and follow-ups for MOBIKE (RFC 4555) and redirects (RFC 5685).

use std::net::{IpAddr, SocketAddr};

use super::Endpoint;
use crate::event::EventKind;
use crate::sa::{AddressUpdate, Gateway, RedirectState, SaState};
use crate::{ConfigError, SaHandle, Timestamp};

impl Endpoint {
    /// MOBIKE (RFC 4555 §3.5): our address changed to `local` (the driver receives on its
    /// NAT-T port there). Sends UPDATE_SA_ADDRESSES with a COOKIE2 from the NAT-T port; the
    /// outcome is an [`EventKind::SaAddressesUpdated`] (or [`EventKind::AddressUpdateFailed`]).
    /// Only the original initiator of an SA that negotiated MOBIKE may do this.
    pub fn update_local_address(
        &mut self,
        now: Timestamp,
        sa: SaHandle,
        local: IpAddr,
    ) -> Result<(), ConfigError> {
        self.update_addresses(now, sa, AddressUpdate::to(local))
    }

    /// [`Endpoint::update_local_address`] with additional addresses, NO_NATS_ALLOWED or
    /// without COOKIE2.
    pub fn update_addresses(
        &mut self,
        now: Timestamp,
        sa: SaHandle,
        update: AddressUpdate,
    ) -> Result<(), ConfigError> {
        let s = self.sas.get(&sa).ok_or(ConfigError::UnknownSa(sa.0))?;
        if !(s.initiator && s.mobility.agreed) {
            return Err(ConfigError::MobikeUnavailable(sa.0));
        }
        self.command(now, sa, |s, ctx| s.update_addresses(ctx, &update))
    }

    /// Whether both sides announced MOBIKE_SUPPORTED.
    pub fn mobike_negotiated(&self, sa: SaHandle) -> bool {
        self.sas.get(&sa).is_some_and(|s| s.mobility.agreed)
    }

    /// The peer's ADDITIONAL_IP*_ADDRESS list (RFC 4555 §3.4, §3.6).
    pub fn peer_additional_addresses(&self, sa: SaHandle) -> Vec<IpAddr> {
        self.sas
            .get(&sa)
            .map(|s| s.mobility.peer_additional.clone())
            .unwrap_or_default()
    }

    /// The IKE SA's current (local, remote) addresses.
    pub fn sa_addresses(&self, sa: SaHandle) -> Option<(SocketAddr, SocketAddr)> {
        self.sas.get(&sa).map(|s| (s.path.local, s.path.remote))
    }

    /// Whether each side is behind a NAT, as the last NAT detection said.
    pub fn nat_detected(&self, sa: SaHandle) -> Option<crate::NatDetected> {
        self.sas.get(&sa).map(|s| s.nat)
    }

    /// Responder: redirects an established initiator to `gateway` (RFC 5685 §5). The
    /// initiator must have sent REDIRECT_SUPPORTED.
    pub fn redirect_peer(
        &mut self,
        now: Timestamp,
        sa: SaHandle,
        gateway: Gateway,
    ) -> Result<(), ConfigError> {
        let s = self.sas.get(&sa).ok_or(ConfigError::UnknownSa(sa.0))?;
        if s.initiator || !s.redirect.peer_supported {
            return Err(ConfigError::RedirectUnsupported(sa.0));
        }
        self.command(now, sa, |s, ctx| s.send_redirect(ctx, &gateway))
    }

    /// Follows a redirect of IKE SA `from` to `remote` (the driver resolved a FQDN gateway
    /// of [`EventKind::Redirected`]): a new IKE SA with REDIRECTED_FROM, same policy and local
    /// address.
    pub fn follow_redirect(
        &mut self,
        now: Timestamp,
        from: SaHandle,
        remote: SocketAddr,
    ) -> Result<SaHandle, ConfigError> {
        let s = self.sas.get(&from).ok_or(ConfigError::UnknownSa(from.0))?;
        let policy = s.policy.clone();
        let (local, origin_remote) = s.redirect.origin.unwrap_or((s.path.local, s.path.remote));
        let redirect = RedirectState {
            from: Some(origin_remote.ip()),
            origin: Some((local, remote)),
            history: s.redirect.history.clone(),
            // §5: an established SA goes once its successor is up.
            replaces: (!s.is_closed()).then_some(from),
            ..Default::default()
        };
        self.connect_with(now, policy, local, remote, redirect)
    }

    /// After an SA handled a message: follow its redirect to an IP gateway, or delete the SA
    /// a redirected successor replaces once that one is established (RFC 5685 §5).
    pub(super) fn after_redirect(&mut self, now: Timestamp, handle: SaHandle) {
        let Some(sa) = self.sas.get_mut(&handle) else {
            return;
        };
        if let Some(to) = sa.redirect.follow.take() {
            let port = sa.redirect.origin.map_or(500, |(_, r)| r.port());
            let new_sa = match &to {
                Gateway::Ip(ip) => self
                    .follow_redirect(now, handle, SocketAddr::new(*ip, port))
                    .ok(),
                Gateway::Fqdn(_) => None,
            };
            self.shared.out.events.push_back(crate::Event {
                sa: Some(handle),
                kind: EventKind::Redirected { to, new_sa },
            });
            return;
        }
        if sa.public_state() == SaState::Established {
            if let Some(old) = sa.redirect.replaces.take() {
                // Gone already when the old gateway deleted it first.
                let _ = self.delete_ike_sa(now, old);
            }
        }
    }
}
