//! Distinguished names for ID_DER_ASN1_DN identities: `"C=CH, O=strongSwan, CN=moon"` to DER and
//! back, and comparison by attribute rather than by encoding (a peer may encode the same name
//! with other string types, as certificates do).
//!
//! Only what identities need: a Name is a SEQUENCE of single-attribute RDN SETs of
//! SEQUENCE { OID, string }.

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const UTF8: u8 = 0x0c;
const PRINTABLE: u8 = 0x13;
const IA5: u8 = 0x16;

/// Attribute short names, OIDs (DER body) and the string type used when encoding.
const ATTRIBUTES: &[(&str, &[u8], u8)] = &[
    ("C", &[0x55, 0x04, 0x06], PRINTABLE),
    ("ST", &[0x55, 0x04, 0x08], UTF8),
    ("L", &[0x55, 0x04, 0x07], UTF8),
    ("O", &[0x55, 0x04, 0x0a], UTF8),
    ("OU", &[0x55, 0x04, 0x0b], UTF8),
    ("CN", &[0x55, 0x04, 0x03], UTF8),
    ("SN", &[0x55, 0x04, 0x04], UTF8),
    ("serialNumber", &[0x55, 0x04, 0x05], PRINTABLE),
    ("GN", &[0x55, 0x04, 0x2a], UTF8),
    (
        "E",
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01],
        IA5,
    ),
    (
        "DC",
        &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19],
        IA5,
    ),
    (
        "UID",
        &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01],
        UTF8,
    ),
];

const ALIASES: &[(&str, &str)] = &[
    ("emailAddress", "E"),
    ("S", "ST"),
    ("G", "GN"),
    ("givenName", "GN"),
    ("surname", "SN"),
];

/// One attribute of a name: OID (DER body) and value octets, string type ignored.
pub type Attribute = (Vec<u8>, Vec<u8>);

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    push_len(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

/// Encodes `"C=CH, O=strongSwan, CN=moon"` (`,` or `/` separated; `\,` escapes a comma).
pub fn encode(text: &str) -> Result<Vec<u8>, String> {
    let mut rdns = Vec::new();
    for part in split_unescaped(text) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?} is not ATTRIBUTE=value"))?;
        let name = name.trim();
        let canonical = ALIASES
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(name))
            .map_or(name, |(_, c)| *c);
        let (_, oid, string_type) = ATTRIBUTES
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(canonical))
            .ok_or_else(|| format!("unknown DN attribute {name:?}"))?;
        let value = value.trim().replace("\\,", ",");
        let mut atv = tlv(OID, oid);
        atv.extend(tlv(*string_type, value.as_bytes()));
        rdns.extend(tlv(SET, &tlv(SEQUENCE, &atv)));
    }
    if rdns.is_empty() {
        return Err("empty distinguished name".into());
    }
    Ok(tlv(SEQUENCE, &rdns))
}

fn split_unescaped(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                chars.next();
                if let Some(last) = parts.last_mut() {
                    last.push_str("\\,");
                }
            }
            ',' | '/' => parts.push(String::new()),
            c => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts
}

/// Reads one TLV, returning tag, body and the rest. `None` on malformed input.
fn read_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The attributes of a DER Name in order, or `None` when it is not one.
pub fn attributes(der: &[u8]) -> Option<Vec<Attribute>> {
    let (tag, mut rdns, rest) = read_tlv(der)?;
    if tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    while !rdns.is_empty() {
        let (tag, mut set, next) = read_tlv(rdns)?;
        if tag != SET {
            return None;
        }
        while !set.is_empty() {
            let (tag, atv, more) = read_tlv(set)?;
            if tag != SEQUENCE {
                return None;
            }
            let (tag, oid, value) = read_tlv(atv)?;
            if tag != OID {
                return None;
            }
            let (_, value, end) = read_tlv(value)?;
            if !end.is_empty() {
                return None;
            }
            out.push((oid.to_vec(), value.to_vec()));
            set = more;
        }
        rdns = next;
    }
    Some(out)
}

/// Renders a DER Name as `C=CH, O=strongSwan, CN=moon`, or `None` when it has an attribute
/// without a short name here or a value that is not text.
pub fn render(der: &[u8]) -> Option<String> {
    let attrs = attributes(der)?;
    let mut parts = Vec::new();
    for (oid, value) in attrs {
        let (name, _, _) = ATTRIBUTES.iter().find(|(_, o, _)| *o == oid.as_slice())?;
        let value = core::str::from_utf8(&value).ok()?;
        if value.chars().any(char::is_control) || value.contains('/') {
            return None;
        }
        parts.push(format!("{name}={}", value.replace(',', "\\,")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_certificates_do_and_renders_back() {
        let der = encode("C=CH, O=strongSwan, CN=moon.strongswan.org").unwrap();
        // SEQUENCE { SET { SEQUENCE { 2.5.4.6, PrintableString "CH" } } ... }
        assert_eq!(
            &der[..13],
            &[0x30, 0x40, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02]
        );
        assert_eq!(
            render(&der).unwrap(),
            "C=CH, O=strongSwan, CN=moon.strongswan.org"
        );
        let slash = encode("/C=CH/O=strongSwan/CN=moon.strongswan.org").unwrap();
        assert_eq!(slash, der);
        let esc = encode("O=Acme\\, Inc., emailAddress=a@b.c").unwrap();
        assert_eq!(render(&esc).unwrap(), "O=Acme\\, Inc., E=a@b.c");
    }

    #[test]
    fn long_lengths_and_errors() {
        let long = "x".repeat(300);
        let der = encode(&format!("CN={long}")).unwrap();
        assert_eq!(der[1], 0x82, "long-form length");
        assert_eq!(render(&der).unwrap(), format!("CN={long}"));
        assert!(encode("XX=1").unwrap_err().contains("unknown DN attribute"));
        assert!(encode("CN").is_err());
        assert!(encode(" , ").is_err());
        assert_eq!(attributes(&[0x30, 0x05, 0x31]), None);
        assert_eq!(render(&[0x04, 0x00]), None);
    }
}
