//! EAP payload (RFC 7296 §3.16): one EAP message (RFC 3748 §4).

use crate::error::{ErrorKind, Path};
use crate::reader::Reader;
use crate::Error;

/// EAP codes (RFC 3748 §4).
pub mod eap_code {
    pub const REQUEST: u8 = 1;
    pub const RESPONSE: u8 = 2;
    pub const SUCCESS: u8 = 3;
    pub const FAILURE: u8 = 4;
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct EapPayload {
    pub code: u8,
    pub identifier: u8,
    /// The EAP method type; present in Requests and Responses only.
    pub eap_type: Option<u8>,
    /// Type-Data.
    pub data: Vec<u8>,
}

impl EapPayload {
    pub(crate) fn parse(mut r: Reader<'_>, path: &Path<'_>) -> Result<Self, Error> {
        let body_len = r.remaining();
        let code = r.u8("EAP code", path)?;
        let identifier = r.u8("EAP identifier", path)?;
        let len_at = r.offset();
        let length = usize::from(r.u16("EAP length", path)?);
        if length != body_len {
            return Err(path.error(
                len_at,
                ErrorKind::BadLength {
                    what: "EAP length",
                    value: length,
                    reason: "differs from the EAP payload's length (RFC 7296 §3.16: one EAP message per payload)",
                },
            ));
        }
        let eap_type = match code {
            eap_code::SUCCESS | eap_code::FAILURE => None,
            _ if r.is_empty() => None,
            _ => Some(r.u8("EAP type", path)?),
        };
        Ok(Self {
            code,
            identifier,
            eap_type,
            data: r.rest().to_vec(),
        })
    }

    pub fn buffer_len(&self) -> usize {
        4 + usize::from(self.eap_type.is_some()) + self.data.len()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.code);
        out.push(self.identifier);
        out.extend_from_slice(&(self.buffer_len() as u16).to_be_bytes());
        if let Some(t) = self.eap_type {
            out.push(t);
        }
        out.extend_from_slice(&self.data);
    }
}
