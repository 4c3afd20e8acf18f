//! ikelab policy: the engine's input, as plain data.
//!
//! An [`IkePolicy`] says what one side of an IKE SA offers and accepts: ordered IKE and CHILD_SA
//! proposals, identities and authentication per side, traffic selectors, lifetimes, liveness,
//! retransmission, NAT-T, features, and (for a responder) the address pool and COOKIE threshold.
//! Profiles lower to it, scenario files embed it, and the engine consumes it; it holds no logic
//! beyond parsing, printing and [`IkePolicy::validate`].
//!
//! Every type is serde with unknown fields rejected. Proposals are strongSwan strings
//! ([`strongswan`]), identities strongSwan identity strings, selectors strongSwan selector
//! strings, durations `"30s"`-style. Secrets redact themselves in `Debug` and `Serialize`.
//!
//! ```toml
//! name = "road-warrior"
//! ike_proposals = ["aes256gcm16-prfsha384-ecp384"]
//! [local]
//! id = "client.example.com"
//! auth = { method = "psk", secret = "0x6b6579" }
//! [remote]
//! id = "vpn.example.com"
//! auth = { method = "psk", secret = "0x6b6579" }
//! [[children]]
//! proposals = ["aes256gcm16"]
//! remote_ts = ["0.0.0.0/0"]
//! ```
#![warn(clippy::unwrap_used)]

pub mod auth;
mod dn;
mod duration;
pub mod features;
pub mod identity;
pub mod net;
pub mod pem;
pub mod preset;
pub mod proposal;
pub mod registry;
mod secret;
pub mod strongswan;
pub mod timers;
pub mod vendor_id;

use std::path::{Path, PathBuf};

use ikelab_wire::iana::CpAttributeType;
use serde::{Deserialize, Serialize};

pub use auth::{
    CertSource, EapMethod, EapTls, EapUser, KeySource, LocalAuth, RemoteAuth, SignatureMethod,
    SignaturePolicy,
};
pub use duration::{Duration, DurationError};
pub use features::{Features, Ppk, RedirectPhase, RedirectTo};
pub use identity::{Identity, IdentityError, IdentityMatch};
pub use net::{AddressPool, IpNet, NetError, TsAddresses, TsSpec};
pub use preset::{IosProposals, Preset};
pub use proposal::{ChildProposal, Encryption, IkeProposal};
pub use secret::{Secret, SecretError, REDACTED};
pub use strongswan::{ProposalError, ProposalErrorKind};
pub use timers::{Lifetime, NatTraversal, Retransmission};
pub use vendor_id::{VendorId, VendorIdError};

/// Everything one side of an IKE SA needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IkePolicy {
    /// Shown in events and logs.
    #[serde(default = "default_name")]
    pub name: String,
    pub local: Local,
    pub remote: Remote,
    /// In order of preference.
    #[serde(default = "default_ike_proposals")]
    pub ike_proposals: Vec<IkeProposal>,
    /// The first is negotiated in IKE_AUTH; the others are for CREATE_CHILD_SA.
    #[serde(default = "default_children")]
    pub children: Vec<ChildPolicy>,
    #[serde(default = "ike_lifetime")]
    pub ike_lifetime: Lifetime,
    #[serde(default)]
    pub retransmission: Retransmission,
    /// Liveness check (an empty INFORMATIONAL) after this long without hearing from the peer;
    /// `None` disables them. The peer is dead when the check exhausts the retransmissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpd_interval: Option<Duration>,
    #[serde(default)]
    pub nat_traversal: NatTraversal,
    #[serde(default)]
    pub features: Features,
    /// Initiator: the CP(CFG_REQUEST) attributes to ask for in IKE_AUTH; empty sends no CP.
    #[serde(
        default,
        with = "registry::list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub config_request: Vec<CpAttributeType>,
    /// Responder: addresses to hand out in CP(CFG_REPLY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<AddressPool>,
    /// Responder: demand a COOKIE (RFC 7296 §2.6) once this many IKE SAs are half-open;
    /// `Some(0)` always demands one, `None` never does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_threshold: Option<u32>,
    /// Responder: how long an SA may stay half-open (after IKE_SA_INIT, before IKE_AUTH).
    #[serde(default = "half_open_timeout")]
    pub half_open_timeout: Duration,
}

/// Our side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Local {
    /// IDi/IDr to send; by default the certificate's subject (pubkey) or our IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Identity>,
    pub auth: LocalAuth,
}

