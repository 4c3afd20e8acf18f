//! Known-answer tests from the RFCs, each printed with its count.

use ikelab_crypto::keys::IkeSuite;
use ikelab_crypto::rng::FixedRandom;
use ikelab_crypto::sk::{SkContext, SkKeys};
use ikelab_crypto::DEFAULT;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

fn rep(b: u8, n: usize) -> Vec<u8> {
    vec![b; n]
}

const LARGE_KEY_DATA: &str = "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.";

/// RFC 4231 §4 test cases 1, 3, 4, 6, 7 (as PRFs, full output) for PRF IDs 5, 6, 7.
#[test]
fn rfc4231_hmac_sha2_prf() {
    let cases: [(Vec<u8>, Vec<u8>, [&str; 3]); 5] = [
        (rep(0x0b, 20), b"Hi There".to_vec(), [
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        ]),
        (rep(0xaa, 20), rep(0xdd, 50), [
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
            "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
        ]),
        ((1..=25).collect(), rep(0xcd, 50), [
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
            "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
        ]),
        (rep(0xaa, 131), b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(), [
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
        ]),
        (rep(0xaa, 131), LARGE_KEY_DATA.as_bytes().to_vec(), [
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
            "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
        ]),
    ];
    let mut n = 0;
    for (key, data, outs) in &cases {
        for (id, out) in [5u16, 6, 7].iter().zip(outs) {
            let prf = DEFAULT.prf(*id).unwrap();
            assert_eq!(
                prf.compute(key, &[data]).as_bytes(),
                h(out),
                "{} key {}",
                prf.name,
                key.len()
            );
            n += 1;
        }
    }
    println!("RFC 4231: {n} PRF vectors passed");
    assert_eq!(n, 15);
}

/// RFC 4868 §2.7.2.1–2.7.2.3 authentication test cases (truncated ICVs) for INTEG 12, 13, 14.
#[test]
fn rfc4868_hmac_sha2_integ() {
    let cases: [(u16, Vec<u8>, Vec<u8>, &str); 9] = [
        (
            12,
            rep(0x0b, 32),
            b"Hi There".to_vec(),
            "198a607eb44bfbc69903a0f1cf2bbdc5",
        ),
        (
            13,
            rep(0x0b, 48),
            b"Hi There".to_vec(),
            "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973",
        ),
        (
            14,
            rep(0x0b, 64),
            b"Hi There".to_vec(),
            "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8",
        ),
        (
            12,
            b"Jefe".repeat(8),
            b"what do ya want for nothing?".to_vec(),
            "167f928588c5cc2eef8e3093caa0e87c",
        ),
        (
            13,
            b"Jefe".repeat(12),
            b"what do ya want for nothing?".to_vec(),
            "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d",
        ),
        (
            14,
            b"Jefe".repeat(16),
            b"what do ya want for nothing?".to_vec(),
            "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454",
        ),
        (
            12,
            rep(0xaa, 32),
            rep(0xdd, 50),
            "cdcb1220d1ecccea91e53aba3092f962",
        ),
        (
            13,
            rep(0xaa, 48),
            rep(0xdd, 50),
            "809f439be00274321d4a538652164b53554a508184a0c316",
        ),
        (
            14,
            rep(0xaa, 64),
            rep(0xdd, 50),
            "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8",
        ),
    ];
    for (id, key, data, icv) in &cases {
        let t = DEFAULT.integ(*id).unwrap();
        let mac = t.new_mac(key).unwrap();
        let mut out = vec![0u8; t.icv_len];
        mac.sign(&[data], &mut out).unwrap();
        assert_eq!(out, h(icv), "{}", t.name);
        // Split input gives the same ICV; a changed octet does not verify.
        let (a, b) = data.split_at(3);
        mac.verify(&[a, b], &h(icv)).unwrap();
        let mut bad = data.clone();
        bad[0] ^= 1;
        assert!(mac.verify(&[&bad], &h(icv)).is_err());
    }
    println!("RFC 4868: {} integrity vectors passed", cases.len());
}

