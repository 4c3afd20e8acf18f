//! EAP (RFC 3748) inside IKE_AUTH (RFC 7296 §2.16): the peer and server state machines for
//! EAP-Identity and EAP-MSCHAPv2 (RFC 2759 carried as in draft-kamath-pppext-eap-mschapv2).
//! They consume and produce EAP payloads only; `sa::auth::eap` moves them through IKE_AUTH.
//!
//! Every length is checked against what arrived before it is used: an MS-CHAPv2 Failure
//! Request whose EAP length leaves no room for its message (CVE-2025-62291 in strongSwan's
//! plugin) is a [`EapError::Malformed`], never a slice past the end.

use ikelab_crypto::mschapv2::{self, CHALLENGE_LEN, NT_RESPONSE_LEN};
use ikelab_crypto::KeyBytes;
use ikelab_policy::{EapUser, Secret};
use ikelab_wire::payload::{eap_code, EapPayload};

/// EAP method types (IANA "Method Types").
pub(crate) const TYPE_IDENTITY: u8 = 1;
pub(crate) const TYPE_NOTIFICATION: u8 = 2;
pub(crate) const TYPE_NAK: u8 = 3;
pub(crate) const TYPE_MSCHAPV2: u8 = 26;

/// MS-CHAPv2 OpCodes.
const OP_CHALLENGE: u8 = 1;
const OP_RESPONSE: u8 = 2;
const OP_SUCCESS: u8 = 3;
const OP_FAILURE: u8 = 4;

/// OpCode, MS-CHAPv2-ID and MS-Length.
const MS_HEADER_LEN: usize = 4;
/// Value-Size of a Response: Peer-Challenge, 8 reserved octets, NT-Response, Flags.
const RESPONSE_VALUE_LEN: usize = CHALLENGE_LEN + 8 + NT_RESPONSE_LEN + 1;
/// Name we send in Challenges.
const SERVER_NAME: &[u8] = b"ikelab";
/// Longest MS-CHAPv2 message text we look at.
const MAX_MESSAGE: usize = 1024;

/// Why EAP ended without an MSK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EapError {
    /// The server refused us (EAP-Failure, or an MS-CHAPv2 Failure Request).
    Rejected(String),
    /// The server's authenticator response is wrong: it does not know our password.
    ServerNotAuthenticated,
    /// The peer's credentials are wrong or unknown (server side).
    BadCredentials(String),
    /// A message out of order or of a method we do not run.
    Unexpected(String),
    /// A message that does not parse.
    Malformed(String),
}

impl core::fmt::Display for EapError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Rejected(r) => write!(f, "EAP server refused the credentials: {r}"),
            Self::ServerNotAuthenticated => f.write_str(
                "EAP-MSCHAPv2 authenticator response does not match: the server does not know the password",
            ),
            Self::BadCredentials(r) => write!(f, "EAP credentials refused: {r}"),
            Self::Unexpected(r) => write!(f, "unexpected EAP message: {r}"),
            Self::Malformed(r) => write!(f, "malformed EAP message: {r}"),
        }
    }
}

fn response(identifier: u8, eap_type: u8, data: Vec<u8>) -> EapPayload {
    EapPayload {
        code: eap_code::RESPONSE,
        identifier,
        eap_type: Some(eap_type),
        data,
    }
}

fn request(identifier: u8, eap_type: u8, data: Vec<u8>) -> EapPayload {
    EapPayload {
        code: eap_code::REQUEST,
        identifier,
        eap_type: Some(eap_type),
        data,
    }
}

/// An MS-CHAPv2 packet with OpCode, ID and MS-Length: `[op, id, len_hi, len_lo, value...]`.
fn ms_packet(op: u8, id: u8, value: &[u8]) -> Vec<u8> {
    let len = u16::try_from(MS_HEADER_LEN + value.len()).unwrap_or(u16::MAX);
    let mut v = Vec::with_capacity(MS_HEADER_LEN + value.len());
    v.extend_from_slice(&[op, id]);
    v.extend_from_slice(&len.to_be_bytes());
    v.extend_from_slice(value);
    v
}

