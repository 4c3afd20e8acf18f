//! The smoltcp checklist (deconstruct, construct, check_len, parse, emit, buffer_len) for each
//! payload type, against bytes captured from strongSwan 5.9.8 (PSK, AES-GCM-256, ECP-384; the
//! IKE_AUTH payloads are the decrypted contents of the SK payload, as tshark shows them with the
//! charon-logged keys). The Next Payload octet of each sample is set to 0 so it stands alone.

use std::net::{IpAddr, Ipv4Addr};

use ikelab_wire::iana::*;
use ikelab_wire::payload::*;
use ikelab_wire::{ErrorKind, Payload, PayloadBody};

fn standalone(hex: &str) -> Vec<u8> {
    alone(hex::decode(hex).expect("valid hex"))
}

/// Clears the Next Payload octet so a payload taken from a chain stands alone.
fn alone(mut b: Vec<u8>) -> Vec<u8> {
    b[0] = 0;
    b
}

/// The first payload of type `ty` in a captured chain starting with `first`.
fn from_chain(chain: &[u8], first: PayloadType, ty: PayloadType) -> Vec<u8> {
    let mut offset = 0;
    let mut next = first;
    while next != PayloadType::NONE {
        let len = usize::from(u16::from_be_bytes([chain[offset + 2], chain[offset + 3]]));
        if next == ty {
            return alone(chain[offset..offset + len].to_vec());
        }
        next = PayloadType(chain[offset]);
        offset += len;
    }
    panic!("no {ty} payload in the chain")
}

/// strongSwan's IKE_AUTH request with certificates (RSA-2048 initiator), decrypted: IDi CERT
/// N(INITIAL_CONTACT) CERTREQ IDr AUTH SA TSi TSr N N N (cert-cbc-modp2048, frame 3).
const CERT_AUTH_REQUEST: &[u8] = include_bytes!("data/cert-cbc-ike-auth-request.inner");
/// The decrypted INFORMATIONAL deleting the old CHILD_SA after a rekey (frame 13).
const DELETE_CHILD: &[u8] = include_bytes!("data/cert-cbc-delete.inner");
/// The first IKE_AUTH request fragment of frag-rsa4096 (frame 3, as sent: each fragment is
/// encrypted on its own, so its outer structure is plain).
const SKF_MESSAGE: &[u8] = include_bytes!("../../../corpora/ike_message/seed-frag-rsa4096-3.bin");

/// EAP-MSCHAPv2 + virtual IP (eap-mschapv2-vip): the first IKE_AUTH request, decrypted (IDi,
/// N(INITIAL_CONTACT), CERTREQ, CP(CFG_REQUEST), SA, TSi, TSr, notifies; no AUTH: EAP follows).
const EAP_AUTH_REQUEST: &[u8] = include_bytes!("data/eap-ike-auth-request-1.inner");
/// The EAP Response/Identity (frame 5), decrypted.
const EAP_RESPONSE_IDENTITY: &[u8] = include_bytes!("data/eap-response-identity.inner");
/// The last IKE_AUTH response (frame 12), decrypted: AUTH, CP(CFG_REPLY), SA, TSi, TSr.
const EAP_AUTH_LAST_RESPONSE: &[u8] = include_bytes!("data/eap-ike-auth-response-last.inner");
/// IKE_SA_INIT request with strongSwan's Vendor ID (frame 1, as sent).
const VENDOR_MESSAGE: &[u8] =
    include_bytes!("../../../corpora/ike_message/seed-eap-mschapv2-vip-1.bin");

fn cp_request() -> Vec<u8> {
    from_chain(EAP_AUTH_REQUEST, PayloadType::IDI, PayloadType::CP)
}

fn cp_reply() -> Vec<u8> {
    from_chain(EAP_AUTH_LAST_RESPONSE, PayloadType::AUTH, PayloadType::CP)
}

fn vendor_id() -> Vec<u8> {
    from_chain(
        &VENDOR_MESSAGE[28..],
        PayloadType::SA,
        PayloadType::VENDOR_ID,
    )
}

fn cert_payload() -> Vec<u8> {
    from_chain(CERT_AUTH_REQUEST, PayloadType::IDI, PayloadType::CERT)
}

