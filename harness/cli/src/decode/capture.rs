//! Reading datagrams out of pcap/pcapng captures: link layers, IP reassembly, UDP demux.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};

use etherparse::defrag::IpDefragPool;
use etherparse::{EtherType, IpNumber, NetSlice, SlicedPacket, TransportSlice, UdpSlice};
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;

/// What a capture frame carried, as far as IKE and ESP are concerned.
#[derive(Debug)]
pub enum FramePayload {
    /// A UDP datagram on one of the IKE ports.
    Udp {
        src: SocketAddr,
        dst: SocketAddr,
        data: Vec<u8>,
    },
    /// ESP directly over IP (protocol 50).
    Esp {
        src: IpAddr,
        dst: IpAddr,
        data: Vec<u8>,
    },
    /// An IP fragment held for reassembly; the datagram is reported on its last fragment.
    Fragment,
    /// Something that is not IKE or ESP (counted and reported, not decoded).
    Other(String),
    /// A frame that could not be read as a packet.
    Undecodable(String),
}

/// One frame of the capture, numbered from 1 as Wireshark numbers them.
#[derive(Debug)]
pub struct Frame {
    pub number: usize,
    pub payload: FramePayload,
}

/// Errors reading the capture file itself.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("not a pcap or pcapng file: {0}")]
    Format(String),
    #[error("frame {frame}: {message}")]
    Block { frame: usize, message: String },
    #[error("unsupported link type {0:?}")]
    LinkType(DataLink),
}

/// Which UDP ports carry IKE.
#[derive(Debug, Clone)]
pub struct Ports {
    pub ike: BTreeSet<u16>,
    pub natt: BTreeSet<u16>,
}

impl Ports {
    pub fn is_ike(&self, src: u16, dst: u16) -> bool {
        [src, dst]
            .iter()
            .any(|p| self.ike.contains(p) || self.natt.contains(p))
    }
}

/// Whether the bytes start like a pcap or pcapng file.
pub fn is_capture(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some([0xd4, 0xc3, 0xb2, 0xa1])
            | Some([0xa1, 0xb2, 0xc3, 0xd4])
            | Some([0x4d, 0x3c, 0xb2, 0xa1])
            | Some([0xa1, 0xb2, 0x3c, 0x4d])
            | Some([0x0a, 0x0d, 0x0d, 0x0a])
    )
}

/// Reads every frame of a capture into IKE/ESP datagrams.
pub fn read_frames(bytes: &[u8], ports: &Ports) -> Result<Vec<Frame>, CaptureError> {
    let raw = raw_frames(bytes)?;
    let mut pool: IpDefragPool<(), ()> = IpDefragPool::new();
    let mut frames = Vec::with_capacity(raw.len());
    for (i, (link, data)) in raw.into_iter().enumerate() {
        let payload = classify(link, &data, ports, &mut pool);
        frames.push(Frame {
            number: i + 1,
            payload,
        });
    }
    Ok(frames)
}

fn raw_frames(bytes: &[u8]) -> Result<Vec<(DataLink, Vec<u8>)>, CaptureError> {
    let mut out = Vec::new();
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut reader =
            PcapNgReader::new(bytes).map_err(|e| CaptureError::Format(e.to_string()))?;
        while let Some(block) = reader.next_block() {
            let frame = out.len() + 1;
            let block = block.map_err(|e| CaptureError::Block {
                frame,
                message: e.to_string(),
            })?;
            let (interface, data) = match block {
                Block::EnhancedPacket(p) => (p.interface_id as usize, p.data.into_owned()),
                Block::SimplePacket(p) => (0, p.data.into_owned()),
                Block::Packet(p) => (usize::from(p.interface_id), p.data.into_owned()),
                _ => continue,
            };
            let link = reader
                .interfaces()
                .get(interface)
                .map(|i| i.linktype)
                .ok_or_else(|| CaptureError::Block {
                    frame,
                    message: format!("unknown interface {interface}"),
                })?;
            out.push((link, data));
        }
    } else {
        let mut reader = PcapReader::new(bytes).map_err(|e| CaptureError::Format(e.to_string()))?;
        let link = reader.header().datalink;
        while let Some(packet) = reader.next_packet() {
            let frame = out.len() + 1;
            let packet = packet.map_err(|e| CaptureError::Block {
                frame,
                message: e.to_string(),
            })?;
            out.push((link, packet.data.into_owned()));
        }
    }
    Ok(out)
}

