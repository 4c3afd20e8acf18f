//! Certificate and Certificate Request payloads (RFC 7296 §3.6, §3.7).

use crate::error::Path;
use crate::iana::CertEncoding;
use crate::reader::Reader;
use crate::Error;

/// CERT and CERTREQ share one layout: an encoding octet and opaque data (a certificate, or for
/// CERTREQ a concatenation of 20-octet SHA-1 hashes of trusted CA public keys).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CertPayload {
    pub encoding: CertEncoding,
    pub data: Vec<u8>,
}

impl CertPayload {
    pub(crate) fn parse(mut r: Reader<'_>, path: &Path<'_>) -> Result<Self, Error> {
        let encoding = CertEncoding(r.u8("certificate encoding", path)?);
        Ok(Self {
            encoding,
            data: r.rest().to_vec(),
        })
    }

    pub fn buffer_len(&self) -> usize {
        1 + self.data.len()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.encoding.0);
        out.extend_from_slice(&self.data);
    }
}