fn skf_payload() -> Vec<u8> {
    SKF_MESSAGE[28..].to_vec()
}

fn parse_one(bytes: &[u8], ty: PayloadType) -> Payload {
    let (mut payloads, findings) =
        Payload::parse_chain(ty, bytes, 0).unwrap_or_else(|e| panic!("{e}"));
    assert!(findings.is_empty(), "unexpected findings {findings:?}");
    assert_eq!(payloads.len(), 1);
    payloads.remove(0)
}

/// Generates the six checklist tests for one captured payload.
macro_rules! checklist {
    ($name:ident, $ty:expr, $bytes:expr, $repr:expr, |$p:ident| $deconstruct:block) => {
        mod $name {
            use super::*;

            fn bytes() -> Vec<u8> {
                $bytes
            }

            fn repr() -> Payload {
                Payload::new($repr)
            }

            #[test]
            fn test_deconstruct() {
                let $p = parse_one(&bytes(), $ty);
                assert_eq!($p.payload_type(), $ty);
                assert!(!$p.critical);
                $deconstruct
            }

            #[test]
            fn test_construct() {
                let mut out = Vec::new();
                repr().emit(PayloadType::NONE, &mut out);
                assert_eq!(hex::encode(out), hex::encode(bytes()));
            }

            #[test]
            fn test_check_len() {
                let b = bytes();
                for len in 0..b.len() {
                    let err = Payload::parse_chain($ty, &b[..len], 0)
                        .expect_err("truncated input must fail");
                    assert!(
                        matches!(err.kind, ErrorKind::Truncated { .. }),
                        "len {len}: {err}"
                    );
                }
            }

            #[test]
            fn test_parse() {
                assert_eq!(parse_one(&bytes(), $ty), repr());
            }

            #[test]
            fn test_emit() {
                let mut out = Vec::new();
                Payload::emit_chain(&[parse_one(&bytes(), $ty)], &mut out);
                assert_eq!(out, bytes());
            }

            #[test]
            fn test_buffer_len() {
                assert_eq!(repr().buffer_len(), bytes().len());
            }
        }
    };
}

checklist!(
    sa_ike,
    PayloadType::SA,
    standalone("2200002800000024010100030300000c01000014800e010003000008020000060000000804000014"),
    PayloadBody::Sa(SaPayload {
        proposals: vec![Proposal {
            reserved: 0,
            number: 1,
            protocol: ProtocolId::IKE,
            spi: vec![],
            transforms: vec![
                Transform::with_key_length(TransformType::ENCR, EncrId::AES_GCM_16.0, 256),
                Transform::new(TransformType::PRF, PrfId::HMAC_SHA2_384.0),
                Transform::new(TransformType::KE, KeMethod::ECP_384.0),
            ],
        }],
    }),
    |p| {
        let PayloadBody::Sa(sa) = &p.body else {
            panic!("not SA")
        };
        let t = &sa.proposals[0].transforms;
        assert_eq!(
            (t[0].transform_type, t[0].id, t[0].key_length()),
            (TransformType::ENCR, 20, Some(256))
        );
        assert_eq!(t[1].id_name(), "PRF_HMAC_SHA2_384");
        assert_eq!(t[2].id_name(), "ECP_384");
    }
);

checklist!(
    sa_esp,
    PayloadType::SA,
    standalone("2c0000240000002001030402a46213670300000c01000014800e01000000000805000000"),
    PayloadBody::Sa(SaPayload {
        proposals: vec![Proposal {
            reserved: 0,
            number: 1,
            protocol: ProtocolId::ESP,
            spi: vec![0xa4, 0x62, 0x13, 0x67],
            transforms: vec![
                Transform::with_key_length(TransformType::ENCR, EncrId::AES_GCM_16.0, 256),
                Transform::new(TransformType::SN, EsnId::NO_ESN.0),
            ],
        }],
    }),
    |p| {
        let PayloadBody::Sa(sa) = &p.body else {
            panic!("not SA")
        };
        assert_eq!(sa.proposals[0].protocol, ProtocolId::ESP);
        assert_eq!(sa.proposals[0].spi, [0xa4, 0x62, 0x13, 0x67]);
    }
);

