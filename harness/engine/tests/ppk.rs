//! Post-quantum preshared keys (RFC 8784) between two engines in virtual time: USE_PPK in
//! IKE_SA_INIT, PPK_IDENTITY and NO_PPK_AUTH in IKE_AUTH, the fallback, mandatory PPKs, and
//! that SK_d (CHILD_SA keys, IKE SA rekey) depends on the PPK while SK_e/SK_a do not.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use ikelab_engine::*;
use ikelab_policy::{IkePolicy, Ppk, Secret};
use ikelab_wire::iana::{ExchangeType, NotifyType};
use ikelab_wire::payload::PayloadBody;
use pair::harness::*;

const INIT: ExchangeType = ExchangeType::IKE_SA_INIT;
const AUTH: ExchangeType = ExchangeType::IKE_AUTH;

fn ppk(id: &str, secret: &[u8], mandatory: bool) -> Option<Ppk> {
    Some(Ppk {
        id: id.into(),
        secret: Secret::new(secret.to_vec()),
        mandatory,
    })
}

const KEY: &[u8] = b"a 256-bit post-quantum preshared key, really";

/// Runs one handshake; `None` leaves PPK off on that side.
fn run(seed: u64, client_ppk: Option<Ppk>, server_ppk: Option<Ppk>) -> Pair {
    let (mut client, mut server) = psk_policies();
    client.features.ppk = client_ppk;
    server.features.ppk = server_ppk;
    run_with(seed, client, server)
}

fn run_with(seed: u64, client: IkePolicy, server: IkePolicy) -> Pair {
    let mut p = Pair::new(seed, server);
    p.connect(client);
    p.drive_until(100, |p| {
        let both_up = p.a.children().len() == 1 && p.b.children().len() == 1;
        // A failed run ends with both sides closed, or (PPK not supported) the initiator
        // closed before IKE_AUTH while the responder stays half-open.
        let failed = match p.a.closed() {
            Some(CloseReason::PpkNotSupported) => true,
            Some(_) => p.b.closed().is_some(),
            None => false,
        };
        both_up || failed
    });
    p
}

/// Notify types of message `i` of exchange `x` (0: request, 1: response).
fn notifies_of(p: &Pair, x: ExchangeType, i: usize) -> Vec<NotifyType> {
    let msgs = p.exchanges(x);
    p.notifies(&msgs[i].1)
}

fn notify_data(p: &Pair, x: ExchangeType, i: usize, t: NotifyType) -> Option<Vec<u8>> {
    let msgs = p.exchanges(x);
    p.payloads(&msgs[i].1)
        .into_iter()
        .find_map(|pl| match pl.body {
            PayloadBody::Notify(n) if n.notify_type == t => Some(n.data),
            _ => None,
        })
}

fn child_key(p: &Pair) -> Vec<u8> {
    p.a.children()[0].outbound.encryption.as_bytes().to_vec()
}

fn ike_key(p: &Pair) -> Vec<u8> {
    p.keys()[0].sk_ei.as_bytes().to_vec()
}

fn auth_failed(v: &[Violation]) -> bool {
    v.iter()
        .any(|v| matches!(v, Violation::AuthenticationFailed(_)))
}

#[test]
fn same_ppk_on_both_sides_mixes_sk_d_but_not_sk_e() {
    let plain = run(1, None, None);
    let with = run(1, ppk("ppk-1", KEY, false), ppk("ppk-1", KEY, false));
    assert!(with.a.established().is_some() && with.b.established().is_some());
    assert!(notifies_of(&with, INIT, 0).contains(&NotifyType::USE_PPK));
    assert!(notifies_of(&with, INIT, 1).contains(&NotifyType::USE_PPK));
    assert!(!notifies_of(&plain, INIT, 0).contains(&NotifyType::USE_PPK));
    // §3: PPK_IDENTITY carries the type octet (PPK_ID_FIXED = 2) and the PPK_ID.
    assert_eq!(
        notify_data(&with, AUTH, 0, NotifyType::PPK_IDENTITY).unwrap(),
        b"\x02ppk-1"
    );
    assert!(notifies_of(&with, AUTH, 0).contains(&NotifyType::NO_PPK_AUTH));
    // The responder confirms with an empty PPK_IDENTITY.
    assert_eq!(
        notify_data(&with, AUTH, 1, NotifyType::PPK_IDENTITY).unwrap(),
        b""
    );
    // Same seeds: same SK_ei (the key log is unaffected), different CHILD_SA keys (SK_d).
    assert_eq!(ike_key(&plain), ike_key(&with));
    assert_ne!(child_key(&plain), child_key(&with));
    let (a, b) = (&with.a.children()[0], &with.b.children()[0]);
    assert_eq!(
        a.outbound.encryption.as_bytes(),
        b.inbound.encryption.as_bytes()
    );
    assert_eq!(
        a.inbound.encryption.as_bytes(),
        b.outbound.encryption.as_bytes()
    );
}

