//! The copy-free AEAD interface gives the same bytes as the in-place one, refuses forged
//! tags without leaving plaintext behind, and exists only where the ICV is the full tag.

use ikelab_crypto::cipher::{Aead, AesGcm, ChaCha20Poly1305};

fn aeads() -> Vec<Box<dyn Aead>> {
    let km = |n: usize| (0..n as u8).map(|b| b.wrapping_mul(7)).collect::<Vec<u8>>();
    vec![
        Box::new(AesGcm::new(&km(20), 16, 16).unwrap()),
        Box::new(AesGcm::new(&km(36), 32, 16).unwrap()),
        Box::new(ChaCha20Poly1305::new(&km(36)).unwrap()),
    ]
}

#[test]
fn scatter_seal_equals_in_place_seal_and_gathers_back() {
    let iv = [9u8; 8];
    let aad = b"spi+seq!";
    for a in aeads() {
        let oop = a.out_of_place().expect("full-tag AEADs have the interface");
        for len in [0usize, 1, 15, 16, 17, 1400] {
            let inner: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let trailer = [1u8, 2, 2, 4];
            // In place over inner ‖ trailer.
            let mut whole = [inner.as_slice(), &trailer].concat();
            let mut tag = [0u8; 16];
            a.seal_in_place(&iv, aad, &mut whole, &mut tag).unwrap();
            // Scattered.
            let mut ct = vec![0u8; len];
            let mut rest = [0u8; 4 + 16];
            oop.seal_scatter(&iv, aad, &inner, &mut ct, &trailer, &mut rest)
                .unwrap();
            assert_eq!(
                [ct.as_slice(), &rest].concat(),
                [whole.as_slice(), &tag].concat(),
                "{} {len}",
                a.name()
            );
            let mut back = vec![0u8; len + 4];
            oop.open_gather(&iv, aad, &whole, &tag, &mut back).unwrap();
            assert_eq!(&back[..len], inner.as_slice());
            assert_eq!(&back[len..], &trailer);
            // A forged tag: refused, output zeroed.
            let mut bad = tag;
            bad[0] ^= 1;
            let mut out = vec![0xAAu8; len + 4];
            assert!(oop.open_gather(&iv, aad, &whole, &bad, &mut out).is_err());
            assert!(
                out.iter().all(|&b| b == 0),
                "{}: no unauthenticated plaintext",
                a.name()
            );
            // Wrong output sizes are errors, not panics.
            assert!(oop
                .seal_scatter(&iv, aad, &inner, &mut vec![0; len + 1], &trailer, &mut rest)
                .is_err());
            assert!(oop
                .open_gather(&iv, aad, &whole, &tag[..8], &mut back)
                .is_err());
        }
    }
}

#[test]
fn truncated_icvs_have_no_copy_free_path() {
    let km: Vec<u8> = (0..20).collect();
    assert!(AesGcm::new(&km, 16, 8).unwrap().out_of_place().is_none());
    assert!(AesGcm::new(&km, 16, 12).unwrap().out_of_place().is_none());
}
