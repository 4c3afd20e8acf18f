//! NAT detection (RFC 7296 §2.23): `SHA-1(SPIi | SPIr | IP | port)`.

use std::net::{IpAddr, SocketAddr};

use ikelab_wire::iana::NotifyType;
use ikelab_wire::payload::{NotifyPayload, Payload, PayloadBody};

use crate::digest::sha1;

/// The NAT_DETECTION_*_IP notification data for an address.
pub(crate) fn hash(spi_i: u64, spi_r: u64, addr: SocketAddr) -> [u8; 20] {
    let ip = match addr.ip() {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    sha1(&[
        &spi_i.to_be_bytes(),
        &spi_r.to_be_bytes(),
        &ip,
        &addr.port().to_be_bytes(),
    ])
}

/// The two NAT detection notifies for a message from `local` to `remote`. With `fake_source`
/// the source hash cannot match, so the peer sees a NAT (forced encapsulation).
pub(crate) fn notifies(
    spi_i: u64,
    spi_r: u64,
    local: SocketAddr,
    remote: SocketAddr,
    fake_source: bool,
) -> [Payload; 2] {
    let mut src = hash(spi_i, spi_r, local);
    if fake_source {
        src.iter_mut().for_each(|b| *b ^= 0xa5);
    }
    [
        Payload::new(PayloadBody::Notify(NotifyPayload::new(
            NotifyType::NAT_DETECTION_SOURCE_IP,
            src.to_vec(),
        ))),
        Payload::new(PayloadBody::Notify(NotifyPayload::new(
            NotifyType::NAT_DETECTION_DESTINATION_IP,
            hash(spi_i, spi_r, remote).to_vec(),
        ))),
    ]
}

/// Whether each side is behind a NAT, from the peer's notifies in a message it sent from
/// `remote` to `local`. `None` when the peer sent no NAT detection (no NAT-T then).
pub(crate) fn detect(
    notifies: &[&NotifyPayload],
    spi_i: u64,
    spi_r: u64,
    local: SocketAddr,
    remote: SocketAddr,
) -> Option<crate::NatDetected> {
    let sources: Vec<&[u8]> = notifies
        .iter()
        .filter(|n| n.notify_type == NotifyType::NAT_DETECTION_SOURCE_IP)
        .map(|n| n.data.as_slice())
        .collect();
    let dest = notifies
        .iter()
        .find(|n| n.notify_type == NotifyType::NAT_DETECTION_DESTINATION_IP)?;
    if sources.is_empty() {
        return None;
    }
    // The peer may send one source hash per local address (§2.23); any match will do.
    let remote_hash = hash(spi_i, spi_r, remote);
    Some(crate::NatDetected {
        remote: !sources.iter().any(|s| *s == remote_hash),
        local: dest.data != hash(spi_i, spi_r, local),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_side() {
        let a: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let b: SocketAddr = "198.51.100.1:500".parse().unwrap();
        let [s, d] = notifies(1, 2, a, b, false);
        let (PayloadBody::Notify(s), PayloadBody::Notify(d)) = (s.body, d.body) else {
            panic!()
        };
        assert_eq!(detect(&[&s, &d], 1, 2, b, a), Some(Default::default()));
        let nat: SocketAddr = "203.0.113.9:4501".parse().unwrap();
        let seen = detect(&[&s, &d], 1, 2, b, nat).unwrap();
        assert!(seen.remote && !seen.local);
        let seen = detect(&[&s, &d], 1, 2, nat, a).unwrap();
        assert!(!seen.remote && seen.local);
        assert_eq!(detect(&[&s], 1, 2, b, a), None);
    }
}
