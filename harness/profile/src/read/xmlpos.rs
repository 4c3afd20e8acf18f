//! Position index over an XML property list: key path → line:column of the `<key>` element
//! (or of the value element for array items and the root). The `plist` crate gives no positions,
//! so this walks the XML once more with quick-xml.

use std::collections::HashMap;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::MAX_DEPTH;

/// 1-based line and column (columns count Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// Maps byte offsets to line:column.
#[derive(Debug)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// Key paths and their positions, plus duplicate keys seen while indexing.
#[derive(Debug, Default, Clone)]
pub struct PosIndex {
    map: HashMap<String, Pos>,
    /// `(path, position of the later occurrence)` for keys repeated within one `<dict>`.
    pub duplicates: Vec<(String, Pos)>,
}

impl PosIndex {
    pub fn get(&self, path: &str) -> Option<Pos> {
        self.map.get(path).copied()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Why the XML could not be indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlFault {
    pub pos: Pos,
    pub reason: String,
}

enum Frame {
    Dict {
        path: String,
        pending: Option<(String, Pos)>,
        seen: std::collections::HashSet<String>,
    },
    Array {
        path: String,
        next: usize,
    },
}

pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

pub fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// Builds the index; fails with a position when the XML is malformed or nests too deeply.
pub fn build(text: &str) -> Result<PosIndex, XmlFault> {
    let lines = LineIndex::new(text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut out = PosIndex::default();
    let mut stack: Vec<Frame> = Vec::new();
    let bytes = text.as_bytes();
    let at = |from: u64| {
        let mut i = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        lines.pos(i)
    };
    let fault = |reader: &Reader<&[u8]>, reason: String| XmlFault {
        pos: lines.pos(usize::try_from(reader.error_position()).unwrap_or(0)),
        reason,
    };
    loop {
        let before = reader.buffer_position();
        let ev = reader
            .read_event()
            .map_err(|e| fault(&reader, e.to_string()))?;
        let (name, is_empty) = match &ev {
            Event::Start(e) => (e.name().as_ref().to_vec(), false),
            Event::Empty(e) => (e.name().as_ref().to_vec(), true),
            Event::End(e) => {
                if matches!(e.name().as_ref(), b"dict" | b"array") {
                    if let Some(Frame::Dict {
                        pending: Some((k, kp)),
                        ..
                    }) = stack.pop()
                    {
                        return Err(XmlFault {
                            pos: kp,
                            reason: format!("<key>{k}</key> has no value before </dict>"),
                        });
                    }
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let pos = at(before);
        match name.as_slice() {
            b"plist" => continue,
            b"key" => {
                let key = if is_empty {
                    String::new()
                } else {
                    let raw = reader
                        .read_text(quick_xml::name::QName(b"key"))
                        .map_err(|e| fault(&reader, e.to_string()))?;
                    quick_xml::escape::unescape(&raw)
                        .map_err(|e| fault(&reader, e.to_string()))?
                        .into_owned()
                };
                if let Some(Frame::Dict { pending, .. }) = stack.last_mut() {
                    *pending = Some((key, pos));
                }
                continue;
            }
            _ => {}
        }
        // A value element: name it after its dict key or array index.
        let (path, key_pos) = match stack.last_mut() {
            None => (String::new(), pos),
            Some(Frame::Array { path, next }) => {
                let p = index(path, *next);
                *next += 1;
                (p, pos)
            }
            Some(Frame::Dict {
                path,
                pending,
                seen,
            }) => match pending.take() {
                Some((k, kp)) => {
                    let p = join(path, &k);
                    if !seen.insert(k) {
                        out.duplicates.push((p.clone(), kp));
                    }
                    (p, kp)
                }
                // A value without a key. The plist crate reads `<string>` there as a key, so
                // reject it here with its position (CFPropertyList: "Found non-key inside <dict>").
                None => {
                    return Err(XmlFault {
                        pos,
                        reason: format!(
                            "<{}> inside <dict> where a <key> was expected (every value in a dictionary needs its <key> before it)",
                            String::from_utf8_lossy(&name)
                        ),
                    })
                }
            },
        };
        out.map.insert(path.clone(), key_pos);
        if is_empty {
            continue;
        }
        match name.as_slice() {
            b"dict" | b"array" => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlFault {
                        pos,
                        reason: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                stack.push(if name == b"dict" {
                    Frame::Dict {
                        path,
                        pending: None,
                        seen: Default::default(),
                    }
                } else {
                    Frame::Array { path, next: 0 }
                });
            }
            other => {
                let end = other.to_vec();
                reader
                    .read_to_end(quick_xml::name::QName(&end))
                    .map_err(|e| fault(&reader, e.to_string()))?;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>IKEv2</key>
      <dict>
        <key>MTU</key>
        <integer>1400</integer>
        <key>OnDemandRules</key>
        <array>
          <dict><key>Action</key><string>Connect</string></dict>
        </array>
      </dict>
      <key>Flag</key>
      <true/>
    </dict>
  </array>
  <key>Name &amp; co</key>
  <string>x</string>
</dict>
</plist>"#;

    #[test]
    fn paths_and_positions() {
        let idx = build(DOC).unwrap();
        assert_eq!(idx.get(""), Some(Pos { line: 3, column: 1 }));
        assert_eq!(idx.get("PayloadContent"), Some(Pos { line: 4, column: 3 }));
        assert_eq!(
            idx.get("PayloadContent[0]"),
            Some(Pos { line: 6, column: 5 })
        );
        assert_eq!(
            idx.get("PayloadContent[0].IKEv2.MTU"),
            Some(Pos { line: 9, column: 9 })
        );
        assert_eq!(
            idx.get("PayloadContent[0].IKEv2.OnDemandRules[0].Action"),
            Some(Pos {
                line: 13,
                column: 17
            })
        );
        assert_eq!(
            idx.get("PayloadContent[0].Flag"),
            Some(Pos {
                line: 16,
                column: 7
            })
        );
        assert!(idx.get("Name & co").is_some());
        assert!(idx.duplicates.is_empty());
    }

    #[test]
    fn duplicates_are_reported() {
        let idx =
            build("<plist><dict><key>A</key><true/><key>A</key><false/></dict></plist>").unwrap();
        assert_eq!(idx.duplicates.len(), 1);
        assert_eq!(idx.duplicates[0].0, "A");
    }

    #[test]
    fn truncated_xml_fails_with_position() {
        let e = build("<plist><dict><key>A</key><string>x</dict>").unwrap_err();
        assert_eq!(e.pos.line, 1);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let doc = "<array>".repeat(MAX_DEPTH + 2);
        assert!(build(&doc).unwrap_err().reason.contains("nesting"));
    }

    #[test]
    fn columns_count_characters() {
        let li = LineIndex::new("äb\ncd");
        assert_eq!(li.pos(3), Pos { line: 1, column: 3 });
        assert_eq!(li.pos(4), Pos { line: 2, column: 1 });
    }
}
