//! Security Association payload (RFC 7296 §3.3): proposals, transforms and attributes.

use crate::error::{ErrorKind, Path};
use crate::finding::{FindingKind, Findings};
use crate::iana::{
    EncrId, EsnId, IntegId, KeMethod, PrfId, ProtocolId, TransformAttributeType, TransformType,
};
use crate::reader::Reader;
use crate::Error;

const MORE: u8 = 2; // proposal substructure follows
const MORE_TRANSFORM: u8 = 3; // transform substructure follows
const LAST: u8 = 0;

/// SA payload body: one or more proposals, tried in order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SaPayload {
    pub proposals: Vec<Proposal>,
}

/// A proposal substructure (RFC 7296 §3.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Proposal {
    /// RESERVED octet after "last substructure"; sent as 0.
    pub reserved: u8,
    pub number: u8,
    pub protocol: ProtocolId,
    /// The SPI; empty in IKE_SA_INIT, 8 octets for an IKE SA rekey, 4 for AH/ESP.
    pub spi: Vec<u8>,
    pub transforms: Vec<Transform>,
}

/// A transform substructure (RFC 7296 §3.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Transform {
    /// RESERVED octet after "last substructure".
    pub reserved1: u8,
    pub transform_type: TransformType,
    /// RESERVED octet after the transform type.
    pub reserved2: u8,
    pub id: u16,
    pub attributes: Vec<Attribute>,
}

/// A transform attribute (RFC 7296 §3.3.5), either TV (AF=1, 2-octet value) or TLV (AF=0).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Attribute {
    pub attribute_type: TransformAttributeType,
    pub value: AttributeValue,
}

/// The two attribute encodings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AttributeValue {
    /// Type/Value: the value is the 2-octet field itself.
    Tv(u16),
    /// Type/Length/Value.
    Tlv(Vec<u8>),
}

impl SaPayload {
    pub(crate) fn parse(
        mut r: Reader<'_>,
        path: &Path<'_>,
        f: &mut Findings,
    ) -> Result<Self, Error> {
        let mut proposals = Vec::new();
        let mut index = 0;
        while !r.is_empty() {
            let ppath = path.at("Proposal", index);
            let start = r.offset();
            let last = r.u8("proposal last-substructure", &ppath)?;
            let reserved = r.u8("proposal RESERVED", &ppath)?;
            let length = usize::from(r.u16("proposal length", &ppath)?);
            if length < 8 {
                return Err(ppath.error(
                    start + 2,
                    ErrorKind::BadLength {
                        what: "proposal length",
                        value: length,
                        reason: "shorter than the 8-octet proposal header",
                    },
                ));
            }
            let mut body = r.sub(length - 4, "proposal", &ppath)?;
            let proposal = Proposal::parse_rest(&mut body, reserved, start, &ppath, f)?;
            let expected_last = if r.is_empty() { LAST } else { MORE };
            if last != expected_last {
                f.push(
                    start,
                    &ppath,
                    FindingKind::LastSubstructure {
                        expected: expected_last,
                        found: last,
                    },
                );
            }
            let expected_number = u8::try_from(index + 1).unwrap_or(u8::MAX);
            if proposal.number != expected_number {
                f.push(
                    start + 4,
                    &ppath,
                    FindingKind::ProposalNumber {
                        expected: expected_number,
                        found: proposal.number,
                    },
                );
            }
            proposals.push(proposal);
            index += 1;
        }
        Ok(Self { proposals })
    }

    pub fn buffer_len(&self) -> usize {
        self.proposals.iter().map(Proposal::buffer_len).sum()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        let n = self.proposals.len();
        for (i, p) in self.proposals.iter().enumerate() {
            p.emit(i + 1 == n, out);
        }
    }
}

impl Proposal {
    fn parse_rest(
        body: &mut Reader<'_>,
        reserved: u8,
        start: usize,
        path: &Path<'_>,
        f: &mut Findings,
    ) -> Result<Self, Error> {
        f.reserved(start + 1, path, "proposal RESERVED", u32::from(reserved));
        let number = body.u8("proposal number", path)?;
        let protocol = ProtocolId(body.u8("protocol ID", path)?);
        let spi_size = usize::from(body.u8("SPI size", path)?);
        let declared = usize::from(body.u8("number of transforms", path)?);
        let spi = body.take(spi_size, "proposal SPI", path)?.to_vec();
        let mut transforms = Vec::with_capacity(declared.min(64));
        let mut index = 0;
        while !body.is_empty() {
            let tpath = path.at("Transform", index);
            transforms.push(Transform::parse(body, &tpath, f)?);
            index += 1;
        }
        if transforms.len() != declared {
            return Err(path.error(
                start + 7,
                ErrorKind::CountMismatch {
                    what: "proposal's number of transforms",
                    declared,
                    found: transforms.len(),
                },
            ));
        }
        Ok(Self {
            reserved,
            number,
            protocol,
            spi,
            transforms,
        })
    }

    pub fn buffer_len(&self) -> usize {
        8 + self.spi.len()
            + self
                .transforms
                .iter()
                .map(Transform::buffer_len)
                .sum::<usize>()
    }

    /// Emits the proposal; `last` says whether another proposal follows.
    ///
    /// Panics in debug builds only if SPI or transform counts exceed one octet, which no valid
    /// `Repr` has; release builds truncate, as a fault injector may want.
    pub fn emit(&self, last: bool, out: &mut Vec<u8>) {
        out.push(if last { LAST } else { MORE });
        out.push(self.reserved);
        out.extend_from_slice(&(self.buffer_len() as u16).to_be_bytes());
        out.push(self.number);
        out.push(self.protocol.0);
        out.push(self.spi.len() as u8);
        out.push(self.transforms.len() as u8);
        out.extend_from_slice(&self.spi);
        let n = self.transforms.len();
        for (i, t) in self.transforms.iter().enumerate() {
            t.emit(i + 1 == n, out);
        }
    }

