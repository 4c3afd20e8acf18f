//! IKE identities (RFC 7296 §3.5) in strongSwan's notation.
//!
//! | text | ID type |
//! |---|---|
//! | `192.0.2.1`, `2001:db8::1` | ID_IPV4_ADDR, ID_IPV6_ADDR |
//! | `vpn.example.com`, `@vpn.example.com`, `fqdn:x` | ID_FQDN |
//! | `user@example.com`, `email:x`, `rfc822:x` | ID_RFC822_ADDR |
//! | `C=CH, O=Org, CN=name`, `asn1dn:#<hex DER>` | ID_DER_ASN1_DN |
//! | `@#<hex>`, `keyid:#<hex>` | ID_KEY_ID |
//! | `%null` | ID_NULL (RFC 7619) |
//! | `<type number>:#<hex>` | any other type |
//!
//! A remote identity may also be `%any` ([`IdentityMatch::Any`]).

use core::fmt;
use core::str::FromStr;
use std::net::IpAddr;

use ikelab_wire::iana::IdType;
use ikelab_wire::payload::IdPayload;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dn;

/// An identity: ID type and identification data as sent in IDi/IDr.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    pub id_type: IdType,
    pub data: Vec<u8>,
}

/// Why an identity did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("identity {input:?}: {reason}")]
pub struct IdentityError {
    pub input: String,
    pub reason: String,
}

impl Identity {
    pub fn new(id_type: IdType, data: impl Into<Vec<u8>>) -> Self {
        Self {
            id_type,
            data: data.into(),
        }
    }

    pub fn fqdn(name: &str) -> Self {
        Self::new(IdType::FQDN, name.as_bytes())
    }

    pub fn email(addr: &str) -> Self {
        Self::new(IdType::RFC822_ADDR, addr.as_bytes())
    }

    pub fn ip(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(a) => Self::new(IdType::IPV4_ADDR, a.octets()),
            IpAddr::V6(a) => Self::new(IdType::IPV6_ADDR, a.octets()),
        }
    }

    /// The IDi/IDr payload body.
    pub fn to_payload(&self) -> IdPayload {
        IdPayload::new(self.id_type, self.data.clone())
    }

    pub fn from_payload(p: &IdPayload) -> Self {
        Self::new(p.id_type, p.data.clone())
    }

    /// Whether two identities name the same thing: DNs compare attribute by attribute (string
    /// types aside), everything else octet for octet.
    pub fn same_as(&self, other: &Self) -> bool {
        if self.id_type != other.id_type {
            return false;
        }
        if self.id_type == IdType::DER_ASN1_DN {
            if let (Some(a), Some(b)) = (dn::attributes(&self.data), dn::attributes(&other.data)) {
                return a == b;
            }
        }
        self.data == other.data
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl FromStr for Identity {
    type Err = IdentityError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| IdentityError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        if s == "%any" {
            return Err(err("%any matches any peer; it is not an identity to send"));
        }
        if s == "%null" {
            return Ok(Self::new(IdType::NULL, Vec::new()));
        }
        let hex_arg = |rest: &str| {
            rest.strip_prefix('#')
                .and_then(unhex)
                .ok_or_else(|| err("expected '#' and an even number of hex digits"))
        };
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Self::ip(ip));
        }
        if let Some((prefix, rest)) = s.split_once(':') {
            let typed = match prefix.to_ascii_lowercase().as_str() {
                "ipv4" | "ipv6" => {
                    let ip: IpAddr = rest.parse().map_err(|_| err("not an IP address"))?;
                    let v6 = prefix.eq_ignore_ascii_case("ipv6");
                    if ip.is_ipv6() != v6 {
                        return Err(err("address family does not match the prefix"));
                    }
                    Some(Self::ip(ip))
                }
                "fqdn" => Some(Self::fqdn(rest)),
                "email" | "rfc822" | "userfqdn" => Some(Self::email(rest)),
                "keyid" => Some(Self::new(IdType::KEY_ID, hex_arg(rest)?)),
                "asn1dn" => Some(Self::new(IdType::DER_ASN1_DN, hex_arg(rest)?)),
                p if p.chars().all(|c| c.is_ascii_digit()) => {
                    let t: u8 = p.parse().map_err(|_| err("ID type above 255"))?;
                    Some(Self::new(IdType(t), hex_arg(rest)?))
                }
                _ => None,
            };
            if let Some(id) = typed {
                return Ok(id);
            }
        }
        if let Some(rest) = s.strip_prefix("@#") {
            return unhex(rest)
                .map(|d| Self::new(IdType::KEY_ID, d))
                .ok_or_else(|| err("@# needs an even number of hex digits"));
        }
        if let Some(rest) = s.strip_prefix('@') {
            return Ok(Self::fqdn(rest));
        }
        if s.contains('=') {
            return dn::encode(s)
                .map(|der| Self::new(IdType::DER_ASN1_DN, der))
                .map_err(|e| err(&e));
        }
        if s.contains('@') {
            return Ok(Self::email(s));
        }
        Ok(Self::fqdn(s))
    }
}

