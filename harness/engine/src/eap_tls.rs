//! EAP-TLS (RFC 5216; RFC 9190 for TLS 1.3) on both sides, with rustls driven in memory:
//! received EAP-TLS data goes into `read_tls`, `write_tls` output comes back out as EAP-TLS
//! messages with the §3.1 framing (Flags L/M/S, TLS Message Length, fragments of at most the
//! configured size, each acknowledged by an empty EAP-TLS message).
//!
//! MSK = first 64 octets of the key material: TLS 1.2 `PRF(master_secret, "client EAP
//! encryption", client.random || server.random)` (RFC 5216 §2.3, the RFC 5705 exporter
//! without context); TLS 1.3 `TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", 0x0D, 128)`
//! (RFC 9190 §2.3). Under TLS 1.3 the server ends the handshake with the one-octet
//! commitment message 0x00 (RFC 9190 §2.5) and the peer accepts EAP-Success only after it.

mod conn;
pub(crate) mod frames;
mod identity;

use ikelab_crypto::KeyBytes;
use ikelab_policy::{EapUser, Identity, IkePolicy, LocalAuth, RemoteAuth};
use ikelab_wire::payload::{eap_code, EapPayload};

pub(crate) use conn::{client_setup, server_setup, TlsClientSetup, TlsServerSetup};
use frames::{Frames, Incoming, FLAG_S};

use crate::authn::{LocalCredential, RemoteCredential};
use crate::eap::{
    identity_response, refuse_nak, EapError, Peer, PeerStep, Server, ServerStep, TYPE_IDENTITY,
    TYPE_NAK, TYPE_NOTIFICATION,
};
use crate::ConfigError;

/// EAP method type of EAP-TLS.
pub(crate) const TYPE_TLS: u8 = 13;

fn message(code: u8, identifier: u8, eap_type: Option<u8>, data: Vec<u8>) -> EapPayload {
    EapPayload {
        code,
        identifier,
        eap_type,
        data,
    }
}

/// Prepares the TLS configurations an EAP-TLS policy needs (the client's checks the server
/// against `remote.auth`'s trust anchors unless `tls.trust_anchors` names others).
pub(crate) fn attach(
    policy: &IkePolicy,
    local: &mut LocalCredential,
    remote: &mut RemoteCredential,
) -> Result<(), ConfigError> {
    let bad = |reason: String| ConfigError::policy(&policy.name, reason);
    if let (LocalCredential::Eap { tls: slot, .. }, LocalAuth::Eap { tls: Some(t), .. }) =
        (&mut *local, &policy.local.auth)
    {
        let fallback = match &policy.remote.auth {
            RemoteAuth::Pubkey { trust_anchors, .. } => trust_anchors.as_slice(),
            _ => &[],
        };
        *slot = Some(client_setup(t, fallback, &policy.remote.id).map_err(bad)?);
    }
    if let (RemoteCredential::Eap { tls: slot, .. }, RemoteAuth::Eap { tls: Some(t), .. }) =
        (&mut *remote, &policy.remote.auth)
    {
        let LocalAuth::Pubkey {
            certificate,
            chain,
            private_key,
            ..
        } = &policy.local.auth
        else {
            return Err(bad(
                "an EAP-TLS server answers with its IKE certificate: local.auth must be pubkey"
                    .into(),
            ));
        };
        *slot = Some(server_setup(t, certificate, chain, private_key).map_err(bad)?);
    }
    Ok(())
}

/// The EAP peer of an SA: EAP-MSCHAPv2 or EAP-TLS.
pub(crate) enum AnyPeer {
    Mschapv2(Peer),
    Tls(Box<TlsPeer>),
}

impl AnyPeer {
    pub fn on_message(&mut self, m: &EapPayload, challenge: [u8; 16]) -> PeerStep {
        match self {
            Self::Mschapv2(p) => p.on_message(m, challenge),
            Self::Tls(p) => p.on_message(m),
        }
    }
}

/// The EAP server of an SA: EAP-MSCHAPv2 or EAP-TLS.
pub(crate) enum AnyServer {
    Mschapv2(Server),
    Tls(Box<TlsServer>),
}

impl AnyServer {
    /// The server and its first Request (EAP-Identity). `ike_id` is the peer's IDi, which
    /// an EAP-TLS client certificate must name as well as the EAP identity.
    pub fn start(
        users: Vec<EapUser>,
        tls: Option<&TlsServerSetup>,
        identifier: u8,
        ike_id: Identity,
    ) -> (Self, EapPayload) {
        match tls {
            Some(setup) => {
                let (s, first) = TlsServer::start(setup.clone(), identifier, ike_id);
                (Self::Tls(Box::new(s)), first)
            }
            None => {
                let (s, first) = Server::start(users, identifier);
                (Self::Mschapv2(s), first)
            }
        }
    }

