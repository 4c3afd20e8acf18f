//! `ikelab decode`: every IKE/ESP datagram of a capture (or one raw IKE message) as a tree or JSON.
//!
//! Nothing is skipped silently: a datagram that does not decode is reported with the byte offset
//! and payload path of the problem, and the command exits 1 at the end. Frames that are not IKE or
//! ESP are counted on stderr.

mod capture;
mod decrypt;
mod esp;
mod json;
mod keys;
mod notify;
mod text;

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use ikelab_wire::{EspHeader, Message, Parsed, Udp4500};

use capture::{FramePayload, Ports};

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// A pcap or pcapng capture, or a file holding one raw IKE message.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// UDP port carrying plain IKE (repeatable).
    #[arg(long = "ike-port", default_values_t = [500u16])]
    pub ike_ports: Vec<u16>,
    /// UDP port carrying UDP-encapsulated IKE/ESP with the non-ESP marker (repeatable).
    #[arg(long = "natt-port", default_values_t = [4500u16])]
    pub natt_ports: Vec<u16>,
    /// IKE SA keys in Wireshark's `ikev2_decryption_table` format: SK/SKF payloads are
    /// verified, decrypted (SKF reassembled) and their inner payloads listed.
    #[arg(long)]
    pub keys: Option<PathBuf>,
    /// ESP SA keys in Wireshark's `esp_sa` format: ESP packets are verified and decrypted by
    /// ikelab's ESP data plane and the inner packet summarised.
    #[arg(long = "esp-keys")]
    pub esp_keys: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// One decoded datagram.
#[derive(Debug)]
pub struct Record {
    pub frame: usize,
    pub src: Option<String>,
    pub dst: Option<String>,
    pub content: Content,
}

#[derive(Debug)]
pub enum Content {
    Ike {
        /// Whether the message came after a non-ESP marker (UDP 4500).
        encapsulated: bool,
        parsed: Box<Parsed>,
        /// Whether re-encoding the parsed message gave the received bytes back.
        reencodes_identically: bool,
        /// The message's bytes (up to the header's Length).
        raw: Vec<u8>,
        /// The decrypted SK/SKF contents, when keys were given and the message is encrypted.
        decryption: Option<decrypt::Decryption>,
    },
    Esp {
        header: EspHeader,
        length: usize,
        encapsulated: bool,
        /// The decrypted packet, when ESP keys were given.
        decryption: Option<esp::EspDecryption>,
    },
    NatKeepalive,
    /// An ISAKMP header with a major version other than 2: IKEv1 (RFC 2408/2409) or a future
    /// IKE. Only the header is shown; a capture that mixes versions is not an error.
    OtherVersion(OtherVersion),
    Error {
        kind: &'static str,
        error: ErrorInfo,
    },
}

/// The version-independent ISAKMP header fields (RFC 2408 §3.1, RFC 7296 §3.1).
#[derive(Debug)]
pub struct OtherVersion {
    pub major: u8,
    pub minor: u8,
    pub initiator_spi: u64,
    pub responder_spi: u64,
    pub next_payload: u8,
    pub exchange_type: u8,
    pub flags: u8,
    pub message_id: u32,
    pub length: u32,
    pub encapsulated: bool,
}

impl OtherVersion {
    /// The header of `data` when it is complete and its major version is not 2.
    fn parse(data: &[u8], encapsulated: bool) -> Option<Self> {
        let h = ikelab_wire::HeaderPacket::new_checked(data).ok()?;
        (h.major_version() != 2).then(|| Self {
            major: h.major_version(),
            minor: h.minor_version(),
            initiator_spi: h.initiator_spi(),
            responder_spi: h.responder_spi(),
            next_payload: h.next_payload().0,
            exchange_type: h.exchange_type().0,
            flags: data[19],
            message_id: h.message_id(),
            length: h.length(),
            encapsulated,
        })
    }

