//! PEM (RFC 7468) decoding for certificates and keys named in policies.

use base64::Engine as _;

/// One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`, ...) and DER contents.
#[derive(Clone, PartialEq, Eq)]
pub struct PemBlock {
    pub label: String,
    pub der: Vec<u8>,
}

impl core::fmt::Debug for PemBlock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Blocks may be private keys.
        write!(f, "PemBlock({}, {} octets)", self.label, self.der.len())
    }
}

/// Why PEM text did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    #[error("no \"-----BEGIN ...-----\" line")]
    NoBlock,
    #[error("block {label:?} at line {line} has no matching END line")]
    Unterminated { label: String, line: usize },
    #[error("block {label:?} at line {line}: invalid base64 ({reason})")]
    Base64 {
        label: String,
        line: usize,
        reason: String,
    },
}

/// Decodes every PEM block in `text`, in order. Text outside blocks is ignored (as OpenSSL's
/// "Bag Attributes" headers are).
pub fn decode_all(text: &str) -> Result<Vec<PemBlock>, PemError> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(label) = line
            .trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for (_, l) in lines.by_ref() {
            let l = l.trim();
            if l == end {
                closed = true;
                break;
            }
            // RFC 7468 §5.2 explanatory headers ("Proc-Type: ...") are not base64.
            if !l.contains(':') {
                body.push_str(l);
            }
        }
        if !closed {
            return Err(PemError::Unterminated {
                label: label.to_owned(),
                line: n + 1,
            });
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(&body)
            .map_err(|e| PemError::Base64 {
                label: label.to_owned(),
                line: n + 1,
                reason: e.to_string(),
            })?;
        blocks.push(PemBlock {
            label: label.to_owned(),
            der,
        });
    }
    if blocks.is_empty() {
        return Err(PemError::NoBlock);
    }
    Ok(blocks)
}

/// Encodes DER as one PEM block with 64-column lines.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let der: Vec<u8> = (0..100).collect();
        let text = format!("junk\n{}{}", encode("CERTIFICATE", &der), encode("X", &[1]));
        let blocks = decode_all(&text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(blocks[0].der, der);
        assert_eq!(blocks[1].der, [1]);
        assert_eq!(decode_all("nothing"), Err(PemError::NoBlock));
        assert!(matches!(
            decode_all("-----BEGIN A-----\nAAAA\n"),
            Err(PemError::Unterminated { line: 1, .. })
        ));
        assert!(matches!(
            decode_all("x\n-----BEGIN A-----\n!!!!\n-----END A-----\n"),
            Err(PemError::Base64 { line: 2, .. })
        ));
    }
}