/// RFC 2202 §3 test cases 1 and 2 (HMAC-SHA-1) as PRF 2, INTEG 2 (96-bit) and INTEG 7 (160-bit).
#[test]
fn rfc2202_hmac_sha1() {
    let cases = [
        (
            rep(0x0b, 20),
            b"Hi There".to_vec(),
            "b617318655057264e28bc0b6fb378c8ef146be00",
        ),
        (
            b"Jefe".to_vec(),
            b"what do ya want for nothing?".to_vec(),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
        ),
    ];
    for (key, data, out) in &cases {
        assert_eq!(
            DEFAULT.prf(2).unwrap().compute(key, &[data]).as_bytes(),
            h(out)
        );
    }
    // INTEG transforms need 20-octet keys: case 1.
    let (key, data, out) = &cases[0];
    for (id, len) in [(2u16, 12usize), (7, 20)] {
        let mac = DEFAULT.integ(id).unwrap().new_mac(key).unwrap();
        mac.verify(&[data], &h(out)[..len]).unwrap();
    }
    println!("RFC 2202: 2 PRF + 2 INTEG vectors passed");
}

/// RFC 3602 §4 cases 1–3 (AES-128-CBC), through the ENCR table.
#[test]
fn rfc3602_aes_cbc() {
    let cases = [
        ("06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41", b"Single block msg".to_vec(), "e353779c1079aeb82708942dbe77181a"),
        ("c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58", (0u8..32).collect(),
         "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"),
        ("56e47a38c5598974bc46903dba290349", "8ce82eefbea0da3c44699ed7db51b7d9", (0xa0u8..=0xdf).collect(),
         "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55"),
    ];
    let t = DEFAULT.encr(12, Some(128)).unwrap();
    for (key, iv, pt, ct) in &cases {
        let c = t.new_block(&h(key)).unwrap();
        let mut buf = pt.clone();
        c.encrypt_in_place(&h(iv), &mut buf).unwrap();
        assert_eq!(buf, h(ct));
        c.decrypt_in_place(&h(iv), &mut buf).unwrap();
        assert_eq!(&buf, pt);
    }
    println!("RFC 3602: {} AES-CBC vectors passed", cases.len());
}

const CHACHA_KEY: &str = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";

/// RFC 7634 Appendix A: ESP packet with ChaCha20-Poly1305 (AAD = SPI ‖ sequence number).
#[test]
fn rfc7634_appendix_a_esp() {
    let keymat = h(&format!("{CHACHA_KEY} a0a1a2a3"));
    let a = DEFAULT.encr(28, None).unwrap().new_aead(&keymat).unwrap();
    let pt = h("45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec100007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363701020204");
    let ct = h("24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c614ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3cbec163fac469b502773f6fb94e664da9165b82829f641e0");
    let tag = h("76aaa8266b7fb0f7b11b369907e1ad43");
    let (iv, aad) = (h("1011121314151617"), h("0102030400000005"));
    let mut buf = pt.clone();
    let mut t = [0u8; 16];
    a.seal_in_place(&iv, &aad, &mut buf, &mut t).unwrap();
    assert_eq!((buf.clone(), t.to_vec()), (ct, tag.clone()));
    a.open_in_place(&iv, &aad, &mut buf, &tag).unwrap();
    assert_eq!(buf, pt);
    println!("RFC 7634 Appendix A: 1 ESP vector passed");
}

/// RFC 7634 Appendix B: an INFORMATIONAL message protected with ChaCha20-Poly1305,
/// through the SK payload code (AAD = IKE header ‖ SK generic header).
#[test]
fn rfc7634_appendix_b_ikev2() {
    let suite = IkeSuite {
        prf: DEFAULT.prf(5).unwrap(),
        encr: DEFAULT.encr(28, None).unwrap(),
        integ: None,
    };
    let sk_e = h(&format!("{CHACHA_KEY} a0a1a2a3"));
    let ctx = SkContext::from_suite(
        &suite,
        SkKeys {
            sk_e: &sk_e,
            sk_a: &[],
        },
    )
    .unwrap();
    let prefix = h("c0c1c2c3c4c5c6c7 d0d1d2d3d4d5d6d7 2e202500 00000009 00000045 29000029");
    let inner = h("0000000c 00004001 0000000a");
    let body = h("1011121314151617 610394701f8d017f7c12924889 6b71bfe25236efd7cdc67066906315b2");
    let sealed = ctx
        .seal(&prefix, &inner, &FixedRandom::new(h("1011121314151617")))
        .unwrap();
    assert_eq!(sealed, body);
    let mut msg = prefix.clone();
    msg.extend_from_slice(&body);
    assert_eq!(msg.len(), 0x45);
    assert_eq!(ctx.open(&msg, prefix.len()).unwrap(), inner);
    assert_eq!(
        ikelab_crypto::sk::open(
            &suite,
            SkKeys {
                sk_e: &sk_e,
                sk_a: &[]
            },
            &msg,
            32
        )
        .unwrap(),
        inner
    );
    println!("RFC 7634 Appendix B: 1 IKEv2 vector passed");
}

