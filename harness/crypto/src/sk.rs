//! Encrypted (SK) payload protection: RFC 7296 §3.14 (block cipher + integrity),
//! RFC 5282 §5.1 (AEAD: AES-GCM) and RFC 7634 §4 (ChaCha20-Poly1305).
//!
//! The SK body is `IV ‖ ciphertext(inner payloads ‖ padding ‖ pad length) ‖ ICV`.
//!
//! * Block cipher: the ICV covers the whole message "starting with the Fixed IKE
//!   header through the Pad Length" — i.e. header, every payload before SK, the
//!   SK generic header, IV and ciphertext (RFC 7296 §3.14).
//! * AEAD: the associated data is "the partial contents of the IKEv2 message,
//!   starting from the first octet of the Fixed IKE Header through the last octet
//!   of the Payload Header of the Encrypted Payload" (RFC 5282 §5.1), i.e.
//!   `message[..sk_body_offset]`; the nonce is `salt ‖ IV`.
//!
//! For SKF fragments (RFC 7383 §2.5) pass the offset after the Fragment Number
//! and Total Fragments fields: they belong to the AAD in the same way.
//! The SK/SKF payload must be the last one, so the message ends with the ICV.

use crate::cipher::{Aead, BlockCipher};
use crate::integ::Mac;
use crate::keys::{IkeSaKeys, IkeSuite};
use crate::provider::{EncrTransform, IntegTransform};
use crate::rng::SecureRandom;
use crate::CryptoError;
use core::fmt;

/// Why an SK payload could not be opened or sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkError {
    /// The SK body is too short to hold IV, one block or pad length, and ICV.
    #[error("SK payload body is {got} octets, at least {need} needed for IV, pad length and ICV")]
    Short {
        /// Minimum body length.
        need: usize,
        /// Body length present.
        got: usize,
    },
    /// `sk_body_offset` points past the message.
    #[error("SK body offset {offset} is past the end of the {len}-octet message")]
    BadOffset {
        /// Offset given.
        offset: usize,
        /// Message length.
        len: usize,
    },
    /// The ICV / AEAD tag did not verify (wrong keys, or tampering).
    #[error("SK payload integrity check failed ({what})")]
    Integrity {
        /// Algorithm.
        what: &'static str,
    },
    /// The decrypted Pad Length exceeds the plaintext.
    #[error(
        "SK payload padding invalid: pad length {pad_len} but only {available} octets precede it"
    )]
    BadPadding {
        /// Pad Length octet.
        pad_len: u8,
        /// Plaintext octets before the Pad Length.
        available: usize,
    },
    /// Block-cipher ciphertext that is not a whole number of blocks.
    #[error("SK payload ciphertext of {len} octets is not a multiple of the {block}-octet block")]
    NotBlockAligned {
        /// Ciphertext length.
        len: usize,
        /// Block size.
        block: usize,
    },
    /// Requested padding does not align the plaintext to the block size.
    #[error(
        "pad length {pad_len} does not align {inner} octets of payloads to {block}-octet blocks"
    )]
    Misaligned {
        /// Pad Length asked for.
        pad_len: u8,
        /// Inner payload octets.
        inner: usize,
        /// Block size.
        block: usize,
    },
    /// A key or primitive error.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// One direction's SK keys: `SK_ei`/`SK_ai` (initiator sends) or `SK_er`/`SK_ar`.
#[derive(Clone, Copy)]
pub struct SkKeys<'a> {
    /// Encryption key (with salt for AEADs).
    pub sk_e: &'a [u8],
    /// Integrity key (empty for AEADs).
    pub sk_a: &'a [u8],
}

impl fmt::Debug for SkKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SkKeys(<redacted>)")
    }
}

impl IkeSaKeys {
    /// Keys protecting messages the initiator sends.
    pub fn initiator(&self) -> SkKeys<'_> {
        SkKeys {
            sk_e: self.sk_ei.as_bytes(),
            sk_a: self.sk_ai.as_bytes(),
        }
    }

    /// Keys protecting messages the responder sends.
    pub fn responder(&self) -> SkKeys<'_> {
        SkKeys {
            sk_e: self.sk_er.as_bytes(),
            sk_a: self.sk_ar.as_bytes(),
        }
    }
}

enum Kind {
    Aead(Box<dyn Aead>),
    Cbc {
        cipher: Box<dyn BlockCipher>,
        mac: Box<dyn Mac>,
    },
}

