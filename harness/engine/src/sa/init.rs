//! IKE_SA_INIT (RFC 7296 §1.2): the initiator's request and retries (COOKIE §2.6,
//! INVALID_KE_PAYLOAD §1.2), the responder's choice (§2.7), NAT detection (§2.23) and the
//! IKE SA keys (§2.14).

use std::net::SocketAddr;
use std::sync::Arc;

use ikelab_crypto::ke::KePrivate;
use ikelab_crypto::keys::ike_sa_init_keys;
use ikelab_crypto::sk::SkContext;
use ikelab_crypto::KeyBytes;
use ikelab_policy::{Identity, IkePolicy};
use ikelab_wire::iana::{ExchangeType, HashAlgorithm, NotifyType, PayloadType};
use ikelab_wire::payload::{KePayload, Payload, PayloadBody, SaPayload};
use ikelab_wire::{Finding, Flags, Header, Message};

use super::exchange::{Exchanges, Outstanding, Purpose, Sent};
use super::{
    error_notify, has_notify, notifies, notify, required, Ctx, IkeSa, Keys, PathInfo, State,
};
use crate::authn::{LocalCredential, RemoteCredential};
use crate::event::{CloseReason, Direction, NatDetected};
use crate::negotiate::{self, IkeChoice, IkeSelection};
use crate::violation::Violation;
use crate::{natd, ConfigError, EngineError, SaHandle, Timestamp};

/// Nonce length we send (RFC 7296 §2.10: at least 16 and half the PRF key size).
pub(crate) const NONCE_LEN: usize = 32;

/// Initiator state between sending IKE_SA_INIT and its response.
pub(crate) struct InitiatorInit {
    pub ke: KePrivate,
    pub offered: SaPayload,
    pub cookie: Option<Vec<u8>>,
    pub retries: u32,
}

/// The credentials and identity a new SA starts with.
pub(crate) struct Credentials {
    pub local: LocalCredential,
    pub remote: RemoteCredential,
    pub local_id: Identity,
}

impl Credentials {
    /// From the policy; the local identity defaults to the certificate subject or `local`'s IP.
    pub fn new(policy: &IkePolicy, local: SocketAddr) -> Result<Self, ConfigError> {
        super::ppk::check_policy(policy)?;
        let mut local_cred = LocalCredential::from_policy(&policy.name, &policy.local.auth)?;
        let mut remote = RemoteCredential::from_policy(&policy.name, &policy.remote.auth)?;
        crate::eap_tls::attach(policy, &mut local_cred, &mut remote)?;
        let local_id = policy
            .local
            .id
            .clone()
            .or_else(|| local_cred.default_identity())
            .unwrap_or_else(|| Identity::ip(local.ip()));
        Ok(Self {
            local: local_cred,
            remote,
            local_id,
        })
    }
}

impl IkeSa {
    fn new(
        handle: SaHandle,
        initiator: bool,
        policy: Arc<IkePolicy>,
        path: PathInfo,
        creds: Credentials,
        now: Timestamp,
    ) -> Self {
        Self {
            handle,
            initiator,
            policy,
            spi_i: 0,
            spi_r: 0,
            path,
            nat: NatDetected::default(),
            state: State::ExpectAuthRequest,
            xchg: Exchanges::default(),
            keys: None,
            ni: Vec::new(),
            nr: Vec::new(),
            init_request: Vec::new(),
            init_response: Vec::new(),
            local_cred: creds.local,
            remote_cred: creds.remote,
            local_id: creds.local_id,
            remote_id: None,
            peer_fragmentation: false,
            peer_hashes: Vec::new(),
            peer_certreq: false,
            children: Vec::new(),
            reassembly: None,
            last_heard: now,
            half_open_deadline: None,
            last_sent: now,
            virtual_ips: Vec::new(),
            creates: Default::default(),
            next_token: 0,
            retired: Vec::new(),
            ike_rekey_at: None,
            spis_changed: false,
            ppk: Default::default(),
            mobility: Default::default(),
            redirect: Default::default(),
            eap: None,
            temporary_failure_since: None,
        }
    }