/// RFC 8439 §2.8.2 (the AEAD example), with the nonce split as salt ‖ IV.
#[test]
fn rfc8439_aead_example() {
    let keymat = h(&format!("{CHACHA_KEY} 07000000"));
    let a = DEFAULT.encr(28, None).unwrap().new_aead(&keymat).unwrap();
    let pt = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    let mut buf = pt.to_vec();
    let mut tag = [0u8; 16];
    a.seal_in_place(
        &h("4041424344454647"),
        &h("50515253c0c1c2c3c4c5c6c7"),
        &mut buf,
        &mut tag,
    )
    .unwrap();
    assert_eq!(&buf[..16], &h("d31a8d34648e60db7b86afbc53ef7ec2")[..]);
    assert_eq!(tag.to_vec(), h("1ae10b594f09e26a7e902ecbd0600691"));
    println!("RFC 8439 §2.8.2: 1 vector passed");
}

/// RFC 5903 §8: ECP groups 19, 20, 21 with the IKE encoding (x ‖ y, secret = x).
#[test]
fn rfc5903_ecp() {
    struct V {
        id: u16,
        i: &'static str,
        gix: &'static str,
        giy: &'static str,
        r: &'static str,
        grx: &'static str,
        gry: &'static str,
        girx: &'static str,
    }
    let vs = [
        V {
            id: 19,
            i: "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
            gix: "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
            giy: "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
            r: "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
            grx: "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
            gry: "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
            girx: "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE",
        },
        V {
            id: 20,
            i: "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655 E35B5380 41E649EE 3FAEF896 783AB194",
            gix: "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6 DE3AC808 ACB4BDB4 C88732AE E95F41AA",
            giy: "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 4573A81C",
            r: "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942 E0308312 916B8ED2 960E4BD5 5A7448FC",
            grx: "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D 0D1AC43A 0336DEF9 6FDA41D0 774A3571",
            gry: "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D B9E6386C",
            girx: "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4 D6031355 69B9E9D0 9CF5D4A2 70F59746",
        },
        V {
            id: 21,
            i: "0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 608172A0 95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 462F68C2 7A57382D 4A52",
            gix: "0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C ED3E",
            giy: "017CAE20 B6641D2E EB695786 D8C94614 6239D099 E18E1D5A 514C739D 7CB4A10A D8A78801 5AC405D7 799DC75E 7B7D5B6C F2261A6A 7F150743 8BF01BEB 6CA3926F 9582",
            r: "0145BA99 A847AF43 793FDD0E 872E7CDF A16BE30F DC780F97 BCCC3F07 8380201E 9C677D60 0B343757 A3BDBF2A 3163E4C2 F869CCA7 458AA4A4 EFFC311F 5CB15168 5EB9",
            grx: "00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21 9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9 460F",
            gry: "015C6822 6383956E 3BD066E7 97B623C2 7CE0EAC2 F551A10C 2C724D98 52077B87 220B6536 C5C408A1 D2AEBB8E 86D678AE 49CB5709 1F473229 6579AB44 FCD17F0F C56A",
            girx: "01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 B2D79B04 D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 F2BEE417 996D19F3 DDEA",
        },
    ];
    for v in &vs {
        let ke = DEFAULT.ke(v.id).unwrap();
        let i = ke.from_private_bytes(&h(v.i)).unwrap();
        let r = ke.from_private_bytes(&h(v.r)).unwrap();
        let gi = [h(v.gix), h(v.giy)].concat();
        let gr = [h(v.grx), h(v.gry)].concat();
        assert_eq!(i.public_value(), &gi[..], "group {} g^i", v.id);
        assert_eq!(r.public_value(), &gr[..], "group {} g^r", v.id);
        assert_eq!(
            i.agree(&gr).unwrap().as_bytes(),
            h(v.girx),
            "group {}",
            v.id
        );
        assert_eq!(
            r.agree(&gi).unwrap().as_bytes(),
            h(v.girx),
            "group {}",
            v.id
        );
        // The SEC 1 form (0x04 ‖ x ‖ y) is not the IKE encoding and is refused.
        let sec1 = [vec![4], gr.clone()].concat();
        assert!(i.agree(&sec1).is_err());
        let mut off = gr.clone();
        let last = off.len() - 1;
        off[last] ^= 1;
        assert!(
            i.agree(&off).is_err(),
            "group {} accepted an off-curve point",
            v.id
        );
    }
    println!("RFC 5903 §8: {} ECP vectors passed", vs.len());
}