/// Splits an MS-CHAPv2 packet with the long header; MS-Length must match what arrived.
fn ms_parts(data: &[u8]) -> Result<(u8, u8, &[u8]), EapError> {
    let [op, id, hi, lo, value @ ..] = data else {
        return Err(EapError::Malformed(format!(
            "MS-CHAPv2 packet of {} octets, shorter than its 4-octet header",
            data.len()
        )));
    };
    let ms_len = usize::from(u16::from_be_bytes([*hi, *lo]));
    if ms_len != data.len() {
        return Err(EapError::Malformed(format!(
            "MS-Length {ms_len} but {} octets of MS-CHAPv2 data",
            data.len()
        )));
    }
    Ok((*op, *id, value))
}

/// The text of a Success or Failure Request: printable ASCII, trailing NULs dropped.
fn ms_message(value: &[u8]) -> Result<&str, EapError> {
    let end = value.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let text = &value[..end];
    if text.len() > MAX_MESSAGE {
        return Err(EapError::Malformed(format!(
            "MS-CHAPv2 message of {} octets",
            text.len()
        )));
    }
    if let Some(b) = text.iter().find(|b| !(b.is_ascii_graphic() || **b == b' ')) {
        return Err(EapError::Malformed(format!(
            "MS-CHAPv2 message contains octet {b:#04x}"
        )));
    }
    core::str::from_utf8(text).map_err(|e| EapError::Malformed(e.to_string()))
}

fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.split(' ').find_map(|t| t.strip_prefix(key))
}

/// `M=` text for a log line: everything after it, shortened.
fn shown_message(text: &str) -> String {
    let m = text.find("M=").map_or("", |i| &text[i + 2..]);
    m.chars().take(80).collect()
}

fn hex_digits(s: &str, len: usize) -> Option<Vec<u8>> {
    if s.len() != 2 * len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..len)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// A parsed Failure Request (RFC 2759 §6): `E=eeeeeeeeee R=r C=cccc... V=vvvvvvvvvv M=<msg>`.
fn parse_failure(value: &[u8]) -> Result<String, EapError> {
    let text = ms_message(value)?;
    let code = field(text, "E=")
        .ok_or_else(|| EapError::Malformed("MS-CHAPv2 Failure Request without E=".into()))?;
    let code: u32 = code
        .parse()
        .map_err(|_| EapError::Malformed(format!("MS-CHAPv2 Failure Request with E={code:.16}")))?;
    if let Some(c) = field(text, "C=") {
        if hex_digits(c, CHALLENGE_LEN).is_none() {
            return Err(EapError::Malformed(
                "MS-CHAPv2 Failure Request with a C= that is not 32 hex digits".into(),
            ));
        }
    }
    let name = match code {
        646 => "ERROR_RESTRICTED_LOGON_HOURS",
        647 => "ERROR_ACCT_DISABLED",
        648 => "ERROR_PASSWD_EXPIRED",
        649 => "ERROR_NO_DIALIN_PERMISSION",
        691 => "ERROR_AUTHENTICATION_FAILURE",
        709 => "ERROR_CHANGING_PASSWORD",
        _ => "unknown error",
    };
    Ok(format!(
        "MS-CHAPv2 E={code} ({name}) {:?}",
        shown_message(text)
    ))
}

/// What the peer does next.
pub(crate) enum PeerStep {
    /// Send this EAP Response in the next IKE_AUTH request.
    Reply(EapPayload),
    /// EAP-Success after a verified authenticator response: AUTH from this MSK follows.
    Done(KeyBytes),
    Failed(EapError),
}

enum PeerState {
    /// Before the MS-CHAPv2 Challenge.
    Start,
    /// Response sent; the authenticator response and MSK we expect.
    Answered {
        authenticator: [u8; mschapv2::AUTH_RESPONSE_LEN],
        msk: KeyBytes,
    },
    /// The server proved itself; waiting for EAP-Success.
    Verified { msk: KeyBytes },
    /// We acknowledged a Failure Request; waiting for EAP-Failure.
    Refused { reason: String },
}

/// The EAP peer (client).
pub(crate) struct Peer {
    identity: Vec<u8>,
    password: Secret,
    state: PeerState,
}

