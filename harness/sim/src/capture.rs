//! Captures: a classic pcap (LINKTYPE_RAW, virtual timestamps) of the wire records with
//! synthesized IP and UDP headers, and Wireshark key tables for decrypting it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use etherparse::{IpNumber, PacketBuilder};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

use crate::error::SimError;
use crate::record::{Transport, WireRecord};

/// The IP packet carrying one record: IPv4/IPv6 + UDP (checksums computed) or IP protocol
/// 50 for raw ESP.
pub(crate) fn ip_packet(index: usize, rec: &WireRecord) -> Result<Vec<u8>, SimError> {
    let bad = |reason: String| SimError::Packet { index, reason };
    let builder = match (rec.src.ip(), rec.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), 64),
        (s, d) => return Err(bad(format!("{s} -> {d}: address families differ"))),
    };
    let mut out = Vec::new();
    match rec.transport {
        Transport::Udp => builder
            .udp(rec.src.port(), rec.dst.port())
            .write(&mut out, &rec.bytes)
            .map_err(|e| bad(e.to_string()))?,
        Transport::Esp => builder
            .write(
                &mut out,
                IpNumber::ENCAPSULATING_SECURITY_PAYLOAD,
                &rec.bytes,
            )
            .map_err(|e| bad(e.to_string()))?,
    }
    Ok(out)
}

/// Size of the IP packet a record travels in (for the MTU check), without building it.
pub(crate) fn ip_len(transport: Transport, dst: SocketAddr, payload: usize) -> usize {
    let ip = if dst.is_ipv4() { 20 } else { 40 };
    let udp = if transport == Transport::Udp { 8 } else { 0 };
    ip + udp + payload
}

/// Writes every record (dropped ones included: they were sent) to a pcap at `path`.
pub(crate) fn write_pcap(path: &Path, records: &[WireRecord]) -> Result<(), SimError> {
    let io = |source| SimError::Io {
        path: path.to_owned(),
        source,
    };
    let pcap = |source| SimError::Pcap {
        path: path.to_owned(),
        source,
    };
    let file = BufWriter::new(File::create(path).map_err(io)?);
    let header = PcapHeader {
        version_major: 2,
        version_minor: 4,
        ts_correction: 0,
        ts_accuracy: 0,
        snaplen: 65_535,
        datalink: DataLink::RAW,
        ts_resolution: TsResolution::MicroSecond,
        endianness: Endianness::Little,
    };
    let mut w = PcapWriter::with_header(file, header).map_err(pcap)?;
    for (i, rec) in records.iter().enumerate() {
        let data = ip_packet(i, rec)?;
        let ts = std::time::Duration::from_micros(rec.time.as_micros());
        let len = u32::try_from(data.len()).map_err(|_| SimError::Packet {
            index: i,
            reason: format!("{} octets do not fit a pcap record", data.len()),
        })?;
        w.write_packet(&PcapPacket::new(ts, len, &data))
            .map_err(pcap)?;
    }
    w.into_writer().flush().map_err(io)
}

/// Writes `lines` (secret keys!) to `dir/name`, replacing the file.
pub(crate) fn write_lines(dir: &Path, name: &str, lines: &[String]) -> Result<(), SimError> {
    let path = dir.join(name);
    let io = |source| SimError::Io {
        path: path.clone(),
        source,
    };
    let mut text = String::new();
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(&path, text).map_err(io)
}
