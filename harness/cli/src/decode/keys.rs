//! Wireshark key tables: `ikev2_decryption_table` (IKE SA keys) and `esp_sa` (ESP SA keys).
//!
//! Formats (one record per line, comma-separated, as Wireshark's UAT files store them):
//!
//! ```text
//! ikev2_decryption_table:  SPIi,SPIr,SK_ei,SK_er,"encryption algorithm",SK_ai,SK_ar,"integrity algorithm"
//!     SPIs and keys bare hex; empty SK_a* for AEADs; algorithm names exactly as Wireshark spells them.
//! esp_sa:  "IPv4","src","dst","0xSPI","encryption algorithm","0xkey","authentication algorithm","0xkey"
//! ```
//!
//! Extension (not understood by Wireshark): `"CHACHA20-POLY1305 [RFC7634]"` as an encryption
//! algorithm name in both tables, for the cipher Wireshark cannot decrypt.

use std::fmt;
use std::net::IpAddr;

/// An IKEv2 encryption transform as the key tables name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncrSpec {
    /// IANA ENCR transform ID.
    pub id: u16,
    /// Key length in bits (the AES key, without the AEAD salt).
    pub key_bits: u16,
}

/// Key material that prints `<redacted>` in Debug.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyHex(pub Vec<u8>);

impl fmt::Debug for KeyHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {} bytes>", self.0.len())
    }
}

/// One `ikev2_decryption_table` record.
#[derive(Debug, Clone)]
pub struct IkeSaKeys {
    pub spi_i: u64,
    pub spi_r: u64,
    pub sk_ei: KeyHex,
    pub sk_er: KeyHex,
    pub encr: EncrSpec,
    pub sk_ai: KeyHex,
    pub sk_ar: KeyHex,
    /// IANA INTEG transform ID; 0 (NONE) for AEADs.
    pub integ: u16,
}

/// One `esp_sa` record.
#[derive(Debug, Clone)]
pub struct EspSaKeys {
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub spi: u32,
    pub encr: EncrSpec,
    pub encr_key: KeyHex,
    /// IANA INTEG transform ID; 0 (NONE) for AEADs.
    pub integ: u16,
    pub integ_key: KeyHex,
}

/// A key table line that cannot be used, with its location.
#[derive(Debug, thiserror::Error)]
#[error("line {line}, field {field} ({name}): {reason}")]
pub struct KeyTableError {
    pub line: usize,
    pub field: usize,
    pub name: &'static str,
    pub reason: String,
}

const IKE_ENCR: &[(&str, EncrSpec)] = &[
    (
        "NULL [RFC2410]",
        EncrSpec {
            id: 11,
            key_bits: 0,
        },
    ),
    (
        "3DES [RFC2451]",
        EncrSpec {
            id: 3,
            key_bits: 192,
        },
    ),
    (
        "AES-CBC-128 [RFC3602]",
        EncrSpec {
            id: 12,
            key_bits: 128,
        },
    ),
    (
        "AES-CBC-192 [RFC3602]",
        EncrSpec {
            id: 12,
            key_bits: 192,
        },
    ),
    (
        "AES-CBC-256 [RFC3602]",
        EncrSpec {
            id: 12,
            key_bits: 256,
        },
    ),
    (
        "AES-GCM-128 with 8 octet ICV [RFC5282]",
        EncrSpec {
            id: 18,
            key_bits: 128,
        },
    ),
    (
        "AES-GCM-192 with 8 octet ICV [RFC5282]",
        EncrSpec {
            id: 18,
            key_bits: 192,
        },
    ),
    (
        "AES-GCM-256 with 8 octet ICV [RFC5282]",
        EncrSpec {
            id: 18,
            key_bits: 256,
        },
    ),
    (
        "AES-GCM-128 with 12 octet ICV [RFC5282]",
        EncrSpec {
            id: 19,
            key_bits: 128,
        },
    ),
    (
        "AES-GCM-192 with 12 octet ICV [RFC5282]",
        EncrSpec {
            id: 19,
            key_bits: 192,
        },
    ),
    (
        "AES-GCM-256 with 12 octet ICV [RFC5282]",
        EncrSpec {
            id: 19,
            key_bits: 256,
        },
    ),
    (
        "AES-GCM-128 with 16 octet ICV [RFC5282]",
        EncrSpec {
            id: 20,
            key_bits: 128,
        },
    ),
    (
        "AES-GCM-192 with 16 octet ICV [RFC5282]",
        EncrSpec {
            id: 20,
            key_bits: 192,
        },
    ),
    (
        "AES-GCM-256 with 16 octet ICV [RFC5282]",
        EncrSpec {
            id: 20,
            key_bits: 256,
        },
    ),
    (
        "CHACHA20-POLY1305 [RFC7634]",
        EncrSpec {
            id: 28,
            key_bits: 256,
        },
    ),
];

