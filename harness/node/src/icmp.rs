//! ICMP echo packets (IPv4 ICMP and ICMPv6), built and parsed with pnet, so traffic through a
//! tunnel is real IP, checksums included.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use pnet_packet::icmp::{self, IcmpCode, IcmpPacket, IcmpTypes, MutableIcmpPacket};
use pnet_packet::icmpv6::{self, Icmpv6Code, Icmpv6Packet, Icmpv6Types, MutableIcmpv6Packet};
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv4::{self, Ipv4Packet, MutableIpv4Packet};
use pnet_packet::ipv6::{Ipv6Packet, MutableIpv6Packet};
use pnet_packet::Packet;

const IPV4_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;
/// Type, code, checksum, identifier, sequence number.
const ECHO_HEADER: usize = 8;
const TTL: u8 = 64;

/// An ICMP echo request or reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Echo {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ident: u16,
    pub seq: u16,
    pub reply: bool,
    pub payload_len: usize,
}

/// An echo request from `src` to `dst` (same family; `None` otherwise) whose data is
/// `payload_len` octets of a counting pattern.
pub fn echo_request(
    src: IpAddr,
    dst: IpAddr,
    ident: u16,
    seq: u16,
    payload_len: usize,
) -> Option<Vec<u8>> {
    let data: Vec<u8> = (0..payload_len).map(|i| i as u8).collect();
    build(src, dst, ident, seq, false, &data)
}

/// The reply to an echo request, addresses swapped and data echoed (RFC 792, RFC 4443 §4.2).
pub fn reply_to(packet: &[u8]) -> Option<Vec<u8>> {
    let (echo, data) = parse_with_data(packet)?;
    if echo.reply {
        return None;
    }
    build(echo.dst, echo.src, echo.ident, echo.seq, true, data)
}

/// The echo request or reply in `packet`, if it is one with valid checksums.
pub fn parse_echo(packet: &[u8]) -> Option<Echo> {
    parse_with_data(packet).map(|(e, _)| e)
}

fn parse_with_data(packet: &[u8]) -> Option<(Echo, &[u8])> {
    match packet.first()? >> 4 {
        4 => {
            let ip = Ipv4Packet::new(packet)?;
            let header = usize::from(ip.get_header_length()) * 4;
            let total = usize::from(ip.get_total_length());
            if ip.get_next_level_protocol() != IpNextHeaderProtocols::Icmp
                || ipv4::checksum(&ip) != ip.get_checksum()
                || total > packet.len()
                || header < IPV4_HEADER
                || total < header + ECHO_HEADER
            {
                return None;
            }
            let body = &packet[header..total];
            let msg = IcmpPacket::new(body)?;
            if icmp::checksum(&msg) != msg.get_checksum() {
                return None;
            }
            let reply = match msg.get_icmp_type() {
                IcmpTypes::EchoRequest => false,
                IcmpTypes::EchoReply => true,
                _ => return None,
            };
            let echo = Echo {
                src: ip.get_source().into(),
                dst: ip.get_destination().into(),
                ident: u16::from_be_bytes([body[4], body[5]]),
                seq: u16::from_be_bytes([body[6], body[7]]),
                reply,
                payload_len: body.len() - ECHO_HEADER,
            };
            Some((echo, &body[ECHO_HEADER..]))
        }
        6 => {
            let ip = Ipv6Packet::new(packet)?;
            let len = usize::from(ip.get_payload_length());
            if ip.get_next_header() != IpNextHeaderProtocols::Icmpv6
                || IPV6_HEADER + len > packet.len()
                || len < ECHO_HEADER
            {
                return None;
            }
            let body = &packet[IPV6_HEADER..IPV6_HEADER + len];
            let msg = Icmpv6Packet::new(body)?;
            let (src, dst) = (ip.get_source(), ip.get_destination());
            if icmpv6::checksum(&msg, &src, &dst) != msg.get_checksum() {
                return None;
            }
            let reply = match msg.get_icmpv6_type() {
                Icmpv6Types::EchoRequest => false,
                Icmpv6Types::EchoReply => true,
                _ => return None,
            };
            let echo = Echo {
                src: src.into(),
                dst: dst.into(),
                ident: u16::from_be_bytes([body[4], body[5]]),
                seq: u16::from_be_bytes([body[6], body[7]]),
                reply,
                payload_len: len - ECHO_HEADER,
            };
            Some((echo, &body[ECHO_HEADER..]))
        }
        _ => None,
    }
}

fn build(
    src: IpAddr,
    dst: IpAddr,
    ident: u16,
    seq: u16,
    reply: bool,
    data: &[u8],
) -> Option<Vec<u8>> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => build_v4(s, d, ident, seq, reply, data),
        (IpAddr::V6(s), IpAddr::V6(d)) => build_v6(s, d, ident, seq, reply, data),
        _ => None,
    }
}