#[test]
fn mandatory_ppk_sends_no_no_ppk_auth() {
    let p = run(2, ppk("ppk-1", KEY, true), ppk("ppk-1", KEY, true));
    assert!(p.a.established().is_some() && p.b.established().is_some());
    let n = notifies_of(&p, AUTH, 0);
    assert!(n.contains(&NotifyType::PPK_IDENTITY));
    assert!(!n.contains(&NotifyType::NO_PPK_AUTH));
}

#[test]
fn unknown_ppk_id_falls_back_to_no_ppk_auth() {
    let plain = run(3, None, None);
    let p = run(3, ppk("ppk-1", KEY, false), ppk("other-ppk", KEY, false));
    assert!(p.a.established().is_some() && p.b.established().is_some());
    // No confirmation: both sides use the keys without the PPK.
    assert!(!notifies_of(&p, AUTH, 1).contains(&NotifyType::PPK_IDENTITY));
    assert_eq!(child_key(&p), child_key(&plain));
    let (a, b) = (&p.a.children()[0], &p.b.children()[0]);
    assert_eq!(
        a.outbound.encryption.as_bytes(),
        b.inbound.encryption.as_bytes()
    );
}

#[test]
fn unknown_ppk_id_with_mandatory_responder_fails_authentication() {
    let p = run(4, ppk("ppk-1", KEY, false), ppk("other-ppk", KEY, true));
    assert!(p.a.established().is_none());
    assert!(matches!(
        p.b.violations().as_slice(),
        [Violation::AuthenticationFailed(
            AuthFailure::PpkNotUsed { .. }
        )]
    ));
    assert_eq!(
        p.a.closed(),
        Some(CloseReason::PeerError(NotifyType::AUTHENTICATION_FAILED))
    );
    assert_eq!(
        notifies_of(&p, AUTH, 1),
        [NotifyType::AUTHENTICATION_FAILED]
    );
}

#[test]
fn responder_without_ppk_and_mandatory_initiator_aborts_before_ike_auth() {
    let p = run(5, ppk("ppk-1", KEY, true), None);
    // §3: the responder does not answer USE_PPK without a PPK of its own.
    assert!(!notifies_of(&p, INIT, 1).contains(&NotifyType::USE_PPK));
    assert_eq!(p.a.closed(), Some(CloseReason::PpkNotSupported));
    assert!(p.exchanges(AUTH).is_empty());
}

#[test]
fn responder_without_ppk_and_optional_initiator_goes_on_without() {
    let plain = run(6, None, None);
    let p = run(6, ppk("ppk-1", KEY, false), None);
    assert!(p.a.established().is_some() && p.b.established().is_some());
    // No USE_PPK from the responder: no PPK notifies in IKE_AUTH at all.
    let n = notifies_of(&p, AUTH, 0);
    assert!(!n.contains(&NotifyType::PPK_IDENTITY) && !n.contains(&NotifyType::NO_PPK_AUTH));
    assert_eq!(child_key(&p), child_key(&plain));
}

#[test]
fn initiator_without_ppk_and_mandatory_responder_fails_authentication() {
    let p = run(7, None, ppk("ppk-1", KEY, true));
    assert!(!notifies_of(&p, INIT, 1).contains(&NotifyType::USE_PPK));
    assert!(p.a.established().is_none());
    assert!(matches!(
        p.b.violations().as_slice(),
        [Violation::AuthenticationFailed(
            AuthFailure::PpkNotUsed { .. }
        )]
    ));
}

#[test]
fn mismatched_ppk_secret_fails_authentication() {
    // Mandatory: no NO_PPK_AUTH to fall back on, the PPK-keyed AUTH does not verify.
    let p = run(
        8,
        ppk("ppk-1", KEY, true),
        ppk("ppk-1", b"another key", true),
    );
    assert!(p.a.established().is_none() && p.b.established().is_none());
    assert!(matches!(
        p.b.violations().as_slice(),
        [Violation::AuthenticationFailed(AuthFailure::PskMismatch)]
    ));
    // Optional: the responder has "the" PPK, so it uses it and must not fall back (§3).
    let p = run(
        9,
        ppk("ppk-1", KEY, false),
        ppk("ppk-1", b"another key", false),
    );
    assert!(p.a.established().is_none());
    assert!(auth_failed(&p.b.violations()));
}

