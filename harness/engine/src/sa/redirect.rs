//! Redirect (RFC 5685): a gateway sends its initiators to another gateway during IKE_SA_INIT
//! (§3), IKE_AUTH (§6) or on an established IKE SA (§5). The initiator follows only if it sent
//! REDIRECT_SUPPORTED (Apple's `DisableRedirect` turns that off), checks the nonce data of an
//! IKE_SA_INIT redirect, and stops following after [`MAX_REDIRECTS`] redirects within
//! [`REDIRECT_LOOP_DETECT_PERIOD`] (§3.3). The endpoint starts the new IKE SA, with
//! REDIRECTED_FROM in its IKE_SA_INIT.

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ikelab_policy::{Duration, IkePolicy, RedirectPhase};
use ikelab_wire::iana::{ExchangeType, NotifyType};
use ikelab_wire::payload::{NotifyPayload, Payload};

use super::exchange::Purpose;
use super::init::InitReply;
use super::{has_notify, notifies, notify, Ctx, IkeSa};
use crate::event::CloseReason;
use crate::violation::Violation;
use crate::{EngineError, SaHandle, Timestamp};

/// Redirects followed within [`REDIRECT_LOOP_DETECT_PERIOD`] before we call it a loop
/// (RFC 5685 §3.3's suggested values).
pub const MAX_REDIRECTS: usize = 5;
pub const REDIRECT_LOOP_DETECT_PERIOD: Duration = Duration::from_secs(300);

/// A gateway identity (RFC 5685 §8.2, IANA "Gateway Identity Types").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Gateway {
    Ip(IpAddr),
    Fqdn(String),
}

impl Gateway {
    /// An IP address literal, or else a FQDN.
    pub fn parse(s: &str) -> Self {
        s.parse()
            .map_or_else(|_| Self::Fqdn(s.to_owned()), Self::Ip)
    }

    /// GW Ident Type, GW Ident Len and the identity.
    fn encode(&self) -> Vec<u8> {
        let (ty, id): (u8, Vec<u8>) = match self {
            Self::Ip(IpAddr::V4(a)) => (1, a.octets().to_vec()),
            Self::Ip(IpAddr::V6(a)) => (2, a.octets().to_vec()),
            Self::Fqdn(f) => (3, f.as_bytes().to_vec()),
        };
        let mut out = vec![ty, u8::try_from(id.len()).unwrap_or(u8::MAX)];
        out.extend(id.iter().take(usize::from(u8::MAX)));
        out
    }

    /// The identity at the start of `data` and what follows it (the nonce data of a REDIRECT).
    fn decode(data: &[u8]) -> Option<(Self, &[u8])> {
        let [ty, len, rest @ ..] = data else {
            return None;
        };
        let id = rest.get(..usize::from(*len))?;
        let tail = &rest[usize::from(*len)..];
        let gw = match (ty, id.len()) {
            (1, 4) => Self::Ip(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(id).ok()?))),
            (2, 16) => Self::Ip(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(id).ok()?))),
            (3, 1..) => Self::Fqdn(String::from_utf8(id.to_vec()).ok()?),
            _ => return None,
        };
        Some((gw, tail))
    }
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(a) => write!(f, "{a}"),
            Self::Fqdn(n) => f.write_str(n),
        }
    }
}

/// A REDIRECT notify; `nonce` is the initiator's Ni in an IKE_SA_INIT response (§3.2).
pub(crate) fn redirect_notify(gw: &Gateway, nonce: Option<&[u8]>) -> Payload {
    let mut data = gw.encode();
    data.extend_from_slice(nonce.unwrap_or_default());
    notify(NotifyType::REDIRECT, data)
}

/// Redirect bookkeeping of one IKE SA.
#[derive(Debug, Default)]
pub(crate) struct RedirectState {
    /// The peer sent REDIRECT_SUPPORTED or REDIRECTED_FROM in IKE_SA_INIT.
    pub peer_supported: bool,
    /// Initiator: the gateway that sent us here (REDIRECTED_FROM in our IKE_SA_INIT).
    pub from: Option<IpAddr>,
    /// Initiator: the addresses the connection first started with (a redirected SA keeps the
    /// local address and the remote port).
    pub origin: Option<(SocketAddr, SocketAddr)>,
    /// When this connection was redirected before (loop detection, §3.3).
    pub history: Vec<Timestamp>,
    /// A redirect to follow: the endpoint starts the new IKE SA.
    pub follow: Option<Gateway>,
    /// The IKE SA this one replaces after an established SA was redirected (§5): deleted once
    /// this one is up.
    pub replaces: Option<SaHandle>,
}

/// The responder's IKE_SA_INIT redirect (§3): a stateless response with REDIRECT and the
/// initiator's nonce, when the policy says so and the initiator supports it. A gateway does
/// not redirect to itself (the request reached `local`).
pub(crate) fn init_redirect(
    policy: &IkePolicy,
    request: &[Payload],
    ni: &[u8],
    local: SocketAddr,
) -> Option<InitReply> {
    let r = policy.features.redirect_to.as_ref()?;
    let supported = has_notify(request, NotifyType::REDIRECT_SUPPORTED)
        || has_notify(request, NotifyType::REDIRECTED_FROM);
    let gw = Gateway::parse(&r.gateway);
    if r.during != RedirectPhase::IkeSaInit || !supported || gw == Gateway::Ip(local.ip()) {
        return None;
    }
    Some(InitReply::Refuse {
        payloads: vec![redirect_notify(&gw, Some(ni))],
        violation: None,
    })
}

fn find_redirect(payloads: &[Payload]) -> Option<&NotifyPayload> {
    notifies(payloads)
        .into_iter()
        .find(|n| n.notify_type == NotifyType::REDIRECT)
}

