//! The IKEv2 key schedule (RFC 7296 §2.13–2.18) and PPK mixing (RFC 8784 §3).
//!
//! ```text
//! SKEYSEED = prf(Ni | Nr, g^ir)                                          §2.14
//! {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
//!          = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)                       §2.14
//! KEYMAT   = prf+(SK_d, Ni | Nr)            or, with PFS,
//! KEYMAT   = prf+(SK_d, g^ir (new) | Ni | Nr)                            §2.17
//! SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)     (IKE SA rekey)    §2.18
//! SK_d     = prf+(PPK, SK_d'), SK_pi = prf+(PPK, SK_pi'), SK_pr = ...    RFC 8784 §3
//! ```
//! HMAC PRFs accept `Ni | Nr` as a key of any length, so the §2.14 special case
//! for fixed-key-size PRFs (AES-XCBC, AES-CMAC) does not arise: they are not offered.

use crate::provider::{EncrTransform, IntegTransform, PrfTransform};
use crate::{CryptoError, KeyBytes};

/// The transforms an IKE SA negotiated.
#[derive(Debug, Clone, Copy)]
pub struct IkeSuite {
    /// PRF.
    pub prf: &'static PrfTransform,
    /// Encryption (AEAD or block cipher).
    pub encr: &'static EncrTransform,
    /// Integrity; `None` exactly when `encr` is an AEAD.
    pub integ: Option<&'static IntegTransform>,
}

impl IkeSuite {
    /// Checks the AEAD/INTEG pairing rule (RFC 5282 §8: no INTEG with an AEAD;
    /// RFC 7296: a block cipher needs one).
    pub fn validate(&self) -> Result<(), CryptoError> {
        match (self.encr.is_aead(), self.integ) {
            (true, Some(i)) => Err(CryptoError::rejected(
                self.encr.name,
                format!("AEAD combined with {}", i.name),
            )),
            (false, None) => Err(CryptoError::rejected(
                self.encr.name,
                "block cipher without an integrity transform",
            )),
            _ => Ok(()),
        }
    }

    fn integ_key_len(&self) -> usize {
        self.integ.map_or(0, |i| i.key_len)
    }
}

/// IKE SA keys. With an AEAD, `sk_ai`/`sk_ar` are empty and `sk_ei`/`sk_er`
/// include the 4-octet salt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeSaKeys {
    /// Derives CHILD_SA keys and the next IKE SA's SKEYSEED.
    pub sk_d: KeyBytes,
    /// Integrity key, initiator to responder.
    pub sk_ai: KeyBytes,
    /// Integrity key, responder to initiator.
    pub sk_ar: KeyBytes,
    /// Encryption key (‖ salt), initiator to responder.
    pub sk_ei: KeyBytes,
    /// Encryption key (‖ salt), responder to initiator.
    pub sk_er: KeyBytes,
    /// AUTH payload key of the initiator.
    pub sk_pi: KeyBytes,
    /// AUTH payload key of the responder.
    pub sk_pr: KeyBytes,
}

/// `SKEYSEED = prf(Ni | Nr, g^ir)` (RFC 7296 §2.14).
pub fn skeyseed(prf: &PrfTransform, ni: &[u8], nr: &[u8], g_ir: &[u8]) -> KeyBytes {
    let mut key = KeyBytes::zeroed(ni.len() + nr.len());
    key.as_mut_bytes()[..ni.len()].copy_from_slice(ni);
    key.as_mut_bytes()[ni.len()..].copy_from_slice(nr);
    prf.compute(key.as_bytes(), &[g_ir])
}

/// IKE SA rekey: `SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)` with the
/// *old* SA's PRF (RFC 7296 §2.18) and the new exchange's nonces.
pub fn rekey_skeyseed(
    old_prf: &PrfTransform,
    old_sk_d: &KeyBytes,
    g_ir_new: &[u8],
    ni: &[u8],
    nr: &[u8],
) -> KeyBytes {
    old_prf.compute(old_sk_d.as_bytes(), &[g_ir_new, ni, nr])
}

