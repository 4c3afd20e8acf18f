//! The IKE SA keys the world learned from the nodes' key-log events: enough to open and
//! re-seal SK payloads (mutations before encryption, decrypted summaries).

use std::collections::BTreeMap;

use ikelab_crypto::rng::SecureRandom;
use ikelab_crypto::sk::{SkContext, SkKeys};
use ikelab_engine::IkeKeyLog;
use ikelab_wire::payload::{Payload, PayloadBody, SkPayload};
use ikelab_wire::Message;

/// Why an SK message could not be opened or re-sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkFailure {
    #[error("no keys for IKE SA {spi_i:016x}/{spi_r:016x} (keylog off on both nodes?)")]
    NoKeys { spi_i: u64, spi_r: u64 },
    #[error("cipher unavailable: {0}")]
    Cipher(String),
    #[error("SK payload does not open: {0}")]
    Open(String),
    #[error("re-sealing failed: {0}")]
    Seal(String),
    #[error("not an SK message")]
    NotEncrypted,
}

/// An opened SK payload: the inner payload chain as sent and how it was padded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkPlain {
    /// Next Payload of the SK payload header: the type of the first inner payload.
    pub first_payload: u8,
    /// The inner payloads, padding and Pad Length removed.
    pub inner: Vec<u8>,
    /// The Pad Length octet's value.
    pub pad_len: usize,
    /// Inner payloads + padding + Pad Length (the encrypted part).
    pub ciphertext_len: usize,
    /// The cipher's block size (1 for AEADs).
    pub block_len: usize,
}

/// IKE SA keys by (SPIi, SPIr), in the order learned (so key tables are deterministic).
#[derive(Default)]
pub struct KeyStore {
    ike: BTreeMap<(u64, u64), IkeKeyLog>,
}

impl KeyStore {
    pub fn learn(&mut self, k: &IkeKeyLog) {
        self.ike
            .entry((k.spi_i, k.spi_r))
            .or_insert_with(|| k.clone());
    }

    pub fn ike_keys(&self) -> impl Iterator<Item = &IkeKeyLog> {
        self.ike.values()
    }

    /// The SK context protecting messages of this SA sent by the initiator (or responder).
    fn context(&self, spi_i: u64, spi_r: u64, initiator: bool) -> Result<SkContext, SkFailure> {
        let k = self
            .ike
            .get(&(spi_i, spi_r))
            .ok_or(SkFailure::NoKeys { spi_i, spi_r })?;
        let p = &ikelab_crypto::DEFAULT;
        let encr = p
            .encr(k.encryption.0, k.key_bits)
            .map_err(|e| SkFailure::Cipher(e.to_string()))?;
        let integ = match k.integrity {
            Some(i) if i.0 != 0 => {
                Some(p.integ(i.0).map_err(|e| SkFailure::Cipher(e.to_string()))?)
            }
            _ => None,
        };
        let keys = if initiator {
            SkKeys {
                sk_e: k.sk_ei.as_bytes(),
                sk_a: k.sk_ai.as_bytes(),
            }
        } else {
            SkKeys {
                sk_e: k.sk_er.as_bytes(),
                sk_a: k.sk_ar.as_bytes(),
            }
        };
        SkContext::new(encr, integ, keys).map_err(|e| SkFailure::Cipher(e.to_string()))
    }

    /// The inner payloads of an SK message (`raw` is the IKE message, marker removed).
    pub fn open(&self, raw: &[u8], msg: &Message) -> Result<Vec<Payload>, SkFailure> {
        let (Some(off), Some(PayloadBody::Sk(sk))) = (
            msg.encrypted_body_offset(),
            msg.encrypted().map(|p| &p.body),
        ) else {
            return Err(SkFailure::NotEncrypted);
        };
        let h = &msg.header;
        let ctx = self.context(h.initiator_spi, h.responder_spi, h.flags.initiator())?;
        let end = msg.buffer_len().min(raw.len());
        let plain = ctx
            .open(&raw[..end], off)
            .map_err(|e| SkFailure::Open(e.to_string()))?;
        Payload::parse_chain(sk.first_payload, &plain, 0)
            .map(|(p, _)| p)
            .map_err(|e| SkFailure::Open(e.to_string()))
    }

    /// The decrypted SK plaintext of a message, with its padding layout, for checks on the
    /// raw inner payloads (reserved bits, padding) that parsing would hide.
    pub fn open_plain(&self, raw: &[u8], msg: &Message) -> Result<SkPlain, SkFailure> {
        let (Some(off), Some(PayloadBody::Sk(sk))) = (
            msg.encrypted_body_offset(),
            msg.encrypted().map(|p| &p.body),
        ) else {
            return Err(SkFailure::NotEncrypted);
        };
        let h = &msg.header;
        let ctx = self.context(h.initiator_spi, h.responder_spi, h.flags.initiator())?;
        let end = msg.buffer_len().min(raw.len());
        let inner = ctx
            .open(&raw[..end], off)
            .map_err(|e| SkFailure::Open(e.to_string()))?;
        // Everything between IV and ICV is ciphertext: inner payloads, padding, Pad Length.
        let ciphertext_len = (end - off).saturating_sub(ctx.iv_len() + ctx.icv_len());
        Ok(SkPlain {
            first_payload: sk.first_payload.0,
            pad_len: ciphertext_len.saturating_sub(inner.len() + 1),
            ciphertext_len,
            block_len: ctx.block_len(),
            inner,
        })
    }

    /// Encrypts `inner` into the SK payload that ends `msg` (whose other payloads and header
    /// are final), with the keys of the SA the *original* header named, and emits the whole
    /// message. The original SPIs and I flag pick the keys so header mutations (SPIs, flags)
    /// still produce a message that authenticates under the real SA's keys.
    pub fn seal(
        &self,
        msg: &mut Message,
        keys_for: (u64, u64, bool),
        inner: &[Payload],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, SkFailure> {
        let ctx = self.context(keys_for.0, keys_for.1, keys_for.2)?;
        let mut plain = Vec::new();
        Payload::emit_chain(inner, &mut plain);
        let first = inner
            .first()
            .map_or(ikelab_wire::iana::PayloadType::NONE, Payload::payload_type);
        let pad = ctx.min_pad_len(plain.len());
        let body_len = ctx.body_len(plain.len(), pad);
        let Some(last) = msg.payloads.last_mut() else {
            return Err(SkFailure::NotEncrypted);
        };
        // Placeholder of the final length so the header and SK Length are right in the AAD.
        last.body = PayloadBody::Sk(SkPayload {
            first_payload: first,
            body: vec![0; body_len],
        });
        let off = msg.encrypted_body_offset().ok_or(SkFailure::NotEncrypted)?;
        let mut out = msg.emit();
        let body = ctx
            .seal_padded(&out[..off], &plain, pad, rng)
            .map_err(|e| SkFailure::Seal(e.to_string()))?;
        if body.len() != body_len {
            return Err(SkFailure::Seal(format!(
                "SK body is {} octets, expected {body_len}",
                body.len()
            )));
        }
        out.truncate(off);
        out.extend_from_slice(&body);
        if let Some(PayloadBody::Sk(sk)) = msg.payloads.last_mut().map(|p| &mut p.body) {
            sk.body = body;
        }
        Ok(out)
    }
}
