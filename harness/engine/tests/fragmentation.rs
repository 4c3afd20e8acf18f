//! IKE fragmentation pair tests (RFC 7383): a certificate IKE_AUTH with an RSA-4096 chain sent
//! as SKF fragments both ways, retransmission of all fragments, and the reassembly rules and
//! limits (§2.3, §2.5, §2.5.3, §2.6, §5) with hand-made fragments. Every refusal asserts the
//! drop (nothing answered), the unchanged SA and the recorded violation.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ikelab_engine::*;
use ikelab_policy::{CertSource, Duration, IkePolicy, KeySource, LocalAuth, RemoteAuth, Secret};
use ikelab_wire::iana::{ExchangeType, PayloadType};
use ikelab_wire::payload::{Payload, PayloadBody, SkfPayload};
use ikelab_wire::Message;
use pair::harness::*;

const AUTH: ExchangeType = ExchangeType::IKE_AUTH;

/// An RSA-4096 root, an RSA-4096 intermediate and two RSA-4096 end entities with PKCS#8 keys
/// (tests/data/rsa4096, generated once: RSA-4096 key generation takes seconds).
struct Pki {
    root: Vec<u8>,
    intermediate: Vec<u8>,
    client: (Vec<u8>, Vec<u8>),
    server: (Vec<u8>, Vec<u8>),
}

fn pki() -> Pki {
    macro_rules! data {
        ($f:literal) => {
            include_bytes!(concat!("data/rsa4096/", $f)).to_vec()
        };
    }
    Pki {
        root: data!("root.der"),
        intermediate: data!("intermediate.der"),
        client: (data!("client.der"), data!("client.key.der")),
        server: (data!("server.der"), data!("server.key.der")),
    }
}

/// Certificate policies for both sides with the RSA-4096 chain and this fragment size.
fn cert_policies(fragment_size: u16) -> (IkePolicy, IkePolicy) {
    let pki = &pki();
    let local = |(cert, key): &(Vec<u8>, Vec<u8>)| LocalAuth::Pubkey {
        certificate: CertSource::Der(cert.clone()),
        chain: vec![CertSource::Der(pki.intermediate.clone())],
        private_key: KeySource::Der {
            label: "PRIVATE KEY".into(),
            der: Secret::new(key.clone()),
        },
        signature: Default::default(),
    };
    let remote = RemoteAuth::Pubkey {
        trust_anchors: vec![CertSource::Der(pki.root.clone())],
        allow_legacy_methods: true,
    };
    let (mut client, mut server) = psk_policies();
    client.local.auth = local(&pki.client);
    client.remote.auth = remote.clone();
    server.local.auth = local(&pki.server);
    server.remote.auth = remote;
    client.features.fragment_size = fragment_size;
    server.features.fragment_size = fragment_size;
    (client, server)
}

fn skf_of(c: &Captured) -> Option<SkfPayload> {
    match c.message().encrypted().map(|p| &p.body) {
        Some(PayloadBody::Skf(f)) => Some(f.clone()),
        _ => None,
    }
}

/// IKE_AUTH datagrams on the wire in one direction (delivered or not).
fn auth_datagrams(p: &Pair, response: bool) -> Vec<Captured> {
    p.wire
        .iter()
        .filter(|c| {
            Message::parse(c.ike()).is_ok_and(|m| {
                let h = m.message.header;
                h.exchange_type == AUTH && h.flags.response() == response
            })
        })
        .cloned()
        .collect()
}

/// Asserts one complete, well-formed fragment set (§2.5) and returns its size.
fn assert_fragment_set(set: &[Captured], limit: usize, first: PayloadType) -> usize {
    let total = set.len();
    assert!(
        total >= 3,
        "an RSA-4096 chain needs several fragments: {total}"
    );
    for (i, c) in set.iter().enumerate() {
        let f = skf_of(c).expect("every IKE_AUTH datagram is an SKF fragment");
        assert_eq!(usize::from(f.fragment_number), i + 1);
        assert_eq!(usize::from(f.total_fragments), total);
        let expect = if i == 0 { first } else { PayloadType::NONE };
        assert_eq!(
            f.first_payload,
            expect,
            "Next Payload of fragment {}",
            i + 1
        );
        // The IP datagram: IPv4 header, UDP header and the UDP payload (marker included).
        let ip = 20 + 8 + c.payload.len();
        assert!(ip <= limit, "fragment {} is {ip} octets", i + 1);
    }
    total
}

