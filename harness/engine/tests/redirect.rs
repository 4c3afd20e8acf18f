//! Redirect (RFC 5685) pair tests: a redirect in IKE_SA_INIT (with the initiator's nonce),
//! in IKE_AUTH and of an established SA, each followed to the new gateway with
//! REDIRECTED_FROM; redirects ignored without REDIRECT_SUPPORTED or with a wrong nonce; and a
//! redirect loop stopped by the §3.3 limit.
//!
//! The pair has one responder: it answers at every address, and a gateway never redirects to
//! itself, so traffic to the new gateway address reaches the same endpoint and completes there.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use std::net::IpAddr;

use ikelab_engine::*;
use ikelab_policy::{IkePolicy, RedirectPhase, RedirectTo};
use ikelab_wire::iana::{ExchangeType, NotifyType};
use ikelab_wire::payload::{NotifyPayload, Payload, PayloadBody};
use pair::harness::*;

const GW: &str = "198.51.100.50";
const INIT: ExchangeType = ExchangeType::IKE_SA_INIT;

fn policies(follow: bool, during: Option<RedirectPhase>) -> (IkePolicy, IkePolicy) {
    let (mut client, mut server) = psk_policies();
    client.features.redirect = follow;
    server.features.redirect_to = during.map(|during| RedirectTo {
        gateway: GW.into(),
        during,
    });
    (client, server)
}

fn gw() -> Gateway {
    Gateway::Ip(GW.parse().unwrap())
}

fn notify_data(p: &Pair, c: &Captured, t: NotifyType) -> Option<Vec<u8>> {
    p.payloads(c).into_iter().find_map(|x| match x.body {
        PayloadBody::Notify(n) if n.notify_type == t => Some(n.data),
        _ => None,
    })
}

fn nonce(p: &Pair, c: &Captured) -> Vec<u8> {
    p.payloads(c)
        .into_iter()
        .find_map(|x| match x.body {
            PayloadBody::Nonce(n) => Some(n),
            _ => None,
        })
        .unwrap()
}

/// GW Ident Type 1 (IPv4), length 4, the address.
fn gw_ident(ip: &str) -> Vec<u8> {
    let IpAddr::V4(a) = ip.parse().unwrap() else {
        panic!()
    };
    let mut v = vec![1, 4];
    v.extend(a.octets());
    v
}

/// The new IKE SA the initiator started when redirected from `old`.
fn redirected(n: &Node, old: SaHandle) -> Option<(Gateway, Option<SaHandle>)> {
    n.events.iter().find_map(|e| match &e.kind {
        EventKind::Redirected { to, new_sa } if e.sa == Some(old) => Some((to.clone(), *new_sa)),
        _ => None,
    })
}

fn closed(n: &Node, h: SaHandle) -> Option<CloseReason> {
    n.events.iter().find_map(|e| match &e.kind {
        EventKind::Closed { reason } if e.sa == Some(h) => Some(reason.clone()),
        _ => None,
    })
}

#[test]
fn redirect_during_ike_sa_init() {
    let (client, server) = policies(true, Some(RedirectPhase::IkeSaInit));
    let mut p = Pair::new(20, server);
    let h = p.connect(client);
    p.drive_to_established(200);

    let inits = p.exchanges(INIT);
    let (request, response) = (&inits[0].1, &inits[1].1);
    assert!(p
        .notifies(request)
        .contains(&NotifyType::REDIRECT_SUPPORTED));
    // §3.2: new gateway identity followed by the initiator's nonce; nothing else.
    let mut want = gw_ident(GW);
    want.extend(nonce(&p, request));
    assert_eq!(p.notifies(response), [NotifyType::REDIRECT]);
    assert_eq!(notify_data(&p, response, NotifyType::REDIRECT), Some(want));

    assert_eq!(closed(&p.a, h), Some(CloseReason::Redirected { to: gw() }));
    let (to, new_sa) = redirected(&p.a, h).unwrap();
    assert_eq!(to, gw());
    let new_sa = new_sa.unwrap();
    assert_ne!(new_sa, h);
    assert_eq!(p.a.ep.sa_state(new_sa), Some(SaState::Established));

    // The new IKE_SA_INIT goes to the new gateway and names the old one.
    let again = &inits[2].1;
    assert_eq!(again.to, addr(GW, 500));
    let n = p.notifies(again);
    assert!(
        n.contains(&NotifyType::REDIRECTED_FROM) && !n.contains(&NotifyType::REDIRECT_SUPPORTED)
    );
    assert_eq!(
        notify_data(&p, again, NotifyType::REDIRECTED_FROM),
        Some(gw_ident(B_ADDR))
    );
    assert_eq!(p.a.established().unwrap().remote, addr(GW, 500));
}