    /// Starts an IKE SA as initiator and sends IKE_SA_INIT.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn connect(
        ctx: &mut Ctx<'_>,
        handle: SaHandle,
        policy: Arc<IkePolicy>,
        creds: Credentials,
        spi_i: u64,
        local: SocketAddr,
        remote: SocketAddr,
        redirect: super::RedirectState,
    ) -> Result<Self, EngineError> {
        let offered: Vec<_> = negotiate::offer_ike(ctx.config.provider, &policy.ike_proposals);
        let group = offered
            .first()
            .and_then(|p| p.ke.first())
            .copied()
            .ok_or_else(|| ConfigError::NoUsableIkeProposal {
                policy: policy.name.clone(),
            })?;
        let offered = SaPayload {
            proposals: offered
                .iter()
                .enumerate()
                .map(|(i, p)| p.to_wire((i + 1).min(255) as u8, Vec::new()))
                .collect(),
        };
        let ke = ctx
            .config
            .provider
            .ke(group.0)?
            .generate(ctx.config.rng.as_ref())?;
        let path = PathInfo {
            local,
            remote,
            encap: local.port() == ctx.config.nat_t_port,
        };
        let mut sa = Self::new(handle, true, policy, path, creds, ctx.now);
        sa.redirect = redirect;
        sa.spi_i = spi_i;
        sa.ni = ctx.random(NONCE_LEN)?;
        sa.state = State::ExpectSaInitResponse(Box::new(InitiatorInit {
            ke,
            offered,
            cookie: None,
            retries: 0,
        }));
        sa.send_init(ctx)?;
        Ok(sa)
    }

    /// (Re)sends IKE_SA_INIT with Message ID 0 from the current initiator state.
    fn send_init(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EngineError> {
        let State::ExpectSaInitResponse(init) = &self.state else {
            return Ok(());
        };
        let f = &self.policy.features;
        let mut payloads = Vec::new();
        if let Some(c) = &init.cookie {
            // §2.6: the COOKIE notify goes first, everything else unchanged.
            payloads.push(notify(NotifyType::COOKIE, c.clone()));
        }
        payloads.push(Payload::new(PayloadBody::Sa(init.offered.clone())));
        payloads.push(Payload::new(PayloadBody::Ke(KePayload {
            group: ikelab_wire::iana::KeMethod(init.ke.method().id),
            reserved: 0,
            data: init.ke.public_value().to_vec(),
        })));
        payloads.push(Payload::new(PayloadBody::Nonce(self.ni.clone())));
        // RFC 5685 §3.2: a redirected initiator names where it came from instead.
        if let Some(from) = self.redirected_from() {
            payloads.push(from);
        } else if f.redirect {
            payloads.push(notify(NotifyType::REDIRECT_SUPPORTED, Vec::new()));
        }
        payloads.extend(natd::notifies(
            self.spi_i,
            0,
            self.path.local,
            self.path.remote,
            self.policy.nat_traversal.force_encapsulation,
        ));
        payloads.extend(common_init_notifies(
            &self.policy,
            self.local_cred.is_ed25519(),
        ));
        payloads.extend(self.use_ppk_notify());
        payloads.extend(super::vendor::vendor_id_payloads(&self.policy));
        let header = Header {
            initiator_spi: self.spi_i,
            responder_spi: 0,
            major_version: 2,
            minor_version: 0,
            exchange_type: ExchangeType::IKE_SA_INIT,
            flags: Flags::new(true, false),
            message_id: 0,
        };
        let bytes = Message {
            header: header.clone(),
            payloads: payloads.clone(),
        }
        .emit();
        self.init_request = bytes.clone();
        let sent = Sent {
            header,
            encrypted: false,
            payloads,
            datagrams: vec![bytes],
        };
        self.send(ctx, &sent, false);
        let random = ctx.random_u32()?;
        self.xchg.next_id = 1;
        self.xchg.outstanding = Some(Outstanding {
            id: 0,
            exchange: ExchangeType::IKE_SA_INIT,
            sent,
            attempt: 0,
            deadline: ctx.now + super::exchange::wait(&self.policy.retransmission, 0, random),
            purpose: Purpose::Init,
        });
        Ok(())
    }

    /// The initiator's handling of the IKE_SA_INIT response.
    pub(crate) fn on_init_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        raw: &[u8],
        msg: &Message,
    ) -> Result<(), EngineError> {
        let payloads = &msg.payloads;
        // §2.5: a message with an unknown critical payload MUST be rejected. A response
        // cannot be answered with UNSUPPORTED_CRITICAL_PAYLOAD, so the exchange fails.
        let critical = super::unsupported_critical(payloads);
        if let (Some(t), State::ExpectSaInitResponse(_)) = (critical, &self.state) {
            self.violation(
                ctx,
                Violation::UnsupportedCriticalPayload { payload_type: t },
            );
            self.close(
                ctx,
                CloseReason::LocalError(NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD),
            );
            return Ok(());
        }
        let State::ExpectSaInitResponse(init) = &mut self.state else {
            return Ok(());
        };
        let cookie = notifies(payloads)
            .into_iter()
            .find(|n| n.notify_type == NotifyType::COOKIE)
            .map(|n| n.data.clone());
        if let Some(cookie) = cookie {
            init.retries += 1;
            if init.retries > ctx.config.max_init_retries || cookie.is_empty() {
                self.close(ctx, CloseReason::RetryLimit);
                return Ok(());
            }
            init.cookie = Some(cookie);
            return self.send_init(ctx);
        }
        if let Some(n) = notifies(payloads)
            .into_iter()
            .find(|n| n.notify_type == NotifyType::INVALID_KE_PAYLOAD)
        {
            let Some(group) = n.invalid_ke_group() else {
                self.violation(
                    ctx,
                    Violation::Malformed {
                        error: "INVALID_KE_PAYLOAD without a 2-octet group".into(),
                    },
                );
                self.close(ctx, CloseReason::PeerError(NotifyType::INVALID_KE_PAYLOAD));
                return Ok(());
            };
            let offered = init
                .offered
                .proposals
                .iter()
                .flat_map(|p| &p.transforms)
                .any(|t| {
                    t.transform_type == ikelab_wire::iana::TransformType::KE && t.id == group.0
                });
            init.retries += 1;
            if !offered || group.0 == init.ke.method().id {
                self.violation(ctx, Violation::InvalidKeGroupNotOffered { group });
                self.close(ctx, CloseReason::PeerError(NotifyType::INVALID_KE_PAYLOAD));
                return Ok(());
            }
            if init.retries > ctx.config.max_init_retries {
                self.close(ctx, CloseReason::RetryLimit);
                return Ok(());
            }
            init.ke = ctx
                .config
                .provider
                .ke(group.0)?
                .generate(ctx.config.rng.as_ref())?;
            return self.send_init(ctx);
        }
        if let Some(err) = error_notify(payloads) {
            self.close(ctx, CloseReason::PeerError(err));
            return Ok(());
        }
        match self.accept_init_response(ctx, raw, msg) {
            Ok(()) => self.send_auth(ctx),
            Err(v) => {
                let reason = CloseReason::ProtocolError(v.to_string());
                self.violation(ctx, v);
                self.close(ctx, reason);
                Ok(())
            }
        }
    }

    fn accept_init_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        raw: &[u8],
        msg: &Message,
    ) -> Result<(), Violation> {
        let State::ExpectSaInitResponse(init) = &self.state else {
            return Ok(());
        };
        let x = ExchangeType::IKE_SA_INIT;
        let p = &msg.payloads;
        let sa = required(p, x, PayloadType::SA, |b| match b {
            PayloadBody::Sa(s) => Some(s),
            _ => None,
        })?;
        let ke = required(p, x, PayloadType::KE, |b| match b {
            PayloadBody::Ke(k) => Some(k),
            _ => None,
        })?;
        let nr = required(p, x, PayloadType::NONCE, |b| match b {
            PayloadBody::Nonce(n) => Some(n),
            _ => None,
        })?;
        if !(16..=256).contains(&nr.len()) {
            return Err(Violation::NonceLength { len: nr.len() });
        }
        let choice = negotiate::check_ike_choice(ctx.config.provider, &init.offered, sa)
            .map_err(|reason| Violation::InvalidProposalChoice { reason })?;
        if choice.transforms.ke != ke.group || ke.group.0 != init.ke.method().id {
            return Err(Violation::ResponseKeMismatch);
        }
        let g_ir = init
            .ke
            .agree(&ke.data)
            .map_err(|e| Violation::InvalidKeData {
                group: ke.group,
                reason: e.to_string(),
            })?;
        if msg.header.responder_spi == 0 {
            return Err(Violation::ResponseMismatch {
                reason: "IKE_SA_INIT response with a zero responder SPI".into(),
            });
        }
        self.spi_r = msg.header.responder_spi;
        self.nr = nr.clone();
        self.init_response = raw.to_vec();
        self.derive_keys(&choice, &g_ir)
            .map_err(|e| Violation::InvalidKeData {
                group: ke.group,
                reason: e.to_string(),
            })?;
        self.learn_peer_features(p);
        if let Some(nat) = natd::detect(
            &notifies(p),
            self.spi_i,
            self.spi_r,
            self.path.local,
            self.path.remote,
        ) {
            self.nat = nat;
        }
        // §2.23: with a NAT between us, move to the NAT-T port for everything after INIT. A
        // forced encapsulation claimed a NAT in front of us (a source hash that cannot match),
        // so the responder expects the move too.
        let forced = self.policy.nat_traversal.force_encapsulation;
        if (self.nat.any() || forced) && !self.path.encap {
            self.path.local.set_port(ctx.config.nat_t_port);
            self.path.remote.set_port(ctx.config.peer_nat_t_port);
            self.path.encap = true;
        }
        self.keylog(ctx);
        Ok(())
    }

    /// Records what the peer announced in IKE_SA_INIT.
    fn learn_peer_features(&mut self, p: &[Payload]) {
        self.peer_fragmentation = has_notify(p, NotifyType::IKEV2_FRAGMENTATION_SUPPORTED);
        self.peer_hashes = notifies(p)
            .iter()
            .find_map(|n| n.signature_hash_algorithms())
            .unwrap_or_default();
        self.peer_certreq = p.iter().any(|x| matches!(x.body, PayloadBody::CertReq(_)));
        self.ppk.peer_announced = has_notify(p, NotifyType::USE_PPK);
        self.redirect.peer_supported = has_notify(p, NotifyType::REDIRECT_SUPPORTED)
            || has_notify(p, NotifyType::REDIRECTED_FROM);
    }

    /// SKEYSEED and the SK_* keys (RFC 7296 §2.14), and both SK contexts.
    fn derive_keys(&mut self, choice: &IkeChoice, g_ir: &KeyBytes) -> Result<(), EngineError> {
        let (_, keys) = ike_sa_init_keys(
            &choice.suite,
            &self.ni,
            &self.nr,
            g_ir.as_bytes(),
            &self.spi_i.to_be_bytes(),
            &self.spi_r.to_be_bytes(),
        )?;
        let (seal, open) = if self.initiator {
            (keys.initiator(), keys.responder())
        } else {
            (keys.responder(), keys.initiator())
        };
        let seal = SkContext::from_suite(&choice.suite, seal)?;
        let open = SkContext::from_suite(&choice.suite, open)?;
        self.keys = Some(Keys {
            suite: choice.suite,
            keys,
            seal,
            open,
            transforms: choice.transforms.clone(),
        });
        Ok(())
    }
}

