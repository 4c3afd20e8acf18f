//! Key schedule against real strongSwan 5.9.8 exchanges: for every capture in
//! `corpora/captures/*/` (CC0, see its README) parse the initiator's charon log
//! (level 4: DH secret, nonces, SPIs, SKEYSEED, Sk_*, CHILD_SA seed and keys) and
//! re-derive everything with ikelab-crypto, byte for byte:
//! SKEYSEED (RFC 7296 §2.14), SK_* (§2.14), IKE SA rekey SKEYSEED (§2.18) and
//! CHILD_SA KEYMAT with and without PFS (§2.17).
//! Then every SK/SKF payload in the capture is verified and decrypted with the
//! derived keys (`sk::open`) and its inner payload chain must end exactly at the
//! end of the plaintext.

use ikelab_crypto::keys::{
    child_sa_keys, derive_ike_sa_keys, rekey_skeyseed, skeyseed, IkeSaKeys, IkeSuite,
};
use ikelab_crypto::provider::{EncrTransform, IntegTransform, PrfTransform};
use ikelab_crypto::sk::SkContext;
use ikelab_crypto::{KeyBytes, DEFAULT};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One logged value: the text that labelled it, the ENC payload context and the octets.
#[derive(Debug, Clone)]
struct Data {
    label: String,
    payload: String,
    generating: bool,
    bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
enum Item {
    Line(String),
    Data(Data),
}

/// Splits `09[IKE] <ikl|1>    0: 93 EF ...` into thread tag and text.
fn split_line(line: &str) -> Option<(&str, &str)> {
    let (tag, rest) = line.split_once(' ')?;
    if !tag.ends_with(']') {
        return None;
    }
    let rest = rest.trim_start();
    let rest = match rest.strip_prefix('<') {
        Some(r) => r.split_once('>').map_or(rest, |(_, t)| t),
        None => rest,
    };
    Some((tag.get(..2)?, rest.trim()))
}

/// Hex dump line `16: 85 91 ...` → octets.
fn dump_bytes(text: &str) -> Option<Vec<u8>> {
    let (off, hexes) = text.split_once(": ")?;
    off.parse::<usize>().ok()?;
    hexes
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

fn parse_log(path: &Path) -> Vec<Item> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut items = Vec::new();
    // Per thread: last label line, ENC payload context, and a value being collected.
    let mut last: HashMap<String, String> = HashMap::new();
    let mut payload: HashMap<String, (bool, String)> = HashMap::new();
    let mut pending: HashMap<String, (Data, usize)> = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((thread, t)) = split_line(line) else {
            continue;
        };
        let thread = thread.to_string();
        if let Some((mut d, want)) = pending.remove(&thread) {
            if let Some(b) = dump_bytes(t) {
                d.bytes.extend(b);
                if d.bytes.len() >= want {
                    items.push(Item::Data(d));
                } else {
                    pending.insert(thread, (d, want));
                }
                continue;
            }
            panic!("{}: value '{}' cut short", path.display(), d.label);
        }
        if let Some((label, n)) = t.split_once("=> ") {
            let n: usize = n.trim_end_matches(" bytes").parse().unwrap_or(0);
            let label = if label.trim().is_empty() {
                last.get(&thread).cloned().unwrap_or_default()
            } else {
                label.trim().to_string()
            };
            let (generating, p) = payload.get(&thread).cloned().unwrap_or_default();
            let d = Data {
                label,
                payload: p,
                generating,
                bytes: Vec::with_capacity(n),
            };
            if n == 0 {
                items.push(Item::Data(d));
            } else {
                pending.insert(thread, (d, n));
            }
            continue;
        }
        if let Some(p) = t.strip_prefix("generating payload of type ") {
            payload.insert(thread.clone(), (true, p.to_string()));
        } else if let Some(p) = t
            .strip_prefix("parsing ")
            .and_then(|p| p.split_once(" payload"))
        {
            payload.insert(thread.clone(), (false, p.0.to_string()));
        }
        last.insert(thread, t.to_string());
        items.push(Item::Line(t.to_string()));
    }
    assert!(
        pending.is_empty(),
        "{}: unfinished hex dumps",
        path.display()
    );
    items
}

