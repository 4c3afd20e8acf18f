//! Property tests: every payload `Repr` survives emit -> parse unchanged, and arbitrary bytes
//! never make the parser panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ikelab_wire::iana::*;
use ikelab_wire::payload::*;
use ikelab_wire::{Flags, Header, Message, Payload, PayloadBody};
use proptest::collection::vec;
use proptest::prelude::*;

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

fn transform() -> impl Strategy<Value = Transform> {
    let attr = (
        0u16..0x8000,
        prop_oneof![
            any::<u16>().prop_map(AttributeValue::Tv),
            bytes(8).prop_map(AttributeValue::Tlv)
        ],
    )
        .prop_map(|(t, value)| Attribute {
            attribute_type: TransformAttributeType(t),
            value,
        });
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        vec(attr, 0..3),
    )
        .prop_map(|(r1, ty, r2, id, attributes)| Transform {
            reserved1: r1,
            transform_type: TransformType(ty),
            reserved2: r2,
            id,
            attributes,
        })
}

fn sa() -> impl Strategy<Value = SaPayload> {
    let proposal = (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        prop_oneof![Just(vec![]), bytes(9)],
        vec(transform(), 0..6),
    )
        .prop_map(|(reserved, number, protocol, spi, transforms)| Proposal {
            reserved,
            number,
            protocol: ProtocolId(protocol),
            spi,
            transforms,
        });
    vec(proposal, 1..4).prop_map(|proposals| SaPayload { proposals })
}

fn ip_pair() -> impl Strategy<Value = (IpAddr, IpAddr)> {
    prop_oneof![
        (any::<u32>(), any::<u32>())
            .prop_map(|(a, b)| (IpAddr::V4(Ipv4Addr::from(a)), IpAddr::V4(Ipv4Addr::from(b)))),
        (any::<u128>(), any::<u128>())
            .prop_map(|(a, b)| (IpAddr::V6(Ipv6Addr::from(a)), IpAddr::V6(Ipv6Addr::from(b)))),
    ]
}

fn ts() -> impl Strategy<Value = TsPayload> {
    let range =
        (any::<u8>(), any::<u16>(), any::<u16>(), ip_pair()).prop_map(|(p, sp, ep, (a, b))| {
            TrafficSelector::AddressRange(AddressRange {
                ip_protocol: p,
                start_port: sp,
                end_port: ep,
                start_address: a,
                end_address: b,
            })
        });
    let other =
        (9u8..=255, any::<u8>(), bytes(12)).prop_map(|(t, s, body)| TrafficSelector::Other {
            ts_type: TsType(t),
            second_octet: s,
            body,
        });
    (
        any::<[u8; 3]>(),
        vec(prop_oneof![3 => range, 1 => other], 0..4),
    )
        .prop_map(|(reserved, selectors)| TsPayload {
            reserved,
            selectors,
        })
}

fn cp() -> impl Strategy<Value = CpPayload> {
    let attr = (any::<bool>(), 0u16..0x8000, bytes(16)).prop_map(|(r, t, value)| CpAttribute {
        reserved_bit: r,
        attribute_type: CpAttributeType(t),
        value,
    });
    (any::<u8>(), any::<[u8; 3]>(), vec(attr, 0..5)).prop_map(|(t, reserved, attributes)| {
        CpPayload {
            cfg_type: CfgType(t),
            reserved,
            attributes,
        }
    })
}

fn eap() -> impl Strategy<Value = EapPayload> {
    prop_oneof![
        (1u8..=2, any::<u8>(), any::<u8>(), bytes(24)).prop_map(|(code, identifier, t, data)| {
            EapPayload {
                code,
                identifier,
                eap_type: Some(t),
                data,
            }
        }),
        (3u8..=4, any::<u8>()).prop_map(|(code, identifier)| EapPayload {
            code,
            identifier,
            eap_type: None,
            data: vec![]
        }),
    ]
}

fn delete() -> impl Strategy<Value = DeletePayload> {
    prop_oneof![
        any::<u8>().prop_map(|p| DeletePayload {
            protocol: ProtocolId(p),
            spi_size: 0,
            spis: vec![]
        }),
        (any::<u8>(), vec(any::<[u8; 4]>(), 1..5)).prop_map(|(p, s)| DeletePayload {
            protocol: ProtocolId(p),
            spi_size: 4,
            spis: s.into_iter().map(|x| x.to_vec()).collect()
        }),
    ]
}

