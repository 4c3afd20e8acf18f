//! JSON rendering: an array with one object per datagram.

use ikelab_wire::iana::{ExchangeType, NotifyType};
use ikelab_wire::payload::{AttributeValue, TrafficSelector};
use ikelab_wire::{Finding, Payload, PayloadBody};
use serde_json::{json, Map, Value};

use super::decrypt::Decryption;
use super::esp::EspDecryption;
use super::{Content, Record};

pub fn render(records: &[Record]) -> String {
    let array: Vec<Value> = records.iter().map(record).collect();
    serde_json::to_string_pretty(&array).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn record(r: &Record) -> Value {
    let mut o = Map::new();
    o.insert("frame".into(), json!(r.frame));
    if let Some(src) = &r.src {
        o.insert("src".into(), json!(src));
    }
    if let Some(dst) = &r.dst {
        o.insert("dst".into(), json!(dst));
    }
    match &r.content {
        Content::Ike {
            encapsulated,
            parsed,
            reencodes_identically,
            decryption,
            ..
        } => {
            let h = &parsed.message.header;
            o.insert("kind".into(), json!("ike"));
            o.insert("non_esp_marker".into(), json!(encapsulated));
            o.insert("exchange".into(), json!(exchange_name(h.exchange_type)));
            o.insert("exchange_type".into(), json!(h.exchange_type.0));
            o.insert(
                "initiator_spi".into(),
                json!(format!("{:016x}", h.initiator_spi)),
            );
            o.insert(
                "responder_spi".into(),
                json!(format!("{:016x}", h.responder_spi)),
            );
            o.insert("message_id".into(), json!(h.message_id));
            o.insert("initiator".into(), json!(h.flags.initiator()));
            o.insert("response".into(), json!(h.flags.response()));
            o.insert(
                "version".into(),
                json!(format!("{}.{}", h.major_version, h.minor_version)),
            );
            o.insert("length".into(), json!(parsed.message.buffer_len()));
            let mut list = payloads(&parsed.message.payloads);
            if let (Some(d), Value::Array(items)) = (decryption, &mut list) {
                if let Some(Value::Object(sk)) = items.last_mut() {
                    decrypted(sk, d);
                }
            }
            o.insert("payloads".into(), list);
            o.insert("findings".into(), findings(&parsed.findings));
            o.insert("canonical".into(), json!(parsed.is_canonical()));
            o.insert("reencodes_identically".into(), json!(reencodes_identically));
        }
        Content::Esp {
            header,
            length,
            encapsulated,
            decryption,
        } => {
            o.insert("kind".into(), json!("esp"));
            o.insert("udp_encapsulated".into(), json!(encapsulated));
            o.insert("spi".into(), json!(format!("0x{:08x}", header.spi)));
            o.insert("sequence".into(), json!(header.sequence_number));
            o.insert("length".into(), json!(length));
            match decryption {
                Some(EspDecryption::Inner {
                    next_header,
                    length,
                    summary,
                }) => {
                    o.insert("decrypted".into(), json!(true));
                    o.insert(
                        "inner".into(),
                        json!({"next_header": next_header, "length": length, "summary": summary}),
                    );
                }
                Some(EspDecryption::Failed(reason)) => {
                    o.insert("decrypted".into(), json!(false));
                    o.insert("decryption_error".into(), json!(reason));
                }
                None => {}
            }
        }
        Content::NatKeepalive => {
            o.insert("kind".into(), json!("nat-keepalive"));
        }
        Content::OtherVersion(v) => {
            let kind = if v.major == 1 {
                "ikev1"
            } else {
                "ike-other-version"
            };
            o.insert("kind".into(), json!(kind));
            o.insert("non_esp_marker".into(), json!(v.encapsulated));
            o.insert("version".into(), json!(format!("{}.{}", v.major, v.minor)));
            o.insert("exchange".into(), json!(v.exchange_name()));
            o.insert("exchange_type".into(), json!(v.exchange_type));
            o.insert(
                "initiator_spi".into(),
                json!(format!("{:016x}", v.initiator_spi)),
            );
            o.insert(
                "responder_spi".into(),
                json!(format!("{:016x}", v.responder_spi)),
            );
            o.insert("next_payload".into(), json!(v.next_payload));
            o.insert("flags".into(), json!(v.flags));
            o.insert("message_id".into(), json!(v.message_id));
            o.insert("length".into(), json!(v.length));
        }
        Content::Error { kind, error } => {
            o.insert("kind".into(), json!(kind));
            o.insert(
                "error".into(),
                json!({ "offset": error.offset, "path": error.path, "message": error.message }),
            );
        }
    }
    Value::Object(o)
}

/// Adds what decryption found to the SK/SKF payload's object.
fn decrypted(sk: &mut Map<String, Value>, d: &Decryption) {
    match d {
        Decryption::Inner {
            payloads: inner,
            findings: f,
        } => {
            sk.insert("decrypted".into(), json!(true));
            sk.insert("inner_payloads".into(), payloads(inner));
            sk.insert("inner_findings".into(), findings(f));
        }
        Decryption::FragmentHeld { received, total } => {
            sk.insert("decrypted".into(), json!(true));
            sk.insert(
                "reassembly".into(),
                json!(format!("{received} of {total} fragments")),
            );
        }
        Decryption::Failed(reason) => {
            sk.insert("decrypted".into(), json!(false));
            sk.insert("decryption_error".into(), json!(reason));
        }
    }
}

fn exchange_name(t: ExchangeType) -> String {
    t.name().map_or_else(|| t.0.to_string(), str::to_owned)
}

pub fn findings(list: &[Finding]) -> Value {
    Value::Array(
        list.iter()
            .map(|f| {
                json!({
                    "code": f.kind.code(),
                    "offset": f.offset,
                    "path": f.path,
                    "message": f.kind.to_string(),
                    "reference": f.kind.reference(),
                })
            })
            .collect(),
    )
}

pub fn payloads(list: &[Payload]) -> Value {
    Value::Array(list.iter().map(payload).collect())
}

fn payload(p: &Payload) -> Value {
    let ty = p.payload_type();
    let mut o = Map::new();
    o.insert("type".into(), json!(ty.name().unwrap_or("Unknown")));
    o.insert("type_id".into(), json!(ty.0));
    o.insert("critical".into(), json!(p.critical));
    o.insert("length".into(), json!(p.buffer_len()));
    match &p.body {
        PayloadBody::Sa(sa) => {
            let proposals: Vec<Value> = sa
                .proposals
                .iter()
                .map(|pr| {
                    let transforms: Vec<Value> = pr
                        .transforms
                        .iter()
                        .map(|t| {
                            let mut to = Map::new();
                            to.insert("type".into(), json!(t.transform_type.to_string()));
                            to.insert("id".into(), json!(t.id));
                            to.insert("name".into(), json!(t.id_name()));
                            if let Some(bits) = t.key_length() {
                                to.insert("key_length".into(), json!(bits));
                            }
                            let attrs: Vec<Value> = t
                                .attributes
                                .iter()
                                .map(|a| match &a.value {
                                    AttributeValue::Tv(v) => json!({"type": a.attribute_type.0, "value": v}),
                                    AttributeValue::Tlv(v) => json!({"type": a.attribute_type.0, "value_hex": hex::encode(v)}),
                                })
                                .collect();
                            to.insert("attributes".into(), Value::Array(attrs));
                            Value::Object(to)
                        })
                        .collect();
                    json!({
                        "number": pr.number,
                        "protocol": pr.protocol.to_string(),
                        "spi": hex::encode(&pr.spi),
                        "transforms": transforms,
                    })
                })
                .collect();
            o.insert("proposals".into(), Value::Array(proposals));
        }
        PayloadBody::Ke(ke) => {
            o.insert("group".into(), json!(ke.group.to_string()));
            o.insert("group_id".into(), json!(ke.group.0));
            o.insert("data_length".into(), json!(ke.data.len()));
        }
        PayloadBody::IdInitiator(id) | PayloadBody::IdResponder(id) => {
            o.insert("id_type".into(), json!(id.id_type.to_string()));
            o.insert("id".into(), json!(id.display().to_string()));
        }
        PayloadBody::Cert(c) | PayloadBody::CertReq(c) => {
            o.insert("encoding".into(), json!(c.encoding.to_string()));
            o.insert("data_length".into(), json!(c.data.len()));
        }
        PayloadBody::Auth(a) => {
            o.insert("method".into(), json!(a.method.to_string()));
            o.insert("method_id".into(), json!(a.method.0));
            o.insert("data_length".into(), json!(a.data.len()));
        }
        PayloadBody::Nonce(n) => {
            o.insert("data_length".into(), json!(n.len()));
        }
        PayloadBody::Notify(n) => {
            o.insert("notify_type".into(), json!(notify_name(n.notify_type)));
            o.insert("notify_type_id".into(), json!(n.notify_type.0));
            o.insert("protocol".into(), json!(n.protocol.0));
            o.insert("spi".into(), json!(hex::encode(&n.spi)));
            o.insert("data_hex".into(), json!(hex::encode(&n.data)));
            if let Some(algs) = n.signature_hash_algorithms() {
                let names: Vec<String> = algs.iter().map(ToString::to_string).collect();
                o.insert("signature_hash_algorithms".into(), json!(names));
            }
            if let Some(group) = n.invalid_ke_group() {
                o.insert("accepted_group".into(), json!(group.to_string()));
            }
        }
        PayloadBody::Delete(d) => {
            o.insert("protocol".into(), json!(d.protocol.to_string()));
            let spis: Vec<String> = d.spis.iter().map(hex::encode).collect();
            o.insert("spis".into(), json!(spis));
        }
        PayloadBody::VendorId(v) => {
            o.insert("data_hex".into(), json!(hex::encode(v)));
        }
        PayloadBody::TsInitiator(ts) | PayloadBody::TsResponder(ts) => {
            let sel: Vec<Value> = ts
                .selectors
                .iter()
                .map(|s| match s {
                    TrafficSelector::AddressRange(r) => json!({
                        "ts_type": r.ts_type().to_string(),
                        "ip_protocol": r.ip_protocol,
                        "ports": [r.start_port, r.end_port],
                        "addresses": [r.start_address.to_string(), r.end_address.to_string()],
                    }),
                    TrafficSelector::Other { ts_type, body, .. } => json!({
                        "ts_type": ts_type.to_string(),
                        "data_hex": hex::encode(body),
                    }),
                })
                .collect();
            o.insert("selectors".into(), Value::Array(sel));
        }
        PayloadBody::Sk(sk) => {
            o.insert("first_payload".into(), json!(sk.first_payload.to_string()));
            o.insert("data_length".into(), json!(sk.body.len()));
        }
        PayloadBody::Skf(skf) => {
            o.insert("first_payload".into(), json!(skf.first_payload.to_string()));
            o.insert("fragment_number".into(), json!(skf.fragment_number));
            o.insert("total_fragments".into(), json!(skf.total_fragments));
            o.insert("data_length".into(), json!(skf.body.len()));
        }
        PayloadBody::Cp(cp) => {
            o.insert("cfg_type".into(), json!(cp.cfg_type.to_string()));
            let attrs: Vec<Value> = cp
                .attributes
                .iter()
                .map(|a| {
                    json!({
                        "type": a.attribute_type.to_string(),
                        "value": a.display_value(),
                        "value_hex": hex::encode(&a.value),
                    })
                })
                .collect();
            o.insert("attributes".into(), Value::Array(attrs));
        }
        PayloadBody::Eap(e) => {
            o.insert("code".into(), json!(e.code));
            o.insert("identifier".into(), json!(e.identifier));
            o.insert("eap_type".into(), json!(e.eap_type));
        }
        PayloadBody::Unknown { data, .. } => {
            o.insert("data_hex".into(), json!(hex::encode(data)));
        }
    }
    Value::Object(o)
}

fn notify_name(t: NotifyType) -> String {
    t.name().map_or_else(|| t.0.to_string(), str::to_owned)
}
