//! Reading a profile: XML or binary plist, optionally wrapped in CMS SignedData.

pub mod armor;
mod ber;
mod build;
mod encoding;
mod hints;
pub mod signed;
pub mod xmlpos;

use std::io::Cursor;

use plist::Value;

pub use armor::Armour;
pub(crate) use ber::to_der as ber_to_der;
pub use signed::{SignatureInfo, SignatureStatus};
pub use xmlpos::{Pos, PosIndex};

use crate::error::ReadError;

/// Deepest container nesting accepted (real profiles nest < 10 levels).
pub const MAX_DEPTH: usize = 64;

/// How the plist was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Xml,
    Binary,
}

/// Facts about the file's form noticed while reading (reported as findings by the checker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadNote {
    /// The XML was not UTF-8 and was transcoded before parsing.
    Transcoded { from: &'static str },
    /// The CMS SignedData was wrapped in text instead of being DER bytes.
    Armoured(Armour),
}

/// A parsed profile document.
pub struct Source {
    pub encoding: Encoding,
    pub root: Value,
    /// Present when the plist was XML.
    pub positions: Option<PosIndex>,
    /// Present when the plist was wrapped in CMS SignedData.
    pub signature: Option<SignatureInfo>,
    /// How the file deviates in form from a plain UTF-8/binary plist or DER CMS.
    pub notes: Vec<ReadNote>,
}

// Debug must not print the plist: it holds secrets.
impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("encoding", &self.encoding)
            .field("root", &"<redacted>")
            .field("positions", &self.positions.as_ref().map(PosIndex::len))
            .field("signature", &self.signature)
            .field("notes", &self.notes)
            .finish()
    }
}

fn skip_bom_ws(bytes: &[u8]) -> &[u8] {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

/// Parses bytes as a profile.
pub fn read(bytes: &[u8]) -> Result<Source, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let trimmed = skip_bom_ws(bytes);
    if trimmed.is_empty() {
        return Err(ReadError::Empty);
    }
    if trimmed.starts_with(b"bplist") {
        return read_plain(bytes, None);
    }
    if let Some(what) = hints::sniff(trimmed) {
        return Err(ReadError::NotPlist {
            reason: what.to_string(),
        });
    }
    if trimmed.starts_with(b"<") || encoding::looks_utf16(bytes) {
        return read_plain(bytes, None);
    }
    if bytes[0] == 0x30 {
        let (content, info) = signed::unwrap(bytes)?;
        return read_plain(&content, Some(info));
    }
    if let Some(armour) = armor::detect(trimmed) {
        let der = armor::unarmour(trimmed, armour)?;
        let (content, info) = signed::unwrap(&der)?;
        let mut src = read_plain(&content, Some(info))?;
        src.notes.insert(0, ReadNote::Armoured(armour));
        return Ok(src);
    }
    Err(ReadError::NotPlist {
        reason: describe_start(bytes),
    })
}

fn describe_start(bytes: &[u8]) -> String {
    let head: String = bytes
        .iter()
        .take(8)
        .map(|b| {
            if b.is_ascii_graphic() || *b == b' ' {
                (*b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect();
    format!("it starts with `{head}`, expected `<?xml`, `<plist`, `bplist00` or a DER SEQUENCE (signed profile)")
}

fn read_plain(bytes: &[u8], signature: Option<SignatureInfo>) -> Result<Source, ReadError> {
    if let Some(t) = encoding::transcode(bytes)? {
        let mut src = read_plain(t.text.as_bytes(), signature)?;
        src.notes.push(ReadNote::Transcoded { from: t.from });
        return Ok(src);
    }
    let trimmed = skip_bom_ws(bytes);
    if trimmed.is_empty() {
        return Err(ReadError::Empty);
    }
    if trimmed.starts_with(b"bplist") {
        let reader = plist::stream::BinaryReader::new(Cursor::new(bytes));
        let root = build::from_events(reader).map_err(|e| ReadError::Binary {
            reason: e.to_string(),
        })?;
        return finish(root, Encoding::Binary, None, signature);
    }
    if !trimmed.starts_with(b"<") {
        return Err(ReadError::NotPlist {
            reason: describe_start(trimmed),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        // The valid prefix locates the bad byte for the user.
        let prefix = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let pos = xmlpos::LineIndex::new(prefix).pos(at);
        ReadError::Xml {
            line: Some(pos.line),
            column: Some(pos.column),
            reason: format!(
                "not UTF-8 (invalid byte 0x{:02X} at offset {at}); declare the file's encoding in the XML declaration or save it as UTF-8",
                bytes[at]
            ),
        }
    })?;
    let lines = xmlpos::LineIndex::new(text);
    let positions = xmlpos::build(text).map_err(|f| ReadError::Xml {
        line: Some(f.pos.line),
        column: Some(f.pos.column),
        reason: f.reason,
    })?;
    let reader = plist::stream::XmlReader::new(Cursor::new(bytes));
    let root = build::from_events(reader).map_err(|e| {
        // Truncation is found at the end of the input.
        let offset = e
            .offset
            .or_else(|| e.reason.contains("truncated").then_some(text.len()));
        let pos = offset.map(|o| lines.pos(o));
        ReadError::Xml {
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            reason: e.reason,
        }
    })?;
    finish(root, Encoding::Xml, Some(positions), signature)
}

fn finish(
    root: Value,
    encoding: Encoding,
    positions: Option<PosIndex>,
    signature: Option<SignatureInfo>,
) -> Result<Source, ReadError> {
    if root.as_dictionary().is_none() {
        return Err(ReadError::RootNotDict {
            found: build::kind_name(&root),
        });
    }
    Ok(Source {
        encoding,
        root,
        positions,
        signature,
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_whitespace_are_empty() {
        assert!(matches!(read(b""), Err(ReadError::Empty)));
        assert!(matches!(read(b"  \n"), Err(ReadError::Empty)));
    }

    #[test]
    fn garbage_is_not_a_plist() {
        let e = read(b"hello world").unwrap_err();
        assert!(matches!(e, ReadError::NotPlist { .. }));
        assert!(e.to_string().contains("hello wo"));
    }

    #[test]
    fn truncated_xml_names_a_position() {
        let r = read(b"<?xml version=\"1.0\"?>\n<plist><dict><key>A</key><string>x</string>");
        let e = r.map(|s| s.encoding).unwrap_err();
        match e {
            ReadError::Xml { line, .. } => assert_eq!(line, Some(2)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn root_must_be_a_dict() {
        let e = read(b"<plist><array/></plist>").unwrap_err();
        assert!(matches!(e, ReadError::RootNotDict { .. }));
    }

    #[test]
    fn binary_roundtrip() {
        let mut d = plist::Dictionary::new();
        d.insert("PayloadType".into(), Value::String("Configuration".into()));
        let mut buf = Vec::new();
        Value::Dictionary(d).to_writer_binary(&mut buf).unwrap();
        let s = read(&buf).unwrap();
        assert_eq!(s.encoding, Encoding::Binary);
        assert!(s.positions.is_none());
        // Truncated binary plist.
        assert!(matches!(
            read(&buf[..buf.len() - 5]),
            Err(ReadError::Binary { .. })
        ));
    }

    #[test]
    fn debug_does_not_print_values() {
        let s =
            read(b"<plist><dict><key>SharedSecret</key><string>hunter22</string></dict></plist>")
                .unwrap();
        assert!(!format!("{s:?}").contains("hunter22"));
    }
}
