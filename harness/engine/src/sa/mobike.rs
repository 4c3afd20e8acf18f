//! MOBIKE (RFC 4555) and NAT mapping changes (RFC 7296 §2.23): where an IKE SA and its
//! CHILD_SAs run, and how that moves.
//!
//! Both sides announce MOBIKE_SUPPORTED in IKE_AUTH (§3.2). Only the original initiator moves
//! an SA (§3.5): it sends a protected INFORMATIONAL with UPDATE_SA_ADDRESSES, fresh NAT
//! detection notifies for the new addresses and a COOKIE2 the responder must echo, from the
//! NAT-T port (§3.3). The responder takes the addresses from the IP header, answers with its
//! own NAT detection, verifies a new peer address with a return routability check (§3.7, see
//! `routability.rs`), and then moves the CHILD_SAs; [`EventKind::SaAddressesUpdated`] tells a
//! data plane. NO_NATS_ALLOWED (§3.9) makes the responder refuse an update a NAT rewrote.
//! Without MOBIKE, a peer behind a NAT whose mapping changed is followed from its
//! authenticated requests (RFC 7296 §2.23), ESP included.

use std::net::{IpAddr, SocketAddr};

use ikelab_wire::iana::{ExchangeType, NotifyType};
use ikelab_wire::payload::Payload;

use super::exchange::Purpose;
use super::{error_notify, has_notify, notifies, notify, Ctx, IkeSa, PathInfo};
use crate::event::EventKind;
use crate::violation::Violation;
use crate::{natd, EngineError};

/// COOKIE2 length we send (RFC 4555 allows 8 to 64 octets).
const COOKIE2_LEN: usize = 16;

/// An initiator's address update (RFC 4555 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressUpdate {
    /// Our new address; the update and everything after it use our NAT-T port (§3.3).
    pub local: IpAddr,
    /// Our other addresses (§3.4, §3.6): `None` says nothing, an empty list sends
    /// NO_ADDITIONAL_ADDRESSES, otherwise ADDITIONAL_IP4/6_ADDRESS each.
    pub additional: Option<Vec<IpAddr>>,
    /// Send NO_NATS_ALLOWED (§3.9): the responder refuses the update if a NAT rewrote it.
    pub no_nats_allowed: bool,
    /// Send a COOKIE2 and require its echo (§3.5).
    pub cookie2: bool,
}

impl AddressUpdate {
    /// A move to `local` with a COOKIE2, nothing else.
    pub fn to(local: IpAddr) -> Self {
        Self {
            local,
            additional: None,
            no_nats_allowed: false,
            cookie2: true,
        }
    }
}

/// MOBIKE state of one IKE SA.
#[derive(Debug, Default)]
pub(crate) struct Mobility {
    /// Both sides sent MOBIKE_SUPPORTED.
    pub agreed: bool,
    /// The peer's ADDITIONAL_IP*_ADDRESS list (emptied by NO_ADDITIONAL_ADDRESSES).
    pub peer_additional: Vec<IpAddr>,
    /// Our COOKIE2 in flight.
    pub cookie2: Option<Vec<u8>>,
    /// The addresses the CHILD_SAs run on (set when the IKE SA is established).
    pub esp_path: Option<PathInfo>,
    /// Responder: return routability checks of new peer addresses, oldest first (§3.7).
    pub checks: std::collections::VecDeque<super::routability::PendingCheck>,
}

/// NO_NATS_ALLOWED data: source and destination address, then source and destination port
/// (RFC 4555 §4.2).
fn no_nats_data(src: SocketAddr, dst: SocketAddr) -> Vec<u8> {
    let ip = |a: IpAddr| match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    let mut out = ip(src.ip());
    out.extend(ip(dst.ip()));
    out.extend(src.port().to_be_bytes());
    out.extend(dst.port().to_be_bytes());
    out
}

/// ADDITIONAL_IP*_ADDRESS payloads, or NO_ADDITIONAL_ADDRESSES for an empty list.
fn additional_payloads(addrs: &[IpAddr]) -> Vec<Payload> {
    if addrs.is_empty() {
        return vec![notify(NotifyType::NO_ADDITIONAL_ADDRESSES, Vec::new())];
    }
    addrs
        .iter()
        .map(|a| match a {
            IpAddr::V4(v4) => notify(NotifyType::ADDITIONAL_IP4_ADDRESS, v4.octets().to_vec()),
            IpAddr::V6(v6) => notify(NotifyType::ADDITIONAL_IP6_ADDRESS, v6.octets().to_vec()),
        })
        .collect()
}

