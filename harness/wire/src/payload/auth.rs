//! Authentication payload (RFC 7296 §3.8).

use crate::error::Path;
use crate::finding::Findings;
use crate::iana::AuthMethod;
use crate::reader::{octet_and_reserved24, Reader};
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AuthPayload {
    pub method: AuthMethod,
    pub reserved: [u8; 3],
    /// The authentication data; for method 14 (RFC 7427) it starts with the length-prefixed
    /// AlgorithmIdentifier.
    pub data: Vec<u8>,
}

impl AuthPayload {
    pub(crate) fn parse(
        mut r: Reader<'_>,
        path: &Path<'_>,
        f: &mut Findings,
    ) -> Result<Self, Error> {
        let (method, reserved) =
            octet_and_reserved24(&mut r, path, f, "auth method", "AUTH RESERVED")?;
        let method = AuthMethod(method);
        Ok(Self {
            method,
            reserved,
            data: r.rest().to_vec(),
        })
    }

    pub fn buffer_len(&self) -> usize {
        4 + self.data.len()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.method.0);
        out.extend_from_slice(&self.reserved);
        out.extend_from_slice(&self.data);
    }
}
