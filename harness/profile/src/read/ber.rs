//! BER → DER normalisation for signed profiles.
//!
//! Signing tools (OpenSSL with streaming, some MDM servers) emit CMS with indefinite lengths and
//! constructed OCTET STRINGs; the `der` crate accepts only DER. This rewrites lengths to definite
//! form and flattens constructed OCTET STRINGs. Content bytes are unchanged, so digests over the
//! encapsulated content and over the (already DER) signed attributes are unaffected.

const MAX_NESTING: usize = 48;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BerError(pub String);

fn e(msg: &str, at: usize) -> BerError {
    BerError(format!("{msg} at byte {at}"))
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// Reads identifier octets; returns (tag bytes, constructed).
fn read_tag(input: &[u8], pos: &mut usize) -> Result<(Vec<u8>, bool), BerError> {
    let start = *pos;
    let first = *input.get(*pos).ok_or_else(|| e("missing tag", start))?;
    *pos += 1;
    let mut tag = vec![first];
    if first & 0x1f == 0x1f {
        loop {
            let b = *input.get(*pos).ok_or_else(|| e("truncated tag", start))?;
            *pos += 1;
            tag.push(b);
            if b & 0x80 == 0 {
                break;
            }
            if tag.len() > 6 {
                return Err(e("tag number too large", start));
            }
        }
    }
    Ok((tag, first & 0x20 != 0))
}

/// Reads length octets; `None` = indefinite.
fn read_len(input: &[u8], pos: &mut usize) -> Result<Option<usize>, BerError> {
    let start = *pos;
    let first = *input.get(*pos).ok_or_else(|| e("missing length", start))?;
    *pos += 1;
    if first < 0x80 {
        return Ok(Some(first as usize));
    }
    if first == 0x80 {
        return Ok(None);
    }
    let n = (first & 0x7f) as usize;
    if n > 4 {
        return Err(e("length too large", start));
    }
    let mut len = 0usize;
    for _ in 0..n {
        let b = *input
            .get(*pos)
            .ok_or_else(|| e("truncated length", start))?;
        *pos += 1;
        len = (len << 8) | b as usize;
    }
    Ok(Some(len))
}

fn element(input: &[u8], pos: &mut usize, depth: usize, out: &mut Vec<u8>) -> Result<(), BerError> {
    if depth > MAX_NESTING {
        return Err(e("nesting too deep", *pos));
    }
    let start = *pos;
    let (tag, constructed) = read_tag(input, pos)?;
    let len = read_len(input, pos)?;
    if !constructed {
        let len = len.ok_or_else(|| e("indefinite length on a primitive", start))?;
        let end = pos
            .checked_add(len)
            .filter(|&end| end <= input.len())
            .ok_or_else(|| e("truncated value", start))?;
        out.extend_from_slice(&tag);
        push_len(out, len);
        out.extend_from_slice(&input[*pos..end]);
        *pos = end;
        return Ok(());
    }
    let mut body = Vec::new();
    let mut children = Vec::new();
    match len {
        Some(len) => {
            let end = pos
                .checked_add(len)
                .filter(|&end| end <= input.len())
                .ok_or_else(|| e("truncated value", start))?;
            while *pos < end {
                let mut child = Vec::new();
                element(&input[..end], pos, depth + 1, &mut child)?;
                children.push(child);
            }
        }
        None => loop {
            if input.get(*pos..*pos + 2) == Some(&[0, 0]) {
                *pos += 2;
                break;
            }
            if *pos >= input.len() {
                return Err(e("missing end-of-contents", start));
            }
            let mut child = Vec::new();
            element(input, pos, depth + 1, &mut child)?;
            children.push(child);
        },
    }
    // Constructed OCTET STRING → primitive with the segments concatenated.
    if tag == [0x24] {
        for c in &children {
            let mut p = 0;
            let (t, cons) = read_tag(c, &mut p)?;
            if t != [0x04] || cons {
                return Err(e(
                    "constructed OCTET STRING with a non-OCTET STRING segment",
                    start,
                ));
            }
            let _ = read_len(c, &mut p)?;
            body.extend_from_slice(&c[p..]);
        }
        out.push(0x04);
        push_len(out, body.len());
        out.extend_from_slice(&body);
        return Ok(());
    }
    for c in children {
        body.extend_from_slice(&c);
    }
    out.extend_from_slice(&tag);
    push_len(out, body.len());
    out.extend_from_slice(&body);
    Ok(())
}

/// Normalises one BER element (the whole input must be that element, trailing zero padding allowed).
pub fn to_der(input: &[u8]) -> Result<Vec<u8>, BerError> {
    let mut pos = 0;
    let mut out = Vec::with_capacity(input.len());
    element(input, &mut pos, 0, &mut out)?;
    if input[pos..].iter().any(|&b| b != 0) {
        return Err(e("trailing data after the signed profile", pos));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definite_der_is_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xAA];
        assert_eq!(to_der(&der).unwrap(), der);
    }

    #[test]
    fn indefinite_and_constructed_octets_are_flattened() {
        // SEQUENCE (indef) { OCTET STRING (constructed, indef) { "ab", "c" } }
        let ber = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x00,
            0x00,
        ];
        assert_eq!(
            to_der(&ber).unwrap(),
            [0x30, 0x05, 0x04, 0x03, b'a', b'b', b'c']
        );
    }

    #[test]
    fn long_lengths_are_minimal() {
        let mut ber = vec![0x04, 0x82, 0x00, 0x81];
        ber.extend(std::iter::repeat_n(7u8, 0x81));
        let der = to_der(&ber).unwrap();
        assert_eq!(&der[..3], &[0x04, 0x81, 0x81]);
    }

    #[test]
    fn truncation_and_depth_fail() {
        assert!(to_der(&[0x30, 0x05, 0x02]).is_err());
        assert!(to_der(&[0x30, 0x80, 0x02, 0x01, 0x00]).is_err());
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 100).flatten().collect();
        assert!(to_der(&deep).is_err());
    }
}