const KE_DATA: &str = "331de44f4ab0f176726f118c84e41580447ed002a4aee09d8405ed777d6cf6051d1eeced4a0b74c40fc68edaa6ee1d57e589bf0c738653f4d8a76dd8c24e632a9e64c7b7b8162740d723d4e9907c136c958149821412c9ee9eb804cafeee05d3";

checklist!(
    ke,
    PayloadType::KE,
    standalone(&format!("28000068{}{}", "00140000", KE_DATA)),
    PayloadBody::Ke(KePayload {
        group: KeMethod::ECP_384,
        reserved: 0,
        data: hex::decode(KE_DATA).unwrap()
    }),
    |p| {
        let PayloadBody::Ke(ke) = &p.body else {
            panic!("not KE")
        };
        assert_eq!(ke.group, KeMethod::ECP_384);
        assert_eq!(ke.data.len(), 96);
    }
);

checklist!(
    nonce,
    PayloadType::NONCE,
    standalone("29000024cb65abda89d4eaa10b2a18307bfc8635157ac43f15f64e39c4ee60d82b282f95"),
    PayloadBody::Nonce(
        hex::decode("cb65abda89d4eaa10b2a18307bfc8635157ac43f15f64e39c4ee60d82b282f95").unwrap()
    ),
    |p| {
        let PayloadBody::Nonce(n) = &p.body else {
            panic!("not Nonce")
        };
        assert_eq!(n.len(), 32);
    }
);

checklist!(
    notify_nat_detection,
    PayloadType::NOTIFY,
    standalone("2900001c00004004ab7825e008c8808c896b9268b4c5dadb50e3225c"),
    PayloadBody::Notify(NotifyPayload::new(
        NotifyType::NAT_DETECTION_SOURCE_IP,
        hex::decode("ab7825e008c8808c896b9268b4c5dadb50e3225c").unwrap()
    )),
    |p| {
        let PayloadBody::Notify(n) = &p.body else {
            panic!("not Notify")
        };
        assert_eq!(n.notify_type, NotifyType::NAT_DETECTION_SOURCE_IP);
        assert_eq!(n.data.len(), 20);
    }
);

checklist!(
    notify_signature_hash_algorithms,
    PayloadType::NOTIFY,
    standalone("290000100000402f0002000300040005"),
    PayloadBody::Notify(NotifyPayload::new(
        NotifyType::SIGNATURE_HASH_ALGORITHMS,
        vec![0, 2, 0, 3, 0, 4, 0, 5]
    )),
    |p| {
        let PayloadBody::Notify(n) = &p.body else {
            panic!("not Notify")
        };
        let algs = n.signature_hash_algorithms().unwrap();
        assert_eq!(
            algs,
            [
                HashAlgorithm::SHA2_256,
                HashAlgorithm::SHA2_384,
                HashAlgorithm::SHA2_512,
                HashAlgorithm::IDENTITY
            ]
        );
    }
);

checklist!(
    certreq,
    PayloadType::CERTREQ,
    standalone("29000019044180e1b3d1ea861d7b4eb4ec261d7e0c84c4b1ce"),
    PayloadBody::CertReq(CertPayload {
        encoding: CertEncoding::X509_SIGNATURE,
        data: hex::decode("4180e1b3d1ea861d7b4eb4ec261d7e0c84c4b1ce").unwrap()
    }),
    |p| {
        let PayloadBody::CertReq(c) = &p.body else {
            panic!("not CERTREQ")
        };
        assert_eq!(c.encoding, CertEncoding::X509_SIGNATURE);
        assert_eq!(c.data.len(), 20, "one SHA-1 CA key hash");
    }
);

checklist!(
    id_initiator,
    PayloadType::IDI,
    standalone("2900001c03000000696e69742d70736b40696b6c2e6578616d706c65"),
    PayloadBody::IdInitiator(IdPayload::new(
        IdType::RFC822_ADDR,
        b"init-psk@ikl.example".to_vec()
    )),
    |p| {
        let PayloadBody::IdInitiator(id) = &p.body else {
            panic!("not IDi")
        };
        assert_eq!(id.id_type, IdType::RFC822_ADDR);
        assert_eq!(id.display().to_string(), "init-psk@ikl.example");
    }
);

