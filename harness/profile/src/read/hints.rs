//! Plain-language reasons for unreadable input: the plist crate's error kinds, and files that are
//! something else entirely (an HTML page saved instead of the profile, Intune's JSON, a PEM
//! certificate).

/// A sentence for a plist error kind, keeping the kind's name for searching.
pub(crate) fn kind_text(kind: &str) -> Option<String> {
    let text = match kind {
        "UnexpectedXmlCharactersExpectedElement" => {
            "text where an element was expected (stray characters between tags, or after </plist>)"
        }
        "UnknownXmlElement" => {
            "an element that is not part of a property list (allowed: plist, dict, key, array, string, data, date, integer, real, true, false; names are case-sensitive)"
        }
        "UnexpectedXmlOpeningTag" => {
            "an opening tag where none is allowed (markup inside a value, or a value element in the wrong place)"
        }
        "UnclosedXmlElement" => "an element is not closed",
        "InvalidXmlSyntax" => "malformed XML syntax",
        "InvalidXmlUtf8" => "invalid UTF-8 inside the XML",
        "InvalidDataString" => "<data> is not valid base64",
        "InvalidDateString" => {
            "<date> is not an ISO 8601 UTC date such as 2030-01-01T00:00:00Z"
        }
        "InvalidIntegerString" => {
            "<integer> is not a whole number in range (decimal, or 0x hexadecimal; at most 64 bits)"
        }
        "InvalidRealString" => "<real> is not a number",
        "IntegerOutOfRange" => "an integer is out of range",
        "InvalidMagic" => "the binary plist header is not `bplist00`",
        _ => return None,
    };
    Some(format!("{text} [{kind}]"))
}

/// Names what a file that is not a plist looks like, when recognisable.
pub(crate) fn sniff(trimmed: &[u8]) -> Option<&'static str> {
    let head = String::from_utf8_lossy(&trimmed[..trimmed.len().min(256)]).to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return Some(
            "it is an HTML page (a login, error or download page saved instead of the profile?)",
        );
    }
    if head.starts_with('{') || head.starts_with('[') {
        return Some("it looks like JSON; for Intune's iosikEv2VpnConfiguration export use `ikelab profile lower --intune FILE`");
    }
    if head.starts_with("-----begin certificate") || head.starts_with("-----begin pkcs12") {
        return Some("it is a PEM certificate, not a profile");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_sentences_and_keep_the_name() {
        let t = kind_text("InvalidDataString").unwrap();
        assert!(
            t.contains("base64") && t.contains("[InvalidDataString]"),
            "{t}"
        );
        assert!(kind_text("SomethingNew").is_none());
    }

    #[test]
    fn sniffs_html_json_and_certificates() {
        assert!(sniff(b"<!DOCTYPE html>\n<html>").unwrap().contains("HTML"));
        assert!(sniff(b"{\"@odata.type\": \"x\"}")
            .unwrap()
            .contains("--intune"));
        assert!(sniff(b"-----BEGIN CERTIFICATE-----")
            .unwrap()
            .contains("certificate"));
        assert!(sniff(b"<?xml version=\"1.0\"?><plist/>").is_none());
    }
}
