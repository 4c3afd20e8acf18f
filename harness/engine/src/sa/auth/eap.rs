//! EAP in IKE_AUTH (RFC 7296 §2.16, RFC 5998 EAP-only).
//!
//! ```text
//! HDR, SK {IDi, [IDr,] SAi2, TSi, TSr, [N(EAP_ONLY_AUTHENTICATION)]}  -->
//!                          <--  HDR, SK {IDr, [CERT,] AUTH, EAP}   (no CERT/AUTH if EAP-only)
//! HDR, SK {EAP}  -->  <--  HDR, SK {EAP}   (one round per EAP Request)
//! HDR, SK {AUTH} -->  <--  HDR, SK {AUTH, SAr2, TSi, TSr}          (AUTH from the MSK)
//! ```
//!
//! Each round is an ordinary IKE_AUTH exchange with the next Message ID, so retransmission,
//! the responder's response cache and fragmentation work as for any request. The initiator
//! stays in `ExpectAuthResponse`, the responder in `ExpectAuthRequest` (half-open, so its
//! timeout bounds a stalled EAP conversation).

use ikelab_crypto::mschapv2::CHALLENGE_LEN;
use ikelab_crypto::KeyBytes;
use ikelab_policy::Identity;
use ikelab_wire::iana::{AuthMethod, ExchangeType, IdType, NotifyType, PayloadType};
use ikelab_wire::payload::{AuthPayload, EapPayload, IdPayload, Payload, PayloadBody};

use super::super::exchange::Purpose;
use super::super::{error_notify, has_notify, notify, required, single, Ctx, Followup, IkeSa};
use super::{State, CHILD_SA_ERRORS};
use crate::authn::{psk_mac, signed_octets, LocalCredential, RemoteCredential};
use crate::eap::{EapError, Peer, PeerStep, ServerStep};
use crate::eap_tls::{AnyPeer, AnyServer, TlsPeer};
use crate::event::CloseReason;
use crate::violation::{AuthFailure, Violation};
use crate::EngineError;

const X: ExchangeType = ExchangeType::IKE_AUTH;

/// The EAP conversation of an SA in IKE_AUTH.
pub(crate) enum EapSession {
    Client(Box<ClientEap>),
    Server(Box<ServerEap>),
}

pub(crate) struct ClientEap {
    peer: AnyPeer,
    /// We sent EAP_ONLY_AUTHENTICATION (RFC 5998).
    eap_only: bool,
    /// The responder's IDr, once its first response arrived.
    idr: Option<IdPayload>,
    /// The AUTH method of its first response (absent with EAP-only).
    first_method: Option<AuthMethod>,
    /// Set after EAP-Success: our AUTH is sent and the responder's is checked with it.
    msk: Option<KeyBytes>,
}

pub(crate) struct ServerEap {
    server: AnyServer,
    /// The first IKE_AUTH request: its SA, TS, CP and notifies are answered at the end.
    first_request: Vec<Payload>,
    idi: IdPayload,
    msk: Option<KeyBytes>,
}

fn eap_payload(p: EapPayload) -> Payload {
    Payload::new(PayloadBody::Eap(p))
}

fn eap_of(inner: &[Payload]) -> Result<Option<&EapPayload>, Violation> {
    single(inner, X, PayloadType::EAP, |b| match b {
        PayloadBody::Eap(e) => Some(e),
        _ => None,
    })
}

fn auth_of(inner: &[Payload]) -> Result<Option<&AuthPayload>, Violation> {
    single(inner, X, PayloadType::AUTH, |b| match b {
        PayloadBody::Auth(a) => Some(a),
        _ => None,
    })
}

fn failure(e: EapError) -> Violation {
    Violation::AuthenticationFailed(match e {
        EapError::Malformed(reason) => AuthFailure::EapMalformed { reason },
        e => AuthFailure::EapFailed {
            reason: e.to_string(),
        },
    })
}

fn random_challenge(ctx: &Ctx<'_>) -> Result<[u8; CHALLENGE_LEN], EngineError> {
    let mut c = [0u8; CHALLENGE_LEN];
    ctx.config.rng.fill(&mut c)?;
    Ok(c)
}

