//! Secrets in policies (PSKs, EAP passwords, PPKs, private keys): zeroized on drop, and
//! never printed. `Debug` writes `Secret(<redacted>)` and `Serialize` writes `"<redacted>"`, so a
//! policy can be put in a report as it is; reading `"<redacted>"` back is an error rather than a
//! PSK of eleven letters.

use core::fmt;

use base64::Engine as _;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// What a redacted secret serializes to.
pub const REDACTED: &str = "<redacted>";

/// Secret octets.
///
/// In files: `"0x<hex>"`, `"0s<base64>"` (strongSwan's forms) or any other string, taken as its
/// UTF-8 octets.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(bytes.into()))
    }

    /// The secret octets. Callers that write them anywhere must have been asked to.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses the file form (see the type's documentation).
    pub fn parse(s: &str) -> Result<Self, SecretError> {
        if s == REDACTED {
            return Err(SecretError::Redacted);
        }
        if let Some(hex) = s.strip_prefix("0x") {
            return decode_hex(hex).map(Self::new);
        }
        if let Some(b64) = s.strip_prefix("0s") {
            return base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map(Self::new)
                .map_err(|e| SecretError::Base64(e.to_string()));
        }
        Ok(Self::new(s.as_bytes().to_vec()))
    }
}

/// Why a secret did not parse. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the secret is \"<redacted>\": this policy was written with its secrets removed")]
    Redacted,
    #[error("0x secret: {0}")]
    Hex(&'static str),
    #[error("0s secret is not valid base64: {0}")]
    Base64(String),
}

fn decode_hex(s: &str) -> Result<Vec<u8>, SecretError> {
    let s: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if s.len() % 2 != 0 {
        return Err(SecretError::Hex("odd number of hex digits"));
    }
    s.chunks_exact(2)
        .map(|p| {
            let digit = |c: u8| {
                (c as char)
                    .to_digit(16)
                    .ok_or(SecretError::Hex("not a hex digit"))
            };
            Ok((digit(p[0])? * 16 + digit(p[1])?) as u8)
        })
        .collect()
}

impl PartialEq for Secret {
    /// Constant time in the contents (lengths are not secret).
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && core::hint::black_box(
                self.0
                    .iter()
                    .zip(other.0.iter())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b)),
            ) == 0
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a secret string (\"0x<hex>\", \"0s<base64>\" or text)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Secret, E> {
                Secret::parse(s).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_redaction() {
        assert_eq!(
            Secret::parse("0xdeadBEEF").unwrap().expose(),
            [0xde, 0xad, 0xbe, 0xef]
        );
        assert_eq!(Secret::parse("0sAQID").unwrap().expose(), [1, 2, 3]);
        assert_eq!(Secret::parse("hunter2").unwrap().expose(), b"hunter2");
        assert!(Secret::parse("0xabc").is_err());
        assert!(Secret::parse("0xzz").is_err());
        assert_eq!(Secret::parse(REDACTED).unwrap_err(), SecretError::Redacted);

        let s = Secret::parse("hunter2").unwrap();
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"<redacted>\"");
        let back = serde_json::from_str::<Secret>("\"<redacted>\"").unwrap_err();
        assert!(back.to_string().contains("secrets removed"));
        assert_eq!(s, Secret::new(b"hunter2".to_vec()));
        assert_ne!(s, Secret::new(b"hunter3".to_vec()));
    }
}
