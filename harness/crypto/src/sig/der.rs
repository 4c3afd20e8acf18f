//! Just enough DER to read and write AlgorithmIdentifiers and SPKI headers.

use crate::CryptoError;

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const OID: u8 = 0x06;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;

fn bad(what: &'static str, reason: &str) -> CryptoError {
    CryptoError::Unrecognised {
        what,
        reason: reason.to_string(),
    }
}

/// Reads one TLV from the front of `input`: `(tag, value, rest)`.
pub(crate) fn read<'a>(
    what: &'static str,
    input: &'a [u8],
) -> Result<(u8, &'a [u8], &'a [u8]), CryptoError> {
    let (&tag, rest) = input
        .split_first()
        .ok_or_else(|| bad(what, "truncated (no tag)"))?;
    let (&first, mut rest) = rest
        .split_first()
        .ok_or_else(|| bad(what, "truncated (no length)"))?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return Err(bad(what, "bad length encoding"));
        }
        let mut l = 0usize;
        for &b in &rest[..n] {
            l = (l << 8) | b as usize;
        }
        if l < 0x80 || rest[0] == 0 {
            return Err(bad(what, "non-minimal length (not DER)"));
        }
        rest = &rest[n..];
        l
    };
    if rest.len() < len {
        return Err(bad(what, "length exceeds input"));
    }
    let (value, rest) = rest.split_at(len);
    Ok((tag, value, rest))
}

/// Splits the first whole TLV (header included) off `input`: `(tlv, rest)`.
pub(crate) fn raw<'a>(
    what: &'static str,
    input: &'a [u8],
) -> Result<(&'a [u8], &'a [u8]), CryptoError> {
    let (_, _, rest) = read(what, input)?;
    Ok(input.split_at(input.len() - rest.len()))
}

/// Reads a TLV that must have `tag`.
pub(crate) fn expect<'a>(
    what: &'static str,
    tag: u8,
    input: &'a [u8],
) -> Result<(&'a [u8], &'a [u8]), CryptoError> {
    let (t, v, rest) = read(what, input)?;
    if t != tag {
        return Err(bad(
            what,
            &format!("expected tag 0x{tag:02x}, found 0x{t:02x}"),
        ));
    }
    Ok((v, rest))
}

/// Encodes one TLV.
pub(crate) fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lengths_round_trip() {
        let v = vec![7u8; 300];
        let enc = tlv(0x04, &v);
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (t, val, rest) = read("t", &enc).unwrap();
        assert_eq!((t, val.len(), rest.len()), (0x04, 300, 0));
        assert!(read("t", &[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]).is_err()); // non-minimal
        assert!(read("t", &[0x04, 0x05, 1]).is_err());
        assert!(read("t", &[]).is_err());
    }
}
