//! IKEv2 (RFC 7296), ESP (RFC 4303) and UDP-encapsulation (RFC 3948) wire formats.
//!
//! Two levels, after smoltcp's `wire`:
//! - **Views** over byte buffers for fixed-layout headers ([`HeaderPacket`], [`EspPacket`]):
//!   `new_checked` checks the length once, after which no accessor panics.
//! - **Reprs**: owned, typed values ([`Message`], [`Payload`] and one struct per payload type)
//!   with `parse`, `buffer_len` and `emit`. RESERVED fields and the critical bit are kept, so
//!   received bytes re-encode unchanged and a test can set them on purpose.
//!
//! Contract: parsing never panics on any input; it returns either a [`Parsed`] message with
//! the [`Finding`]s (deviations the RFC tells receivers to ignore) or an [`Error`] naming the byte
//! offset and payload path. For input in canonical form, `parse(b).message.emit() == b`
//! ([`Parsed::is_canonical`] says when that holds). Every IANA registry is an open newtype in
//! [`iana`], so unknown values round-trip.
#![warn(clippy::unwrap_used)]

pub mod error;
pub mod esp;
pub mod finding;
pub mod fuzzing;
pub mod header;
pub mod iana;
pub mod message;
pub mod payload;
mod reader;

pub use error::{Error, ErrorKind};
pub use esp::{EspHeader, EspPacket, Udp4500};
pub use finding::{Finding, FindingKind};
pub use header::{Flags, Header, HeaderPacket, HEADER_LEN};
pub use message::{Message, Parsed};
pub use payload::{Payload, PayloadBody};
