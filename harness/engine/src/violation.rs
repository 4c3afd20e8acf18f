//! What a peer did wrong: one variant per requirement it can break, each knowing the RFC
//! section that states it and the Notify (if any) the engine answers with. Surfaced as
//! [`crate::EventKind::Violation`] so tests and scenarios assert on the exact rule.

use ikelab_wire::iana::{ExchangeType, KeMethod, NotifyType, PayloadType, ProtocolId};

/// Why authentication failed (all answered with AUTHENTICATION_FAILED, RFC 7296 §2.15/§2.21.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// The peer's identity is not the one the policy accepts.
    IdentityMismatch { received: String, expected: String },
    /// IDr in the initiator's IKE_AUTH names someone we are not.
    NotOurIdentity { requested: String },
    /// The AUTH method is not the one the policy uses for this peer (e.g. a signature where a
    /// PSK is configured).
    WrongMethod { method: u8 },
    /// The PSK MAC does not verify: the peer has another key.
    PskMismatch,
    /// A signature method without a usable certificate.
    MissingCertificate,
    /// The certificate does not chain to a trust anchor.
    UntrustedCertificate { reason: String },
    /// The certificate does not contain the peer's identity.
    CertificateIdentityMismatch { identity: String },
    /// The signature does not verify.
    BadSignature { reason: String },
    /// We could not produce our own AUTH (our key or method is unusable).
    LocalFailure { reason: String },
    /// A post-quantum preshared key could not be used and there is no acceptable fallback
    /// (RFC 8784 §3: mandatory PPK, or an unknown PPK_ID without NO_PPK_AUTH).
    PpkNotUsed { reason: String },
    /// EAP (RFC 7296 §2.16) failed: the peer's credentials were refused, the server did not
    /// prove it knows them (MS-CHAPv2 authenticator response), or the AUTH from the MSK did
    /// not verify.
    EapFailed { reason: String },
    /// An EAP message that does not parse (e.g. an MS-CHAPv2 Failure Request whose length
    /// leaves no room for its message, the CVE-2025-62291 shape).
    EapMalformed { reason: String },
}

