//! Fuzzing entry points (crate feature `fuzzing`, which enables ikelab-crypto's null provider):
//! each takes the fuzzer's bytes and never panics on any input.
//!
//! [`responder_state`] drives a responder with a sequence of operations: genuine messages from a
//! real initiator (so every state is reachable), the fuzzer's own datagrams, mutations of the
//! genuine ones, and time jumps. With the null provider the SK payload is plaintext and its
//! integrity check always passes, so fuzzed IKE_AUTH and INFORMATIONAL contents reach the
//! parsers and state machines behind it.

use std::net::SocketAddr;
use std::sync::Arc;

use ikelab_crypto::null::NULL_FUZZING;
use ikelab_crypto::rng::SeededRandom;
use ikelab_policy::{
    Duration, EapMethod, EapUser, Identity, IdentityMatch, IkePolicy, LocalAuth, RemoteAuth, Secret,
};

use crate::{Endpoint, EndpointConfig, Timestamp, Transmit};

fn endpoint(seed: u64, responder: Option<IkePolicy>) -> Option<Endpoint> {
    let mut c = EndpointConfig::new(&NULL_FUZZING, Arc::new(SeededRandom::from_u64(seed)));
    c.responder = responder.map(Arc::new);
    c.trace_messages = true;
    Endpoint::new(c).ok()
}

/// Runs the operation sequence in `data` against a PSK responder.
///
/// Each operation is one selector octet followed by its arguments:
/// - `0`: deliver the initiator's pending datagrams to the responder and the replies back;
/// - `1 len bytes…`: a datagram of the fuzzer's to the IKE port;
/// - `2 len bytes…`: the same to the NAT-T port (the bytes include or omit the marker);
/// - `3 pos xor`: flip bits of the initiator's next datagram before delivering it;
/// - `4 secs`: advance time and run timers on both sides;
/// - `5`: the responder starts a liveness check on every SA it can;
/// - `6 what`: the initiator rekeys its first CHILD_SA (`what` even) or the IKE SA (odd), so
///   CREATE_CHILD_SA requests and their mutations reach the responder.
pub fn responder_state(data: &[u8]) {
    run(data);
}

/// [`responder_state`] with an EAP-MSCHAPv2 client and server (RFC 7296 §2.16: several
/// IKE_AUTH rounds), MOBIKE announced by both and redirect by the client, so the EAP-in-IKE
/// path and MOBIKE's INFORMATIONAL handling are reachable too.
pub fn responder_state_eap(data: &[u8]) {
    let (mut server, mut client) = eap_policies();
    for p in [&mut server, &mut client] {
        p.features.mobike = true;
    }
    client.features.redirect = true;
    run_with(data, server, client);
}

/// [`psk_policies`] with the client authenticating by EAP-MSCHAPv2 as `alice`.
fn eap_policies() -> (IkePolicy, IkePolicy) {
    let (mut server, mut client) = psk_policies();
    let password = || Secret::new(b"fuzz password".to_vec());
    client.local.auth = LocalAuth::Eap {
        eap_method: EapMethod::Mschapv2,
        identity: Some("alice".into()),
        password: password(),
        tls: None,
    };
    server.remote.auth = RemoteAuth::Eap {
        eap_method: EapMethod::Mschapv2,
        users: vec![EapUser {
            identity: "alice".into(),
            password: password(),
        }],
        tls: None,
    };
    (server, client)
}

/// The PSK responder (cookies from the fourth half-open SA on) and its genuine initiator.
fn psk_policies() -> (IkePolicy, IkePolicy) {
    let psk = Secret::new(b"fuzz".to_vec());
    let mut server = IkePolicy::psk(Identity::fqdn("server"), IdentityMatch::Any, psk.clone());
    server.cookie_threshold = Some(4);
    // RFC 7296 §3.12: the responder's IKE_SA_INIT carries a Vendor ID.
    server.features.vendor_ids = ikelab_policy::VendorId::new(b"ikelab fuzz".to_vec())
        .into_iter()
        .collect();
    let client = IkePolicy::psk(
        Identity::fqdn("client"),
        IdentityMatch::Exact(Identity::fqdn("server")),
        psk,
    );
    (server, client)
}