/// The peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remote {
    /// Identities accepted; an exact one is also sent as IDr by an initiator.
    #[serde(default)]
    pub id: IdentityMatch,
    pub auth: RemoteAuth,
}

/// A CHILD_SA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildPolicy {
    #[serde(default = "default_child_name")]
    pub name: String,
    #[serde(default = "default_esp_proposals")]
    pub proposals: Vec<ChildProposal>,
    #[serde(default = "dynamic")]
    pub local_ts: Vec<TsSpec>,
    #[serde(default = "dynamic")]
    pub remote_ts: Vec<TsSpec>,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default = "child_lifetime")]
    pub lifetime: Lifetime,
}

/// IPsec mode (RFC 4301); transport mode is requested with USE_TRANSPORT_MODE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Tunnel,
    Transport,
}

fn default_name() -> String {
    "ikelab".into()
}
fn default_child_name() -> String {
    "child".into()
}
fn dynamic() -> Vec<TsSpec> {
    vec![TsSpec::DYNAMIC]
}
fn ike_lifetime() -> Lifetime {
    Lifetime::IKE_DEFAULT
}
fn child_lifetime() -> Lifetime {
    Lifetime::CHILD_DEFAULT
}
fn half_open_timeout() -> Duration {
    Duration::from_secs(30)
}

/// Offered when a policy names no IKE proposals: AEAD first, then CBC+HMAC, modern groups.
pub fn default_ike_proposals() -> Vec<IkeProposal> {
    [
        "aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-x25519-ecp256-ecp384-modp2048",
        "aes128-aes256-sha256-sha384-x25519-ecp256-ecp384-modp2048",
    ]
    .iter()
    .filter_map(|s| IkeProposal::parse(s).ok())
    .collect()
}

/// Offered when a CHILD_SA names no proposals.
pub fn default_esp_proposals() -> Vec<ChildProposal> {
    [
        "aes128gcm16-aes256gcm16-chacha20poly1305",
        "aes128-aes256-sha256-sha384",
    ]
    .iter()
    .filter_map(|s| ChildProposal::parse(s).ok())
    .collect()
}

fn default_children() -> Vec<ChildPolicy> {
    vec![ChildPolicy::default()]
}

impl Default for ChildPolicy {
    fn default() -> Self {
        Self {
            name: default_child_name(),
            proposals: default_esp_proposals(),
            local_ts: dynamic(),
            remote_ts: dynamic(),
            mode: Mode::Tunnel,
            lifetime: Lifetime::CHILD_DEFAULT,
        }
    }
}

impl IkePolicy {
    /// A policy with every default and the given sides.
    pub fn new(local: Local, remote: Remote) -> Self {
        Self {
            name: default_name(),
            local,
            remote,
            ike_proposals: default_ike_proposals(),
            children: default_children(),
            ike_lifetime: Lifetime::IKE_DEFAULT,
            retransmission: Retransmission::default(),
            dpd_interval: None,
            nat_traversal: NatTraversal::default(),
            features: Features::default(),
            config_request: Vec::new(),
            pool: None,
            cookie_threshold: None,
            half_open_timeout: half_open_timeout(),
        }
    }

    /// Both sides authenticate with one PSK.
    pub fn psk(local_id: Identity, remote_id: IdentityMatch, psk: Secret) -> Self {
        Self::new(
            Local {
                id: Some(local_id),
                auth: LocalAuth::Psk {
                    secret: psk.clone(),
                },
            },
            Remote {
                id: remote_id,
                auth: RemoteAuth::Psk { secret: psk },
            },
        )
    }

    /// Parses and validates a TOML policy. Syntax and type errors carry toml's line, column
    /// and source excerpt; `origin` (a file name) prefixes them. `preset = "ios"` starts from
    /// a client preset ([`preset`]).
    pub fn from_toml(origin: &str, text: &str) -> Result<Self, PolicyError> {
        let policy = preset::parse(origin, text)?;
        policy.validate()?;
        Ok(policy)
    }