const AUTH_DATA: &str = "94e165d4ad8dd7954709122c28a8d7186d4cd3b8a5eb3740c70f8b36751ef5edcad2e0dd47fe2d453d7e0edfac668b27";

checklist!(
    auth_psk,
    PayloadType::AUTH,
    standalone(&format!("21000038{}{}", "02000000", AUTH_DATA)),
    PayloadBody::Auth(AuthPayload {
        method: AuthMethod::SHARED_KEY_MIC,
        reserved: [0; 3],
        data: hex::decode(AUTH_DATA).unwrap()
    }),
    |p| {
        let PayloadBody::Auth(a) = &p.body else {
            panic!("not AUTH")
        };
        assert_eq!(a.method, AuthMethod::SHARED_KEY_MIC);
        assert_eq!(a.data.len(), 48, "PRF_HMAC_SHA2_384 output");
    }
);

checklist!(
    ts_initiator,
    PayloadType::TSI,
    standalone("2d00001801000000070000100000ffffcb007101cb007101"),
    PayloadBody::TsInitiator(TsPayload {
        reserved: [0; 3],
        selectors: vec![TrafficSelector::AddressRange(AddressRange {
            ip_protocol: 0,
            start_port: 0,
            end_port: 65535,
            start_address: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1)),
            end_address: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1)),
        })],
    }),
    |p| {
        let PayloadBody::TsInitiator(ts) = &p.body else {
            panic!("not TSi")
        };
        let TrafficSelector::AddressRange(r) = &ts.selectors[0] else {
            panic!("not a range")
        };
        assert_eq!(r.ts_type(), TsType::IPV4_ADDR_RANGE);
        assert_eq!((r.start_port, r.end_port), (0, 65535));
    }
);

checklist!(
    notify_initial_contact,
    PayloadType::NOTIFY,
    standalone("2600000800004000"),
    PayloadBody::Notify(NotifyPayload::new(NotifyType::INITIAL_CONTACT, vec![])),
    |p| {
        let PayloadBody::Notify(n) = &p.body else {
            panic!("not Notify")
        };
        assert_eq!(n.notify_type, NotifyType::INITIAL_CONTACT);
        assert!(n.spi.is_empty() && n.data.is_empty());
    }
);

#[test]
fn sk_payload_ends_the_chain_and_keeps_its_first_inner_type() {
    // The SK payload of strongSwan's IKE_AUTH request (first inner payload IDi), truncated body.
    let bytes = hex::decode("2300001cd04ca61a063506fe99ae0d4ab97ce41f0994d6b4a7a44c72").unwrap();
    let (payloads, _) = Payload::parse_chain(PayloadType::SK, &bytes, 0).unwrap();
    let PayloadBody::Sk(sk) = &payloads[0].body else {
        panic!("not SK")
    };
    assert_eq!(sk.first_payload, PayloadType::IDI);
    assert_eq!(sk.body.len(), 24);
    let mut out = Vec::new();
    Payload::emit_chain(&payloads, &mut out);
    assert_eq!(out, bytes);
    for len in 0..bytes.len() {
        assert!(Payload::parse_chain(PayloadType::SK, &bytes[..len], 0).is_err());
    }
}

checklist!(
    cert_x509,
    PayloadType::CERT,
    cert_payload(),
    PayloadBody::Cert(CertPayload {
        encoding: CertEncoding::X509_SIGNATURE,
        data: cert_payload()[5..].to_vec()
    }),
    |p| {
        let PayloadBody::Cert(c) = &p.body else {
            panic!("not CERT")
        };
        assert_eq!(c.encoding, CertEncoding::X509_SIGNATURE);
        assert_eq!(c.data[0], 0x30, "a DER SEQUENCE");
        assert!(
            c.data.len() > 400,
            "an RSA-2048 key signed by the ECDSA test CA"
        );
    }
);

