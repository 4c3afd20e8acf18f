//! Client presets: the proposals, notifies and configuration requests a real client sends,
//! so the reference initiator can stand in for it.
//!
//! `ios` reproduces what an iPhone sends (strongSwan's iOS interop notes, iOS 16.5):
//!
//! ```text
//! IKE_SA_INIT  SA KE Ni N(REDIRECT_SUPPORTED) N(NAT_DETECTION_SOURCE_IP)
//!              N(NAT_DETECTION_DESTINATION_IP) N(IKEV2_FRAGMENTATION_SUPPORTED)
//! IKE_AUTH     IDi N(INITIAL_CONTACT) IDr [AUTH] CP(REQUEST: ADDR MASK DHCP DNS ADDR6 DHCP6
//!              DNS6 DOMAIN) N(ESP_TFC_PADDING_NOT_SUPPORTED) N(NON_FIRST_FRAGMENTS_ALSO)
//!              SA TSi TSr N(MOBIKE_SUPPORTED) [N(EAP_ONLY_AUTHENTICATION)]
//! ```
//!
//! AUTH is there with a PSK or certificate and absent with EAP, where EAP_ONLY_AUTHENTICATION
//! ends the message instead. The payload order is the engine's own; the preset only turns on
//! the features and the CP attributes (in this order), and turns off what iOS does not send
//! (SIGNATURE_HASH_ALGORITHMS).
//!
//! A policy file selects a preset with `preset = "ios"` (or `"ios_default"`): the preset's
//! values become the defaults, and every key in the file overrides them (`[features]` key by
//! key; a `[[children]]` entry without `proposals` gets the preset's ESP proposals).

use ikelab_wire::iana::CpAttributeType;
use serde::Deserialize;

use crate::{ChildProposal, Features, IkePolicy, IkeProposal, Local, PolicyError, Remote};

/// The CP(CFG_REQUEST) attributes of iOS, in its order.
pub const IOS_CONFIG_REQUEST: [CpAttributeType; 8] = [
    CpAttributeType::INTERNAL_IP4_ADDRESS,
    CpAttributeType::INTERNAL_IP4_NETMASK,
    CpAttributeType::INTERNAL_IP4_DHCP,
    CpAttributeType::INTERNAL_IP4_DNS,
    CpAttributeType::INTERNAL_IP6_ADDRESS,
    CpAttributeType::INTERNAL_IP6_DHCP,
    CpAttributeType::INTERNAL_IP6_DNS,
    CpAttributeType::INTERNAL_DNS_DOMAIN,
];

/// Which proposals an iOS client offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IosProposals {
    /// Installed from a configuration profile: ONE IKE and ONE ESP proposal, the profile's
    /// defaults (AES-256, SHA2-256, Diffie-Hellman group 14).
    Profile,
    /// VPN settings typed in on the device (no profile): iOS 16.5's five IKE proposals and
    /// five ESP proposals.
    Default,
}

impl IosProposals {
    fn ike(self) -> &'static [&'static str] {
        match self {
            Self::Profile => &["aes256-sha256-prfsha256-modp2048"],
            Self::Default => &[
                "aes256-sha256-prfsha256-modp2048",
                "aes256-sha256-prfsha256-ecp256",
                "aes256-sha256-prfsha256-modp1536",
                "aes128-sha1-prfsha1-modp1024",
                "3des-sha1-prfsha1-modp1024",
            ],
        }
    }

    fn esp(self) -> &'static [&'static str] {
        match self {
            Self::Profile => &["aes256-sha256-noesn"],
            // Three identical AES-256 proposals: that is what iOS sends.
            Self::Default => &[
                "aes256-sha256-noesn",
                "aes256-sha256-noesn",
                "aes256-sha256-noesn",
                "aes128-sha1-noesn",
                "3des-sha1-noesn",
            ],
        }
    }

    /// The IKE proposals, in iOS's order.
    pub fn ike_proposals(self) -> Vec<IkeProposal> {
        self.ike()
            .iter()
            .filter_map(|s| IkeProposal::parse(s).ok())
            .collect()
    }

    /// The ESP proposals of the IKE_AUTH CHILD_SA, in iOS's order.
    pub fn esp_proposals(self) -> Vec<ChildProposal> {
        self.esp()
            .iter()
            .filter_map(|s| ChildProposal::parse(s).ok())
            .collect()
    }
}

