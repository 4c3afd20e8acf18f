//! `sut_wire_checks`: sender rules of RFC 7296 checked on the octets of every IKE message the
//! SUT put on the wire, encrypted ones opened with the SA's keys. The codec normalises what it
//! parses (RESERVED bits, attribute formats), so these checks walk the raw payload chains.
//!
//! Every check also counts what it examined and fails when that is nothing: a scenario that
//! cites a rule must make the SUT send something the rule is about.

use std::collections::{BTreeMap, BTreeSet};

use ikelab_sim::{NodeId, SkPlain, WireKind, WireRecord, World};

/// The check names, for the loader and the README.
pub(crate) const CHECKS: &[&str] = &[
    "minor_version_zero",
    "x_flags_clear",
    "v_flag_clear",
    "critical_clear",
    "reserved_zero",
    "notify_spi",
    "sa_spi_sizes",
    "proposal_numbering",
    "attributes",
    "nonce_size",
    "nonces_unique",
    "sk_last",
    "minimal_padding",
    "no_dh_in_ike_auth",
    "id_no_terminators",
    "no_unspecified_items",
    "ike_spis_unique",
    "one_request_outstanding",
    "cp_attributes",
];

const SA: u8 = 33;
const KE: u8 = 34;
const IDI: u8 = 35;
const IDR: u8 = 36;
const CERT: u8 = 37;
const CERTREQ: u8 = 38;
const AUTH: u8 = 39;
const NONCE: u8 = 40;
const NOTIFY: u8 = 41;
const TSI: u8 = 44;
const TSR: u8 = 45;
const SK: u8 = 46;
const CP: u8 = 47;
const SKF: u8 = 53;

const IKE_SA_INIT: u8 = 34;
const IKE_AUTH: u8 = 35;
const CREATE_CHILD_SA: u8 = 36;

/// One payload as on the wire.
#[derive(Debug, Clone)]
pub(crate) struct RawPayload {
    pub kind: u8,
    pub critical: bool,
    /// The 7 RESERVED bits after the critical bit.
    pub reserved: u8,
    pub body: Vec<u8>,
    /// Inside the SK payload.
    pub inner: bool,
}

/// One IKE message the node sent, header fields and payloads (inner ones when opened).
#[derive(Debug, Clone)]
pub(crate) struct RawMessage {
    pub time_us: u64,
    pub spi_i: u64,
    pub spi_r: u64,
    pub exchange: u8,
    pub minor: u8,
    pub flags: u8,
    pub message_id: u32,
    pub payloads: Vec<RawPayload>,
    pub sk: Option<SkPlain>,
    /// Why the payloads are incomplete (parse error, SK not opened).
    pub problem: Option<String>,
}

impl RawMessage {
    pub fn response(&self) -> bool {
        self.flags & 0x20 != 0
    }

    fn label(&self) -> String {
        format!(
            "exchange {} {} #{}",
            self.exchange,
            if self.response() {
                "response"
            } else {
                "request"
            },
            self.message_id
        )
    }