/// strongSwan algorithm names → table entries.
fn encr(name: &str) -> Option<&'static EncrTransform> {
    let (id, bits) = match name {
        "3DES_CBC" => (3, None),
        "DES_CBC" => (2, None),
        "CHACHA20_POLY1305" => (28, None),
        n => {
            let (kind, bits) = n.rsplit_once('_')?;
            let bits: u16 = bits.parse().ok()?;
            let id = match kind {
                "AES_CBC" => 12,
                "AES_GCM_8" => 18,
                "AES_GCM_12" => 19,
                "AES_GCM_16" => 20,
                _ => return None,
            };
            (id, Some(bits))
        }
    };
    DEFAULT.encr(id, bits).ok()
}

fn integ(name: &str) -> Option<&'static IntegTransform> {
    let id = match name {
        "HMAC_SHA1_96" => 2,
        "HMAC_SHA1_160" => 7,
        "HMAC_SHA2_256_128" => 12,
        "HMAC_SHA2_384_192" => 13,
        "HMAC_SHA2_512_256" => 14,
        _ => return None,
    };
    DEFAULT.integ(id).ok()
}

fn prf(name: &str) -> Option<&'static PrfTransform> {
    let id = match name {
        "PRF_HMAC_SHA1" => 2,
        "PRF_HMAC_SHA2_256" => 5,
        "PRF_HMAC_SHA2_384" => 6,
        "PRF_HMAC_SHA2_512" => 7,
        _ => return None,
    };
    DEFAULT.prf(id).ok()
}

/// `IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048` → transforms.
fn proposal(
    line: &str,
) -> (
    Option<&'static EncrTransform>,
    Option<&'static IntegTransform>,
    Option<&'static PrfTransform>,
) {
    let algs = line.split_once(':').map_or("", |(_, a)| a);
    let (mut e, mut i, mut p) = (None, None, None);
    for a in algs.split('/') {
        e = e.or_else(|| encr(a));
        i = i.or_else(|| integ(a));
        p = p.or_else(|| prf(a));
    }
    (e, i, p)
}

/// An IKE SA's SPIs, transforms and keys.
struct SaKeys {
    spi_i: Vec<u8>,
    spi_r: Vec<u8>,
    suite: IkeSuite,
    keys: IkeSaKeys,
}

#[derive(Default)]
struct Counts {
    ike_sa: usize,
    ike_rekey: usize,
    child: usize,
    child_pfs: usize,
}

