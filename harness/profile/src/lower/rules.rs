//! The lowering rules, each with its source. Lowered fields name the rules that produced them
//! (`applied`), and the JSON output carries this table so every value can be traced to a schema
//! line, a document sentence or observed client behaviour. Rules whose basis is
//! [`Basis::Inference`] put their field into the output's `inferred` list.

use serde::Serialize;

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Apple's schema/documentation, Microsoft's Intune documentation, or an RFC says so.
    Documented,
    /// What devices were seen to send (packet captures recorded in interop notes).
    Observed,
    /// Our reading where no source settles it.
    Inference,
}

/// One lowering rule.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LowerRule {
    pub id: &'static str,
    /// Output field(s) the rule decides.
    pub field: &'static str,
    pub rule: &'static str,
    pub source: &'static str,
    pub basis: Basis,
}

const YAML: &str = "apple/device-management mdm/profiles/com.apple.vpn.managed.yaml @ b6202ca2 (harness/profile/schema/apple/com.apple.vpn.managed.yaml)";

macro_rules! rules {
    ($($id:literal, $field:literal, $basis:ident, $rule:literal, $source:expr;)*) => {
        /// Every lowering rule.
        pub const RULES: &[LowerRule] = &[$(LowerRule {
            id: $id,
            field: $field,
            rule: $rule,
            source: $source,
            basis: Basis::$basis,
        }),*];
    };
}