fn established_with_fragments(nat: bool) {
    let (client, server) = cert_policies(576);
    let mut p = Pair::new(if nat { 71 } else { 70 }, server);
    p.nat = nat;
    p.connect(client);
    p.drive_to_established(200);
    let req = auth_datagrams(&p, false);
    let resp = auth_datagrams(&p, true);
    let n_req = assert_fragment_set(&req, 576, PayloadType::IDI);
    let n_resp = assert_fragment_set(&resp, 576, PayloadType::IDR);
    if nat {
        assert!(req
            .iter()
            .all(|c| c.to.port() == 4500 && c.payload[..4] == [0; 4]));
    }
    // Reassembled: both certificates (end entity, then intermediate) and the signature.
    for (set, n) in [(&req, n_req), (&resp, n_resp)] {
        let inner = p.reassembled(&set[0].message().header);
        let certs = inner
            .iter()
            .filter(|x| matches!(x.body, PayloadBody::Cert(_)))
            .count();
        assert_eq!(certs, 2, "{n} fragments");
        assert!(inner.iter().any(|x| matches!(x.body, PayloadBody::Auth(_))));
    }
    assert!(p.a.violations().is_empty(), "{:?}", p.a.violations());
    assert!(p.b.violations().is_empty(), "{:?}", p.b.violations());
    assert_eq!(
        p.a.count(|k| matches!(k, EventKind::Retransmitted { .. })),
        0
    );
}

#[test]
fn rsa4096_chain_ike_auth_fragmented_both_ways() {
    established_with_fragments(false);
}

#[test]
fn fragments_behind_a_nat_count_the_non_esp_marker() {
    established_with_fragments(true);
}

#[test]
fn without_peer_support_the_message_goes_whole() {
    let (client, mut server) = cert_policies(576);
    server.features.fragmentation = false;
    let mut p = Pair::new(72, server);
    p.connect(client);
    p.drive_to_established(200);
    for response in [false, true] {
        let set = auth_datagrams(&p, response);
        assert_eq!(set.len(), 1);
        assert!(skf_of(&set[0]).is_none());
        assert!(set[0].payload.len() > 576);
    }
}

