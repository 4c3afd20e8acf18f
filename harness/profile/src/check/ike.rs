//! Rules inside one IKEv2 key set: the `IKEv2` dictionary of an IKEv2 (or per-app IKEv2) payload,
//! or one AlwaysOn tunnel configuration (constraints 12–33 and the matching §3/§5 items).

use plist::Dictionary;

use super::ctx::Ctx;
use super::value::{dict, flag, int, nonempty, string};
use crate::diag::Severity;
use crate::read::xmlpos::join;
use crate::schema::{Os, Ver};

/// An IKEv2 key set in force.
pub(crate) struct IkeDict<'a> {
    pub path: String,
    pub dict: &'a Dictionary,
    /// An AlwaysOn tunnel configuration (rather than the `IKEv2` dictionary).
    pub always_on: bool,
}

impl<'a> IkeDict<'a> {
    pub fn at(&self, k: &str) -> String {
        join(&self.path, k)
    }

    pub fn eap(&self) -> bool {
        flag(self.dict, "ExtendedAuthEnabled") == Some(true)
    }

    pub fn method(&self) -> Option<&'a str> {
        string(self.dict, "AuthenticationMethod")
    }

    pub fn cert_uuid(&self) -> Option<&'a str> {
        nonempty(self.dict, "PayloadCertificateUUID")
    }

    /// Shared-secret authentication in effect (explicit, or None without EAP: constraint 14).
    pub fn psk_auth(&self) -> bool {
        match self.method() {
            Some("SharedSecret") => true,
            Some("None") => !self.eap(),
            _ => false,
        }
    }

    /// The server authenticates with a certificate (everything but PSK).
    pub fn server_cert_auth(&self) -> bool {
        matches!(self.method(), Some("Certificate"))
            || (self.method() == Some("None") && self.eap())
    }

    /// EAP-TLS: EAP with a client certificate.
    pub fn eap_tls(&self) -> bool {
        self.eap() && self.cert_uuid().is_some()
    }

    /// The IKE and Child SA parameter dictionaries, with their paths.
    pub fn sa_dicts(&self) -> Vec<(String, &'a Dictionary, bool)> {
        let mut out = Vec::new();
        for (k, child) in [
            ("IKESecurityAssociationParameters", false),
            ("ChildSecurityAssociationParameters", true),
        ] {
            if let Some(d) = dict(self.dict, k) {
                out.push((self.at(k), d, child));
            }
        }
        out
    }
}

pub fn is_aead(enc: &str) -> bool {
    matches!(enc, "AES-128-GCM" | "AES-256-GCM" | "ChaCha20Poly1305")
}

fn tls_rank(v: &str) -> Option<u8> {
    match v {
        "1.0" => Some(0),
        "1.1" => Some(1),
        "1.2" => Some(2),
        _ => None,
    }
}

