//! IKE and CHILD_SA proposals (RFC 7296 §3.3): ordered lists of transforms per type.
//!
//! In files a proposal is normally a strongSwan proposal string
//! (`"aes256gcm16-prfsha384-ecp384"`, see [`crate::strongswan`]). Transforms strongSwan has no
//! keyword for (an unassigned ID, say) use the table form, which takes IANA names or numbers and
//! is not checked for consistency: it is the escape hatch for conformance tests.
//!
//! ```toml
//! ike_proposals = ["aes256gcm16-prfsha384-ecp384", "aes256-sha256-modp2048"]
//! [[children]]
//! proposals = [{ encryption = [{ id = "ENCR_AES_GCM_16", key_bits = 256 }], ke = [1025] }]
//! ```

use core::fmt;

use ikelab_wire::iana::{EncrId, EsnId, IntegId, KeMethod, PrfId, ProtocolId, TransformType};
use ikelab_wire::payload::{Proposal, Transform};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::registry;
use crate::strongswan::{self, ProposalError};

/// An encryption transform: ID and, for variable-length ciphers, the Key Length attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    #[serde(with = "registry")]
    pub id: EncrId,
    /// Key Length attribute in bits (RFC 7296 §3.3.5); `None` for fixed-length ciphers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_bits: Option<u16>,
}

impl Encryption {
    pub const fn new(id: EncrId, key_bits: Option<u16>) -> Self {
        Self { id, key_bits }
    }

    /// Combined-mode ciphers take no separate integrity transform (RFC 5282 §8, RFC 4303 §3.2.3).
    /// ENCR_NULL_AUTH_AES_GMAC counts: it provides integrity itself.
    pub fn is_aead(&self) -> bool {
        is_aead(self.id)
    }

    fn to_wire(self) -> Transform {
        match self.key_bits {
            Some(bits) => Transform::with_key_length(TransformType::ENCR, self.id.0, bits),
            None => Transform::new(TransformType::ENCR, self.id.0),
        }
    }
}

/// See [`Encryption::is_aead`].
pub fn is_aead(id: EncrId) -> bool {
    matches!(id.0, 14..=16 | 18..=21 | 25..=31)
}

/// A proposal for the IKE SA: every list non-empty except `integrity` with an AEAD.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct IkeProposal {
    pub encryption: Vec<Encryption>,
    pub integrity: Vec<IntegId>,
    pub prf: Vec<PrfId>,
    pub ke: Vec<KeMethod>,
}

/// A proposal for an ESP CHILD_SA. `ke` lists PFS groups (empty: no KE transform, as in
/// IKE_AUTH); `esn` defaults to NO_ESN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChildProposal {
    pub encryption: Vec<Encryption>,
    pub integrity: Vec<IntegId>,
    pub ke: Vec<KeMethod>,
    pub esn: Vec<EsnId>,
}

impl Default for ChildProposal {
    fn default() -> Self {
        Self {
            encryption: Vec::new(),
            integrity: Vec::new(),
            ke: Vec::new(),
            esn: vec![EsnId::NO_ESN],
        }
    }
}

impl IkeProposal {
    /// Parses a strongSwan IKE proposal string.
    pub fn parse(s: &str) -> Result<Self, ProposalError> {
        strongswan::parse_ike(s)
    }

    /// The strongSwan proposal string, when every transform has a keyword.
    pub fn to_strongswan(&self) -> Result<String, ProposalError> {
        strongswan::print_ike(self)
    }

    /// The proposal substructure for an SA payload (ENCR, PRF, INTEG, KE, the order of RFC 7296
    /// §3.3's examples). `spi` is empty in IKE_SA_INIT and 8 octets in an IKE SA rekey.
    pub fn to_wire(&self, number: u8, spi: Vec<u8>) -> Proposal {
        let mut transforms: Vec<Transform> = self.encryption.iter().map(|e| e.to_wire()).collect();
        transforms.extend(
            self.prf
                .iter()
                .map(|p| Transform::new(TransformType::PRF, p.0)),
        );
        transforms.extend(
            self.integrity
                .iter()
                .map(|i| Transform::new(TransformType::INTEG, i.0)),
        );
        transforms.extend(
            self.ke
                .iter()
                .map(|k| Transform::new(TransformType::KE, k.0)),
        );
        Proposal {
            reserved: 0,
            number,
            protocol: ProtocolId::IKE,
            spi,
            transforms,
        }
    }

    /// Collects a received proposal's transforms by type. Transform types IKE does not use
    /// are returned separately so the caller can decide (RFC 7296 §3.3.6: a proposal with a
    /// transform type it does not understand is rejected).
    pub fn from_wire(p: &Proposal) -> (Self, Vec<TransformType>) {
        let c = Collected::from(p);
        (
            Self {
                encryption: c.encryption,
                integrity: c.integrity,
                prf: c.prf,
                ke: c.ke,
            },
            c.other
                .into_iter()
                .chain(c.esn.iter().map(|_| TransformType::SN))
                .collect(),
        )
    }
}