impl IkeSa {
    /// The MSK-keyed AUTH (RFC 7296 §2.16) over our or the peer's signed octets.
    fn msk_auth(&self, msk: &KeyBytes, ours: bool, id: &IdPayload) -> Option<KeyBytes> {
        let keys = self.keys.as_ref()?;
        let prf = keys.suite.prf;
        // The initiator signs RealMessage1 and Nr, the responder RealMessage2 and Ni.
        let initiator_side = ours == self.initiator;
        let octets = if initiator_side {
            signed_octets(&self.init_request, &self.nr, prf, &keys.keys.sk_pi, id)
        } else {
            signed_octets(&self.init_response, &self.ni, prf, &keys.keys.sk_pr, id)
        };
        Some(psk_mac(prf, msk.as_bytes(), &octets))
    }

    /// Initiator: prepares the EAP peer when our credential is EAP; returns the notifies for
    /// the first IKE_AUTH request (EAP_ONLY_AUTHENTICATION when the policy asks for it).
    pub(super) fn eap_client_start(&mut self) -> Vec<Payload> {
        let LocalCredential::Eap {
            identity,
            password,
            tls,
        } = &self.local_cred
        else {
            return Vec::new();
        };
        let identity = identity.clone().map_or_else(
            || match self.local_id.id_type {
                IdType::FQDN | IdType::RFC822_ADDR | IdType::KEY_ID => self.local_id.data.clone(),
                _ => self.local_id.to_string().into_bytes(),
            },
            String::into_bytes,
        );
        let eap_only = self.policy.features.eap_only;
        self.eap = Some(Box::new(EapSession::Client(Box::new(ClientEap {
            peer: match tls {
                Some(setup) => AnyPeer::Tls(Box::new(TlsPeer::new(identity, setup.clone()))),
                None => AnyPeer::Mschapv2(Peer::new(identity, password.clone())),
            },
            eap_only,
            idr: None,
            first_method: None,
            msk: None,
        }))));
        if eap_only {
            vec![notify(NotifyType::EAP_ONLY_AUTHENTICATION, Vec::new())]
        } else {
            Vec::new()
        }
    }

