//! RFC 7427 signature AlgorithmIdentifiers and the AUTH method 14 ("Digital
//! Signature") payload data: `ASN.1 length (1 octet) ‖ AlgorithmIdentifier ‖ signature`.
//!
//! Emitted forms are plain DER: PKCS#1 v1.5 with NULL parameters (RFC 7427 A.1),
//! ECDSA without parameters (A.3), RSASSA-PSS with explicit hash, MGF1 with the
//! same hash and salt = hash length, and the default trailerField omitted (DER
//! forbids encoding defaults). The parser also accepts RFC 7427 A.4.3's literal
//! form, which carries `trailerField 1`.

use super::der::{self, expect, tlv};
use super::SigScheme;
use crate::integ::HashAlg;
use crate::CryptoError;

const RSA_PKCS1: [u8; 8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
const OID_PSS: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_MGF1: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
const ECDSA_SHA1: [u8; 7] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
const ECDSA_SHA2: [u8; 7] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03];
/// id-Ed25519 (RFC 8410 §3), parameters absent (RFC 8420 §2).
const OID_ED25519: [u8; 3] = [0x2b, 0x65, 0x70];
const OID_SHA1: [u8; 5] = [0x2b, 0x0e, 0x03, 0x02, 0x1a];
const NIST_HASH: [u8; 8] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];

const WHAT: &str = "signature AlgorithmIdentifier";

fn unrecognised(reason: impl Into<String>) -> CryptoError {
    CryptoError::Unrecognised {
        what: WHAT,
        reason: reason.into(),
    }
}

fn hash_oid(h: HashAlg) -> Vec<u8> {
    match h {
        HashAlg::Sha1 => OID_SHA1.to_vec(),
        HashAlg::Sha256 => [&NIST_HASH[..], &[1]].concat(),
        HashAlg::Sha384 => [&NIST_HASH[..], &[2]].concat(),
        HashAlg::Sha512 => [&NIST_HASH[..], &[3]].concat(),
    }
}

fn hash_from_oid(oid: &[u8]) -> Option<HashAlg> {
    if oid == OID_SHA1 {
        return Some(HashAlg::Sha1);
    }
    match oid.strip_prefix(&NIST_HASH[..])? {
        [1] => Some(HashAlg::Sha256),
        [2] => Some(HashAlg::Sha384),
        [3] => Some(HashAlg::Sha512),
        _ => None,
    }
}

/// `SEQUENCE { hash OID, NULL }`
fn hash_algid(h: HashAlg) -> Vec<u8> {
    let mut v = tlv(der::OID, &hash_oid(h));
    v.extend_from_slice(&[der::NULL, 0]);
    tlv(der::SEQUENCE, &v)
}

/// The DER AlgorithmIdentifier for `scheme`.
pub fn algorithm_identifier(scheme: SigScheme) -> Vec<u8> {
    match scheme {
        SigScheme::RsaPkcs1(h) => {
            let last = match h {
                HashAlg::Sha1 => 0x05,
                HashAlg::Sha256 => 0x0b,
                HashAlg::Sha384 => 0x0c,
                HashAlg::Sha512 => 0x0d,
            };
            let mut v = tlv(der::OID, &[&RSA_PKCS1[..], &[last]].concat());
            v.extend_from_slice(&[der::NULL, 0]);
            tlv(der::SEQUENCE, &v)
        }
        SigScheme::Ecdsa(h) => {
            let oid = match h {
                HashAlg::Sha1 => ECDSA_SHA1.to_vec(),
                HashAlg::Sha256 => [&ECDSA_SHA2[..], &[2]].concat(),
                HashAlg::Sha384 => [&ECDSA_SHA2[..], &[3]].concat(),
                HashAlg::Sha512 => [&ECDSA_SHA2[..], &[4]].concat(),
            };
            tlv(der::SEQUENCE, &tlv(der::OID, &oid))
        }
        SigScheme::RsaPss(h) => {
            let mut params = tlv(0xa0, &hash_algid(h));
            let mut mgf = tlv(der::OID, &OID_MGF1);
            mgf.extend_from_slice(&hash_algid(h));
            params.extend_from_slice(&tlv(0xa1, &tlv(der::SEQUENCE, &mgf)));
            params.extend_from_slice(&tlv(0xa2, &tlv(der::INTEGER, &[h.output_len() as u8])));
            let mut v = tlv(der::OID, &OID_PSS);
            v.extend_from_slice(&tlv(der::SEQUENCE, &params));
            tlv(der::SEQUENCE, &v)
        }
        SigScheme::Ed25519 => tlv(der::SEQUENCE, &tlv(der::OID, &OID_ED25519)),
    }
}

/// Parses a hash AlgorithmIdentifier `SEQUENCE { OID [, NULL] }`.
fn parse_hash_algid(input: &[u8]) -> Result<HashAlg, CryptoError> {
    let (seq, rest) = expect(WHAT, der::SEQUENCE, input)?;
    if !rest.is_empty() {
        return Err(unrecognised("trailing data after hash AlgorithmIdentifier"));
    }
    let (oid, params) = expect(WHAT, der::OID, seq)?;
    if !(params.is_empty() || params == [der::NULL, 0]) {
        return Err(unrecognised("hash AlgorithmIdentifier with parameters"));
    }
    hash_from_oid(oid).ok_or_else(|| unrecognised("unsupported hash OID"))
}