impl ChildProposal {
    /// Parses a strongSwan ESP proposal string.
    pub fn parse(s: &str) -> Result<Self, ProposalError> {
        strongswan::parse_esp(s)
    }

    /// The strongSwan proposal string, when every transform has a keyword.
    pub fn to_strongswan(&self) -> Result<String, ProposalError> {
        strongswan::print_esp(self)
    }

    /// The ESP proposal substructure with our inbound SPI (4 octets).
    pub fn to_wire(&self, number: u8, spi: u32) -> Proposal {
        let mut transforms: Vec<Transform> = self.encryption.iter().map(|e| e.to_wire()).collect();
        transforms.extend(
            self.integrity
                .iter()
                .map(|i| Transform::new(TransformType::INTEG, i.0)),
        );
        transforms.extend(
            self.ke
                .iter()
                .map(|k| Transform::new(TransformType::KE, k.0)),
        );
        transforms.extend(
            self.esn
                .iter()
                .map(|e| Transform::new(TransformType::SN, e.0)),
        );
        Proposal {
            reserved: 0,
            number,
            protocol: ProtocolId::ESP,
            spi: spi.to_be_bytes().to_vec(),
            transforms,
        }
    }

    /// Collects a received ESP proposal's transforms; PRFs and unknown types come back apart.
    pub fn from_wire(p: &Proposal) -> (Self, Vec<TransformType>) {
        let c = Collected::from(p);
        (
            Self {
                encryption: c.encryption,
                integrity: c.integrity,
                ke: c.ke,
                esn: c.esn,
            },
            c.other
                .into_iter()
                .chain(c.prf.iter().map(|_| TransformType::PRF))
                .collect(),
        )
    }
}

#[derive(Default)]
struct Collected {
    encryption: Vec<Encryption>,
    integrity: Vec<IntegId>,
    prf: Vec<PrfId>,
    ke: Vec<KeMethod>,
    esn: Vec<EsnId>,
    other: Vec<TransformType>,
}

impl From<&Proposal> for Collected {
    fn from(p: &Proposal) -> Self {
        let mut c = Self::default();
        for t in &p.transforms {
            match t.transform_type {
                TransformType::ENCR => c
                    .encryption
                    .push(Encryption::new(EncrId(t.id), t.key_length())),
                TransformType::INTEG => c.integrity.push(IntegId(t.id)),
                TransformType::PRF => c.prf.push(PrfId(t.id)),
                TransformType::KE => c.ke.push(KeMethod(t.id)),
                TransformType::SN => c.esn.push(EsnId(t.id)),
                other => c.other.push(other),
            }
        }
        c
    }
}

impl fmt::Display for IkeProposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_strongswan() {
            Ok(s) => f.write_str(&s),
            Err(_) => write!(
                f,
                "{{encr {:?}, integ {:?}, prf {:?}, ke {:?}}}",
                self.encryption, self.integrity, self.prf, self.ke
            ),
        }
    }
}

impl fmt::Display for ChildProposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_strongswan() {
            Ok(s) => f.write_str(&s),
            Err(_) => write!(
                f,
                "{{encr {:?}, integ {:?}, ke {:?}, esn {:?}}}",
                self.encryption, self.integrity, self.ke, self.esn
            ),
        }
    }
}

impl core::str::FromStr for IkeProposal {
    type Err = ProposalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl core::str::FromStr for ChildProposal {
    type Err = ProposalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The table form of an IKE proposal in files.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IkeTable {
    encryption: Vec<Encryption>,
    #[serde(default, with = "registry::list")]
    integrity: Vec<IntegId>,
    #[serde(default, with = "registry::list")]
    prf: Vec<PrfId>,
    #[serde(default, with = "registry::list")]
    ke: Vec<KeMethod>,
}

/// The table form of a CHILD_SA proposal in files.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChildTable {
    encryption: Vec<Encryption>,
    #[serde(default, with = "registry::list")]
    integrity: Vec<IntegId>,
    #[serde(default, with = "registry::list")]
    ke: Vec<KeMethod>,
    #[serde(default = "no_esn", with = "registry::list")]
    esn: Vec<EsnId>,
}

fn no_esn() -> Vec<EsnId> {
    vec![EsnId::NO_ESN]
}

impl Serialize for IkeProposal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The string form only if it parses back to exactly this proposal.
        match self.to_strongswan() {
            Ok(text) if IkeProposal::parse(&text).as_ref() == Ok(self) => s.serialize_str(&text),
            _ => IkeTable {
                encryption: self.encryption.clone(),
                integrity: self.integrity.clone(),
                prf: self.prf.clone(),
                ke: self.ke.clone(),
            }
            .serialize(s),
        }
    }
}

