//! Plain message digests, for the places the protocol fixes a hash outside any PRF or
//! signature: NAT detection (RFC 7296 §2.23, SHA-1), certificate hashes and fingerprints.

use crate::integ::HashAlg;

/// Digest of the concatenation of `parts` (no copy of the parts).
pub fn digest(alg: HashAlg, parts: &[&[u8]]) -> Vec<u8> {
    let alg = match alg {
        HashAlg::Sha1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        HashAlg::Sha256 => &aws_lc_rs::digest::SHA256,
        HashAlg::Sha384 => &aws_lc_rs::digest::SHA384,
        HashAlg::Sha512 => &aws_lc_rs::digest::SHA512,
    };
    let mut ctx = aws_lc_rs::digest::Context::new(alg);
    for p in parts {
        ctx.update(p);
    }
    ctx.finish().as_ref().to_vec()
}

/// SHA-1 of the concatenation of `parts` (RFC 7296 §2.23 NAT detection hashes).
pub fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut out = [0u8; 20];
    out.copy_from_slice(&digest(HashAlg::Sha1, parts));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips_180_abc_vectors() {
        // FIPS 180-2 appendix A.1 / B.1: "abc", split across parts.
        assert_eq!(
            hex(&sha1(&[b"a", b"bc"])),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&digest(HashAlg::Sha256, &[b"ab", b"c"])),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(digest(HashAlg::Sha384, &[]).len(), 48);
        assert_eq!(digest(HashAlg::Sha512, &[b""]).len(), 64);
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
