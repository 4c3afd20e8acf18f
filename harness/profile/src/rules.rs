//! The rule registry: every rule ID the checker can emit, with its category, default severity and
//! a one-line description (used for SARIF `rules` and `--explain`-style listings).
//!
//! ID scheme (stable; never renumber):
//! - `IKE2-Cnn` — numbered constraint nn of `rules/constraints.md` §2 (C30 is split into SEC-01..03).
//! - `IKE2-Ann` — §3 Apple-internal inconsistency nn (checkable ones; A07 is covered by C32).
//! - `IKE2-Dnn` — §5 Intune-vs-Apple disagreement nn (checkable ones; see `covers` for the rest).
//! - `SCH-nn` — generic schema checks driven by Apple's YAML table.
//! - `XP-nn` — cross-payload checks beyond the numbered constraints.
//! - `SEC-nn` — security lints (on by default, separate category).
//! - `SIG-nn`, `IN-nn` — signed-profile and input notes.

use crate::diag::Severity;
use Severity::{Error as E, Note as N, Warning as W};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Input,
    Signature,
    Schema,
    Constraint,
    AppleInconsistency,
    IntuneDisagreement,
    CrossPayload,
    Security,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Input => "input",
            Category::Signature => "signature",
            Category::Schema => "schema",
            Category::Constraint => "constraint",
            Category::AppleInconsistency => "apple-inconsistency",
            Category::IntuneDisagreement => "intune-disagreement",
            Category::CrossPayload => "cross-payload",
            Category::Security => "security",
        }
    }
}

#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub category: Category,
    /// Default severity; a few rules report some cases at another level (noted in `title`).
    pub severity: Severity,
    pub title: &'static str,
    /// The constraints-doc §2 number this rule implements, if any.
    pub constraint: Option<u8>,
    /// §3/§5 items (`A07`, `D01`, ...) whose finding this rule reports.
    pub covers: &'static [&'static str],
}

macro_rules! r {
    ($id:literal, $cat:ident, $sev:ident, $c:expr, [$($cov:literal),*], $title:literal) => {
        Rule {
            id: $id,
            category: $cat,
            severity: $sev,
            title: $title,
            constraint: $c,
            covers: &[$($cov),*],
        }
    };
}

use Category::{
    AppleInconsistency as Ai, Constraint as Co, CrossPayload as Xp, Input as In,
    IntuneDisagreement as Id, Schema as Sc, Security as Se, Signature as Sg,
};