pub(crate) fn rules(ctx: &mut Ctx, ike: &IkeDict, ios_always_on_dh_rule: bool) {
    let d = ike.dict;
    // C12 / D09: present but empty identifiers and addresses.
    for k in ["RemoteAddress", "RemoteIdentifier"] {
        if string(d, k).is_some_and(|s| s.trim().is_empty()) {
            ctx.emit(
                "IKE2-C12",
                &ike.at(k),
                format!(
                    "`{k}` is empty: the device has no server to {}",
                    if k == "RemoteAddress" {
                        "connect to"
                    } else {
                        "authenticate (IKE_AUTH fails)"
                    }
                ),
                format!(
                    "set `{k}` to the server's {}",
                    if k == "RemoteAddress" {
                        "host name or IP address"
                    } else {
                        "IKE identity (FQDN, IP address or user FQDN)"
                    }
                ),
            );
        }
    }
    if string(d, "LocalIdentifier").is_some_and(|s| s.trim().is_empty()) {
        ctx.emit(
            "IKE2-D09",
            &ike.at("LocalIdentifier"),
            "`LocalIdentifier` is empty (Intune's default), though Apple marks it required: the device then identifies itself by its IP address, which servers that check IDi reject".into(),
            "set the client identity (user FQDN, FQDN or the certificate's subject/SAN)".into(),
        );
    }
    // C14 / C15: shared-secret authentication.
    if ike.method() == Some("None") && !ike.eap() {
        ctx.emit(
            "IKE2-C14",
            &ike.at("AuthenticationMethod"),
            "AuthenticationMethod is None but ExtendedAuthEnabled is not 1: the device falls back to SharedSecret authentication".into(),
            "set ExtendedAuthEnabled to 1 for EAP-only authentication, or AuthenticationMethod to SharedSecret".into(),
        );
    }
    let has_psk = nonempty(d, "SharedSecret").is_some();
    // A SharedSecret of another plist type (`<data>`, as in the IPSec dictionary) is reported
    // by the type check (SCH-03); it is not "missing".
    let psk_other_type = d
        .get("SharedSecret")
        .is_some_and(|v| v.as_string().is_none());
    if ike.psk_auth() && !has_psk && !psk_other_type {
        ctx.emit(
            "IKE2-C15",
            &ike.at("SharedSecret"),
            "shared-secret authentication without a SharedSecret: the device cannot compute its AUTH payload and the connection fails".into(),
            "add SharedSecret (or switch AuthenticationMethod to Certificate or EAP)".into(),
        );
    } else if has_psk && !ike.psk_auth() {
        ctx.emit_at(
            "IKE2-C15",
            Severity::Warning,
            &ike.at("SharedSecret"),
            format!(
                "SharedSecret is set but authentication is {}: the device does not use it",
                if ike.eap() { "EAP" } else { "by certificate" }
            ),
            "remove SharedSecret: an unused secret still travels with the profile".into(),
        );
    }
    // C16: certificate authentication needs the identity.
    if ike.method() == Some("Certificate") && ike.cert_uuid().is_none() {
        ctx.emit(
            "IKE2-C16",
            &ike.at("PayloadCertificateUUID"),
            "AuthenticationMethod is Certificate but PayloadCertificateUUID is missing: the device has no identity to authenticate with".into(),
            "add a PKCS#12/SCEP/ACME payload and reference its PayloadUUID".into(),
        );
    }
    // A05: certificate + EAP.
    if ike.method() == Some("Certificate") && ike.eap() && ike.cert_uuid().is_some() {
        ctx.emit(
            "IKE2-A05",
            &ike.at("ExtendedAuthEnabled"),
            "Certificate authentication with ExtendedAuthEnabled 1: Apple describes the certificate both as the IKE machine credential and as the EAP-TLS credential, and ExtendedAuthEnabled as \"EAP-only\"; which one the device does is not documented".into(),
            "for EAP-TLS use AuthenticationMethod None + ExtendedAuthEnabled 1; for certificate authentication leave ExtendedAuthEnabled 0".into(),
        );
    }
    // C17: EAP details.
    let tls_keys: Vec<&str> = ["TLSMinimumVersion", "TLSMaximumVersion"]
        .into_iter()
        .filter(|k| d.contains_key(k))
        .collect();
    if !tls_keys.is_empty() && !ike.eap_tls() {
        ctx.emit(
            "IKE2-C17",
            &ike.at(tls_keys[0]),
            format!("{} only applies to EAP-TLS (ExtendedAuthEnabled 1 with PayloadCertificateUUID): the device ignores it here", tls_keys.join(" and ")),
            "remove the TLS version keys or configure EAP-TLS".into(),
        );
    }
    if ike.eap() && ike.cert_uuid().is_none() && nonempty(d, "AuthName").is_none() {
        ctx.emit_at(
            "IKE2-C17",
            Severity::Note,
            &ike.at("ExtendedAuthEnabled"),
            "EAP without a client certificate and without AuthName: the device prompts the user for a user name and password when connecting".into(),
            "add AuthName (and AuthPassword, or let the user enter it) to avoid the prompt".into(),
        );
    }
    // C18: TLS version order.
    if let (Some(lo), Some(hi)) = (
        string(d, "TLSMinimumVersion").and_then(tls_rank),
        string(d, "TLSMaximumVersion").and_then(tls_rank),
    ) {
        if lo > hi {
            ctx.emit(
                "IKE2-C18",
                &ike.at("TLSMinimumVersion"),
                "TLSMinimumVersion is above TLSMaximumVersion: no TLS version is allowed and EAP-TLS cannot complete".into(),
                "use TLSMinimumVersion 1.2 and TLSMaximumVersion 1.2".into(),
            );
        }
    }
    // D10 / SEC-08: TLS versions with EAP-TLS.
    if ike.eap_tls() {
        match string(d, "TLSMinimumVersion") {
            None => ctx.emit(
                "IKE2-D10",
                &ike.at("ExtendedAuthEnabled"),
                "EAP-TLS without TLSMinimumVersion: the device allows TLS 1.0 (Apple's default); Intune requires the versions to be set for this case".into(),
                "set TLSMinimumVersion and TLSMaximumVersion to 1.2".into(),
            ),
            Some(v @ ("1.0" | "1.1")) => ctx.emit(
                "SEC-08",
                &ike.at("TLSMinimumVersion"),
                format!("TLSMinimumVersion {v}: EAP-TLS may run over a deprecated TLS version (RFC 8996)"),
                "set TLSMinimumVersion to 1.2".into(),
            ),
            Some(_) => {}
        }
    }
    // C19 / A01: issuer CN with CertificateType.
    if d.contains_key("CertificateType")
        && nonempty(d, "ServerCertificateIssuerCommonName").is_none()
    {
        if ike.eap() {
            ctx.emit(
                "IKE2-C19",
                &ike.at("CertificateType"),
                "CertificateType is set with EAP but ServerCertificateIssuerCommonName is missing: Apple requires it in this case and the device cannot request the server certificate".into(),
                "add ServerCertificateIssuerCommonName (the CN of the CA that issued the server certificate)".into(),
            );
        } else {
            ctx.emit(
                "IKE2-A01",
                &ike.at("CertificateType"),
                "CertificateType is set without ServerCertificateIssuerCommonName: CertificateType's text says the issuer CN is then required, ServerCertificateIssuerCommonName's text says only with EAP; without it the device sends no CERTREQ".into(),
                "add ServerCertificateIssuerCommonName to satisfy both readings".into(),
            );
        }
    }
    if string(d, "CertificateType") == Some("RSA-PSS") {
        ctx.emit(
            "IKE2-D08",
            &ike.at("CertificateType"),
            "CertificateType RSA-PSS is Apple-only: Intune offers RSA and ECDSA256/384/521, so an Intune-managed copy of this profile cannot express it".into(),
            "keep in mind when moving the profile to Intune".into(),
        );
    }
    // C21: server identity.
    if ike.server_cert_auth() && nonempty(d, "ServerCertificateCommonName").is_none() {
        if let Some(rid) = nonempty(d, "RemoteIdentifier").filter(|r| r.contains('=')) {
            ctx.emit(
                "IKE2-C21",
                &ike.at("RemoteIdentifier"),
                format!("RemoteIdentifier '{rid}' looks like a distinguished name and ServerCertificateCommonName is unset: the device validates the server certificate against RemoteIdentifier and sends it as an FQDN identity, which cannot match"),
                "set RemoteIdentifier to a name in the server certificate's SAN, or set ServerCertificateCommonName".into(),
            );
        }
    }
    // C22: IKEv2.Password.
    if nonempty(d, "Password").is_some() {
        ctx.emit(
            "IKE2-C22",
            &ike.at("Password"),
            "IKEv2.Password is only used with AuthenticationMethod 'Password', which IKEv2 does not allow: the device never uses it".into(),
            "for EAP use AuthPassword; remove Password".into(),
        );
    }
    // C23 / C24: PPK.
    let (ppk, ppk_id) = (d.contains_key("PPK"), d.contains_key("PPKIdentifier"));
    if ppk != ppk_id {
        let (has, lacks) = if ppk {
            ("PPK", "PPKIdentifier")
        } else {
            ("PPKIdentifier", "PPK")
        };
        ctx.emit(
            "IKE2-C23",
            &ike.at(has),
            format!("{has} without {lacks}: Apple requires both; the device cannot use the post-quantum key"),
            format!("add {lacks}"),
        );
    }
    if d.contains_key("PPKMandatory") && !(ppk && ppk_id) {
        ctx.emit(
            "IKE2-C24",
            &ike.at("PPKMandatory"),
            "PPKMandatory has no effect without PPK and PPKIdentifier".into(),
            "remove PPKMandatory or add the PPK".into(),
        );
    } else if ppk && ppk_id && !d.contains_key("PPKMandatory") {
        ctx.emit_at(
            "IKE2-C24",
            Severity::Note,
            &ike.at("PPK"),
            "PPK without PPKMandatory: the default 1 makes the tunnel fail against servers without RFC 8784 support".into(),
            "set PPKMandatory 0 to allow fallback, or 1 explicitly".into(),
        );
    }
    sa_rules(ctx, ike, ios_always_on_dh_rule);
    nat_rules(ctx, ike);
    if string(d, "DeadPeerDetectionRate") == Some("None") {
        ctx.emit(
            "IKE2-C35",
            &ike.at("DeadPeerDetectionRate"),
            "DeadPeerDetectionRate None: the device sends no liveness checks, so a dead server or NAT binding is noticed only when traffic fails".into(),
            "use Medium (every 10 minutes, the default) or High (every minute)".into(),
        );
    }
    if flag(d, "EnableFallback") == Some(true) {
        ctx.emit(
            "IKE2-C41",
            &ike.at("EnableFallback"),
            "EnableFallback 1: the device opens a second tunnel over cellular for Wi-Fi Assist traffic; the server must accept several tunnels for one user".into(),
            "enable only if the server allows multiple IKE SAs per identity".into(),
        );
    }
}