    /// Initiator: an IKE_AUTH response while EAP runs. Returns false when no EAP runs.
    pub(super) fn on_eap_auth_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        inner: &[Payload],
    ) -> Result<bool, EngineError> {
        let Some(session) = self.eap.take() else {
            return Ok(false);
        };
        let EapSession::Client(mut c) = *session else {
            self.eap = Some(session);
            return Ok(false);
        };
        let (eap, auth) = match (eap_of(inner), auth_of(inner)) {
            (Ok(e), Ok(a)) => (e, a),
            (Err(v), _) | (_, Err(v)) => {
                self.fail_auth_response(ctx, v)?;
                return Ok(true);
            }
        };
        // An error ends it, except CHILD_SA errors next to the final AUTH (§1.2, §2.21.3).
        if let Some(err) = error_notify(inner) {
            let child_only = c.msk.is_some() && auth.is_some() && CHILD_SA_ERRORS.contains(&err);
            if !child_only {
                self.close(ctx, CloseReason::PeerError(err));
                return Ok(true);
            }
        }
        if let Some(msk) = c.msk.take() {
            self.eap_final_response(ctx, inner, &c, &msk, auth)?;
            return Ok(true);
        }
        if c.idr.is_none() {
            let idr = match required(inner, X, PayloadType::IDR, |b| match b {
                PayloadBody::IdResponder(i) => Some(i),
                _ => None,
            }) {
                Ok(i) => i,
                Err(v) => {
                    self.fail_auth_response(ctx, v)?;
                    return Ok(true);
                }
            };
            let checked = match auth {
                Some(a) => self.authenticate_peer(idr, a, inner, &self.init_response, &self.ni),
                // RFC 5998 §3: only when we offered EAP-only may the responder omit AUTH.
                None if !c.eap_only => {
                    let v = Violation::MissingPayload {
                        exchange: X,
                        payload: PayloadType::AUTH,
                    };
                    self.fail_auth_response(ctx, v)?;
                    return Ok(true);
                }
                None => {
                    let peer = Identity::from_payload(idr);
                    if self.policy.remote.id.matches(&peer) {
                        Ok(())
                    } else {
                        Err(AuthFailure::IdentityMismatch {
                            received: peer.to_string(),
                            expected: self.policy.remote.id.to_string(),
                        })
                    }
                }
            };
            if let Err(f) = checked {
                self.fail_auth_response(ctx, Violation::AuthenticationFailed(f))?;
                return Ok(true);
            }
            c.idr = Some(idr.clone());
            c.first_method = auth.map(|a| a.method);
        }
        let Some(eap) = eap else {
            let v = Violation::MissingPayload {
                exchange: X,
                payload: PayloadType::EAP,
            };
            self.fail_auth_response(ctx, v)?;
            return Ok(true);
        };
        match c.peer.on_message(eap, random_challenge(ctx)?) {
            PeerStep::Reply(p) => {
                self.eap = Some(Box::new(EapSession::Client(c)));
                self.request(ctx, X, vec![eap_payload(p)], Purpose::Auth)?;
            }
            PeerStep::Done(msk) => {
                let idi = self.id_payload();
                let Some(mac) = self.msk_auth(&msk, true, &idi) else {
                    return Ok(true);
                };
                c.msk = Some(msk);
                self.eap = Some(Box::new(EapSession::Client(c)));
                let auth = AuthPayload {
                    method: AuthMethod::SHARED_KEY_MIC,
                    reserved: [0; 3],
                    data: mac.as_bytes().to_vec(),
                };
                self.request(
                    ctx,
                    X,
                    vec![Payload::new(PayloadBody::Auth(auth))],
                    Purpose::Auth,
                )?;
            }
            // EAP-Failure is the EAP form of AUTHENTICATION_FAILED (the peer refused us).
            PeerStep::Failed(EapError::Rejected(_)) => {
                self.close(
                    ctx,
                    CloseReason::PeerError(NotifyType::AUTHENTICATION_FAILED),
                );
            }
            PeerStep::Failed(e) => self.fail_auth_response(ctx, failure(e))?,
        }
        Ok(true)
    }

    /// Initiator: the response to our MSK AUTH.
    fn eap_final_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        inner: &[Payload],
        c: &ClientEap,
        msk: &KeyBytes,
        auth: Option<&AuthPayload>,
    ) -> Result<(), EngineError> {
        let (Some(auth), Some(idr)) = (auth, &c.idr) else {
            let v = Violation::MissingPayload {
                exchange: X,
                payload: PayloadType::AUTH,
            };
            return self.fail_auth_response(ctx, v);
        };
        let good = auth.method == AuthMethod::SHARED_KEY_MIC
            && self
                .msk_auth(msk, false, idr)
                .is_some_and(|m| m.ct_eq(&auth.data));
        if !good {
            let v = failure(EapError::Unexpected(
                "the responder's AUTH from the MSK does not verify".into(),
            ));
            return self.fail_auth_response(ctx, v);
        }
        let State::ExpectAuthResponse(pending) =
            core::mem::replace(&mut self.state, State::Established)
        else {
            return Ok(());
        };
        self.remote_id = Some(Identity::from_payload(idr));
        self.mobike_established(inner, None);
        self.schedule_ike_rekey(ctx)?;
        self.established(ctx, c.first_method.unwrap_or(AuthMethod::SHARED_KEY_MIC));
        if let Some(child) = pending.child {
            self.accept_child(ctx, inner, child)?;
        }
        Ok(())
    }

    /// Responder: refuses the IKE_AUTH request with `v`'s notify (after `extra`) and ends the
    /// half-open SA.
    fn eap_refuse(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        v: Violation,
        mut extra: Vec<Payload>,
    ) -> Result<Followup, EngineError> {
        let n = v.notify().unwrap_or(NotifyType::INVALID_SYNTAX);
        self.violation(ctx, v);
        extra.push(notify(n, Vec::new()));
        self.respond(ctx, X, message_id, extra)?;
        self.close(ctx, CloseReason::LocalError(n));
        Ok(Followup::default())
    }

    /// Responder: the first IKE_AUTH request has no AUTH and the policy authenticates the peer
    /// with EAP. Answers with our identity (and AUTH unless EAP-only) and EAP-Identity.
    pub(super) fn eap_server_start(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        inner: &[Payload],
        idi: &IdPayload,
    ) -> Result<Followup, EngineError> {
        let RemoteCredential::Eap { users, tls } = &self.remote_cred else {
            let v = Violation::AuthenticationFailed(AuthFailure::WrongMethod { method: 0 });
            return self.eap_refuse(ctx, message_id, v, Vec::new());
        };
        let users = users.clone();
        let tls = tls.clone();
        // §1.2: SAi2, TSi and TSr are mandatory (as in on_auth_request).
        for ty in [PayloadType::SA, PayloadType::TSI, PayloadType::TSR] {
            let found = required(inner, X, ty, |b| {
                let t = match b {
                    PayloadBody::Sa(_) => PayloadType::SA,
                    PayloadBody::TsInitiator(_) => PayloadType::TSI,
                    PayloadBody::TsResponder(_) => PayloadType::TSR,
                    _ => return None,
                };
                (t == ty).then_some(b)
            });
            if let Err(v) = found {
                return self.eap_refuse(ctx, message_id, v, Vec::new());
            }
        }
        let peer = Identity::from_payload(idi);
        if !self.policy.remote.id.matches(&peer) {
            let v = Violation::AuthenticationFailed(AuthFailure::IdentityMismatch {
                received: peer.to_string(),
                expected: self.policy.remote.id.to_string(),
            });
            return self.eap_refuse(ctx, message_id, v, Vec::new());
        }
        let idr = single(inner, X, PayloadType::IDR, |b| match b {
            PayloadBody::IdResponder(i) => Some(i),
            _ => None,
        });
        match idr {
            Ok(Some(idr)) if !Identity::from_payload(idr).same_as(&self.local_id) => {
                let v = Violation::AuthenticationFailed(AuthFailure::NotOurIdentity {
                    requested: Identity::from_payload(idr).to_string(),
                });
                return self.eap_refuse(ctx, message_id, v, Vec::new());
            }
            Err(v) => return self.eap_refuse(ctx, message_id, v, Vec::new()),
            _ => {}
        }
        let idr_ours = self.id_payload();
        let mut out = vec![Payload::new(PayloadBody::IdResponder(idr_ours.clone()))];
        // RFC 5998 §3: with EAP-only offered and allowed, no CERT and no AUTH before EAP.
        let eap_only =
            has_notify(inner, NotifyType::EAP_ONLY_AUTHENTICATION) && self.policy.features.eap_only;
        if !eap_only {
            let Some(keys) = &self.keys else {
                return Ok(Followup::default());
            };
            let octets = signed_octets(
                &self.init_response,
                &self.ni,
                keys.suite.prf,
                &keys.keys.sk_pr,
                &idr_ours,
            );
            let our_auth = match self
                .local_cred
                .auth(keys.suite.prf, &octets, &self.peer_hashes)
            {
                Ok(a) => a,
                Err(f) => {
                    let v = Violation::AuthenticationFailed(f);
                    return self.eap_refuse(ctx, message_id, v, Vec::new());
                }
            };
            out.extend(
                self.local_cred
                    .cert_payloads()
                    .into_iter()
                    .map(|c| Payload::new(PayloadBody::Cert(c))),
            );
            out.push(Payload::new(PayloadBody::Auth(our_auth)));
        }
        let identifier = ctx.random(1)?.first().copied().unwrap_or(1);
        let (server, first) = AnyServer::start(users, tls.as_ref(), identifier, peer);
        out.push(eap_payload(first));
        self.respond(ctx, X, message_id, out)?;
        self.eap = Some(Box::new(EapSession::Server(Box::new(ServerEap {
            server,
            first_request: inner.to_vec(),
            idi: idi.clone(),
            msk: None,
        }))));
        Ok(Followup::default())
    }

    /// Responder: an IKE_AUTH request after the first, while EAP runs. `None` when no EAP
    /// server runs.
    pub(super) fn on_eap_auth_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        inner: &[Payload],
    ) -> Result<Option<Followup>, EngineError> {
        let Some(session) = self.eap.take() else {
            return Ok(None);
        };
        let EapSession::Server(mut s) = *session else {
            self.eap = Some(session);
            return Ok(None);
        };
        if let Some(msk) = s.msk.take() {
            return self
                .eap_final_request(ctx, message_id, inner, &s, &msk)
                .map(Some);
        }
        let eap = match eap_of(inner) {
            Ok(Some(e)) => e,
            Ok(None) => {
                let v = Violation::MissingPayload {
                    exchange: X,
                    payload: PayloadType::EAP,
                };
                return self.eap_refuse(ctx, message_id, v, Vec::new()).map(Some);
            }
            Err(v) => return self.eap_refuse(ctx, message_id, v, Vec::new()).map(Some),
        };
        match s.server.on_message(eap, random_challenge(ctx)?) {
            ServerStep::Reply(p) => {
                self.respond(ctx, X, message_id, vec![eap_payload(p)])?;
                self.eap = Some(Box::new(EapSession::Server(s)));
            }
            ServerStep::Success(p, msk) => {
                self.respond(ctx, X, message_id, vec![eap_payload(p)])?;
                s.msk = Some(msk);
                self.eap = Some(Box::new(EapSession::Server(s)));
            }
            ServerStep::Failure(p, e) => {
                return self
                    .eap_refuse(ctx, message_id, failure(e), vec![eap_payload(p)])
                    .map(Some);
            }
        }
        Ok(Some(Followup::default()))
    }

    /// Responder: the initiator's AUTH from the MSK; ours and the CHILD_SA answer it.
    fn eap_final_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        message_id: u32,
        inner: &[Payload],
        s: &ServerEap,
        msk: &KeyBytes,
    ) -> Result<Followup, EngineError> {
        let auth = match auth_of(inner) {
            Ok(Some(a)) => a,
            Ok(None) => {
                let v = Violation::MissingPayload {
                    exchange: X,
                    payload: PayloadType::AUTH,
                };
                return self.eap_refuse(ctx, message_id, v, Vec::new());
            }
            Err(v) => return self.eap_refuse(ctx, message_id, v, Vec::new()),
        };
        let good = auth.method == AuthMethod::SHARED_KEY_MIC
            && self
                .msk_auth(msk, false, &s.idi)
                .is_some_and(|m| m.ct_eq(&auth.data));
        if !good {
            let v = failure(EapError::Unexpected(
                "the initiator's AUTH from the MSK does not verify".into(),
            ));
            return self.eap_refuse(ctx, message_id, v, Vec::new());
        }
        let idr_ours = self.id_payload();
        let Some(mac) = self.msk_auth(msk, true, &idr_ours) else {
            return Ok(Followup::default());
        };
        let peer = Identity::from_payload(&s.idi);
        self.remote_id = Some(peer.clone());
        self.half_open_deadline = None;
        self.state = State::Established;
        self.schedule_ike_rekey(ctx)?;
        let mut out = vec![Payload::new(PayloadBody::Auth(AuthPayload {
            method: AuthMethod::SHARED_KEY_MIC,
            reserved: [0; 3],
            data: mac.as_bytes().to_vec(),
        }))];
        let first = &s.first_request;
        self.mobike_established(first, Some(&mut out));
        let installed = self.answer_child(ctx, first, &mut out)?;
        self.respond(ctx, X, message_id, out)?;
        self.established(ctx, AuthMethod::SHARED_KEY_MIC);
        if let Some(c) = installed {
            self.install_child(ctx, c)?;
        }
        let initial_contact = has_notify(first, NotifyType::INITIAL_CONTACT).then_some(peer);
        Ok(Followup { initial_contact })
    }
}