impl Serialize for ChildProposal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.to_strongswan() {
            Ok(text) if ChildProposal::parse(&text).as_ref() == Ok(self) => s.serialize_str(&text),
            _ => ChildTable {
                encryption: self.encryption.clone(),
                integrity: self.integrity.clone(),
                ke: self.ke.clone(),
                esn: self.esn.clone(),
            }
            .serialize(s),
        }
    }
}

/// Deserializes from a proposal string (checked) or a table (kept as written).
macro_rules! string_or_table {
    ($ty:ident, $table:ident, $what:literal, |$t:ident| $build:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> de::Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!(
                            "a strongSwan ",
                            $what,
                            " proposal string or a table of transforms"
                        ))
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$ty, E> {
                        $ty::parse(s).map_err(E::custom)
                    }
                    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<$ty, A::Error> {
                        let $t = $table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                        if $t.encryption.is_empty() {
                            return Err(de::Error::custom(
                                "a proposal needs at least one encryption transform",
                            ));
                        }
                        Ok($build)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

string_or_table!(IkeProposal, IkeTable, "IKE", |t| IkeProposal {
    encryption: t.encryption,
    integrity: t.integrity,
    prf: t.prf,
    ke: t.ke,
});
string_or_table!(ChildProposal, ChildTable, "ESP", |t| ChildProposal {
    encryption: t.encryption,
    integrity: t.integrity,
    ke: t.ke,
    esn: t.esn,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip_keeps_order_and_key_lengths() {
        let p = IkeProposal::parse("aes128-aes256-sha256-sha1-ecp256-modp2048").unwrap();
        let w = p.to_wire(1, vec![]);
        assert_eq!(w.protocol, ProtocolId::IKE);
        let types: Vec<u8> = w.transforms.iter().map(|t| t.transform_type.0).collect();
        assert_eq!(types, [1, 1, 2, 2, 3, 3, 4, 4]);
        assert_eq!(w.transforms[1].key_length(), Some(256));
        let (back, other) = IkeProposal::from_wire(&w);
        assert_eq!(back, p);
        assert!(other.is_empty());

        let c = ChildProposal::parse("aes256gcm16-ecp256-esn-noesn").unwrap();
        let w = c.to_wire(2, 0xc1f5_a9d3);
        assert_eq!(w.spi, [0xc1, 0xf5, 0xa9, 0xd3]);
        let (back, other) = ChildProposal::from_wire(&w);
        assert_eq!(back, c);
        assert!(other.is_empty());
    }

    #[test]
    fn unexpected_transform_types_are_reported() {
        let c = ChildProposal::parse("aes128-sha256").unwrap();
        let mut w = c.to_wire(1, 1);
        w.transforms.push(Transform::new(TransformType::PRF, 5));
        w.transforms.push(Transform::new(TransformType(200), 1));
        let (_, other) = ChildProposal::from_wire(&w);
        assert_eq!(other, [TransformType(200), TransformType::PRF]);
    }

    #[test]
    fn serde_string_and_table_forms() {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        struct F {
            ike: Vec<IkeProposal>,
            esp: Vec<ChildProposal>,
        }
        let text = r#"
            ike = ["aes256gcm16-prfsha384-ecp384", { encryption = [{ id = "ENCR_AES_CBC", key_bits = 256 }], integrity = ["AUTH_HMAC_SHA2_256_128"], prf = [5], ke = [1025] }]
            esp = ["aes256-sha256-modp2048", { encryption = [{ id = 4000 }] }]
        "#;
        let f: F = toml::from_str(text).unwrap();
        assert_eq!(f.ike[1].ke, [KeMethod(1025)]);
        assert_eq!(f.esp[1].esn, [EsnId::NO_ESN]);
        // Printable proposals go back out as strings, the others as tables.
        let out = toml::to_string(&f).unwrap();
        assert!(out.contains("\"aes256gcm16-prfsha384-ecp384\""), "{out}");
        assert!(out.contains("\"aes256-sha256-modp2048\""), "{out}");
        assert!(out.contains("ke = [1025]"), "{out}");
        assert_eq!(toml::from_str::<F>(&out).unwrap(), f);

        let bad = toml::from_str::<F>(
            r#"ike = ["aes257-sha256-modp2048"]
esp = []"#,
        )
        .unwrap_err();
        assert!(bad.to_string().contains("\"aes257\""), "{bad}");
        let bad = toml::from_str::<F>(
            r#"ike = [{ encryption = [], colour = 1 }]
esp = []"#,
        )
        .unwrap_err();
        assert!(bad.to_string().contains("colour"), "{bad}");
    }
}
