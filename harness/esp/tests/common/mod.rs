//! Shared test helpers: one SA configuration per transform.
#![allow(dead_code)]

use ikelab_esp::{Encryption, Integrity, Mode, SaConfig, SaKeys, Suite};

/// Every implemented transform combination worth testing.
pub fn suites() -> Vec<Suite> {
    use Encryption as E;
    use Integrity as I;
    let mut v = Vec::new();
    for key_bits in [128, 192, 256] {
        for icv_len in [8, 12, 16] {
            v.push(Suite::combined(E::AesGcm { key_bits, icv_len }));
        }
        v.push(Suite::combined(E::AesGmac { key_bits }));
    }
    v.push(Suite::combined(E::ChaCha20Poly1305));
    for key_bits in [128, 256] {
        for i in [
            I::HmacSha1_96,
            I::HmacSha256_128,
            I::HmacSha384_192,
            I::HmacSha512_256,
        ] {
            v.push(Suite::split(E::AesCbc { key_bits }, i));
        }
    }
    v.push(Suite::split(E::TripleDesCbc, I::HmacSha256_128));
    v.push(Suite::split(E::Null, I::HmacSha256_128));
    v.push(Suite::split(E::Null, I::HmacSha1_96));
    v
}

/// Deterministic key material of the right length.
pub fn key(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(131).wrapping_add(seed))
        .collect()
}

/// An SA configuration with deterministic keys.
pub fn config(spi: u32, suite: Suite, mode: Mode, esn: bool) -> SaConfig {
    let keys = SaKeys::new(
        &key(suite.encryption.key_len(), spi as u8),
        &key(suite.integrity.key_len(), 0x55 ^ spi as u8),
    );
    let mut c = SaConfig::new(spi, suite, keys);
    c.mode = mode;
    c.esn = esn;
    c
}

/// True when the suite authenticates (every suite in [`suites`]).
pub fn authenticated(s: &Suite) -> bool {
    s.encryption.is_combined() || s.integrity != Integrity::None
}
