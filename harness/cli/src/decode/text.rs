//! Text rendering: an indented tree per datagram, in the spirit of `tshark -V`.

use std::fmt::Write;

use ikelab_wire::payload::{AttributeValue, TrafficSelector};
use ikelab_wire::{Payload, PayloadBody};

use super::decrypt::Decryption;
use super::esp::EspDecryption;
use super::{Content, Record};

pub fn render(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        record(&mut out, r);
    }
    out
}

fn record(out: &mut String, r: &Record) {
    let route = match (&r.src, &r.dst) {
        (Some(s), Some(d)) => format!("{s} -> {d}"),
        _ => "raw".to_owned(),
    };
    let _ = write!(out, "Frame {}: {route}: ", r.frame);
    match &r.content {
        Content::Ike {
            encapsulated,
            parsed,
            reencodes_identically,
            decryption,
            ..
        } => {
            let h = &parsed.message.header;
            let role = if h.flags.initiator() {
                "initiator"
            } else {
                "responder"
            };
            let kind = if h.flags.response() {
                "response"
            } else {
                "request"
            };
            let _ = writeln!(
                out,
                "IKEv{}.{} {} {kind} from {role}, message ID {}{}",
                h.major_version,
                h.minor_version,
                h.exchange_type,
                h.message_id,
                if *encapsulated {
                    " (non-ESP marker)"
                } else {
                    ""
                }
            );
            let _ = writeln!(
                out,
                "    SPIi {:016x}  SPIr {:016x}  flags {:?}  length {}",
                h.initiator_spi,
                h.responder_spi,
                h.flags,
                parsed.message.buffer_len()
            );
            payloads(out, &parsed.message.payloads, 1);
            match decryption {
                Some(Decryption::Inner {
                    payloads: inner,
                    findings,
                }) => {
                    let _ = writeln!(out, "        decrypted, integrity verified:");
                    payloads(out, inner, 3);
                    for f in findings {
                        let _ = writeln!(
                            out,
                            "            finding [{}] ({}): {}",
                            f.kind.code(),
                            f.path,
                            f.kind
                        );
                    }
                }
                Some(Decryption::FragmentHeld { received, total }) => {
                    let _ = writeln!(out, "        fragment decrypted, integrity verified ({received} of {total} received)");
                }
                Some(Decryption::Failed(reason)) => {
                    let _ = writeln!(out, "        NOT decrypted: {reason}");
                }
                None => {}
            }
            for f in &parsed.findings {
                let _ = writeln!(
                    out,
                    "    finding [{}] at byte {} ({}): {} ({})",
                    f.kind.code(),
                    f.offset,
                    f.path,
                    f.kind,
                    f.kind.reference()
                );
            }
            if !reencodes_identically {
                let _ = writeln!(
                    out,
                    "    note: re-encoding differs from the received bytes (non-canonical input)"
                );
            }
        }
        Content::Esp {
            header,
            length,
            encapsulated,
            decryption,
        } => {
            let _ = writeln!(
                out,
                "ESP{} SPI 0x{:08x} seq {} ({length} bytes)",
                if *encapsulated { "-in-UDP" } else { "" },
                header.spi,
                header.sequence_number
            );
            match decryption {
                Some(EspDecryption::Inner { summary, .. }) => {
                    let _ = writeln!(out, "    decrypted, ICV verified: {summary}");
                }
                Some(EspDecryption::Failed(reason)) => {
                    let _ = writeln!(out, "    NOT decrypted: {reason}");
                }
                None => {}
            }
        }
        Content::NatKeepalive => {
            let _ = writeln!(out, "NAT-keepalive");
        }
        Content::OtherVersion(v) => {
            let what = if v.major == 1 {
                "ISAKMP/IKEv1".to_string()
            } else {
                format!("IKE major version {}", v.major)
            };
            let _ = writeln!(
                out,
                "{what} {} (version {}.{}, not decoded: ikelab decodes IKEv2)",
                v.exchange_name(),
                v.major,
                v.minor
            );
            let _ = writeln!(
                out,
                "    SPIi {:016x}  SPIr {:016x}  flags 0x{:02x}  message ID {}  length {}",
                v.initiator_spi, v.responder_spi, v.flags, v.message_id, v.length
            );
        }
        Content::Error { kind, error } => {
            let at = match (&error.offset, &error.path) {
                (Some(o), Some(p)) => format!(" at byte {o} ({p})"),
                _ => String::new(),
            };
            let _ = writeln!(out, "ERROR decoding {kind}{at}: {}", error.message);
        }
    }
}