impl IkeSa {
    /// IKE_AUTH (both sides, once the peer is authenticated): records MOBIKE support and the
    /// peer's additional addresses, and where the CHILD_SAs start. A responder that agrees
    /// appends MOBIKE_SUPPORTED to its response (`out`).
    pub(crate) fn mobike_established(&mut self, inner: &[Payload], out: Option<&mut Vec<Payload>>) {
        let peer = has_notify(inner, NotifyType::MOBIKE_SUPPORTED);
        self.mobility.agreed = self.policy.features.mobike && peer;
        if let (true, Some(out)) = (self.mobility.agreed, out) {
            out.push(notify(NotifyType::MOBIKE_SUPPORTED, Vec::new()));
        }
        if self.mobility.agreed {
            self.learn_additional(inner);
        }
        self.mobility.esp_path = Some(self.path);
    }

    /// Records ADDITIONAL_IP*_ADDRESS / NO_ADDITIONAL_ADDRESSES (§3.6: the latest list wins).
    fn learn_additional(&mut self, inner: &[Payload]) {
        let mut listed = Vec::new();
        let mut said = has_notify(inner, NotifyType::NO_ADDITIONAL_ADDRESSES);
        for n in notifies(inner) {
            let a = match (n.notify_type, n.data.len()) {
                (NotifyType::ADDITIONAL_IP4_ADDRESS, 4) => {
                    <[u8; 4]>::try_from(n.data.as_slice()).map(IpAddr::from)
                }
                (NotifyType::ADDITIONAL_IP6_ADDRESS, 16) => {
                    <[u8; 16]>::try_from(n.data.as_slice()).map(IpAddr::from)
                }
                _ => continue,
            };
            if let Ok(a) = a {
                listed.push(a);
                said = true;
            }
        }
        if said {
            self.mobility.peer_additional = listed;
        }
    }

    /// Initiator: moves the IKE SA to `update.local` and asks the responder to follow.
    pub(crate) fn update_addresses(
        &mut self,
        ctx: &mut Ctx<'_>,
        update: &AddressUpdate,
    ) -> Result<(), EngineError> {
        // §3.3: MOBIKE runs on the NAT-T port once an update is needed.
        self.path.local = SocketAddr::new(update.local, ctx.config.nat_t_port);
        if !self.path.encap {
            self.path.remote.set_port(ctx.config.peer_nat_t_port);
            self.path.encap = true;
        }
        let mut inner = vec![notify(NotifyType::UPDATE_SA_ADDRESSES, Vec::new())];
        inner.extend(natd::notifies(
            self.spi_i,
            self.spi_r,
            self.path.local,
            self.path.remote,
            self.policy.nat_traversal.force_encapsulation,
        ));
        if let Some(addrs) = &update.additional {
            inner.extend(additional_payloads(addrs));
        }
        if update.no_nats_allowed {
            let data = no_nats_data(self.path.local, self.path.remote);
            inner.push(notify(NotifyType::NO_NATS_ALLOWED, data));
        }
        self.mobility.cookie2 = None;
        if update.cookie2 {
            let c = ctx.random(COOKIE2_LEN)?;
            inner.push(notify(NotifyType::COOKIE2, c.clone()));
            self.mobility.cookie2 = Some(c);
        }
        self.request(
            ctx,
            ExchangeType::INFORMATIONAL,
            inner,
            Purpose::UpdateAddresses,
        )
    }

