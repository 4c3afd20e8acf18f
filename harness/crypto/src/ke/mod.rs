//! Key exchange methods (RFC 7296 transform type 4): MODP groups, NIST ECP groups
//! (RFC 5903 encoding: `x ‖ y`, no 0x04 prefix), Curve25519 and Curve448 (RFC 8031).
//!
//! Every peer public value is validated before use: MODP `1 < y < p-1` at the
//! modulus length (RFC 7296 §3.4, RFC 6989 §2.1); ECP on-curve at exactly
//! `2 × coordinate` octets (RFC 6989 §2.3); X25519/X448 32/56 octets and a
//! non-zero shared secret (RFC 8031 §2.2).

mod ecp;
mod modp;
#[rustfmt::skip]
mod modp_primes;
mod xdh;

use crate::rng::SecureRandom;
use crate::{CryptoError, KeyBytes};
use core::fmt;

/// How a key exchange method computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeKind {
    /// Finite-field DH over a safe-prime MODP group, generator 2.
    Modp {
        /// Modulus size in bits.
        bits: usize,
        /// Private exponent size in bits (at least twice the group's strength
        /// per RFC 3526 §8; short exponents are sound in safe-prime groups, RFC 7919 §5.2).
        exponent_bits: u32,
    },
    /// ECDH over a NIST prime curve.
    Ecp {
        /// Field element (coordinate) size in octets: 32, 48, 66.
        coord_len: usize,
    },
    /// X25519 (RFC 7748).
    X25519,
    /// X448 (RFC 7748).
    X448,
}

/// A key exchange method table entry.
#[derive(Debug)]
pub struct KeTransform {
    /// IANA Transform Type 4 ID.
    pub id: u16,
    /// IANA name.
    pub name: &'static str,
    /// Length of the KE payload's Key Exchange Data.
    pub public_len: usize,
    /// Length of the shared secret g^ir.
    pub shared_len: usize,
    /// Deprecated for IKEv2 by RFC 8247 (MODP 1, 2, 5).
    pub insecure: bool,
    /// Computation.
    pub kind: KeKind,
}

enum Secret {
    Modp(KeyBytes),
    Ec(aws_lc_rs::agreement::PrivateKey),
    X25519(aws_lc_rs::agreement::PrivateKey),
    X448(KeyBytes),
}

/// One side's key exchange state: private key and the public value to send.
pub struct KePrivate {
    method: &'static KeTransform,
    secret: Secret,
    public: Vec<u8>,
}

impl fmt::Debug for KePrivate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KePrivate")
            .field("method", &self.method.name)
            .field("public_len", &self.public.len())
            .field("private", &"<redacted>")
            .finish()
    }
}

impl KeTransform {
    /// Generates a fresh private key from `rng`.
    pub fn generate(&'static self, rng: &dyn SecureRandom) -> Result<KePrivate, CryptoError> {
        match self.kind {
            KeKind::Modp {
                bits,
                exponent_bits,
            } => {
                let x = modp::random_exponent(exponent_bits, rng)?;
                self.modp_private(bits, x)
            }
            KeKind::Ecp { coord_len } => {
                // Rejection sampling: aws-lc refuses scalars outside [1, n-1].
                for _ in 0..64 {
                    let mut s = KeyBytes::zeroed(coord_len);
                    rng.fill(s.as_mut_bytes())?;
                    if coord_len == 66 {
                        s.as_mut_bytes()[0] &= 0x01; // P-521 scalars are 521 bits
                    }
                    if let Ok(k) = self.from_private_bytes(s.as_bytes()) {
                        return Ok(k);
                    }
                }
                Err(CryptoError::rejected(
                    self.name,
                    "no valid scalar in 64 draws",
                ))
            }
            KeKind::X25519 | KeKind::X448 => {
                let mut s = KeyBytes::zeroed(self.public_len);
                rng.fill(s.as_mut_bytes())?;
                self.from_private_bytes(s.as_bytes())
            }
        }
    }