/// Drops the first send of one IKE_AUTH fragment (request or response side).
fn lose_one_fragment(seed: u64, response: bool, lost: u16) -> Pair {
    let (client, server) = cert_policies(576);
    let mut p = Pair::new(seed, server);
    let done = Rc::new(Cell::new(false));
    let d = done.clone();
    p.interceptor = Some(Box::new(move |c| {
        let m = c.message();
        if m.header.exchange_type == AUTH
            && m.header.flags.response() == response
            && !d.get()
            && skf_of(c).is_some_and(|f| f.fragment_number == lost)
        {
            d.set(true);
            return Action::Drop;
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_to_established(300);
    assert!(done.get());
    p
}

#[test]
fn lost_request_fragment_retransmits_every_fragment() {
    let p = lose_one_fragment(73, false, 2);
    let req = auth_datagrams(&p, false);
    let n = req.len() / 2;
    assert_eq!(req.len(), 2 * n, "the whole set, sent twice");
    for i in 0..n {
        assert_eq!(
            req[i].payload,
            req[n + i].payload,
            "fragment {} resent as is",
            i + 1
        );
    }
    assert_eq!(
        p.a.count(|k| matches!(k, EventKind::Retransmitted { .. })),
        1
    );
    // One response, fragmented.
    let resp = auth_datagrams(&p, true);
    assert_fragment_set(&resp, 576, PayloadType::IDR);
}

#[test]
fn lost_response_fragment_gets_the_cached_response_again() {
    let p = lose_one_fragment(74, true, 3);
    let resp = auth_datagrams(&p, true);
    let n = resp.len() / 2;
    assert_eq!(
        resp.len(),
        2 * n,
        "answered once, on fragment 1 of the retransmission"
    );
    for i in 0..n {
        assert_eq!(resp[i].payload, resp[n + i].payload);
    }
    assert_eq!(
        p.b.count(|k| matches!(k, EventKind::ChildSaInstalled(_))),
        1
    );
}

// ---- Hand-made fragments of a held IKE_AUTH request (PSK, so the request is small and whole).

/// A pair whose IKE_AUTH requests from the initiator are held back while `block` is set; the
/// first is returned decrypted, to be cut into fragments.
struct Held {
    p: Pair,
    orig: Captured,
    plain: Vec<u8>,
    first: PayloadType,
    block: Rc<Cell<bool>>,
}

fn held(seed: u64, server: IkePolicy, client: IkePolicy, limits: Option<FragmentLimits>) -> Held {
    let mut p = Pair::new(seed, server.clone());
    if let Some(limits) = limits {
        let mut cfg = config(seed.wrapping_mul(2) + 2, Some(server));
        cfg.fragment_limits = limits;
        p.b.ep = Endpoint::new(cfg).unwrap();
    }
    let block = Rc::new(Cell::new(true));
    let store: Rc<RefCell<Vec<Captured>>> = Rc::default();
    let (b, s) = (block.clone(), store.clone());
    p.interceptor = Some(Box::new(move |c| {
        let h = c.message().header;
        if h.exchange_type == AUTH && !h.flags.response() && b.get() {
            s.borrow_mut().push(c.clone());
            return Action::Drop;
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_until(20, |_| !store.borrow().is_empty());
    let orig = store.borrow()[0].clone();
    let inner = p.payloads(&orig);
    let mut plain = Vec::new();
    Payload::emit_chain(&inner, &mut plain);
    Held {
        p,
        orig,
        plain,
        first: inner[0].payload_type(),
        block,
    }
}

fn held_psk(seed: u64) -> Held {
    let (client, server) = psk_policies();
    held(seed, server, client, None)
}

impl Held {
    /// The plaintext cut into exactly `total` pieces.
    fn pieces(&self, total: usize) -> Vec<Vec<u8>> {
        let (len, mut at) = (self.plain.len(), 0);
        (0..total)
            .map(|i| {
                let size = len / total + usize::from(i < len % total);
                at += size;
                self.plain[at - size..at].to_vec()
            })
            .collect()
    }

    /// One SKF fragment of the held request, protected with the initiator's keys, with
    /// unprotected `outer` payloads before it.
    fn fragment(&self, number: u16, total: u16, piece: &[u8], outer: Vec<Payload>) -> Captured {
        let header = self.orig.message().header;
        let ctx = sk_context(&self.p.keys(), &header);
        let pad = ctx.min_pad_len(piece.len());
        let body_len = ctx.body_len(piece.len(), pad);
        let first = if number == 1 {
            self.first
        } else {
            PayloadType::NONE
        };
        let mut payloads = outer;
        payloads.push(Payload::new(PayloadBody::Skf(SkfPayload {
            first_payload: first,
            fragment_number: number,
            total_fragments: total,
            body: vec![0; body_len],
        })));
        let mut bytes = Message { header, payloads }.emit();
        bytes.truncate(bytes.len() - body_len);
        let rng = ikelab_crypto::rng::SeededRandom::from_u64(u64::from(number));
        bytes.extend(ctx.seal_padded(&bytes, piece, pad, &rng).unwrap());
        Captured {
            time: self.p.time,
            from: self.orig.from,
            to: self.orig.to,
            payload: bytes,
            dropped: false,
        }
    }

    /// Delivers fragments `numbers` of the plaintext cut into `total` pieces.
    fn send(&mut self, total: u16, numbers: &[u16]) {
        let pieces = self.pieces(usize::from(total));
        for &n in numbers {
            let c = self.fragment(n, total, &pieces[usize::from(n - 1)], vec![]);
            self.p.inject(c);
        }
        self.deliver();
    }

    /// Runs until the injected datagrams have arrived (and whatever they caused).
    fn deliver(&mut self) {
        let until = self.p.time + Duration::from_millis(50);
        self.p.drive_until(50, |p| p.time >= until);
    }

    fn responses(&self) -> usize {
        auth_datagrams(&self.p, true).len()
    }

    /// The responder still waits for IKE_AUTH and has answered nothing.
    fn assert_unchanged(&self) {
        assert_eq!(self.responses(), 0);
        assert_eq!(self.p.b.ep.half_open(), 1);
        assert!(self.p.b.established().is_none());
    }

    /// The whole request in `total` fragments completes the handshake, answered once.
    fn finish(&mut self, total: u16) {
        let all: Vec<u16> = (1..=total).collect();
        self.send(total, &all);
        self.p.drive_to_established(100);
        assert_eq!(self.responses(), 1);
    }
}

fn b_violations(p: &Pair) -> Vec<Violation> {
    p.b.violations()
}

#[test]
fn too_many_fragments_are_refused() {
    let mut h = held_psk(80);
    let limit = h.p.b.ep.config().fragment_limits.max_fragments;
    let c = h.fragment(1, limit + 1, &h.plain.clone(), vec![]);
    h.p.inject(c);
    h.deliver();
    h.assert_unchanged();
    assert_eq!(
        b_violations(&h.p),
        [Violation::TooManyFragments {
            total: limit + 1,
            limit
        }]
    );
    assert_eq!(
        b_violations(&h.p)[0].rfc_section(),
        "RFC 7383 §5",
        "and no Notify: {:?}",
        b_violations(&h.p)[0].notify()
    );
    h.finish(3);
}

#[test]
fn oversize_reassembly_is_dropped() {
    let (client, server) = psk_policies();
    let limits = FragmentLimits {
        max_bytes: 100,
        ..FragmentLimits::default()
    };
    let mut h = held(81, server, client, Some(limits));
    assert!(h.plain.len() > 100);
    h.send(3, &[1, 2, 3]);
    h.assert_unchanged();
    let v = b_violations(&h.p);
    assert!(
        matches!(
            v.as_slice(),
            [Violation::ReassembledMessageTooLarge { bytes, limit: 100 }] if *bytes > 100
        ),
        "{v:?}"
    );
    // The fragments held for it are gone; the initiator's whole retransmission still works.
    h.block.set(false);
    h.p.drive_to_established(100);
    assert_eq!(h.responses(), 1);
}

#[test]
fn smaller_total_is_discarded_and_greater_total_restarts() {
    let mut h = held_psk(82);
    h.send(4, &[1]);
    h.send(3, &[2]);
    h.assert_unchanged();
    assert_eq!(
        b_violations(&h.p),
        [Violation::FragmentTotalDecreased { total: 3, held: 4 }]
    );
    // §2.6: a greater Total Fragments starts over; fragment 1/4 held so far is dropped, so
    // the 5-piece set alone completes the message.
    h.finish(5);
    assert_eq!(b_violations(&h.p).len(), 1);
}

#[test]
fn duplicate_fragments_are_replays_not_errors() {
    let mut h = held_psk(83);
    h.send(3, &[1, 1, 2, 2, 1]);
    h.assert_unchanged();
    h.send(3, &[3, 3]);
    h.p.drive_to_established(100);
    assert_eq!(h.responses(), 1);
    assert!(b_violations(&h.p).is_empty(), "{:?}", b_violations(&h.p));
}

#[test]
fn fragment_number_zero_or_above_total_is_dropped() {
    let mut h = held_psk(84);
    let pieces = h.pieces(2);
    for (number, total) in [(0u16, 2u16), (3, 2), (0, 0)] {
        let c = h.fragment(number, total, &pieces[0], vec![]);
        h.p.inject(c);
    }
    h.deliver();
    h.assert_unchanged();
    assert_eq!(
        b_violations(&h.p),
        [
            Violation::InvalidFragmentNumber {
                number: 0,
                total: 2
            },
            Violation::InvalidFragmentNumber {
                number: 3,
                total: 2
            },
            Violation::InvalidFragmentNumber {
                number: 0,
                total: 0
            },
        ]
    );
    assert_eq!(b_violations(&h.p)[0].rfc_section(), "RFC 7383 §2.6");
    h.finish(2);
}

#[test]
fn incomplete_message_expires_after_the_reassembly_timeout() {
    // Shorter than the half-open timeout, so the SA outlives the expiry.
    let limits = FragmentLimits {
        timeout: Duration::from_secs(5),
        ..FragmentLimits::default()
    };
    let (client, server) = psk_policies();
    let mut h = held(85, server, client, Some(limits));
    let timeout = limits.timeout;
    h.send(3, &[1, 2]);
    // Past the timeout (the initiator's retransmissions are still held back).
    let until = h.p.time + timeout;
    h.p.drive_until(100, |p| p.time >= until);
    h.send(3, &[3]);
    h.assert_unchanged();
    assert!(b_violations(&h.p).is_empty());
    h.finish(3);
}

#[test]
fn unprotected_payloads_only_in_the_first_fragment() {
    let mut h = held_psk(86);
    let pieces = h.pieces(2);
    // libreswan fragment-overflow shape: unknown outer payloads around SKF.
    let c = h.fragment(2, 2, &pieces[1], vec![unknown_payload(200, false)]);
    h.p.inject(c);
    h.deliver();
    h.assert_unchanged();
    assert_eq!(
        b_violations(&h.p),
        [Violation::UnprotectedPayloadInLaterFragment { number: 2 }]
    );
    // In fragment 1 a non-critical unknown payload is ignored (§2.5.3 allows them there).
    let first = h.fragment(1, 2, &pieces[0], vec![unknown_payload(201, false)]);
    let second = h.fragment(2, 2, &pieces[1], vec![]);
    h.p.inject(first);
    h.p.inject(second);
    h.p.drive_to_established(100);
    assert_eq!(h.responses(), 1);
}

#[test]
fn fragments_without_negotiation_are_dropped() {
    let (client, mut server) = psk_policies();
    server.features.fragmentation = false;
    let mut h = held(87, server, client, None);
    h.send(2, &[1, 2]);
    h.assert_unchanged();
    assert_eq!(
        b_violations(&h.p),
        [
            Violation::FragmentationNotNegotiated,
            Violation::FragmentationNotNegotiated
        ]
    );
    assert_eq!(b_violations(&h.p)[0].rfc_section(), "RFC 7383 §2.3");
    // The whole request still works.
    h.block.set(false);
    h.p.drive_to_established(100);
}

#[test]
fn ike_sa_init_fragments_are_never_accepted() {
    // A request: only an SKF payload, no SA.
    let (client, server) = psk_policies();
    let mut p = Pair::new(88, server);
    let header = ikelab_wire::Header {
        initiator_spi: 0x1122_3344_5566_7788,
        responder_spi: 0,
        major_version: 2,
        minor_version: 0,
        exchange_type: ExchangeType::IKE_SA_INIT,
        flags: ikelab_wire::Flags::new(true, false),
        message_id: 0,
    };
    let skf = |first| {
        Payload::new(PayloadBody::Skf(SkfPayload {
            first_payload: first,
            fragment_number: 1,
            total_fragments: 1,
            body: vec![0; 48],
        }))
    };
    let msg = Message {
        header,
        payloads: vec![skf(PayloadType::SA)],
    };
    p.inject(Captured {
        time: p.time,
        from: addr(A_ADDR, 500),
        to: addr(B_ADDR, 500),
        payload: msg.emit(),
        dropped: false,
    });
    p.drive_bounded(10);
    assert!(p.sent_by_b().is_empty(), "nothing answered");
    assert_eq!(p.b.ep.sa_count(), 0);
    let exchange = ExchangeType::IKE_SA_INIT;
    assert_eq!(
        p.b.violations(),
        [Violation::FragmentOfUnprotectedMessage { exchange }]
    );

    // A forged response with an SKF payload ahead of the real one: the initiator keeps
    // waiting and completes with the real response.
    let mut p = Pair::new(89, psk_policies().1);
    let forged = Rc::new(Cell::new(false));
    let f = forged.clone();
    p.interceptor = Some(Box::new(move |c| {
        let h = c.message().header;
        if h.exchange_type == ExchangeType::IKE_SA_INIT && h.flags.response() && !f.get() {
            f.set(true);
            // The real response is replaced; the retransmitted request gets it again.
            rewrite(c, |m| m.payloads = vec![skf(PayloadType::SA)]);
        }
        Action::Pass
    }));
    p.connect(client);
    p.drive_to_established(100);
    assert_eq!(
        p.a.violations(),
        [Violation::FragmentOfUnprotectedMessage { exchange }]
    );
    assert!(p.a.count(|k| matches!(k, EventKind::Retransmitted { .. })) >= 1);
    assert_eq!(
        p.a.established().map(|e| e.remote_auth),
        Some(ikelab_wire::iana::AuthMethod::SHARED_KEY_MIC)
    );
}
