//! Applying a [`Mutation`] to an IKE message: on the Reprs, inside the SK payload when the
//! message is encrypted (opened and re-sealed with the SA's keys).

use ikelab_crypto::rng::SecureRandom;
use ikelab_wire::header::Flags;
use ikelab_wire::iana::{ExchangeType, KeMethod, NotifyType, PayloadType, ProtocolId};
use ikelab_wire::payload::{NotifyPayload, Payload, PayloadBody, TrafficSelector};
use ikelab_wire::Message;

use crate::fault::Mutation;
use crate::keys::{KeyStore, SkFailure};

/// Why a mutation left the datagram unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MutateError {
    #[error("not an IKE message: {0}")]
    NotIke(String),
    #[error(transparent)]
    Sk(#[from] SkFailure),
    #[error("nothing to change: {0}")]
    NoTarget(String),
}

/// Mutates `ike` (an IKE message without the non-ESP marker) and returns the new bytes.
pub fn mutate(
    ike: &[u8],
    m: &Mutation,
    keys: &KeyStore,
    rng: &dyn SecureRandom,
) -> Result<Vec<u8>, MutateError> {
    let mut msg = Message::parse(ike)
        .map_err(|e| MutateError::NotIke(e.to_string()))?
        .message;
    let original = (
        msg.header.initiator_spi,
        msg.header.responder_spi,
        msg.header.flags.initiator(),
    );
    if matches!(m, Mutation::TruncateAfterHeader) {
        msg.payloads.clear();
        return Ok(msg.emit());
    }
    let sk = matches!(msg.encrypted().map(|p| &p.body), Some(PayloadBody::Sk(_)));
    if !sk {
        apply(&mut msg.header, &mut msg.payloads, m)?;
        return Ok(msg.emit());
    }
    let mut inner = keys.open(ike, &msg)?;
    // Header changes go to the outer header; payload changes to the inner chain, except
    // for payloads only the outer chain has (nothing but SK there in practice).
    apply(&mut msg.header, &mut inner, m)?;
    Ok(keys.seal(&mut msg, original, &inner, rng)?)
}

fn apply(
    h: &mut ikelab_wire::Header,
    payloads: &mut Vec<Payload>,
    m: &Mutation,
) -> Result<(), MutateError> {
    let missing = |t: PayloadType| MutateError::NoTarget(format!("no {t} payload"));
    match m {
        Mutation::MajorVersion(v) => h.major_version = *v,
        Mutation::MinorVersion(v) => h.minor_version = *v,
        Mutation::SetFlags(f) => h.flags = Flags(*f),
        Mutation::InitiatorSpi(s) => h.initiator_spi = *s,
        Mutation::ResponderSpi(s) => h.responder_spi = *s,
        Mutation::MessageId(id) => h.message_id = *id,
        Mutation::ExchangeType(t) => h.exchange_type = ExchangeType(*t),
        Mutation::TruncateAfterHeader => payloads.clear(),
        Mutation::OmitPayload(t) => {
            let before = payloads.len();
            payloads.retain(|p| p.payload_type() != *t);
            if payloads.len() == before {
                return Err(missing(*t));
            }
        }
        Mutation::DuplicatePayload(t) => {
            let i = position(payloads, *t).ok_or_else(|| missing(*t))?;
            let copy = payloads[i].clone();
            payloads.insert(i + 1, copy);
        }
        Mutation::SwapPayloads(a, b) => {
            if *a >= payloads.len() || *b >= payloads.len() {
                return Err(MutateError::NoTarget(format!(
                    "swap {a}/{b} of {} payloads",
                    payloads.len()
                )));
            }
            payloads.swap(*a, *b);
        }
        Mutation::AddUnknownPayload {
            payload_type,
            critical,
        } => payloads.push(Payload {
            critical: *critical,
            reserved: 0,
            body: PayloadBody::Unknown {
                payload_type: PayloadType(*payload_type),
                data: vec![0x69, 0x6b, 0x65, 0x6c],
            },
        }),
        Mutation::SetCritical(t) => {
            let mut hit = false;
            for p in payloads.iter_mut().filter(|p| p.payload_type() == *t) {
                p.critical = true;
                hit = true;
            }
            if !hit {
                return Err(missing(*t));
            }
        }
        Mutation::SetReservedBits => {
            for p in payloads.iter_mut() {
                p.reserved = 0x7f;
                match &mut p.body {
                    PayloadBody::Ke(ke) => ke.reserved = 0xffff,
                    PayloadBody::TsInitiator(ts) | PayloadBody::TsResponder(ts) => {
                        ts.reserved = [0xff; 3]
                    }
                    _ => {}
                }
            }
        }
        Mutation::KeGroup(g) => ke(payloads)?.group = KeMethod(*g),
        Mutation::KeDataLen(len) => ke(payloads)?.data.resize(*len, 0),
        Mutation::TsProtocol(proto) => {
            let mut hit = false;
            for p in payloads.iter_mut() {
                if let PayloadBody::TsInitiator(ts) | PayloadBody::TsResponder(ts) = &mut p.body {
                    for s in &mut ts.selectors {
                        if let TrafficSelector::AddressRange(r) = s {
                            r.ip_protocol = *proto;
                            hit = true;
                        }
                    }
                }
            }
            if !hit {
                return Err(MutateError::NoTarget("no traffic selector".into()));
            }
        }
        Mutation::RemoveNotify(t) => {
            let before = payloads.len();
            payloads.retain(|p| !matches!(&p.body, PayloadBody::Notify(n) if n.notify_type == *t));
            if payloads.len() == before {
                return Err(MutateError::NoTarget(format!("no {t} Notify")));
            }
        }
        Mutation::AddNotify { notify_type, data } => {
            let mut n = NotifyPayload::new(NotifyType(*notify_type), data.clone());
            n.protocol = ProtocolId(0);
            payloads.push(Payload::new(PayloadBody::Notify(n)));
        }
    }
    Ok(())
}

fn position(payloads: &[Payload], t: PayloadType) -> Option<usize> {
    payloads.iter().position(|p| p.payload_type() == t)
}

fn ke(payloads: &mut [Payload]) -> Result<&mut ikelab_wire::payload::KePayload, MutateError> {
    payloads
        .iter_mut()
        .find_map(|p| match &mut p.body {
            PayloadBody::Ke(k) => Some(k),
            _ => None,
        })
        .ok_or_else(|| MutateError::NoTarget("no KE payload".into()))
}