/// Pre-keyed SK protection for one direction (build once per IKE SA direction).
pub struct SkContext {
    kind: Kind,
    iv_len: usize,
    block_len: usize,
    icv_len: usize,
}

impl fmt::Debug for SkContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match &self.kind {
            Kind::Aead(a) => a.name(),
            Kind::Cbc { cipher, .. } => cipher.name(),
        };
        f.debug_struct("SkContext")
            .field("cipher", &name)
            .field("keys", &"<redacted>")
            .finish()
    }
}

impl SkContext {
    /// Keys the cipher (and MAC) for one direction.
    pub fn new(
        encr: &EncrTransform,
        integ: Option<&IntegTransform>,
        keys: SkKeys<'_>,
    ) -> Result<Self, CryptoError> {
        if encr.is_aead() {
            if let Some(i) = integ {
                return Err(CryptoError::rejected(
                    encr.name,
                    format!("AEAD combined with {}", i.name),
                ));
            }
            let a = encr.new_aead(keys.sk_e)?;
            Ok(Self {
                iv_len: encr.iv_len,
                block_len: encr.block_len,
                icv_len: a.tag_len(),
                kind: Kind::Aead(a),
            })
        } else {
            let integ = integ.ok_or_else(|| {
                CryptoError::rejected(encr.name, "block cipher without an integrity transform")
            })?;
            let cipher = encr.new_block(keys.sk_e)?;
            let mac = integ.new_mac(keys.sk_a)?;
            Ok(Self {
                iv_len: cipher.iv_len(),
                block_len: cipher.block_len(),
                icv_len: mac.icv_len(),
                kind: Kind::Cbc { cipher, mac },
            })
        }
    }

    /// From a suite and one direction's keys.
    pub fn from_suite(suite: &IkeSuite, keys: SkKeys<'_>) -> Result<Self, CryptoError> {
        Self::new(suite.encr, suite.integ, keys)
    }

    /// IV octets at the start of the SK body.
    pub fn iv_len(&self) -> usize {
        self.iv_len
    }

    /// ICV octets at the end of the SK body.
    pub fn icv_len(&self) -> usize {
        self.icv_len
    }

    /// Padding alignment (1 for AEADs).
    pub fn block_len(&self) -> usize {
        self.block_len
    }

    /// Minimal pad length for `inner_len` octets of payloads.
    pub fn min_pad_len(&self, inner_len: usize) -> u8 {
        ((self.block_len - (inner_len + 1) % self.block_len) % self.block_len) as u8
    }

    /// SK body length for `inner_len` octets of payloads and `pad_len` padding,
    /// so the caller can write final lengths into the headers before sealing.
    pub fn body_len(&self, inner_len: usize, pad_len: u8) -> usize {
        self.iv_len + inner_len + pad_len as usize + 1 + self.icv_len
    }