fn slice(link: DataLink, data: &[u8]) -> Result<SlicedPacket<'_>, String> {
    let r = match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data).map_err(|e| e.to_string()),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data).map_err(|e| e.to_string()),
        DataLink::LINUX_SLL2 => {
            // SLL2: protocol type (2), reserved (2), ifindex (4), ARPHRD (2), packet type (1),
            // address length (1), address (8).
            let proto = data
                .get(..2)
                .ok_or("truncated Linux cooked (SLL2) header")?;
            let rest = data
                .get(20..)
                .ok_or("truncated Linux cooked (SLL2) header")?;
            SlicedPacket::from_ether_type(EtherType(u16::from_be_bytes([proto[0], proto[1]])), rest)
                .map_err(|e| e.to_string())
        }
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => {
            SlicedPacket::from_ip(data).map_err(|e| e.to_string())
        }
        DataLink::NULL | DataLink::LOOP => {
            let rest = data.get(4..).ok_or("truncated loopback header")?;
            SlicedPacket::from_ip(rest).map_err(|e| e.to_string())
        }
        other => return Err(CaptureError::LinkType(other).to_string()),
    };
    r
}

fn addresses(net: &NetSlice<'_>) -> Option<(IpAddr, IpAddr)> {
    match net {
        NetSlice::Ipv4(ip) => Some((
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        )),
        NetSlice::Ipv6(ip) => Some((
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        )),
        NetSlice::Arp(_) => None,
    }
}

fn classify(
    link: DataLink,
    data: &[u8],
    ports: &Ports,
    pool: &mut IpDefragPool<(), ()>,
) -> FramePayload {
    let packet = match slice(link, data) {
        Ok(p) => p,
        Err(e) => return FramePayload::Undecodable(e),
    };
    let Some(net) = &packet.net else {
        return FramePayload::Other("not an IP packet".to_owned());
    };
    let Some((src_ip, dst_ip)) = addresses(net) else {
        return FramePayload::Other("ARP".to_owned());
    };
    // A fragmented datagram: feed the pool and decode it once complete.
    match pool.process_sliced_packet(&packet, (), ()) {
        Err(e) => return FramePayload::Undecodable(format!("IP reassembly: {e}")),
        Ok(Some(whole)) => return datagram(src_ip, dst_ip, whole.ip_number, &whole.payload, ports),
        Ok(None) if is_fragment(net) => return FramePayload::Fragment,
        Ok(None) => {}
    }
    match &packet.transport {
        Some(TransportSlice::Udp(udp)) => udp_datagram(src_ip, dst_ip, udp, ports),
        _ => {
            let (number, payload) = match net {
                NetSlice::Ipv4(ip) => (ip.payload().ip_number, ip.payload().payload),
                NetSlice::Ipv6(ip) => (ip.payload().ip_number, ip.payload().payload),
                NetSlice::Arp(_) => return FramePayload::Other("ARP".to_owned()),
            };
            if number == IpNumber::ENCAPSULATING_SECURITY_PAYLOAD {
                FramePayload::Esp {
                    src: src_ip,
                    dst: dst_ip,
                    data: payload.to_vec(),
                }
            } else {
                FramePayload::Other(format!("IP protocol {}", number.0))
            }
        }
    }
}

fn is_fragment(net: &NetSlice<'_>) -> bool {
    match net {
        NetSlice::Ipv4(ip) => ip.header().is_fragmenting_payload(),
        NetSlice::Ipv6(ip) => ip.is_payload_fragmented(),
        NetSlice::Arp(_) => false,
    }
}

fn datagram(
    src: IpAddr,
    dst: IpAddr,
    number: IpNumber,
    payload: &[u8],
    ports: &Ports,
) -> FramePayload {
    if number == IpNumber::ENCAPSULATING_SECURITY_PAYLOAD {
        return FramePayload::Esp {
            src,
            dst,
            data: payload.to_vec(),
        };
    }
    if number != IpNumber::UDP {
        return FramePayload::Other(format!("reassembled IP protocol {}", number.0));
    }
    match UdpSlice::from_slice(payload) {
        Ok(udp) => udp_datagram(src, dst, &udp, ports),
        Err(e) => FramePayload::Undecodable(format!("reassembled UDP datagram: {e}")),
    }
}

fn udp_datagram(src: IpAddr, dst: IpAddr, udp: &UdpSlice<'_>, ports: &Ports) -> FramePayload {
    let (sp, dp) = (udp.source_port(), udp.destination_port());
    if !ports.is_ike(sp, dp) {
        return FramePayload::Other(format!("UDP {sp} -> {dp}"));
    }
    FramePayload::Udp {
        src: SocketAddr::new(src, sp),
        dst: SocketAddr::new(dst, dp),
        data: udp.payload().to_vec(),
    }
}
