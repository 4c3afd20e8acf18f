//! quinn-style `Pair`: two endpoints in memory, a seeded lossy/duplicating/reordering link,
//! virtual time that jumps to the next wakeup, and a step budget against livelock.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::sync::Arc;

use ikelab_crypto::keys::IkeSuite;
use ikelab_crypto::rng::SeededRandom;
use ikelab_crypto::sk::SkContext;
use ikelab_engine::*;
use ikelab_policy::{Duration, Identity, IdentityMatch, IkePolicy, Secret};
use ikelab_wire::iana::{NotifyType, PayloadType};
use ikelab_wire::payload::{Payload, PayloadBody};
use ikelab_wire::Message;

pub const A_ADDR: &str = "192.0.2.1";
pub const B_ADDR: &str = "198.51.100.1";
/// Where a NAT in front of the initiator maps it.
pub const NAT_ADDR: &str = "203.0.113.7";

pub fn addr(ip: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), port)
}

/// One datagram on the simulated wire.
#[derive(Clone, Debug)]
pub struct Captured {
    pub time: Timestamp,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub payload: Vec<u8>,
    pub dropped: bool,
}

impl Captured {
    /// The IKE message bytes (non-ESP marker removed).
    pub fn ike(&self) -> &[u8] {
        if self.to.port() == 4500 || self.from.port() == 4500 {
            &self.payload[4..]
        } else {
            &self.payload
        }
    }

    pub fn message(&self) -> Message {
        Message::parse(self.ike())
            .expect("captured IKE message parses")
            .message
    }
}

/// What an interceptor does with a datagram.
pub enum Action {
    Pass,
    Drop,
}

pub type Interceptor = Box<dyn FnMut(&mut Captured) -> Action>;

pub struct Node {
    pub ep: Endpoint,
    inbound: BinaryHeap<Reverse<(Timestamp, u64, usize)>>,
    pub events: Vec<Event>,
}

/// Link faults, all driven by one seeded generator.
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkFaults {
    /// Per-mille probabilities.
    pub loss: u32,
    pub duplicate: u32,
    /// Extra random delay up to this many µs (reorders datagrams).
    pub jitter_us: u64,
}

pub struct Pair {
    pub time: Timestamp,
    pub a: Node,
    pub b: Node,
    pub wire: Vec<Captured>,
    pub faults: LinkFaults,
    pub latency: Duration,
    pub interceptor: Option<Interceptor>,
    /// NAT in front of the initiator: rewrites its source to NAT_ADDR (port + 10000).
    pub nat: bool,
    rng: u64,
    seq: u64,
}

pub fn config(seed: u64, responder: Option<IkePolicy>) -> EndpointConfig {
    let mut c = EndpointConfig::new(
        &ikelab_crypto::DEFAULT,
        Arc::new(SeededRandom::from_u64(seed)),
    );
    c.responder = responder.map(Arc::new);
    c.trace_messages = true;
    c.keylog = true;
    c
}

/// PSK policies for a client and a gateway that agree.
/// Certificate authentication with a test certificate and its PKCS#8 key (no chain, the
/// signature method chosen as usual).
pub fn cert_auth(cert: &ikelab_crypto::x509::TestCert) -> ikelab_policy::LocalAuth {
    ikelab_policy::LocalAuth::Pubkey {
        certificate: ikelab_policy::CertSource::Der(cert.cert_der.clone()),
        chain: vec![],
        private_key: ikelab_policy::KeySource::Der {
            label: "PRIVATE KEY".into(),
            der: Secret::new(cert.key.pkcs8_der().as_bytes().to_vec()),
        },
        signature: Default::default(),
    }
}

/// Trust in certificates issued by `ca` (legacy AUTH methods accepted).
pub fn trusting(ca: &ikelab_crypto::x509::TestCa) -> ikelab_policy::RemoteAuth {
    ikelab_policy::RemoteAuth::Pubkey {
        trust_anchors: vec![ikelab_policy::CertSource::Der(ca.cert.cert_der.clone())],
        allow_legacy_methods: true,
    }
}