/// Any payload body except SK/SKF (which must end a chain).
fn inner_body() -> impl Strategy<Value = PayloadBody> {
    prop_oneof![
        sa().prop_map(PayloadBody::Sa),
        (any::<u16>(), any::<u16>(), bytes(80)).prop_map(|(g, r, data)| PayloadBody::Ke(
            KePayload {
                group: KeMethod(g),
                reserved: r,
                data
            }
        )),
        (any::<u8>(), any::<[u8; 3]>(), bytes(40)).prop_map(|(t, r, d)| PayloadBody::IdInitiator(
            IdPayload {
                id_type: IdType(t),
                reserved: r,
                data: d
            }
        )),
        (any::<u8>(), any::<[u8; 3]>(), bytes(40)).prop_map(|(t, r, d)| PayloadBody::IdResponder(
            IdPayload {
                id_type: IdType(t),
                reserved: r,
                data: d
            }
        )),
        (any::<u8>(), bytes(60)).prop_map(|(e, d)| PayloadBody::Cert(CertPayload {
            encoding: CertEncoding(e),
            data: d
        })),
        (any::<u8>(), bytes(60)).prop_map(|(e, d)| PayloadBody::CertReq(CertPayload {
            encoding: CertEncoding(e),
            data: d
        })),
        (any::<u8>(), any::<[u8; 3]>(), bytes(60)).prop_map(|(m, r, d)| PayloadBody::Auth(
            AuthPayload {
                method: AuthMethod(m),
                reserved: r,
                data: d
            }
        )),
        bytes(64).prop_map(PayloadBody::Nonce),
        (
            any::<u8>(),
            prop_oneof![Just(vec![]), bytes(9)],
            any::<u16>(),
            bytes(32)
        )
            .prop_map(|(p, spi, t, data)| PayloadBody::Notify(NotifyPayload {
                protocol: ProtocolId(p),
                spi,
                notify_type: NotifyType(t),
                data
            })),
        delete().prop_map(PayloadBody::Delete),
        bytes(20).prop_map(PayloadBody::VendorId),
        ts().prop_map(PayloadBody::TsInitiator),
        ts().prop_map(PayloadBody::TsResponder),
        cp().prop_map(PayloadBody::Cp),
        eap().prop_map(PayloadBody::Eap),
        (prop_oneof![1u8..=32, 49u8..=52, 54u8..=255], bytes(30)).prop_map(|(t, data)| {
            PayloadBody::Unknown {
                payload_type: PayloadType(t),
                data,
            }
        }),
    ]
}

fn encrypted() -> impl Strategy<Value = PayloadBody> {
    prop_oneof![
        (any::<u8>(), bytes(64)).prop_map(|(f, body)| PayloadBody::Sk(SkPayload {
            first_payload: PayloadType(f),
            body
        })),
        (any::<u8>(), 1u16..20, any::<u16>(), bytes(64)).prop_map(|(f, total, n, body)| {
            let fragment_number = 1 + n % total;
            PayloadBody::Skf(SkfPayload {
                first_payload: PayloadType(f),
                fragment_number,
                total_fragments: total,
                body,
            })
        }),
    ]
}

fn payload(body: impl Strategy<Value = PayloadBody>) -> impl Strategy<Value = Payload> {
    (any::<bool>(), 0u8..0x80, body).prop_map(|(critical, reserved, body)| Payload {
        critical,
        reserved,
        body,
    })
}

