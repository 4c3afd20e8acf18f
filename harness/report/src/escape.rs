//! Escaping for XML/HTML/SVG and Markdown. Scenario names, descriptions and failure texts are
//! user input: everything that reaches a report goes through one of these.

/// Escape for XML and HTML text and attribute values. Control characters XML 1.0 forbids (even
/// as character references) become visible `\u{..}` text instead of making the file invalid.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if forbidden_in_xml(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Like [`xml`], but for a one-line attribute: newlines and tabs become character references
/// so parsers keep them instead of normalising them to spaces.
pub fn xml_attr(s: &str) -> String {
    xml(s)
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

fn forbidden_in_xml(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Escape for Markdown inline text (table cells, list items): HTML-significant characters as
/// entities (renderers pass raw HTML through), Markdown punctuation with a backslash, newlines
/// as spaces so a cell stays on its row.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A relative link target for HTML `href`: percent-encode what would end or confuse the URL,
/// keep `/` and ordinary file-name characters.
pub fn href(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_control_chars() {
        assert_eq!(
            xml("<script>\"a\" & 'b'\u{1}</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;\\u{1}&lt;/script&gt;"
        );
        assert_eq!(xml_attr("a\nb"), "a&#10;b");
    }

    #[test]
    fn md_escapes_tables_and_html() {
        assert_eq!(md("a|b <x> *y*\nz"), "a\\|b &lt;x&gt; \\*y\\* z");
    }

    #[test]
    fn href_encodes_quotes_and_spaces() {
        assert_eq!(href("pcaps/a b\"c.pcap"), "pcaps/a%20b%22c.pcap");
        assert_eq!(href("javascript:x"), "javascript%3Ax");
    }
}