pub fn psk_policies() -> (IkePolicy, IkePolicy) {
    let psk = Secret::new(b"correct horse battery staple".to_vec());
    let client = IkePolicy::psk(
        Identity::fqdn("client.example"),
        IdentityMatch::Exact(Identity::fqdn("vpn.example")),
        psk.clone(),
    );
    let server = IkePolicy::psk(
        Identity::fqdn("vpn.example"),
        IdentityMatch::Exact(Identity::fqdn("client.example")),
        psk,
    );
    (client, server)
}

impl Pair {
    /// Node `a` initiates, `b` responds with `server`.
    pub fn new(seed: u64, server: IkePolicy) -> Self {
        Self {
            time: Timestamp::from_micros(1_000_000),
            a: Node {
                ep: Endpoint::new(config(seed.wrapping_mul(2) + 1, None)).unwrap(),
                inbound: BinaryHeap::new(),
                events: Vec::new(),
            },
            b: Node {
                ep: Endpoint::new(config(seed.wrapping_mul(2) + 2, Some(server))).unwrap(),
                inbound: BinaryHeap::new(),
                events: Vec::new(),
            },
            wire: Vec::new(),
            faults: LinkFaults::default(),
            latency: Duration::from_millis(10),
            interceptor: None,
            nat: false,
            rng: seed ^ 0x9e37_79b9_7f4a_7c15,
            seq: 0,
        }
    }

    pub fn connect(&mut self, client: IkePolicy) -> SaHandle {
        let h = self
            .a
            .ep
            .connect(
                self.time,
                Arc::new(client),
                addr(A_ADDR, 500),
                addr(B_ADDR, 500),
            )
            .unwrap();
        self.flush();
        h
    }

    fn rand(&mut self) -> u64 {
        // xorshift64*: reproducible, independent of the endpoints' generators.
        let mut x = self.rng.max(1);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Sends what both endpoints queued through the link and collects their events.
    pub fn flush(&mut self) {
        for from_a in [true, false] {
            loop {
                let node = if from_a { &mut self.a } else { &mut self.b };
                let Some(t) = node.ep.poll_transmit() else {
                    break;
                };
                self.put_on_wire(from_a, t);
            }
        }
        while let Some(e) = self.a.ep.poll_event() {
            self.a.events.push(e);
        }
        while let Some(e) = self.b.ep.poll_event() {
            self.b.events.push(e);
        }
    }

    fn put_on_wire(&mut self, from_a: bool, t: Transmit) {
        let mut c = Captured {
            time: self.time,
            from: t.local,
            to: t.remote,
            payload: t.payload,
            dropped: false,
        };
        if from_a && self.nat {
            c.from = addr(NAT_ADDR, c.from.port() + 10000);
        }
        if !from_a && self.nat && c.to.ip().to_string() == NAT_ADDR {
            c.to = addr(A_ADDR, c.to.port() - 10000);
        }
        let mut drop = false;
        if let Some(i) = &mut self.interceptor {
            drop = matches!(i(&mut c), Action::Drop);
        }
        if self.faults.loss > 0 && self.rand() % 1000 < u64::from(self.faults.loss) {
            drop = true;
        }
        let copies = if !drop
            && self.faults.duplicate > 0
            && self.rand() % 1000 < u64::from(self.faults.duplicate)
        {
            2
        } else {
            1
        };
        c.dropped = drop;
        let idx = self.wire.len();
        self.wire.push(c);
        if drop {
            return;
        }
        for _ in 0..copies {
            let jitter = if self.faults.jitter_us > 0 {
                self.rand() % self.faults.jitter_us
            } else {
                0
            };
            let at = self.time + self.latency + Duration::from_micros(jitter);
            self.seq += 1;
            let dest = if from_a { &mut self.b } else { &mut self.a };
            dest.inbound.push(Reverse((at, self.seq, idx)));
        }
    }

    /// One step: jump to the next wakeup (a timer or an arrival), deliver what is due, run
    /// due timers, flush. Returns false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let next = [
            self.a.ep.poll_timeout(),
            self.b.ep.poll_timeout(),
            self.a.inbound.peek().map(|r| r.0 .0),
            self.b.inbound.peek().map(|r| r.0 .0),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else {
            return false;
        };
        self.time = self.time.max(next);
        for to_a in [true, false] {
            loop {
                let node = if to_a { &mut self.a } else { &mut self.b };
                match node.inbound.peek() {
                    Some(Reverse((at, _, _))) if *at <= self.time => {}
                    _ => break,
                }
                let Some(Reverse((_, _, idx))) = node.inbound.pop() else {
                    break;
                };
                let c = self.wire[idx].clone();
                node.ep.handle_datagram(self.time, c.to, c.from, &c.payload);
            }
        }
        for node in [&mut self.a, &mut self.b] {
            if node.ep.poll_timeout().is_some_and(|t| t <= self.time) {
                node.ep.handle_timeout(self.time);
            }
        }
        self.flush();
        true
    }

