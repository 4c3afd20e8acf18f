//! `Debug` of every key-carrying type prints no key material.

use ikelab_crypto::keys::{child_sa_keys, ike_sa_init_keys, IkeSuite};
use ikelab_crypto::rng::{FixedRandom, SeededRandom};
use ikelab_crypto::sig::{EcCurve, SigningKey};
use ikelab_crypto::sk::SkContext;
use ikelab_crypto::x509::{TestCa, TestKeyType};
use ikelab_crypto::{KeyBytes, DEFAULT};

/// The private scalar inside an aws-lc P-256 PKCS#8 v1 document
/// (`... 04 20 <scalar> a1 44 ...`), without the public key that follows it.
fn p256_scalar(pkcs8: &[u8]) -> &[u8] {
    assert_eq!(&pkcs8[34..36], &[0x04, 0x20], "unexpected PKCS#8 layout");
    &pkcs8[36..68]
}

/// Fails if `dbg` contains any 4-octet window of `secret` as hex (either case)
/// or as a Rust byte-list fragment.
fn assert_no_secret(what: &str, dbg: &str, secret: &[u8]) {
    assert!(secret.len() >= 4, "{what}: secret too short to test");
    for w in secret.windows(4) {
        let hex = hex::encode(w);
        let list = format!("{}, {}, {}, {}", w[0], w[1], w[2], w[3]);
        assert!(
            !dbg.contains(&hex),
            "{what}: Debug shows key hex {hex}: {dbg}"
        );
        assert!(
            !dbg.contains(&hex.to_uppercase()),
            "{what}: Debug shows key hex: {dbg}"
        );
        assert!(!dbg.contains(&list), "{what}: Debug shows key bytes: {dbg}");
    }
    assert!(
        dbg.contains("redacted"),
        "{what}: Debug does not say <redacted>: {dbg}"
    );
}

#[test]
fn debug_never_shows_keys() {
    let suite = IkeSuite {
        prf: DEFAULT.prf(5).unwrap(),
        encr: DEFAULT.encr(12, Some(256)).unwrap(),
        integ: Some(DEFAULT.integ(12).unwrap()),
    };
    let (seed, keys) = ike_sa_init_keys(
        &suite,
        b"nonce-i",
        b"nonce-r",
        &[0x5a; 256],
        &[1; 8],
        &[2; 8],
    )
    .unwrap();
    assert_no_secret("SKEYSEED", &format!("{seed:?}"), seed.as_bytes());
    let dbg = format!("{keys:?}");
    for k in [
        &keys.sk_d,
        &keys.sk_ai,
        &keys.sk_ar,
        &keys.sk_ei,
        &keys.sk_er,
        &keys.sk_pi,
        &keys.sk_pr,
    ] {
        assert_no_secret("IkeSaKeys", &dbg, k.as_bytes());
    }
    let child = child_sa_keys(
        suite.prf,
        &keys.sk_d,
        suite.encr,
        suite.integ,
        None,
        b"ni",
        b"nr",
    )
    .unwrap();
    let dbg = format!("{child:?}");
    for k in [&child.encr_i, &child.integ_i, &child.encr_r, &child.integ_r] {
        assert_no_secret("ChildSaKeys", &dbg, k.as_bytes());
    }
    let ppk = KeyBytes::from_slice(b"post-quantum preshared key");
    assert_no_secret("PPK", &format!("{ppk:?}"), ppk.as_bytes());
    let dbg = format!("{:?}", keys.initiator());
    assert_no_secret("SkKeys", &dbg, keys.sk_ei.as_bytes());
    let ctx = SkContext::from_suite(&suite, keys.initiator()).unwrap();
    assert_no_secret("SkContext", &format!("{ctx:?}"), keys.sk_ei.as_bytes());

    // Key exchange private keys of every kind.
    for id in [14u16, 19, 31, 32] {
        let ke = DEFAULT.ke(id).unwrap();
        let private = vec![0x3c; if id == 14 { 40 } else { ke.public_len.min(32) }];
        let private = if id == 32 { vec![0x3c; 56] } else { private };
        let k = ke.from_private_bytes(&private).unwrap();
        assert_no_secret(ke.name, &format!("{k:?}"), &private);
        let shared = k.agree(k.public_value()).unwrap();
        assert_no_secret("g^ir", &format!("{shared:?}"), shared.as_bytes());
    }

    // Signing keys and generated certificates.
    let sk = SigningKey::generate_ecdsa(EcCurve::P256, &SeededRandom::from_u64(9)).unwrap();
    assert_no_secret(
        "SigningKey",
        &format!("{sk:?}"),
        p256_scalar(sk.pkcs8_der().as_bytes()),
    );
    let rng = SeededRandom::from_u64(10);
    let ca = TestCa::new("CA", TestKeyType::EcdsaP256, &rng).unwrap();
    let leaf = ca
        .issue("leaf", &["leaf.test"], TestKeyType::EcdsaP256, &rng)
        .unwrap();
    assert_no_secret(
        "TestCert",
        &format!("{leaf:?}"),
        p256_scalar(leaf.key.pkcs8_der().as_bytes()),
    );
    assert_no_secret(
        "TestCa",
        &format!("{ca:?}"),
        p256_scalar(ca.cert.key.pkcs8_der().as_bytes()),
    );

    // RNGs with secret state.
    assert!(format!("{:?}", SeededRandom::from_u64(1)).contains("redacted"));
    let fixed = FixedRandom::new(vec![0xa7; 16]);
    assert!(!format!("{fixed:?}").contains("167, 167, 167, 167"));
}
