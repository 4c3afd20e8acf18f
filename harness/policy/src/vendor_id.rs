//! Vendor ID payload contents (RFC 7296 §3.12), written as hex strings in policy files.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest Vendor ID accepted: the payload length field leaves 65531 octets, but a VID is a
/// short hash or name; a few hundred octets keep IKE_SA_INIT well below 1280 octets.
pub const MAX_VENDOR_ID_LEN: usize = 256;

/// The opaque data of one Vendor ID payload, e.g. `"4048b7d56ebce88525e7de7f00d6c2d3"`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VendorId(Vec<u8>);

/// Why a Vendor ID string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VendorIdError {
    #[error("vendor ID {0:?}: expected an even number of hex digits (optionally after 0x)")]
    NotHex(String),
    #[error("vendor ID is empty")]
    Empty,
    #[error("vendor ID of {0} octets is longer than {MAX_VENDOR_ID_LEN}")]
    TooLong(usize),
}

impl VendorId {
    /// Vendor ID data as it goes on the wire.
    pub fn new(data: Vec<u8>) -> Result<Self, VendorIdError> {
        match data.len() {
            0 => Err(VendorIdError::Empty),
            n if n > MAX_VENDOR_ID_LEN => Err(VendorIdError::TooLong(n)),
            _ => Ok(Self(data)),
        }
    }

    /// Parses hex digits, with an optional `0x` prefix; `:` and spaces between octets are
    /// allowed (as vendors print them).
    pub fn parse(s: &str) -> Result<Self, VendorIdError> {
        let body = s.trim();
        let body = body
            .strip_prefix("0x")
            .or_else(|| body.strip_prefix("0X"))
            .unwrap_or(body);
        let digits: Vec<char> = body.chars().filter(|c| *c != ':' && *c != ' ').collect();
        if digits.len() % 2 != 0 {
            return Err(VendorIdError::NotHex(s.into()));
        }
        let data = digits
            .chunks(2)
            .map(|p| {
                let hi = p[0].to_digit(16)?;
                let lo = p[1].to_digit(16)?;
                u8::try_from(hi * 16 + lo).ok()
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| VendorIdError::NotHex(s.into()))?;
        Self::new(data)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for VendorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for VendorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VendorId({self})")
    }
}

impl Serialize for VendorId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for VendorId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_forms_and_prints_lower_case() {
        let v = VendorId::parse("0x4048B7D5").unwrap();
        assert_eq!(v.as_bytes(), [0x40, 0x48, 0xb7, 0xd5]);
        assert_eq!(v.to_string(), "4048b7d5");
        assert_eq!(VendorId::parse("40:48 b7:d5").unwrap(), v);
    }

    #[test]
    fn refuses_odd_non_hex_empty_and_long() {
        assert!(matches!(
            VendorId::parse("abc"),
            Err(VendorIdError::NotHex(_))
        ));
        assert!(matches!(
            VendorId::parse("zz"),
            Err(VendorIdError::NotHex(_))
        ));
        assert_eq!(VendorId::parse("0x"), Err(VendorIdError::Empty));
        assert_eq!(
            VendorId::parse(&"ab".repeat(MAX_VENDOR_ID_LEN + 1)),
            Err(VendorIdError::TooLong(MAX_VENDOR_ID_LEN + 1))
        );
    }

    const POLICY: &str = r#"
[local]
id = "a.example"
auth = { method = "psk", secret = "0x6b6579" }
[remote]
id = "b.example"
auth = { method = "psk", secret = "0x6b6579" }
"#;

    #[test]
    fn policy_files_list_vendor_ids_under_features() {
        let p = crate::IkePolicy::from_toml("vid.toml", POLICY).unwrap();
        assert!(p.features.vendor_ids.is_empty(), "none by default");
        let text = format!("{POLICY}[features]\nvendor_ids = [\"0x0102\", \"ikelab\"]\n");
        let err = crate::IkePolicy::from_toml("vid.toml", &text).unwrap_err();
        assert!(err.to_string().contains("\"ikelab\""), "{err}");
        let text = format!("{POLICY}[features]\nvendor_ids = [\"0x0102\", \"a1b2c3\"]\n");
        let p = crate::IkePolicy::from_toml("vid.toml", &text).unwrap();
        let got: Vec<String> = p
            .features
            .vendor_ids
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, ["0102", "a1b2c3"]);
        let back = toml::to_string(&p).unwrap();
        assert!(
            back.contains("vendor_ids = [\"0102\", \"a1b2c3\"]"),
            "{back}"
        );
    }
}
