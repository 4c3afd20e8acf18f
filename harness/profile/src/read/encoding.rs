//! XML plists that are not UTF-8: UTF-16 (with or without a byte-order mark) and the single-byte
//! encodings a declaration can name (ISO-8859-1, windows-1252, US-ASCII).
//!
//! CFPropertyList honours the byte-order mark and the `encoding` of the XML declaration, so such
//! files install; the readers below (plist, quick-xml) take UTF-8 only. The text is transcoded
//! once, and the declaration is rewritten to say UTF-8 (padded with spaces so that columns on the
//! first line stay where they were).

use crate::error::ReadError;

/// An XML text transcoded to UTF-8 (Debug prints only the encoding: the text holds secrets).
pub(crate) struct Transcoded {
    pub text: String,
    /// The encoding the file was in, as reported to the user.
    pub from: &'static str,
}

impl std::fmt::Debug for Transcoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcoded")
            .field("from", &self.from)
            .field("text", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Utf16 {
    Le,
    Be,
}

/// Byte order of a UTF-16 text: from the BOM, or from `<` (or whitespace) as the first unit.
fn utf16_order(bytes: &[u8]) -> Option<(Utf16, usize)> {
    match bytes {
        [0xFF, 0xFE, ..] => Some((Utf16::Le, 2)),
        [0xFE, 0xFF, ..] => Some((Utf16::Be, 2)),
        [c, 0, ..] if *c == b'<' || c.is_ascii_whitespace() => Some((Utf16::Le, 0)),
        [0, c, ..] if *c == b'<' || c.is_ascii_whitespace() => Some((Utf16::Be, 0)),
        _ => None,
    }
}

/// True when `bytes` look like UTF-16 text (so the caller reads them as XML).
pub(crate) fn looks_utf16(bytes: &[u8]) -> bool {
    utf16_order(bytes).is_some()
}

fn decode_utf16(body: &[u8], order: Utf16, skip: usize) -> Result<String, ReadError> {
    if !body.len().is_multiple_of(2) {
        return Err(ReadError::Xml {
            line: None,
            column: None,
            reason: format!(
                "UTF-16 text with an odd number of bytes ({}): the file is truncated",
                body.len() + skip
            ),
        });
    }
    let units = body.chunks_exact(2).map(|c| match order {
        Utf16::Le => u16::from_le_bytes([c[0], c[1]]),
        Utf16::Be => u16::from_be_bytes([c[0], c[1]]),
    });
    let mut text = String::with_capacity(body.len() / 2);
    for (i, r) in char::decode_utf16(units).enumerate() {
        match r {
            Ok(ch) => text.push(ch),
            Err(e) => {
                let (line, column) = line_col(&text);
                return Err(ReadError::Xml {
                    line: Some(line),
                    column: Some(column),
                    reason: format!(
                        "invalid UTF-16: unpaired surrogate 0x{:04X} at byte offset {}",
                        e.unpaired_surrogate(),
                        skip + 2 * i
                    ),
                });
            }
        }
    }
    Ok(text)
}

/// 1-based line and column (in characters) just after `prefix`.
fn line_col(prefix: &str) -> (u32, u32) {
    let line = prefix.matches('\n').count() + 1;
    let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// The `encoding="..."` value of the XML declaration, with the byte range of the value.
fn declared(text: &[u8]) -> Option<(String, std::ops::Range<usize>)> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &text[start..];
    if !rest.starts_with(b"<?xml") {
        return None;
    }
    let end = start + rest.windows(2).position(|w| w == b"?>")?;
    let decl = &text[start..end];
    let at = decl.windows(8).position(|w| w == b"encoding")?;
    let mut i = at + 8;
    while decl
        .get(i)
        .is_some_and(|b| b.is_ascii_whitespace() || *b == b'=')
    {
        i += 1;
    }
    let quote = *decl.get(i)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let vstart = i + 1;
    let vlen = decl[vstart..].iter().position(|b| *b == quote)?;
    let value = String::from_utf8_lossy(&decl[vstart..vstart + vlen]).into_owned();
    Some((value, start + vstart..start + vstart + vlen))
}

/// Rewrites the declared encoding to UTF-8, keeping the declaration's length.
fn declare_utf8(text: &mut String) {
    let Some((value, range)) = declared(text.as_bytes()) else {
        return;
    };
    if value.eq_ignore_ascii_case("utf-8") {
        return;
    }
    // `encoding="UTF-16"` becomes `encoding="UTF-8" ` (XML allows spaces before `?>`).
    let pad = value.len().saturating_sub(5);
    let quote_end = range.end + 1;
    if quote_end > text.len() {
        return;
    }
    let quote = &text[range.end..quote_end];
    let replacement = format!("UTF-8{quote}{}", " ".repeat(pad));
    text.replace_range(range.start..quote_end, &replacement);
}

/// windows-1252 code points for bytes 0x80..=0x9F (undefined bytes map to the C1 control).
const CP1252: [u16; 32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
];

fn single_byte(bytes: &[u8], cp1252: bool) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F if cp1252 => {
                char::from_u32(u32::from(CP1252[usize::from(b - 0x80)])).unwrap_or('\u{FFFD}')
            }
            _ => char::from(b),
        })
        .collect()
}