impl Peer {
    pub fn new(identity: Vec<u8>, password: Secret) -> Self {
        Self {
            identity,
            password,
            state: PeerState::Start,
        }
    }

    /// Handles one EAP message from the server. `peer_challenge` is fresh randomness.
    pub fn on_message(&mut self, m: &EapPayload, peer_challenge: [u8; CHALLENGE_LEN]) -> PeerStep {
        match self.step(m, peer_challenge) {
            Ok(s) => s,
            Err(e) => PeerStep::Failed(e),
        }
    }

    fn step(
        &mut self,
        m: &EapPayload,
        peer_challenge: [u8; CHALLENGE_LEN],
    ) -> Result<PeerStep, EapError> {
        match m.code {
            eap_code::SUCCESS => {
                return match core::mem::replace(&mut self.state, PeerState::Start) {
                    PeerState::Verified { msk } => Ok(PeerStep::Done(msk)),
                    _ => Err(EapError::Unexpected(
                        "EAP-Success before the MS-CHAPv2 authenticator response".into(),
                    )),
                };
            }
            eap_code::FAILURE => {
                let reason = match &self.state {
                    PeerState::Refused { reason } => reason.clone(),
                    _ => "EAP-Failure".into(),
                };
                return Err(EapError::Rejected(reason));
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
            Some(TYPE_IDENTITY) => Ok(PeerStep::Reply(response(
                id,
                TYPE_IDENTITY,
                self.identity.clone(),
            ))),
            // RFC 3748 §5.2: a Notification is acknowledged with an empty Response.
            Some(TYPE_NOTIFICATION) => {
                Ok(PeerStep::Reply(response(id, TYPE_NOTIFICATION, Vec::new())))
            }
            Some(TYPE_MSCHAPV2) => self.mschapv2(id, &m.data, peer_challenge),
            // RFC 3748 §5.3.1: a Nak names the method we want instead.
            _ => Ok(PeerStep::Reply(response(id, TYPE_NAK, vec![TYPE_MSCHAPV2]))),
        }
    }

    fn mschapv2(
        &mut self,
        id: u8,
        data: &[u8],
        peer_challenge: [u8; CHALLENGE_LEN],
    ) -> Result<PeerStep, EapError> {
        let (op, ms_id, value) = ms_parts(data)?;
        match op {
            OP_CHALLENGE => {
                let [size, rest @ ..] = value else {
                    return Err(EapError::Malformed(
                        "MS-CHAPv2 Challenge without a value".into(),
                    ));
                };
                if usize::from(*size) != CHALLENGE_LEN || rest.len() < CHALLENGE_LEN {
                    return Err(EapError::Malformed(format!(
                        "MS-CHAPv2 Challenge with Value-Size {size} and {} octets",
                        rest.len()
                    )));
                }
                let mut auth_challenge = [0u8; CHALLENGE_LEN];
                auth_challenge.copy_from_slice(&rest[..CHALLENGE_LEN]);
                let o = mschapv2::compute(
                    self.password.expose(),
                    &auth_challenge,
                    &peer_challenge,
                    &self.identity,
                );
                let mut v = Vec::with_capacity(1 + RESPONSE_VALUE_LEN + self.identity.len());
                v.push(RESPONSE_VALUE_LEN as u8);
                v.extend_from_slice(&peer_challenge);
                v.extend_from_slice(&[0; 8]);
                v.extend_from_slice(&o.nt_response);
                v.push(0);
                v.extend_from_slice(&self.identity);
                self.state = PeerState::Answered {
                    authenticator: o.authenticator_response,
                    msk: o.msk,
                };
                Ok(PeerStep::Reply(response(
                    id,
                    TYPE_MSCHAPV2,
                    ms_packet(OP_RESPONSE, ms_id, &v),
                )))
            }
            OP_SUCCESS => {
                let PeerState::Answered { authenticator, msk } =
                    core::mem::replace(&mut self.state, PeerState::Start)
                else {
                    return Err(EapError::Unexpected(
                        "MS-CHAPv2 Success Request before our Response".into(),
                    ));
                };
                let text = ms_message(value)?;
                let s = field(text, "S=").ok_or_else(|| {
                    EapError::Malformed("MS-CHAPv2 Success Request without S=".into())
                })?;
                let got = hex_digits(s, mschapv2::AUTH_RESPONSE_LEN).ok_or_else(|| {
                    EapError::Malformed("MS-CHAPv2 S= is not 40 hex digits".into())
                })?;
                if !KeyBytes::from_slice(&authenticator).ct_eq(&got) {
                    return Err(EapError::ServerNotAuthenticated);
                }
                self.state = PeerState::Verified { msk };
                // RFC 2759 §5 / the EAP draft: a Success Response is the OpCode alone.
                Ok(PeerStep::Reply(response(
                    id,
                    TYPE_MSCHAPV2,
                    vec![OP_SUCCESS],
                )))
            }
            OP_FAILURE => {
                let reason = parse_failure(value)?;
                self.state = PeerState::Refused { reason };
                Ok(PeerStep::Reply(response(
                    id,
                    TYPE_MSCHAPV2,
                    vec![OP_FAILURE],
                )))
            }
            op => Err(EapError::Unexpected(format!("MS-CHAPv2 OpCode {op}"))),
        }
    }
}

/// What the server does next.
pub(crate) enum ServerStep {
    /// Send this EAP Request and wait for the next IKE_AUTH request.
    Reply(EapPayload),
    /// Send EAP-Success; the MSK keys the AUTH payloads that follow.
    Success(EapPayload, KeyBytes),
    /// Send EAP-Failure; authentication failed for this reason.
    Failure(EapPayload, EapError),
}

enum ServerState {
    IdentitySent,
    ChallengeSent {
        challenge: [u8; CHALLENGE_LEN],
        ms_id: u8,
    },
    SuccessSent {
        msk: KeyBytes,
    },
    Finished,
}

/// The EAP server (authenticator) for EAP-MSCHAPv2.
pub(crate) struct Server {
    users: Vec<EapUser>,
    identifier: u8,
    /// The EAP-Identity the peer gave.
    identity: Option<Vec<u8>>,
    state: ServerState,
}

impl Server {
    /// The server and its first Request (EAP-Identity). `identifier` is random.
    pub fn start(users: Vec<EapUser>, identifier: u8) -> (Self, EapPayload) {
        let s = Self {
            users,
            identifier,
            identity: None,
            state: ServerState::IdentitySent,
        };
        let first = request(identifier, TYPE_IDENTITY, Vec::new());
        (s, first)
    }