const IKE_INTEG: &[(&str, u16)] = &[
    ("NONE [RFC4306]", 0),
    ("HMAC_MD5_96 [RFC2403]", 1),
    ("HMAC_SHA1_96 [RFC2404]", 2),
    ("HMAC_SHA1_160 [RFC4595]", 7),
    ("HMAC_SHA2_256_128 [RFC4868]", 12),
    ("HMAC_SHA2_384_192 [RFC4868]", 13),
    ("HMAC_SHA2_512_256 [RFC4868]", 14),
];

/// ESP names carry no key length: it comes from the key itself (AEAD keys include the salt).
const ESP_ENCR: &[(&str, u16)] = &[
    ("NULL", 11),
    ("TripleDES-CBC [RFC2451]", 3),
    ("AES-CBC [RFC3602]", 12),
    ("AES-GCM with 8 octet ICV [RFC4106]", 18),
    ("AES-GCM with 12 octet ICV [RFC4106]", 19),
    ("AES-GCM with 16 octet ICV [RFC4106]", 20),
    ("NULL encryption with 64 bit ICV [RFC4543]", 21),
    ("CHACHA20-POLY1305 [RFC7634]", 28),
];

const ESP_INTEG: &[(&str, u16)] = &[
    ("NULL", 0),
    ("HMAC-SHA-1-96 [RFC2404]", 2),
    ("HMAC-SHA-256-128 [RFC4868]", 12),
    ("HMAC-SHA-384-192 [RFC4868]", 13),
    ("HMAC-SHA-512-256 [RFC4868]", 14),
];

/// Splits a UAT line into fields, honouring double quotes.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|f| f.trim().to_owned()).collect()
}

fn records(text: &str) -> impl Iterator<Item = (usize, Vec<String>)> + '_ {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(n, l)| (n, fields(l)))
}

struct Line<'a> {
    number: usize,
    fields: &'a [String],
}

impl Line<'_> {
    fn err(&self, field: usize, name: &'static str, reason: impl Into<String>) -> KeyTableError {
        KeyTableError {
            line: self.number,
            field: field + 1,
            name,
            reason: reason.into(),
        }
    }

    fn get(&self, field: usize, name: &'static str) -> Result<&str, KeyTableError> {
        self.fields
            .get(field)
            .map(String::as_str)
            .ok_or_else(|| self.err(field, name, "missing"))
    }

    fn hex(&self, field: usize, name: &'static str) -> Result<Vec<u8>, KeyTableError> {
        let raw = self.get(field, name)?;
        let raw = raw.strip_prefix("0x").unwrap_or(raw);
        hex::decode(raw).map_err(|e| self.err(field, name, format!("not hex: {e}")))
    }

    fn spi64(&self, field: usize, name: &'static str) -> Result<u64, KeyTableError> {
        let b = self.hex(field, name)?;
        let a: [u8; 8] = b.try_into().map_err(|b: Vec<u8>| {
            self.err(
                field,
                name,
                format!("an IKE SPI has 8 octets, got {}", b.len()),
            )
        })?;
        Ok(u64::from_be_bytes(a))
    }

    fn lookup<T: Copy>(
        &self,
        field: usize,
        name: &'static str,
        table: &[(&str, T)],
    ) -> Result<T, KeyTableError> {
        let value = self.get(field, name)?;
        table
            .iter()
            .find(|(n, _)| *n == value)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let known: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
                self.err(
                    field,
                    name,
                    format!("unknown algorithm \"{value}\"; known: {}", known.join(", ")),
                )
            })
    }
}