fn echo_body(ident: u16, seq: u16, data: &[u8], out: &mut [u8]) {
    out[4..6].copy_from_slice(&ident.to_be_bytes());
    out[6..8].copy_from_slice(&seq.to_be_bytes());
    out[ECHO_HEADER..].copy_from_slice(data);
}

fn build_v4(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ident: u16,
    seq: u16,
    reply: bool,
    data: &[u8],
) -> Option<Vec<u8>> {
    let total = IPV4_HEADER + ECHO_HEADER + data.len();
    let total16 = u16::try_from(total).ok()?;
    let mut buf = vec![0u8; total];
    {
        let mut msg = MutableIcmpPacket::new(&mut buf[IPV4_HEADER..])?;
        msg.set_icmp_type(if reply {
            IcmpTypes::EchoReply
        } else {
            IcmpTypes::EchoRequest
        });
        msg.set_icmp_code(IcmpCode::new(0));
    }
    echo_body(ident, seq, data, &mut buf[IPV4_HEADER..]);
    {
        let mut msg = MutableIcmpPacket::new(&mut buf[IPV4_HEADER..])?;
        let c = icmp::checksum(&msg.to_immutable());
        msg.set_checksum(c);
    }
    let mut ip = MutableIpv4Packet::new(&mut buf)?;
    ip.set_version(4);
    ip.set_header_length(5);
    ip.set_total_length(total16);
    ip.set_identification(seq);
    ip.set_ttl(TTL);
    ip.set_next_level_protocol(IpNextHeaderProtocols::Icmp);
    ip.set_source(src);
    ip.set_destination(dst);
    let c = ipv4::checksum(&ip.to_immutable());
    ip.set_checksum(c);
    Some(buf)
}

fn build_v6(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    ident: u16,
    seq: u16,
    reply: bool,
    data: &[u8],
) -> Option<Vec<u8>> {
    let len = ECHO_HEADER + data.len();
    let len16 = u16::try_from(len).ok()?;
    let mut buf = vec![0u8; IPV6_HEADER + len];
    {
        let mut msg = MutableIcmpv6Packet::new(&mut buf[IPV6_HEADER..])?;
        msg.set_icmpv6_type(if reply {
            Icmpv6Types::EchoReply
        } else {
            Icmpv6Types::EchoRequest
        });
        msg.set_icmpv6_code(Icmpv6Code::new(0));
    }
    echo_body(ident, seq, data, &mut buf[IPV6_HEADER..]);
    {
        let mut msg = MutableIcmpv6Packet::new(&mut buf[IPV6_HEADER..])?;
        let c = icmpv6::checksum(&msg.to_immutable(), &src, &dst);
        msg.set_checksum(c);
    }
    let mut ip = MutableIpv6Packet::new(&mut buf)?;
    ip.set_version(6);
    ip.set_payload_length(len16);
    ip.set_next_header(IpNextHeaderProtocols::Icmpv6);
    ip.set_hop_limit(TTL);
    ip.set_source(src);
    ip.set_destination(dst);
    debug_assert_eq!(ip.packet().len(), IPV6_HEADER + len);
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_request_and_reply_round_trip() {
        let (a, b): (IpAddr, IpAddr) = ("10.1.0.1".parse().unwrap(), "10.2.0.1".parse().unwrap());
        let req = echo_request(a, b, 7, 3, 56).unwrap();
        assert_eq!(req.len(), 84);
        let e = parse_echo(&req).unwrap();
        assert_eq!(
            (e.src, e.dst, e.ident, e.seq, e.reply, e.payload_len),
            (a, b, 7, 3, false, 56)
        );
        let rep = reply_to(&req).unwrap();
        let r = parse_echo(&rep).unwrap();
        assert_eq!((r.src, r.dst, r.ident, r.seq, r.reply), (b, a, 7, 3, true));
        assert!(reply_to(&rep).is_none(), "replies are not answered");
    }

    #[test]
    fn v6_request_and_reply_round_trip() {
        let (a, b): (IpAddr, IpAddr) = ("fd00::1".parse().unwrap(), "fd00:1::1".parse().unwrap());
        let req = echo_request(a, b, 1, 9, 8).unwrap();
        let rep = reply_to(&req).unwrap();
        let r = parse_echo(&rep).unwrap();
        assert_eq!(
            (r.src, r.dst, r.seq, r.reply, r.payload_len),
            (b, a, 9, true, 8)
        );
    }

    #[test]
    fn corrupted_checksum_and_mixed_families_are_refused() {
        let (a, b): (IpAddr, IpAddr) = ("10.1.0.1".parse().unwrap(), "10.2.0.1".parse().unwrap());
        let mut req = echo_request(a, b, 7, 3, 16).unwrap();
        let last = req.len() - 1;
        req[last] ^= 1;
        assert!(parse_echo(&req).is_none());
        assert!(echo_request(a, "fd00::1".parse().unwrap(), 1, 1, 1).is_none());
        assert!(parse_echo(&[0x45, 0, 0]).is_none());
        assert!(parse_echo(&[]).is_none());
    }
}