    /// Handles the peer's Response. `challenge` is fresh randomness.
    pub fn on_message(&mut self, m: &EapPayload, challenge: [u8; CHALLENGE_LEN]) -> ServerStep {
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
            self.step(m, challenge)
        };
        match result {
            Ok(s) => s,
            Err(e) => {
                self.state = ServerState::Finished;
                ServerStep::Failure(self.finish(eap_code::FAILURE), e)
            }
        }
    }

    fn finish(&mut self, code: u8) -> EapPayload {
        // RFC 3748 §4.2: Success and Failure carry the identifier of the Response.
        EapPayload {
            code,
            identifier: self.identifier,
            eap_type: None,
            data: Vec::new(),
        }
    }

    fn next_request(&mut self, data: Vec<u8>) -> EapPayload {
        self.identifier = self.identifier.wrapping_add(1);
        request(self.identifier, TYPE_MSCHAPV2, data)
    }

    fn step(
        &mut self,
        m: &EapPayload,
        challenge: [u8; CHALLENGE_LEN],
    ) -> Result<ServerStep, EapError> {
        refuse_nak(m, "EAP-MSCHAPv2")?;
        match core::mem::replace(&mut self.state, ServerState::Finished) {
            ServerState::IdentitySent => {
                self.identity = Some(identity_response(m)?);
                let ms_id = self.identifier.wrapping_add(1);
                let mut v = Vec::with_capacity(1 + CHALLENGE_LEN + SERVER_NAME.len());
                v.push(CHALLENGE_LEN as u8);
                v.extend_from_slice(&challenge);
                v.extend_from_slice(SERVER_NAME);
                self.state = ServerState::ChallengeSent { challenge, ms_id };
                Ok(ServerStep::Reply(self.next_request(ms_packet(
                    OP_CHALLENGE,
                    ms_id,
                    &v,
                ))))
            }
            ServerState::ChallengeSent { challenge, ms_id } => {
                self.check_response(m, &challenge, ms_id)
            }
            ServerState::SuccessSent { msk } => match (m.eap_type, m.data.first()) {
                (Some(TYPE_MSCHAPV2), Some(&OP_SUCCESS)) => {
                    let success = self.finish(eap_code::SUCCESS);
                    Ok(ServerStep::Success(success, msk))
                }
                _ => Err(EapError::Unexpected(
                    "no MS-CHAPv2 Success Response after our Success Request".into(),
                )),
            },
            ServerState::Finished => Err(EapError::Unexpected("EAP already finished".into())),
        }
    }