impl IkeSa {
    /// Initiator, IKE_SA_INIT response: whether it was a REDIRECT (followed, or ignored as
    /// unsolicited or forged, in which case our request stays outstanding as for a forged
    /// error notify, RFC 7296 §2.21.1).
    pub(crate) fn init_redirect_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        payloads: &[Payload],
    ) -> bool {
        let Some(n) = find_redirect(payloads) else {
            return false;
        };
        if !self.policy.features.redirect {
            self.violation(ctx, Violation::UnsolicitedRedirect);
            return true;
        }
        match Gateway::decode(&n.data) {
            Some((gw, nonce)) if nonce == self.ni.as_slice() => {
                self.xchg.outstanding = None;
                self.follow_redirect(ctx, gw, true);
            }
            Some(_) => self.violation(ctx, Violation::RedirectNonceMismatch),
            None => self.violation(
                ctx,
                Violation::Malformed {
                    error: "REDIRECT with an unknown or truncated gateway identity".into(),
                },
            ),
        }
        true
    }

    /// Initiator, authenticated IKE_AUTH response with REDIRECT (§6): delete this IKE SA
    /// and follow. Returns whether it was handled.
    pub(crate) fn auth_redirect_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        inner: &[Payload],
    ) -> Result<bool, EngineError> {
        let Some(n) = find_redirect(inner) else {
            return Ok(false);
        };
        if !self.policy.features.redirect {
            self.violation(ctx, Violation::UnsolicitedRedirect);
            return Ok(false);
        }
        let Some((gw, _)) = Gateway::decode(&n.data) else {
            self.violation(
                ctx,
                Violation::Malformed {
                    error: "REDIRECT with an unknown or truncated gateway identity".into(),
                },
            );
            return Ok(false);
        };
        self.request(
            ctx,
            ExchangeType::INFORMATIONAL,
            vec![super::info::delete_ike()],
            Purpose::DeleteIke,
        )?;
        self.follow_redirect(ctx, gw, true);
        Ok(true)
    }

    /// Initiator, INFORMATIONAL request with REDIRECT on an established SA (§5): answer, start
    /// the new IKE SA, and delete this one once the new one is up. Returns whether handled.
    pub(crate) fn info_redirect_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        inner: &[Payload],
    ) -> Result<bool, EngineError> {
        let Some(n) = find_redirect(inner) else {
            return Ok(false);
        };
        if !self.initiator || !self.policy.features.redirect {
            self.violation(ctx, Violation::UnsolicitedRedirect);
            return Ok(false);
        }
        let Some((gw, _)) = Gateway::decode(&n.data) else {
            return Ok(false);
        };
        self.respond(ctx, ExchangeType::INFORMATIONAL, message_id, Vec::new())?;
        if !self.follow_redirect(ctx, gw, false) {
            // A loop: this SA is all we have, but the gateway wants us gone.
            self.delete(ctx)?;
        }
        Ok(true)
    }

    /// Records a redirect and marks it to be followed, unless it makes a loop (§3.3). With
    /// `close`, this SA ends now. Returns whether the redirect will be followed.
    fn follow_redirect(&mut self, ctx: &mut Ctx<'_>, gw: Gateway, close: bool) -> bool {
        let now = ctx.now;
        let period = REDIRECT_LOOP_DETECT_PERIOD;
        self.redirect.history.retain(|t| *t + period > now);
        self.redirect.history.push(now);
        let n = self.redirect.history.len();
        if n > MAX_REDIRECTS {
            let redirects = u32::try_from(n).unwrap_or(u32::MAX);
            self.close(ctx, CloseReason::RedirectLoop { redirects });
            return false;
        }
        self.redirect.follow = Some(gw.clone());
        if close {
            self.close(ctx, CloseReason::Redirected { to: gw });
        }
        true
    }

    /// Responder, IKE_AUTH: the gateway to redirect this (authenticated) initiator to, when
    /// the policy redirects during IKE_AUTH (§6) and the initiator supports it.
    pub(crate) fn auth_redirect_target(&self) -> Option<Gateway> {
        let r = self.policy.features.redirect_to.as_ref()?;
        let gw = Gateway::parse(&r.gateway);
        (r.during == RedirectPhase::IkeAuth
            && self.redirect.peer_supported
            && gw != Gateway::Ip(self.path.local.ip()))
        .then_some(gw)
    }

    /// Responder: redirects an established initiator (§5).
    pub(crate) fn send_redirect(
        &mut self,
        ctx: &mut Ctx<'_>,
        gw: &Gateway,
    ) -> Result<(), EngineError> {
        self.request(
            ctx,
            ExchangeType::INFORMATIONAL,
            vec![redirect_notify(gw, None)],
            Purpose::Redirect,
        )
    }

    /// The REDIRECTED_FROM notify for a redirected initiator's IKE_SA_INIT (§3.2).
    pub(crate) fn redirected_from(&self) -> Option<Payload> {
        let from = self.redirect.from?;
        let data = Gateway::Ip(from).encode();
        Some(notify(NotifyType::REDIRECTED_FROM, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_identities_round_trip() {
        for gw in [
            Gateway::parse("192.0.2.7"),
            Gateway::parse("2001:db8::7"),
            Gateway::parse("vpn2.example"),
        ] {
            let mut data = gw.encode();
            data.extend_from_slice(b"nonce");
            let (back, rest) = Gateway::decode(&data).unwrap();
            assert_eq!((back, rest), (gw, &b"nonce"[..]));
        }
        assert_eq!(Gateway::decode(&[1, 4, 192, 0, 2]), None);
        assert_eq!(Gateway::decode(&[9, 1, 0]), None);
        assert_eq!(Gateway::decode(&[1, 3, 1, 2, 3]), None);
    }
}