/// Notifies both sides send in IKE_SA_INIT after NAT detection.
/// `ed25519`: our key is Ed25519, so the list also carries IDENTITY (RFC 8420 §2: a peer
/// signs with Ed25519 only when we announced it).
fn common_init_notifies(policy: &IkePolicy, ed25519: bool) -> Vec<Payload> {
    let f = &policy.features;
    let mut out = Vec::new();
    if f.fragmentation {
        out.push(notify(
            NotifyType::IKEV2_FRAGMENTATION_SUPPORTED,
            Vec::new(),
        ));
    }
    if !f.signature_hash_algorithms.is_empty() {
        let identity = (ed25519
            && !f
                .signature_hash_algorithms
                .contains(&HashAlgorithm::IDENTITY))
        .then_some(HashAlgorithm::IDENTITY);
        let data: Vec<u8> = f
            .signature_hash_algorithms
            .iter()
            .copied()
            .chain(identity)
            .flat_map(|h: HashAlgorithm| h.0.to_be_bytes())
            .collect();
        out.push(notify(NotifyType::SIGNATURE_HASH_ALGORITHMS, data));
    }
    out
}

/// What the responder does with an IKE_SA_INIT request (after COOKIE checks).
pub(crate) enum InitReply {
    /// Answer without keeping state: the payloads of the unprotected response.
    Refuse {
        payloads: Vec<Payload>,
        violation: Option<Violation>,
    },
    /// A new half-open SA; its response has been sent.
    Accept(Box<IkeSa>),
    /// Malformed: drop without an answer. INVALID_SYNTAX may only go out protected (RFC 7296
    /// §3.10.1), and an unprotected request gets no protected response (§2.21.1).
    Drop(Violation),
}