checklist!(
    delete_child_sa,
    PayloadType::DELETE,
    DELETE_CHILD.to_vec(),
    PayloadBody::Delete(DeletePayload {
        protocol: ProtocolId::ESP,
        spi_size: 4,
        spis: vec![vec![0xf8, 0x23, 0x7b, 0x3d]]
    }),
    |p| {
        let PayloadBody::Delete(d) = &p.body else {
            panic!("not Delete")
        };
        assert_eq!(
            (d.protocol, d.spi_size, d.spis.len()),
            (ProtocolId::ESP, 4, 1)
        );
    }
);

checklist!(
    skf_first_fragment,
    PayloadType::SKF,
    skf_payload(),
    PayloadBody::Skf(SkfPayload {
        first_payload: PayloadType::IDI,
        fragment_number: 1,
        total_fragments: 5,
        body: skf_payload()[8..].to_vec(),
    }),
    |p| {
        let PayloadBody::Skf(f) = &p.body else {
            panic!("not SKF")
        };
        assert_eq!((f.fragment_number, f.total_fragments), (1, 5));
        assert_eq!(
            f.first_payload,
            PayloadType::IDI,
            "fragment 1 names the first inner payload"
        );
    }
);

checklist!(
    cp_request,
    PayloadType::CP,
    cp_request(),
    PayloadBody::Cp(CpPayload {
        cfg_type: CfgType::REQUEST,
        reserved: [0; 3],
        attributes: [
            CpAttributeType::INTERNAL_IP4_ADDRESS,
            CpAttributeType::INTERNAL_IP6_ADDRESS,
            CpAttributeType::INTERNAL_IP4_DNS,
            CpAttributeType::INTERNAL_IP6_DNS,
        ]
        .into_iter()
        .map(|t| CpAttribute::new(t, vec![]))
        .collect(),
    }),
    |p| {
        let PayloadBody::Cp(cp) = &p.body else {
            panic!("not CP")
        };
        assert_eq!(cp.cfg_type, CfgType::REQUEST);
        assert!(
            cp.attributes.iter().all(|a| a.value.is_empty()),
            "requests carry empty values"
        );
    }
);

checklist!(
    cp_reply,
    PayloadType::CP,
    cp_reply(),
    PayloadBody::Cp(CpPayload {
        cfg_type: CfgType::REPLY,
        reserved: [0; 3],
        attributes: vec![
            CpAttribute::new(CpAttributeType::INTERNAL_IP4_ADDRESS, [10, 99, 0, 1]),
            CpAttribute::new(
                CpAttributeType::INTERNAL_IP6_ADDRESS,
                hex::decode("fd00009900000000000000000000000140").unwrap()
            ),
            CpAttribute::new(CpAttributeType::INTERNAL_IP4_DNS, [10, 99, 0, 53]),
            CpAttribute::new(
                CpAttributeType::INTERNAL_IP6_DNS,
                hex::decode("fd000099000000000000000000000053").unwrap()
            ),
        ],
    }),
    |p| {
        let PayloadBody::Cp(cp) = &p.body else {
            panic!("not CP")
        };
        let shown: Vec<String> = cp
            .attributes
            .iter()
            .filter_map(|a| a.display_value())
            .collect();
        assert_eq!(
            shown,
            ["10.99.0.1", "fd00:99::1/64", "10.99.0.53", "fd00:99::53"]
        );
    }
);

checklist!(
    eap_response_identity,
    PayloadType::EAP,
    EAP_RESPONSE_IDENTITY.to_vec(),
    PayloadBody::Eap(EapPayload {
        code: eap_code::RESPONSE,
        identifier: 0,
        eap_type: Some(1),
        data: b"user@ikl.example".to_vec(),
    }),
    |p| {
        let PayloadBody::Eap(e) = &p.body else {
            panic!("not EAP")
        };
        assert_eq!(
            (e.code, e.eap_type),
            (eap_code::RESPONSE, Some(1)),
            "Response/Identity"
        );
    }
);

checklist!(
    vendor_id_strongswan,
    PayloadType::VENDOR_ID,
    vendor_id(),
    PayloadBody::VendorId(hex::decode("882fe56d6fd20dbc2251613b2ebe5beb").unwrap()),
    |p| {
        let PayloadBody::VendorId(v) = &p.body else {
            panic!("not Vendor ID")
        };
        assert_eq!(v.len(), 16, "strongSwan sends the MD5 of its name");
    }
);