    fn of(&self, kind: u8) -> impl Iterator<Item = &RawPayload> {
        self.payloads.iter().filter(move |p| p.kind == kind)
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Walks a payload chain starting with type `first`.
fn chain(first: u8, mut b: &[u8], inner: bool) -> Result<Vec<RawPayload>, String> {
    let mut out = Vec::new();
    let mut kind = first;
    while kind != 0 {
        let len = be16(b, 2).ok_or("truncated payload header")? as usize;
        if len < 4 || len > b.len() {
            return Err(format!("payload {kind} length {len} of {} left", b.len()));
        }
        out.push(RawPayload {
            kind,
            critical: b[1] & 0x80 != 0,
            reserved: b[1] & 0x7f,
            body: b[4..len].to_vec(),
            inner,
        });
        if kind == SK || kind == SKF {
            // The SK body runs to the end; its Next Payload names the first inner payload.
            break;
        }
        kind = b[0];
        b = &b[len..];
    }
    Ok(out)
}

/// The IKE messages `node` sent (copies the network made excluded), decoded from the octets.
pub(crate) fn sent_by(world: &World, node: NodeId) -> Vec<RawMessage> {
    world
        .wire()
        .iter()
        .filter(|r| r.from == node && r.kind == WireKind::Ike && !crate::expect::is_copy(r))
        .filter_map(|r| decode(world, r))
        .collect()
}

pub(crate) fn decode(world: &World, r: &WireRecord) -> Option<RawMessage> {
    let raw = r.ike_bytes()?;
    if raw.len() < 28 {
        return None;
    }
    let mut m = RawMessage {
        time_us: r.time.as_micros(),
        spi_i: u64::from_be_bytes(raw[0..8].try_into().ok()?),
        spi_r: u64::from_be_bytes(raw[8..16].try_into().ok()?),
        exchange: raw[18],
        minor: raw[17] & 0x0f,
        flags: raw[19],
        message_id: u32::from_be_bytes(raw[20..24].try_into().ok()?),
        payloads: Vec::new(),
        sk: None,
        problem: None,
    };
    let len = (u32::from_be_bytes(raw[24..28].try_into().ok()?) as usize).min(raw.len());
    match chain(raw[16], &raw[28..len], false) {
        Ok(p) => m.payloads = p,
        Err(e) => m.problem = Some(e),
    }
    if m.payloads.last().is_some_and(|p| p.kind == SK) {
        match world.open_sk(r) {
            Some(Ok(plain)) => {
                match chain(plain.first_payload, &plain.inner, true) {
                    Ok(p) => m.payloads.extend(p),
                    Err(e) => m.problem = Some(format!("inner: {e}")),
                }
                m.sk = Some(plain);
            }
            Some(Err(e)) => m.problem = Some(e.to_string()),
            None => m.problem = Some("SK payload not opened".into()),
        }
    }
    Some(m)
}

/// A proposal substructure of an SA payload.
#[derive(Debug, Clone)]
struct Proposal {
    reserved: u8,
    number: u8,
    protocol: u8,
    spi: Vec<u8>,
    transforms: Vec<Transform>,
}

#[derive(Debug, Clone)]
struct Transform {
    reserved: [u8; 2],
    kind: u8,
    id: u16,
    /// (attribute type without the AF bit, TV format, value octets)
    attributes: Vec<(u16, bool, Vec<u8>)>,
}

fn proposals(body: &[u8]) -> Result<Vec<Proposal>, String> {
    let mut out = Vec::new();
    let mut b = body;
    while !b.is_empty() {
        let len = be16(b, 2).ok_or("truncated proposal")? as usize;
        if len < 8 || len > b.len() {
            return Err(format!("proposal length {len}"));
        }
        let (p, rest) = b.split_at(len);
        let spi_size = p[6] as usize;
        let spi = p.get(8..8 + spi_size).ok_or("proposal SPI")?.to_vec();
        let mut t = &p[8 + spi_size..];
        let mut transforms = Vec::new();
        while !t.is_empty() {
            let tlen = be16(t, 2).ok_or("truncated transform")? as usize;
            if tlen < 8 || tlen > t.len() {
                return Err(format!("transform length {tlen}"));
            }
            let (x, more) = t.split_at(tlen);
            let mut attributes = Vec::new();
            let mut a = &x[8..];
            while a.len() >= 4 {
                let ty = be16(a, 0).ok_or("attribute")?;
                let tv = ty & 0x8000 != 0;
                let (value, used) = if tv {
                    (a[2..4].to_vec(), 4)
                } else {
                    let vlen = be16(a, 2).ok_or("attribute")? as usize;
                    (
                        a.get(4..4 + vlen).ok_or("attribute value")?.to_vec(),
                        4 + vlen,
                    )
                };
                attributes.push((ty & 0x7fff, tv, value));
                a = &a[used..];
            }
            transforms.push(Transform {
                reserved: [x[1], x[5]],
                kind: x[4],
                id: be16(x, 6).ok_or("transform id")?,
                attributes,
            });
            t = more;
        }
        out.push(Proposal {
            reserved: p[1],
            number: p[4],
            protocol: p[5],
            spi,
            transforms,
        });
        b = rest;
    }
    Ok(out)
}

/// PRF preferred key sizes in octets (RFC 7296 §2.13, RFC 4434, RFC 4868).
fn prf_key_len(id: u16) -> Option<usize> {
    match id {
        1 | 4 | 8 => Some(16),
        2 | 3 => Some(20),
        5 => Some(32),
        6 => Some(48),
        7 => Some(64),
        _ => None,
    }
}

/// ENCR transforms whose key size is variable and so carry a Key Length attribute.
fn variable_key(id: u16) -> bool {
    matches!(id, 12..=16 | 18..=21 | 23..=27)
}

/// Notify types about the IKE SA as a whole (§3.10: SPI Size zero).
const IKE_SA_NOTIFIES: &[u16] = &[
    1, 4, 5, 7, 9, 17, 24, 16384, 16385, 16388, 16389, 16390, 16392, 16396, 16404, 16406, 16430,
    16431,
];

/// What a check found: how many things it looked at, and every breach.
#[derive(Default)]
pub(crate) struct Verdict {
    pub examined: usize,
    pub problems: Vec<String>,
}

impl Verdict {
    fn see(&mut self, ok: bool, problem: impl FnOnce() -> String) {
        self.examined += 1;
        if !ok {
            self.problems.push(problem());
        }
    }
}

/// The rule each check enforces, for failure messages.
pub(crate) fn rule(name: &str) -> &'static str {
    match name {
        "minor_version_zero" => "Minor Version 0 in every IKE header (§3.1)",
        "x_flags_clear" => "header flag bits marked X cleared (§3.1)",
        "v_flag_clear" => "the V flag cleared (§3.1)",
        "critical_clear" => {
            "critical bit 0 on payloads of RFC 7296 types and on every payload of a response (§2.5, §3.2)"
        }
        "reserved_zero" => {
            "RESERVED fields zero: payload headers, KE, ID, AUTH, TS, CP, proposals, transforms (§2.5)"
        }
        "notify_spi" => {
            "Notify without SPI has Protocol ID 0; IKE SA notifications have SPI Size 0 (§3.10)"
        }
        "sa_spi_sizes" => {
            "SPI Size 0 in IKE_SA_INIT, 8 for IKE rekeys, 4 for ESP/AH proposals (§3.3.1)"
        }
        "proposal_numbering" => {
            "request proposals numbered 1, 2, 3, ...; responses carry one proposal (§3.3)"
        }
        "attributes" => {
            "Key Length only on variable-key ENCR transforms, TV format, in bits (network order); at most one attribute per type (§3.3.5, §3.3)"
        }
        "nonce_size" => {
            "nonces of 16..=256 octets and at least half the key size of every PRF proposed or negotiated (§2.10, §3.9)"
        }
        "nonces_unique" => "no nonce reused for another SA or exchange (§3.9)",
        "sk_last" => "SK is the last payload and contains no SK (§3.1)",
        "minimal_padding" => {
            "SK plaintext a multiple of the block size with the minimal Pad Length (§3.14)"
        }
        "no_dh_in_ike_auth" => "no D-H transform in IKE_AUTH SA payloads (§1.2)",
        "id_no_terminators" => "ID_FQDN / ID_RFC822_ADDR data without NUL, CR or LF (§3.5)",
        "no_unspecified_items" => {
            "no UNSPECIFIED transform IDs or certificate encodings (§3.3.2, §3.6)"
        }
        "ike_spis_unique" => "the SUT's IKE SPIs non-zero and different for every IKE SA (§2.6)",
        "one_request_outstanding" => {
            "a new request only after the previous request of that IKE SA was answered (window 1, §2.3)"
        }
        "cp_attributes" => {
            "CFG_REQUEST: INTERNAL_IP4_NETMASK and SUPPORTED_ATTRIBUTES empty; CFG_REPLY: at most one NETMASK, only with an INTERNAL_IP4_ADDRESS, no more addresses than requested (§3.15.1)"
        }
        _ => "unknown check",
    }
}

/// Runs check `name` over `mine` (what the SUT sent) and `theirs` (what the peer sent).
pub(crate) fn check(name: &str, mine: &[RawMessage], theirs: &[RawMessage]) -> Verdict {
    let mut v = Verdict::default();
    match name {
        "minor_version_zero" => {
            for m in mine {
                v.see(m.minor == 0, || format!("{}: minor {}", m.label(), m.minor));
            }
        }
        "x_flags_clear" => {
            for m in mine {
                v.see(m.flags & 0xc7 == 0, || {
                    format!("{}: flags {:#04x}", m.label(), m.flags)
                });
            }
        }
        "v_flag_clear" => {
            for m in mine {
                v.see(m.flags & 0x10 == 0, || format!("{}: V set", m.label()));
            }
        }
        "critical_clear" => {
            for m in mine {
                for p in &m.payloads {
                    if (SA..=CP).contains(&p.kind) || m.response() {
                        v.see(!p.critical, || {
                            format!("{}: payload {} critical", m.label(), p.kind)
                        });
                    }
                }
            }
        }
        "reserved_zero" => reserved_zero(mine, &mut v),
        "notify_spi" => {
            for m in mine {
                for p in m.of(NOTIFY) {
                    let (proto, spi_size) = (p.body.first(), p.body.get(1));
                    let ty = be16(&p.body, 2).unwrap_or(0);
                    v.see(spi_size != Some(&0) || proto == Some(&0), || {
                        format!("{}: Notify {ty} without SPI, Protocol {proto:?}", m.label())
                    });
                    if IKE_SA_NOTIFIES.contains(&ty) {
                        v.see(spi_size == Some(&0), || {
                            format!("{}: Notify {ty} with SPI Size {spi_size:?}", m.label())
                        });
                    }
                }
            }
        }
        "sa_spi_sizes" => for_proposals(mine, &mut v, |m, p, v| {
            let want = match (m.exchange, p.protocol) {
                (IKE_SA_INIT, _) => 0,
                (_, 1) => 8,
                _ => 4,
            };
            v.see(p.spi.len() == want, || {
                format!(
                    "{}: protocol {} proposal with a {}-octet SPI",
                    m.label(),
                    p.protocol,
                    p.spi.len()
                )
            });
        }),
        "proposal_numbering" => {
            for m in mine {
                for sa in m.of(SA) {
                    let Ok(list) = proposals(&sa.body) else {
                        continue;
                    };
                    let nums: Vec<u8> = list.iter().map(|p| p.number).collect();
                    if m.response() {
                        v.see(nums.len() == 1, || {
                            format!("{}: response with proposals {nums:?}", m.label())
                        });
                    } else {
                        let want: Vec<u8> = (1..=nums.len() as u8).collect();
                        v.see(nums == want, || {
                            format!("{}: proposals numbered {nums:?}", m.label())
                        });
                    }
                }
            }
        }
        "attributes" => for_proposals(mine, &mut v, |m, p, v| {
            for t in &p.transforms {
                let types: BTreeSet<u16> = t.attributes.iter().map(|a| a.0).collect();
                v.see(types.len() == t.attributes.len(), || {
                    format!(
                        "{}: transform {}/{} repeats an attribute",
                        m.label(),
                        t.kind,
                        t.id
                    )
                });
                let key_len: Vec<&(u16, bool, Vec<u8>)> =
                    t.attributes.iter().filter(|a| a.0 == 14).collect();
                let may = t.kind == 1 && variable_key(t.id);
                v.see(may || key_len.is_empty(), || {
                    format!("{}: Key Length on transform {}/{}", m.label(), t.kind, t.id)
                });
                for (_, tv, value) in key_len {
                    let bits = be16(value, 0);
                    v.see(
                        *tv && value.len() == 2 && matches!(bits, Some(128 | 192 | 256)),
                        || {
                            format!(
                                "{}: Key Length of {}/{} is {value:02x?} (TV: {tv})",
                                m.label(),
                                t.kind,
                                t.id
                            )
                        },
                    );
                }
            }
        }),
        "nonce_size" => nonce_size(mine, theirs, &mut v),
        "nonces_unique" => {
            let mut seen: BTreeMap<Vec<u8>, String> = BTreeMap::new();
            for m in mine {
                // IKE_SA_INIT retries (COOKIE, INVALID_KE_PAYLOAD) resend the same nonce.
                let key = if m.exchange == IKE_SA_INIT {
                    format!("IKE_SA_INIT of {:016x}", m.spi_i)
                } else {
                    format!("{:016x}/{:016x} {}", m.spi_i, m.spi_r, m.label())
                };
                for n in m.of(NONCE) {
                    let first = seen.entry(n.body.clone()).or_insert_with(|| key.clone());
                    v.see(*first == key, || format!("{key}: nonce of {first} again"));
                }
            }
        }
        "sk_last" => {
            for m in mine {
                let outer: Vec<u8> = m
                    .payloads
                    .iter()
                    .filter(|p| !p.inner)
                    .map(|p| p.kind)
                    .collect();
                if let Some(i) = outer.iter().position(|k| *k == SK || *k == SKF) {
                    v.see(i + 1 == outer.len(), || {
                        format!("{}: payloads after SK", m.label())
                    });
                    v.see(
                        !m.payloads
                            .iter()
                            .any(|p| p.inner && (p.kind == SK || p.kind == SKF)),
                        || format!("{}: SK inside SK", m.label()),
                    );
                }
            }
        }
        "minimal_padding" => {
            for m in mine {
                let Some(sk) = m.sk.as_ref().filter(|s| s.block_len > 1) else {
                    continue;
                };
                v.see(
                    sk.ciphertext_len % sk.block_len == 0 && sk.pad_len < sk.block_len,
                    || {
                        format!(
                            "{}: {} octets encrypted, Pad Length {} (block {})",
                            m.label(),
                            sk.ciphertext_len,
                            sk.pad_len,
                            sk.block_len
                        )
                    },
                );
            }
        }
        "no_dh_in_ike_auth" => {
            for m in mine.iter().filter(|m| m.exchange == IKE_AUTH) {
                for sa in m.of(SA) {
                    let Ok(list) = proposals(&sa.body) else {
                        continue;
                    };
                    let dh = list.iter().flat_map(|p| &p.transforms).any(|t| t.kind == 4);
                    v.see(!dh, || format!("{}: D-H transform in SA", m.label()));
                }
            }
        }
        "id_no_terminators" => {
            for m in mine {
                for p in m.payloads.iter().filter(|p| p.kind == IDI || p.kind == IDR) {
                    if matches!(p.body.first(), Some(2 | 3)) {
                        let data = p.body.get(4..).unwrap_or_default();
                        v.see(!data.iter().any(|b| matches!(b, 0 | b'\r' | b'\n')), || {
                            format!("{}: ID data {:?}", m.label(), String::from_utf8_lossy(data))
                        });
                    }
                }
            }
        }
        "no_unspecified_items" => {
            for_proposals(mine, &mut v, |m, p, v| {
                for t in &p.transforms {
                    let bad = matches!((t.kind, t.id), (1, 1 | 8 | 9) | (3, 3 | 4));
                    v.see(!bad, || {
                        format!("{}: transform {}/{}", m.label(), t.kind, t.id)
                    });
                }
            });
            for m in mine {
                for p in m
                    .payloads
                    .iter()
                    .filter(|p| p.kind == CERT || p.kind == CERTREQ)
                {
                    let enc = p.body.first().copied().unwrap_or(0);
                    v.see(!matches!(enc, 1 | 2 | 3 | 6 | 9 | 10), || {
                        format!("{}: certificate encoding {enc}", m.label())
                    });
                }
            }
        }
        "ike_spis_unique" => ike_spis_unique(mine, &mut v),
        "one_request_outstanding" => one_outstanding(mine, theirs, &mut v),
        "cp_attributes" => cp_attributes(mine, theirs, &mut v),
        _ => {}
    }
    v
}

fn for_proposals(
    mine: &[RawMessage],
    v: &mut Verdict,
    mut f: impl FnMut(&RawMessage, &Proposal, &mut Verdict),
) {
    for m in mine {
        for sa in m.of(SA) {
            match proposals(&sa.body) {
                Ok(list) => list.iter().for_each(|p| f(m, p, v)),
                Err(e) => v.see(false, || format!("{}: SA payload: {e}", m.label())),
            }
        }
    }
}

fn reserved_zero(mine: &[RawMessage], v: &mut Verdict) {
    for m in mine {
        v.see(m.flags & 0xc7 == 0, || {
            format!("{}: header flags {:#04x}", m.label(), m.flags)
        });
        for p in &m.payloads {
            let what = || format!("{}: payload {}", m.label(), p.kind);
            v.see(p.reserved == 0, || format!("{}: header RESERVED", what()));
            let span = match p.kind {
                KE => 2..4,
                IDI | IDR | AUTH | TSI | TSR | CP => 1..4,
                _ => 0..0,
            };
            if !span.is_empty() {
                let r = p.body.get(span).unwrap_or_default();
                v.see(r.iter().all(|b| *b == 0), || {
                    format!("{}: RESERVED {r:02x?}", what())
                });
            }
            if p.kind == CP {
                let mut a = p.body.get(4..).unwrap_or_default();
                while a.len() >= 4 {
                    let ty = be16(a, 0).unwrap_or(0);
                    v.see(ty & 0x8000 == 0, || format!("{}: attribute R bit", what()));
                    let len = be16(a, 2).unwrap_or(0) as usize;
                    a = a.get(4 + len..).unwrap_or_default();
                }
            }
            if p.kind == SA {
                for pr in proposals(&p.body).unwrap_or_default() {
                    v.see(pr.reserved == 0, || {
                        format!("{}: proposal RESERVED", what())
                    });
                    for t in &pr.transforms {
                        v.see(t.reserved == [0, 0], || {
                            format!("{}: transform RESERVED {:02x?}", what(), t.reserved)
                        });
                    }
                }
            }
        }
    }
}

fn nonce_size(mine: &[RawMessage], theirs: &[RawMessage], v: &mut Verdict) {
    // The PRF the IKE SA negotiated: the one in the IKE_SA_INIT response, whoever sent it.
    let negotiated = mine
        .iter()
        .chain(theirs)
        .filter(|m| m.exchange == IKE_SA_INIT && m.response())
        .flat_map(|m| m.of(SA))
        .flat_map(|sa| proposals(&sa.body).unwrap_or_default())
        .flat_map(|p| p.transforms)
        .find(|t| t.kind == 2)
        .and_then(|t| prf_key_len(t.id));
    for m in mine {
        let proposed: Vec<usize> = m
            .of(SA)
            .flat_map(|sa| proposals(&sa.body).unwrap_or_default())
            .flat_map(|p| p.transforms)
            .filter(|t| t.kind == 2)
            .filter_map(|t| prf_key_len(t.id))
            .collect();
        let prf = proposed.into_iter().max().or(negotiated).unwrap_or(0);
        let min = (prf / 2).max(16);
        for n in m.of(NONCE) {
            let len = n.body.len();
            v.see((min..=256).contains(&len), || {
                format!("{}: {len}-octet nonce (at least {min})", m.label())
            });
        }
    }
}

fn ike_spis_unique(mine: &[RawMessage], v: &mut Verdict) {
    let mut initial = BTreeSet::new();
    let mut rekeyed = Vec::new();
    for m in mine {
        if m.exchange == IKE_SA_INIT {
            // Our SPI: SPIi in our requests, SPIr in responses that accept (carry SA).
            if !m.response() {
                initial.insert(m.spi_i);
            } else if m.of(SA).next().is_some() {
                initial.insert(m.spi_r);
            }
        } else if m.exchange == CREATE_CHILD_SA {
            for sa in m.of(SA) {
                for p in proposals(&sa.body).unwrap_or_default() {
                    if p.protocol == 1 {
                        if let Ok(b) = <[u8; 8]>::try_from(p.spi.as_slice()) {
                            rekeyed.push(u64::from_be_bytes(b));
                        }
                    }
                }
            }
        }
    }
    let mut all: Vec<u64> = initial.into_iter().collect();
    // A rekey request retransmitted carries the same SPI: count each value once per message
    // order, so only a reuse across different exchanges is a breach.
    rekeyed.dedup();
    all.extend(rekeyed);
    let mut seen = BTreeSet::new();
    for spi in all {
        v.see(spi != 0 && seen.insert(spi), || {
            format!("IKE SPI {spi:016x} zero or used before")
        });
    }
}

fn one_outstanding(mine: &[RawMessage], theirs: &[RawMessage], v: &mut Verdict) {
    // Merge both sides in time order: our requests and the peer's responses.
    let mut events: Vec<(u64, bool, &RawMessage)> = mine
        .iter()
        .filter(|m| !m.response())
        .map(|m| (m.time_us, true, m))
        .chain(
            theirs
                .iter()
                .filter(|m| m.response())
                .map(|m| (m.time_us, false, m)),
        )
        .collect();
    events.sort_by_key(|(t, ours, _)| (*t, *ours));
    // Per IKE SA (by SPIi): Message IDs we sent and whether they were answered.
    let mut sas: BTreeMap<u64, BTreeMap<u32, bool>> = BTreeMap::new();
    for (_, ours, m) in events {
        let sa = sas.entry(m.spi_i).or_default();
        if !ours {
            if let Some(a) = sa.get_mut(&m.message_id) {
                *a = true;
            }
            continue;
        }
        if sa.contains_key(&m.message_id) {
            continue; // a retransmission
        }
        if !sa.is_empty() {
            let open: Vec<u32> = sa.iter().filter(|(_, a)| !**a).map(|(id, _)| *id).collect();
            v.see(open.is_empty(), || {
                format!("{} sent while {open:?} unanswered", m.label())
            });
        }
        sa.insert(m.message_id, false);
    }
}

/// CP attributes as (type without the R bit, value).
type CpAttributes = Vec<(u16, Vec<u8>)>;

/// The attributes of the CP payloads of one configuration type, with the message's label.
fn cp_lists(messages: &[RawMessage], cfg_type: u8) -> Vec<(String, CpAttributes)> {
    let mut out = Vec::new();
    for m in messages {
        for p in m.of(CP).filter(|p| p.body.first() == Some(&cfg_type)) {
            let mut attrs = Vec::new();
            let mut a = p.body.get(4..).unwrap_or_default();
            while let (Some(ty), Some(len)) = (be16(a, 0), be16(a, 2)) {
                let end = (4 + len as usize).min(a.len());
                attrs.push((ty & 0x7fff, a[4..end].to_vec()));
                a = &a[end..];
            }
            out.push((m.label(), attrs));
        }
    }
    out
}

fn cp_attributes(mine: &[RawMessage], theirs: &[RawMessage], v: &mut Verdict) {
    const IP4_ADDRESS: u16 = 1;
    const IP4_NETMASK: u16 = 2;
    const IP6_ADDRESS: u16 = 8;
    const SUPPORTED_ATTRIBUTES: u16 = 14;
    for (label, attrs) in cp_lists(mine, 1) {
        for (ty, value) in attrs
            .iter()
            .filter(|(t, _)| *t == IP4_NETMASK || *t == SUPPORTED_ATTRIBUTES)
        {
            v.see(value.is_empty(), || {
                format!(
                    "{label}: CFG_REQUEST attribute {ty} with {} octets",
                    value.len()
                )
            });
        }
    }
    let requested = |ty: u16| {
        cp_lists(theirs, 1)
            .iter()
            .map(|(_, a)| a.iter().filter(|(t, _)| *t == ty).count())
            .max()
            .unwrap_or(0)
    };
    for (label, attrs) in cp_lists(mine, 2) {
        let count = |ty: u16| attrs.iter().filter(|(t, _)| *t == ty).count();
        let masks = count(IP4_NETMASK);
        v.see(masks <= 1 && (masks == 0 || count(IP4_ADDRESS) > 0), || {
            format!(
                "{label}: {masks} NETMASK with {} IPv4 addresses",
                count(IP4_ADDRESS)
            )
        });
        for ty in [IP4_ADDRESS, IP6_ADDRESS] {
            v.see(count(ty) <= requested(ty), || {
                format!(
                    "{label}: {} addresses of type {ty}, {} requested",
                    count(ty),
                    requested(ty)
                )
            });
        }
    }
}

/// Payload tokens for [`crate::format::MessageExpect`] checks on D-H groups: the KE group and
/// the D-H transform IDs of every proposal, in order of first appearance.
pub(crate) fn ke_group(m: &RawMessage) -> Option<u16> {
    m.of(KE).next().and_then(|p| be16(&p.body, 0))
}

/// The ID Type of the message's IDi or IDr payload.
pub(crate) fn id_type(m: &RawMessage) -> Option<u8> {
    m.payloads
        .iter()
        .find(|p| p.kind == IDI || p.kind == IDR)
        .and_then(|p| p.body.first().copied())
}

/// The Auth Method of the message's AUTH payload.
pub(crate) fn auth_method(m: &RawMessage) -> Option<u8> {
    m.of(AUTH).next().and_then(|p| p.body.first().copied())
}

pub(crate) fn sa_groups(m: &RawMessage) -> Vec<u16> {
    let mut out = Vec::new();
    for sa in m.of(SA) {
        for p in proposals(&sa.body).unwrap_or_default() {
            for t in p.transforms.iter().filter(|t| t.kind == 4) {
                if !out.contains(&t.id) {
                    out.push(t.id);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(flags: u8, payloads: Vec<RawPayload>) -> RawMessage {
        RawMessage {
            time_us: 0,
            spi_i: 1,
            spi_r: 2,
            exchange: IKE_AUTH,
            minor: 0,
            flags,
            message_id: 1,
            payloads,
            sk: None,
            problem: None,
        }
    }

    fn payload(kind: u8, body: Vec<u8>) -> RawPayload {
        RawPayload {
            kind,
            critical: false,
            reserved: 0,
            body,
            inner: true,
        }
    }

    /// An SA payload body: one ESP proposal with AES-CBC and the given Key Length attribute.
    fn esp_sa(number: u8, attr: &[u8]) -> Vec<u8> {
        let mut t = vec![0, 0, 0, 0, 1, 0, 0, 12];
        t.extend_from_slice(attr);
        let tl = t.len() as u16;
        t[2..4].copy_from_slice(&tl.to_be_bytes());
        let mut p = vec![0, 0, 0, 0, number, 3, 4, 1, 1, 2, 3, 4];
        p.extend(t);
        let pl = p.len() as u16;
        p[2..4].copy_from_slice(&pl.to_be_bytes());
        p
    }

    #[test]
    fn chain_walks_and_stops_at_sk() {
        // N (len 8) -> SK (len 6, body runs to the end)
        let b = [46, 0, 0, 8, 0, 0, 0, 0, 41, 0x80, 0, 6, 9, 9];
        let p = chain(41, &b, false).expect("chain");
        assert_eq!(p.len(), 2);
        assert_eq!((p[1].kind, p[1].critical), (SK, true));
        assert!(chain(41, &[0, 0, 0, 9], false).is_err());
    }

    #[test]
    fn header_checks_catch_breaches() {
        let good = [msg(0x08, vec![])];
        let bad = [msg(0x08 | 0x10 | 0x01, vec![])];
        for name in ["x_flags_clear", "v_flag_clear"] {
            assert!(check(name, &good, &[]).problems.is_empty(), "{name}");
            assert!(!check(name, &bad, &[]).problems.is_empty(), "{name}");
        }
    }

    #[test]
    fn key_length_rules() {
        let ok = [msg(8, vec![payload(SA, esp_sa(1, &[0x80, 14, 0, 128]))])];
        let v = check("attributes", &ok, &[]);
        assert!(v.problems.is_empty() && v.examined > 0, "{:?}", v.problems);
        // Little-endian 128, and the TLV format: both breaches.
        for attr in [&[0x80, 14, 128, 0][..], &[0, 14, 0, 2, 0, 128]] {
            let bad = [msg(8, vec![payload(SA, esp_sa(1, attr))])];
            assert!(!check("attributes", &bad, &[]).problems.is_empty());
        }
        let numbered = [msg(8, vec![payload(SA, esp_sa(2, &[]))])];
        assert!(!check("proposal_numbering", &numbered, &[])
            .problems
            .is_empty());
    }

    #[test]
    fn nothing_examined_is_visible() {
        assert_eq!(check("nonce_size", &[msg(8, vec![])], &[]).examined, 0);
    }

    #[test]
    fn window_of_one() {
        let a = msg(0x08, vec![]);
        let mut b = a.clone();
        b.message_id = 2;
        b.time_us = 5;
        let mut answer = a.clone();
        answer.flags = 0x20;
        answer.time_us = 3;
        assert!(one_outstanding_problems(&[a.clone(), b.clone()], &[]) > 0);
        assert_eq!(one_outstanding_problems(&[a, b], &[answer]), 0);
    }

    fn one_outstanding_problems(mine: &[RawMessage], theirs: &[RawMessage]) -> usize {
        check("one_request_outstanding", mine, theirs)
            .problems
            .len()
    }
}