fn message() -> impl Strategy<Value = Message> {
    let header = (
        any::<u64>(),
        any::<u64>(),
        0u8..16,
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
    )
        .prop_map(|(i, r, minor, x, f, id)| Header {
            initiator_spi: i,
            responder_spi: r,
            major_version: 2,
            minor_version: minor,
            exchange_type: ExchangeType(x),
            flags: Flags(f),
            message_id: id,
        });
    (
        header,
        vec(payload(inner_body()), 0..6),
        proptest::option::of(payload(encrypted())),
    )
        .prop_map(|(header, mut payloads, sk)| {
            payloads.extend(sk);
            Message { header, payloads }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn message_round_trips(m in message()) {
        let bytes = m.emit();
        prop_assert_eq!(bytes.len(), m.buffer_len());
        let parsed = Message::parse(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&parsed.message, &m);
        prop_assert!(parsed.is_canonical());
        prop_assert_eq!(parsed.message.emit(), bytes);
    }

    #[test]
    fn each_payload_body_round_trips_alone(p in payload(prop_oneof![inner_body(), encrypted()])) {
        let mut bytes = Vec::new();
        Payload::emit_chain(std::slice::from_ref(&p), &mut bytes);
        prop_assert_eq!(bytes.len(), p.buffer_len());
        let first = p.payload_type();
        let (back, findings) = Payload::parse_chain(first, &bytes, 28).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, vec![p]);
        prop_assert!(findings.iter().all(|f| f.offset >= 28));
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in bytes(600)) {
        ikelab_wire::fuzzing::ike_message(&data);
        ikelab_wire::fuzzing::udp_4500_datagram(&data);
    }

    #[test]
    fn mutated_valid_messages_never_panic(m in message(), flips in vec((any::<usize>(), any::<u8>()), 1..4), cut in any::<usize>()) {
        let mut bytes = m.emit();
        for (at, x) in flips {
            let n = bytes.len();
            bytes[at % n] ^= x;
        }
        let keep = cut % (bytes.len() + 1);
        ikelab_wire::fuzzing::ike_message(&bytes);
        ikelab_wire::fuzzing::ike_message(&bytes[..keep]);
    }
}

#[test]
fn reserved_bits_and_versions_are_reported_not_dropped() {
    let mut m = Message {
        header: Header {
            initiator_spi: 1,
            responder_spi: 0,
            major_version: 2,
            minor_version: 1,
            exchange_type: ExchangeType::IKE_SA_INIT,
            flags: Flags(Flags::INITIATOR | Flags::VERSION),
            message_id: 0,
        },
        payloads: vec![Payload::new(PayloadBody::Nonce(vec![7; 32]))],
    };
    m.payloads[0].reserved = 0x01;
    m.payloads[0].critical = true;
    let parsed = Message::parse(&m.emit()).unwrap();
    let codes: Vec<&str> = parsed.findings.iter().map(|f| f.kind.code()).collect();
    assert_eq!(
        codes,
        [
            "minor-version",
            "version-flag",
            "non-zero-reserved",
            "critical-on-known-payload"
        ]
    );
    assert_eq!(parsed.findings[2].path, "Nonce[0]");
    assert_eq!(parsed.findings[2].offset, 29);
    assert_eq!(parsed.message, m);
}

#[test]
fn structural_errors_name_offset_and_path() {
    let sa = SaPayload {
        proposals: vec![Proposal {
            reserved: 0,
            number: 1,
            protocol: ProtocolId::IKE,
            spi: vec![],
            transforms: vec![
                Transform::new(TransformType::ENCR, 12),
                Transform::with_key_length(TransformType::ENCR, 12, 256),
            ],
        }],
    };
    let m = Message {
        header: Header {
            initiator_spi: 1,
            responder_spi: 0,
            major_version: 2,
            minor_version: 0,
            exchange_type: ExchangeType::IKE_SA_INIT,
            flags: Flags::new(true, false),
            message_id: 0,
        },
        payloads: vec![Payload::new(PayloadBody::Sa(sa))],
    };
    let mut bytes = m.emit();
    // The second transform's attribute is at 28 (header) + 4 (generic) + 8 (proposal) + 8 + 8;
    // make its TV flag a TLV with a length that runs past the end.
    let attr = 28 + 4 + 8 + 8 + 8;
    bytes[attr] &= 0x7f;
    bytes[attr + 2] = 0x00;
    bytes[attr + 3] = 0x40;
    let err = Message::parse(&bytes).unwrap_err();
    assert_eq!(err.path, "SA[0]/Proposal[0]/Transform[1]/Attribute[0]");
    assert_eq!(err.offset, attr + 4);
    assert!(
        err.to_string()
            .contains("truncated: attribute value needs 64 bytes"),
        "{err}"
    );
}

#[test]
fn non_canonical_input_is_flagged() {
    let m = Message {
        header: Header {
            initiator_spi: 1,
            responder_spi: 2,
            major_version: 2,
            minor_version: 0,
            exchange_type: ExchangeType::INFORMATIONAL,
            flags: Flags::new(true, false),
            message_id: 5,
        },
        payloads: vec![],
    };
    let mut bytes = m.emit();
    bytes.extend_from_slice(&[0, 0, 0]);
    let parsed = Message::parse(&bytes).unwrap();
    assert!(!parsed.is_canonical());
    assert_eq!(
        parsed.findings[0].kind,
        ikelab_wire::FindingKind::TrailingDatagramBytes(3)
    );
    // The same bytes counted inside the header Length: unparsed message bytes.
    let len = bytes.len() as u32;
    bytes[24..28].copy_from_slice(&len.to_be_bytes());
    let parsed = Message::parse(&bytes).unwrap();
    assert_eq!(
        parsed.findings[0].kind,
        ikelab_wire::FindingKind::UnparsedMessageBytes(3)
    );
}

#[test]
fn major_version_other_than_two_is_an_error() {
    let m = Message {
        header: Header {
            initiator_spi: 1,
            responder_spi: 0,
            major_version: 3,
            minor_version: 0,
            exchange_type: ExchangeType::IKE_SA_INIT,
            flags: Flags::new(true, false),
            message_id: 0,
        },
        payloads: vec![],
    };
    let err = Message::parse(&m.emit()).unwrap_err();
    assert_eq!(err.kind, ikelab_wire::ErrorKind::UnsupportedMajorVersion(3));
}