/// Parses an `ikev2_decryption_table` file.
pub fn parse_ike_table(text: &str) -> Result<Vec<IkeSaKeys>, KeyTableError> {
    records(text)
        .map(|(number, fields)| {
            let l = Line {
                number,
                fields: &fields,
            };
            Ok(IkeSaKeys {
                spi_i: l.spi64(0, "Initiator SPI")?,
                spi_r: l.spi64(1, "Responder SPI")?,
                sk_ei: KeyHex(l.hex(2, "SK_ei")?),
                sk_er: KeyHex(l.hex(3, "SK_er")?),
                encr: l.lookup(4, "encryption algorithm", IKE_ENCR)?,
                sk_ai: KeyHex(l.hex(5, "SK_ai")?),
                sk_ar: KeyHex(l.hex(6, "SK_ar")?),
                integ: l.lookup(7, "integrity algorithm", IKE_INTEG)?,
            })
        })
        .collect()
}

/// Parses an `esp_sa` file.
pub fn parse_esp_table(text: &str) -> Result<Vec<EspSaKeys>, KeyTableError> {
    records(text)
        .map(|(number, fields)| {
            let l = Line {
                number,
                fields: &fields,
            };
            let addr = |i: usize, name: &'static str| -> Result<Option<IpAddr>, KeyTableError> {
                let v = l.get(i, name)?;
                if v == "*" || v.is_empty() {
                    return Ok(None);
                }
                v.parse()
                    .map(Some)
                    .map_err(|e| l.err(i, name, format!("not an IP address: {e}")))
            };
            let spi_bytes = l.hex(3, "SPI")?;
            let spi: [u8; 4] = spi_bytes.try_into().map_err(|b: Vec<u8>| {
                l.err(
                    3,
                    "SPI",
                    format!("an ESP SPI has 4 octets, got {}", b.len()),
                )
            })?;
            let id = l.lookup(4, "encryption algorithm", ESP_ENCR)?;
            let encr_key = l.hex(5, "encryption key")?;
            // AEAD keys carry a 4-octet salt (RFC 4106 §8.1, RFC 7634 §2).
            let salt = if matches!(id, 18..=21 | 28) { 32 } else { 0 };
            let key_bits = u16::try_from(encr_key.len() * 8)
                .unwrap_or(u16::MAX)
                .saturating_sub(salt);
            Ok(EspSaKeys {
                src: addr(1, "source address")?,
                dst: addr(2, "destination address")?,
                spi: u32::from_be_bytes(spi),
                encr: EncrSpec { id, key_bits },
                encr_key: KeyHex(encr_key),
                integ: l.lookup(6, "authentication algorithm", ESP_INTEG)?,
                integ_key: KeyHex(l.hex(7, "authentication key")?),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_wireshark_ike_table_forms() {
        let text = "# comment\n\
            eaf6e61fc9aa5aad,8fb5a9b187b12bf6,00112233,44556677,\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"\n\
            ac8ce8e3440e4042,d18667e4435f6825,aa,bb,\"AES-CBC-256 [RFC3602]\",cc,dd,\"HMAC_SHA2_256_128 [RFC4868]\"\n";
        let t = parse_ike_table(text).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].spi_i, 0xeaf6_e61f_c9aa_5aad);
        assert_eq!(
            t[0].encr,
            EncrSpec {
                id: 20,
                key_bits: 256
            }
        );
        assert!(t[0].sk_ai.0.is_empty());
        assert_eq!(t[1].integ, 12);
        assert_eq!(t[1].sk_ai.0, [0xcc]);
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = parse_ike_table("\n0011,22,aa,bb,\"AES-CBC-256 [RFC3602]\",,,\"NONE [RFC4306]\"")
            .unwrap_err();
        assert_eq!((e.line, e.field, e.name), (2, 1, "Initiator SPI"));
        let e = parse_ike_table(
            "0011223344556677,0011223344556677,aa,bb,\"AES-XTS\",,,\"NONE [RFC4306]\"",
        )
        .unwrap_err();
        assert_eq!(e.field, 5);
        assert!(e.reason.contains("unknown algorithm \"AES-XTS\""), "{e}");
    }

    #[test]
    fn parses_esp_sa_records() {
        let text = "\"IPv4\",\"198.51.100.1\",\"198.51.100.2\",\"0x2929c0b9\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223\",\"NULL\",\"\"";
        let t = parse_esp_table(text).unwrap();
        assert_eq!(t[0].spi, 0x2929_c0b9);
        assert_eq!(
            t[0].encr,
            EncrSpec {
                id: 20,
                key_bits: 256
            }
        );
        assert_eq!(t[0].src, Some("198.51.100.1".parse().unwrap()));
    }

    #[test]
    fn keys_are_redacted_in_debug() {
        let k = KeyHex(vec![0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(format!("{k:?}"), "<redacted 4 bytes>");
    }
}