fn sa_rules(ctx: &mut Ctx, ike: &IkeDict, ios_always_on_dh_rule: bool) {
    let sas = ike.sa_dicts();
    for (path, sa, is_child) in &sas {
        let enc = string(sa, "EncryptionAlgorithm").unwrap_or("AES-256");
        if is_aead(enc) && sa.contains_key("IntegrityAlgorithm") {
            let at = join(path, "IntegrityAlgorithm");
            if *is_child {
                ctx.emit(
                    "IKE2-C28",
                    &at,
                    format!("IntegrityAlgorithm with {enc}: an AEAD cipher has no separate integrity transform, so the device ignores it for the Child SA"),
                    "remove IntegrityAlgorithm from the Child SA parameters".into(),
                );
            } else {
                ctx.emit_at(
                    "IKE2-C28",
                    Severity::Note,
                    &at,
                    format!("IntegrityAlgorithm with {enc}: for the IKE SA it selects only the PRF (no integrity transform is proposed with AEAD)"),
                    "no change needed; the server must accept the matching PRF".into(),
                );
            }
        }
        if ike.always_on {
            if let Some(g) = int(sa, "DiffieHellmanGroup").filter(|g| matches!(g, 1 | 2 | 5)) {
                let at = join(path, "DiffieHellmanGroup");
                if ios_always_on_dh_rule {
                    ctx.emit(
                        "IKE2-C27",
                        &at,
                        format!("AlwaysOn with Diffie-Hellman group {g}: iOS 14.2 and later require group 14 or higher for Always On VPN and refuse this configuration"),
                        "use group 14, 19, 20 or 31".into(),
                    );
                } else {
                    ctx.emit(
                        "SEC-07",
                        &at,
                        format!("AlwaysOn with Diffie-Hellman group {g}: accepted before iOS 14.2 but weak, and refused by iOS 14.2+"),
                        "use group 14, 19, 20 or 31".into(),
                    );
                }
            }
        }
    }
    let ike_sa = dict(ike.dict, "IKESecurityAssociationParameters");
    let child_sa = dict(ike.dict, "ChildSecurityAssociationParameters");
    if let (Some(i), Some(c)) = (ike_sa, child_sa) {
        let child_aead = is_aead(string(c, "EncryptionAlgorithm").unwrap_or("AES-256"));
        let missing: Vec<&str> = i
            .keys()
            .map(String::as_str)
            .filter(|k| !c.contains_key(k))
            .filter(|k| !(child_aead && *k == "IntegrityAlgorithm"))
            .collect();
        if !missing.is_empty() {
            ctx.emit(
                "IKE2-C26",
                &ike.at("ChildSecurityAssociationParameters"),
                format!("ChildSecurityAssociationParameters omits {} that the IKE SA parameters set: Apple does not say whether the Child SA then inherits the IKE value or uses the default", missing.join(", ")),
                "repeat the values in the Child SA parameters".into(),
            );
        }
    }
    if flag(ike.dict, "EnablePFS") != Some(true)
        && child_sa.is_some_and(|c| c.contains_key("DiffieHellmanGroup"))
    {
        ctx.emit(
                "IKE2-C29",
                &join(&ike.at("ChildSecurityAssociationParameters"), "DiffieHellmanGroup"),
                "Child SA DiffieHellmanGroup without EnablePFS 1: the first Child SA carries no key exchange and rekeys run without PFS, so the group is not used".into(),
                "set EnablePFS to 1 if the server supports PFS".into(),
            );
    }
}