/// The notifies iOS announces: redirect, fragmentation, MOBIKE, INITIAL_CONTACT,
/// ESP_TFC_PADDING_NOT_SUPPORTED, NON_FIRST_FRAGMENTS_ALSO, EAP_ONLY (with EAP); no
/// SIGNATURE_HASH_ALGORITHMS.
pub fn ios_features() -> Features {
    Features {
        fragmentation: true,
        mobike: true,
        redirect: true,
        initial_contact: true,
        signature_hash_algorithms: Vec::new(),
        esp_tfc_padding_not_supported: true,
        non_first_fragments_also: true,
        eap_only: true,
        ..Features::default()
    }
}

impl IkePolicy {
    /// An initiator that sends what an iPhone sends (module docs), with these sides.
    pub fn ios_client(local: Local, remote: Remote, proposals: IosProposals) -> Self {
        let mut p = Self::new(local, remote);
        p.name = "ios".into();
        p.ike_proposals = proposals.ike_proposals();
        for c in &mut p.children {
            c.proposals = proposals.esp_proposals();
        }
        p.features = ios_features();
        p.config_request = IOS_CONFIG_REQUEST.to_vec();
        p
    }
}

/// A preset a policy file can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// iOS with a configuration profile ([`IosProposals::Profile`]).
    Ios,
    /// iOS without a profile ([`IosProposals::Default`]).
    IosDefault,
}

impl Preset {
    fn defaults(self) -> Result<toml::Table, toml::ser::Error> {
        let proposals = match self {
            Self::Ios => IosProposals::Profile,
            Self::IosDefault => IosProposals::Default,
        };
        let mut t = toml::Table::new();
        t.insert("name".into(), "ios".into());
        t.insert(
            "ike_proposals".into(),
            toml::Value::try_from(proposals.ike_proposals())?,
        );
        t.insert("features".into(), toml::Value::try_from(ios_features())?);
        t.insert(
            "config_request".into(),
            toml::Value::Array(
                IOS_CONFIG_REQUEST
                    .iter()
                    .filter_map(|a| a.name())
                    .map(toml::Value::from)
                    .collect(),
            ),
        );
        let mut child = toml::Table::new();
        child.insert(
            "proposals".into(),
            toml::Value::try_from(proposals.esp_proposals())?,
        );
        t.insert(
            "children".into(),
            toml::Value::Array(vec![toml::Value::Table(child)]),
        );
        Ok(t)
    }
}

/// Parses a policy file that may name a preset. Without `preset`, plain serde (keeping toml's
/// spanned errors); with one, the file's keys are laid over the preset's.
pub(crate) fn parse(origin: &str, text: &str) -> Result<IkePolicy, PolicyError> {
    let err = |message: String| PolicyError::Toml {
        origin: origin.to_owned(),
        message,
    };
    let mut file: toml::Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let Some(name) = file.remove("preset") else {
        return toml::from_str(text).map_err(|e| err(e.to_string()));
    };
    let preset = Preset::deserialize(name).map_err(|e| err(format!("preset: {e}")))?;
    let mut merged = preset
        .defaults()
        .map_err(|e| err(format!("preset {preset:?}: {e}")))?;
    let preset_child = match merged.get("children") {
        Some(toml::Value::Array(a)) => a.first().cloned(),
        _ => None,
    };
    for (key, value) in file {
        match (key.as_str(), value) {
            ("features", toml::Value::Table(ours)) => {
                if let Some(toml::Value::Table(f)) = merged.get_mut("features") {
                    f.extend(ours);
                }
            }
            ("children", toml::Value::Array(children)) => {
                let children = children
                    .into_iter()
                    .map(|c| match (c, &preset_child) {
                        (toml::Value::Table(mut c), Some(toml::Value::Table(d))) => {
                            for (k, v) in d {
                                c.entry(k.clone()).or_insert_with(|| v.clone());
                            }
                            toml::Value::Table(c)
                        }
                        (c, _) => c,
                    })
                    .collect();
                merged.insert(key, toml::Value::Array(children));
            }
            (_, value) => {
                merged.insert(key, value);
            }
        }
    }
    toml::Value::Table(merged)
        .try_into()
        .map_err(|e: toml::de::Error| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposals_parse_completely() {
        assert_eq!(IosProposals::Profile.ike_proposals().len(), 1);
        assert_eq!(IosProposals::Profile.esp_proposals().len(), 1);
        assert_eq!(IosProposals::Default.ike_proposals().len(), 5);
        assert_eq!(IosProposals::Default.esp_proposals().len(), 5);
    }

    #[test]
    fn preset_defaults_serialize() {
        for p in [Preset::Ios, Preset::IosDefault] {
            assert!(p.defaults().is_ok());
        }
    }
}