    /// Steps until idle; panics after `max` steps (livelock guard).
    pub fn drive_bounded(&mut self, max: usize) -> usize {
        for n in 0..max {
            if !self.step() {
                return n;
            }
        }
        panic!("not idle after {max} steps at {:?}", self.time);
    }

    /// A handshake from `client` to a responder with `server`, driven until both sides have
    /// their CHILD_SA or both have closed (`max` steps at most).
    pub fn handshake(seed: u64, client: IkePolicy, server: IkePolicy, max: usize) -> Self {
        let mut p = Self::new(seed, server);
        p.connect(client);
        p.drive_until(max, |p| {
            (p.a.children().len() == 1 && p.b.children().len() == 1)
                || (p.a.closed().is_some() && p.b.closed().is_some())
        });
        p
    }

    /// Steps until `done` holds; panics after `max` steps.
    pub fn drive_until(&mut self, max: usize, mut done: impl FnMut(&Pair) -> bool) {
        for _ in 0..max {
            if done(self) {
                return;
            }
            if !self.step() && !done(self) {
                panic!("idle at {:?} before the condition held", self.time);
            }
        }
        assert!(
            done(self),
            "condition not reached in {max} steps at {:?}",
            self.time
        );
    }

    /// Steps until both sides report the IKE SA established and a CHILD_SA installed.
    pub fn drive_to_established(&mut self, max: usize) {
        self.drive_until(max, |p| {
            p.a.count(|k| matches!(k, EventKind::ChildSaInstalled(_))) > 0
                && p.b.count(|k| matches!(k, EventKind::ChildSaInstalled(_))) > 0
        });
    }

    /// Delivers a hand-made datagram after the link latency (no faults applied).
    pub fn inject(&mut self, c: Captured) {
        let to_b = c.to.ip().to_string() == B_ADDR;
        let idx = self.wire.len();
        self.wire.push(c);
        self.seq += 1;
        let at = self.time + self.latency;
        let dest = if to_b { &mut self.b } else { &mut self.a };
        dest.inbound.push(Reverse((at, self.seq, idx)));
    }

    /// Key-log entries from either side, to decrypt captures.
    pub fn keys(&self) -> Vec<IkeKeyLog> {
        self.a
            .events
            .iter()
            .chain(&self.b.events)
            .filter_map(|e| match &e.kind {
                EventKind::IkeKeys(k) => Some((**k).clone()),
                _ => None,
            })
            .collect()
    }

    /// The payloads of a captured message, decrypted with the key log when encrypted.
    pub fn payloads(&self, c: &Captured) -> Vec<Payload> {
        let raw = c.ike();
        let msg = Message::parse(raw).expect("parses").message;
        let Some(off) = msg.encrypted_body_offset() else {
            return msg.payloads;
        };
        if let Some(PayloadBody::Skf(_)) = msg.encrypted().map(|p| &p.body) {
            return self.reassembled(&msg.header);
        }
        let Some(PayloadBody::Sk(sk)) = msg.encrypted().map(|p| &p.body) else {
            return msg.payloads;
        };
        let ctx = sk_context(&self.keys(), &msg.header);
        let plain = ctx.open(&raw[..msg.buffer_len()], off).expect("decrypts");
        Payload::parse_chain(sk.first_payload, &plain, 0).unwrap().0
    }

