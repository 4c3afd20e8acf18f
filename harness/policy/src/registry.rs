//! Serde for ikelab-wire's IANA newtypes: a registry value is written as its IANA name
//! (`"ENCR_AES_GCM_16"`, `"MODP_2048"`) when it has one and as its number otherwise, and read
//! from either (names ignore ASCII case). Unassigned numbers are kept: a policy may offer
//! what no registry lists, as a conformance test must.
//!
//! Use with `#[serde(with = "registry")]` on a value and `#[serde(with = "registry::list")]` on a
//! `Vec`.

use core::fmt;
use core::marker::PhantomData;

use ikelab_wire::iana::{
    AuthMethod, CpAttributeType, EncrId, EsnId, HashAlgorithm, IdType, IntegId, KeMethod,
    NotifyType, PrfId, ProtocolId,
};
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// An IANA registry newtype from ikelab-wire.
pub trait Registry: Copy + Sized {
    /// What the registry is called in error messages.
    const WHAT: &'static str;
    /// The largest value the field can hold.
    const MAX: u64;
    fn name(self) -> Option<&'static str>;
    fn from_name(name: &str) -> Option<Self>;
    fn to_u64(self) -> u64;
    /// Builds a value from a number at most [`Registry::MAX`].
    fn from_u64(v: u64) -> Self;
}

macro_rules! registry {
    ($($ty:ident($int:ty) = $what:literal;)*) => {$(
        impl Registry for $ty {
            const WHAT: &'static str = $what;
            const MAX: u64 = <$int>::MAX as u64;
            fn name(self) -> Option<&'static str> {
                $ty::name(self)
            }
            fn from_name(name: &str) -> Option<Self> {
                $ty::from_name(name)
            }
            fn to_u64(self) -> u64 {
                u64::from(self.0)
            }
            fn from_u64(v: u64) -> Self {
                // Callers check the range against MAX first.
                $ty(v as $int)
            }
        }
    )*};
}

registry! {
    EncrId(u16) = "encryption transform ID";
    IntegId(u16) = "integrity transform ID";
    PrfId(u16) = "PRF transform ID";
    KeMethod(u16) = "key exchange method";
    EsnId(u16) = "sequence-number transform ID";
    IdType(u8) = "ID type";
    AuthMethod(u8) = "auth method";
    HashAlgorithm(u16) = "hash algorithm";
    CpAttributeType(u16) = "configuration attribute type";
    NotifyType(u16) = "notify message type";
    ProtocolId(u8) = "protocol ID";
}

/// Parses a registry value from its name or a decimal number.
pub fn parse<T: Registry>(s: &str) -> Result<T, String> {
    if let Some(v) = T::from_name(s) {
        return Ok(v);
    }
    match s.parse::<u64>() {
        Ok(n) if n <= T::MAX => Ok(T::from_u64(n)),
        Ok(n) => Err(format!("{} {n} is out of range (max {})", T::WHAT, T::MAX)),
        Err(_) => Err(format!("unknown {} {s:?}", T::WHAT)),
    }
}

/// Writes the IANA name, or the number when the value is unassigned.
pub fn serialize<T: Registry, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    match v.name() {
        Some(n) => s.serialize_str(n),
        None => s.serialize_u64(v.to_u64()),
    }
}

/// Reads a name (any ASCII case) or a number.
pub fn deserialize<'de, T: Registry, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(RegistryVisitor(PhantomData))
}

struct RegistryVisitor<T>(PhantomData<T>);

impl<T: Registry> Visitor<'_> for RegistryVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an IANA {} name or number", T::WHAT)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        parse(s).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        if n > T::MAX {
            return Err(E::custom(format!(
                "{} {n} is out of range (max {})",
                T::WHAT,
                T::MAX
            )));
        }
        Ok(T::from_u64(n))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
        let n = u64::try_from(n).map_err(|_| E::custom(format!("{} {n} is negative", T::WHAT)))?;
        self.visit_u64(n)
    }
}

/// `Vec<T>` of registry values.
pub mod list {
    use super::*;
    use serde::de::SeqAccess;
    use serde::ser::SerializeSeq;

    pub fn serialize<T: Registry, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&Named(*x))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, T: Registry, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(ListVisitor(PhantomData))
    }

    struct Named<T>(T);

    impl<T: Registry> serde::Serialize for Named<T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            super::serialize(&self.0, s)
        }
    }

    struct Elem<T>(T);

    impl<'de, T: Registry> serde::Deserialize<'de> for Elem<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            super::deserialize(d).map(Elem)
        }
    }

    struct ListVisitor<T>(PhantomData<T>);

    impl<'de, T: Registry> Visitor<'de> for ListVisitor<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a list of IANA {} names or numbers", T::WHAT)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(Elem(v)) = seq.next_element::<Elem<T>>()? {
                out.push(v);
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct T {
        #[serde(with = "super")]
        ke: KeMethod,
        #[serde(with = "super::list")]
        encr: Vec<EncrId>,
    }

    #[test]
    fn names_and_numbers_round_trip() {
        let t = T {
            ke: KeMethod(1025),
            encr: vec![EncrId::AES_GCM_16, EncrId(4000)],
        };
        let j = serde_json::to_string(&t).unwrap();
        assert_eq!(j, r#"{"ke":1025,"encr":["ENCR_AES_GCM_16",4000]}"#);
        assert_eq!(serde_json::from_str::<T>(&j).unwrap(), t);
        let lower: T = serde_json::from_str(r#"{"ke":"modp_2048","encr":["12"]}"#).unwrap();
        assert_eq!(lower.ke, KeMethod::MODP_2048);
        assert_eq!(lower.encr, vec![EncrId::AES_CBC]);
    }

    #[test]
    fn bad_values_are_named() {
        let e = serde_json::from_str::<T>(r#"{"ke":"MODP_2049","encr":[]}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown key exchange method \"MODP_2049\""),
            "{e}"
        );
        let e = serde_json::from_str::<T>(r#"{"ke":70000,"encr":[]}"#).unwrap_err();
        assert!(e.to_string().contains("out of range (max 65535)"), "{e}");
    }
}