    /// IKEv1 exchange names (RFC 2408 §3.1, RFC 2409 §5, §5.5; 32 Quick Mode, 33 New Group).
    pub fn exchange_name(&self) -> String {
        let name = match (self.major, self.exchange_type) {
            (1, 1) => "Base",
            (1, 2) => "Identity Protection (Main Mode)",
            (1, 3) => "Authentication Only",
            (1, 4) => "Aggressive Mode",
            (1, 5) => "Informational",
            (1, 32) => "Quick Mode",
            (1, 33) => "New Group Mode",
            _ => return format!("exchange {}", self.exchange_type),
        };
        name.to_string()
    }
}

/// Where and why a datagram failed to decode.
#[derive(Debug)]
pub struct ErrorInfo {
    pub offset: Option<usize>,
    pub path: Option<String>,
    pub message: String,
}

impl From<ikelab_wire::Error> for ErrorInfo {
    fn from(e: ikelab_wire::Error) -> Self {
        Self {
            offset: Some(e.offset),
            path: Some(e.path.clone()),
            message: e.kind.to_string(),
        }
    }
}

pub fn run(args: DecodeArgs) -> ExitCode {
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let mut decryptors = Decryptors::default();
    if let Some(path) = &args.keys {
        match read_table(path, keys::parse_ike_table) {
            Ok(table) => decryptors.ike = Some(decrypt::Decryptor::new(table)),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if let Some(path) = &args.esp_keys {
        match read_table(path, keys::parse_esp_table) {
            Ok(table) => decryptors.esp = Some(esp::EspDecryptor::new(table)),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let ports = Ports {
        ike: args.ike_ports.iter().copied().collect::<BTreeSet<_>>(),
        natt: args.natt_ports.iter().copied().collect::<BTreeSet<_>>(),
    };
    let Decoded {
        records,
        skipped: other,
    } = match decode_bytes(&bytes, &ports, &mut decryptors) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    match args.format {
        Format::Json => println!("{}", json::render(&records)),
        Format::Text => print!("{}", text::render(&records)),
    }
    if let Some((frame, what)) = other.first() {
        eprintln!(
            "note: {} frame(s) carried neither IKE nor ESP and were not decoded (first: frame {frame}, {what})",
            other.len()
        );
    }
    let errors = records
        .iter()
        .filter(|r| matches!(r.content, Content::Error { .. }))
        .count();
    if errors > 0 {
        eprintln!("error: {errors} datagram(s) could not be decoded");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// The result of decoding a file.
#[derive(Debug)]
pub struct Decoded {
    pub records: Vec<Record>,
    /// Frames that were neither IKE nor ESP: frame number and what they were.
    pub skipped: Vec<(usize, String)>,
}

/// The key tables given on the command line, as decryptors.
#[derive(Default)]
pub struct Decryptors {
    pub ike: Option<decrypt::Decryptor>,
    pub esp: Option<esp::EspDecryptor>,
}

impl Decryptors {
    /// Adds what the keys reveal to a decoded datagram. `data` is the UDP payload or ESP packet.
    fn apply(
        &mut self,
        mut content: Content,
        data: &[u8],
        src: Option<IpAddr>,
        dst: Option<IpAddr>,
    ) -> Content {
        match &mut content {
            Content::Ike {
                parsed,
                raw,
                decryption,
                ..
            } => {
                if let Some(d) = &mut self.ike {
                    *decryption = d.decrypt(&parsed.message, raw);
                }
            }
            Content::Esp {
                header, decryption, ..
            } => {
                if let Some(d) = &mut self.esp {
                    *decryption = Some(d.decrypt(data, header.spi, src, dst));
                }
            }
            Content::NatKeepalive | Content::OtherVersion(_) | Content::Error { .. } => {}
        }
        content
    }
}

fn read_table<T, E: std::fmt::Display>(
    path: &std::path::Path,
    parse: fn(&str) -> Result<Vec<T>, E>,
) -> Result<Vec<T>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    parse(&text).map_err(|e| e.to_string())
}

/// Decodes a capture or a raw IKE message.
pub fn decode_bytes(
    bytes: &[u8],
    ports: &Ports,
    keys: &mut Decryptors,
) -> Result<Decoded, capture::CaptureError> {
    if !capture::is_capture(bytes) {
        let content = keys.apply(decode_ike(bytes, false), bytes, None, None);
        let record = Record {
            frame: 1,
            src: None,
            dst: None,
            content,
        };
        return Ok(Decoded {
            records: vec![record],
            skipped: Vec::new(),
        });
    }
    let mut records = Vec::new();
    let mut other = Vec::new();
    for frame in capture::read_frames(bytes, ports)? {
        let (src, dst, content) = match frame.payload {
            FramePayload::Udp { src, dst, data } => {
                let natt = ports.natt.contains(&src.port()) || ports.natt.contains(&dst.port());
                let content = if natt {
                    decode_4500(&data)
                } else {
                    decode_ike(&data, false)
                };
                (
                    Some(src),
                    Some(dst),
                    keys.apply(content, &data, Some(src.ip()), Some(dst.ip())),
                )
            }
            FramePayload::Esp { src, dst, data } => {
                let content = keys.apply(decode_esp(&data, false), &data, Some(src), Some(dst));
                (
                    Some(SocketAddr::new(src, 0)),
                    Some(SocketAddr::new(dst, 0)),
                    content,
                )
            }
            FramePayload::Fragment => continue,
            FramePayload::Other(what) => {
                other.push((frame.number, what));
                continue;
            }
            FramePayload::Undecodable(message) => {
                let error = ErrorInfo {
                    offset: None,
                    path: None,
                    message,
                };
                (
                    None,
                    None,
                    Content::Error {
                        kind: "frame",
                        error,
                    },
                )
            }
        };
        let addr = |a: Option<SocketAddr>| {
            a.map(|a| {
                if a.port() == 0 {
                    a.ip().to_string()
                } else {
                    a.to_string()
                }
            })
        };
        records.push(Record {
            frame: frame.number,
            src: addr(src),
            dst: addr(dst),
            content,
        });
    }
    Ok(Decoded {
        records,
        skipped: other,
    })
}

fn decode_4500(data: &[u8]) -> Content {
    match Udp4500::classify(data) {
        Ok(Udp4500::NatKeepalive) => Content::NatKeepalive,
        Ok(Udp4500::Ike(ike)) => shift(decode_ike(ike, true), 4),
        Ok(Udp4500::Esp(_)) => decode_esp(data, true),
        Err(e) => Content::Error {
            kind: "udp-4500",
            error: e.into(),
        },
    }
}

/// Error offsets are reported relative to the UDP payload, so add the non-ESP marker back.
fn shift(content: Content, by: usize) -> Content {
    match content {
        Content::Error { kind, mut error } => {
            error.offset = error.offset.map(|o| o + by);
            Content::Error { kind, error }
        }
        other => other,
    }
}

fn decode_ike(data: &[u8], encapsulated: bool) -> Content {
    if let Some(other) = OtherVersion::parse(data, encapsulated) {
        return Content::OtherVersion(other);
    }
    match Message::parse(data) {
        Ok(parsed) => {
            // Parsing succeeded, so the header's Length is within the datagram.
            let length = ikelab_wire::HeaderPacket::new_unchecked(data).length() as usize;
            let raw = data[..length.min(data.len())].to_vec();
            let reencodes_identically = parsed.message.emit() == raw;
            Content::Ike {
                encapsulated,
                parsed: Box::new(parsed),
                reencodes_identically,
                raw,
                decryption: None,
            }
        }
        Err(e) => Content::Error {
            kind: "ike",
            error: e.into(),
        },
    }
}

fn decode_esp(data: &[u8], encapsulated: bool) -> Content {
    match ikelab_wire::EspPacket::new_checked(data) {
        Ok(p) => Content::Esp {
            header: EspHeader::parse(&p),
            length: data.len(),
            encapsulated,
            decryption: None,
        },
        Err(e) => Content::Error {
            kind: "esp",
            error: e.into(),
        },
    }
}