#[test]
fn redirect_during_ike_auth() {
    let (client, server) = policies(true, Some(RedirectPhase::IkeAuth));
    let mut p = Pair::new(21, server);
    let h = p.connect(client);
    p.drive_to_established(300);

    let auth = p.exchanges(ExchangeType::IKE_AUTH);
    let response = &auth[1].1;
    let payloads = p.payloads(response);
    // §6: the gateway authenticates itself (AUTH) and redirects instead of a CHILD_SA.
    assert!(payloads
        .iter()
        .any(|x| matches!(x.body, PayloadBody::Auth(_))));
    assert!(!payloads
        .iter()
        .any(|x| matches!(x.body, PayloadBody::Sa(_))));
    assert_eq!(
        notify_data(&p, response, NotifyType::REDIRECT),
        Some(gw_ident(GW)),
        "no nonce data outside IKE_SA_INIT"
    );
    assert_eq!(closed(&p.a, h), Some(CloseReason::Redirected { to: gw() }));
    // The initiator deletes the redirected IKE SA.
    let info = p.exchanges(ExchangeType::INFORMATIONAL);
    assert!(p.payloads(&info[0].1).iter().any(|x| matches!(
        &x.body,
        PayloadBody::Delete(d) if d.protocol == ikelab_wire::iana::ProtocolId::IKE
    )));
    let new_sa = redirected(&p.a, h).unwrap().1.unwrap();
    assert_eq!(p.a.ep.sa_state(new_sa), Some(SaState::Established));
    assert_eq!(
        p.a.children().len(),
        1,
        "the CHILD_SA comes from the new gateway only"
    );
}