    fn check_response(
        &mut self,
        m: &EapPayload,
        challenge: &[u8; CHALLENGE_LEN],
        ms_id: u8,
    ) -> Result<ServerStep, EapError> {
        if m.eap_type != Some(TYPE_MSCHAPV2) {
            return Err(EapError::Unexpected(format!(
                "EAP type {:?} answering our MS-CHAPv2 Challenge",
                m.eap_type
            )));
        }
        let (op, id, value) = ms_parts(&m.data)?;
        if op != OP_RESPONSE || id != ms_id {
            return Err(EapError::Unexpected(format!(
                "MS-CHAPv2 OpCode {op} ID {id} answering Challenge ID {ms_id}"
            )));
        }
        let [size, rest @ ..] = value else {
            return Err(EapError::Malformed(
                "MS-CHAPv2 Response without a value".into(),
            ));
        };
        if usize::from(*size) != RESPONSE_VALUE_LEN || rest.len() < RESPONSE_VALUE_LEN {
            return Err(EapError::Malformed(format!(
                "MS-CHAPv2 Response with Value-Size {size} and {} octets",
                rest.len()
            )));
        }
        let (resp, name) = rest.split_at(RESPONSE_VALUE_LEN);
        let mut peer_challenge = [0u8; CHALLENGE_LEN];
        peer_challenge.copy_from_slice(&resp[..CHALLENGE_LEN]);
        let nt_response = &resp[CHALLENGE_LEN + 8..CHALLENGE_LEN + 8 + NT_RESPONSE_LEN];
        let shown = String::from_utf8_lossy(name)
            .chars()
            .take(64)
            .collect::<String>();
        // The Name, else the EAP-Identity, names the user (as strongSwan looks it up).
        let user = self
            .users
            .iter()
            .find(|u| u.identity.as_bytes() == name)
            .or_else(|| {
                let id = self.identity.as_deref()?;
                self.users.iter().find(|u| u.identity.as_bytes() == id)
            })
            .ok_or_else(|| EapError::BadCredentials(format!("no user {shown:?}")))?;
        let o = mschapv2::compute(user.password.expose(), challenge, &peer_challenge, name);
        if !KeyBytes::from_slice(&o.nt_response).ct_eq(nt_response) {
            return Err(EapError::BadCredentials(format!(
                "wrong password for {shown:?}"
            )));
        }
        self.identity = Some(name.to_vec());
        let text = format!(
            "{} M=Welcome to ikelab",
            mschapv2::authenticator_string(&o.authenticator_response)
        );
        self.state = ServerState::SuccessSent { msk: o.msk };
        Ok(ServerStep::Reply(self.next_request(ms_packet(
            OP_SUCCESS,
            ms_id,
            text.as_bytes(),
        ))))
    }
}

/// A server's check that the peer did not Nak our method (RFC 3748 §5.3.1).
pub(crate) fn refuse_nak(m: &EapPayload, method: &str) -> Result<(), EapError> {
    if m.eap_type == Some(TYPE_NAK) {
        return Err(EapError::Unexpected(format!(
            "the peer refused {method} (Nak for {:?})",
            m.data
        )));
    }
    Ok(())
}

