//! ikelab crypto: the provider every other ikelab crate goes through.
//!
//! * [`provider`]: plain-data transform tables by IANA ID ([`DEFAULT`]).
//! * [`cipher`] / [`integ`]: pre-keyed AEADs, CBC ciphers and MACs working on
//!   caller buffers (no allocation per call: the ESP data plane's primitives).
//! * [`ke`]: MODP, ECP, Curve25519/448 key exchange with peer value validation.
//! * [`keys`]: the IKEv2 key schedule (RFC 7296 §2.13–2.18, RFC 8784 PPK).
//! * [`sk`]: SK payload protection (RFC 7296 §3.14, RFC 5282, RFC 7634).
//! * [`sig`]: IKE_AUTH signatures and RFC 7427 AlgorithmIdentifiers; [`x509`]:
//!   certificate parsing and test certificate generation.
//! * [`rng`]: random numbers behind a trait, with a seeded generator.
//!
//! Works on byte slices and IANA numbers (`u16`); it does not depend on the wire crate.

#![warn(clippy::unwrap_used, clippy::expect_used)]
#![warn(missing_docs)]

pub mod cipher;
pub mod digest;
mod error;
pub mod integ;
pub mod ke;
pub mod keys;
pub mod mschapv2;
#[cfg(feature = "fuzzing")]
pub mod null;
pub mod prf;
pub mod provider;
pub mod rng;
mod secret;
pub mod sig;
pub mod sk;
pub mod x509;

pub use error::{CryptoError, TransformType};
pub use provider::{Provider, DEFAULT};
pub use secret::KeyBytes;