    /// Reads certificate and key files named in the policy, relative to `base` (the directory
    /// of the policy file). The engine never reads files.
    pub fn load_files(&mut self, base: &Path) -> Result<(), PolicyError> {
        match &mut self.local.auth {
            LocalAuth::Pubkey {
                certificate,
                chain,
                private_key,
                ..
            } => {
                certificate.load(base)?;
                for c in chain {
                    c.load(base)?;
                }
                private_key.load(base)?;
            }
            LocalAuth::Eap { tls: Some(t), .. } => t.load(base)?,
            LocalAuth::Psk { .. } | LocalAuth::Eap { .. } => {}
        }
        if let RemoteAuth::Eap { tls: Some(t), .. } = &mut self.remote.auth {
            t.load(base)?;
        }
        if let RemoteAuth::Pubkey { trust_anchors, .. } = &mut self.remote.auth {
            for c in trust_anchors {
                c.load(base)?;
            }
        }
        Ok(())
    }

    /// Checks what serde cannot: non-empty lists, consistent values. Returns every problem.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let mut problems = Vec::new();
        let mut bad = |field: &str, reason: &str| {
            problems.push(format!("{field}: {reason}"));
        };
        if self.ike_proposals.is_empty() {
            bad("ike_proposals", "no IKE proposal");
        }
        for (i, p) in self.ike_proposals.iter().enumerate() {
            if p.encryption.is_empty() || p.prf.is_empty() || p.ke.is_empty() {
                bad(
                    &format!("ike_proposals[{i}]"),
                    "needs encryption, PRF and KE transforms",
                );
            }
        }
        if self.ike_proposals.len() > 255 {
            bad("ike_proposals", "more than 255 proposals");
        }
        match &self.local.auth {
            LocalAuth::Psk { secret } if secret.is_empty() => bad("local.auth.secret", "empty PSK"),
            _ => {}
        }
        if let Some(ppk) = &self.features.ppk {
            if ppk.id.is_empty() {
                bad("features.ppk.id", "empty PPK_ID");
            }
            if ppk.secret.is_empty() {
                bad("features.ppk.secret", "empty PPK");
            }
        }
        if let RemoteAuth::Psk { secret } = &self.remote.auth {
            if secret.is_empty() {
                bad("remote.auth.secret", "empty PSK");
            }
        }
        if let RemoteAuth::Pubkey { trust_anchors, .. } = &self.remote.auth {
            if trust_anchors.is_empty() {
                bad("remote.auth.trust_anchors", "no trust anchor");
            }
        }
        for (i, c) in self.children.iter().enumerate() {
            let f = |x: &str| format!("children[{i}].{x}");
            if c.proposals.is_empty() {
                bad(&f("proposals"), "no ESP proposal");
            }
            if c.proposals.iter().any(|p| p.encryption.is_empty()) {
                bad(&f("proposals"), "a proposal without encryption transform");
            }
            if c.local_ts.is_empty() || c.remote_ts.is_empty() {
                bad(&f("local_ts/remote_ts"), "needs at least one selector each");
            }
        }
        let r = &self.retransmission;
        if r.timeout.is_zero() {
            bad("retransmission.timeout", "must be above zero");
        }
        if !(r.backoff.is_finite() && r.backoff >= 1.0) {
            bad("retransmission.backoff", "must be a number of at least 1");
        }
        if r.jitter_percent > 100 {
            bad("retransmission.jitter_percent", "above 100");
        }
        if self.dpd_interval.is_some_and(Duration::is_zero) {
            bad("dpd_interval", "zero; leave it out to disable DPD");
        }
        if let Some(pool) = &self.pool {
            let v4 = pool.ranges.iter().filter(|n| n.addr.is_ipv4()).count();
            if v4 > 1 || pool.ranges.len() - v4 > 1 {
                bad("pool.ranges", "at most one prefix per address family");
            }
            if pool
                .ranges
                .iter()
                .any(|n| n.addr.is_ipv4() && n.prefix > 30)
            {
                bad(
                    "pool.ranges",
                    "an IPv4 pool needs a prefix of /30 or shorter",
                );
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(PolicyError::Invalid(problems))
        }
    }
}

/// Why a policy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("invalid policy: {}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("{origin}: {message}")]
    Toml { origin: String, message: String },
    #[error("{}: {reason}", path.display())]
    Io { path: PathBuf, reason: String },
    #[error("{}: {reason}", path.as_ref().map_or("inline PEM".into(), |p| p.display().to_string()))]
    Pem {
        path: Option<PathBuf>,
        reason: String,
    },
    #[error("{} has not been read: call IkePolicy::load_files first", path.display())]
    NotLoaded { path: PathBuf },
}
