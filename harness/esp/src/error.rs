//! Typed errors: each says which SA, which packet (sequence number) and why.
//!
//! No variant on the per-packet paths owns heap data, so a rejected packet costs no allocation
//! (replays and forgeries are normal traffic for a receiver).

use ikelab_crypto::CryptoError;

/// Errors of SA construction, sealing and opening.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EspError {
    /// The SA configuration is not usable.
    #[error("ESP SA {spi:#010x}: invalid configuration: {reason}")]
    Config {
        /// SPI of the SA being built.
        spi: u32,
        /// What is wrong.
        reason: &'static str,
    },
    /// No transform with this IANA ID (and key length) is implemented.
    #[error("unsupported ESP {kind} transform ID {id} (key length {key_bits:?})")]
    Unsupported {
        /// "ENCR" or "INTEG".
        kind: &'static str,
        /// IANA transform ID.
        id: u16,
        /// Key Length attribute in bits, if any.
        key_bits: Option<u16>,
    },
    /// A key had the wrong length for its transform.
    #[error("ESP SA {spi:#010x}: {which} key is {got} octets, {transform} needs {expected}")]
    KeyLength {
        /// SPI of the SA being built.
        spi: u32,
        /// "encryption" or "integrity".
        which: &'static str,
        /// Transform name.
        transform: &'static str,
        /// Required length (salt included for AEADs).
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// The outbound sequence number space is used up: the SA must be rekeyed, never wrapped
    /// (RFC 4303 §3.3.3).
    #[error("ESP SA {spi:#010x}: sequence numbers exhausted (last sent {last:#x}); rekey needed (RFC 4303 §3.3.3)")]
    SequenceExhausted {
        /// SPI of the SA.
        spi: u32,
        /// The last sequence number sent.
        last: u64,
    },
    /// The caller's output buffer cannot hold the result.
    #[error("ESP SA {spi:#010x}: output buffer holds {got} octets, {needed} needed")]
    BufferTooSmall {
        /// SPI of the SA.
        spi: u32,
        /// Octets needed.
        needed: usize,
        /// Octets available.
        got: usize,
    },
    /// The packet is shorter than header, IV, minimal trailer and ICV.
    #[error("ESP SA {spi:#010x}: packet of {len} octets is shorter than the minimum {min}")]
    Truncated {
        /// SPI of the SA.
        spi: u32,
        /// Packet length.
        len: usize,
        /// Minimum for this SA's transforms.
        min: usize,
    },
    /// The packet's SPI is not this SA's.
    #[error("ESP packet carries SPI {got:#010x}, the SA has {expected:#010x}")]
    WrongSpi {
        /// The SA's SPI.
        expected: u32,
        /// The packet's SPI.
        got: u32,
    },
    /// No inbound SA has the packet's SPI.
    #[error("no inbound ESP SA for SPI {spi:#010x}")]
    UnknownSpi {
        /// The packet's SPI.
        spi: u32,
    },
    /// The ciphertext is not a whole number of cipher blocks (RFC 4303 §2.4).
    #[error("ESP SA {spi:#010x}: ciphertext of {len} octets is not a multiple of the {block}-octet block")]
    NotBlockAligned {
        /// SPI of the SA.
        spi: u32,
        /// Ciphertext length.
        len: usize,
        /// Cipher block size.
        block: usize,
    },
    /// The sequence number was already received (RFC 4303 §3.4.3).
    #[error("ESP SA {spi:#010x}: sequence number {seq:#x} is a replay (RFC 4303 §3.4.3)")]
    Replay {
        /// SPI of the SA.
        spi: u32,
        /// The (inferred) sequence number.
        seq: u64,
    },
    /// The sequence number is left of the replay window (RFC 4303 §3.4.3).
    #[error("ESP SA {spi:#010x}: sequence number {seq:#x} is behind the replay window (highest {top:#x}, size {window}) (RFC 4303 §3.4.3)")]
    TooOld {
        /// SPI of the SA.
        spi: u32,
        /// The (inferred) sequence number; with ESN, the received low 32 bits alone when the
        /// inferred high bits would leave the 64-bit space (RFC 4303 Appendix A2.2).
        seq: u64,
        /// Highest authenticated sequence number.
        top: u64,
        /// Window size.
        window: u32,
    },
    /// The ICV did not verify (RFC 4303 §3.4.4).
    #[error(
        "ESP SA {spi:#010x}: integrity check failed for sequence number {seq:#x} (RFC 4303 §3.4.4)"
    )]
    Integrity {
        /// SPI of the SA.
        spi: u32,
        /// The (inferred) sequence number.
        seq: u64,
    },
    /// The Pad Length field points before the start of the payload.
    #[error("ESP SA {spi:#010x}, sequence number {seq:#x}: pad length {pad_len} does not fit in {available} decrypted octets (RFC 4303 §2.5)")]
    PadLength {
        /// SPI of the SA.
        spi: u32,
        /// Sequence number.
        seq: u64,
        /// The Pad Length field.
        pad_len: u8,
        /// Decrypted octets before the Pad Length field.
        available: usize,
    },
    /// A padding octet is not the RFC 4303 §2.4 default (1, 2, 3, ...).
    #[error("ESP SA {spi:#010x}, sequence number {seq:#x}: padding octet {index} is {got:#04x}, expected {expected:#04x} (RFC 4303 §2.4)")]
    Padding {
        /// SPI of the SA.
        spi: u32,
        /// Sequence number.
        seq: u64,
        /// Zero-based index of the octet within the padding.
        index: usize,
        /// Octet found.
        got: u8,
        /// Octet required.
        expected: u8,
    },
    /// A tunnel-mode SA received something other than an IP packet or a dummy packet.
    #[error("ESP tunnel-mode SA {spi:#010x}, sequence number {seq:#x}: next header {next_header} is not IPv4 (4), IPv6 (41) or dummy (59) (RFC 4303 §2.6)")]
    TunnelNextHeader {
        /// SPI of the SA.
        spi: u32,
        /// Sequence number.
        seq: u64,
        /// The Next Header field.
        next_header: u8,
    },
    /// The inner IP header of a tunnel-mode packet disagrees with the ESP payload.
    #[error("ESP tunnel-mode SA {spi:#010x}, sequence number {seq:#x}: inner packet {reason}")]
    InnerPacket {
        /// SPI of the SA.
        spi: u32,
        /// Sequence number (0 when sealing).
        seq: u64,
        /// What is inconsistent.
        reason: &'static str,
    },
    /// A UDP-encapsulated datagram (RFC 3948) could not be parsed or built.
    #[error("UDP encapsulation: {reason}")]
    Udp {
        /// What is wrong.
        reason: &'static str,
    },
    /// A packet batch has no room for another packet.
    #[error("packet batch full: {packets} packets / {bytes} octets of capacity")]
    BatchFull {
        /// Packet capacity.
        packets: usize,
        /// Octet capacity.
        bytes: usize,
    },
    /// The crypto provider refused an operation (not an integrity failure).
    #[error("ESP SA {spi:#010x}: crypto: {source}")]
    Crypto {
        /// SPI of the SA.
        spi: u32,
        /// The provider's error.
        source: CryptoError,
    },
}
