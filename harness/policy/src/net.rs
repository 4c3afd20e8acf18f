//! Address prefixes, traffic selectors (RFC 7296 §3.13) and the responder's address pool.
//!
//! Traffic selectors are written as strongSwan writes them: `10.0.0.0/24`, `10.0.0.1-10.0.0.9`,
//! `0.0.0.0/0[udp/53]`, `::/0[tcp/1000-2000]`, `dynamic` (our own address, or the virtual IP
//! the responder assigned).

use core::fmt;
use core::str::FromStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ikelab_wire::payload::AddressRange;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an address, prefix or selector did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {input:?}: {reason}")]
pub struct NetError {
    pub what: &'static str,
    pub input: String,
    pub reason: String,
}

fn net_err(what: &'static str, input: &str, reason: impl Into<String>) -> NetError {
    NetError {
        what,
        input: input.to_owned(),
        reason: reason.into(),
    }
}

/// An address prefix, e.g. `10.8.0.0/24`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpNet {
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, NetError> {
        let max = max_prefix(addr);
        if prefix > max {
            return Err(net_err(
                "prefix",
                &format!("{addr}/{prefix}"),
                format!("prefix length above {max}"),
            ));
        }
        Ok(Self { addr, prefix })
    }

    /// First and last address of the prefix.
    pub fn range(&self) -> (IpAddr, IpAddr) {
        match self.addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                let lo = u32::from(a) & mask;
                (
                    IpAddr::V4(Ipv4Addr::from(lo)),
                    IpAddr::V4(Ipv4Addr::from(lo | !mask)),
                )
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                let lo = u128::from(a) & mask;
                (
                    IpAddr::V6(Ipv6Addr::from(lo)),
                    IpAddr::V6(Ipv6Addr::from(lo | !mask)),
                )
            }
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (lo, hi) = self.range();
        same_family(lo, ip) && lo <= ip && ip <= hi
    }
}

fn max_prefix(a: IpAddr) -> u8 {
    if a.is_ipv4() {
        32
    } else {
        128
    }
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

impl FromStr for IpNet {
    type Err = NetError;
    fn from_str(s: &str) -> Result<Self, NetError> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| net_err("prefix", s, "not an IP address"))?;
        let prefix = match prefix {
            Some(p) => p
                .parse()
                .map_err(|_| net_err("prefix", s, "prefix length is not a number"))?,
            None => max_prefix(addr),
        };
        Self::new(addr, prefix).map_err(|e| net_err("prefix", s, e.reason))
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl fmt::Debug for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The address part of a traffic selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TsAddresses {
    /// Our own address: the tunnel endpoint, or the virtual IP assigned through CP.
    Dynamic,
    /// An inclusive address range (both ends in one family).
    Range(IpAddr, IpAddr),
}

/// A traffic selector in a policy: addresses, IP protocol (0 = any) and port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TsSpec {
    pub addresses: TsAddresses,
    pub protocol: u8,
    pub start_port: u16,
    pub end_port: u16,
}

impl TsSpec {
    /// `dynamic`, any protocol and port.
    pub const DYNAMIC: Self = Self {
        addresses: TsAddresses::Dynamic,
        protocol: 0,
        start_port: 0,
        end_port: 65535,
    };

    /// Every address of a family, any protocol and port (`0.0.0.0/0` or `::/0`).
    pub fn all(v6: bool) -> Self {
        let net = if v6 {
            IpNet {
                addr: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                prefix: 0,
            }
        } else {
            IpNet {
                addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                prefix: 0,
            }
        };
        Self::from_net(net)
    }

    pub fn from_net(net: IpNet) -> Self {
        let (lo, hi) = net.range();
        Self {
            addresses: TsAddresses::Range(lo, hi),
            protocol: 0,
            start_port: 0,
            end_port: 65535,
        }
    }

    /// The selector with `dynamic` replaced by `addr`.
    pub fn resolve(&self, addr: IpAddr) -> AddressRange {
        let (start, end) = match self.addresses {
            TsAddresses::Dynamic => (addr, addr),
            TsAddresses::Range(a, b) => (a, b),
        };
        AddressRange {
            ip_protocol: self.protocol,
            start_port: self.start_port,
            end_port: self.end_port,
            start_address: start,
            end_address: end,
        }
    }
}

fn protocol_number(name: &str) -> Option<u8> {
    Some(match name.to_ascii_lowercase().as_str() {
        "" | "any" | "%any" => 0,
        "icmp" => 1,
        "tcp" => 6,
        "udp" => 17,
        "gre" => 47,
        "esp" => 50,
        "icmpv6" | "ipv6-icmp" => 58,
        "sctp" => 132,
        n => return n.parse().ok(),
    })
}

fn protocol_name(n: u8) -> Option<&'static str> {
    Some(match n {
        1 => "icmp",
        6 => "tcp",
        17 => "udp",
        47 => "gre",
        50 => "esp",
        58 => "ipv6-icmp",
        132 => "sctp",
        _ => return None,
    })
}

impl FromStr for TsSpec {
    type Err = NetError;