/// Returns the text transcoded to UTF-8, or `None` when `bytes` need no transcoding (UTF-8, with
/// or without BOM, or not text at all).
pub(crate) fn transcode(bytes: &[u8]) -> Result<Option<Transcoded>, ReadError> {
    if let Some((order, skip)) = utf16_order(bytes) {
        let mut text = decode_utf16(&bytes[skip..], order, skip)?;
        declare_utf8(&mut text);
        let from = match order {
            Utf16::Le => "UTF-16LE",
            Utf16::Be => "UTF-16BE",
        };
        return Ok(Some(Transcoded { text, from }));
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Ok(None);
    }
    let Some((value, _)) = declared(bytes) else {
        return Ok(None);
    };
    let (from, cp1252) = match value.to_ascii_lowercase().as_str() {
        "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "l1" => ("ISO-8859-1", false),
        "windows-1252" | "cp1252" => ("windows-1252", true),
        _ => return Ok(None),
    };
    let mut text = single_byte(bytes, cp1252);
    declare_utf8(&mut text);
    Ok(Some(Transcoded { text, from }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<plist><dict><key>K</key><string>Zürich ☺</string></dict></plist>";

    fn utf16(s: &str, be: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if be { &[0xFE, 0xFF] } else { &[0xFF, 0xFE] });
        }
        for u in s.encode_utf16() {
            out.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
        }
        out
    }

    #[test]
    fn utf16_both_orders_with_and_without_bom() {
        for (be, bom) in [(false, true), (true, true), (false, false), (true, false)] {
            let t = transcode(&utf16(XML, be, bom)).unwrap().unwrap();
            assert_eq!(t.from, if be { "UTF-16BE" } else { "UTF-16LE" });
            assert!(t.text.contains("Zürich ☺"));
            // Same length declaration, now UTF-8.
            assert!(t
                .text
                .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"));
        }
    }

    #[test]
    fn odd_length_and_lone_surrogate_are_errors() {
        let mut b = utf16(XML, false, true);
        b.push(0);
        assert!(transcode(&b)
            .unwrap_err()
            .to_string()
            .contains("odd number"));
        let mut b = utf16("<plist>\n<x", false, true);
        b.extend_from_slice(&0xD800u16.to_le_bytes());
        b.extend_from_slice(&u16::from(b'a').to_le_bytes());
        let e = transcode(&b).unwrap_err();
        assert!(e.to_string().contains("unpaired surrogate 0xD800"), "{e}");
        assert!(e.to_string().contains("line 2, column 3"), "{e}");
    }

    #[test]
    fn utf8_needs_nothing() {
        assert!(transcode(b"<plist/>").unwrap().is_none());
        assert!(transcode("<?xml version=\"1.0\"?><a>é</a>".as_bytes())
            .unwrap()
            .is_none());
    }

    #[test]
    fn declared_single_byte_encodings() {
        let mut b = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>".to_vec();
        b.push(0xE9);
        b.extend_from_slice(b"</a>");
        let t = transcode(&b).unwrap().unwrap();
        assert_eq!(t.from, "ISO-8859-1");
        assert!(t.text.contains("<a>é</a>"));
        assert!(t.text.contains("encoding='UTF-8'     ?>"), "{}", t.text);
        let mut b = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>".to_vec();
        b.push(0x80);
        let t = transcode(&b).unwrap().unwrap();
        assert!(t.text.ends_with("<a>€"));
        // Undeclared non-UTF-8 stays an error for the caller.
        assert!(transcode(b"<a>\xE9</a>").unwrap().is_none());
    }
}
