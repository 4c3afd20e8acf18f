//! Conformance findings: deviations RFC 7296 tells a receiver to ignore.
//!
//! A normal IKEv2 stack silently ignores a non-zero RESERVED field or a higher minor version. A
//! conformance tool must see them, so the parser records each one next to the parsed message
//! instead of dropping it. Findings never stop parsing.

use core::fmt;

/// One deviation, located like an [`Error`](crate::Error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Offset of the field in the parsed buffer.
    pub offset: usize,
    /// Payload path, e.g. `SA[0]/Proposal[0]/Transform[2]`.
    pub path: String,
    /// What deviates.
    pub kind: FindingKind,
}

/// The kinds of deviation the parser records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    /// A RESERVED field is not zero ("MUST be sent as zero; MUST be ignored on receipt").
    NonZeroReserved { field: &'static str, value: u32 },
    /// The header's minor version is not 0 (RFC 7296 §3.1: ignore on receipt).
    MinorVersion(u8),
    /// The Version flag is set (RFC 7296 §3.1: send as 0 in IKEv2, ignore on receipt).
    VersionFlag,
    /// Flag bits other than I, V and R are set (RFC 7296 §3.1: send as 0, ignore on receipt).
    UnknownFlags(u8),
    /// The critical bit is set on a payload type defined in RFC 7296 (§3.2: it MUST be 0 there).
    CriticalOnKnownPayload,
    /// The datagram carries bytes beyond the header's Length field; they are not part of the message.
    TrailingDatagramBytes(usize),
    /// The payload chain ended (next payload NONE) before the header's Length; the rest is unparsed.
    UnparsedMessageBytes(usize),
    /// A proposal or transform "last substructure" byte does not say whether another follows
    /// correctly (RFC 7296 §3.3.1/§3.3.2: 0 for last, 2 or 3 for more).
    LastSubstructure { expected: u8, found: u8 },
    /// Proposal numbers must start at 1 and increase by one (RFC 7296 §3.3.1).
    ProposalNumber { expected: u8, found: u8 },
    /// A Nonce outside 16..=256 octets (RFC 7296 §3.9).
    NonceLength(usize),
    /// A Notify's SPI Size is not what its Protocol ID allows (RFC 7296 §3.10).
    NotifySpiSize { protocol: u8, spi_size: usize },
    /// The Key Exchange Data length does not match the method's fixed length (RFC 7296 §3.4).
    KeyExchangeLength {
        method: u16,
        expected: usize,
        found: usize,
    },
}

impl FindingKind {
    /// The RFC requirement the deviation relates to.
    pub fn reference(&self) -> &'static str {
        match self {
            Self::NonZeroReserved { .. } => "RFC 7296 §3.2",
            Self::MinorVersion(_) | Self::VersionFlag | Self::UnknownFlags(_) => "RFC 7296 §3.1",
            Self::CriticalOnKnownPayload => "RFC 7296 §3.2",
            Self::TrailingDatagramBytes(_) | Self::UnparsedMessageBytes(_) => "RFC 7296 §3.1",
            Self::LastSubstructure { .. } | Self::ProposalNumber { .. } => "RFC 7296 §3.3.1",
            Self::NonceLength(_) => "RFC 7296 §3.9",
            Self::NotifySpiSize { .. } => "RFC 7296 §3.10",
            Self::KeyExchangeLength { .. } => "RFC 7296 §3.4",
        }
    }

    /// A short stable identifier, for JSON output and assertions.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NonZeroReserved { .. } => "non-zero-reserved",
            Self::MinorVersion(_) => "minor-version",
            Self::VersionFlag => "version-flag",
            Self::UnknownFlags(_) => "unknown-flags",
            Self::CriticalOnKnownPayload => "critical-on-known-payload",
            Self::TrailingDatagramBytes(_) => "trailing-datagram-bytes",
            Self::UnparsedMessageBytes(_) => "unparsed-message-bytes",
            Self::LastSubstructure { .. } => "last-substructure",
            Self::ProposalNumber { .. } => "proposal-number",
            Self::NonceLength(_) => "nonce-length",
            Self::NotifySpiSize { .. } => "notify-spi-size",
            Self::KeyExchangeLength { .. } => "key-exchange-length",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonZeroReserved { field, value } => {
                write!(f, "{field} is {value:#x}, must be zero")
            }
            Self::MinorVersion(v) => write!(f, "minor version is {v}, IKEv2 senders use 0"),
            Self::VersionFlag => f.write_str("Version flag set; IKEv2 senders clear it"),
            Self::UnknownFlags(bits) => write!(f, "undefined flag bits {bits:#04x} set"),
            Self::CriticalOnKnownPayload => {
                f.write_str("critical bit set on a payload type defined by RFC 7296")
            }
            Self::TrailingDatagramBytes(n) => {
                write!(f, "{n} bytes after the message (beyond the header Length)")
            }
            Self::UnparsedMessageBytes(n) => {
                write!(f, "{n} bytes inside the message after the last payload")
            }
            Self::LastSubstructure { expected, found } => {
                write!(f, "last-substructure byte is {found}, expected {expected}")
            }
            Self::ProposalNumber { expected, found } => {
                write!(f, "proposal number {found}, expected {expected}")
            }
            Self::NonceLength(n) => write!(f, "nonce of {n} octets (allowed 16..=256)"),
            Self::NotifySpiSize { protocol, spi_size } => {
                write!(f, "SPI size {spi_size} with protocol ID {protocol}")
            }
            Self::KeyExchangeLength {
                method,
                expected,
                found,
            } => write!(
                f,
                "key exchange data of {found} octets for method {method}, expected {expected}"
            ),
        }
    }
}

/// Collects findings during a parse.
#[derive(Debug, Default)]
pub(crate) struct Findings(pub(crate) Vec<Finding>);

impl Findings {
    pub(crate) fn push(&mut self, offset: usize, path: &crate::error::Path<'_>, kind: FindingKind) {
        self.0.push(Finding {
            offset,
            path: path.render(),
            kind,
        });
    }

    pub(crate) fn reserved(
        &mut self,
        offset: usize,
        path: &crate::error::Path<'_>,
        field: &'static str,
        value: u32,
    ) {
        if value != 0 {
            self.push(offset, path, FindingKind::NonZeroReserved { field, value });
        }
    }
}
