//! Incoming messages for an existing SA: window checks, decryption, dispatch.

use std::net::SocketAddr;

use ikelab_crypto::sk::SkError;
use ikelab_wire::iana::{ExchangeType, NotifyType};
use ikelab_wire::payload::{Payload, PayloadBody};
use ikelab_wire::{Finding, Message, Parsed};

use super::exchange::{Purpose, RequestCheck};
use super::fragment::{self, Added, FragmentId, Precheck};
use super::{notify, unsupported_critical, Ctx, Followup, IkeSa, State};
use crate::event::{CloseReason, Direction};
use crate::violation::Violation;
use crate::EngineError;

/// Why an SK payload could not be used.
pub(crate) enum OpenError {
    NotEncrypted,
    /// A fragment was stored; the message is not complete yet.
    Incomplete,
    /// A fragment was dropped by the reassembly rules (RFC 7383 §2.6, §5).
    FragmentDiscarded(Violation),
    /// A fragment already held arrived again (RFC 7383 §2.6): dropped without a violation.
    FragmentReplay,
    Integrity,
    Syntax(String),
}

impl IkeSa {
    /// Handles a parsed message addressed to this SA.
    pub(crate) fn on_message(
        &mut self,
        ctx: &mut Ctx<'_>,
        local: SocketAddr,
        remote: SocketAddr,
        raw: &[u8],
        parsed: Parsed,
    ) -> Result<Followup, EngineError> {
        let h = &parsed.message.header;
        if let Some(i) = self.retired_index(h.initiator_spi, h.responder_spi) {
            self.on_retired_message(ctx, i, local, remote, raw, parsed)?;
            return Ok(Followup::default());
        }
        if h.flags.initiator() == self.initiator {
            self.violation(ctx, Violation::WrongInitiatorFlag);
            return Ok(Followup::default());
        }
        if h.flags.response() {
            if !self.is_closed() {
                self.on_response(ctx, raw, parsed)?;
            }
            return Ok(Followup::default());
        }
        self.on_request(ctx, local, remote, raw, parsed)
    }