/// The identity in the peer's answer to our EAP-Request/Identity.
pub(crate) fn identity_response(m: &EapPayload) -> Result<Vec<u8>, EapError> {
    if m.eap_type != Some(TYPE_IDENTITY) {
        return Err(EapError::Unexpected(format!(
            "EAP type {:?} answering our Identity Request",
            m.eap_type
        )));
    }
    Ok(m.data.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Vec<EapUser> {
        vec![EapUser {
            identity: "alice".into(),
            password: Secret::new(b"s3cret".to_vec()),
        }]
    }

    fn req(m: &PeerStep) -> &EapPayload {
        match m {
            PeerStep::Reply(p) => p,
            _ => panic!("no reply"),
        }
    }

    #[test]
    fn identity_challenge_success() {
        let (mut server, first) = Server::start(users(), 200);
        let mut peer = Peer::new(b"alice".to_vec(), Secret::new(b"s3cret".to_vec()));
        let r = peer.on_message(&first, [1; 16]);
        assert_eq!(req(&r).data, b"alice");
        let ServerStep::Reply(challenge) = server.on_message(req(&r), [2; 16]) else {
            panic!()
        };
        let r = peer.on_message(&challenge, [3; 16]);
        let ServerStep::Reply(success) = server.on_message(req(&r), [0; 16]) else {
            panic!()
        };
        let r = peer.on_message(&success, [0; 16]);
        let ServerStep::Success(done, server_msk) = server.on_message(req(&r), [0; 16]) else {
            panic!()
        };
        let PeerStep::Done(peer_msk) = peer.on_message(&done, [0; 16]) else {
            panic!()
        };
        assert_eq!(peer_msk.as_bytes(), server_msk.as_bytes());
        assert_eq!(peer_msk.len(), 64);
    }

    #[test]
    fn wrong_password_fails_on_the_server() {
        let (mut server, first) = Server::start(users(), 1);
        let mut peer = Peer::new(b"alice".to_vec(), Secret::new(b"nope".to_vec()));
        let r = peer.on_message(&first, [1; 16]);
        let ServerStep::Reply(challenge) = server.on_message(req(&r), [2; 16]) else {
            panic!()
        };
        let r = peer.on_message(&challenge, [3; 16]);
        let ServerStep::Failure(f, EapError::BadCredentials(why)) =
            server.on_message(req(&r), [0; 16])
        else {
            panic!()
        };
        assert!(why.contains("wrong password"), "{why}");
        assert!(!why.contains("s3cret") && !why.contains("nope"));
        assert!(matches!(
            peer.on_message(&f, [0; 16]),
            PeerStep::Failed(EapError::Rejected(_))
        ));
    }

    fn failure_request(value: &[u8], ms_len: Option<u16>) -> EapPayload {
        let mut data = ms_packet(OP_FAILURE, 7, value);
        if let Some(l) = ms_len {
            data[2..4].copy_from_slice(&l.to_be_bytes());
        }
        request(9, TYPE_MSCHAPV2, data)
    }

    #[test]
    fn failure_requests_of_abnormal_length_are_malformed() {
        let bad: Vec<EapPayload> = vec![
            // Shorter than the MS-CHAPv2 header (CVE-2025-62291: length below 9 octets).
            request(9, TYPE_MSCHAPV2, vec![OP_FAILURE]),
            request(9, TYPE_MSCHAPV2, vec![OP_FAILURE, 7, 0]),
            // MS-Length claims more (or less) than arrived.
            failure_request(b"E=691 R=0", Some(400)),
            failure_request(b"E=691 R=0", Some(2)),
            // No E= at all, an E= that is not a number, a bad C=.
            failure_request(b"R=1 C=00 V=3", None),
            failure_request(b"E=6x1", None),
            failure_request(b"E=691 C=zz", None),
            failure_request(&[b'E', b'=', b'6', 0xff], None),
            failure_request(&vec![b'A'; 5000], None),
        ];
        for m in bad {
            let mut peer = Peer::new(b"alice".to_vec(), Secret::new(b"x".to_vec()));
            assert!(
                matches!(
                    peer.on_message(&m, [0; 16]),
                    PeerStep::Failed(EapError::Malformed(_))
                ),
                "{m:?}"
            );
        }
        let mut peer = Peer::new(b"alice".to_vec(), Secret::new(b"x".to_vec()));
        let ok = failure_request(
            b"E=691 R=1 C=00112233445566778899aabbccddeeff V=3 M=no",
            None,
        );
        assert!(matches!(peer.on_message(&ok, [0; 16]), PeerStep::Reply(_)));
        let fail = EapPayload {
            code: eap_code::FAILURE,
            identifier: 10,
            eap_type: None,
            data: vec![],
        };
        let PeerStep::Failed(EapError::Rejected(why)) = peer.on_message(&fail, [0; 16]) else {
            panic!()
        };
        assert!(why.contains("691"), "{why}");
    }

    #[test]
    fn malformed_responses_fail_on_the_server() {
        for data in [
            vec![OP_RESPONSE],
            vec![OP_RESPONSE, 0, 0, 4],
            // Value-Size 49 claimed, 10 octets present.
            [&ms_packet(OP_RESPONSE, 0, &[49])[..], &[0; 9]].concat(),
        ] {
            let (mut server, first) = Server::start(users(), 1);
            let mut peer = Peer::new(b"alice".to_vec(), Secret::new(b"s3cret".to_vec()));
            let r = peer.on_message(&first, [1; 16]);
            let ServerStep::Reply(challenge) = server.on_message(req(&r), [2; 16]) else {
                panic!()
            };
            let mut bad = response(challenge.identifier, TYPE_MSCHAPV2, data.clone());
            if data.len() >= 4 {
                // Answer the right MS-CHAPv2-ID, so only the length is wrong.
                bad.data[1] = challenge.data[1];
                let n = bad.data.len() as u16;
                bad.data[2..4].copy_from_slice(&n.to_be_bytes());
            }
            assert!(
                matches!(
                    server.on_message(&bad, [0; 16]),
                    ServerStep::Failure(_, EapError::Malformed(_))
                ),
                "{data:?}"
            );
        }
    }

    #[test]
    fn wrong_authenticator_response_fails_the_peer() {
        let (mut server, first) = Server::start(users(), 5);
        let mut peer = Peer::new(b"alice".to_vec(), Secret::new(b"s3cret".to_vec()));
        let r = peer.on_message(&first, [1; 16]);
        let ServerStep::Reply(challenge) = server.on_message(req(&r), [2; 16]) else {
            panic!()
        };
        let r = peer.on_message(&challenge, [3; 16]);
        let ServerStep::Reply(mut success) = server.on_message(req(&r), [0; 16]) else {
            panic!()
        };
        // Flip one hex digit of S=.
        let i = success.data.iter().position(|&b| b == b'=').unwrap() + 1;
        success.data[i] = if success.data[i] == b'0' { b'1' } else { b'0' };
        assert!(matches!(
            peer.on_message(&success, [0; 16]),
            PeerStep::Failed(EapError::ServerNotAuthenticated)
        ));
    }

    #[test]
    fn unknown_methods_get_a_nak() {
        let mut peer = Peer::new(b"alice".to_vec(), Secret::new(b"x".to_vec()));
        let md5 = request(3, 4, vec![16; 17]);
        let PeerStep::Reply(nak) = peer.on_message(&md5, [0; 16]) else {
            panic!()
        };
        assert_eq!(
            (nak.eap_type, nak.data.as_slice()),
            (Some(TYPE_NAK), &[TYPE_MSCHAPV2][..])
        );
        let (mut server, _) = Server::start(users(), 3);
        assert!(matches!(
            server.on_message(&nak, [0; 16]),
            ServerStep::Failure(_, EapError::Unexpected(_))
        ));
        // EAP-Success out of order is refused.
        let early = EapPayload {
            code: eap_code::SUCCESS,
            identifier: 3,
            eap_type: None,
            data: vec![],
        };
        assert!(matches!(
            peer.on_message(&early, [0; 16]),
            PeerStep::Failed(EapError::Unexpected(_))
        ));
    }
}