fn check_capture(dir: &Path) -> (Counts, Vec<SaKeys>) {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let items = parse_log(&dir.join("charon-ini.log"));
    let mut counts = Counts::default();
    let mut ike_prop = String::new();
    let mut esp_prop = String::new();
    let (mut spi_i, mut spi_r): (Option<Vec<u8>>, Option<Vec<u8>>) = (None, None);
    let (mut nonce_gen, mut nonce_parse) = (Vec::new(), Vec::new());
    let (mut ni0, mut nr0) = (Vec::new(), Vec::new());
    let (mut prop_spi_gen, mut prop_spi_parse) = (Vec::new(), Vec::new());
    let mut dh = Vec::new();
    let mut child_dh: Option<Vec<u8>> = None;
    let mut current: Option<(&'static PrfTransform, IkeSaKeys)> = None;
    let mut sas = Vec::new();
    let mut idx = 0;
    let take = |items: &[Item], idx: &mut usize, label: &str| -> Vec<u8> {
        while *idx < items.len() {
            *idx += 1;
            if let Item::Data(d) = &items[*idx - 1] {
                if d.label == label {
                    return d.bytes.clone();
                }
            }
        }
        panic!("{name}: '{label}' not logged");
    };
    while idx < items.len() {
        let item = items[idx].clone();
        idx += 1;
        match item {
            Item::Line(l) => {
                if let Some(p) = l.strip_prefix("selected proposal: ") {
                    if p.starts_with("IKE:") {
                        ike_prop = p.to_string();
                    } else if p.starts_with("ESP:") {
                        esp_prop = p.to_string();
                    }
                }
            }
            Item::Data(d) => match (d.payload.as_str(), d.label.as_str(), d.generating) {
                ("HEADER", l, true) if l.contains("rule 0 IKE_SPI") && spi_i.is_none() => {
                    spi_i = Some(d.bytes)
                }
                ("HEADER", l, false)
                    if l.contains("rule 1 IKE_SPI") && spi_r.is_none() && d.bytes != [0; 8] =>
                {
                    spi_r = Some(d.bytes)
                }
                ("NONCE", l, g) if l.contains("CHUNK_DATA") => {
                    if g {
                        nonce_gen = d.bytes;
                    } else {
                        nonce_parse = d.bytes;
                    }
                }
                ("PROPOSAL_SUBSTRUCTURE", l, g) if l.contains("SPI") && d.bytes.len() == 8 => {
                    if g {
                        prop_spi_gen = d.bytes;
                    } else {
                        prop_spi_parse = d.bytes;
                    }
                }
                (_, "shared Diffie Hellman secret", _) => dh = d.bytes,
                (_, "DH secret", _) => child_dh = Some(d.bytes),
                (_, "SKEYSEED", _) => {
                    let (e, i, p) = proposal(&ike_prop);
                    let (e, p) = (e.expect("IKE encryption"), p.expect("IKE PRF"));
                    let suite = IkeSuite {
                        prf: p,
                        encr: e,
                        integ: i,
                    };
                    // The initiator sent the first nonce and received the second.
                    let (ni, nr) = (nonce_gen.clone(), nonce_parse.clone());
                    let (seed, si, sr) = match &current {
                        None => {
                            ni0 = ni.clone();
                            nr0 = nr.clone();
                            let s = skeyseed(p, &ni, &nr, &dh);
                            (
                                s,
                                spi_i.clone().expect("SPIi"),
                                spi_r.clone().expect("SPIr"),
                            )
                        }
                        Some((old_prf, old)) => {
                            counts.ike_rekey += 1;
                            let s = rekey_skeyseed(old_prf, &old.sk_d, &dh, &ni, &nr);
                            (s, prop_spi_gen.clone(), prop_spi_parse.clone())
                        }
                    };
                    assert_eq!(seed.as_bytes(), &d.bytes[..], "{name}: SKEYSEED");
                    let keys = derive_ike_sa_keys(
                        &suite,
                        &seed,
                        &ni,
                        &nr,
                        &si.clone().try_into().expect("8-octet SPI"),
                        &sr.clone().try_into().expect("8-octet SPI"),
                    )
                    .unwrap();
                    let mut pairs: Vec<(&str, &KeyBytes)> = vec![("Sk_d secret", &keys.sk_d)];
                    if i.is_some() {
                        pairs.push(("Sk_ai secret", &keys.sk_ai));
                        pairs.push(("Sk_ar secret", &keys.sk_ar));
                    }
                    pairs.extend([
                        ("Sk_ei secret", &keys.sk_ei),
                        ("Sk_er secret", &keys.sk_er),
                        ("Sk_pi secret", &keys.sk_pi),
                        ("Sk_pr secret", &keys.sk_pr),
                    ]);
                    for (label, ours) in pairs {
                        let logged = take(&items, &mut idx, label);
                        assert_eq!(ours.as_bytes(), &logged[..], "{name}: {label} ({ike_prop})");
                    }
                    counts.ike_sa += 1;
                    sas.push(SaKeys {
                        spi_i: si,
                        spi_r: sr,
                        suite,
                        keys: keys.clone(),
                    });
                    current = Some((p, keys));
                }
                (_, "seed", _) => {
                    let (e, i, _) = proposal(&esp_prop);
                    let e = e.expect("ESP encryption");
                    let (p, ike) = current.as_ref().expect("CHILD_SA before IKE SA keys");
                    // The logged seed is what we would build from the exchange.
                    let nonces = if counts.child == 0 {
                        [ni0.clone(), nr0.clone()].concat()
                    } else {
                        [nonce_gen.clone(), nonce_parse.clone()].concat()
                    };
                    let pfs = child_dh.take();
                    let expect_seed = [pfs.clone().unwrap_or_default(), nonces.clone()].concat();
                    assert_eq!(&d.bytes[..], &expect_seed[..], "{name}: CHILD_SA seed");
                    let (ni, nr) = nonces.split_at(nonces.len() / 2);
                    let k = child_sa_keys(p, &ike.sk_d, e, i, pfs.as_deref(), ni, nr).unwrap();
                    assert_eq!(
                        k.encr_i.as_bytes(),
                        take(&items, &mut idx, "encryption initiator key"),
                        "{name}"
                    );
                    assert_eq!(
                        k.encr_r.as_bytes(),
                        take(&items, &mut idx, "encryption responder key"),
                        "{name}"
                    );
                    if i.is_some() {
                        assert_eq!(
                            k.integ_i.as_bytes(),
                            take(&items, &mut idx, "integrity initiator key"),
                            "{name}"
                        );
                        assert_eq!(
                            k.integ_r.as_bytes(),
                            take(&items, &mut idx, "integrity responder key"),
                            "{name}"
                        );
                    }
                    counts.child += 1;
                    counts.child_pfs += usize::from(pfs.is_some());
                }
                _ => {}
            },
        }
    }
    println!(
        "strongSwan capture {name}: {} IKE SA key sets matched ({} from a rekey), {} CHILD_SA key sets matched ({} with PFS); {ike_prop}",
        counts.ike_sa, counts.ike_rekey, counts.child, counts.child_pfs
    );
    (counts, sas)
}

/// UDP payloads of a classic pcap or a pcapng file (little-endian, Ethernet/IPv4).
fn udp_payloads(path: &Path) -> Vec<(u16, Vec<u8>)> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let u32le = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as usize;
    let mut frames: Vec<&[u8]> = Vec::new();
    if data[..4] == [0xd4, 0xc3, 0xb2, 0xa1] {
        assert_eq!(u32le(&data, 20), 1, "{}: not Ethernet", path.display());
        let mut o = 24;
        while o + 16 <= data.len() {
            let n = u32le(&data, o + 8);
            frames.push(&data[o + 16..o + 16 + n]);
            o += 16 + n;
        }
    } else {
        assert_eq!(
            data[..4],
            [0x0a, 0x0d, 0x0d, 0x0a],
            "{}: not pcap/pcapng",
            path.display()
        );
        let mut o = 0;
        while o + 12 <= data.len() {
            let (ty, len) = (u32le(&data, o), u32le(&data, o + 4));
            if ty == 1 {
                assert_eq!(data[o + 8], 1, "{}: not Ethernet", path.display());
            } else if ty == 6 {
                let n = u32le(&data, o + 20);
                frames.push(&data[o + 28..o + 28 + n]);
            }
            o += len;
        }
    }
    let mut out = Vec::new();
    for f in frames {
        if f.len() < 14 + 20 + 8 || f[12..14] != [0x08, 0x00] {
            continue;
        }
        let ip = &f[14..];
        let ihl = (ip[0] & 0x0f) as usize * 4;
        if ip[9] != 17 {
            continue;
        }
        let udp = &ip[ihl..];
        let dport = u16::from_be_bytes([udp[2], udp[3]]);
        let ulen = u16::from_be_bytes([udp[4], udp[5]]) as usize;
        out.push((dport, udp[8..ulen].to_vec()));
    }
    out
}

