//! ikelab ESP data plane (RFC 4303). Knows nothing of IKE: a control plane hands it keys.
//!
//! * [`OutboundSa::seal`] / [`InboundSa::open`] work on caller buffers and allocate nothing
//!   per packet (the shape of boringtun's `encapsulate`/`decapsulate`);
//!   [`OutboundSa::seal_in_place`] encrypts an inner packet left at [`OutboundSa::headroom`].
//! * IVs ([`IvSource`]): the sequence number for AES-GCM, ChaCha20-Poly1305 and GMAC (unique
//!   per key, RFC 4106 §3.1), the CSPRNG for CBC (unpredictable, RFC 3602 §2.1).
//! * Transforms ([`Encryption`], [`Integrity`]): AES-GCM (RFC 4106), ChaCha20-Poly1305
//!   (RFC 7634), AES-GMAC (RFC 4543), AES-CBC and 3DES-CBC with HMAC-SHA1/SHA2 (RFC 3602,
//!   RFC 4868), NULL with integrity (RFC 2410). All primitives come from `ikelab-crypto`.
//! * 32-bit and extended sequence numbers (RFC 4303 §2.2.1); exhaustion is an error
//!   ([`EspError::SequenceExhausted`]), never a wrap.
//! * [`ReplayWindow`]: 32 to 65536 packets, RFC 6479 block ring, RFC 4303 Appendix A ESN
//!   inference; checked before the ICV, updated after it.
//! * [`udp`]: ESP-in-UDP and NAT-keepalives (RFC 3948). [`batch`]: many packets per call into
//!   one buffer; [`shard`]: SAs spread over threads.
//! * [`fuzzing`]: the body of the `esp_open` fuzz target.

#![warn(clippy::unwrap_used, clippy::expect_used)]
#![warn(missing_docs)]

pub mod batch;
mod config;
mod error;
pub mod fuzzing;
mod inbound;
mod outbound;
mod replay;
pub mod shard;
mod table;
mod transform;
pub mod udp;

pub use batch::PacketBatch;
pub use config::{
    Encryption, Integrity, IvSource, Mode, SaConfig, SaKeys, Suite, MAX_REPLAY_WINDOW,
    MIN_REPLAY_WINDOW,
};
pub use error::EspError;
pub use inbound::{InboundSa, Opened};
pub use outbound::{OutboundSa, NEXT_HEADER_DUMMY, NEXT_HEADER_IPV4, NEXT_HEADER_IPV6};
pub use replay::{ReplayVerdict, ReplayWindow};
pub use table::InboundTable;

/// Per-SA counters (for lifetimes, tests and the engine's delivery counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaStats {
    /// Packets sealed, or opened with a valid ICV.
    pub packets: u64,
    /// Inner octets sealed or delivered.
    pub octets: u64,
    /// Inbound: refused by the replay window.
    pub replayed: u64,
    /// Inbound: ICV did not verify.
    pub integrity_failed: u64,
    /// Inbound: refused for length, SPI, alignment, padding or inner header.
    pub malformed: u64,
}