    /// Builds a private key from its octets: the big-endian exponent (MODP), the
    /// big-endian scalar of exactly `coord_len` octets (ECP), or the RFC 7748
    /// scalar (X25519/X448). For known-answer tests and reproducible scenarios.
    pub fn from_private_bytes(&'static self, private: &[u8]) -> Result<KePrivate, CryptoError> {
        match self.kind {
            KeKind::Modp { bits, .. } => self.modp_private(bits, KeyBytes::from_slice(private)),
            KeKind::Ecp { coord_len } => {
                let (key, public) = ecp::from_private(self.name, coord_len, private)?;
                Ok(KePrivate {
                    method: self,
                    secret: Secret::Ec(key),
                    public,
                })
            }
            KeKind::X25519 => {
                let (key, public) = xdh::x25519_from_private(private)?;
                Ok(KePrivate {
                    method: self,
                    secret: Secret::X25519(key),
                    public,
                })
            }
            KeKind::X448 => {
                let public = xdh::x448_public(private)?;
                Ok(KePrivate {
                    method: self,
                    secret: Secret::X448(KeyBytes::from_slice(private)),
                    public,
                })
            }
        }
    }

    fn modp_private(&'static self, bits: usize, x: KeyBytes) -> Result<KePrivate, CryptoError> {
        let group = modp::group(self.id, bits)?;
        let public = group.public(x.as_bytes())?;
        Ok(KePrivate {
            method: self,
            secret: Secret::Modp(x),
            public,
        })
    }

    /// Checks a peer's Key Exchange Data without computing a shared secret.
    pub fn validate_public(&'static self, peer: &[u8]) -> Result<(), CryptoError> {
        match self.kind {
            KeKind::Modp { bits, .. } => modp::group(self.id, bits)?.validate(self.name, peer),
            KeKind::Ecp { coord_len } => ecp::validate(self.name, coord_len, peer),
            KeKind::X25519 | KeKind::X448 => {
                if peer.len() != self.public_len {
                    return Err(CryptoError::InvalidPublicValue {
                        what: self.name,
                        reason: "wrong length",
                    });
                }
                Ok(())
            }
        }
    }
}

impl KePrivate {
    /// The method this key belongs to.
    pub fn method(&self) -> &'static KeTransform {
        self.method
    }

    /// Key Exchange Data to send (MODP: padded to the modulus; ECP: `x ‖ y`).
    pub fn public_value(&self) -> &[u8] {
        &self.public
    }

    /// Computes g^ir from the peer's Key Exchange Data, after validating it.
    pub fn agree(&self, peer: &[u8]) -> Result<KeyBytes, CryptoError> {
        let m = self.method;
        match (&self.secret, m.kind) {
            (Secret::Modp(x), KeKind::Modp { bits, .. }) => {
                modp::group(m.id, bits)?.shared(m.name, x.as_bytes(), peer)
            }
            (Secret::Ec(k), KeKind::Ecp { coord_len }) => ecp::agree(m.name, coord_len, k, peer),
            (Secret::X25519(k), _) => xdh::x25519_agree(k, peer),
            (Secret::X448(k), _) => xdh::x448_agree(k.as_bytes(), peer),
            _ => Err(CryptoError::rejected(
                m.name,
                "private key does not match the method",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::provider::DEFAULT;
    use crate::rng::SeededRandom;

    #[test]
    fn every_group_agrees_and_rejects_garbage() {
        let rng = SeededRandom::from_u64(1);
        for ke in DEFAULT.ke {
            // The big MODP groups are slow in debug builds; one exchange each is enough.
            let a = ke.generate(&rng).unwrap();
            let b = ke.generate(&rng).unwrap();
            assert_eq!(a.public_value().len(), ke.public_len, "{}", ke.name);
            let s1 = a.agree(b.public_value()).unwrap();
            let s2 = b.agree(a.public_value()).unwrap();
            assert_eq!(s1, s2, "{}", ke.name);
            assert_eq!(s1.len(), ke.shared_len, "{}", ke.name);
            assert!(
                a.agree(&b.public_value()[1..]).is_err(),
                "{} short",
                ke.name
            );
            let dbg = format!("{a:?}");
            assert!(dbg.contains("<redacted>"));
        }
    }
}