/// RFC 7748 §5.2 single-step vectors and §6.1/§6.2 Diffie-Hellman examples.
#[test]
fn rfc7748_x25519_x448() {
    let x25519 = DEFAULT.ke(31).unwrap();
    let x448 = DEFAULT.ke(32).unwrap();
    // §5.2
    let k = x25519
        .from_private_bytes(&h(
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        ))
        .unwrap();
    assert_eq!(
        k.agree(&h(
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"
        ))
        .unwrap()
        .as_bytes(),
        h("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
    );
    let k = x448
        .from_private_bytes(&h("3d262fddf9ec8e88495266fea19a34d28882acef045104d0d1aae121700a779c984c24f8cdd78fbff44943eba368f54b29259a4f1c600ad3"))
        .unwrap();
    assert_eq!(
        k.agree(&h("06fce640fa3487bfda5f6cf2d5263f8aad88334cbd07437f020f08f9814dc031ddbdc38c19c6da2583fa5429db94ada18aa7a7fb4ef8a086"))
            .unwrap()
            .as_bytes(),
        h("ce3e4ff95a60dc6697da1db1d85e6afbdf79b50a2412d7546d5f239fe14fbaadeb445fc66a01b0779d98223961111e21766282f73dd96b6f")
    );
    // §5.2 iterated X25519, 1 and 1000 iterations.
    let (mut kk, mut u) = (
        h(&format!("09{}", "00".repeat(31))),
        h(&format!("09{}", "00".repeat(31))),
    );
    for iter in 1..=1000 {
        let out = x25519.from_private_bytes(&kk).unwrap().agree(&u).unwrap();
        u = kk;
        kk = out.as_bytes().to_vec();
        if iter == 1 {
            assert_eq!(
                kk,
                h("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
            );
        }
    }
    assert_eq!(
        kk,
        h("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
    );
    // §6.1 and §6.2
    let dh = [
        (x25519, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
         "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
         "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
         "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
         "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
        (x448, "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b",
         "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0",
         "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d",
         "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609",
         "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d"),
    ];
    for (ke, a, a_pub, b, b_pub, k) in dh {
        let a = ke.from_private_bytes(&h(a)).unwrap();
        let b = ke.from_private_bytes(&h(b)).unwrap();
        assert_eq!(a.public_value(), &h(a_pub)[..]);
        assert_eq!(b.public_value(), &h(b_pub)[..]);
        assert_eq!(a.agree(&h(b_pub)).unwrap().as_bytes(), h(k));
        assert_eq!(b.agree(&h(a_pub)).unwrap().as_bytes(), h(k));
        // Low-order point (u = 0) gives an all-zero secret: refused (RFC 8031 §2.2).
        assert!(a.agree(&vec![0; ke.public_len]).is_err());
    }
    println!("RFC 7748: 2 single-step + 1000 iterations + 2 DH vectors passed");
}

/// MODP groups 1 and 14 against known answers from an independent big-integer
/// implementation (vectors/modp_kat.json), plus RFC 6989 public value checks.
#[test]
fn modp_known_answers() {
    let path = format!("{}/vectors/modp_kat.json", env!("CARGO_MANIFEST_DIR"));
    let kat: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut n = 0;
    for (id, v) in kat["groups"].as_object().unwrap() {
        let ke = DEFAULT.ke(id.parse().unwrap()).unwrap();
        let g = |k: &str| h(v[k].as_str().unwrap());
        let x = ke.from_private_bytes(&g("x")).unwrap();
        let r = ke.from_private_bytes(&g("r")).unwrap();
        assert_eq!(x.public_value(), &g("gx")[..]);
        assert_eq!(r.public_value(), &g("gr")[..]);
        assert_eq!(x.agree(&g("gr")).unwrap().as_bytes(), g("s"));
        assert_eq!(r.agree(&g("gx")).unwrap().as_bytes(), g("s"));
        // 1 < y < p-1 at exactly the modulus length.
        let len = ke.public_len;
        let mut one = vec![0u8; len];
        one[len - 1] = 1;
        let p_minus_1 = {
            let mut p = vec![0xffu8; len];
            p[len - 1] = 0xfe; // every RFC 3526/2409 prime ends in 64 one bits
            p
        };
        for bad in [
            vec![0u8; len],
            one,
            p_minus_1,
            vec![0xff; len],
            g("gr")[1..].to_vec(),
        ] {
            assert!(
                x.agree(&bad).is_err(),
                "group {id} accepted a bad public value"
            );
        }
        n += 1;
    }
    println!("MODP known answers: {n} groups passed");
    assert_eq!(n, 2);
}