    pub fn on_message(&mut self, m: &EapPayload, challenge: [u8; 16]) -> ServerStep {
        match self {
            Self::Mschapv2(s) => s.on_message(m, challenge),
            Self::Tls(s) => s.on_message(m),
        }
    }
}

/// The EAP-TLS peer (client).
pub(crate) struct TlsPeer {
    identity: Vec<u8>,
    setup: TlsClientSetup,
    conn: Option<conn::Tls>,
    frames: Frames,
}

impl TlsPeer {
    pub fn new(identity: Vec<u8>, setup: TlsClientSetup) -> Self {
        let frames = Frames::new(setup.fragment_size);
        Self {
            identity,
            setup,
            conn: None,
            frames,
        }
    }

    pub fn on_message(&mut self, m: &EapPayload) -> PeerStep {
        match self.step(m) {
            Ok(s) => s,
            Err(e) => PeerStep::Failed(e),
        }
    }

    fn reply(id: u8, data: Vec<u8>) -> PeerStep {
        PeerStep::Reply(message(eap_code::RESPONSE, id, Some(TYPE_TLS), data))
    }

    fn step(&mut self, m: &EapPayload) -> Result<PeerStep, EapError> {
        match m.code {
            eap_code::SUCCESS => {
                return match &self.conn {
                    Some(c) if c.finished() && !self.frames.sending() => {
                        Ok(PeerStep::Done(c.msk()?))
                    }
                    Some(c) if c.awaiting_commitment() => Err(EapError::Unexpected(
                        "EAP-Success without TLS 1.3's commitment message 0x00 (RFC 9190 §2.5)"
                            .into(),
                    )),
                    _ => Err(EapError::Unexpected(
                        "EAP-Success before the EAP-TLS handshake completed".into(),
                    )),
                };
            }
            eap_code::FAILURE => {
                return Err(EapError::Rejected(match &self.conn {
                    Some(c) if c.finished() => "EAP-Failure after the TLS handshake".into(),
                    _ => "EAP-Failure during the EAP-TLS handshake".into(),
                }))
            }
            eap_code::REQUEST => {}
            c => {
                return Err(EapError::Unexpected(format!(
                    "EAP code {c} from the server"
                )))
            }
        }
        let id = m.identifier;
        match m.eap_type {
            Some(TYPE_IDENTITY) => Ok(PeerStep::Reply(message(
                eap_code::RESPONSE,
                id,
                Some(TYPE_IDENTITY),
                self.identity.clone(),
            ))),
            Some(TYPE_NOTIFICATION) => Ok(PeerStep::Reply(message(
                eap_code::RESPONSE,
                id,
                Some(TYPE_NOTIFICATION),
                Vec::new(),
            ))),
            Some(TYPE_TLS) => self.tls(id, &m.data),
            _ => Ok(PeerStep::Reply(message(
                eap_code::RESPONSE,
                id,
                Some(TYPE_NAK),
                vec![TYPE_TLS],
            ))),
        }
    }

    fn tls(&mut self, id: u8, data: &[u8]) -> Result<PeerStep, EapError> {
        if data.first().is_some_and(|f| f & FLAG_S != 0) {
            if self.conn.is_some() {
                return Err(EapError::Unexpected("a second EAP-TLS Start".into()));
            }
            let mut c = conn::Tls::client(&self.setup)?;
            let hello = c.take_output()?;
            self.conn = Some(c);
            self.frames.queue(hello);
            return Ok(Self::reply(id, self.frames.next_fragment()));
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(EapError::Unexpected("EAP-TLS data before Start".into()));
        };
        match self.frames.receive(data)? {
            Incoming::Ack if self.frames.sending() => {
                Ok(Self::reply(id, self.frames.next_fragment()))
            }
            Incoming::Ack => Err(EapError::Unexpected(
                "an EAP-TLS acknowledgement with nothing of ours outstanding".into(),
            )),
            Incoming::Fragment => Ok(Self::reply(id, Frames::ack())),
            Incoming::Message(tls) => {
                conn.feed(&tls)?;
                conn.read_commitment()?;
                let out = conn.take_output()?;
                // Nothing to answer (TLS 1.2 server Finished, TLS 1.3 commitment): an empty
                // EAP-TLS Response lets the server send EAP-Success (RFC 5216 §2.1.1).
                self.frames.queue(out);
                Ok(Self::reply(id, self.frames.next_fragment()))
            }
        }
    }
}