#[test]
fn redirect_of_an_established_sa() {
    let (client, server) = policies(true, None);
    let mut p = Pair::new(22, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    let hb = p.b.events[0].sa.unwrap();
    p.b.ep.redirect_peer(p.time, hb, gw()).unwrap();
    p.flush();
    p.drive_until(300, |p| {
        p.a.count(|k| matches!(k, EventKind::Closed { .. })) > 0
            && p.b.count(|k| matches!(k, EventKind::Closed { .. })) > 0
    });

    let info = p.exchanges(ExchangeType::INFORMATIONAL);
    assert_eq!(
        notify_data(&p, &info[0].1, NotifyType::REDIRECT),
        Some(gw_ident(GW))
    );
    let new_sa = redirected(&p.a, h).unwrap().1.unwrap();
    assert_eq!(p.a.ep.sa_state(new_sa), Some(SaState::Established));
    // §5: the old IKE SA went only once the new one was up.
    assert_eq!(closed(&p.a, h), Some(CloseReason::DeletedLocally));
    assert_eq!(closed(&p.b, hb), Some(CloseReason::DeletedByPeer));
    let a_events: Vec<&EventKind> = p.a.events.iter().map(|e| &e.kind).collect();
    let up = a_events
        .iter()
        .rposition(|k| matches!(k, EventKind::IkeSaEstablished(_)))
        .unwrap();
    let gone = a_events
        .iter()
        .position(|k| matches!(k, EventKind::Closed { .. }))
        .unwrap();
    assert!(up < gone);
}

#[test]
fn no_redirect_without_redirect_supported() {
    // DisableRedirect: no REDIRECT_SUPPORTED, so the gateway serves the client itself.
    let (client, server) = policies(false, Some(RedirectPhase::IkeSaInit));
    let mut p = Pair::new(23, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    assert!(!p
        .notifies(&p.exchanges(INIT)[0].1)
        .contains(&NotifyType::REDIRECT_SUPPORTED));
    assert_eq!(p.a.ep.sa_state(h), Some(SaState::Established));
    let hb = p.b.events[0].sa.unwrap();
    assert_eq!(
        p.b.ep.redirect_peer(p.time, hb, gw()),
        Err(ConfigError::RedirectUnsupported(hb.0))
    );
}

/// Replaces the first IKE_SA_INIT response with a REDIRECT carrying `nonce` (the request's Ni
/// when `None`).
fn forge_init_redirect(p: &mut Pair, nonce: Option<Vec<u8>>) {
    let mut ni = nonce;
    let mut done = false;
    p.interceptor = Some(Box::new(move |c| {
        let msg = c.message();
        if msg.header.exchange_type != INIT || done {
            return Action::Pass;
        }
        if !msg.header.flags.response() {
            if ni.is_none() {
                ni = msg.payloads.iter().find_map(|x| match &x.body {
                    PayloadBody::Nonce(n) => Some(n.clone()),
                    _ => None,
                });
            }
            return Action::Pass;
        }
        done = true;
        let mut data = gw_ident(GW);
        data.extend(ni.clone().unwrap_or_default());
        rewrite(c, |m| {
            m.payloads = vec![Payload::new(PayloadBody::Notify(NotifyPayload::new(
                NotifyType::REDIRECT,
                data,
            )))];
        });
        Action::Pass
    }));
}

#[test]
fn unsolicited_or_forged_redirects_are_ignored() {
    for (follow, nonce, violation) in [
        (false, None, Violation::UnsolicitedRedirect),
        (true, Some(vec![7u8; 32]), Violation::RedirectNonceMismatch),
    ] {
        let (client, server) = policies(follow, None);
        let mut p = Pair::new(24, server);
        forge_init_redirect(&mut p, nonce);
        let h = p.connect(client);
        p.drive_to_established(200);
        // Ignored like a forged error notify: the retransmitted request got the real answer.
        assert!(p.a.violations().contains(&violation), "{violation:?}");
        assert!(redirected(&p.a, h).is_none());
        assert_eq!(p.a.ep.sa_state(h), Some(SaState::Established));
    }
}

#[test]
fn redirect_loop_stops_at_the_limit() {
    // B redirects to GW, and GW's traffic lands at B again: A→B→GW(=B)→… (§3.3).
    let (client, server) = policies(true, Some(RedirectPhase::IkeSaInit));
    let mut p = Pair::new(25, server);
    p.interceptor = Some(Box::new(|c| {
        if c.to == addr(GW, 500) {
            c.to = addr(B_ADDR, 500);
        }
        Action::Pass
    }));
    let first = p.connect(client);
    p.drive_until(400, |p| {
        p.a.events.iter().any(|e| {
            matches!(
                e.kind,
                EventKind::Closed {
                    reason: CloseReason::RedirectLoop { .. }
                }
            )
        })
    });
    let reasons: Vec<CloseReason> =
        p.a.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Closed { reason } => Some(reason.clone()),
                _ => None,
            })
            .collect();
    let mut want = vec![CloseReason::Redirected { to: gw() }; MAX_REDIRECTS];
    want.push(CloseReason::RedirectLoop {
        redirects: MAX_REDIRECTS as u32 + 1,
    });
    assert_eq!(reasons, want);
    // One IKE_SA_INIT for the first try and one per redirect followed, then nothing more.
    let requests = p
        .exchanges(INIT)
        .iter()
        .filter(|(_, c)| !c.message().header.flags.response())
        .count();
    assert_eq!(requests, 1 + MAX_REDIRECTS);
    assert_eq!(redirected(&p.a, first).unwrap().0, gw());
    p.drive_bounded(200);
    assert_eq!(
        p.exchanges(INIT).len(),
        2 * (1 + MAX_REDIRECTS),
        "no IKE_SA_INIT after the loop was detected"
    );
}