    /// The inner payloads of a fragmented message (RFC 7383): every SKF fragment on the wire
    /// with this header, each decrypted with the key log, joined in fragment order.
    pub fn reassembled(&self, header: &ikelab_wire::Header) -> Vec<Payload> {
        let ctx = sk_context(&self.keys(), header);
        let mut pieces = std::collections::BTreeMap::new();
        let mut first = PayloadType::NONE;
        for c in &self.wire {
            let raw = c.ike();
            let Ok(parsed) = Message::parse(raw) else {
                continue;
            };
            let msg = parsed.message;
            let Some(PayloadBody::Skf(f)) = msg.encrypted().map(|p| &p.body) else {
                continue;
            };
            if msg.header != *header || pieces.contains_key(&f.fragment_number) {
                continue;
            }
            let off = msg.encrypted_body_offset().expect("SKF offset");
            let Ok(plain) = ctx.open(&raw[..msg.buffer_len()], off) else {
                continue;
            };
            if f.fragment_number == 1 {
                first = f.first_payload;
            }
            pieces.insert(f.fragment_number, plain);
        }
        let joined: Vec<u8> = pieces.into_values().flatten().collect();
        Payload::parse_chain(first, &joined, 0)
            .expect("reassembled message parses")
            .0
    }

    /// The messages on the wire (delivered or not) of one exchange type, with their index.
    pub fn exchanges(&self, x: ikelab_wire::iana::ExchangeType) -> Vec<(usize, Captured)> {
        self.wire
            .iter()
            .enumerate()
            .filter(|(_, c)| c.message().header.exchange_type == x)
            .map(|(i, c)| (i, c.clone()))
            .collect()
    }

    /// Notify types of a captured message (decrypted when needed).
    pub fn notifies(&self, c: &Captured) -> Vec<NotifyType> {
        self.payloads(c)
            .iter()
            .filter_map(|p| match &p.body {
                PayloadBody::Notify(n) => Some(n.notify_type),
                _ => None,
            })
            .collect()
    }

    /// Delivered datagrams from the responder.
    pub fn sent_by_b(&self) -> Vec<&Captured> {
        self.wire
            .iter()
            .filter(|c| c.from.ip().to_string() == B_ADDR && !c.dropped)
            .collect()
    }

    pub fn sent_by_a(&self) -> Vec<&Captured> {
        self.wire
            .iter()
            .filter(|c| c.to.ip().to_string() == B_ADDR)
            .collect()
    }
}

impl Node {
    pub fn count(&self, f: impl Fn(&EventKind) -> bool) -> usize {
        self.events.iter().filter(|e| f(&e.kind)).count()
    }

