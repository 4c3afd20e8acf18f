//! Signed profiles wrapped in text: PEM (`openssl cms -sign -outform PEM`, `-----BEGIN PKCS7-----`)
//! and S/MIME (`openssl smime -sign -nodetach` without `-outform DER`). Apple's tools and MDM
//! servers ship the DER bytes of the SignedData; these forms are unwrapped to the DER so that the
//! profile inside can be checked, and the checker says that the form is not the one Apple ships.

use base64::Engine;

use crate::error::ReadError;

/// Largest armoured input decoded (signed profiles are far smaller; bounds the allocation).
const MAX_ARMOURED: usize = 64 << 20;

/// The text wrapping around a DER SignedData.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Armour {
    Pem,
    Smime,
}

impl Armour {
    pub fn describe(self) -> &'static str {
        match self {
            Armour::Pem => "PEM text (`-----BEGIN PKCS7-----` or `CMS`)",
            Armour::Smime => "an S/MIME message (base64 application/pkcs7-mime)",
        }
    }
}

fn cms_err(reason: impl Into<String>) -> ReadError {
    ReadError::Cms {
        reason: reason.into(),
    }
}

/// Which armour, if any, `trimmed` (BOM and leading whitespace removed) starts with.
pub(crate) fn detect(trimmed: &[u8]) -> Option<Armour> {
    if trimmed.starts_with(b"-----BEGIN ") {
        return Some(Armour::Pem);
    }
    let head = &trimmed[..trimmed.len().min(64)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    (lower.starts_with("mime-version:") || lower.starts_with("content-type:"))
        .then_some(Armour::Smime)
}

fn b64(body: &str, what: &str) -> Result<Vec<u8>, ReadError> {
    let clean: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean.as_bytes())
        .map_err(|e| cms_err(format!("the {what} body is not valid base64: {e}")))
}

fn pem(text: &str) -> Result<Vec<u8>, ReadError> {
    let mut lines = text.lines().map(str::trim);
    let first = lines.next().unwrap_or_default();
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(|| cms_err(format!("malformed PEM header `{first}`")))?;
    if !matches!(label, "PKCS7" | "CMS" | "PKCS #7 SIGNED DATA") {
        return Err(cms_err(format!(
            "PEM block `{label}` is not a signed profile (expected PKCS7 or CMS)"
        )));
    }
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    for line in lines.by_ref() {
        if line == end {
            return b64(&body, "PEM");
        }
        // RFC 1421 headers (`Proc-Type:` ...) never occur in PKCS7 blocks; reject rather than guess.
        if line.contains(':') {
            return Err(cms_err(format!("unexpected PEM header line `{line}`")));
        }
        body.push_str(line);
    }
    Err(cms_err(format!(
        "PEM block has no `{end}` line: the file is truncated"
    )))
}

fn smime(text: &str) -> Result<Vec<u8>, ReadError> {
    // Headers end at the first empty line (CRLF or LF).
    let norm = text.replace("\r\n", "\n");
    let (headers, body) = norm
        .split_once("\n\n")
        .ok_or_else(|| cms_err("S/MIME message without a blank line after its headers"))?;
    let ctype = headers
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_ascii_lowercase())
        })
        .unwrap_or_default();
    if ctype.starts_with("multipart/signed") {
        return Err(cms_err(
            "S/MIME multipart/signed carries a detached signature next to the clear-text profile; \
             Apple devices need the DER SignedData with the profile inside: re-sign with \
             `openssl smime -sign -nodetach -outform DER`",
        ));
    }
    if !(ctype.starts_with("application/pkcs7-mime")
        || ctype.starts_with("application/x-pkcs7-mime"))
    {
        return Err(cms_err(format!(
            "S/MIME content type `{ctype}` is not application/pkcs7-mime"
        )));
    }
    b64(body, "S/MIME")
}

/// Decodes the armour around a DER SignedData.
pub(crate) fn unarmour(trimmed: &[u8], armour: Armour) -> Result<Vec<u8>, ReadError> {
    if trimmed.len() > MAX_ARMOURED {
        return Err(cms_err(format!(
            "armoured signed profile of {} bytes exceeds the {MAX_ARMOURED}-byte limit",
            trimmed.len()
        )));
    }
    let text = std::str::from_utf8(trimmed).map_err(|e| {
        cms_err(format!(
            "armoured text is not ASCII (byte {})",
            e.valid_up_to()
        ))
    })?;
    let der = match armour {
        Armour::Pem => pem(text)?,
        Armour::Smime => smime(text)?,
    };
    if der.first() != Some(&0x30) {
        return Err(cms_err("the decoded armour is not a DER SEQUENCE"));
    }
    Ok(der)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DER: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x05];

    fn enc(b: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    #[test]
    fn pem_and_cms_labels() {
        for label in ["PKCS7", "CMS"] {
            let t = format!(
                "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                enc(DER)
            );
            assert_eq!(detect(t.as_bytes()), Some(Armour::Pem));
            assert_eq!(unarmour(t.as_bytes(), Armour::Pem).unwrap(), DER);
        }
    }

    #[test]
    fn pem_errors_say_why() {
        let cert = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        let e = unarmour(cert.as_bytes(), Armour::Pem).unwrap_err();
        assert!(
            e.to_string()
                .contains("`CERTIFICATE` is not a signed profile"),
            "{e}"
        );
        let trunc = format!("-----BEGIN PKCS7-----\n{}\n", enc(DER));
        let e = unarmour(trunc.as_bytes(), Armour::Pem).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let bad = "-----BEGIN PKCS7-----\n!!!!\n-----END PKCS7-----\n";
        let e = unarmour(bad.as_bytes(), Armour::Pem).unwrap_err();
        assert!(e.to_string().contains("not valid base64"), "{e}");
    }

    #[test]
    fn smime_opaque_and_detached() {
        let m = format!(
            "MIME-Version: 1.0\r\nContent-Disposition: attachment; filename=\"smime.p7m\"\r\nContent-Type: application/x-pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            enc(DER)
        );
        assert_eq!(detect(m.as_bytes()), Some(Armour::Smime));
        assert_eq!(unarmour(m.as_bytes(), Armour::Smime).unwrap(), DER);
        let d = "MIME-Version: 1.0\nContent-Type: multipart/signed; protocol=\"application/x-pkcs7-signature\"; boundary=\"x\"\n\n--x\n";
        let e = unarmour(d.as_bytes(), Armour::Smime).unwrap_err();
        assert!(e.to_string().contains("-nodetach"), "{e}");
    }

    #[test]
    fn plain_xml_is_not_armour() {
        assert_eq!(detect(b"<?xml version=\"1.0\"?>"), None);
        assert_eq!(detect(b"bplist00"), None);
    }
}
