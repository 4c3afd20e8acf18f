//! Sending IKE fragments (RFC 7383 §2.5): an encrypted message larger than the policy's
//! `fragment_size` goes out as SKF fragments when both sides announced
//! IKEV2_FRAGMENTATION_SUPPORTED. Each fragment is protected on its own (own IV, padding and
//! ICV) with the same header; Next Payload names the first inner payload in fragment 1 and is
//! zero in the others. Retransmissions and cached responses resend the stored fragments
//! (§2.6.1), so nothing here runs again for them.

use std::net::IpAddr;

use ikelab_wire::iana::{ExchangeType, PayloadType};
use ikelab_wire::payload::{Payload, PayloadBody, SkfPayload};
use ikelab_wire::Message;

use super::{Ctx, IkeSa};
use crate::EngineError;

/// IKE header (RFC 7296 §3.1).
const IKE_HEADER: usize = 28;
/// Generic payload header of SK and SKF.
const PAYLOAD_HEADER: usize = 4;
/// SKF's Fragment Number and Total Fragments.
const SKF_FIELDS: usize = 4;
const UDP_HEADER: usize = 8;
const NON_ESP_MARKER: usize = 4;

/// IP header octets counted against the fragment size (§2.5.1: the size is of the whole IP
/// datagram). IPv4-mapped addresses travel as IPv4.
fn ip_header(ip: IpAddr) -> usize {
    match ip {
        IpAddr::V4(_) => 20,
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => 20,
        IpAddr::V6(_) => 40,
    }
}

impl IkeSa {
    /// Whether we send fragments: both sides announced support in IKE_SA_INIT (§2.3).
    fn fragmentation_negotiated(&self) -> bool {
        self.policy.features.fragmentation && self.peer_fragmentation
    }

    /// IP, UDP and non-ESP marker octets around every IKE message on this SA's path.
    fn datagram_overhead(&self) -> usize {
        ip_header(self.path.remote.ip())
            + UDP_HEADER
            + if self.path.encap { NON_ESP_MARKER } else { 0 }
    }

    /// The encrypted message as the IKE messages to send: one SK message, or its SKF
    /// fragments in order when it would exceed `fragment_size` and fragmentation was
    /// negotiated. A size too small to carry any plaintext sends the message whole.
    pub(crate) fn seal_datagrams(
        &self,
        ctx: &Ctx<'_>,
        exchange: ExchangeType,
        response: bool,
        message_id: u32,
        inner: &[Payload],
    ) -> Result<Vec<Vec<u8>>, EngineError> {
        let Some(keys) = self
            .keys
            .as_ref()
            .filter(|_| self.fragmentation_negotiated())
        else {
            return Ok(vec![self.seal(ctx, exchange, response, message_id, inner)?]);
        };
        let seal = &keys.seal;
        let mut plain = Vec::with_capacity(Payload::chain_len(inner));
        Payload::emit_chain(inner, &mut plain);
        let limit = usize::from(self.policy.features.fragment_size);
        let overhead = self.datagram_overhead();
        let whole = overhead
            + IKE_HEADER
            + PAYLOAD_HEADER
            + seal.body_len(plain.len(), seal.min_pad_len(plain.len()));
        let chunk = fragment_capacity(
            limit,
            overhead,
            seal.iv_len(),
            seal.icv_len(),
            seal.block_len(),
        );
        let count = chunk.map(|c| plain.len().div_ceil(c));
        let (Some(chunk), Some(Ok(total))) = (chunk, count.map(u16::try_from)) else {
            return Ok(vec![self.seal(ctx, exchange, response, message_id, inner)?]);
        };
        if whole <= limit || total < 2 {
            return Ok(vec![self.seal(ctx, exchange, response, message_id, inner)?]);
        }
        let first = inner
            .first()
            .map_or(PayloadType::NONE, Payload::payload_type);
        let mut out = Vec::with_capacity(usize::from(total));
        for (number, piece) in (1u16..).zip(plain.chunks(chunk)) {
            let pad = seal.min_pad_len(piece.len());
            let body_len = seal.body_len(piece.len(), pad);
            let msg = Message {
                header: self.header(exchange, response, message_id),
                payloads: vec![Payload::new(PayloadBody::Skf(SkfPayload {
                    first_payload: if number == 1 {
                        first
                    } else {
                        PayloadType::NONE
                    },
                    fragment_number: number,
                    total_fragments: total,
                    body: vec![0; body_len],
                }))],
            };
            // Everything up to and including Total Fragments is associated data (§2.5).
            let mut bytes = msg.emit();
            bytes.truncate(bytes.len() - body_len);
            let body = seal.seal_padded(&bytes, piece, pad, ctx.config.rng.as_ref())?;
            bytes.extend_from_slice(&body);
            out.push(bytes);
        }
        Ok(out)
    }
}

/// The most plaintext octets one fragment carries so that the whole IP datagram stays within
/// `limit`; `None` when not even one octet fits.
fn fragment_capacity(
    limit: usize,
    overhead: usize,
    iv: usize,
    icv: usize,
    block: usize,
) -> Option<usize> {
    let block = block.max(1);
    let budget =
        limit.checked_sub(overhead + IKE_HEADER + PAYLOAD_HEADER + SKF_FIELDS + iv + icv)?;
    // Plaintext + padding + the Pad Length octet fill whole blocks.
    let chunk = (budget / block * block).checked_sub(1)?;
    (chunk > 0).then_some(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_fills_whole_blocks_within_the_limit() {
        // AES-CBC + HMAC-SHA2-256-128 over IPv4 on port 500 at 576 octets.
        let c = fragment_capacity(576, 28, 16, 16, 16).unwrap();
        assert_eq!((c + 1) % 16, 0);
        let datagram = 28 + IKE_HEADER + PAYLOAD_HEADER + SKF_FIELDS + 16 + (c + 1) + 16;
        assert!(datagram <= 576 && datagram + 16 > 576, "{datagram}");
        // AES-GCM: no alignment.
        assert_eq!(
            fragment_capacity(576, 28, 8, 16, 1),
            Some(576 - 28 - 36 - 24 - 1)
        );
        assert_eq!(fragment_capacity(60, 48, 8, 16, 1), None);
        assert_eq!(ip_header("::ffff:192.0.2.1".parse().unwrap()), 20);
        assert_eq!(ip_header("2001:db8::1".parse().unwrap()), 40);
    }
}