pub fn payloads(out: &mut String, list: &[Payload], depth: usize) {
    let pad = "    ".repeat(depth);
    for p in list {
        let crit = if p.critical { " [critical]" } else { "" };
        let _ = write!(out, "{pad}{}{crit}", p.body.type_name());
        match &p.body {
            PayloadBody::Sa(sa) => {
                let _ = writeln!(out);
                for pr in &sa.proposals {
                    let spi = if pr.spi.is_empty() {
                        "none".to_owned()
                    } else {
                        hex::encode(&pr.spi)
                    };
                    let _ = writeln!(
                        out,
                        "{pad}    Proposal {}: {} SPI {spi}",
                        pr.number, pr.protocol
                    );
                    for t in &pr.transforms {
                        let kl = t
                            .key_length()
                            .map(|b| format!(" (key length {b})"))
                            .unwrap_or_default();
                        let extra = t
                            .attributes
                            .iter()
                            .filter(|a| !matches!(a.value, AttributeValue::Tv(_)))
                            .count();
                        let extra = if extra > 0 {
                            format!(" +{extra} TLV attribute(s)")
                        } else {
                            String::new()
                        };
                        let _ = writeln!(
                            out,
                            "{pad}        {} {}{kl}{extra}",
                            t.transform_type,
                            t.id_name()
                        );
                    }
                }
            }
            PayloadBody::Ke(ke) => {
                let _ = writeln!(out, ": {} ({} bytes)", ke.group, ke.data.len());
            }
            PayloadBody::IdInitiator(id) | PayloadBody::IdResponder(id) => {
                let _ = writeln!(out, ": {} {}", id.id_type, id.display());
            }
            PayloadBody::Cert(c) | PayloadBody::CertReq(c) => {
                let _ = writeln!(out, ": {} ({} bytes)", c.encoding, c.data.len());
            }
            PayloadBody::Auth(a) => {
                let _ = writeln!(out, ": {} ({} bytes)", a.method, a.data.len());
            }
            PayloadBody::Nonce(n) => {
                let _ = writeln!(out, ": {} bytes", n.len());
            }
            PayloadBody::Notify(n) => {
                let _ = writeln!(out, ": {}{}", n.notify_type, super::notify::detail(n));
            }
            PayloadBody::Delete(d) => {
                let spis: Vec<String> = d.spis.iter().map(hex::encode).collect();
                let _ = writeln!(out, ": {} [{}]", d.protocol, spis.join(", "));
            }
            PayloadBody::VendorId(v) => {
                let _ = writeln!(out, ": {}", hex::encode(v));
            }
            PayloadBody::TsInitiator(ts) | PayloadBody::TsResponder(ts) => {
                let _ = writeln!(out);
                for s in &ts.selectors {
                    match s {
                        TrafficSelector::AddressRange(r) => {
                            let _ = writeln!(
                                out,
                                "{pad}    {}-{} proto {} ports {}-{}",
                                r.start_address,
                                r.end_address,
                                r.ip_protocol,
                                r.start_port,
                                r.end_port
                            );
                        }
                        TrafficSelector::Other { ts_type, body, .. } => {
                            let _ = writeln!(out, "{pad}    {ts_type} ({} bytes)", body.len());
                        }
                    }
                }
            }
            PayloadBody::Sk(sk) => {
                let _ = writeln!(
                    out,
                    ": first payload {}, {} bytes encrypted",
                    sk.first_payload,
                    sk.body.len()
                );
            }
            PayloadBody::Skf(f) => {
                let _ = writeln!(
                    out,
                    ": fragment {}/{}, first payload {}, {} bytes encrypted",
                    f.fragment_number,
                    f.total_fragments,
                    f.first_payload,
                    f.body.len()
                );
            }
            PayloadBody::Cp(cp) => {
                let names: Vec<String> = cp
                    .attributes
                    .iter()
                    .map(|a| match a.display_value() {
                        Some(v) => format!("{}={v}", a.attribute_type),
                        None => a.attribute_type.to_string(),
                    })
                    .collect();
                let _ = writeln!(out, ": {} [{}]", cp.cfg_type, names.join(", "));
            }
            PayloadBody::Eap(e) => {
                let _ = writeln!(
                    out,
                    ": code {} id {} type {:?}",
                    e.code, e.identifier, e.eap_type
                );
            }
            PayloadBody::Unknown { data, .. } => {
                let _ = writeln!(out, ": {} bytes", data.len());
            }
        }
    }
}
