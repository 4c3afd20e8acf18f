//! Identification payloads IDi/IDr (RFC 7296 §3.5).

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::Path;
use crate::finding::Findings;
use crate::iana::IdType;
use crate::reader::{octet_and_reserved24, Reader};
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct IdPayload {
    pub id_type: IdType,
    pub reserved: [u8; 3],
    pub data: Vec<u8>,
}

impl IdPayload {
    pub(crate) fn parse(
        mut r: Reader<'_>,
        path: &Path<'_>,
        f: &mut Findings,
    ) -> Result<Self, Error> {
        let (id_type, reserved) = octet_and_reserved24(&mut r, path, f, "ID type", "ID RESERVED")?;
        let id_type = IdType(id_type);
        Ok(Self {
            id_type,
            reserved,
            data: r.rest().to_vec(),
        })
    }

    pub fn new(id_type: IdType, data: impl Into<Vec<u8>>) -> Self {
        Self {
            id_type,
            reserved: [0; 3],
            data: data.into(),
        }
    }

    pub fn buffer_len(&self) -> usize {
        4 + self.data.len()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.id_type.0);
        out.extend_from_slice(&self.reserved);
        out.extend_from_slice(&self.data);
    }

    /// A human-readable rendering of the identity (addresses, names; DNs and key IDs as hex).
    pub fn display(&self) -> IdDisplay<'_> {
        IdDisplay(self)
    }
}

/// Renders an identity for people; see [`IdPayload::display`].
pub struct IdDisplay<'a>(&'a IdPayload);

impl fmt::Display for IdDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.0;
        match id.id_type {
            IdType::IPV4_ADDR if id.data.len() == 4 => {
                write!(
                    f,
                    "{}",
                    Ipv4Addr::new(id.data[0], id.data[1], id.data[2], id.data[3])
                )
            }
            IdType::IPV6_ADDR if id.data.len() == 16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(&id.data);
                write!(f, "{}", Ipv6Addr::from(a))
            }
            IdType::FQDN | IdType::RFC822_ADDR => match core::str::from_utf8(&id.data) {
                Ok(s) if s.chars().all(|c| !c.is_control()) => f.write_str(s),
                _ => write_hex(f, &id.data),
            },
            _ => write_hex(f, &id.data),
        }
    }
}

pub(crate) fn write_hex(f: &mut fmt::Formatter<'_>, data: &[u8]) -> fmt::Result {
    for b in data {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}
