//! The form of the server address and of the IKE identities in an IKEv2 key set (SCH-14, SCH-15),
//! and the certificate type of Always On tunnels (C54, warning).
//!
//! Apple's schema describes `RemoteAddress` as "the IP address or host name of the VPN server";
//! the device resolves the string as it is, and IKEv2 has no port setting (500/4500 are fixed).
//! Generators that take a URL or `host:port` from a web form produce profiles that install but
//! never connect. Identifiers are compared byte for byte by the gateway, so stray spaces break
//! authentication while looking correct in every UI.

use std::net::{IpAddr, Ipv6Addr};

use super::ctx::Ctx;
use super::ike::IkeDict;
use super::value::string;
use crate::diag::Severity;

/// Why `addr` is not a host name or IP address, with the severity of the problem.
fn address_problem(addr: &str) -> Option<(Severity, String)> {
    let t = addr.trim();
    if t.is_empty() {
        // C12 reports empty addresses.
        return None;
    }
    if t.parse::<IpAddr>().is_ok() {
        return (t != addr).then(|| {
            (
                Severity::Warning,
                "has leading or trailing white space around the IP address".to_string(),
            )
        });
    }
    if let Some((scheme, _)) = t.split_once("://") {
        return Some((
            Severity::Error,
            format!("is a URL (`{scheme}://`), not a host name: the device resolves the whole string and the connection fails"),
        ));
    }
    if let Some(inner) = t.strip_prefix('[').and_then(|r| r.split_once(']')) {
        let port = !inner.1.is_empty();
        if inner.0.parse::<Ipv6Addr>().is_ok() {
            return Some((
                Severity::Error,
                format!(
                    "is a bracketed IPv6 literal{}: write the bare address (`{}`); IKEv2 uses ports 500/4500 and has no port setting",
                    if port { " with a port" } else { "" },
                    inner.0
                ),
            ));
        }
    }
    if let Some((host, port)) = t.rsplit_once(':') {
        if !host.contains(':') && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
            return Some((
                Severity::Error,
                format!("carries a port (`:{port}`): IKEv2 always uses UDP 500/4500 and the device resolves `{t}` as a host name, which fails"),
            ));
        }
    }
    if let Some(c) = t
        .chars()
        .find(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '@' | ':' | ',' | ';'))
    {
        return Some((
            Severity::Error,
            format!(
                "contains {}: it is neither a host name nor an IP address",
                describe(c)
            ),
        ));
    }
    if t != addr {
        return Some((
            Severity::Warning,
            "has leading or trailing white space: the device may resolve the string as it is"
                .to_string(),
        ));
    }
    None
}

fn describe(c: char) -> String {
    if c.is_whitespace() {
        "white space".to_string()
    } else {
        format!("`{c}`")
    }
}

pub(crate) fn rules(ctx: &mut Ctx, ike: &IkeDict) {
    always_on_rsa_only(ctx, ike);
    if let Some(addr) = string(ike.dict, "RemoteAddress") {
        if let Some((sev, why)) = address_problem(addr) {
            ctx.emit_at(
                "SCH-14",
                sev,
                &ike.at("RemoteAddress"),
                format!("`RemoteAddress` '{addr}' {why}"),
                "set RemoteAddress to the gateway's bare host name or IP address (e.g. `vpn.example.com`)".into(),
            );
        }
    }
    for k in ["LocalIdentifier", "RemoteIdentifier"] {
        let Some(id) = string(ike.dict, k) else {
            continue;
        };
        if !id.trim().is_empty() && id.trim() != id {
            ctx.emit(
                "SCH-15",
                &ike.at(k),
                format!("`{k}` '{id}' has leading or trailing white space: the identity is sent and compared byte for byte, so the gateway sees a different name than the one configured there"),
                format!("remove the spaces around `{k}`"),
            );
        }
    }
}

/// Apple's iOS deployment guide (Infrastructure and integration, Always-on VPN payload):
/// "Currently, Always-on VPN IKEv2 supports only RSA certificates." The guide predates the
/// current schema, hence a warning under the Always On constraint (C54), not an error.
fn always_on_rsa_only(ctx: &mut Ctx, ike: &IkeDict) {
    if !ike.always_on || ike.method() != Some("Certificate") {
        return;
    }
    let Some(ct) = string(ike.dict, "CertificateType") else {
        return;
    };
    if ct.starts_with("RSA") {
        return;
    }
    ctx.emit_at(
        "IKE2-C54",
        Severity::Warning,
        &ike.at("CertificateType"),
        format!("Always On tunnel with CertificateType {ct}: Apple's iOS deployment guide states that Always-on VPN IKEv2 supports only RSA certificates, so the tunnel may not come up"),
        "use an RSA identity for Always On tunnels (CertificateType RSA), or test this ECDSA setup on the target iOS version".into(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sev(a: &str) -> Option<Severity> {
        address_problem(a).map(|(s, _)| s)
    }

    #[test]
    fn host_names_and_addresses_pass() {
        for a in [
            "vpn.example.com",
            "vpn.example.com.",
            "203.0.113.5",
            "2001:db8::1",
            "vpn-1.corp_x.example",
            "vpn.bücher.example",
            "",
        ] {
            assert_eq!(sev(a), None, "{a}");
        }
    }

    #[test]
    fn urls_ports_and_brackets_are_errors() {
        for a in [
            "https://vpn.example.com",
            "vpn.example.com:4500",
            "203.0.113.5:500",
            "[2001:db8::1]",
            "[2001:db8::1]:500",
            "vpn.example.com/ikev2",
            "vpn example.com",
            "user@vpn.example.com",
        ] {
            assert_eq!(sev(a), Some(Severity::Error), "{a}");
        }
        let (_, why) = address_problem("vpn.example.com:4500").unwrap();
        assert!(why.contains("`:4500`"), "{why}");
    }

    #[test]
    fn surrounding_space_is_a_warning() {
        assert_eq!(sev(" vpn.example.com"), Some(Severity::Warning));
        assert_eq!(sev("203.0.113.5 "), Some(Severity::Warning));
    }
}