rules! {
    "LW-ENCR", "ike_proposals,esp_proposals", Documented,
        "EncryptionAlgorithm maps to one ENCR transform: DES=2, 3DES=3, AES-128/256=AES_CBC(12) with Key Length 128/256, AES-128/256-GCM=AES_GCM_16(20) with Key Length, ChaCha20Poly1305=28; absent = AES-256",
        concat!("schema IKESecurityAssociationParameters.EncryptionAlgorithm rangelist and `default: AES-256`; ",
            "Apple-to-IANA map §1 (RFC 3602, RFC 4106/5282, RFC 7634)");
    "LW-INTEG", "ike_proposals,esp_proposals", Documented,
        "IntegrityAlgorithm maps to one INTEG transform: SHA1-96=2, SHA1-160=7, SHA2-256=12, SHA2-384=13, SHA2-512=14; absent = SHA2-256",
        "schema IntegrityAlgorithm rangelist and `default: SHA2-256`; Apple-to-IANA map §2 (RFC 4868)";
    "LW-AEAD", "ike_proposals,esp_proposals", Documented,
        "with an AEAD cipher (GCM, ChaCha20-Poly1305) the proposal carries no INTEG transform; IntegrityAlgorithm then only selects the IKE PRF",
        "RFC 5282 §8 and RFC 7296 §3.3 (combined-mode ciphers take no integrity transform); constraint 28";
    "LW-PRF", "ike_proposals", Documented,
        "the IKE PRF follows IntegrityAlgorithm: SHA1-* = PRF_HMAC_SHA1, SHA2-256/384/512 = PRF_HMAC_SHA2_256/384/512",
        "NetworkExtension NEVPNIKEv2SecurityAssociationParameters.integrityAlgorithm: 'The IKE pseudo-random function algorithm will be inferred based on the integrity algorithm'; Apple-to-IANA map §2";
    "LW-DH", "ike_proposals,esp_proposals", Documented,
        "DiffieHellmanGroup is the IANA key exchange method number (identity mapping); absent = 14",
        "schema DiffieHellmanGroup rangelist {1,2,5,14-21,31,32} and `default: 14`; Apple-to-IANA map §3";
    "LW-ONE", "ike_proposals,esp_proposals", Observed,
        "a configuration profile offers exactly one IKE and one ESP proposal (built-in defaults offer five)",
        "strongswan-docs interop/ios.adoc via shared/notes/anchors.md 'A configuration profile sends ONE proposal'";
    "LW-CHILD", "esp_proposals,child_rekey_s", Documented,
        "without ChildSecurityAssociationParameters the IKE SA parameters apply to the CHILD_SA",
        "schema IKESecurityAssociationParameters: 'apply to Child Security Association unless ChildSecurityAssociationParameters is specified'";
    "LW-CHILD-PARTIAL", "esp_proposals,child_rekey_s", Inference,
        "a ChildSecurityAssociationParameters dictionary that omits a key takes that key's schema default, not the IKE dictionary's value",
        "constraint 26: whether a partial Child dictionary inherits from the IKE dictionary is not stated";
    "LW-ESN", "esp_proposals", Observed,
        "every ESP proposal carries the ESN transform NO_ESN (0) only",
        "RFC 7296 §3.3.3 (ESN transform mandatory in ESP); iOS sends NO_EXT_SEQ (anchors.md 'What real clients send')";
    "LW-PFS", "esp_proposals,pfs", Inference,
        "the Child DiffieHellmanGroup is proposed (as PFS group for CREATE_CHILD_SA rekeys) only when EnablePFS is 1; the first CHILD_SA, created in IKE_AUTH, never carries KE",
        "schema EnablePFS (default 0); RFC 7296 §1.2; constraint 29 (exact Apple behaviour not documented); macOS 13.4 child rekeys carry no DH group (anchors.md)";
    "LW-LIFE", "ike_rekey_s,child_rekey_s", Documented,
        "LifeTimeInMinutes × 60 is the local rekey time of the SA (not negotiated); absent = 1440 min",
        "schema LifeTimeInMinutes range 10..1440 `default: 1440`; RFC 7296 §2.8 (lifetimes are local policy)";
    "LW-ID-IP", "local_id,remote_id", Inference,
        "an identifier that is an IPv4/IPv6 literal is sent as ID_IPV4_ADDR / ID_IPV6_ADDR",
        "Intune: 'Enter the network IP address, FQDN, UserFQDN, or ASN1DN of the IKEv2 server'; type chosen by form, as strongSwan does";
    "LW-ID-EMAIL", "local_id,remote_id", Inference,
        "an identifier containing '@' is sent as ID_RFC822_ADDR (UserFQDN)",
        "Intune remote identifier text (UserFQDN); type chosen by form, as strongSwan does";
    "LW-ID-FQDN", "local_id,remote_id", Observed,
        "any other identifier, including a distinguished name such as 'CN=vpn', is sent as ID_FQDN",
        "anchors.md 'DN identities sent as FQDN'; strongSwan wiki AppleIKEv2Profile (comment kept in corpora/profiles/08): 'DNs ... are always sent as identities of type FQDN'";
    "LW-ID-EMPTY", "local_id", Observed,
        "an empty or missing LocalIdentifier sends the device's IP address (ID_IPV4_ADDR/ID_IPV6_ADDR)",
        "strongSwan wiki AppleIKEv2Profile (corpora/profiles/08): 'If it is empty the client's IP address will be used'; schema marks LocalIdentifier required (constraint 12)";
    "LW-AUTH-PSK", "auth", Documented,
        "AuthenticationMethod SharedSecret: the device authenticates with the PSK (AUTH method 2)",
        "schema SharedSecret: 'If AuthenticationMethod is SharedSecret, this value is used for IKE authentication'";
    "LW-AUTH-PSK-REMOTE", "auth", Inference,
        "with a PSK the gateway is expected to authenticate with the same PSK",
        "no Apple text; strongSwan's iOS interop guide configures PSK on both sides";
    "LW-AUTH-NONE", "auth", Documented,
        "AuthenticationMethod None without ExtendedAuthEnabled 1 falls back to SharedSecret",
        "schema AuthenticationMethod: 'If AuthenticationMethod is None and ExtendedAuthEnabled is not set, the authentication configuration defaults to SharedSecret' (constraint 14)";
    "LW-AUTH-CERT", "auth", Documented,
        "AuthenticationMethod Certificate: the device signs with the PayloadCertificateUUID identity; CertificateType (default RSA) selects RSA (method 1/14), ECDSA256/384/521 (methods 9/10/11) or RSA-PSS (method 14)",
        "schema PayloadCertificateUUID 'the system sends this certificate out for IKEv2 machine authentication' and CertificateType `default: RSA`; RFC 4754, RFC 7427";
    "LW-AUTH-SERVER-CERT", "auth", Documented,
        "with Certificate or EAP the gateway authenticates with a certificate checked against ServerCertificateCommonName, else RemoteIdentifier",
        "schema ServerCertificateCommonName (absent: RemoteIdentifier is used, constraint 21); RFC 7296 §2.16 (EAP needs a signature from the responder)";
    "LW-AUTH-EAP", "auth", Documented,
        "AuthenticationMethod None with ExtendedAuthEnabled 1 is EAP-only; username/password EAP is EAP-MSCHAPv2, with PayloadCertificateUUID it is EAP-TLS",
        "schema AuthenticationMethod: 'To enable EAP-only authentication, set this to None and ExtendedAuthEnabled to 1'; PayloadCertificateUUID '...sent out for EAP-TLS'; anchors.md 'password EAP = MSCHAPv2 only'";
    "LW-AUTH-EAP-MIXED", "auth", Inference,
        "SharedSecret or Certificate together with ExtendedAuthEnabled 1: the device authenticates with EAP (EAP-MSCHAPv2, or EAP-TLS with a certificate) and the gateway as for the method",
        "schema ExtendedAuthEnabled 'If 1, enables EAP-only authentication' vs AuthenticationMethod (inconsistency A5)";
    "LW-DPD", "dpd_interval_s", Documented,
        "DeadPeerDetectionRate None/Low/Medium/High = off/1800 s/600 s/60 s; absent = Medium",
        "schema DeadPeerDetectionRate rangelist and `default: Medium`, prose 'Low: 30 minutes, Medium: 10 minutes, High: 1 minute'; Intune the same";
    "LW-NATKA", "nat_keepalive_s", Documented,
        "NATKeepAliveInterval seconds (minimum 20); absent = 20",
        "schema NATKeepAliveInterval `default: 20` ('20 seconds over Wi-Fi and 110 seconds over a cellular interface', inconsistency A3: Wi-Fi assumed)";
    "LW-MTU", "mtu", Documented,
        "MTU is the tunnel interface MTU, 1280..1400; absent = 1280",
        "schema IKEv2.MTU range 1280..1400 `default: 1280` (iOS 14, macOS 11)";
    "LW-MOBIKE", "mobike", Documented,
        "MOBIKE_SUPPORTED is sent in IKE_AUTH unless DisableMOBIKE is 1",
        "schema DisableMOBIKE `default: 0`; iOS IKE_AUTH carries N(MOBIKE_SUPPORTED) (anchors.md)";
    "LW-REDIRECT", "redirect", Documented,
        "REDIRECT_SUPPORTED is sent in IKE_SA_INIT unless DisableRedirect is 1",
        "schema DisableRedirect `default: 0`; iOS IKE_SA_INIT carries N(REDIRECT_SUPPORTED) (anchors.md); RFC 5685";
    "LW-FRAG", "fragmentation", Observed,
        "IKE fragmentation is always announced (IKEV2_FRAGMENTATION_SUPPORTED); no profile key controls it",
        "iOS IKE_SA_INIT: SA KE No N(REDIRECT_SUPPORTED) N(NAT_DETECTION_*) N(IKEV2_FRAGMENTATION_SUPPORTED) (anchors.md); RFC 7383";
    "LW-NOTIFY", "notifies", Observed,
        "IKE_AUTH carries INITIAL_CONTACT, ESP_TFC_PADDING_NOT_SUPPORTED, NON_FIRST_FRAGMENTS_ALSO (and EAP_ONLY_AUTHENTICATION with EAP-only); no SIGNATURE_HASH_ALGORITHMS is sent",
        "iOS IKE_AUTH capture in anchors.md: IDi N(INITIAL_CONTACT) IDr CP N(ESP_TFC_PADDING_NOT_SUPPORTED) N(NON_FIRST_FRAGMENTS_ALSO) SA TSi TSr N(MOBIKE_SUPPORTED) [+ N(EAP_ONLY_AUTHENTICATION)]";
    "LW-CP", "config_request", Observed,
        "CP(CFG_REQUEST) asks for INTERNAL_IP4_ADDRESS, INTERNAL_IP4_NETMASK, INTERNAL_IP4_DHCP, INTERNAL_IP4_DNS, INTERNAL_IP6_ADDRESS, INTERNAL_IP6_DHCP, INTERNAL_IP6_DNS, INTERNAL_DNS_DOMAIN",
        "iOS IKE_AUTH CP(REQUEST: ADDR MASK DHCP DNS ADDR6 DHCP6 DNS6 DOMAIN) (anchors.md)";
    "LW-TS", "traffic_selectors", Inference,
        "the device asks for all traffic: TSi = its (virtual) address, TSr = 0.0.0.0/0 and ::/0",
        "no Apple text on traffic selectors; full-tunnel profiles route everything through the tunnel";
    "LW-PPK", "ppk", Documented,
        "PPK with PPKIdentifier is an RFC 8784 post-quantum preshared key; PPKMandatory (default 1) forbids falling back without it",
        "schema PPK/PPKIdentifier ('If this key is present PPKIdentifier must also be present') and PPKMandatory `default: 1` (iOS 18, macOS 15)";
    "LW-PQ", "ike_proposals,esp_proposals", Documented,
        "PostQuantumKeyExchangeMethods in the IKE/Child SA parameters (36 = ML-KEM-768, 37 = ML-KEM-1024) become ADDKE1..ADDKE7 transforms in list order; the Child list only with EnablePFS 1 (as its DH group, LW-PFS)",
        "Apple NEVPNIKEv2SecurityAssociationParameters.postQuantumKeyExchangeMethods (iOS/macOS 26): 'up to seven key-exchange methods, which correspond to the Additional Key Exchange transform types ADDKE1-ADDKE7 in RFC 9370'; NEVPNIKEv2PostQuantumKeyExchangeMethod 36/37; RFC 9370 section 2.2";
    "LW-INTUNE-GCM", "intune", Documented,
        "Intune: AES-128-GCM or AES-256-GCM selected for the (Child) SA deploys the default AES-256 instead",
        "Intune 'Add VPN settings on iOS and iPadOS devices' (ms.date 03/02/2021): 'If you set the encryption algorithm to AES-128-GCM or AES-256-GCM, then the AES-256 default is used. This is a known issue'";
    "LW-INTUNE-DH", "intune", Documented,
        "Intune: a Diffie-Hellman group left at its default deploys group 2 (MODP-1024), not Apple's 14",
        "Intune 'Add VPN settings on iOS and iPadOS devices': 'Diffie-Hellman group: Select the group you want. Default is group 2.'";
    "LW-INTUNE-MAP", "intune", Documented,
        "Intune settings map to Apple keys as in the Intune-vs-Apple table (MOBIKE/Redirect inverted, user+password = None+EAP, machine+shared secret = SharedSecret)",
        concat!("shared/schema/vpn-ikev2-constraints.md §4 (", "Intune seed 000_8e2281b334b325ae vs ", "Apple schema)");
}

/// The schema file the documented rules cite.
pub const SCHEMA_SOURCE: &str = YAML;

/// A rule by ID.
pub fn rule(id: &str) -> Option<&'static LowerRule> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sourced() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule id");
        for r in RULES {
            assert!(!r.source.is_empty() && !r.rule.is_empty(), "{}", r.id);
        }
        assert!(rule("LW-PRF").is_some());
        assert!(rule("LW-NOPE").is_none());
    }
}