/// Both sides use the PPK, but the confirming PPK_IDENTITY is stripped from the IKE_AUTH
/// response on the wire (a responder that uses the PPK without saying so).
fn unconfirmed(seed: u64, mandatory: bool) -> Pair {
    let (mut client, mut server) = psk_policies();
    client.features.ppk = ppk("ppk-1", KEY, mandatory);
    server.features.ppk = ppk("ppk-1", KEY, mandatory);
    let mut p = Pair::new(seed, server);
    let keys_of = std::rc::Rc::new(std::cell::RefCell::new(Vec::<IkeKeyLog>::new()));
    let k2 = keys_of.clone();
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == AUTH && m.flags.response() {
            let keys = k2.borrow().clone();
            reseal(c, &keys, |_, inner| {
                inner.retain(|pl| {
                    !matches!(&pl.body, PayloadBody::Notify(n)
                        if n.notify_type == NotifyType::PPK_IDENTITY)
                });
            });
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_until(20, |p| !p.keys().is_empty());
    *keys_of.borrow_mut() = p.keys();
    p.drive_until(100, |p| {
        p.a.closed().is_some() || p.a.established().is_some()
    });
    p
}

#[test]
fn initiator_refuses_a_response_that_does_not_confirm_the_ppk() {
    // Mandatory: §3 forbids going on without the PPK.
    let p = unconfirmed(10, true);
    assert!(p.a.established().is_none());
    assert!(matches!(
        p.a.violations().as_slice(),
        [Violation::AuthenticationFailed(
            AuthFailure::PpkNotUsed { .. }
        )]
    ));
    // Optional: the initiator falls back to SK_pr', which the responder's PPK-keyed AUTH
    // does not match.
    let p = unconfirmed(10, false);
    assert!(p.a.established().is_none());
    assert!(matches!(
        p.a.violations().as_slice(),
        [Violation::AuthenticationFailed(AuthFailure::PskMismatch)]
    ));
}

/// Both sides have ppk-1 (optional); the PPK_ID type octet of the IKE_AUTH request is
/// rewritten on the wire to `ty`.
fn with_ppk_id_type(seed: u64, ty: u8) -> Pair {
    let (mut client, mut server) = psk_policies();
    client.features.ppk = ppk("ppk-1", KEY, false);
    server.features.ppk = ppk("ppk-1", KEY, false);
    let mut p = Pair::new(seed, server);
    let keys_of = std::rc::Rc::new(std::cell::RefCell::new(Vec::<IkeKeyLog>::new()));
    let k2 = keys_of.clone();
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == AUTH && !m.flags.response() {
            let keys = k2.borrow().clone();
            reseal(c, &keys, |_, inner| {
                for pl in inner.iter_mut() {
                    if let PayloadBody::Notify(n) = &mut pl.body {
                        if n.notify_type == NotifyType::PPK_IDENTITY {
                            n.data[0] = ty;
                        }
                    }
                }
            });
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_until(20, |p| !p.keys().is_empty());
    *keys_of.borrow_mut() = p.keys();
    p.drive_to_established(100);
    p
}

#[test]
fn ppk_id_opaque_is_accepted_and_unknown_types_fall_back() {
    // PPK_ID_OPAQUE (1) naming the same octets: the responder uses the PPK.
    let p = with_ppk_id_type(12, 1);
    assert!(notifies_of(&p, AUTH, 1).contains(&NotifyType::PPK_IDENTITY));
    // An unassigned type (3): not a PPK we know; NO_PPK_AUTH carries the SA.
    let plain = run(12, None, None);
    let p = with_ppk_id_type(12, 3);
    assert!(!notifies_of(&p, AUTH, 1).contains(&NotifyType::PPK_IDENTITY));
    assert_eq!(child_key(&p), child_key(&plain));
}

#[test]
fn ike_sa_rekey_derives_from_the_mixed_sk_d() {
    let rekey = |client_ppk, server_ppk| {
        let mut p = run(11, client_ppk, server_ppk);
        let h =
            p.a.events
                .iter()
                .find_map(|e| match e.kind {
                    EventKind::IkeSaEstablished(_) => e.sa,
                    _ => None,
                })
                .unwrap();
        p.a.ep.rekey_ike_sa(p.time, h).unwrap();
        p.flush();
        p.drive_until(50, |p| {
            p.a.count(|k| matches!(k, EventKind::IkeSaRekeyed { .. })) > 0
        });
        let keys = p.keys();
        assert!(keys.len() >= 3, "initial and rekeyed key logs");
        keys.last().unwrap().sk_ei.as_bytes().to_vec()
    };
    let plain = rekey(None, None);
    let with = rekey(ppk("ppk-1", KEY, false), ppk("ppk-1", KEY, false));
    // §2.18 SKEYSEED = prf(SK_d (old), ...): the rekeyed SA inherits the PPK through SK_d.
    assert_ne!(plain, with);
}

#[test]
fn ppk_with_eap_is_refused_as_configuration() {
    let (mut client, mut server) = psk_policies();
    client.features.ppk = ppk("ppk-1", KEY, false);
    client.local.auth = ikelab_policy::LocalAuth::Eap {
        eap_method: ikelab_policy::EapMethod::Mschapv2,
        identity: None,
        password: Secret::new(b"password".to_vec()),
        tls: None,
    };
    let mut p = Pair::new(13, server.clone());
    let err =
        p.a.ep
            .connect(
                p.time,
                std::sync::Arc::new(client),
                addr(A_ADDR, 500),
                addr(B_ADDR, 500),
            )
            .unwrap_err();
    assert!(err.to_string().contains("PPK"), "{err}");
    // A responder policy is checked when the endpoint is made.
    server.features.ppk = ppk("ppk-1", KEY, false);
    server.remote.auth = ikelab_policy::RemoteAuth::Eap {
        eap_method: ikelab_policy::EapMethod::Mschapv2,
        users: Vec::new(),
        tls: None,
    };
    match Endpoint::new(config(1, Some(server))) {
        Err(e) => assert!(e.to_string().contains("PPK"), "{e}"),
        Ok(_) => panic!("a PPK with EAP accepted"),
    }
}