    pub fn violations(&self) -> Vec<Violation> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Violation(v) => Some(v.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn closed(&self) -> Option<CloseReason> {
        self.events.iter().find_map(|e| match &e.kind {
            EventKind::Closed { reason } => Some(reason.clone()),
            _ => None,
        })
    }

    pub fn children(&self) -> Vec<ChildSaInfo> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ChildSaInstalled(c) => Some((**c).clone()),
                _ => None,
            })
            .collect()
    }

    pub fn established(&self) -> Option<IkeSaInfo> {
        self.events.iter().find_map(|e| match &e.kind {
            EventKind::IkeSaEstablished(i) => Some(i.clone()),
            _ => None,
        })
    }

    pub fn traces(&self) -> Vec<MessageTrace> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Message(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Rewrites a captured IKE message (for faults applied before delivery).
pub fn rewrite(c: &mut Captured, f: impl FnOnce(&mut Message)) {
    let marker = c.payload.len() - c.ike().len();
    let mut msg = c.message();
    f(&mut msg);
    let mut out = c.payload[..marker].to_vec();
    out.extend(msg.emit());
    c.payload = out;
}

/// An unknown payload with the critical bit as given.
pub fn unknown_payload(ty: u8, critical: bool) -> Payload {
    Payload {
        critical,
        reserved: 0,
        body: PayloadBody::Unknown {
            payload_type: PayloadType(ty),
            data: vec![0xde, 0xad],
        },
    }
}

/// The SK context that protects messages with this header (keys from a key log).
pub fn sk_context(keys: &[IkeKeyLog], h: &ikelab_wire::Header) -> SkContext {
    let k = keys
        .iter()
        .find(|k| k.spi_i == h.initiator_spi && k.spi_r == h.responder_spi)
        .expect("keys for this SA in the key log");
    let p = &ikelab_crypto::DEFAULT;
    let suite = IkeSuite {
        prf: p.prf(5).unwrap(),
        encr: p.encr(k.encryption.0, k.key_bits).unwrap(),
        integ: k.integrity.map(|i| p.integ(i.0).unwrap()),
    };
    let keys = if h.flags.initiator() {
        ikelab_crypto::sk::SkKeys {
            sk_e: k.sk_ei.as_bytes(),
            sk_a: k.sk_ai.as_bytes(),
        }
    } else {
        ikelab_crypto::sk::SkKeys {
            sk_e: k.sk_er.as_bytes(),
            sk_a: k.sk_ar.as_bytes(),
        }
    };
    SkContext::from_suite(&suite, keys).unwrap()
}

/// Decrypts a captured message, lets `f` change its header and inner payloads, and encrypts it
/// again with the same keys (a peer that sends something else than the engine would).
/// An interceptor that flips a bit of the COOKIE2 echoed in INFORMATIONAL responses sent by
/// the original initiator (`from_initiator`) or responder, re-sealed so the ICV still holds.
pub fn corrupt_cookie2_echo(keys: Vec<IkeKeyLog>, from_initiator: bool) -> Interceptor {
    Box::new(move |c| {
        let h = c.message().header;
        if h.exchange_type == ikelab_wire::iana::ExchangeType::INFORMATIONAL
            && h.flags.response()
            && h.flags.initiator() == from_initiator
        {
            reseal(c, &keys, |_, inner| {
                for x in inner.iter_mut() {
                    if let PayloadBody::Notify(n) = &mut x.body {
                        if n.notify_type == NotifyType::COOKIE2 {
                            n.data[0] ^= 1;
                        }
                    }
                }
            });
        }
        Action::Pass
    })
}

pub fn reseal(
    c: &mut Captured,
    keys: &[IkeKeyLog],
    f: impl FnOnce(&mut ikelab_wire::Header, &mut Vec<Payload>),
) {
    let marker = c.payload.len() - c.ike().len();
    let raw = c.ike().to_vec();
    let msg = Message::parse(&raw).expect("parses").message;
    let off = msg.encrypted_body_offset().expect("encrypted");
    let Some(PayloadBody::Sk(sk)) = msg.encrypted().map(|p| &p.body) else {
        panic!("not an SK message");
    };
    let ctx = sk_context(keys, &msg.header);
    let plain = ctx.open(&raw[..msg.buffer_len()], off).expect("decrypts");
    let mut inner = Payload::parse_chain(sk.first_payload, &plain, 0).unwrap().0;
    let mut header = msg.header.clone();
    f(&mut header, &mut inner);
    let mut plain = Vec::new();
    Payload::emit_chain(&inner, &mut plain);
    let pad = ctx.min_pad_len(plain.len());
    let body_len = ctx.body_len(plain.len(), pad);
    let first = inner
        .first()
        .map_or(PayloadType::NONE, Payload::payload_type);
    let out = Message {
        header,
        payloads: vec![Payload::new(PayloadBody::Sk(
            ikelab_wire::payload::SkPayload {
                first_payload: first,
                body: vec![0; body_len],
            },
        ))],
    };
    let mut bytes = out.emit();
    bytes.truncate(bytes.len() - body_len);
    let rng = ikelab_crypto::rng::SeededRandom::from_u64(99);
    let body = ctx.seal_padded(&bytes, &plain, pad, &rng).unwrap();
    bytes.extend_from_slice(&body);
    let mut payload = c.payload[..marker].to_vec();
    payload.extend(bytes);
    c.payload = payload;
}