fn small_uint(v: &[u8]) -> Result<u64, CryptoError> {
    if v.is_empty() || v.len() > 8 || v[0] & 0x80 != 0 {
        return Err(unrecognised("bad INTEGER"));
    }
    Ok(v.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
}

/// RSASSA-PSS-params (RFC 4055 §3.1); defaults are SHA-1, MGF1-SHA-1, salt 20, trailer 1.
fn parse_pss(params: &[u8]) -> Result<SigScheme, CryptoError> {
    let (mut seq, rest) = if params.is_empty() {
        (params, params)
    } else {
        expect(WHAT, der::SEQUENCE, params)?
    };
    if !rest.is_empty() {
        return Err(unrecognised("trailing data after RSASSA-PSS-params"));
    }
    let (mut hash, mut mgf_hash, mut salt) = (HashAlg::Sha1, HashAlg::Sha1, 20u64);
    let mut last_tag = 0u8;
    while !seq.is_empty() {
        let (tag, v, rest) = der::read(WHAT, seq)?;
        if tag <= last_tag {
            return Err(unrecognised("RSASSA-PSS-params fields out of order"));
        }
        last_tag = tag;
        match tag {
            0xa0 => hash = parse_hash_algid(v)?,
            0xa1 => {
                let (mgf, r) = expect(WHAT, der::SEQUENCE, v)?;
                let (oid, h) = expect(WHAT, der::OID, mgf)?;
                if oid != OID_MGF1 || !r.is_empty() {
                    return Err(unrecognised("mask generation function is not MGF1"));
                }
                mgf_hash = parse_hash_algid(h)?;
            }
            0xa2 => {
                let (i, r) = expect(WHAT, der::INTEGER, v)?;
                if !r.is_empty() {
                    return Err(unrecognised("trailing data in saltLength"));
                }
                salt = small_uint(i)?;
            }
            0xa3 => {
                let (i, r) = expect(WHAT, der::INTEGER, v)?;
                if !r.is_empty() || small_uint(i)? != 1 {
                    return Err(unrecognised("trailerField other than 1"));
                }
            }
            t => {
                return Err(unrecognised(format!(
                    "unknown RSASSA-PSS-params field [{}]",
                    t & 0x1f
                )))
            }
        }
        seq = rest;
    }
    if mgf_hash != hash || salt != hash.output_len() as u64 {
        return Err(unrecognised(format!(
            "RSASSA-PSS with {hash:?}, MGF1-{mgf_hash:?}, salt {salt}: only MGF1 with the same hash and salt = hash length is supported"
        )));
    }
    if hash == HashAlg::Sha1 {
        return Err(unrecognised("RSASSA-PSS with SHA-1 is not supported"));
    }
    Ok(SigScheme::RsaPss(hash))
}

/// Maps a DER AlgorithmIdentifier (no trailing data) to a scheme.
pub fn parse_algorithm_identifier(der_bytes: &[u8]) -> Result<SigScheme, CryptoError> {
    let (seq, rest) = expect(WHAT, der::SEQUENCE, der_bytes)?;
    if !rest.is_empty() {
        return Err(unrecognised("trailing data after AlgorithmIdentifier"));
    }
    let (oid, params) = expect(WHAT, der::OID, seq)?;
    if oid == OID_PSS {
        return parse_pss(params);
    }
    if oid == OID_ED25519 {
        if !params.is_empty() {
            return Err(unrecognised(
                "Ed25519 AlgorithmIdentifier with parameters (RFC 8410 §3 forbids them)",
            ));
        }
        return Ok(SigScheme::Ed25519);
    }
    let null_or_absent = params.is_empty() || params == [der::NULL, 0];
    if let Some(last) = oid.strip_prefix(&RSA_PKCS1[..]) {
        if !null_or_absent {
            return Err(unrecognised(
                "PKCS#1 v1.5 AlgorithmIdentifier with parameters",
            ));
        }
        let h = match last {
            [0x05] => HashAlg::Sha1,
            [0x0b] => HashAlg::Sha256,
            [0x0c] => HashAlg::Sha384,
            [0x0d] => HashAlg::Sha512,
            _ => return Err(unrecognised("unsupported PKCS#1 signature OID")),
        };
        return Ok(SigScheme::RsaPkcs1(h));
    }
    let h = if oid == ECDSA_SHA1 {
        HashAlg::Sha1
    } else {
        match oid.strip_prefix(&ECDSA_SHA2[..]) {
            Some([2]) => HashAlg::Sha256,
            Some([3]) => HashAlg::Sha384,
            Some([4]) => HashAlg::Sha512,
            _ => return Err(unrecognised("unknown signature algorithm OID")),
        }
    };
    if !params.is_empty() {
        return Err(unrecognised(
            "ECDSA AlgorithmIdentifier with parameters (RFC 5758 §3.2 forbids them)",
        ));
    }
    Ok(SigScheme::Ecdsa(h))
}

/// AUTH payload data for method 14 (RFC 7427 §3).
pub fn encode_auth_data(scheme: SigScheme, signature: &[u8]) -> Vec<u8> {
    let algid = algorithm_identifier(scheme);
    let mut out = Vec::with_capacity(1 + algid.len() + signature.len());
    out.push(algid.len() as u8);
    out.extend_from_slice(&algid);
    out.extend_from_slice(signature);
    out
}

/// Splits AUTH method 14 data into scheme and signature value.
pub fn decode_auth_data(data: &[u8]) -> Result<(SigScheme, &[u8]), CryptoError> {
    let (&len, rest) = data
        .split_first()
        .ok_or_else(|| unrecognised("empty AUTH data"))?;
    let len = len as usize;
    if rest.len() < len {
        return Err(unrecognised(format!(
            "ASN.1 length octet says {len} but only {} octets follow",
            rest.len()
        )));
    }
    let (algid, sig) = rest.split_at(len);
    Ok((parse_algorithm_identifier(algid)?, sig))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn rfc7427_appendix_a_blobs() {
        // A.1 sha256WithRSAEncryption ... A.3 ecdsa-with-SHA*, as printed in RFC 7427.
        let cases = [
            (
                "300d06092a864886f70d01010b0500",
                SigScheme::RsaPkcs1(HashAlg::Sha256),
            ),
            (
                "300d06092a864886f70d01010c0500",
                SigScheme::RsaPkcs1(HashAlg::Sha384),
            ),
            (
                "300d06092a864886f70d01010d0500",
                SigScheme::RsaPkcs1(HashAlg::Sha512),
            ),
            (
                "300a06082a8648ce3d040302",
                SigScheme::Ecdsa(HashAlg::Sha256),
            ),
            (
                "300a06082a8648ce3d040303",
                SigScheme::Ecdsa(HashAlg::Sha384),
            ),
            (
                "300a06082a8648ce3d040304",
                SigScheme::Ecdsa(HashAlg::Sha512),
            ),
        ];
        for (hex_blob, scheme) in cases {
            assert_eq!(algorithm_identifier(scheme), h(hex_blob));
            assert_eq!(parse_algorithm_identifier(&h(hex_blob)).unwrap(), scheme);
        }
        // A.4.3 RSASSA-PSS with SHA-256 (with the explicit trailerField the RFC prints).
        let a43 = h("3046 06092a864886f70d01010a 3039 a00f300d0609608648016503040201 0500 \
                     a11c301a06092a864886f70d010108300d06096086480165030402010500 a203020120 a303020101");
        assert_eq!(
            parse_algorithm_identifier(&a43).unwrap(),
            SigScheme::RsaPss(HashAlg::Sha256)
        );
        // We emit the same without the default trailer.
        let ours = algorithm_identifier(SigScheme::RsaPss(HashAlg::Sha256));
        assert_eq!(ours.len(), a43.len() - 5);
        assert_eq!(&ours[2..13], &a43[2..13]);
        for hh in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            let s = SigScheme::RsaPss(hh);
            assert_eq!(
                parse_algorithm_identifier(&algorithm_identifier(s)).unwrap(),
                s
            );
        }
    }

    #[test]
    fn unsupported_forms_are_refused() {
        // PSS with default (SHA-1) parameters, RFC 7427 A.4.2.
        assert!(parse_algorithm_identifier(&h("300d06092a864886f70d01010a3000")).is_err());
        // dsa-with-sha256
        assert!(parse_algorithm_identifier(&h("300b060960864801650304030205 00")).is_err());
        assert!(parse_algorithm_identifier(&h("300a06082a8648ce3d040302 00")).is_err());
        assert!(decode_auth_data(&[]).is_err());
        assert!(decode_auth_data(&[20, 0x30]).is_err());
    }

    #[test]
    fn auth_data_round_trip() {
        let data = encode_auth_data(SigScheme::Ecdsa(HashAlg::Sha384), b"sig");
        assert_eq!(data[0], 12);
        let (s, sig) = decode_auth_data(&data).unwrap();
        assert_eq!((s, sig), (SigScheme::Ecdsa(HashAlg::Sha384), &b"sig"[..]));
    }

    #[test]
    fn ed25519_algid_round_trip() {
        // RFC 8420 §2 / RFC 8410 §3: SEQUENCE { OID 1.3.101.112 }, no parameters.
        let ours = algorithm_identifier(SigScheme::Ed25519);
        assert_eq!(ours, [0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70]);
        assert_eq!(
            parse_algorithm_identifier(&ours).unwrap(),
            SigScheme::Ed25519
        );
        let with_null = [0x30, 0x07, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x05, 0x00];
        assert!(parse_algorithm_identifier(&with_null).is_err());
        let data = encode_auth_data(SigScheme::Ed25519, b"sig");
        assert_eq!(
            decode_auth_data(&data).unwrap(),
            (SigScheme::Ed25519, &b"sig"[..])
        );
    }
}