/// A requirement the peer broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// Major version above 2 (RFC 7296 §2.5: drop, answer INVALID_MAJOR_VERSION).
    UnsupportedMajorVersion { major: u8 },
    /// A payload we do not understand has the critical bit (RFC 7296 §2.5).
    UnsupportedCriticalPayload { payload_type: PayloadType },
    /// The message does not parse (RFC 7296 §2.21: INVALID_SYNTAX when it is protected, a drop
    /// when it is not).
    Malformed { error: String },
    /// A payload the exchange requires is missing (RFC 7296 §1.2, §1.3: INVALID_SYNTAX).
    MissingPayload {
        exchange: ExchangeType,
        payload: PayloadType,
    },
    /// A payload appears more often than the exchange allows (RFC 7296 §3: INVALID_SYNTAX).
    DuplicatePayload {
        exchange: ExchangeType,
        payload: PayloadType,
    },
    /// A Nonce shorter than 16 or longer than 256 octets (RFC 7296 §2.10, §3.9).
    NonceLength { len: usize },
    /// No proposal we can accept (RFC 7296 §2.7: NO_PROPOSAL_CHOSEN).
    NoProposalChosen,
    /// The KE payload's group is not the one the chosen proposal implies (RFC 7296 §1.2:
    /// INVALID_KE_PAYLOAD naming the group we want).
    KeGroupMismatch {
        received: KeMethod,
        wanted: KeMethod,
    },
    /// The KE data is not a valid public value of its group (RFC 7296 §3.4, RFC 6989).
    InvalidKeData { group: KeMethod, reason: String },
    /// The responder's SA is not exactly one of our proposals with one transform of each type
    /// (RFC 7296 §2.7, §3.3.6).
    InvalidProposalChoice { reason: String },
    /// The responder's KE group differs from the one its SA payload chose (RFC 7296 §1.2).
    ResponseKeMismatch,
    /// The responder asks (INVALID_KE_PAYLOAD) for a group we did not offer (RFC 7296 §1.2).
    InvalidKeGroupNotOffered { group: KeMethod },
    /// Authentication failed (RFC 7296 §2.15, §2.21.2: AUTHENTICATION_FAILED).
    AuthenticationFailed(AuthFailure),
    /// No traffic selectors in common (RFC 7296 §2.9: TS_UNACCEPTABLE).
    TsUnacceptable,
    /// The responder's selectors are not a subset of ours (RFC 7296 §2.9).
    TsNotNarrowed,
    /// No address left in the pool (RFC 7296 §3.15.4: INTERNAL_ADDRESS_FAILURE).
    AddressPoolExhausted,
    /// A message for an IKE SA we do not know (RFC 7296 §2.21.4: INVALID_IKE_SPI, unprotected,
    /// to requests only).
    UnknownSpi { spi: u64, response: bool },
    /// A request outside the window (RFC 7296 §2.3: drop; INVALID_MESSAGE_ID is optional).
    MessageIdOutsideWindow { received: u32, expected: u32 },
    /// A response to no outstanding request (RFC 7296 §2.3: drop).
    UnexpectedResponse { message_id: u32 },
    /// The SK payload's integrity check failed (RFC 7296 §2.21.2, §3.14: drop silently).
    IntegrityCheckFailed,
    /// A protected exchange that is not encrypted (RFC 7296 §3.14: drop).
    NotEncrypted { exchange: ExchangeType },
    /// The Initiator flag does not match the sender's role (RFC 7296 §3.1: drop).
    WrongInitiatorFlag,
    /// An exchange this state does not accept (e.g. IKE_AUTH on an established SA).
    UnexpectedExchange {
        exchange: ExchangeType,
        state: &'static str,
    },
    /// IKE_SA_INIT request with a non-zero responder SPI (RFC 7296 §3.1: must be zero).
    NonZeroResponderSpi { spi: u64 },
    /// A COOKIE that does not verify (RFC 7296 §2.6: answered with a fresh COOKIE).
    InvalidCookie,
    /// A response's SPI, exchange or Message ID does not match our request.
    ResponseMismatch { reason: String },
    /// An error that may only be sent protected arrived unprotected (RFC 7296 §3.10.1
    /// INVALID_SYNTAX); per §2.21.1 it is only a hint and the request stays outstanding.
    UnprotectedErrorNotify { notify: NotifyType },
    /// A REKEY_SA notify that does not name an ESP or AH SA by a 4-octet SPI (RFC 7296 §3.10:
    /// for Child SAs the Protocol ID MUST be AH or ESP; the libreswan CVE-2023-38710 shape):
    /// answered with INVALID_SYNTAX, nothing changes.
    InvalidRekeySa {
        protocol: ProtocolId,
        spi_len: usize,
    },
    /// A rekey of a CHILD_SA we do not have (RFC 7296 §2.25: CHILD_SA_NOT_FOUND).
    RekeyOfUnknownChild { spi: u32 },
    /// A CREATE_CHILD_SA exchange that mixes an IKE SA rekey with Child SA payloads or sends
    /// a KE payload where none may be (RFC 7296 §1.3: INVALID_SYNTAX).
    MalformedCreateChild { reason: String },
    /// An IKE fragment (SKF) although fragmentation was not negotiated by both sides in
    /// IKE_SA_INIT (RFC 7383 §2.3): dropped.
    FragmentationNotNegotiated,
    /// An SKF payload in a message that is never protected (IKE_SA_INIT; RFC 7383 §2.5: only
    /// messages with an Encrypted payload are fragmented): dropped.
    FragmentOfUnprotectedMessage { exchange: ExchangeType },
    /// Fragment Number zero or above Total Fragments (RFC 7383 §2.6): dropped silently.
    InvalidFragmentNumber { number: u16, total: u16 },
    /// Total Fragments below that of the fragments of this message already held (RFC 7383
    /// §2.6: discarded; a greater value restarts reassembly instead). Can also be a late
    /// fragment from before the sender re-fragmented.
    FragmentTotalDecreased { total: u16, held: u16 },
    /// Total Fragments above our limit (RFC 7383 §5: limits against memory exhaustion).
    TooManyFragments { total: u16, limit: u16 },
    /// The reassembled message would exceed our size limit (RFC 7383 §5): the fragments held
    /// for it are dropped.
    ReassembledMessageTooLarge { bytes: usize, limit: usize },
    /// Unprotected payloads before the SKF payload of a fragment other than the first (RFC
    /// 7383 §2.5.3: they belong in fragment 1 only): dropped.
    UnprotectedPayloadInLaterFragment { number: u16 },
    /// A MOBIKE notify although MOBIKE was not negotiated (RFC 4555 §3.2): ignored.
    MobikeNotNegotiated { notify: NotifyType },
    /// UPDATE_SA_ADDRESSES from the original responder: only the initiator moves an IKE SA
    /// (RFC 4555 §3.5); answered, addresses kept.
    UpdateFromResponder,
    /// The COOKIE2 of an address update response does not echo ours (RFC 4555 §3.5).
    Cookie2Mismatch,
    /// NO_NATS_ALLOWED named other addresses than the packet came with (RFC 4555 §3.9).
    UnexpectedNat,
    /// A REDIRECT although we did not send REDIRECT_SUPPORTED (RFC 5685 §3): ignored.
    UnsolicitedRedirect,
    /// The nonce data of an IKE_SA_INIT REDIRECT is not our Ni (RFC 5685 §3.2): a forgery,
    /// ignored.
    RedirectNonceMismatch,
}