pub static RULES: &[Rule] = &[
    r!("IN-01", In, N, None, [], "Encrypted profile: the encrypted payloads cannot be checked"),
    r!("IN-02", In, W, None, [], "Key repeated in one dictionary: the later value wins"),
    r!("IN-03", In, N, None, [], "XML plist not in UTF-8 (UTF-16 or a declared single-byte encoding): read after transcoding"),
    r!("SIG-01", Sg, N, None, [], "Signed profile: signer and verification result"),
    r!("SIG-02", Sg, N, None, [], "Signature not verified (unsupported algorithm or missing certificate)"),
    r!("SIG-03", Sg, E, None, [], "Signature invalid: the content was altered after signing"),
    r!("SIG-04", Sg, W, None, [], "Embedded certificate chain does not verify"),
    r!("SIG-05", Sg, W, None, [], "Signed profile armoured as PEM or S/MIME text instead of DER"),
    r!("SCH-01", Sc, W, None, [], "Unknown key: the device ignores it"),
    r!("SCH-02", Sc, E, None, [], "Required key missing"),
    r!("SCH-03", Sc, E, None, [], "Value has the wrong plist type"),
    r!("SCH-04", Sc, W, None, [], "Value has another plist type that the device accepts (NSNumber)"),
    r!("SCH-05", Sc, E, None, [], "Value not in the schema's allowed values"),
    r!("SCH-06", Sc, E, None, [], "Value outside the schema's range"),
    r!("SCH-07", Sc, E, None, [], "String does not match the schema's format"),
    r!("SCH-08", Sc, W, None, [], "Key not available on the target OS version"),
    r!("SCH-09", Sc, W, None, [], "Key removed on the target OS version"),
    r!("SCH-10", Sc, N, None, [], "Key deprecated on the target OS version"),
    r!("SCH-11", Sc, E, None, [], "Payload type not available on the target OS"),
    r!("SCH-12", Sc, N, None, [], "Payload type without a schema: only common keys checked"),
    r!("SCH-13", Sc, E, None, [], "Array has fewer or more items than the schema allows"),
    r!("SCH-14", Sc, E, None, [], "RemoteAddress is not a host name or IP address (URL, port, path; white space: warning)"),
    r!("SCH-15", Sc, W, None, [], "Local/RemoteIdentifier with leading or trailing white space"),
    r!("SCH-16", Sc, N, None, [], "Key newer than the schema snapshot (iOS 26 post-quantum keys): recognised and checked; a bad value is an error"),
    r!("IKE2-C01", Co, E, Some(1), [], "Profile (outer dictionary) keys: PayloadType Configuration, PayloadVersion 1, identifiers and PayloadContent"),
    r!("IKE2-C02", Co, E, Some(2), [], "Every payload needs PayloadIdentifier, PayloadUUID, PayloadType and integer PayloadVersion 1"),
    r!("IKE2-C03", Co, E, Some(3), [], "PayloadUUID and PayloadIdentifier must be unique (outer-vs-payload UUID reuse: warning)"),
    r!("IKE2-C04", Co, E, Some(4), [], "PayloadCertificateUUID must name a certificate payload in the same profile"),
    r!("IKE2-C05", Co, W, Some(5), [], "PayloadCertificateUUID should name an identity (pkcs12/scep/acme), not a bare certificate"),
    r!("IKE2-C06", Co, E, Some(6), [], "VPN payload on watchOS; per-app VPN on watchOS supports only IKEv2"),
    r!("IKE2-C07", Co, E, Some(7), [], "VPNType must be an allowed value; VPN and TransparentProxy require VPNSubType"),
    r!("IKE2-C08", Co, E, Some(8), [], "VPNSubType must be empty when VPNType is IKEv2"),
    r!("IKE2-C09", Co, E, Some(9), [], "VPNType not supported on the target OS"),
    r!("IKE2-C10", Co, E, Some(10), [], "Dictionary for the VPNType missing (error) or dictionaries for other types present (warning)"),
    r!("IKE2-C11", Co, W, Some(11), [], "VendorConfig is read only when VPNSubType has a value"),
    r!("IKE2-C12", Co, E, Some(12), [], "IKEv2 RemoteAddress, RemoteIdentifier, AuthenticationMethod required (LocalIdentifier: warning)"),
    r!("IKE2-C13", Co, E, Some(13), [], "IKEv2 AuthenticationMethod must be None, SharedSecret or Certificate"),
    r!("IKE2-C14", Co, W, Some(14), [], "AuthenticationMethod None without ExtendedAuthEnabled falls back to SharedSecret"),
    r!("IKE2-C15", Co, E, Some(15), [], "Shared-secret authentication needs SharedSecret (unused SharedSecret: warning)"),
    r!("IKE2-C16", Co, E, Some(16), [], "Certificate authentication needs PayloadCertificateUUID"),
    r!("IKE2-C17", Co, W, Some(17), [], "EAP settings: TLS versions only apply to EAP-TLS; EAP without credentials prompts (note)"),
    r!("IKE2-C18", Co, E, Some(18), [], "TLSMinimumVersion must not exceed TLSMaximumVersion; TLS 1.3 is not a value"),
    r!("IKE2-C19", Co, E, Some(19), ["D11"], "CertificateType with EAP requires ServerCertificateIssuerCommonName"),
    r!("IKE2-C20", Co, W, Some(20), [], "CertificateType must match the key of the referenced identity"),
    r!("IKE2-C21", Co, W, Some(21), [], "Without ServerCertificateCommonName the server certificate is matched against RemoteIdentifier"),
    r!("IKE2-C22", Co, W, Some(22), ["A02"], "IKEv2.Password is never used"),
    r!("IKE2-C23", Co, E, Some(23), [], "PPK and PPKIdentifier must be present together"),
    r!("IKE2-C24", Co, W, Some(24), [], "PPKMandatory without a PPK has no effect; PPK with default PPKMandatory 1 needs RFC 8784 (note)"),
    r!("IKE2-C25", Co, E, Some(25), ["D20"], "SA parameters: allowed algorithms, DH groups and lifetime 10..1440"),
    r!("IKE2-C26", Co, N, Some(26), [], "Partial ChildSecurityAssociationParameters: inheritance from the IKE SA is undocumented"),
    r!("IKE2-C27", Co, E, Some(27), ["D03"], "AlwaysOn requires Diffie-Hellman group >= 14 (iOS 14.2+)"),
    r!("IKE2-C28", Co, W, Some(28), [], "IntegrityAlgorithm with an AEAD cipher: ignored for the Child SA, PRF only for the IKE SA (note)"),
    r!("IKE2-C29", Co, N, Some(29), [], "Child SA DiffieHellmanGroup is unused while EnablePFS is 0"),
    r!("IKE2-C31", Co, E, Some(31), ["D01"], "MTU must be 1280..1400 (iOS 14+, macOS 11+)"),
    r!("IKE2-C32", Co, E, Some(32), ["A07"], "NATKeepAliveInterval must be at least 20 seconds"),
    r!("IKE2-C33", Co, W, Some(33), ["D19"], "NAT keepalive keys are described for Always On connections"),
    r!("IKE2-C34", Co, W, Some(34), [], "DisconnectOnIdleTimer is used only when DisconnectOnIdle is 1 (watchOS max 15)"),
    r!("IKE2-C35", Co, N, Some(35), ["D16"], "DeadPeerDetectionRate None: a dead tunnel is not detected"),
    r!("IKE2-C36", Co, W, Some(36), [], "IKEv2 keys introduced in iOS 9 targeted at an older iOS"),
    r!("IKE2-C37", Co, W, Some(37), [], "EnforceRoutes is ignored when IncludeAllNetworks is 1"),
    r!("IKE2-C38", Co, W, Some(38), [], "ExcludeLocalNetworks has effect only with IncludeAllNetworks or EnforceRoutes 1"),
    r!("IKE2-C39", Co, W, Some(39), [], "ExcludeCellularServices/ExcludeAPNs/ExcludeDeviceCommunication need IncludeAllNetworks 1"),
    r!("IKE2-C40", Co, W, Some(40), ["D13"], "IPv4.OverridePrimary applies only to Cisco IPsec and L2TP"),
    r!("IKE2-C41", Co, W, Some(41), [], "EnableFallback requires a server that accepts multiple tunnels per user"),
    r!("IKE2-C42", Co, E, Some(42), [], "OnDemandUserOverrideDisabled needs iOS 14 and is not available on macOS"),
    r!("IKE2-C43", Co, N, Some(43), [], "System-extension providers on macOS need ProviderDesignatedRequirement"),
    r!("IKE2-C44", Co, W, Some(44), [], "Provider keys have no meaning for a built-in IKEv2 VPN"),
    r!("IKE2-C45", Co, N, Some(45), [], "OnDemandRules take effect only when OnDemandEnabled is 1"),
    r!("IKE2-C46", Co, E, Some(46), [], "On-demand rule Action required and allowed (watchOS: only Disconnect)"),
    r!("IKE2-C47", Co, E, Some(47), [], "ActionParameters only with EvaluateConnection; each needs Domains and DomainAction"),
    r!("IKE2-C48", Co, E, Some(48), [], "RequiredDNSServers/RequiredURLStringProbe valid only with DomainAction ConnectIfNeeded"),
    r!("IKE2-C49", Co, E, Some(49), [], "InterfaceTypeMatch values; a match-all rule before other rules shadows them (warning)"),
    r!("IKE2-C50", Co, W, Some(50), [], "OnDemandMatchDomains* deprecated since iOS 7"),
    r!("IKE2-C51", Co, E, Some(51), [], "DNS: DNSProtocol/ServerAddresses presence, ServerURL for HTTPS, ServerName for TLS"),
    r!("IKE2-C52", Co, W, Some(52), [], "DNS.SupplementalMatchDomains ignored for a default-route VPN; empty string = default domain"),
    r!("IKE2-C53", Co, E, Some(53), [], "Proxies: ports required with proxy hosts; PAC URL used only when enabled (warning)"),
    r!("IKE2-C54", Co, E, Some(54), [], "AlwaysOn needs TunnelConfigurations with ProtocolType IKEv2 and valid Interfaces"),
    r!("IKE2-C55", Co, E, Some(55), ["D14"], "AlwaysOn ServiceExceptions/ApplicationExceptions values and OS availability"),
    r!("IKE2-C56", Co, W, Some(56), [], "AllowedCaptiveNetworkPlugins is used only when AllowAllCaptiveNetworkPlugins is 0"),
    r!("IKE2-A01", Ai, W, None, ["A01", "D11"], "CertificateType without ServerCertificateIssuerCommonName (Apple's two texts disagree unless EAP)"),
    r!("IKE2-A02", Ai, E, None, ["A02"], "AuthenticationMethod 'Password' is not an IKEv2 value although IKEv2.Password refers to it"),
    r!("IKE2-A03", Ai, N, None, ["A03", "D06"], "NAT keepalive default: 20 s over Wi-Fi, 110 s over cellular (schema says 20, Intune 110)"),
    r!("IKE2-A04", Ai, N, None, ["A04"], "ExcludeLocalNetworks default differs between iOS (1) and macOS (0)"),
    r!("IKE2-A05", Ai, N, None, ["A05"], "Certificate authentication plus EAP: Apple's texts allow two readings"),
    r!("IKE2-A06", Ai, N, None, ["A06"], "AlwaysOn tunnel configuration validated against the IKEv2 key set"),
    r!("IKE2-A08", Ai, E, None, ["A08"], "PPTP is not a VPNType (only mentioned by the PPP dictionary's text)"),
    r!("IKE2-A09", Ai, N, None, ["A09"], "Proxies *Enable keys are integers although Apple's text says 'true'"),
    r!("IKE2-A10", Ai, W, None, ["A10"], "Boolean where the schema says integer 0/1 (accepted by the device)"),
    r!("IKE2-D07", Id, N, None, ["D07"], "NATKeepAliveInterval above Intune's maximum 1440"),
    r!("IKE2-D08", Id, N, None, ["D08"], "CertificateType RSA-PSS cannot be configured in Intune"),
    r!("IKE2-D09", Id, W, None, ["D09"], "Empty LocalIdentifier (Intune's default) although Apple requires one"),
    r!("IKE2-D10", Id, W, None, ["D10"], "EAP-TLS without TLS version bounds (Intune requires them; Apple's default minimum is 1.0)"),
    r!("IKE2-D12", Id, N, None, ["D12"], "Per-app VPN with IKEv2: Intune does not support it, Apple does"),
    r!("IKE2-D15", Id, E, None, ["D15"], "ServiceExceptions Action 'Force': force-through-VPN means no exception entry"),
    r!("IKE2-D17", Id, W, None, ["D17"], "Positive MOBIKE/Redirect switch: Apple's keys are DisableMOBIKE/DisableRedirect"),
    r!("XP-01", Xp, E, None, [], "Certificate payload content cannot be parsed"),
    r!("XP-02", Xp, N, None, [], "PKCS#12 identity could not be opened (password missing, wrong or unsupported scheme)"),
    r!("XP-03", Xp, W, None, [], "LocalIdentifier does not match the identity certificate's subject or SAN"),
    r!("XP-04", Xp, N, None, [], "ServerCertificateIssuerCommonName matches no CA certificate in the profile"),
    r!("SEC-01", Se, W, Some(30), [], "DES or 3DES encryption (RFC 8247: MUST NOT / SHOULD NOT)"),
    r!("SEC-02", Se, W, Some(30), [], "SHA-1 integrity/PRF (RFC 8247: deprecated for new deployments)"),
    r!("SEC-03", Se, W, Some(30), ["D02"], "Diffie-Hellman group 1, 2 or 5 (RFC 8247: MUST NOT / SHOULD NOT)"),
    r!("SEC-04", Se, W, None, [], "Perfect forward secrecy off (EnablePFS absent or 0)"),
    r!("SEC-05", Se, W, None, [], "Pre-shared key shorter than the minimum length"),
    r!("SEC-06", Se, W, None, [], "Secret stored in clear text in the profile"),
    r!("SEC-07", Se, W, None, [], "AlwaysOn with Diffie-Hellman group < 14"),
    r!("SEC-08", Se, W, None, [], "EAP-TLS allows TLS 1.0/1.1"),
    r!("SEC-09", Se, W, None, [], "Identity key shorter than 2048-bit RSA"),
];

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            if let Some(n) = r.id.strip_prefix("IKE2-C") {
                let n: u8 = n.parse().unwrap();
                assert_eq!(r.constraint, Some(n), "{}", r.id);
            }
        }
    }
}