/// Splits `prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)` into the seven IKE SA keys.
pub fn derive_ike_sa_keys(
    suite: &IkeSuite,
    skeyseed: &KeyBytes,
    ni: &[u8],
    nr: &[u8],
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
) -> Result<IkeSaKeys, CryptoError> {
    suite.validate()?;
    let d = suite.prf.key_len;
    let a = suite.integ_key_len();
    let e = suite.encr.key_len;
    let total = 3 * d + 2 * a + 2 * e;
    let km = suite
        .prf
        .prf_plus(skeyseed.as_bytes(), &[ni, nr, spi_i, spi_r], total)?;
    let mut rest = km.as_bytes();
    let mut take = |n: usize| {
        let (head, tail) = rest.split_at(n);
        rest = tail;
        KeyBytes::from_slice(head)
    };
    Ok(IkeSaKeys {
        sk_d: take(d),
        sk_ai: take(a),
        sk_ar: take(a),
        sk_ei: take(e),
        sk_er: take(e),
        sk_pi: take(d),
        sk_pr: take(d),
    })
}

/// SKEYSEED and all IKE SA keys of an initial exchange (IKE_SA_INIT).
pub fn ike_sa_init_keys(
    suite: &IkeSuite,
    ni: &[u8],
    nr: &[u8],
    g_ir: &[u8],
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
) -> Result<(KeyBytes, IkeSaKeys), CryptoError> {
    let seed = skeyseed(suite.prf, ni, nr, g_ir);
    let keys = derive_ike_sa_keys(suite, &seed, ni, nr, spi_i, spi_r)?;
    Ok((seed, keys))
}

impl IkeSaKeys {
    /// RFC 8784 §3: replaces SK_d, SK_pi and SK_pr by `prf+(PPK, key)` of the same length.
    pub fn mix_ppk(&self, prf: &PrfTransform, ppk: &KeyBytes) -> Result<Self, CryptoError> {
        let mix = |k: &KeyBytes| prf.prf_plus(ppk.as_bytes(), &[k.as_bytes()], k.len());
        Ok(Self {
            sk_d: mix(&self.sk_d)?,
            sk_pi: mix(&self.sk_pi)?,
            sk_pr: mix(&self.sk_pr)?,
            ..self.clone()
        })
    }
}

/// CHILD_SA keys, one set per direction. For ESP with an AEAD, `integ_*` are empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildSaKeys {
    /// Encryption key (‖ salt) for the SA carrying initiator → responder traffic.
    pub encr_i: KeyBytes,
    /// Integrity key, initiator → responder.
    pub integ_i: KeyBytes,
    /// Encryption key (‖ salt), responder → initiator.
    pub encr_r: KeyBytes,
    /// Integrity key, responder → initiator.
    pub integ_r: KeyBytes,
}