    /// Encrypts `inner` with minimal padding. `msg_prefix` is everything from the
    /// IKE header through the SK generic payload header, lengths already final.
    /// Returns the SK body `IV ‖ ciphertext ‖ ICV`.
    pub fn seal(
        &self,
        msg_prefix: &[u8],
        inner: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, SkError> {
        self.seal_padded(msg_prefix, inner, self.min_pad_len(inner.len()), rng)
    }

    /// Like [`SkContext::seal`] with an explicit pad length (zero-valued padding),
    /// for scenarios that exercise the receiver's padding handling.
    pub fn seal_padded(
        &self,
        msg_prefix: &[u8],
        inner: &[u8],
        pad_len: u8,
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, SkError> {
        let pt_len = inner.len() + pad_len as usize + 1;
        if !pt_len.is_multiple_of(self.block_len) {
            return Err(SkError::Misaligned {
                pad_len,
                inner: inner.len(),
                block: self.block_len,
            });
        }
        let mut out = Vec::with_capacity(self.body_len(inner.len(), pad_len));
        out.resize(self.iv_len, 0);
        rng.fill(&mut out)?;
        out.extend_from_slice(inner);
        out.resize(out.len() + pad_len as usize, 0);
        out.push(pad_len);
        let ct_start = self.iv_len;
        out.resize(out.len() + self.icv_len, 0);
        let icv_start = out.len() - self.icv_len;
        let (head, icv) = out.split_at_mut(icv_start);
        let (iv, pt) = head.split_at_mut(ct_start);
        match &self.kind {
            Kind::Aead(a) => a.seal_in_place(iv, msg_prefix, pt, icv)?,
            Kind::Cbc { cipher, mac } => {
                cipher.encrypt_in_place(iv, pt)?;
                mac.sign(&[msg_prefix, head], icv)?;
            }
        }
        Ok(out)
    }

    /// Verifies and decrypts the SK payload that ends `message` and whose body
    /// (the IV) starts at `sk_body_offset`. Returns the inner payloads, padding
    /// and Pad Length removed.
    pub fn open(&self, message: &[u8], sk_body_offset: usize) -> Result<Vec<u8>, SkError> {
        if sk_body_offset > message.len() {
            return Err(SkError::BadOffset {
                offset: sk_body_offset,
                len: message.len(),
            });
        }
        let (prefix, body) = message.split_at(sk_body_offset);
        let need = self.iv_len + self.block_len.max(1) + self.icv_len;
        if body.len() < need {
            return Err(SkError::Short {
                need,
                got: body.len(),
            });
        }
        let (iv, rest) = body.split_at(self.iv_len);
        let (ct, icv) = rest.split_at(rest.len() - self.icv_len);
        let mut pt = ct.to_vec();
        match &self.kind {
            Kind::Aead(a) => a
                .open_in_place(iv, prefix, &mut pt, icv)
                .map_err(integrity)?,
            Kind::Cbc { cipher, mac } => {
                // Verify before decrypting (RFC 7296 §3.14 order; no padding oracle).
                mac.verify(&[&message[..message.len() - self.icv_len]], icv)
                    .map_err(integrity)?;
                if !ct.len().is_multiple_of(self.block_len) {
                    return Err(SkError::NotBlockAligned {
                        len: ct.len(),
                        block: self.block_len,
                    });
                }
                cipher.decrypt_in_place(iv, &mut pt)?;
            }
        }
        strip_padding(pt)
    }
}

fn integrity(e: CryptoError) -> SkError {
    match e {
        CryptoError::Integrity { what } => SkError::Integrity { what },
        other => SkError::Crypto(other),
    }
}

fn strip_padding(mut pt: Vec<u8>) -> Result<Vec<u8>, SkError> {
    let Some(&pad_len) = pt.last() else {
        return Err(SkError::Short { need: 1, got: 0 });
    };
    let available = pt.len() - 1;
    if pad_len as usize > available {
        return Err(SkError::BadPadding { pad_len, available });
    }
    // RFC 7296 §3.14: the padding may hold any value; the receiver must not check it.
    pt.truncate(available - pad_len as usize);
    Ok(pt)
}

/// One-shot [`SkContext::seal`] (keys the cipher on every call).
pub fn seal(
    suite: &IkeSuite,
    keys: SkKeys<'_>,
    msg_prefix: &[u8],
    inner: &[u8],
    rng: &dyn SecureRandom,
) -> Result<Vec<u8>, SkError> {
    SkContext::from_suite(suite, keys)?.seal(msg_prefix, inner, rng)
}

/// One-shot [`SkContext::open`] (keys the cipher on every call).
pub fn open(
    suite: &IkeSuite,
    keys: SkKeys<'_>,
    message: &[u8],
    sk_body_offset: usize,
) -> Result<Vec<u8>, SkError> {
    SkContext::from_suite(suite, keys)?.open(message, sk_body_offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRandom;
    use crate::DEFAULT;

    /// A fake IKE header + SK generic header with final lengths.
    fn prefix(body_len: usize) -> Vec<u8> {
        let total = 28 + 4 + body_len;
        let mut h = vec![0x11; 16];
        h.extend_from_slice(&[46, 0x20, 35, 0x08, 0, 0, 0, 1]);
        h.extend_from_slice(&(total as u32).to_be_bytes());
        h.extend_from_slice(&[41, 0]);
        h.extend_from_slice(&((4 + body_len) as u16).to_be_bytes());
        h
    }

    fn suites() -> Vec<IkeSuite> {
        let prf = DEFAULT.prf(5).unwrap();
        let mut v = Vec::new();
        for e in DEFAULT.encr.iter().filter(|e| e.ike) {
            if e.is_aead() {
                v.push(IkeSuite {
                    prf,
                    encr: e,
                    integ: None,
                });
            } else {
                for i in DEFAULT.integ {
                    v.push(IkeSuite {
                        prf,
                        encr: e,
                        integ: Some(i),
                    });
                }
            }
        }
        v
    }

    #[test]
    fn round_trip_every_ike_suite_and_detect_tampering() {
        let rng = SeededRandom::from_u64(3);
        for s in suites() {
            let (_, keys) =
                crate::keys::ike_sa_init_keys(&s, b"ni", b"nr", &[1; 32], &[1; 8], &[2; 8])
                    .unwrap();
            let ctx = SkContext::from_suite(&s, keys.initiator()).unwrap();
            let peer = SkContext::from_suite(&s, keys.initiator()).unwrap();
            for inner_len in [0usize, 1, 7, 8, 15, 16, 100] {
                let inner: Vec<u8> = (0..inner_len as u8).collect();
                let pad = ctx.min_pad_len(inner.len());
                let pre = prefix(ctx.body_len(inner.len(), pad));
                let body = ctx.seal(&pre, &inner, &rng).unwrap();
                assert_eq!(body.len(), ctx.body_len(inner.len(), pad));
                let mut msg = pre.clone();
                msg.extend_from_slice(&body);
                assert_eq!(
                    peer.open(&msg, pre.len()).unwrap(),
                    inner,
                    "{}",
                    s.encr.name
                );
                // Flip one bit anywhere: header (AAD/ICV-covered), IV, ciphertext, ICV.
                for pos in [0, 20, pre.len() - 1, pre.len(), msg.len() - 1] {
                    let mut bad = msg.clone();
                    bad[pos] ^= 0x04;
                    assert!(
                        matches!(peer.open(&bad, pre.len()), Err(SkError::Integrity { .. })),
                        "{} pos {pos}",
                        s.encr.name
                    );
                }
                // Wrong direction's keys fail integrity.
                let other = SkContext::from_suite(&s, keys.responder()).unwrap();
                assert!(matches!(
                    other.open(&msg, pre.len()),
                    Err(SkError::Integrity { .. })
                ));
            }
        }
    }

    #[test]
    fn short_offset_and_padding_errors() {
        let rng = SeededRandom::from_u64(4);
        let s = IkeSuite {
            prf: DEFAULT.prf(5).unwrap(),
            encr: DEFAULT.encr(12, Some(128)).unwrap(),
            integ: Some(DEFAULT.integ(12).unwrap()),
        };
        let ctx = SkContext::from_suite(
            &s,
            SkKeys {
                sk_e: &[1; 16],
                sk_a: &[2; 32],
            },
        )
        .unwrap();
        let pre = prefix(16 + 16 + 16);
        assert!(matches!(
            ctx.open(&pre, pre.len() + 1),
            Err(SkError::BadOffset { .. })
        ));
        let mut short = pre.clone();
        short.extend_from_slice(&[0; 40]);
        assert!(matches!(
            ctx.open(&short, pre.len()),
            Err(SkError::Short { need: 48, got: 40 })
        ));
        assert!(matches!(
            ctx.seal_padded(&pre, &[0; 10], 1, &rng),
            Err(SkError::Misaligned { .. })
        ));
        // Larger-than-minimal padding is accepted by the receiver.
        let body = ctx.seal_padded(&pre, &[7; 10], 21, &rng).unwrap();
        let mut msg = pre.clone();
        msg.extend_from_slice(&body);
        assert_eq!(ctx.open(&msg, pre.len()).unwrap(), vec![7; 10]);
        // A correctly authenticated plaintext whose pad length exceeds it.
        let body = ctx.seal_padded(&pre, &[], 15, &rng).unwrap(); // pt = 15 zeros + 15
        let mut msg = pre.clone();
        msg.extend_from_slice(&body);
        assert_eq!(ctx.open(&msg, pre.len()).unwrap(), Vec::<u8>::new());
        let g = IkeSuite {
            prf: s.prf,
            encr: DEFAULT.encr(20, Some(128)).unwrap(),
            integ: None,
        };
        let gctx = SkContext::from_suite(
            &g,
            SkKeys {
                sk_e: &[1; 20],
                sk_a: &[],
            },
        )
        .unwrap();
        // Seal "pad length 200" after 3 octets by hand: inner = [0,0,0], pad 0, then patch.
        let aead = g.encr.new_aead(&[1; 20]).unwrap();
        let mut pt = vec![1, 2, 3, 200];
        let mut tag = [0u8; 16];
        aead.seal_in_place(&[9; 8], &pre, &mut pt, &mut tag)
            .unwrap();
        let mut msg = pre.clone();
        msg.extend_from_slice(&[9; 8]);
        msg.extend_from_slice(&pt);
        msg.extend_from_slice(&tag);
        assert_eq!(
            gctx.open(&msg, pre.len()),
            Err(SkError::BadPadding {
                pad_len: 200,
                available: 3
            })
        );
    }
}
