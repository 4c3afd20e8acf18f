//! Optional protocol features a policy turns on, and what it sends to announce them.

use ikelab_wire::iana::HashAlgorithm;
use serde::{Deserialize, Serialize};

use crate::registry;
use crate::secret::Secret;

/// Feature flags. Defaults: fragmentation, INITIAL_CONTACT and RFC 7427 signature hashes on;
/// MOBIKE, redirect and PPK off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Features {
    /// IKE fragmentation (RFC 7383): send IKEV2_FRAGMENTATION_SUPPORTED.
    pub fragmentation: bool,
    /// Largest IKE datagram before fragmenting (IP and UDP headers included).
    pub fragment_size: u16,
    /// MOBIKE (RFC 4555): send MOBIKE_SUPPORTED in IKE_AUTH.
    pub mobike: bool,
    /// Redirect (RFC 5685): send REDIRECT_SUPPORTED and follow redirects (Apple's
    /// `DisableRedirect` turns this off).
    pub redirect: bool,
    /// Send INITIAL_CONTACT in the first IKE_AUTH (RFC 7296 §2.4).
    pub initial_contact: bool,
    /// Hashes announced in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4); empty: not sent.
    #[serde(with = "registry::list")]
    pub signature_hash_algorithms: Vec<HashAlgorithm>,
    /// Post-quantum preshared key (RFC 8784).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ppk: Option<Ppk>,
    /// Send ESP_TFC_PADDING_NOT_SUPPORTED in IKE_AUTH (RFC 7296 §3.10.1), as iOS does.
    pub esp_tfc_padding_not_supported: bool,
    /// Send NON_FIRST_FRAGMENTS_ALSO in IKE_AUTH (RFC 7296 §3.10.1), as iOS does.
    pub non_first_fragments_also: bool,
    /// Send EAP_ONLY_AUTHENTICATION (RFC 5998) when authenticating with EAP.
    pub eap_only: bool,
    /// Responder: send initiators that announce REDIRECT_SUPPORTED to another gateway (RFC
    /// 5685). Unset: never redirect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_to: Option<RedirectTo>,
    /// Vendor ID payloads (RFC 7296 §3.12) to send in IKE_SA_INIT, as hex strings; empty
    /// sends none. Received Vendor IDs are always ignored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vendor_ids: Vec<crate::VendorId>,
}

/// Where and when a responder redirects (RFC 5685 §3, §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectTo {
    /// The new gateway: an IPv4 or IPv6 address, or a FQDN.
    pub gateway: String,
    /// In which exchange: `ike_sa_init` (before any state, §3) or `ike_auth` (after
    /// authenticating the initiator, §6).
    #[serde(default)]
    pub during: RedirectPhase,
}

/// The exchange a responder redirects in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectPhase {
    #[default]
    IkeSaInit,
    IkeAuth,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            fragmentation: true,
            fragment_size: 1280,
            mobike: false,
            redirect: false,
            initial_contact: true,
            // IDENTITY (RFC 8420): we verify Ed25519 signatures, and a peer signs with
            // Ed25519 only when the other side announced it.
            signature_hash_algorithms: vec![
                HashAlgorithm::SHA2_256,
                HashAlgorithm::SHA2_384,
                HashAlgorithm::SHA2_512,
                HashAlgorithm::IDENTITY,
            ],
            ppk: None,
            esp_tfc_padding_not_supported: false,
            non_first_fragments_also: false,
            eap_only: false,
            redirect_to: None,
            vendor_ids: Vec::new(),
        }
    }
}

/// A post-quantum preshared key (RFC 8784; Apple's `PPK`, `PPKIdentifier`, `PPKMandatory`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ppk {
    /// PPK_ID, sent as PPK_ID_FIXED (type 2: a fixed PPK_ID → PPK mapping, the only type
    /// strongSwan and libreswan accept); a responder also accepts it as PPK_ID_OPAQUE (type 1).
    pub id: String,
    pub secret: Secret,
    /// Fail rather than fall back to an SA without the PPK.
    #[serde(default)]
    pub mandatory: bool,
}