    fn on_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        local: SocketAddr,
        remote: SocketAddr,
        raw: &[u8],
        parsed: Parsed,
    ) -> Result<Followup, EngineError> {
        let msg = &parsed.message;
        let h = &msg.header;
        match self.xchg.check_request(h.message_id) {
            RequestCheck::Retransmitted => {
                self.trace(
                    ctx,
                    Direction::Received,
                    h,
                    false,
                    &[],
                    true,
                    parsed.findings,
                    raw.len(),
                );
                // A fragmented request is answered once, on its first fragment.
                let later_fragment = matches!(
                    msg.encrypted().map(|p| &p.body),
                    Some(PayloadBody::Skf(f)) if f.fragment_number != 1
                );
                if !later_fragment {
                    self.resend_cached(ctx);
                }
                return Ok(Followup::default());
            }
            RequestCheck::OutOfWindow { expected } => {
                self.violation(
                    ctx,
                    Violation::MessageIdOutsideWindow {
                        received: h.message_id,
                        expected,
                    },
                );
                return Ok(Followup::default());
            }
            RequestCheck::New if self.is_closed() => return Ok(Followup::default()),
            RequestCheck::New => {}
        }
        let exchange = h.exchange_type;
        if exchange == ExchangeType::IKE_SA_INIT {
            let state = self.state.name();
            self.violation(ctx, Violation::UnexpectedExchange { exchange, state });
            return Ok(Followup::default());
        }
        let (inner, findings) = match self.decrypt(ctx, raw, msg) {
            Ok(x) => x,
            Err(e) => return self.request_undecryptable(ctx, h.message_id, exchange, e),
        };
        let mut all_findings = parsed.findings;
        all_findings.extend(findings);
        self.trace(
            ctx,
            Direction::Received,
            h,
            true,
            &inner,
            false,
            all_findings,
            raw.len(),
        );
        self.last_heard = ctx.now;
        // Answer where the authenticated request came from: the initiator may have moved to
        // the NAT-T port (§2.23) or its NAT mapping may have changed.
        self.path.local = local;
        self.path.remote = remote;
        self.path.encap = local.port() == ctx.config.nat_t_port;
        self.follow_peer_address(ctx);
        // §1 (RFC7296-1-01): until IKE_AUTH completes no other exchange runs. Drop it
        // unanswered, so it does not take the Message ID the real IKE_AUTH needs.
        if matches!(self.state, State::ExpectAuthRequest) && exchange != ExchangeType::IKE_AUTH {
            let state = self.state.name();
            self.violation(ctx, Violation::UnexpectedExchange { exchange, state });
            return Ok(Followup::default());
        }
        if let Some(t) = unsupported_critical(&inner) {
            self.violation(
                ctx,
                Violation::UnsupportedCriticalPayload { payload_type: t },
            );
            self.respond(
                ctx,
                exchange,
                h.message_id,
                vec![notify(NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD, vec![t.0])],
            )?;
            if self.is_half_open() {
                self.close(
                    ctx,
                    CloseReason::LocalError(NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD),
                );
            }
            return Ok(Followup::default());
        }
        match (exchange, &self.state) {
            (ExchangeType::IKE_AUTH, State::ExpectAuthRequest) => {
                self.on_auth_request(ctx, h.message_id, &inner)
            }
            (ExchangeType::INFORMATIONAL, _) => self.on_info_request(ctx, h.message_id, &inner),
            (ExchangeType::CREATE_CHILD_SA, State::Established) => {
                self.on_create_request(ctx, h.message_id, &inner)
            }
            _ => {
                let state = self.state.name();
                self.violation(ctx, Violation::UnexpectedExchange { exchange, state });
                Ok(Followup::default())
            }
        }
    }

    /// A request whose SK payload is missing, forged or malformed.
    fn request_undecryptable(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        exchange: ExchangeType,
        e: OpenError,
    ) -> Result<Followup, EngineError> {
        match e {
            OpenError::NotEncrypted => self.violation(ctx, Violation::NotEncrypted { exchange }),
            OpenError::Integrity => self.violation(ctx, Violation::IntegrityCheckFailed),
            OpenError::Incomplete | OpenError::FragmentReplay => {}
            OpenError::FragmentDiscarded(v) => self.violation(ctx, v),
            OpenError::Syntax(error) => {
                // Authenticated but malformed: §2.21.2 INVALID_SYNTAX, and an IKE_AUTH
                // failure ends the half-open SA.
                self.violation(ctx, Violation::Malformed { error });
                self.respond(
                    ctx,
                    exchange,
                    message_id,
                    vec![notify(NotifyType::INVALID_SYNTAX, Vec::new())],
                )?;
                if self.is_half_open() {
                    self.close(ctx, CloseReason::LocalError(NotifyType::INVALID_SYNTAX));
                }
            }
        }
        Ok(Followup::default())
    }

    /// The unprotected IKE_SA_INIT error to act on now: we kept trying (one retransmission)
    /// and no valid response came before its wait ended (§2.21.1).
    pub(crate) fn init_error_due(&self, now: crate::Timestamp) -> Option<NotifyType> {
        let o = self.xchg.outstanding.as_ref()?;
        (o.exchange == ExchangeType::IKE_SA_INIT && o.attempt >= 1 && o.deadline <= now)
            .then_some(self.xchg.init_error)
            .flatten()
    }

    fn on_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        raw: &[u8],
        parsed: Parsed,
    ) -> Result<(), EngineError> {
        let msg = &parsed.message;
        let h = &msg.header;
        if !self.xchg.matches_outstanding(h.message_id) {
            if !self.xchg.is_old_response(h.message_id) {
                self.violation(
                    ctx,
                    Violation::UnexpectedResponse {
                        message_id: h.message_id,
                    },
                );
            }
            return Ok(());
        }
        let Some(expected) = self.xchg.outstanding.as_ref().map(|o| o.exchange) else {
            return Ok(());
        };
        if expected != h.exchange_type {
            self.violation(
                ctx,
                Violation::ResponseMismatch {
                    reason: format!("{} response to our {expected} request", h.exchange_type),
                },
            );
            return Ok(());
        }
        if expected == ExchangeType::IKE_SA_INIT {
            // RFC 7383 §2.5: IKE_SA_INIT is never fragmented; an unprotected SKF may be forged,
            // so the request stays outstanding.
            if msg
                .payloads
                .iter()
                .any(|p| matches!(p.body, PayloadBody::Skf(_)))
            {
                let exchange = expected;
                self.violation(ctx, Violation::FragmentOfUnprotectedMessage { exchange });
                return Ok(());
            }
            self.trace(
                ctx,
                Direction::Received,
                h,
                false,
                &msg.payloads,
                false,
                parsed.findings.clone(),
                raw.len(),
            );
            // INVALID_SYNTAX is only ever sent protected (§3.10.1) and an unprotected error
            // may be forged (§2.21.1): keep the request outstanding and wait for a real
            // response until the retransmission timer gives up.
            if super::has_notify(&msg.payloads, NotifyType::INVALID_SYNTAX) {
                let notify = NotifyType::INVALID_SYNTAX;
                self.violation(ctx, Violation::UnprotectedErrorNotify { notify });
                return Ok(());
            }
            // §2.21.1: other errors may be forged too; only COOKIE, INVALID_KE_PAYLOAD and
            // INVALID_MAJOR_VERSION have corrective actions to take at once. For the rest we
            // retransmit once and wait for a valid response (`init_error_due`).
            if let Some(n) = super::error_notify(&msg.payloads).filter(|n| {
                *n != NotifyType::INVALID_KE_PAYLOAD && *n != NotifyType::INVALID_MAJOR_VERSION
            }) {
                self.xchg.init_error = Some(n);
                return Ok(());
            }
            // RFC 5685 §3.2: a REDIRECT instead of the response (ignored when forged).
            if self.init_redirect_response(ctx, &msg.payloads) {
                return Ok(());
            }
            self.xchg.init_error = None;
            self.xchg.outstanding = None;
            self.last_heard = ctx.now;
            return self.on_init_response(ctx, raw, msg);
        }
        let (inner, findings) = match self.decrypt(ctx, raw, msg) {
            Ok(x) => x,
            Err(OpenError::Syntax(error)) => {
                // Authentic but unusable: the exchange failed.
                self.violation(
                    ctx,
                    Violation::Malformed {
                        error: error.clone(),
                    },
                );
                let done = self.xchg.outstanding.take();
                if matches!(self.state, State::ExpectAuthResponse(_)) {
                    self.close(ctx, CloseReason::ProtocolError(error));
                }
                if let Some(Purpose::CreateChild { token }) = done.map(|d| d.purpose) {
                    self.create_abandoned(ctx, token, NotifyType::INVALID_SYNTAX)?;
                }
                return self.pump(ctx);
            }
            Err(OpenError::Integrity) => {
                self.violation(ctx, Violation::IntegrityCheckFailed);
                return Ok(());
            }
            Err(OpenError::Incomplete | OpenError::FragmentReplay) => return Ok(()),
            Err(OpenError::FragmentDiscarded(v)) => {
                self.violation(ctx, v);
                return Ok(());
            }
            Err(OpenError::NotEncrypted) => {
                self.violation(ctx, Violation::NotEncrypted { exchange: expected });
                return Ok(());
            }
        };
        let mut all = parsed.findings;
        all.extend(findings);
        self.trace(
            ctx,
            Direction::Received,
            h,
            true,
            &inner,
            false,
            all,
            raw.len(),
        );
        self.last_heard = ctx.now;
        let Some(done) = self.xchg.outstanding.take() else {
            return Ok(());
        };
        if let Some(t) = unsupported_critical(&inner) {
            self.violation(
                ctx,
                Violation::UnsupportedCriticalPayload { payload_type: t },
            );
            if done.purpose == Purpose::Auth {
                self.close(
                    ctx,
                    CloseReason::LocalError(NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD),
                );
            }
            if let Purpose::CreateChild { token } = done.purpose {
                self.create_abandoned(ctx, token, NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD)?;
            }
            return self.pump(ctx);
        }
        match done.purpose {
            Purpose::Auth => self.on_auth_response(ctx, &inner)?,
            Purpose::CreateChild { token } => self.on_create_response(ctx, token, &inner)?,
            purpose => self.on_info_response(ctx, purpose, &inner)?,
        }
        self.pump(ctx)
    }

    /// Verifies and decrypts the SK payload ending `msg` (or one SKF fragment, RFC 7383), and
    /// parses the inner payloads once the message is whole.
    pub(crate) fn decrypt(
        &mut self,
        ctx: &Ctx<'_>,
        raw: &[u8],
        msg: &Message,
    ) -> Result<(Vec<Payload>, Vec<Finding>), OpenError> {
        let keys = self.keys.as_ref().ok_or(OpenError::NotEncrypted)?;
        let off = msg.encrypted_body_offset().ok_or(OpenError::NotEncrypted)?;
        // The message is what the header's Length covers; trailing datagram bytes are not.
        let len = msg.buffer_len().min(raw.len());
        let open = |raw: &[u8]| {
            keys.open.open(raw, off).map_err(|e| match e {
                SkError::BadPadding { pad_len, available } => OpenError::Syntax(format!(
                    "SK padding length {pad_len} with {available} octets of plaintext"
                )),
                _ => OpenError::Integrity,
            })
        };
        let base = off + keys.open.iv_len();
        match msg.encrypted().map(|p| &p.body) {
            Some(PayloadBody::Sk(sk)) => {
                let plain = open(&raw[..len])?;
                Payload::parse_chain(sk.first_payload, &plain, base)
                    .map_err(|e| OpenError::Syntax(e.to_string()))
            }
            Some(PayloadBody::Skf(f)) => {
                // §2.3: only when both sides announced IKEV2_FRAGMENTATION_SUPPORTED.
                if !(self.policy.features.fragmentation && self.peer_fragmentation) {
                    return Err(OpenError::FragmentDiscarded(
                        Violation::FragmentationNotNegotiated,
                    ));
                }
                let h = &msg.header;
                let id = FragmentId {
                    message_id: h.message_id,
                    response: h.flags.response(),
                    number: f.fragment_number,
                    total: f.total_fragments,
                };
                // §2.5.3: unprotected payloads travel in fragment 1 only.
                if id.number != 1 && msg.payloads.len() > 1 {
                    return Err(OpenError::FragmentDiscarded(
                        Violation::UnprotectedPayloadInLaterFragment { number: id.number },
                    ));
                }
                let limits = &ctx.config.fragment_limits;
                match fragment::precheck(&self.reassembly, limits, ctx.now, id) {
                    Precheck::Verify => {}
                    Precheck::Replay => return Err(OpenError::FragmentReplay),
                    Precheck::Discard(v) => return Err(OpenError::FragmentDiscarded(v)),
                }
                let plain = open(&raw[..len])?;
                match fragment::add(
                    &mut self.reassembly,
                    limits,
                    ctx.now,
                    id,
                    f.first_payload,
                    plain,
                ) {
                    Added::Complete(joined, first) => Payload::parse_chain(first, &joined, 0)
                        .map_err(|e| OpenError::Syntax(e.to_string())),
                    Added::Pending => Err(OpenError::Incomplete),
                    Added::Discarded(v) => Err(OpenError::FragmentDiscarded(v)),
                }
            }
            _ => Err(OpenError::NotEncrypted),
        }
    }
}
