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
