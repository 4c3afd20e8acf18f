//! Errors the caller sees: a policy the engine cannot use, or a local failure.

use ikelab_crypto::CryptoError;
use ikelab_policy::PolicyError;

/// A policy or command the engine cannot act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("policy {policy:?}: {reason}")]
    Policy { policy: String, reason: String },
    #[error("policy {policy:?}: none of the IKE proposals uses only transforms the crypto provider implements")]
    NoUsableIkeProposal { policy: String },
    #[error("policy {policy:?}: no CHILD_SA is configured")]
    NoChild { policy: String },
    #[error("no IKE SA with handle {0}")]
    UnknownSa(u64),
    #[error("IKE SA {0} is not established")]
    NotEstablished(u64),
    #[error("IKE SA {sa} has no CHILD_SA with inbound SPI {spi:#010x}")]
    UnknownChild { sa: u64, spi: u32 },
    #[error("policy {policy:?} has no CHILD_SA named {child:?}")]
    UnknownChildPolicy { policy: String, child: String },
    #[error("IKE SA {0}: MOBIKE was not negotiated, or we are not its original initiator (RFC 4555 §3.5)")]
    MobikeUnavailable(u64),
    #[error("IKE SA {0}: the peer did not send REDIRECT_SUPPORTED (RFC 5685 §5)")]
    RedirectUnsupported(u64),
}

impl ConfigError {
    pub(crate) fn policy(policy: &str, reason: impl core::fmt::Display) -> Self {
        Self::Policy {
            policy: policy.to_owned(),
            reason: reason.to_string(),
        }
    }
}

impl From<PolicyError> for ConfigError {
    fn from(e: PolicyError) -> Self {
        Self::policy("?", e)
    }
}

/// A failure on our side while processing (crypto, RNG). Ends the SA.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    #[error("SK payload: {0}")]
    Sk(#[from] ikelab_crypto::sk::SkError),
    #[error("{0}")]
    Config(#[from] ConfigError),
}
