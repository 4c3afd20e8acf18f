//! Decrypting SK and SKF payloads with keys from an `ikev2_decryption_table`.
//!
//! Each message is decrypted on its own (RFC 7383: every fragment is protected separately); SKF
//! plaintexts are collected per (SPIs, message ID, direction) and parsed once all fragments are
//! in, on the record of the fragment that completes the message, as Wireshark shows it. A missing
//! key or a failed integrity check is reported on that message only.

use std::collections::HashMap;

use ikelab_crypto::sk::{SkContext, SkKeys};
use ikelab_crypto::DEFAULT;
use ikelab_wire::{Finding, Message, Payload, PayloadBody};

use super::keys::{EncrSpec, IkeSaKeys};

/// What decryption made of one message's SK/SKF payload.
#[derive(Debug)]
pub enum Decryption {
    /// The inner payloads (for SKF: of the whole reassembled message).
    Inner {
        payloads: Vec<Payload>,
        findings: Vec<Finding>,
    },
    /// A fragment that decrypted; the message completes in a later frame.
    FragmentHeld { received: usize, total: u16 },
    /// Not decrypted: no key, integrity failure, bad padding, or inner payloads that don't parse.
    Failed(String),
}

type FragmentKey = (u64, u64, u32, bool);

struct Fragments {
    first_payload: Option<ikelab_wire::iana::PayloadType>,
    parts: Vec<Option<Vec<u8>>>,
}

/// Decrypts messages in capture order, keeping SKF reassembly state between them.
pub struct Decryptor {
    keys: Vec<IkeSaKeys>,
    fragments: HashMap<FragmentKey, Fragments>,
}

impl Decryptor {
    pub fn new(keys: Vec<IkeSaKeys>) -> Self {
        Self {
            keys,
            fragments: HashMap::new(),
        }
    }

    /// Decrypts the SK/SKF payload of `message` (whose encoded bytes are `raw`), if it has one.
    pub fn decrypt(&mut self, message: &Message, raw: &[u8]) -> Option<Decryption> {
        let sk = message.encrypted()?;
        let h = &message.header;
        let Some(entry) = self
            .keys
            .iter()
            .find(|k| k.spi_i == h.initiator_spi && k.spi_r == h.responder_spi)
        else {
            return Some(Decryption::Failed(format!(
                "no key in the table for SPIs {:016x}/{:016x}",
                h.initiator_spi, h.responder_spi
            )));
        };
        let from_initiator = h.flags.initiator();
        let plaintext = match open(entry, from_initiator, message, raw) {
            Ok(p) => p,
            Err(e) => return Some(Decryption::Failed(e)),
        };
        let body_offset = message.encrypted_body_offset().unwrap_or(0);
        match &sk.body {
            PayloadBody::Skf(skf) => {
                let key = (
                    h.initiator_spi,
                    h.responder_spi,
                    h.message_id,
                    from_initiator,
                );
                let total = skf.total_fragments;
                let entry = self.fragments.entry(key).or_insert_with(|| Fragments {
                    first_payload: None,
                    parts: vec![None; usize::from(total)],
                });
                if entry.parts.len() != usize::from(total) {
                    return Some(Decryption::Failed(format!(
                        "Total Fragments changed from {} to {total} within message {}",
                        entry.parts.len(),
                        h.message_id
                    )));
                }
                let index = usize::from(skf.fragment_number) - 1;
                if skf.fragment_number == 1 {
                    entry.first_payload = Some(skf.first_payload);
                }
                entry.parts[index] = Some(plaintext);
                let received = entry.parts.iter().filter(|p| p.is_some()).count();
                if received < entry.parts.len() {
                    return Some(Decryption::FragmentHeld { received, total });
                }
                let Some(first) = entry.first_payload else {
                    return Some(Decryption::Failed(
                        "fragment 1 carries no first payload type".to_owned(),
                    ));
                };
                let whole: Vec<u8> = entry.parts.iter().flatten().flatten().copied().collect();
                self.fragments.remove(&key);
                Some(parse_inner(first, &whole, 0))
            }
            PayloadBody::Sk(inner) => {
                Some(parse_inner(inner.first_payload, &plaintext, body_offset))
            }
            _ => None,
        }
    }
}

fn parse_inner(first: ikelab_wire::iana::PayloadType, plaintext: &[u8], base: usize) -> Decryption {
    match Payload::parse_chain(first, plaintext, base) {
        Ok((payloads, findings)) => Decryption::Inner { payloads, findings },
        Err(e) => Decryption::Failed(format!("decrypted payloads do not parse: {e}")),
    }
}

fn open(
    entry: &IkeSaKeys,
    from_initiator: bool,
    message: &Message,
    raw: &[u8],
) -> Result<Vec<u8>, String> {
    let EncrSpec { id, key_bits } = entry.encr;
    let encr = DEFAULT
        .encr(id, Some(key_bits))
        .or_else(|_| DEFAULT.encr(id, None))
        .map_err(|e| format!("encryption algorithm from the key table: {e}"))?;
    let integ = if entry.integ == 0 {
        None
    } else {
        Some(
            DEFAULT
                .integ(entry.integ)
                .map_err(|e| format!("integrity algorithm from the key table: {e}"))?,
        )
    };
    let keys = if from_initiator {
        SkKeys {
            sk_e: &entry.sk_ei.0,
            sk_a: &entry.sk_ai.0,
        }
    } else {
        SkKeys {
            sk_e: &entry.sk_er.0,
            sk_a: &entry.sk_ar.0,
        }
    };
    let ctx = SkContext::new(encr, integ, keys).map_err(|e| format!("keys from the table: {e}"))?;
    let offset = message
        .encrypted_body_offset()
        .ok_or("no encrypted payload")?;
    ctx.open(raw, offset).map_err(|e| e.to_string())
}