/// [`responder_state`], returning how many IKE SAs the responder established.
fn run(data: &[u8]) -> usize {
    let (server, client) = psk_policies();
    run_with(data, server, client)
}

fn run_with(data: &[u8], server: IkePolicy, client: IkePolicy) -> usize {
    let mut established = 0;
    drive(data, server, client, &mut |seen| {
        if let Seen::Responder(e) = seen {
            if matches!(e.kind, crate::EventKind::IkeSaEstablished(_)) {
                established += 1;
            }
        }
    });
    established
}

/// What [`drive`] shows its observer (seed building in tests looks at both).
#[cfg_attr(not(test), allow(dead_code))]
enum Seen<'a> {
    /// An event of the responder's.
    Responder(&'a crate::Event),
    /// The initiator's datagrams not yet delivered, as the next operation finds them.
    Pending(&'a [Transmit]),
}

fn drive(data: &[u8], server: IkePolicy, client: IkePolicy, observe: &mut dyn FnMut(Seen<'_>)) {
    let (Some(mut resp), Some(mut init)) = (endpoint(1, Some(server)), endpoint(2, None)) else {
        return;
    };
    let r_addr: SocketAddr = ([192, 0, 2, 2], 500).into();
    let r_natt: SocketAddr = ([192, 0, 2, 2], 4500).into();
    let i_addr: SocketAddr = ([192, 0, 2, 1], 500).into();
    let mut now = Timestamp::from_micros(1);
    let Ok(i_handle) = init.connect(now, Arc::new(client), i_addr, r_addr) else {
        return;
    };
    let mut pending: Vec<Transmit> = Vec::new();
    let mut handles = Vec::new();
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        pending.extend(core::iter::from_fn(|| init.poll_transmit()));
        observe(Seen::Pending(&pending));
        match op % 7 {
            0 => {
                for t in pending.drain(..) {
                    resp.handle_datagram(now, t.remote, t.local, &t.payload);
                }
                while let Some(t) = resp.poll_transmit() {
                    if t.remote.ip() == i_addr.ip() {
                        init.handle_datagram(now, t.remote, t.local, &t.payload);
                    }
                }
            }
            1 | 2 => {
                let Some((&len, tail)) = rest.split_first() else {
                    break;
                };
                let n = usize::from(len).min(tail.len());
                let (bytes, tail) = tail.split_at(n);
                rest = tail;
                let to = if op % 7 == 1 { r_addr } else { r_natt };
                resp.handle_datagram(now, to, i_addr, bytes);
            }
            3 => {
                let [pos, xor, ..] = rest else {
                    break;
                };
                rest = &rest[2..];
                if let Some(t) = pending.first_mut() {
                    if !t.payload.is_empty() {
                        let i = usize::from(*pos) % t.payload.len();
                        t.payload[i] ^= *xor;
                    }
                }
            }
            4 => {
                let Some((&secs, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                now = now + Duration::from_secs(u64::from(secs));
                resp.handle_timeout(now);
                init.handle_timeout(now);
            }
            5 => {
                for h in &handles {
                    let _ = resp.send_dpd(now, *h);
                }
            }
            _ => {
                let Some((&what, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                let child = init.child_sas(i_handle).first().map(|c| c.0);
                match (what % 2, child) {
                    (0, Some(spi)) => {
                        let _ = init.rekey_child_sa(now, i_handle, spi);
                    }
                    _ => {
                        let _ = init.rekey_ike_sa(now, i_handle);
                    }
                }
            }
        }
        while let Some(e) = resp.poll_event() {
            observe(Seen::Responder(&e));
            if let Some(h) = e.sa {
                if !handles.contains(&h) {
                    handles.push(h);
                }
            }
        }
        while init.poll_event().is_some() {}
        // The engine's own promise: a timer it arms is never in the past of a handled input
        // by more than the time it takes to call handle_timeout.
        if let Some(t) = resp.poll_timeout() {
            if t < now {
                resp.handle_timeout(now);
            }
        }
    }
}

#[cfg(test)]
mod seeds;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genuine_sequence_reaches_established_and_garbage_is_survived() {
        // Two genuine rounds: IKE_SA_INIT and IKE_AUTH, then time passes.
        assert_eq!(run(&[0, 0, 4, 30, 5, 0]), 1);
        // Rekeys of the CHILD_SA and the IKE SA, then a mutated CREATE_CHILD_SA request.
        assert_eq!(
            run(&[0, 0, 6, 0, 0, 0, 6, 1, 0, 0, 0, 6, 0, 3, 60, 0x40, 0, 4, 10]),
            1
        );
        // Octet 48 is in IDi (plaintext under the null provider): AUTH no longer matches.
        assert_eq!(run(&[0, 3, 48, 0x01, 0]), 0, "a flipped IDi octet fails");
        // Mutations of the genuine messages, raw datagrams on both ports, time jumps.
        let mut corpus: Vec<Vec<u8>> = vec![
            vec![3, 17, 0x30, 0],
            vec![0, 3, 40, 0xff, 0, 4, 200, 4, 200],
            [vec![1, 28], vec![0; 29]].concat(),
            vec![2, 4, 0xff, 0, 0, 0],
            vec![2, 1, 0xff],
        ];
        // A deterministic pseudo-random sweep standing in for the fuzzer in `cargo test`.
        let mut x: u64 = 0x1234_5678;
        for _ in 0..200 {
            let mut v = Vec::new();
            for _ in 0..64 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v.push((x & 0xff) as u8);
            }
            corpus.push(v);
        }
        for input in corpus {
            responder_state(&input);
            responder_state_eap(&input);
        }
    }

    #[test]
    fn eap_variant_reaches_established_through_the_eap_rounds() {
        let (server, client) = eap_policies();
        // IKE_SA_INIT, then the IKE_AUTH rounds (identity, challenge, success, AUTH).
        assert_eq!(run_with(&[0; 8], server, client), 1);
    }
}

/// Runs the operation sequence in `data` against an EAP-MSCHAPv2 peer and server talking to
/// each other (RFC 7296 §2.16 rounds without the IKE around them), so the fuzzer can replace or
/// corrupt any message of a real conversation.
///
/// Each operation is one selector octet followed by its arguments:
/// - `0`: deliver the message in flight (server → peer or peer → server) and take the answer;
/// - `1 code id type len bytes…`: a message of the fuzzer's to the peer instead;
/// - `2 code id type len bytes…`: the same to the server;
/// - `3 pos xor`: flip bits of the data of the message in flight.
///
/// Whenever both sides finish, they must hold the same MSK (the peer only finishes after
/// checking the server's authenticator response).
pub fn eap_mschapv2(data: &[u8]) {
    run_eap(data);
}

/// [`eap_mschapv2`], returning whether the peer and the server finished with an MSK.
fn run_eap(data: &[u8]) -> (bool, bool) {
    use crate::eap::{Peer, PeerStep, Server, ServerStep};
    use ikelab_wire::payload::EapPayload;

    let password = || Secret::new(b"fuzz password".to_vec());
    let mut peer = Peer::new(b"alice".to_vec(), password());
    let users = vec![EapUser {
        identity: "alice".into(),
        password: password(),
    }];
    let (mut server, first) = Server::start(users, 1);
    // The message in flight and whether it goes to the peer.
    let mut in_flight = Some((first, true));
    let (mut peer_msk, mut server_msk) = (None, None);
    let mut ops = data.iter().copied();
    let mut round = 0u8;
    fn fuzzed(ops: &mut impl Iterator<Item = u8>) -> Option<EapPayload> {
        let code = ops.next()?;
        let identifier = ops.next()?;
        let eap_type = ops.next()?;
        let len = usize::from(ops.next()?);
        let data: Vec<u8> = ops.by_ref().take(len).collect();
        Some(EapPayload {
            code,
            identifier,
            eap_type: (code == 1 || code == 2).then_some(eap_type),
            data,
        })
    }
    while let Some(op) = ops.next() {
        round = round.wrapping_add(1);
        let challenge = [round; 16];
        let (message, to_peer) = match op % 4 {
            0 => match in_flight.take() {
                Some(m) => m,
                None => continue,
            },
            1 => match fuzzed(&mut ops) {
                Some(m) => (m, true),
                None => break,
            },
            2 => match fuzzed(&mut ops) {
                Some(m) => (m, false),
                None => break,
            },
            _ => {
                let (Some(pos), Some(xor)) = (ops.next(), ops.next()) else {
                    break;
                };
                if let Some((m, _)) = in_flight.as_mut() {
                    if !m.data.is_empty() {
                        let i = usize::from(pos) % m.data.len();
                        m.data[i] ^= xor;
                    }
                }
                continue;
            }
        };
        if to_peer {
            match peer.on_message(&message, challenge) {
                PeerStep::Reply(r) => in_flight = Some((r, false)),
                PeerStep::Done(msk) => peer_msk = Some(msk),
                PeerStep::Failed(_) => {}
            }
        } else {
            match server.on_message(&message, challenge) {
                ServerStep::Reply(r) => in_flight = Some((r, true)),
                ServerStep::Success(r, msk) => {
                    server_msk = Some(msk);
                    in_flight = Some((r, true));
                }
                ServerStep::Failure(r, _) => in_flight = Some((r, true)),
            }
        }
        if let (Some(p), Some(s)) = (&peer_msk, &server_msk) {
            assert_eq!(
                p, s,
                "peer and server finished EAP-MSCHAPv2 with different MSKs"
            );
        }
    }
    (peer_msk.is_some(), server_msk.is_some())
}

#[cfg(test)]
mod eap_tests {
    /// A genuine conversation relayed untouched completes (the ops are all "deliver"), so the
    /// fuzzer starts from states where both sides hold an MSK.
    #[test]
    fn genuine_eap_conversation_completes() {
        assert_eq!(super::run_eap(&[0; 12]), (true, true));
    }

    /// A corrupted challenge fails authentication; garbage never panics.
    #[test]
    fn corrupted_and_fuzzed_conversations_do_not_finish() {
        assert!(!super::run_eap(&[0, 0, 3, 5, 0xff, 0, 0, 0, 0, 0]).0);
        super::eap_mschapv2(&[1, 4, 9, 26, 3, 1, 2, 3, 0, 0]);
        super::eap_mschapv2(&[2, 2, 7, 26, 255, 1, 2, 3]);
    }
}

/// EAP-TLS framing (RFC 5216 §3.1). The first octet picks the fragment size; the rest is
/// (a) a TLS flight that must come out of fragmentation and reassembly unchanged, and
/// (b) a sequence of received EAP-TLS messages (`len bytes…`) for the reassembler, which
/// must never panic nor hand out more than its limit.
pub fn eap_tls_frames(data: &[u8]) {
    use crate::eap_tls::frames::{Frames, Incoming, MAX_TLS_MESSAGE};

    let [size, rest @ ..] = data else {
        return;
    };
    let fragment = 16 + usize::from(*size) * 8;
    let (mut tx, mut rx) = (Frames::new(fragment), Frames::new(fragment));
    tx.queue(rest.to_vec());
    let mut reassembled = None;
    for _ in 0..=rest.len() / 16 + 1 {
        match rx.receive(&tx.next_fragment()) {
            Ok(Incoming::Message(m)) => {
                reassembled = Some(m);
                break;
            }
            Ok(Incoming::Ack) => {
                reassembled = Some(Vec::new());
                break;
            }
            Ok(Incoming::Fragment) => {}
            Err(e) => panic!("our own fragments do not reassemble: {e}"),
        }
    }
    assert_eq!(
        reassembled.as_deref(),
        Some(rest),
        "fragmentation round trip"
    );

    let mut rx = Frames::new(fragment);
    let mut ops = rest.iter().copied();
    while let Some(len) = ops.next() {
        let message: Vec<u8> = ops.by_ref().take(usize::from(len)).collect();
        if let Ok(Incoming::Message(m)) = rx.receive(&message) {
            assert!(m.len() <= MAX_TLS_MESSAGE, "reassembled past the limit");
        }
    }
}

#[cfg(test)]
mod eap_tls_tests {
    #[test]
    fn eap_tls_frames_round_trip_and_garbage() {
        let flight: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        super::eap_tls_frames(&[[0u8].as_slice(), &flight].concat());
        super::eap_tls_frames(&[[255u8].as_slice(), &flight].concat());
        super::eap_tls_frames(&[7]);
        super::eap_tls_frames(&[0, 5, 0x80, 0xff, 0xff, 0xff, 0xff, 1, 0x40]);
    }
}
