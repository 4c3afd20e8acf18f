//! Identifiers → IKEv2 identities (rules LW-ID-*).
//!
//! The rule: an IPv4/IPv6 literal is ID_IPV4_ADDR/ID_IPV6_ADDR, a value with '@' is
//! ID_RFC822_ADDR, anything else — distinguished names included — is ID_FQDN, because iOS sends
//! DNs as FQDN (observed; see `LW-ID-FQDN`). An empty LocalIdentifier sends the device address.

use std::net::IpAddr;

use ikelab_policy::Identity;
use ikelab_wire::iana::IdType;
use serde::Serialize;

use super::Sink;

/// A lowered identity as output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdOut {
    /// The identification data as text (an address, a name), or `%device-address`.
    pub value: String,
    /// IANA ID type name (`ID_FQDN`, `ID_RFC822_ADDR`, `ID_IPV4_ADDR`, ...).
    #[serde(rename = "type")]
    pub id_type: &'static str,
    /// The value looks like a distinguished name but goes out as ID_FQDN.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dn_sent_as_fqdn: bool,
    #[serde(skip)]
    pub identity: Option<Identity>,
}

/// Lowers one identifier. `None` for an empty value (the caller decides what that means).
pub fn lower(sink: &mut Sink, field: &str, value: Option<&str>) -> Option<IdOut> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if let Ok(ip) = v.parse::<IpAddr>() {
        sink.apply(field, "LW-ID-IP");
        let t = if ip.is_ipv4() {
            IdType::IPV4_ADDR
        } else {
            IdType::IPV6_ADDR
        };
        return Some(IdOut {
            value: ip.to_string(),
            id_type: t.name().unwrap_or("ID_IPV4_ADDR"),
            dn_sent_as_fqdn: false,
            identity: Some(Identity::ip(ip)),
        });
    }
    if v.contains('@') && !v.contains('=') {
        sink.apply(field, "LW-ID-EMAIL");
        return Some(IdOut {
            value: v.to_string(),
            id_type: IdType::RFC822_ADDR.name().unwrap_or("ID_RFC822_ADDR"),
            dn_sent_as_fqdn: false,
            identity: Some(Identity::email(v)),
        });
    }
    sink.apply(field, "LW-ID-FQDN");
    Some(IdOut {
        value: v.to_string(),
        id_type: IdType::FQDN.name().unwrap_or("ID_FQDN"),
        dn_sent_as_fqdn: v.contains('='),
        identity: Some(Identity::fqdn(v)),
    })
}

/// The device's own address as identity (empty LocalIdentifier, LW-ID-EMPTY).
pub fn device_address(sink: &mut Sink) -> IdOut {
    sink.apply("local_id", "LW-ID-EMPTY");
    IdOut {
        value: "%device-address".into(),
        id_type: IdType::IPV4_ADDR.name().unwrap_or("ID_IPV4_ADDR"),
        dn_sent_as_fqdn: false,
        identity: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_form() {
        let mut s = Sink::new(None);
        let t = |s: &mut Sink, v: &str| lower(s, "x", Some(v)).map(|i| i.id_type);
        assert_eq!(t(&mut s, "192.0.2.1"), Some("ID_IPV4_ADDR"));
        assert_eq!(t(&mut s, "2001:db8::1"), Some("ID_IPV6_ADDR"));
        assert_eq!(t(&mut s, "alice@example.com"), Some("ID_RFC822_ADDR"));
        assert_eq!(t(&mut s, "vpn.example.com"), Some("ID_FQDN"));
        let dn = lower(&mut s, "x", Some("CN=vpn, O=Example")).unwrap();
        assert_eq!((dn.id_type, dn.dn_sent_as_fqdn), ("ID_FQDN", true));
        assert!(lower(&mut s, "x", Some("  ")).is_none());
    }
}
