//! Key Exchange payload (RFC 7296 §3.4).

use crate::error::Path;
use crate::finding::{FindingKind, Findings};
use crate::iana::KeMethod;
use crate::reader::Reader;
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct KePayload {
    /// The Diffie-Hellman group / key exchange method of the data.
    pub group: KeMethod,
    pub reserved: u16,
    pub data: Vec<u8>,
}

impl KePayload {
    pub(crate) fn parse(
        mut r: Reader<'_>,
        path: &Path<'_>,
        f: &mut Findings,
    ) -> Result<Self, Error> {
        let start = r.offset();
        let group = KeMethod(r.u16("key exchange method", path)?);
        let reserved = r.u16("KE RESERVED", path)?;
        f.reserved(start + 2, path, "KE RESERVED", u32::from(reserved));
        let data = r.rest().to_vec();
        if let Some(expected) = group.public_value_len() {
            if data.len() != expected {
                f.push(
                    start + 4,
                    path,
                    FindingKind::KeyExchangeLength {
                        method: group.0,
                        expected,
                        found: data.len(),
                    },
                );
            }
        }
        Ok(Self {
            group,
            reserved,
            data,
        })
    }

    pub fn buffer_len(&self) -> usize {
        4 + self.data.len()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.group.0.to_be_bytes());
        out.extend_from_slice(&self.reserved.to_be_bytes());
        out.extend_from_slice(&self.data);
    }
}