    /// Responder: an INFORMATIONAL request with UPDATE_SA_ADDRESSES. `self.path` already
    /// holds the addresses the request came with. Returns whether it was handled (answered).
    pub(crate) fn on_update_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        inner: &[Payload],
    ) -> Result<bool, EngineError> {
        if !has_notify(inner, NotifyType::UPDATE_SA_ADDRESSES) {
            if self.mobility.agreed {
                self.learn_additional(inner);
            }
            return Ok(false);
        }
        if !self.mobility.agreed {
            let notify = NotifyType::UPDATE_SA_ADDRESSES;
            self.violation(ctx, Violation::MobikeNotNegotiated { notify });
            return Ok(false);
        }
        let mut out = Vec::new();
        let cookie2 = notifies(inner)
            .into_iter()
            .find(|n| n.notify_type == NotifyType::COOKIE2)
            .map(|n| n.data.clone());
        let refused = if self.initiator {
            Some((Some(Violation::UpdateFromResponder), None))
        } else if notifies(inner).iter().any(|n| {
            n.notify_type == NotifyType::NO_NATS_ALLOWED
                && n.data != no_nats_data(self.path.remote, self.path.local)
        }) {
            Some((
                Some(Violation::UnexpectedNat),
                Some(NotifyType::UNEXPECTED_NAT_DETECTED),
            ))
        } else if unusable(self.path.remote.ip()) {
            // Not the peer's fault necessarily (a broken path): refuse, no violation.
            Some((None, Some(NotifyType::UNACCEPTABLE_ADDRESSES)))
        } else {
            None
        };
        if let Some((v, n)) = refused {
            if let Some(v) = v {
                self.violation(ctx, v);
            }
            // The SA stays where it was.
            if let Some(p) = self.mobility.esp_path {
                self.path = p;
            }
            out.extend(n.map(|n| notify(n, Vec::new())));
            out.extend(cookie2.map(|c| notify(NotifyType::COOKIE2, c)));
            self.respond(ctx, ExchangeType::INFORMATIONAL, message_id, out)?;
            return Ok(true);
        }
        if let Some(nat) = natd::detect(
            &notifies(inner),
            self.spi_i,
            self.spi_r,
            self.path.local,
            self.path.remote,
        ) {
            self.nat = nat;
        }
        self.learn_additional(inner);
        out.extend(natd::notifies(
            self.spi_i,
            self.spi_r,
            self.path.local,
            self.path.remote,
            self.policy.nat_traversal.force_encapsulation,
        ));
        out.extend(cookie2.map(|c| notify(NotifyType::COOKIE2, c)));
        self.respond(ctx, ExchangeType::INFORMATIONAL, message_id, out)?;
        // §3.5: "initiate a return routability check for the new initiator address ... and
        // wait until the check is completed" before the IPsec SAs move.
        self.move_children_checked(ctx)?;
        Ok(true)
    }

    /// Initiator: the response to our UPDATE_SA_ADDRESSES.
    pub(crate) fn on_update_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        inner: &[Payload],
    ) -> Result<(), EngineError> {
        if let Some(sent) = self.mobility.cookie2.take() {
            let echoed = notifies(inner)
                .into_iter()
                .find(|n| n.notify_type == NotifyType::COOKIE2)
                .map(|n| n.data.as_slice() == sent.as_slice());
            if echoed != Some(true) {
                // §3.7: "If the values do not match, the IKE_SA MUST be closed."
                self.violation(ctx, Violation::Cookie2Mismatch);
                self.close(ctx, super::routability::cookie2_mismatch());
                return Ok(());
            }
        }
        if let Some(n) = error_notify(inner) {
            ctx.event(
                Some(self.handle),
                EventKind::AddressUpdateFailed { notify: n },
            );
            return Ok(());
        }
        if let Some(nat) = natd::detect(
            &notifies(inner),
            self.spi_i,
            self.spi_r,
            self.path.local,
            self.path.remote,
        ) {
            self.nat = nat;
        }
        self.learn_additional(inner);
        self.move_children(ctx);
        Ok(())
    }

    /// RFC 7296 §2.23 without MOBIKE: the peer is behind a NAT and its authenticated request
    /// came from a new mapping (`self.path` already follows it): the CHILD_SAs follow too.
    /// With MOBIKE only UPDATE_SA_ADDRESSES moves them (RFC 4555 §3.8).
    pub(crate) fn follow_peer_address(&mut self, ctx: &mut Ctx<'_>) {
        let Some(esp) = self.mobility.esp_path else {
            return;
        };
        if esp != self.path && !self.mobility.agreed && self.nat.remote {
            self.move_children(ctx);
        }
    }

    /// The CHILD_SAs now run on `self.path`.
    pub(crate) fn move_children(&mut self, ctx: &mut Ctx<'_>) {
        self.mobility.esp_path = Some(self.path);
        ctx.event(
            Some(self.handle),
            EventKind::SaAddressesUpdated {
                local: self.path.local,
                remote: self.path.remote,
                udp_encapsulation: self.path.encap,
            },
        );
    }
}

/// Addresses no tunnel can use.
fn unusable(ip: IpAddr) -> bool {
    ip.is_unspecified() || ip.is_multicast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_nats_data_is_addresses_then_ports() {
        let src: SocketAddr = "192.0.2.1:4500".parse().unwrap();
        let dst: SocketAddr = "198.51.100.1:4501".parse().unwrap();
        assert_eq!(
            no_nats_data(src, dst),
            [192, 0, 2, 1, 198, 51, 100, 1, 0x11, 0x94, 0x11, 0x95]
        );
    }

    #[test]
    fn additional_addresses_or_none() {
        let p = additional_payloads(&[]);
        assert_eq!(p.len(), 1);
        let p =
            additional_payloads(&["192.0.2.9".parse().unwrap(), "2001:db8::9".parse().unwrap()]);
        assert_eq!(p.len(), 2);
    }
}