/// Verifies and decrypts every SK/SKF payload of the capture's IKE messages.
fn decrypt_capture(dir: &Path, sas: &[SaKeys]) -> (usize, usize) {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cap = ["capture.pcapng", "capture.pcap"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file());
    let Some(cap) = cap else {
        panic!("{name}: no capture file")
    };
    let (mut sk, mut skf) = (0, 0);
    for (port, mut msg) in udp_payloads(&cap) {
        if port == 4500 || msg.len() >= 4 && msg[..4] == [0; 4] {
            if msg.len() < 4 || msg[..4] != [0; 4] {
                continue; // ESP or NAT-keepalive
            }
            msg.drain(..4); // non-ESP marker
        }
        if msg.len() < 28 {
            continue;
        }
        // Walk the payload chain to the SK (46) or SKF (53) payload.
        let (mut next, mut off) = (msg[16], 28usize);
        while next != 46 && next != 53 && next != 0 && off + 4 <= msg.len() {
            let len = u16::from_be_bytes([msg[off + 2], msg[off + 3]]) as usize;
            next = msg[off];
            off += len;
        }
        if next != 46 && next != 53 {
            continue;
        }
        let sa = sas
            .iter()
            .find(|s| msg[..8] == s.spi_i[..] && msg[8..16] == s.spi_r[..])
            .unwrap_or_else(|| panic!("{name}: no keys for SPIs {}", hex::encode(&msg[..16])));
        let from_initiator = msg[19] & 0x08 != 0;
        let keys = if from_initiator {
            sa.keys.initiator()
        } else {
            sa.keys.responder()
        };
        let ctx = SkContext::from_suite(&sa.suite, keys).unwrap();
        let body = off + if next == 46 { 4 } else { 8 };
        let inner = ctx.open(&msg, body).unwrap_or_else(|e| {
            panic!(
                "{name}: message {} exchange {}: {e}",
                hex::encode(&msg[20..24]),
                msg[18]
            )
        });
        if next == 46 {
            // The inner chain starts with the SK header's Next Payload and ends exactly.
            let (mut t, mut o) = (msg[off], 0usize);
            while t != 0 {
                assert!(o + 4 <= inner.len(), "{name}: inner chain overruns");
                t = inner[o];
                o += u16::from_be_bytes([inner[o + 2], inner[o + 3]]) as usize;
            }
            assert_eq!(
                o,
                inner.len(),
                "{name}: inner chain does not end at the padding"
            );
            sk += 1;
        } else {
            skf += 1;
        }
    }
    (sk, skf)
}

fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/captures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("charon-ini.log").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn strongswan_key_derivation_matches_charon_logs() {
    let dirs = captures();
    assert!(!dirs.is_empty(), "no corpora/captures/*/charon-ini.log");
    let mut total = Counts::default();
    let (mut sk, mut skf) = (0, 0);
    for d in &dirs {
        let (c, sas) = check_capture(d);
        let (a, b) = decrypt_capture(d, &sas);
        println!(
            "strongSwan capture {}: {a} SK and {b} SKF payloads verified and decrypted",
            d.display()
                .to_string()
                .rsplit('/')
                .next()
                .unwrap_or_default()
        );
        assert!(a > 0, "{}: no SK payload decrypted", d.display());
        sk += a;
        skf += b;
        assert!(
            c.ike_sa > 0 && c.child > 0,
            "{}: nothing derived",
            d.display()
        );
        total.ike_sa += c.ike_sa;
        total.ike_rekey += c.ike_rekey;
        total.child += c.child;
        total.child_pfs += c.child_pfs;
    }
    println!(
        "strongSwan: {} captures, {} IKE SA key sets ({} rekeyed), {} CHILD_SA key sets ({} PFS) matched byte for byte; {sk} SK + {skf} SKF payloads decrypted",
        dirs.len(),
        total.ike_sa,
        total.ike_rekey,
        total.child,
        total.child_pfs
    );
}