    fn from_str(input: &str) -> Result<Self, NetError> {
        let err = |reason: &str| net_err("traffic selector", input, reason);
        let s = input.trim();
        let (addr, rest) = match s.split_once('[') {
            Some((a, r)) => (
                a.trim(),
                Some(r.strip_suffix(']').ok_or_else(|| err("missing ']'"))?),
            ),
            None => (s, None),
        };
        let addresses = if addr == "dynamic" {
            TsAddresses::Dynamic
        } else if let Some((a, b)) = addr.split_once('-') {
            let a: IpAddr = a.trim().parse().map_err(|_| err("bad range start"))?;
            let b: IpAddr = b.trim().parse().map_err(|_| err("bad range end"))?;
            if !same_family(a, b) || a > b {
                return Err(err("range ends differ in family or are reversed"));
            }
            TsAddresses::Range(a, b)
        } else {
            let net: IpNet = addr.parse().map_err(|e: NetError| err(&e.reason))?;
            let (a, b) = net.range();
            TsAddresses::Range(a, b)
        };
        let mut ts = Self {
            addresses,
            ..Self::DYNAMIC
        };
        if let Some(spec) = rest {
            let (proto, ports) = match spec.split_once('/') {
                Some((p, q)) => (p, Some(q)),
                None => (spec, None),
            };
            ts.protocol = protocol_number(proto.trim()).ok_or_else(|| err("unknown protocol"))?;
            if let Some(ports) = ports
                .map(str::trim)
                .filter(|p| !p.is_empty() && *p != "%any")
            {
                let (lo, hi) = ports.split_once('-').unwrap_or((ports, ports));
                ts.start_port = lo.trim().parse().map_err(|_| err("bad port"))?;
                ts.end_port = hi.trim().parse().map_err(|_| err("bad port"))?;
                if ts.start_port > ts.end_port {
                    return Err(err("port range is reversed"));
                }
            }
        }
        Ok(ts)
    }
}

/// The prefix covering exactly `lo..=hi`, if the range is one.
fn as_prefix(lo: IpAddr, hi: IpAddr) -> Option<IpNet> {
    (0..=max_prefix(lo)).find_map(|p| {
        let net = IpNet {
            addr: lo,
            prefix: p,
        };
        (net.range() == (lo, hi)).then_some(net)
    })
}

impl fmt::Display for TsSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addresses {
            TsAddresses::Dynamic => f.write_str("dynamic")?,
            TsAddresses::Range(lo, hi) => match as_prefix(lo, hi) {
                Some(net) => write!(f, "{net}")?,
                None => write!(f, "{lo}-{hi}")?,
            },
        }
        let any_port = self.start_port == 0 && self.end_port == 65535;
        if self.protocol != 0 || !any_port {
            f.write_str("[")?;
            match protocol_name(self.protocol) {
                Some(n) => f.write_str(n)?,
                None if self.protocol == 0 => f.write_str("any")?,
                None => write!(f, "{}", self.protocol)?,
            }
            if !any_port {
                if self.start_port == self.end_port {
                    write!(f, "/{}", self.start_port)?;
                } else {
                    write!(f, "/{}-{}", self.start_port, self.end_port)?;
                }
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

macro_rules! string_serde {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_serde!(IpNet);
string_serde!(TsSpec);

/// Addresses and DNS servers a responder hands out in CP replies (RFC 7296 §3.15).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressPool {
    /// Prefixes to assign from, at most one per family. The network address and (for IPv4) the
    /// broadcast address are skipped.
    pub ranges: Vec<IpNet>,
    /// INTERNAL_IP4_DNS / INTERNAL_IP6_DNS values.
    #[serde(default)]
    pub dns: Vec<IpAddr>,
    /// INTERNAL_DNS_DOMAIN values (RFC 8598).
    #[serde(default)]
    pub domains: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let n: IpNet = "10.8.0.77/24".parse().unwrap();
        assert_eq!(
            n.range(),
            ("10.8.0.0".parse().unwrap(), "10.8.0.255".parse().unwrap())
        );
        assert!(n.contains("10.8.0.1".parse().unwrap()));
        assert!(!n.contains("10.8.1.1".parse().unwrap()));
        assert!(!n.contains("::1".parse().unwrap()));
        let all: IpNet = "::/0".parse().unwrap();
        assert_eq!(all.range().1, IpAddr::V6(Ipv6Addr::from(u128::MAX)));
        let host: IpNet = "192.0.2.1".parse().unwrap();
        assert_eq!(host.prefix, 32);
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("10.0.0.0/x".parse::<IpNet>().is_err());
    }

    #[test]
    fn selectors_parse_and_print() {
        for s in [
            "dynamic",
            "10.0.0.0/24",
            "0.0.0.0/0",
            "::/0",
            "10.0.0.1-10.0.0.9",
            "0.0.0.0/0[udp/53]",
            "::/0[tcp/1000-2000]",
            "dynamic[ipv6-icmp]",
            "10.1.0.0/16[200]",
            "10.1.0.0/16[any/80]",
        ] {
            let ts: TsSpec = s.parse().unwrap();
            assert_eq!(ts.to_string(), s);
        }
        let ts: TsSpec = "10.0.0.0/24[tcp/443]".parse().unwrap();
        let r = ts.resolve("192.0.2.1".parse().unwrap());
        assert_eq!(r.ip_protocol, 6);
        assert_eq!((r.start_port, r.end_port), (443, 443));
        assert_eq!(r.end_address, "10.0.0.255".parse::<IpAddr>().unwrap());
        let d = TsSpec::DYNAMIC.resolve("192.0.2.1".parse().unwrap());
        assert_eq!(d.start_address, d.end_address);
        for bad in [
            "10.0.0.9-10.0.0.1",
            "10.0.0.1-::1",
            "10.0.0.0/24[tcp",
            "10.0.0.0/24[foo]",
            "10.0.0.0/24[tcp/9-1]",
            "nonsense",
        ] {
            assert!(bad.parse::<TsSpec>().is_err(), "{bad}");
        }
    }
}