fn nat_rules(ctx: &mut Ctx, ike: &IkeDict) {
    let d = ike.dict;
    match int(d, "NATKeepAliveInterval") {
        Some(n) if n < 20 => ctx.emit(
            "IKE2-C32",
            &ike.at("NATKeepAliveInterval"),
            format!("NATKeepAliveInterval {n} is below Apple's minimum of 20 seconds: the device does not use it (Apple states the minimum only in prose)"),
            "use at least 20 (the Wi-Fi default)".into(),
        ),
        Some(n) if n > 1440 => ctx.emit(
            "IKE2-D07",
            &ike.at("NATKeepAliveInterval"),
            format!("NATKeepAliveInterval {n} exceeds Intune's maximum of 1440 seconds (Apple states no maximum); long intervals let NAT bindings expire"),
            "keep the interval below the NAT timeout of the networks in use".into(),
        ),
        Some(_) => {}
        None if ike.always_on => ctx.emit(
            "IKE2-A03",
            &ike.path,
            "no NATKeepAliveInterval: the device uses 20 s over Wi-Fi and 110 s over cellular (the schema's default says only 20; Intune documents 110)".into(),
            "set NATKeepAliveInterval explicitly if the NAT timeouts are known".into(),
        ),
        None => {}
    }
    if !ike.always_on {
        let keys: Vec<&str> = ["NATKeepAliveInterval", "NATKeepAliveOffloadEnable"]
            .into_iter()
            .filter(|k| d.contains_key(k))
            .collect();
        if let Some(first) = keys.first() {
            ctx.emit(
                "IKE2-C33",
                &ike.at(first),
                format!("{} {} described by Apple for Always On IKEv2 connections: for this VPN the device may not apply {}", keys.join(" and "), if keys.len() > 1 { "are" } else { "is" }, if keys.len() > 1 { "them" } else { "it" }),
                "keep them only if the tunnel is also used as Always On".into(),
            );
        }
    }
}

/// watchOS 10+: on-demand rules may only disconnect (constraint 46), checked per rule list.
pub(crate) fn watch_only_disconnect(ctx: &Ctx) -> bool {
    ctx.target()
        .is_some_and(|t| t.at_least(Os::WatchOs, Ver(10, 0, 0)))
}
