//! Which rule reports a generic schema finding. Where a numbered constraint (or an Apple/Intune
//! item) is exactly a schema fact — the SA-parameter rangelists are C25, the MTU range is C31 —
//! the finding carries that constraint's ID, so the doc's numbering stays visible and nothing is
//! reported twice.

use plist::Value;

use crate::diag::Severity;
use crate::schema::{COMMON, TOP_LEVEL, VPN, VPN_APPLAYER};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Unknown,
    Missing,
    Type,
    Lenient,
    Value,
    Range,
    Format,
    OsUnavailable,
    OsRemoved,
    OsDeprecated,
    Repetition,
}

impl Kind {
    pub fn default_rule(self) -> &'static str {
        match self {
            Kind::Unknown => "SCH-01",
            Kind::Missing => "SCH-02",
            Kind::Type => "SCH-03",
            Kind::Lenient => "SCH-04",
            Kind::Value => "SCH-05",
            Kind::Range => "SCH-06",
            Kind::Format => "SCH-07",
            Kind::OsUnavailable => "SCH-08",
            Kind::OsRemoved => "SCH-09",
            Kind::OsDeprecated => "SCH-10",
            Kind::Repetition => "SCH-13",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Report under the generic SCH rule.
    Default,
    /// Report under this rule (and severity, when it differs from the rule's default).
    Rule(&'static str, Option<Severity>),
    /// A semantic rule reports this case itself.
    Suppress,
}

const COMMON_KEYS: &[&str] = &[
    "PayloadIdentifier",
    "PayloadUUID",
    "PayloadType",
    "PayloadVersion",
    "PayloadDescription",
    "PayloadDisplayName",
    "PayloadOrganization",
];

/// Keys with iOS `introduced: 9.0` in the IKEv2 dictionary (constraint 36).
const IOS9_KEYS: &[&str] = &[
    "UseConfigurationAttributeInternalIPSubnet",
    "DisableMOBIKE",
    "DisableRedirect",
    "NATKeepAliveOffloadEnable",
    "NATKeepAliveInterval",
    "EnablePFS",
    "EnableCertificateRevocationCheck",
];

/// The part of `spath` inside an IKEv2 key set (`IKEv2` dict or an AlwaysOn tunnel configuration).
pub fn ike_rel(spath: &str) -> Option<&str> {
    spath
        .strip_prefix("IKEv2.")
        .or_else(|| spath.strip_prefix("AlwaysOn.TunnelConfigurations[]."))
}

fn last(spath: &str) -> &str {
    spath.rsplit('.').next().unwrap_or(spath)
}

pub fn owner(kind: Kind, payload_type: &str, spath: &str, value: Option<&Value>) -> Owner {
    use Kind as K;
    if payload_type == TOP_LEVEL {
        return match kind {
            K::Missing | K::Type | K::Lenient | K::Value => Owner::Rule("IKE2-C01", None),
            _ => Owner::Default,
        };
    }
    if COMMON_KEYS.contains(&spath) && payload_type != COMMON {
        return match kind {
            K::Missing | K::Type | K::Value => Owner::Rule("IKE2-C02", None),
            K::Lenient => Owner::Rule("IKE2-C02", Some(Severity::Warning)),
            _ => Owner::Default,
        };
    }
    if payload_type != VPN && payload_type != VPN_APPLAYER {
        return Owner::Default;
    }
    let str_val = value.and_then(Value::as_string);
    let key = last(spath);
    if kind == K::Lenient && matches!(value, Some(Value::Boolean(_))) {
        if spath.starts_with("Proxies.") && key.ends_with("Enable") {
            return Owner::Rule("IKE2-A09", None);
        }
        return Owner::Rule("IKE2-A10", None);
    }
    if spath == "VPNType" {
        return match (kind, str_val) {
            (K::Value, Some("PPTP" | "PTPP")) => Owner::Rule("IKE2-A08", None),
            (K::Value | K::Missing, _) => Owner::Rule("IKE2-C07", None),
            _ => Owner::Default,
        };
    }
    if let Some(rel) = ike_rel(spath) {
        match (kind, rel) {
            (K::Missing, "LocalIdentifier") => {
                return Owner::Rule("IKE2-C12", Some(Severity::Warning))
            }
            (K::Missing, "RemoteAddress" | "RemoteIdentifier" | "AuthenticationMethod") => {
                return Owner::Rule("IKE2-C12", None)
            }
            (K::Value, "AuthenticationMethod") => {
                return if str_val == Some("Password") {
                    Owner::Rule("IKE2-A02", None)
                } else {
                    Owner::Rule("IKE2-C13", None)
                }
            }
            (K::Value | K::Range | K::Type, r) if r.contains("SecurityAssociationParameters.") => {
                return Owner::Rule("IKE2-C25", None)
            }
            (K::Range | K::OsUnavailable, "MTU") => return Owner::Rule("IKE2-C31", None),
            (K::OsUnavailable, r) if IOS9_KEYS.contains(&r) => {
                return Owner::Rule("IKE2-C36", None)
            }
            (K::OsUnavailable, "OnDemandUserOverrideDisabled") => {
                return Owner::Rule("IKE2-C42", None)
            }
            (K::Value, "TLSMinimumVersion" | "TLSMaximumVersion") => {
                return Owner::Rule("IKE2-C18", None)
            }
            _ => {}
        }
    }
    if spath.ends_with("OnDemandRules[].Action") && matches!(kind, K::Missing | K::Value) {
        return Owner::Rule("IKE2-C46", None);
    }
    if (spath.ends_with("ActionParameters[].Domains")
        || spath.ends_with("ActionParameters[].DomainAction"))
        && matches!(kind, K::Missing | K::Value)
    {
        return Owner::Rule("IKE2-C47", None);
    }
    if spath.ends_with("OnDemandRules[].InterfaceTypeMatch") && kind == K::Value {
        return Owner::Rule("IKE2-C49", None);
    }
    match (kind, spath) {
        (K::Missing, "DNS.DNSProtocol" | "DNS.ServerAddresses") => Owner::Suppress,
        (K::Value, "DNS.DNSProtocol") => Owner::Rule("IKE2-C51", None),
        (K::Missing, "AlwaysOn.TunnelConfigurations")
        | (K::Missing | K::Value, "AlwaysOn.TunnelConfigurations[].ProtocolType")
        | (K::Value, "AlwaysOn.TunnelConfigurations[].Interfaces[]") => {
            Owner::Rule("IKE2-C54", None)
        }
        (K::Value, "AlwaysOn.ServiceExceptions[].Action")
            if str_val.is_some_and(|s| s.to_ascii_lowercase().starts_with("force")) =>
        {
            Owner::Rule("IKE2-D15", None)
        }
        (K::Missing | K::Value, "AlwaysOn.ServiceExceptions[].ServiceName")
        | (K::Missing | K::Value, "AlwaysOn.ServiceExceptions[].Action")
        | (K::Value, "AlwaysOn.ApplicationExceptions[].LimitToProtocols[]")
        | (K::OsUnavailable, "AlwaysOn.ApplicationExceptions") => Owner::Rule("IKE2-C55", None),
        _ => Owner::Default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sa_params_belong_to_c25() {
        assert_eq!(
            owner(
                Kind::Value,
                VPN,
                "IKEv2.IKESecurityAssociationParameters.DiffieHellmanGroup",
                None
            ),
            Owner::Rule("IKE2-C25", None)
        );
        assert_eq!(
            owner(
                Kind::Range,
                VPN,
                "AlwaysOn.TunnelConfigurations[].ChildSecurityAssociationParameters.LifeTimeInMinutes",
                None
            ),
            Owner::Rule("IKE2-C25", None)
        );
    }

    #[test]
    fn booleans_for_integers() {
        let t = Value::Boolean(true);
        assert_eq!(
            owner(Kind::Lenient, VPN, "IKEv2.EnablePFS", Some(&t)),
            Owner::Rule("IKE2-A10", None)
        );
        assert_eq!(
            owner(Kind::Lenient, VPN, "Proxies.HTTPSEnable", Some(&t)),
            Owner::Rule("IKE2-A09", None)
        );
        assert_eq!(
            owner(Kind::Lenient, "com.apple.security.scep", "X", Some(&t)),
            Owner::Default
        );
    }
}