enum ServerState {
    IdentitySent,
    Handshake(Box<conn::Tls>),
    Finished,
}

/// The EAP-TLS server (authenticator).
pub(crate) struct TlsServer {
    setup: TlsServerSetup,
    identifier: u8,
    frames: Frames,
    state: ServerState,
    /// The peer's IKE identity (IDi).
    ike_id: Identity,
    /// What the peer sent in its EAP-Response/Identity.
    eap_identity: Vec<u8>,
}

impl TlsServer {
    pub fn start(setup: TlsServerSetup, identifier: u8, ike_id: Identity) -> (Self, EapPayload) {
        let frames = Frames::new(setup.fragment_size);
        let s = Self {
            setup,
            identifier,
            frames,
            state: ServerState::IdentitySent,
            ike_id,
            eap_identity: Vec::new(),
        };
        let first = message(
            eap_code::REQUEST,
            identifier,
            Some(TYPE_IDENTITY),
            Vec::new(),
        );
        (s, first)
    }

    pub fn on_message(&mut self, m: &EapPayload) -> ServerStep {
        let result = if m.code != eap_code::RESPONSE {
            Err(EapError::Unexpected(format!(
                "EAP code {} from the peer",
                m.code
            )))
        } else if m.identifier != self.identifier {
            Err(EapError::Unexpected(format!(
                "EAP identifier {} answering our {}",
                m.identifier, self.identifier
            )))
        } else {
            self.step(m)
        };
        match result {
            Ok(s) => s,
            Err(e) => {
                self.state = ServerState::Finished;
                ServerStep::Failure(self.finish(eap_code::FAILURE), e)
            }
        }
    }

    fn finish(&self, code: u8) -> EapPayload {
        message(code, self.identifier, None, Vec::new())
    }

    fn next_request(&mut self, data: Vec<u8>) -> ServerStep {
        self.identifier = self.identifier.wrapping_add(1);
        ServerStep::Reply(message(
            eap_code::REQUEST,
            self.identifier,
            Some(TYPE_TLS),
            data,
        ))
    }

    fn step(&mut self, m: &EapPayload) -> Result<ServerStep, EapError> {
        refuse_nak(m, "EAP-TLS")?;
        match core::mem::replace(&mut self.state, ServerState::Finished) {
            ServerState::IdentitySent => {
                self.eap_identity = identity_response(m)?;
                self.state = ServerState::Handshake(Box::new(conn::Tls::server(&self.setup)?));
                Ok(self.next_request(vec![FLAG_S]))
            }
            ServerState::Handshake(mut conn) => {
                if m.eap_type != Some(TYPE_TLS) {
                    return Err(EapError::Unexpected(format!(
                        "EAP type {:?} during EAP-TLS",
                        m.eap_type
                    )));
                }
                let step = match self.frames.receive(&m.data)? {
                    Incoming::Ack if self.frames.sending() => {
                        let f = self.frames.next_fragment();
                        self.next_request(f)
                    }
                    // The peer acknowledged our last flight: the handshake is done.
                    Incoming::Ack if conn.finished() => {
                        let msk = conn.msk()?;
                        return Ok(ServerStep::Success(self.finish(eap_code::SUCCESS), msk));
                    }
                    Incoming::Ack => {
                        return Err(EapError::Unexpected(
                            "an empty EAP-TLS Response before the TLS handshake completed".into(),
                        ))
                    }
                    Incoming::Fragment => self.next_request(Frames::ack()),
                    Incoming::Message(tls) => {
                        conn.feed(&tls)?;
                        // The client's flight completed the handshake: its certificate must
                        // name who it claimed to be before anything more is sent.
                        if let Some(cert) = conn.client_certificate() {
                            identity::check_client(cert, &self.eap_identity, Some(&self.ike_id))?;
                        }
                        conn.send_commitment()?;
                        let out = conn.take_output()?;
                        if out.is_empty() {
                            return Err(EapError::Unexpected(
                                "EAP-TLS data that leaves the server nothing to send".into(),
                            ));
                        }
                        self.frames.queue(out);
                        let f = self.frames.next_fragment();
                        self.next_request(f)
                    }
                };
                self.state = ServerState::Handshake(conn);
                Ok(step)
            }
            ServerState::Finished => Err(EapError::Unexpected("EAP already finished".into())),
        }
    }
}

/// The MSK for `Done`/`Success`; shared by both sides.
pub(crate) fn msk_of(material: &[u8]) -> KeyBytes {
    KeyBytes::from_slice(&material[..material.len().min(64)])
}
