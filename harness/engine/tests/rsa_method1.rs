//! RSA certificates towards peers that announce no RFC 7427 hash algorithms: AUTH method 1
//! (RSASSA-PKCS1-v1_5 with SHA-1, RFC 7296 §3.8). Each side signs with the method its peer can
//! verify: method 1 when the peer sent no SIGNATURE_HASH_ALGORITHMS, method 14 otherwise.
//! Before, an RSA-keyed ikelab could not authenticate to such a peer at all.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use ikelab_crypto::rng::SeededRandom;
use ikelab_crypto::x509::{TestCa, TestCert, TestKeyType};
use ikelab_policy::{CertSource, RemoteAuth};
use ikelab_wire::iana::{AuthMethod, NotifyType};
use ikelab_wire::payload::PayloadBody;
use pair::harness::*;

/// An RSA-2048 CA with a client and a gateway certificate.
fn rsa_pki(seed: u64) -> (TestCa, TestCert, TestCert) {
    let rng = SeededRandom::from_u64(seed);
    let ca = TestCa::new("ikelab test CA", TestKeyType::Rsa2048, &rng).unwrap();
    let issue = |name: &str| ca.issue(name, &[name], TestKeyType::Rsa2048, &rng).unwrap();
    let (client, gateway) = (issue("client.example"), issue("vpn.example"));
    (ca, client, gateway)
}

fn auth_method(p: &Pair, i: usize) -> AuthMethod {
    p.payloads(&p.wire[i])
        .into_iter()
        .find_map(|pl| match pl.body {
            PayloadBody::Auth(a) => Some(a.method),
            _ => None,
        })
        .expect("an AUTH payload")
}

#[test]
fn each_side_signs_with_the_method_its_peer_announced() {
    let (ca, c, s) = rsa_pki(7296);
    let anchors = trusting(&ca);
    // (client announces hashes, server announces hashes) -> (client's method, server's).
    for (client_hashes, server_hashes, expected) in [
        (
            false,
            false,
            (AuthMethod::RSA_SIGNATURE, AuthMethod::RSA_SIGNATURE),
        ),
        (
            true,
            false,
            (AuthMethod::RSA_SIGNATURE, AuthMethod::DIGITAL_SIGNATURE),
        ),
        (
            false,
            true,
            (AuthMethod::DIGITAL_SIGNATURE, AuthMethod::RSA_SIGNATURE),
        ),
    ] {
        let (mut client, mut server) = psk_policies();
        client.local.auth = cert_auth(&c);
        client.remote.auth = anchors.clone();
        server.local.auth = cert_auth(&s);
        server.remote.auth = anchors.clone();
        if !client_hashes {
            client.features.signature_hash_algorithms = vec![];
        }
        if !server_hashes {
            server.features.signature_hash_algorithms = vec![];
        }
        let mut p = Pair::new(86, server);
        p.connect(client);
        p.drive_to_established(100);
        let case = format!("client hashes {client_hashes}, server hashes {server_hashes}");
        assert!(p.a.established().is_some(), "{case}: {:?}", p.a.closed());
        assert!(p.b.established().is_some(), "{case}: {:?}", p.b.closed());
        assert_eq!(
            p.notifies(&p.wire[0])
                .contains(&NotifyType::SIGNATURE_HASH_ALGORITHMS),
            client_hashes,
            "{case}"
        );
        // The client's IKE_AUTH request is fragmented (its certificate chain): the response
        // is the last message.
        let last = p.wire.len() - 1;
        assert_eq!(
            (auth_method(&p, 2), auth_method(&p, last)),
            expected,
            "{case}"
        );
        assert_eq!(p.b.established().unwrap().remote_auth, expected.0, "{case}");
        assert_eq!(p.a.established().unwrap().remote_auth, expected.1, "{case}");
    }
}

#[test]
fn a_peer_refusing_legacy_methods_refuses_method_1() {
    let (ca, c, s) = rsa_pki(7297);
    let (mut client, mut server) = psk_policies();
    client.local.auth = cert_auth(&c);
    client.remote.auth = trusting(&ca);
    client.features.signature_hash_algorithms = vec![];
    server.features.signature_hash_algorithms = vec![];
    server.local.auth = cert_auth(&s);
    server.remote.auth = RemoteAuth::Pubkey {
        trust_anchors: vec![CertSource::Der(ca.cert.cert_der.clone())],
        allow_legacy_methods: false,
    };
    let mut p = Pair::new(87, server);
    p.connect(client);
    p.drive_until(100, |p| p.a.closed().is_some());
    assert_eq!(auth_method(&p, 2), AuthMethod::RSA_SIGNATURE);
    assert!(p.b.established().is_none());
    let closed = format!("{:?}", p.a.closed());
    assert!(closed.contains("AUTHENTICATION_FAILED"), "{closed}");
}