/// Everything the responder needs to answer one IKE_SA_INIT request.
pub(crate) struct InitRequest<'a> {
    pub handle: SaHandle,
    pub policy: Arc<IkePolicy>,
    pub creds: Credentials,
    pub spi_r: u64,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub raw: &'a [u8],
    pub msg: &'a Message,
    pub findings: Vec<Finding>,
}

fn refuse(notify_type: NotifyType, data: Vec<u8>, v: Violation) -> InitReply {
    InitReply::Refuse {
        payloads: vec![notify(notify_type, data)],
        violation: Some(v),
    }
}

/// The responder's IKE_SA_INIT: choose a proposal, check KE and nonce, create the SA.
pub(crate) fn respond(ctx: &mut Ctx<'_>, req: InitRequest<'_>) -> Result<InitReply, EngineError> {
    let x = ExchangeType::IKE_SA_INIT;
    let p = &req.msg.payloads;
    let malformed = InitReply::Drop;
    let sa = match required(p, x, PayloadType::SA, |b| match b {
        PayloadBody::Sa(s) => Some(s),
        _ => None,
    }) {
        Ok(s) => s,
        Err(v) => return Ok(malformed(v)),
    };
    let ke = match required(p, x, PayloadType::KE, |b| match b {
        PayloadBody::Ke(k) => Some(k),
        _ => None,
    }) {
        Ok(k) => k,
        Err(v) => return Ok(malformed(v)),
    };
    let ni = match required(p, x, PayloadType::NONCE, |b| match b {
        PayloadBody::Nonce(n) => Some(n),
        _ => None,
    }) {
        Ok(n) => n,
        Err(v) => return Ok(malformed(v)),
    };
    if !(16..=256).contains(&ni.len()) {
        return Ok(malformed(Violation::NonceLength { len: ni.len() }));
    }
    if let Some(r) = super::redirect::init_redirect(&req.policy, p, ni, req.local) {
        return Ok(r);
    }
    let choice =
        match negotiate::select_ike(ctx.config.provider, &req.policy.ike_proposals, sa, ke.group) {
            IkeSelection::Chosen(c) => c,
            IkeSelection::WrongGroup(wanted) => {
                // Guessing an offered group we do not prefer is legal (§1.2, §3.4 "SHOULD
                // match the first group"); only a KE group absent from SAi1 breaks the §3.4
                // MUST.
                let offered = sa.proposals.iter().flat_map(|p| &p.transforms).any(|t| {
                    t.transform_type == ikelab_wire::iana::TransformType::KE && t.id == ke.group.0
                });
                let violation = (!offered).then_some(Violation::KeGroupMismatch {
                    received: ke.group,
                    wanted,
                });
                return Ok(InitReply::Refuse {
                    payloads: vec![notify(
                        NotifyType::INVALID_KE_PAYLOAD,
                        wanted.0.to_be_bytes().to_vec(),
                    )],
                    violation,
                });
            }
            IkeSelection::NoProposal => {
                return Ok(refuse(
                    NotifyType::NO_PROPOSAL_CHOSEN,
                    Vec::new(),
                    Violation::NoProposalChosen,
                ))
            }
        };
    let method = ctx.config.provider.ke(choice.transforms.ke.0)?;
    let ours = method.generate(ctx.config.rng.as_ref())?;
    let g_ir = match ours.agree(&ke.data) {
        Ok(s) => s,
        Err(e) => {
            return Ok(malformed(Violation::InvalidKeData {
                group: ke.group,
                reason: e.to_string(),
            }))
        }
    };
    let path = PathInfo {
        local: req.local,
        remote: req.remote,
        encap: req.local.port() == ctx.config.nat_t_port,
    };
    let mut sa = IkeSa::new(req.handle, false, req.policy, path, req.creds, ctx.now);
    sa.spi_i = req.msg.header.initiator_spi;
    sa.spi_r = req.spi_r;
    sa.ni = ni.clone();
    sa.nr = ctx.random(NONCE_LEN)?;
    sa.init_request = req.raw.to_vec();
    sa.derive_keys(&choice, &g_ir)?;
    sa.learn_peer_features(p);
    if let Some(nat) = natd::detect(&notifies(p), sa.spi_i, 0, sa.path.local, sa.path.remote) {
        sa.nat = nat;
    }
    sa.trace(
        ctx,
        Direction::Received,
        &req.msg.header,
        false,
        p,
        false,
        req.findings,
        req.raw.len(),
    );

    let mut out = vec![
        Payload::new(PayloadBody::Sa(choice.to_wire())),
        Payload::new(PayloadBody::Ke(KePayload {
            group: choice.transforms.ke,
            reserved: 0,
            data: ours.public_value().to_vec(),
        })),
        Payload::new(PayloadBody::Nonce(sa.nr.clone())),
    ];
    // The responder's NAT-D hashes cover the SPIs of the response (§2.23).
    out.extend(natd::notifies(
        sa.spi_i,
        sa.spi_r,
        sa.path.local,
        sa.path.remote,
        sa.policy.nat_traversal.force_encapsulation,
    ));
    if let Some(cr) = sa.remote_cred.certreq() {
        out.push(Payload::new(PayloadBody::CertReq(cr)));
    }
    out.extend(common_init_notifies(&sa.policy, sa.local_cred.is_ed25519()));
    out.extend(sa.use_ppk_notify());
    out.extend(super::vendor::vendor_id_payloads(&sa.policy));
    let header = Header {
        initiator_spi: sa.spi_i,
        responder_spi: sa.spi_r,
        major_version: 2,
        minor_version: 0,
        exchange_type: x,
        flags: Flags::new(false, true),
        message_id: 0,
    };
    let bytes = Message {
        header: header.clone(),
        payloads: out.clone(),
    }
    .emit();
    sa.init_response = bytes.clone();
    let sent = Sent {
        header,
        encrypted: false,
        payloads: out,
        datagrams: vec![bytes],
    };
    sa.send(ctx, &sent, false);
    sa.xchg.responded(0, sent);
    sa.half_open_deadline = Some(ctx.now + sa.policy.half_open_timeout);
    sa.keylog(ctx);
    Ok(InitReply::Accept(Box::new(sa)))
}
