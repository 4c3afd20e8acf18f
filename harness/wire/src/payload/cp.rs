//! Configuration payload (RFC 7296 §3.15).

use crate::error::Path;
use crate::finding::Findings;
use crate::iana::{CfgType, CpAttributeType};
use crate::reader::{octet_and_reserved24, Reader};
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CpPayload {
    pub cfg_type: CfgType,
    pub reserved: [u8; 3],
    pub attributes: Vec<CpAttribute>,
}

/// A configuration attribute: an R bit (reserved), a 15-bit type and a value (empty in requests).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CpAttribute {
    pub reserved_bit: bool,
    pub attribute_type: CpAttributeType,
    pub value: Vec<u8>,
}

impl CpPayload {
    pub(crate) fn parse(
        mut r: Reader<'_>,
        path: &Path<'_>,
        f: &mut Findings,
    ) -> Result<Self, Error> {
        let (cfg_type, reserved) =
            octet_and_reserved24(&mut r, path, f, "CFG type", "CP RESERVED")?;
        let cfg_type = CfgType(cfg_type);
        let mut attributes = Vec::new();
        let mut index = 0;
        while !r.is_empty() {
            let apath = path.at("Attribute", index);
            let at = r.offset();
            let raw = r.u16("attribute type", &apath)?;
            let len = usize::from(r.u16("attribute length", &apath)?);
            let value = r.take(len, "attribute value", &apath)?.to_vec();
            let reserved_bit = raw & 0x8000 != 0;
            if reserved_bit {
                f.reserved(at, &apath, "CP attribute R bit", 1);
            }
            attributes.push(CpAttribute {
                reserved_bit,
                attribute_type: CpAttributeType(raw & 0x7fff),
                value,
            });
            index += 1;
        }
        Ok(Self {
            cfg_type,
            reserved,
            attributes,
        })
    }

    pub fn buffer_len(&self) -> usize {
        4 + self
            .attributes
            .iter()
            .map(|a| 4 + a.value.len())
            .sum::<usize>()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.cfg_type.0);
        out.extend_from_slice(&self.reserved);
        for a in &self.attributes {
            let ty = (a.attribute_type.0 & 0x7fff) | if a.reserved_bit { 0x8000 } else { 0 };
            out.extend_from_slice(&ty.to_be_bytes());
            out.extend_from_slice(&(a.value.len() as u16).to_be_bytes());
            out.extend_from_slice(&a.value);
        }
    }
}

impl CpAttribute {
    /// A request or reply attribute with the given value.
    pub fn new(attribute_type: CpAttributeType, value: impl Into<Vec<u8>>) -> Self {
        Self {
            reserved_bit: false,
            attribute_type,
            value: value.into(),
        }
    }

    /// The value rendered per its RFC 7296 §3.15.1 format (addresses, prefixes, names), or
    /// `None` when empty (a request) or not in the attribute type's format.
    pub fn display_value(&self) -> Option<String> {
        let v = &self.value;
        let v4 = |b: &[u8]| std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]);
        let v6 = |b: &[u8]| {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[..16]);
            std::net::Ipv6Addr::from(a)
        };
        match (self.attribute_type, v.len()) {
            (_, 0) => None,
            (
                CpAttributeType::INTERNAL_IP4_ADDRESS
                | CpAttributeType::INTERNAL_IP4_NETMASK
                | CpAttributeType::INTERNAL_IP4_DNS
                | CpAttributeType::INTERNAL_IP4_NBNS
                | CpAttributeType::INTERNAL_IP4_DHCP
                | CpAttributeType::P_CSCF_IP4_ADDRESS,
                4,
            ) => Some(v4(v).to_string()),
            (CpAttributeType::INTERNAL_IP4_SUBNET, 8) => Some(format!("{}/{}", v4(v), v4(&v[4..]))),
            (CpAttributeType::INTERNAL_IP6_ADDRESS | CpAttributeType::INTERNAL_IP6_SUBNET, 17) => {
                Some(format!("{}/{}", v6(v), v[16]))
            }
            (
                CpAttributeType::INTERNAL_IP6_DNS
                | CpAttributeType::INTERNAL_IP6_DHCP
                | CpAttributeType::P_CSCF_IP6_ADDRESS,
                16,
            ) => Some(v6(v).to_string()),
            (CpAttributeType::APPLICATION_VERSION | CpAttributeType::INTERNAL_DNS_DOMAIN, _) => {
                core::str::from_utf8(v)
                    .ok()
                    .filter(|s| !s.chars().any(char::is_control))
                    .map(str::to_owned)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_values_per_attribute_format() {
        let a = CpAttribute::new(CpAttributeType::INTERNAL_IP4_ADDRESS, [10, 0, 0, 7]);
        assert_eq!(a.display_value().as_deref(), Some("10.0.0.7"));
        let mut v6 = vec![0x20, 0x01, 0x0d, 0xb8];
        v6.extend([0; 11]);
        v6.extend([1, 64]);
        let a = CpAttribute::new(CpAttributeType::INTERNAL_IP6_ADDRESS, v6);
        assert_eq!(a.display_value().as_deref(), Some("2001:db8::1/64"));
        let a = CpAttribute::new(
            CpAttributeType::INTERNAL_DNS_DOMAIN,
            b"corp.example".to_vec(),
        );
        assert_eq!(a.display_value().as_deref(), Some("corp.example"));
        assert_eq!(
            CpAttribute::new(CpAttributeType::INTERNAL_IP4_DNS, vec![]).display_value(),
            None
        );
        assert_eq!(
            CpAttribute::new(CpAttributeType::INTERNAL_IP4_DNS, vec![1, 2]).display_value(),
            None
        );
    }
}
