//! Fuzz target bodies, shared by `fuzz/` (cargo-fuzz) and the corpus replay test, so every
//! crash input checked into `corpora/esp_open/` stays a regression test on stable Rust.
//!
//! The SAs have fixed, public keys (one per transform family) and deterministic IVs, so a
//! crash reproduces from its input alone.

use std::sync::Arc;

use ikelab_crypto::rng::SeededRandom;

use crate::{
    udp, Encryption, EspError, InboundSa, InboundTable, Integrity, IvSource, Mode, OutboundSa,
    SaConfig, SaKeys, Suite,
};

/// SPI of the first fuzzing SA; the others follow.
pub const FIRST_SPI: u32 = 0x1000_0001;

fn key(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(salt))
        .collect()
}

/// The SAs the target runs against: every transform, both modes, with and without ESN.
pub fn configs() -> Vec<SaConfig> {
    use Encryption as E;
    use Integrity as I;
    let gcm = |bits, icv| E::AesGcm {
        key_bits: bits,
        icv_len: icv,
    };
    let list: [(E, I, Mode, bool); 12] = [
        (gcm(128, 16), I::None, Mode::Tunnel, false),
        (gcm(256, 16), I::None, Mode::Tunnel, true),
        (gcm(128, 8), I::None, Mode::Transport, false),
        (E::ChaCha20Poly1305, I::None, Mode::Tunnel, true),
        (
            E::AesGmac { key_bits: 128 },
            I::None,
            Mode::Transport,
            false,
        ),
        (E::AesGmac { key_bits: 256 }, I::None, Mode::Tunnel, true),
        (
            E::AesCbc { key_bits: 128 },
            I::HmacSha1_96,
            Mode::Tunnel,
            false,
        ),
        (
            E::AesCbc { key_bits: 256 },
            I::HmacSha256_128,
            Mode::Tunnel,
            true,
        ),
        (
            E::AesCbc { key_bits: 256 },
            I::HmacSha512_256,
            Mode::Transport,
            false,
        ),
        (E::TripleDesCbc, I::HmacSha384_192, Mode::Tunnel, false),
        (E::Null, I::HmacSha256_128, Mode::Transport, true),
        // Confidentiality only: arbitrary input decrypts, reaching padding and inner checks.
        (E::AesCbc { key_bits: 128 }, I::None, Mode::Tunnel, false),
    ];
    list.iter()
        .enumerate()
        .map(|(n, &(e, i, mode, esn))| {
            let keys = SaKeys::new(
                &key(e.key_len(), n as u8),
                &key(i.key_len(), 0x80 + n as u8),
            );
            let mut c = SaConfig::new(FIRST_SPI + n as u32, Suite::split(e, i), keys);
            c.mode = mode;
            c.esn = esn;
            c.replay_window = 128;
            c.iv = IvSource::Random(Arc::new(SeededRandom::from_u64(n as u64)));
            c
        })
        .collect()
}

fn table(configs: &[SaConfig]) -> InboundTable {
    let mut t = InboundTable::new();
    for c in configs {
        if let Ok(sa) = InboundSa::new(c) {
            t.insert(sa);
        }
    }
    t
}

/// Arbitrary bytes as a UDP 4500 payload against the fixed SAs (never panics), then as an
/// inner packet sealed and opened by the SA the first octet picks: the round trip must
/// return the bytes, a replay and a one-bit change must be refused.
pub fn esp_open(data: &[u8]) {
    let configs = configs();
    let mut sas = table(&configs);
    let mut out = vec![0u8; data.len() + 64];
    match udp::receive(&mut sas, data, &mut out) {
        Ok(udp::Received::Esp { opened, .. }) => {
            let used = opened.len + opened.tfc_len + usize::from(opened.pad_len) + 2;
            assert!(used <= data.len(), "opened more than was received");
        }
        Ok(udp::Received::Ike(ike)) => assert_eq!(ike.len() + 4, data.len()),
        Ok(udp::Received::NatKeepalive) | Err(_) => {}
    }

    let Some((&pick, inner)) = data.split_first() else {
        return;
    };
    round_trip(&configs[usize::from(pick) % configs.len()], pick, inner);
}

fn round_trip(config: &SaConfig, pick: u8, inner: &[u8]) {
    // Transport mode: the inner bytes need not be an IP packet.
    let mut c = config.clone();
    c.mode = Mode::Transport;
    let (Ok(mut tx), Ok(mut rx)) = (OutboundSa::new(&c), InboundSa::new(&c)) else {
        return;
    };
    let mut sealed = vec![0u8; tx.sealed_len(inner.len())];
    let n = match tx.seal(inner, pick, &mut sealed) {
        Ok(n) => n,
        Err(e) => panic!("seal failed: {e}"),
    };
    assert_eq!(n, sealed.len());
    let mut plain = vec![0u8; rx.open_capacity(n)];
    let opened = match rx.open(&sealed, &mut plain) {
        Ok(o) => o,
        Err(e) => panic!("round trip failed: {e}"),
    };
    assert_eq!(&plain[..opened.len], inner);
    assert_eq!(opened.next_header, pick);
    assert!(matches!(
        rx.open(&sealed, &mut plain),
        Err(EspError::Replay { .. })
    ));

    let authenticated = c.suite.encryption.is_combined() || c.suite.integrity != Integrity::None;
    if authenticated {
        let mut rx = match InboundSa::new(&c) {
            Ok(rx) => rx,
            Err(e) => panic!("{e}"),
        };
        let bit = inner.iter().fold(usize::from(pick), |a, &b| {
            a.wrapping_mul(31) ^ usize::from(b)
        });
        let bit = bit % (sealed.len() * 8);
        sealed[bit / 8] ^= 1 << (bit % 8);
        assert!(
            rx.open(&sealed, &mut plain).is_err(),
            "a flipped bit {bit} went unnoticed"
        );
    }
}

/// Valid datagrams for every fuzzing SA (the seed corpus), plus a keepalive and an IKE
/// datagram.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![udp::nat_keepalive().to_vec(), {
        let mut ike = vec![0u8; 4 + 28];
        ike[4 + 17] = 0x20; // IKEv2 version
        ike
    }];
    for c in configs() {
        let Ok(mut tx) = OutboundSa::new(&c) else {
            continue;
        };
        for len in [0usize, 20, 84] {
            // A minimal IPv4 header with the right total length (tunnel mode checks it).
            let mut inner = vec![0u8; len];
            if len >= 20 {
                inner[0] = 0x45;
                inner[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            }
            let nh = if c.mode == Mode::Tunnel && len >= 20 {
                4
            } else {
                59
            };
            let mut buf = vec![0u8; tx.sealed_len(len)];
            if let Ok(n) = tx.seal(&inner, nh, &mut buf) {
                buf.truncate(n);
                seeds.push(buf);
            }
        }
    }
    seeds
}
