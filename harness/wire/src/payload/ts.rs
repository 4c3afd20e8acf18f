//! Traffic Selector payloads TSi/TSr (RFC 7296 §3.13).

use std::net::IpAddr;

use crate::error::{ErrorKind, Path};
use crate::finding::Findings;
use crate::iana::TsType;
use crate::reader::{octet_and_reserved24, Reader};
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct TsPayload {
    pub reserved: [u8; 3],
    pub selectors: Vec<TrafficSelector>,
}

/// One traffic selector. Address ranges are decoded; other types are kept as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum TrafficSelector {
    /// TS_IPV4_ADDR_RANGE (4-octet addresses) or TS_IPV6_ADDR_RANGE (16-octet addresses).
    AddressRange(AddressRange),
    /// Any other type (e.g. TS_SECLABEL, RFC 9478): the octet after the type and the body after the
    /// 4-octet selector header, unparsed.
    Other {
        ts_type: TsType,
        second_octet: u8,
        body: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AddressRange {
    /// 0 means any protocol.
    pub ip_protocol: u8,
    pub start_port: u16,
    pub end_port: u16,
    pub start_address: IpAddr,
    pub end_address: IpAddr,
}

impl AddressRange {
    /// The selector type its address family implies. Mixed families have no type; IPv4 is
    /// chosen and the emitted selector will be rejected by a strict peer, as a fault should be.
    pub fn ts_type(&self) -> TsType {
        match self.start_address {
            IpAddr::V6(_) => TsType::IPV6_ADDR_RANGE,
            IpAddr::V4(_) => TsType::IPV4_ADDR_RANGE,
        }
    }
}

impl TsPayload {
    pub(crate) fn parse(
        mut r: Reader<'_>,
        path: &Path<'_>,
        f: &mut Findings,
    ) -> Result<Self, Error> {
        let start = r.offset();
        let (declared, reserved) =
            octet_and_reserved24(&mut r, path, f, "number of TSs", "TS RESERVED")?;
        let declared = usize::from(declared);
        let mut selectors = Vec::with_capacity(declared.min(16));
        let mut index = 0;
        while !r.is_empty() {
            let spath = path.at("Selector", index);
            selectors.push(TrafficSelector::parse(&mut r, &spath)?);
            index += 1;
        }
        if selectors.len() != declared {
            return Err(path.error(
                start,
                ErrorKind::CountMismatch {
                    what: "number of TSs",
                    declared,
                    found: selectors.len(),
                },
            ));
        }
        Ok(Self {
            reserved,
            selectors,
        })
    }

    pub fn buffer_len(&self) -> usize {
        4 + self
            .selectors
            .iter()
            .map(TrafficSelector::buffer_len)
            .sum::<usize>()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.selectors.len() as u8);
        out.extend_from_slice(&self.reserved);
        for s in &self.selectors {
            s.emit(out);
        }
    }
}

impl TrafficSelector {
    fn parse(r: &mut Reader<'_>, path: &Path<'_>) -> Result<Self, Error> {
        let start = r.offset();
        let ts_type = TsType(r.u8("TS type", path)?);
        let second_octet = r.u8("IP protocol ID", path)?;
        let length = usize::from(r.u16("selector length", path)?);
        let addr_len = match ts_type {
            TsType::IPV4_ADDR_RANGE => Some(4),
            TsType::IPV6_ADDR_RANGE => Some(16),
            _ => None,
        };
        let min = addr_len.map_or(4, |a| 8 + 2 * a);
        if length < 4 || (addr_len.is_some() && length != min) {
            return Err(path.error(
                start + 2,
                ErrorKind::BadLength {
                    what: "selector length",
                    value: length,
                    reason: "must be 16 for TS_IPV4_ADDR_RANGE, 40 for TS_IPV6_ADDR_RANGE, at least 4 otherwise",
                },
            ));
        }
        let mut body = r.sub(length - 4, "traffic selector", path)?;
        let Some(alen) = addr_len else {
            return Ok(Self::Other {
                ts_type,
                second_octet,
                body: body.rest().to_vec(),
            });
        };
        let start_port = body.u16("start port", path)?;
        let end_port = body.u16("end port", path)?;
        let start_address = read_addr(body.take(alen, "starting address", path)?);
        let end_address = read_addr(body.take(alen, "ending address", path)?);
        Ok(Self::AddressRange(AddressRange {
            ip_protocol: second_octet,
            start_port,
            end_port,
            start_address,
            end_address,
        }))
    }

    pub fn buffer_len(&self) -> usize {
        match self {
            Self::AddressRange(r) => match r.start_address {
                IpAddr::V4(_) => 16,
                IpAddr::V6(_) => 40,
            },
            Self::Other { body, .. } => 4 + body.len(),
        }
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        match self {
            Self::AddressRange(r) => {
                out.push(r.ts_type().0);
                out.push(r.ip_protocol);
                out.extend_from_slice(&(self.buffer_len() as u16).to_be_bytes());
                out.extend_from_slice(&r.start_port.to_be_bytes());
                out.extend_from_slice(&r.end_port.to_be_bytes());
                let v6 = matches!(r.start_address, IpAddr::V6(_));
                write_addr(r.start_address, v6, out);
                write_addr(r.end_address, v6, out);
            }
            Self::Other {
                ts_type,
                second_octet,
                body,
            } => {
                out.push(ts_type.0);
                out.push(*second_octet);
                out.extend_from_slice(&((4 + body.len()) as u16).to_be_bytes());
                out.extend_from_slice(body);
            }
        }
    }
}

fn read_addr(b: &[u8]) -> IpAddr {
    if let Ok(a) = <[u8; 4]>::try_from(b) {
        IpAddr::from(a)
    } else {
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[..16]);
        IpAddr::from(a)
    }
}

/// Writes an address in the selector's family; an address of the other family (a hand-built
/// fault) is mapped so the length stays consistent.
fn write_addr(addr: IpAddr, v6: bool, out: &mut Vec<u8>) {
    match (addr, v6) {
        (IpAddr::V4(a), false) => out.extend_from_slice(&a.octets()),
        (IpAddr::V6(a), true) => out.extend_from_slice(&a.octets()),
        (IpAddr::V4(a), true) => out.extend_from_slice(&a.to_ipv6_mapped().octets()),
        (IpAddr::V6(a), false) => out.extend_from_slice(&a.octets()[12..]),
    }
}