impl Violation {
    /// The RFC section stating the requirement.
    pub fn rfc_section(&self) -> &'static str {
        match self {
            Self::UnsupportedMajorVersion { .. } | Self::UnsupportedCriticalPayload { .. } => {
                "RFC 7296 §2.5"
            }
            Self::Malformed { .. } => "RFC 7296 §2.21",
            Self::MissingPayload { .. } => "RFC 7296 §1.2",
            Self::DuplicatePayload { .. } => "RFC 7296 §3",
            Self::NonceLength { .. } => "RFC 7296 §2.10",
            Self::NoProposalChosen | Self::InvalidProposalChoice { .. } => "RFC 7296 §2.7",
            Self::KeGroupMismatch { .. }
            | Self::ResponseKeMismatch
            | Self::InvalidKeGroupNotOffered { .. } => "RFC 7296 §1.2",
            Self::InvalidKeData { .. } => "RFC 7296 §3.4",
            Self::AuthenticationFailed(_) => "RFC 7296 §2.15",
            Self::TsUnacceptable | Self::TsNotNarrowed => "RFC 7296 §2.9",
            Self::AddressPoolExhausted => "RFC 7296 §3.15.4",
            Self::UnknownSpi { .. } => "RFC 7296 §2.21.4",
            Self::MessageIdOutsideWindow { .. } | Self::UnexpectedResponse { .. } => {
                "RFC 7296 §2.3"
            }
            Self::IntegrityCheckFailed | Self::NotEncrypted { .. } => "RFC 7296 §3.14",
            Self::WrongInitiatorFlag | Self::NonZeroResponderSpi { .. } => "RFC 7296 §3.1",
            Self::UnexpectedExchange { .. } | Self::ResponseMismatch { .. } => "RFC 7296 §1",
            Self::InvalidCookie => "RFC 7296 §2.6",
            Self::UnprotectedErrorNotify { .. } => "RFC 7296 §2.21.1",
            Self::InvalidRekeySa { .. } => "RFC 7296 §3.10",
            Self::RekeyOfUnknownChild { .. } => "RFC 7296 §2.25",
            Self::MalformedCreateChild { .. } => "RFC 7296 §1.3",
            Self::FragmentationNotNegotiated => "RFC 7383 §2.3",
            Self::FragmentOfUnprotectedMessage { .. } => "RFC 7383 §2.5",
            Self::InvalidFragmentNumber { .. } | Self::FragmentTotalDecreased { .. } => {
                "RFC 7383 §2.6"
            }
            Self::TooManyFragments { .. } | Self::ReassembledMessageTooLarge { .. } => {
                "RFC 7383 §5"
            }
            Self::UnprotectedPayloadInLaterFragment { .. } => "RFC 7383 §2.5.3",
            Self::MobikeNotNegotiated { .. } => "RFC 4555 §3.2",
            Self::UpdateFromResponder | Self::Cookie2Mismatch => "RFC 4555 §3.5",
            Self::UnexpectedNat => "RFC 4555 §3.9",
            Self::UnsolicitedRedirect => "RFC 5685 §3",
            Self::RedirectNonceMismatch => "RFC 5685 §3.2",
        }
    }

    /// The Notify the engine sends because of it, `None` for silent drops.
    pub fn notify(&self) -> Option<NotifyType> {
        Some(match self {
            Self::UnsupportedMajorVersion { .. } => NotifyType::INVALID_MAJOR_VERSION,
            Self::UnsupportedCriticalPayload { .. } => NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD,
            Self::Malformed { .. }
            | Self::MissingPayload { .. }
            | Self::DuplicatePayload { .. }
            | Self::NonceLength { .. }
            | Self::InvalidKeData { .. }
            | Self::InvalidRekeySa { .. }
            | Self::MalformedCreateChild { .. } => NotifyType::INVALID_SYNTAX,
            Self::RekeyOfUnknownChild { .. } => NotifyType::CHILD_SA_NOT_FOUND,
            Self::NoProposalChosen => NotifyType::NO_PROPOSAL_CHOSEN,
            Self::KeGroupMismatch { .. } => NotifyType::INVALID_KE_PAYLOAD,
            Self::AuthenticationFailed(_) => NotifyType::AUTHENTICATION_FAILED,
            Self::TsUnacceptable => NotifyType::TS_UNACCEPTABLE,
            Self::AddressPoolExhausted => NotifyType::INTERNAL_ADDRESS_FAILURE,
            Self::UnknownSpi {
                response: false, ..
            } => NotifyType::INVALID_IKE_SPI,
            Self::InvalidCookie => NotifyType::COOKIE,
            Self::UnexpectedNat => NotifyType::UNEXPECTED_NAT_DETECTED,
            Self::UnknownSpi { response: true, .. }
            | Self::InvalidProposalChoice { .. }
            | Self::ResponseKeMismatch
            | Self::InvalidKeGroupNotOffered { .. }
            | Self::TsNotNarrowed
            | Self::MessageIdOutsideWindow { .. }
            | Self::UnexpectedResponse { .. }
            | Self::IntegrityCheckFailed
            | Self::NotEncrypted { .. }
            | Self::WrongInitiatorFlag
            | Self::UnexpectedExchange { .. }
            | Self::NonZeroResponderSpi { .. }
            | Self::ResponseMismatch { .. }
            | Self::UnprotectedErrorNotify { .. }
            | Self::FragmentationNotNegotiated
            | Self::FragmentOfUnprotectedMessage { .. }
            | Self::InvalidFragmentNumber { .. }
            | Self::FragmentTotalDecreased { .. }
            | Self::TooManyFragments { .. }
            | Self::ReassembledMessageTooLarge { .. }
            | Self::UnprotectedPayloadInLaterFragment { .. }
            | Self::MobikeNotNegotiated { .. }
            | Self::UpdateFromResponder
            | Self::Cookie2Mismatch
            | Self::UnsolicitedRedirect
            | Self::RedirectNonceMismatch => return None,
        })
    }
}

impl core::fmt::Display for Violation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{self:?} ({})", self.rfc_section())?;
        if let Some(n) = self.notify() {
            write!(f, " -> {n}")?;
        }
        Ok(())
    }
}