impl fmt::Display for Identity {
    /// The shortest text that parses back to the same identity.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = core::str::from_utf8(&self.data)
            .ok()
            .filter(|t| !t.is_empty() && !t.chars().any(|c| c.is_control() || c == ','));
        match (self.id_type, text) {
            (IdType::IPV4_ADDR, _) if self.data.len() == 4 => {
                let a: [u8; 4] = [self.data[0], self.data[1], self.data[2], self.data[3]];
                write!(f, "{}", IpAddr::from(a))
            }
            (IdType::IPV6_ADDR, _) if self.data.len() == 16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(&self.data);
                write!(f, "{}", IpAddr::from(a))
            }
            (IdType::FQDN, Some(t)) => {
                let auto = Identity::from_str(t).is_ok_and(|id| id == *self);
                if auto {
                    f.write_str(t)
                } else {
                    write!(f, "fqdn:{t}")
                }
            }
            (IdType::RFC822_ADDR, Some(t)) => {
                let auto = Identity::from_str(t).is_ok_and(|id| id == *self);
                if auto {
                    f.write_str(t)
                } else {
                    write!(f, "email:{t}")
                }
            }
            (IdType::NULL, _) if self.data.is_empty() => f.write_str("%null"),
            (IdType::DER_ASN1_DN, _) => match dn::render(&self.data) {
                Some(t) if dn::encode(&t).as_deref() == Ok(&self.data[..]) => f.write_str(&t),
                _ => write!(f, "asn1dn:#{}", hex(&self.data)),
            },
            (IdType::KEY_ID, _) => write!(f, "keyid:#{}", hex(&self.data)),
            (t, _) => write!(f, "{}:#{}", t.0, hex(&self.data)),
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({:?} {self})", self.id_type)
    }
}

impl Serialize for Identity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Identity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which remote identities a policy accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum IdentityMatch {
    /// `%any`: whoever authenticates.
    #[default]
    Any,
    /// Exactly this identity (DNs compared by attribute).
    Exact(Identity),
}

impl IdentityMatch {
    pub fn matches(&self, id: &Identity) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(want) => want.same_as(id),
        }
    }

    /// The identity to send as IDr in IKE_AUTH (RFC 7296 §3.5: optional), if one is pinned.
    pub fn exact(&self) -> Option<&Identity> {
        match self {
            Self::Any => None,
            Self::Exact(id) => Some(id),
        }
    }
}

impl FromStr for IdentityMatch {
    type Err = IdentityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim() == "%any" {
            Ok(Self::Any)
        } else {
            s.parse().map(Self::Exact)
        }
    }
}

impl fmt::Display for IdentityMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("%any"),
            Self::Exact(id) => fmt::Display::fmt(id, f),
        }
    }
}

impl Serialize for IdentityMatch {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IdentityMatch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Identity {
        s.parse().unwrap()
    }

    #[test]
    fn detects_types_like_strongswan() {
        assert_eq!(
            id("192.0.2.1"),
            Identity::new(IdType::IPV4_ADDR, [192, 0, 2, 1])
        );
        assert_eq!(id("2001:db8::1").id_type, IdType::IPV6_ADDR);
        assert_eq!(id("vpn.example.com"), Identity::fqdn("vpn.example.com"));
        assert_eq!(id("@vpn.example.com"), Identity::fqdn("vpn.example.com"));
        assert_eq!(id("user@example.com"), Identity::email("user@example.com"));
        assert_eq!(id("@#0a0b"), Identity::new(IdType::KEY_ID, [10, 11]));
        assert_eq!(id("keyid:#0a0b"), Identity::new(IdType::KEY_ID, [10, 11]));
        assert_eq!(id("fqdn:192.0.2.1"), Identity::fqdn("192.0.2.1"));
        assert_eq!(id("%null"), Identity::new(IdType::NULL, []));
        assert_eq!(id("201:#ff"), Identity::new(IdType(201), [0xff]));
        let dn = id("C=CH, O=strongSwan, CN=moon");
        assert_eq!(dn.id_type, IdType::DER_ASN1_DN);
        assert_eq!(id(&format!("asn1dn:#{}", hex(&dn.data))), dn);
    }

    #[test]
    fn display_parses_back() {
        for s in [
            "192.0.2.1",
            "2001:db8::1",
            "vpn.example.com",
            "user@example.com",
            "fqdn:192.0.2.1",
            "fqdn:user@example.com",
            "email:nodomain",
            "keyid:#0a0b",
            "C=CH, O=strongSwan, CN=moon",
            "%null",
            "201:#ff",
        ] {
            let i = id(s);
            assert_eq!(i.to_string(), s);
            assert_eq!(id(&i.to_string()), i);
        }
        // A DN with a string type we would not choose prints as hex and still round-trips.
        let mut dn = id("CN=moon");
        let pos = dn.data.iter().position(|b| *b == 0x0c).unwrap();
        dn.data[pos] = 0x13;
        assert!(dn.to_string().starts_with("asn1dn:#"));
        assert_eq!(id(&dn.to_string()), dn);
        assert!(dn.same_as(&id("CN=moon")), "DNs compare by attribute");
        assert!(!dn.same_as(&id("CN=sun")));
    }

    #[test]
    fn errors_and_any() {
        assert!("%any".parse::<Identity>().is_err());
        assert!("ipv4:2001:db8::1".parse::<Identity>().is_err());
        assert!("keyid:abc".parse::<Identity>().is_err());
        assert!("XX=1"
            .parse::<Identity>()
            .unwrap_err()
            .to_string()
            .contains("unknown DN attribute"));
        let any: IdentityMatch = "%any".parse().unwrap();
        assert!(any.matches(&id("a.b")));
        let exact: IdentityMatch = "a.b".parse().unwrap();
        assert!(exact.matches(&id("a.b")) && !exact.matches(&id("a.c")));
        assert_eq!(exact.to_string(), "a.b");
    }
}
