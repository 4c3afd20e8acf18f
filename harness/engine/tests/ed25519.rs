//! Ed25519 certificates (RFC 8420): AUTH method 14 with the id-Ed25519 AlgorithmIdentifier, and
//! IDENTITY (5) in SIGNATURE_HASH_ALGORITHMS (in the default list, and added by a side signing
//! with Ed25519 whatever its list), so a peer such as strongSwan (which signs with Ed25519 only
//! when the other side announced IDENTITY) can answer in kind. Found by harness/udp/interop/strongswan-matrix.sh (case ed): the engine refused
//! Ed25519 keys outright.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use ikelab_crypto::rng::SeededRandom;
use ikelab_crypto::sig::{algid, SigScheme};
use ikelab_crypto::x509::{TestCa, TestKeyType};
use ikelab_wire::iana::{AuthMethod, HashAlgorithm, NotifyType};
use ikelab_wire::payload::PayloadBody;
use pair::harness::*;

/// The SIGNATURE_HASH_ALGORITHMS list in wire message `i`.
fn hashes(p: &Pair, i: usize) -> Vec<HashAlgorithm> {
    p.payloads(&p.wire[i])
        .into_iter()
        .find_map(|pl| match pl.body {
            PayloadBody::Notify(n) if n.notify_type == NotifyType::SIGNATURE_HASH_ALGORITHMS => {
                n.signature_hash_algorithms()
            }
            _ => None,
        })
        .expect("SIGNATURE_HASH_ALGORITHMS")
}

/// The AUTH payload's method and RFC 7427 scheme in wire message `i`.
fn auth_scheme(p: &Pair, i: usize) -> (AuthMethod, Option<SigScheme>) {
    let a = p
        .payloads(&p.wire[i])
        .into_iter()
        .find_map(|pl| match pl.body {
            PayloadBody::Auth(a) => Some(a),
            _ => None,
        })
        .expect("an AUTH payload");
    let scheme = algid::decode_auth_data(&a.data).ok().map(|(s, _)| s);
    (a.method, scheme)
}

#[test]
fn ed25519_certificates_both_ways_and_mixed_with_ecdsa() {
    let rng = SeededRandom::from_u64(8420);
    let ca = TestCa::new("ikelab test CA", TestKeyType::EcdsaP256, &rng).unwrap();
    let anchors = trusting(&ca);
    for (client_key, server_key) in [
        (TestKeyType::Ed25519, TestKeyType::Ed25519),
        (TestKeyType::Ed25519, TestKeyType::EcdsaP384),
        (TestKeyType::EcdsaP256, TestKeyType::Ed25519),
    ] {
        let c = ca
            .issue("client.example", &["client.example"], client_key, &rng)
            .unwrap();
        let s = ca
            .issue("vpn.example", &["vpn.example"], server_key, &rng)
            .unwrap();
        let (mut client, mut server) = psk_policies();
        client.local.auth = cert_auth(&c);
        client.remote.auth = anchors.clone();
        server.local.auth = cert_auth(&s);
        server.remote.auth = anchors.clone();
        let mut p = Pair::new(84, server);
        p.connect(client);
        p.drive_to_established(100);
        let what = format!("{client_key:?} client, {server_key:?} server");
        assert!(p.a.established().is_some(), "{what}: {:?}", p.a.closed());
        assert_eq!(
            p.b.established().unwrap().remote_auth,
            AuthMethod::DIGITAL_SIGNATURE,
            "{what}"
        );
        assert_eq!(
            p.a.established().unwrap().remote_auth,
            AuthMethod::DIGITAL_SIGNATURE,
            "{what}"
        );
        // IKE_SA_INIT: both announce IDENTITY by default (each can verify Ed25519).
        for i in [0, 1] {
            let h = hashes(&p, i);
            assert!(h.contains(&HashAlgorithm::SHA2_256), "{what}: {h:?}");
            assert!(
                h.contains(&HashAlgorithm::IDENTITY),
                "{what}: message {i} announces {h:?}"
            );
        }
        // IKE_AUTH: method 14 with id-Ed25519 (RFC 8420 §2) from an Ed25519 signer.
        for (i, key) in [(2, client_key), (3, server_key)] {
            let (method, scheme) = auth_scheme(&p, i);
            assert_eq!(method, AuthMethod::DIGITAL_SIGNATURE, "{what}");
            assert_eq!(
                scheme == Some(SigScheme::Ed25519),
                key == TestKeyType::Ed25519,
                "{what}: message {i} signed with {scheme:?}"
            );
        }
    }
}

#[test]
fn ed25519_signs_with_method_14_even_without_the_peers_hash_list() {
    // RFC 8420 defines Ed25519 for AUTH method 14 only: a responder whose initiator sent no
    // SIGNATURE_HASH_ALGORITHMS (so no RFC 7427 support announced) still uses it, rather than
    // a legacy method that has no Ed25519 form.
    let rng = SeededRandom::from_u64(8421);
    let ca = TestCa::new("ikelab test CA", TestKeyType::EcdsaP256, &rng).unwrap();
    let c = ca
        .issue(
            "client.example",
            &["client.example"],
            TestKeyType::EcdsaP256,
            &rng,
        )
        .unwrap();
    let s = ca
        .issue("vpn.example", &["vpn.example"], TestKeyType::Ed25519, &rng)
        .unwrap();
    let anchors = trusting(&ca);
    let (mut client, mut server) = psk_policies();
    client.local.auth = cert_auth(&c);
    client.remote.auth = anchors.clone();
    client.features.signature_hash_algorithms = vec![];
    server.local.auth = cert_auth(&s);
    server.remote.auth = anchors;
    let mut p = Pair::new(85, server);
    p.connect(client);
    p.drive_to_established(100);
    assert!(p.a.established().is_some(), "{:?}", p.a.closed());
    assert!(!p
        .notifies(&p.wire[0])
        .contains(&NotifyType::SIGNATURE_HASH_ALGORITHMS));
    assert_eq!(
        auth_scheme(&p, 3),
        (AuthMethod::DIGITAL_SIGNATURE, Some(SigScheme::Ed25519))
    );
    // The ECDSA client saw the responder's list (with IDENTITY) and used method 14 too.
    assert!(hashes(&p, 1).contains(&HashAlgorithm::IDENTITY));
    assert_eq!(
        auth_scheme(&p, 2),
        (
            AuthMethod::DIGITAL_SIGNATURE,
            Some(SigScheme::Ecdsa(ikelab_crypto::integ::HashAlg::Sha256))
        )
    );
}
