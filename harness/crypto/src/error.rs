//! Typed errors. Every variant says which transform or operation failed and why.

use core::fmt;

/// IKEv2 transform types (RFC 7296 §3.3.2), as they appear in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransformType {
    /// Transform type 1, encryption algorithm.
    Encr,
    /// Transform type 2, pseudorandom function.
    Prf,
    /// Transform type 3, integrity algorithm.
    Integ,
    /// Transform type 4, key exchange method.
    Ke,
}

impl fmt::Display for TransformType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Encr => "ENCR",
            Self::Prf => "PRF",
            Self::Integ => "INTEG",
            Self::Ke => "KE",
        })
    }
}

/// Renders an optional Key Length attribute for [`CryptoError::Unsupported`].
fn key_bits_suffix(bits: &Option<u16>) -> String {
    match bits {
        Some(b) => format!(" with key length {b} bits"),
        None => String::new(),
    }
}

/// Errors of the provider, primitives, key schedule and signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// No table entry for this transform ID (and Key Length attribute).
    #[error("unsupported {kind} transform ID {id}{}", key_bits_suffix(.key_bits))]
    Unsupported {
        /// Transform type looked up.
        kind: TransformType,
        /// IANA transform ID.
        id: u16,
        /// Key Length attribute, if one was given.
        key_bits: Option<u16>,
    },
    /// A key, IV, nonce or tag had the wrong size.
    #[error("{what}: {field} is {got} octets, expected {expected}")]
    Length {
        /// Algorithm or operation.
        what: &'static str,
        /// Which input.
        field: &'static str,
        /// Required length.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// Input to a block cipher was not a whole number of blocks.
    #[error("{what}: {len} octets is not a multiple of the {block}-octet block size")]
    NotBlockAligned {
        /// Algorithm.
        what: &'static str,
        /// Input length.
        len: usize,
        /// Block size.
        block: usize,
    },
    /// An AEAD tag or integrity checksum did not verify.
    #[error("{what}: integrity check failed")]
    Integrity {
        /// Algorithm.
        what: &'static str,
    },
    /// A peer's key exchange public value failed validation.
    #[error("{what}: invalid peer public value: {reason}")]
    InvalidPublicValue {
        /// Key exchange method.
        what: &'static str,
        /// Which check failed.
        reason: &'static str,
    },
    /// The underlying library refused a key or operation.
    #[error("{what}: {reason}")]
    Rejected {
        /// Algorithm or operation.
        what: &'static str,
        /// Reason (from the library where it gives one).
        reason: String,
    },
    /// A signature did not verify.
    #[error("{what}: signature verification failed")]
    BadSignature {
        /// Signature scheme.
        what: &'static str,
    },
    /// An RFC 7427 AlgorithmIdentifier (or other DER input) was not understood.
    #[error("unrecognised {what}: {reason}")]
    Unrecognised {
        /// What was being parsed.
        what: &'static str,
        /// Why it was not accepted.
        reason: String,
    },
    /// prf+ was asked for more than 255 blocks (RFC 7296 §2.13).
    #[error("prf+ with {prf} can produce at most {max} octets, {asked} requested")]
    PrfPlusTooLong {
        /// PRF name.
        prf: &'static str,
        /// Maximum output.
        max: usize,
        /// Requested output.
        asked: usize,
    },
    /// The random number generator failed.
    #[error("random number generator failed")]
    Rng,
    /// A null (fuzzing) provider reached a code path that requires real crypto.
    #[error("the null fuzzing crypto provider is refused here: it provides no security")]
    NullProviderRefused,
}

impl CryptoError {
    pub(crate) fn rejected(what: &'static str, reason: impl fmt::Display) -> Self {
        Self::Rejected {
            what,
            reason: reason.to_string(),
        }
    }

    pub(crate) fn length(
        what: &'static str,
        field: &'static str,
        expected: usize,
        got: usize,
    ) -> Self {
        Self::Length {
            what,
            field,
            expected,
            got,
        }
    }
}