    /// The transforms of one type, in order.
    pub fn transforms_of(&self, ty: TransformType) -> impl Iterator<Item = &Transform> {
        self.transforms
            .iter()
            .filter(move |t| t.transform_type == ty)
    }
}

impl Transform {
    fn parse(r: &mut Reader<'_>, path: &Path<'_>, f: &mut Findings) -> Result<Self, Error> {
        let start = r.offset();
        let last = r.u8("transform last-substructure", path)?;
        let reserved1 = r.u8("transform RESERVED", path)?;
        let length = usize::from(r.u16("transform length", path)?);
        if length < 8 {
            return Err(path.error(
                start + 2,
                ErrorKind::BadLength {
                    what: "transform length",
                    value: length,
                    reason: "shorter than the 8-octet transform header",
                },
            ));
        }
        let mut body = r.sub(length - 4, "transform", path)?;
        let transform_type = TransformType(body.u8("transform type", path)?);
        let reserved2 = body.u8("transform RESERVED", path)?;
        let id = body.u16("transform ID", path)?;
        f.reserved(start + 1, path, "transform RESERVED", u32::from(reserved1));
        f.reserved(start + 5, path, "transform RESERVED", u32::from(reserved2));
        let mut attributes = Vec::new();
        let mut index = 0;
        while !body.is_empty() {
            let apath = path.at("Attribute", index);
            attributes.push(Attribute::parse(&mut body, &apath)?);
            index += 1;
        }
        let expected_last = if r.is_empty() { LAST } else { MORE_TRANSFORM };
        if last != expected_last {
            f.push(
                start,
                path,
                FindingKind::LastSubstructure {
                    expected: expected_last,
                    found: last,
                },
            );
        }
        Ok(Self {
            reserved1,
            transform_type,
            reserved2,
            id,
            attributes,
        })
    }

    /// A transform with the given type and ID and no attributes.
    pub fn new(transform_type: TransformType, id: u16) -> Self {
        Self {
            reserved1: 0,
            transform_type,
            reserved2: 0,
            id,
            attributes: Vec::new(),
        }
    }

    /// A transform carrying a Key Length attribute (TV), as AES-CBC/GCM need.
    pub fn with_key_length(transform_type: TransformType, id: u16, bits: u16) -> Self {
        let mut t = Self::new(transform_type, id);
        t.attributes.push(Attribute {
            attribute_type: TransformAttributeType::KEY_LENGTH,
            value: AttributeValue::Tv(bits),
        });
        t
    }

    pub fn buffer_len(&self) -> usize {
        8 + self
            .attributes
            .iter()
            .map(Attribute::buffer_len)
            .sum::<usize>()
    }

    pub fn emit(&self, last: bool, out: &mut Vec<u8>) {
        out.push(if last { LAST } else { MORE_TRANSFORM });
        out.push(self.reserved1);
        out.extend_from_slice(&(self.buffer_len() as u16).to_be_bytes());
        out.push(self.transform_type.0);
        out.push(self.reserved2);
        out.extend_from_slice(&self.id.to_be_bytes());
        for a in &self.attributes {
            a.emit(out);
        }
    }

    /// The Key Length attribute in bits, if present.
    pub fn key_length(&self) -> Option<u16> {
        self.attributes
            .iter()
            .find_map(|a| match (a.attribute_type, &a.value) {
                (TransformAttributeType::KEY_LENGTH, AttributeValue::Tv(bits)) => Some(*bits),
                _ => None,
            })
    }

    /// The transform ID rendered with the registry of its type, e.g. `ENCR_AES_GCM_16`.
    pub fn id_name(&self) -> String {
        let id = self.id;
        match self.transform_type {
            TransformType::ENCR => format!("{:?}", EncrId(id)),
            TransformType::PRF => format!("{:?}", PrfId(id)),
            TransformType::INTEG => format!("{:?}", IntegId(id)),
            TransformType::KE => format!("{:?}", KeMethod(id)),
            TransformType::SN => format!("{:?}", EsnId(id)),
            _ => id.to_string(),
        }
    }
}

impl Attribute {
    fn parse(r: &mut Reader<'_>, path: &Path<'_>) -> Result<Self, Error> {
        let raw_type = r.u16("attribute type", path)?;
        let attribute_type = TransformAttributeType(raw_type & 0x7fff);
        let value = if raw_type & 0x8000 != 0 {
            AttributeValue::Tv(r.u16("attribute value", path)?)
        } else {
            let len = usize::from(r.u16("attribute length", path)?);
            AttributeValue::Tlv(r.take(len, "attribute value", path)?.to_vec())
        };
        Ok(Self {
            attribute_type,
            value,
        })
    }

    pub fn buffer_len(&self) -> usize {
        match &self.value {
            AttributeValue::Tv(_) => 4,
            AttributeValue::Tlv(v) => 4 + v.len(),
        }
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        let ty = self.attribute_type.0 & 0x7fff;
        match &self.value {
            AttributeValue::Tv(v) => {
                out.extend_from_slice(&(ty | 0x8000).to_be_bytes());
                out.extend_from_slice(&v.to_be_bytes());
            }
            AttributeValue::Tlv(v) => {
                out.extend_from_slice(&ty.to_be_bytes());
                out.extend_from_slice(&(v.len() as u16).to_be_bytes());
                out.extend_from_slice(v);
            }
        }
    }
}