/// `KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr)` split per RFC 7296 §2.17: all keys
/// for initiator → responder first, and within a direction encryption before integrity.
pub fn child_sa_keys(
    prf: &PrfTransform,
    sk_d: &KeyBytes,
    encr: &EncrTransform,
    integ: Option<&IntegTransform>,
    pfs_g_ir: Option<&[u8]>,
    ni: &[u8],
    nr: &[u8],
) -> Result<ChildSaKeys, CryptoError> {
    let e = encr.key_len;
    let a = integ.map_or(0, |i| i.key_len);
    let total = 2 * (e + a);
    let km = match pfs_g_ir {
        Some(g) => prf.prf_plus(sk_d.as_bytes(), &[g, ni, nr], total)?,
        None => prf.prf_plus(sk_d.as_bytes(), &[ni, nr], total)?,
    };
    let b = km.as_bytes();
    Ok(ChildSaKeys {
        encr_i: KeyBytes::from_slice(&b[..e]),
        integ_i: KeyBytes::from_slice(&b[e..e + a]),
        encr_r: KeyBytes::from_slice(&b[e + a..2 * e + a]),
        integ_r: KeyBytes::from_slice(&b[2 * e + a..]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT;

    fn suite(encr: (u16, Option<u16>), integ: Option<u16>, prf: u16) -> IkeSuite {
        IkeSuite {
            prf: DEFAULT.prf(prf).unwrap(),
            encr: DEFAULT.encr(encr.0, encr.1).unwrap(),
            integ: integ.map(|i| DEFAULT.integ(i).unwrap()),
        }
    }

    #[test]
    fn key_lengths_follow_the_transforms() {
        let s = suite((20, Some(256)), None, 7);
        let (_, k) = ike_sa_init_keys(
            &s,
            b"ni-nonce-16octet",
            b"nr-nonce-16octet",
            &[5; 32],
            &[1; 8],
            &[2; 8],
        )
        .unwrap();
        assert_eq!(
            [
                k.sk_d.len(),
                k.sk_ai.len(),
                k.sk_ar.len(),
                k.sk_ei.len(),
                k.sk_er.len(),
                k.sk_pi.len(),
                k.sk_pr.len()
            ],
            [64, 0, 0, 36, 36, 64, 64]
        );
        let s = suite((12, Some(128)), Some(12), 5);
        let (_, k) = ike_sa_init_keys(&s, b"n1", b"n2", &[5; 32], &[1; 8], &[2; 8]).unwrap();
        assert_eq!(
            [
                k.sk_d.len(),
                k.sk_ai.len(),
                k.sk_ar.len(),
                k.sk_ei.len(),
                k.sk_er.len(),
                k.sk_pi.len(),
                k.sk_pr.len()
            ],
            [32, 32, 32, 16, 16, 32, 32]
        );
        // The split is the prf+ stream in order.
        let seed = skeyseed(s.prf, b"n1", b"n2", &[5; 32]);
        let stream = s
            .prf
            .prf_plus(seed.as_bytes(), &[b"n1", b"n2", &[1; 8], &[2; 8]], 192)
            .unwrap();
        assert_eq!(k.sk_d.as_bytes(), &stream.as_bytes()[..32]);
        assert_eq!(k.sk_ei.as_bytes(), &stream.as_bytes()[96..112]);
        assert_eq!(k.sk_pr.as_bytes(), &stream.as_bytes()[160..192]);
    }

    #[test]
    fn aead_with_integ_is_refused() {
        let s = suite((20, Some(128)), Some(12), 5);
        assert!(s.validate().is_err());
        let s = suite((12, Some(128)), None, 5);
        assert!(s.validate().is_err());
    }

    #[test]
    fn child_keys_with_and_without_pfs() {
        let prf = DEFAULT.prf(5).unwrap();
        let sk_d = KeyBytes::from_slice(&[9; 32]);
        let encr = DEFAULT.encr(12, Some(256)).unwrap();
        let integ = DEFAULT.integ(12).unwrap();
        let k = child_sa_keys(prf, &sk_d, encr, Some(integ), None, b"ni", b"nr").unwrap();
        let stream = prf.prf_plus(sk_d.as_bytes(), &[b"ninr"], 128).unwrap();
        assert_eq!(k.encr_i.as_bytes(), &stream.as_bytes()[..32]);
        assert_eq!(k.integ_i.as_bytes(), &stream.as_bytes()[32..64]);
        assert_eq!(k.encr_r.as_bytes(), &stream.as_bytes()[64..96]);
        assert_eq!(k.integ_r.as_bytes(), &stream.as_bytes()[96..]);
        let p = child_sa_keys(prf, &sk_d, encr, Some(integ), Some(&[7; 32]), b"ni", b"nr").unwrap();
        let stream = prf
            .prf_plus(sk_d.as_bytes(), &[&[7; 32], b"ninr"], 128)
            .unwrap();
        assert_eq!(p.encr_i.as_bytes(), &stream.as_bytes()[..32]);
        assert_ne!(p, k);
        let gcm = DEFAULT.encr(20, Some(128)).unwrap();
        let g = child_sa_keys(prf, &sk_d, gcm, None, None, b"ni", b"nr").unwrap();
        assert_eq!((g.encr_i.len(), g.integ_i.len()), (20, 0));
    }

    #[test]
    fn rekey_and_ppk() {
        let prf = DEFAULT.prf(5).unwrap();
        let old = KeyBytes::from_slice(&[3; 32]);
        let s = rekey_skeyseed(prf, &old, b"gir", b"ni", b"nr");
        assert_eq!(s, prf.compute(old.as_bytes(), &[b"girninr"]));
        let st = suite((20, Some(128)), None, 5);
        let (_, k) = ike_sa_init_keys(&st, b"n1", b"n2", &[5; 32], &[1; 8], &[2; 8]).unwrap();
        let ppk = KeyBytes::from_slice(b"a post-quantum preshared key");
        let m = k.mix_ppk(prf, &ppk).unwrap();
        assert_eq!(
            m.sk_d,
            prf.prf_plus(ppk.as_bytes(), &[k.sk_d.as_bytes()], 32)
                .unwrap()
        );
        assert_eq!(
            m.sk_pi,
            prf.prf_plus(ppk.as_bytes(), &[k.sk_pi.as_bytes()], 32)
                .unwrap()
        );
        assert_eq!(
            m.sk_pr,
            prf.prf_plus(ppk.as_bytes(), &[k.sk_pr.as_bytes()], 32)
                .unwrap()
        );
        assert_eq!(
            (m.sk_ei.clone(), m.sk_er.clone()),
            (k.sk_ei.clone(), k.sk_er.clone())
        );
        assert_ne!(m.sk_d, k.sk_d);
    }
}
