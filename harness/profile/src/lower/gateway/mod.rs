//! Gateways a lowered profile is compared with: a strongSwan `swanctl.conf` connection, Azure
//! P2S (`VpnSettings.xml` plus Azure's documented IKEv2 policy table), or an ikelab responder
//! policy (TOML). Each becomes a [`Gateway`]: what it accepts and how it authenticates, and —
//! where the file carries enough — an ikelab responder [`IkePolicy`] for `profile connect`.

pub mod azure;
pub mod policy;
pub mod swanctl;

use ikelab_policy::{ChildProposal, Identity, IdentityMatch, IkePolicy, IkeProposal};

/// How the gateway proves itself to the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayAuth {
    Psk,
    Pubkey,
}

/// How the gateway checks the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    Psk,
    Pubkey,
    EapMschapv2,
    EapTls,
    /// EAP with the method left to negotiation (`eap` / `eap-dynamic`, RADIUS).
    EapAny,
}

impl ClientAuth {
    pub fn label(self) -> &'static str {
        match self {
            Self::Psk => "psk",
            Self::Pubkey => "pubkey",
            Self::EapMschapv2 => "eap-mschapv2",
            Self::EapTls => "eap-tls",
            Self::EapAny => "eap",
        }
    }
}

impl GatewayAuth {
    pub fn label(self) -> &'static str {
        match self {
            Self::Psk => "psk",
            Self::Pubkey => "pubkey",
        }
    }
}

/// A gateway as far as compatibility goes.
#[derive(Debug, Clone)]
pub struct Gateway {
    /// `swanctl`, `azure-p2s`, `ikelab-policy`.
    pub kind: &'static str,
    pub name: String,
    pub address: Option<String>,
    /// Accepted IKE proposals (in the gateway's order).
    pub ike_proposals: Vec<IkeProposal>,
    /// Accepted ESP proposals; their KE transforms only matter for CREATE_CHILD_SA rekeys.
    pub esp_proposals: Vec<ChildProposal>,
    /// The identity the gateway sends as IDr (`None`: its address or certificate subject).
    pub id: Option<Identity>,
    /// Client identities it accepts.
    pub accepts: IdentityMatch,
    pub auth: GatewayAuth,
    pub client_auth: ClientAuth,
    /// Assumptions made while reading the file (defaults, documented tables).
    pub notes: Vec<String>,
    /// A responder policy for the simulated gateway, when the file has what it needs.
    pub policy: Option<IkePolicy>,
    /// Why there is no responder policy.
    pub policy_note: Option<String>,
}

/// Why a gateway file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct GatewayError {
    pub file: String,
    /// 1-based; 0 when the problem is not on one line.
    pub line: usize,
    pub reason: String,
}

/// Reads a gateway file, choosing the parser by content: XML with `<VpnProfile>` or
/// `<VpnServer>` is Azure, TOML with `ike_proposals`/`[local]` is an ikelab policy,
/// anything with `connections {` is swanctl.conf.
pub fn parse(file: &str, text: &str) -> Result<Gateway, GatewayError> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('<') {
        return azure::parse(file, text);
    }
    if text.contains("connections") && text.contains('{') {
        return swanctl::parse(file, text);
    }
    policy::parse(file, text)
}
