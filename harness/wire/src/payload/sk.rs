//! Encrypted (SK, RFC 7296 §3.14) and Encrypted Fragment (SKF, RFC 7383 §2.5) payloads.
//!
//! The protected body (IV, ciphertext, padding, ICV) is opaque here: its layout depends on the
//! negotiated transforms, which the crypto layer knows.

use crate::error::{ErrorKind, Path};
use crate::iana::PayloadType;
use crate::reader::Reader;
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SkPayload {
    /// The type of the first inner payload (the SK payload's Next Payload field).
    pub first_payload: PayloadType,
    /// IV, encrypted payloads, padding, pad length and ICV.
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SkfPayload {
    /// First inner payload type in fragment 1; 0 in the others (RFC 7383 §2.5).
    pub first_payload: PayloadType,
    /// 1-based.
    pub fragment_number: u16,
    pub total_fragments: u16,
    pub body: Vec<u8>,
}

impl SkfPayload {
    pub(crate) fn parse(
        mut r: Reader<'_>,
        first_payload: PayloadType,
        path: &Path<'_>,
    ) -> Result<Self, Error> {
        let at = r.offset();
        let fragment_number = r.u16("fragment number", path)?;
        let total_fragments = r.u16("total fragments", path)?;
        // RFC 7383 §2.5: number 0 or beyond the total is invalid; such a fragment is discarded.
        if fragment_number == 0 || fragment_number > total_fragments {
            return Err(path.error(
                at,
                ErrorKind::BadLength {
                    what: "fragment number",
                    value: usize::from(fragment_number),
                    reason: "must be between 1 and Total Fragments",
                },
            ));
        }
        Ok(Self {
            first_payload,
            fragment_number,
            total_fragments,
            body: r.rest().to_vec(),
        })
    }

    pub fn buffer_len(&self) -> usize {
        4 + self.body.len()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.fragment_number.to_be_bytes());
        out.extend_from_slice(&self.total_fragments.to_be_bytes());
        out.extend_from_slice(&self.body);
    }
}
