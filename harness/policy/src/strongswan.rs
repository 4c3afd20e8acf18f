//! strongSwan proposal strings (`aes256gcm16-prfsha384-ecp384`, `aes256-sha256-modp2048`,
//! `chacha20poly1305-prfsha256-x25519`, ESP `aes256gcm16`, `aes256-sha256-modp2048-esn`) to and
//! from [`IkeProposal`]/[`ChildProposal`].
//!
//! Keywords follow strongSwan's `proposal_keywords` for the transforms IANA registers. Rules, as
//! charon applies them:
//! - IKE: without a PRF keyword the PRFs follow the integrity algorithms (`sha256` gives
//!   `prfsha256`); an AEAD proposal must name its PRF; a KE method is required.
//! - ESP: the KE methods are PFS groups; without `esn`/`noesn` the proposal carries NO_ESN.
//! - AEAD and integrity algorithms don't mix, nor do AEAD and non-AEAD ciphers in one proposal.
//!
//! The printer writes the shortest string that parses back to the same proposal: it omits
//! PRFs that the integrity algorithms imply and a lone `noesn`.

use core::fmt;

use ikelab_wire::iana::{EncrId, EsnId, IntegId, KeMethod, PrfId};

use crate::proposal::{ChildProposal, Encryption, IkeProposal};

/// A proposal string that could not be parsed, or a proposal that has no string form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("proposal {input:?}: {kind}")]
pub struct ProposalError {
    /// The proposal string (or a description of the proposal being printed).
    pub input: String,
    pub kind: ProposalErrorKind,
}

/// What is wrong with a proposal string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalErrorKind {
    #[error("empty proposal")]
    Empty,
    #[error("empty keyword at position {index} (two dashes in a row?)")]
    EmptyToken { index: usize },
    #[error("unknown algorithm {token:?} at position {index}")]
    UnknownToken { token: String, index: usize },
    #[error("{token:?} at position {index} is a PRF, which ESP proposals do not have")]
    PrfInEsp { token: String, index: usize },
    #[error("{token:?} at position {index} is a sequence-number option, which IKE proposals do not have")]
    EsnInIke { token: String, index: usize },
    #[error("{token:?} at position {index}: IKE_SA_INIT needs a real key exchange method")]
    KeNoneInIke { token: String, index: usize },
    #[error("no encryption algorithm")]
    MissingEncryption,
    #[error("no integrity algorithm for the non-AEAD cipher")]
    MissingIntegrity,
    #[error("no PRF: an AEAD IKE proposal must name one (e.g. prfsha256)")]
    MissingPrf,
    #[error("no key exchange method (e.g. ecp256, x25519, modp2048)")]
    MissingKe,
    #[error("mixes AEAD and non-AEAD ciphers; write them as two proposals")]
    MixedAead,
    #[error("integrity algorithm {token:?} with an AEAD cipher (RFC 5282 §8)")]
    AeadWithIntegrity { token: String },
    #[error("{what} has no strongSwan keyword")]
    NoKeyword { what: String },
}

enum Token {
    Encr(Encryption),
    Integ(IntegId),
    Prf(PrfId),
    Ke(KeMethod),
    Esn(EsnId),
}

const INTEG: &[(&str, IntegId)] = &[
    ("sha1", IntegId::HMAC_SHA1_96),
    ("sha", IntegId::HMAC_SHA1_96),
    ("sha1_160", IntegId::HMAC_SHA1_160),
    ("sha256", IntegId::HMAC_SHA2_256_128),
    ("sha2_256", IntegId::HMAC_SHA2_256_128),
    ("sha384", IntegId::HMAC_SHA2_384_192),
    ("sha2_384", IntegId::HMAC_SHA2_384_192),
    ("sha512", IntegId::HMAC_SHA2_512_256),
    ("sha2_512", IntegId::HMAC_SHA2_512_256),
    ("md5", IntegId::HMAC_MD5_96),
    ("md5_128", IntegId::HMAC_MD5_128),
    ("aesxcbc", IntegId::AES_XCBC_96),
    ("aescmac", IntegId::AES_CMAC_96),
];

const PRF: &[(&str, PrfId)] = &[
    ("prfsha1", PrfId::HMAC_SHA1),
    ("prfsha256", PrfId::HMAC_SHA2_256),
    ("prfsha384", PrfId::HMAC_SHA2_384),
    ("prfsha512", PrfId::HMAC_SHA2_512),
    ("prfmd5", PrfId::HMAC_MD5),
    ("prfaesxcbc", PrfId::AES128_XCBC),
    ("prfaescmac", PrfId::AES128_CMAC),
];

const KE: &[(&str, KeMethod)] = &[
    ("none", KeMethod::NONE),
    ("modpnone", KeMethod::NONE),
    ("modp768", KeMethod::MODP_768),
    ("modp1024", KeMethod::MODP_1024),
    ("modp1536", KeMethod::MODP_1536),
    ("modp2048", KeMethod::MODP_2048),
    ("modp3072", KeMethod::MODP_3072),
    ("modp4096", KeMethod::MODP_4096),
    ("modp6144", KeMethod::MODP_6144),
    ("modp8192", KeMethod::MODP_8192),
    ("modp1024s160", KeMethod::MODP_1024_160),
    ("modp2048s224", KeMethod::MODP_2048_224),
    ("modp2048s256", KeMethod::MODP_2048_256),
    ("ecp192", KeMethod::ECP_192),
    ("ecp224", KeMethod::ECP_224),
    ("ecp256", KeMethod::ECP_256),
    ("ecp384", KeMethod::ECP_384),
    ("ecp521", KeMethod::ECP_521),
    ("ecp224bp", KeMethod::BRAINPOOL_P224R1),
    ("ecp256bp", KeMethod::BRAINPOOL_P256R1),
    ("ecp384bp", KeMethod::BRAINPOOL_P384R1),
    ("ecp512bp", KeMethod::BRAINPOOL_P512R1),
    ("x25519", KeMethod::CURVE25519),
    ("curve25519", KeMethod::CURVE25519),
    ("x448", KeMethod::CURVE448),
    ("curve448", KeMethod::CURVE448),
    ("mlkem512", KeMethod::ML_KEM_512),
    ("mlkem768", KeMethod::ML_KEM_768),
    ("mlkem1024", KeMethod::ML_KEM_1024),
];

const ESN: &[(&str, EsnId)] = &[("esn", EsnId::ESN), ("noesn", EsnId::NO_ESN)];

/// The PRF strongSwan derives from an integrity algorithm when none is named.
fn prf_for(integ: IntegId) -> Option<PrfId> {
    Some(match integ {
        IntegId::HMAC_MD5_96 | IntegId::HMAC_MD5_128 => PrfId::HMAC_MD5,
        IntegId::HMAC_SHA1_96 | IntegId::HMAC_SHA1_160 => PrfId::HMAC_SHA1,
        IntegId::HMAC_SHA2_256_128 => PrfId::HMAC_SHA2_256,
        IntegId::HMAC_SHA2_384_192 => PrfId::HMAC_SHA2_384,
        IntegId::HMAC_SHA2_512_256 => PrfId::HMAC_SHA2_512,
        IntegId::AES_XCBC_96 => PrfId::AES128_XCBC,
        IntegId::AES_CMAC_96 => PrfId::AES128_CMAC,
        _ => return None,
    })
}

fn implied_prfs(integ: &[IntegId]) -> Vec<PrfId> {
    let mut out = Vec::new();
    for p in integ.iter().filter_map(|i| prf_for(*i)) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// ICV suffixes of the CCM/GCM keywords: `8`/`64`, `12`/`96`, `16`/`128`/none.
fn icv_variant(suffix: &str) -> Option<usize> {
    match suffix {
        "8" | "64" => Some(0),
        "12" | "96" => Some(1),
        "16" | "128" | "" => Some(2),
        _ => None,
    }
}

/// A mode suffix and its IDs for ICV 8, 12, 16 (the same ID thrice for modes without ICV).
type Mode = (&'static str, [EncrId; 3]);

/// Cipher families whose keywords are `<family><bits><mode><icv>`.
const FAMILIES: &[(&str, &[Mode])] = &[
    (
        "aes",
        &[
            (
                "gcm",
                [EncrId::AES_GCM_8, EncrId::AES_GCM_12, EncrId::AES_GCM_16],
            ),
            (
                "ccm",
                [EncrId::AES_CCM_8, EncrId::AES_CCM_12, EncrId::AES_CCM_16],
            ),
            ("ctr", [EncrId::AES_CTR; 3]),
            ("gmac", [EncrId::NULL_AUTH_AES_GMAC; 3]),
            ("", [EncrId::AES_CBC; 3]),
        ],
    ),
    (
        "camellia",
        &[
            (
                "ccm",
                [
                    EncrId::CAMELLIA_CCM_8,
                    EncrId::CAMELLIA_CCM_12,
                    EncrId::CAMELLIA_CCM_16,
                ],
            ),
            ("ctr", [EncrId::CAMELLIA_CTR; 3]),
            ("", [EncrId::CAMELLIA_CBC; 3]),
        ],
    ),
];

fn parse_encr(t: &str) -> Option<Encryption> {
    let fixed = match t {
        "null" => Some(EncrId::NULL),
        "des" => Some(EncrId::DES),
        "3des" => Some(EncrId::TRIPLE_DES),
        "chacha20poly1305" => Some(EncrId::CHACHA20_POLY1305),
        _ => None,
    };
    if let Some(id) = fixed {
        return Some(Encryption::new(id, None));
    }
    match t {
        "aes" => return Some(Encryption::new(EncrId::AES_CBC, Some(128))),
        "camellia" => return Some(Encryption::new(EncrId::CAMELLIA_CBC, Some(128))),
        "cast128" => return Some(Encryption::new(EncrId::CAST, Some(128))),
        "blowfish" => return Some(Encryption::new(EncrId::BLOWFISH, Some(128))),
        _ => {}
    }
    if let Some(bits) = t.strip_prefix("blowfish") {
        let bits = bits.parse().ok().filter(|b| [128, 192, 256].contains(b))?;
        return Some(Encryption::new(EncrId::BLOWFISH, Some(bits)));
    }
    for (family, modes) in FAMILIES {
        let Some(rest) = t.strip_prefix(family) else {
            continue;
        };
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let bits: u16 = rest[..digits].parse().ok()?;
        if ![128, 192, 256].contains(&bits) {
            return None;
        }
        let tail = &rest[digits..];
        for (mode, ids) in *modes {
            let Some(icv) = tail.strip_prefix(mode) else {
                continue;
            };
            let id = match *mode {
                "gcm" | "ccm" => ids[icv_variant(icv)?],
                _ if icv.is_empty() => ids[0],
                _ => continue,
            };
            return Some(Encryption::new(id, Some(bits)));
        }
        return None;
    }
    None
}

fn print_encr(e: Encryption) -> Option<String> {
    let fixed = match e.id {
        EncrId::NULL => Some("null"),
        EncrId::DES => Some("des"),
        EncrId::TRIPLE_DES => Some("3des"),
        EncrId::CHACHA20_POLY1305 => Some("chacha20poly1305"),
        _ => None,
    };
    if let Some(name) = fixed {
        return e.key_bits.is_none().then(|| name.to_owned());
    }
    let bits = e.key_bits.filter(|b| [128, 192, 256].contains(b))?;
    if e.id == EncrId::CAST {
        return (bits == 128).then(|| "cast128".to_owned());
    }
    if e.id == EncrId::BLOWFISH {
        return Some(format!("blowfish{bits}"));
    }
    for (family, modes) in FAMILIES {
        for (mode, ids) in *modes {
            if let Some(i) = ids.iter().position(|id| *id == e.id) {
                let icv = match *mode {
                    "gcm" | "ccm" => ["8", "12", "16"][i],
                    _ => "",
                };
                return Some(format!("{family}{bits}{mode}{icv}"));
            }
        }
    }
    None
}

fn lookup<T: Copy>(table: &[(&str, T)], t: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == t).map(|(_, v)| *v)
}

/// The first (canonical) keyword of a value.
fn keyword<T: Copy + PartialEq>(table: &[(&'static str, T)], v: T) -> Option<&'static str> {
    table.iter().find(|(_, x)| *x == v).map(|(n, _)| *n)
}

fn classify(t: &str) -> Option<Token> {
    if let Some(e) = parse_encr(t) {
        return Some(Token::Encr(e));
    }
    lookup(INTEG, t)
        .map(Token::Integ)
        .or_else(|| lookup(PRF, t).map(Token::Prf))
        .or_else(|| lookup(KE, t).map(Token::Ke))
        .or_else(|| lookup(ESN, t).map(Token::Esn))
}

struct Parsed {
    encryption: Vec<Encryption>,
    integrity: Vec<(IntegId, String)>,
    prf: Vec<(PrfId, String, usize)>,
    ke: Vec<(KeMethod, String, usize)>,
    esn: Vec<(EsnId, String, usize)>,
}

fn tokenize(input: &str) -> Result<Parsed, ProposalError> {
    let err = |kind| ProposalError {
        input: input.to_owned(),
        kind,
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(err(ProposalErrorKind::Empty));
    }
    let mut p = Parsed {
        encryption: Vec::new(),
        integrity: Vec::new(),
        prf: Vec::new(),
        ke: Vec::new(),
        esn: Vec::new(),
    };
    for (index, raw) in s.split('-').enumerate() {
        let token = raw.trim().to_ascii_lowercase();
        if token.is_empty() {
            return Err(err(ProposalErrorKind::EmptyToken { index }));
        }
        match classify(&token) {
            Some(Token::Encr(e)) => p.encryption.push(e),
            Some(Token::Integ(i)) => p.integrity.push((i, token)),
            Some(Token::Prf(f)) => p.prf.push((f, token, index)),
            Some(Token::Ke(k)) => p.ke.push((k, token, index)),
            Some(Token::Esn(e)) => p.esn.push((e, token, index)),
            None => {
                return Err(err(ProposalErrorKind::UnknownToken {
                    token: raw.trim().to_owned(),
                    index,
                }))
            }
        }
    }
    // Cipher family consistency, common to IKE and ESP.
    let aead = p.encryption.iter().filter(|e| e.is_aead()).count();
    if p.encryption.is_empty() {
        return Err(err(ProposalErrorKind::MissingEncryption));
    }
    if aead != 0 && aead != p.encryption.len() {
        return Err(err(ProposalErrorKind::MixedAead));
    }
    if aead != 0 {
        if let Some((_, token)) = p.integrity.first() {
            return Err(err(ProposalErrorKind::AeadWithIntegrity {
                token: token.clone(),
            }));
        }
    }
    Ok(p)
}

/// Parses an IKE proposal string.
pub fn parse_ike(input: &str) -> Result<IkeProposal, ProposalError> {
    let err = |kind| ProposalError {
        input: input.to_owned(),
        kind,
    };
    let p = tokenize(input)?;
    if let Some((_, token, index)) = p.esn.first() {
        return Err(err(ProposalErrorKind::EsnInIke {
            token: token.clone(),
            index: *index,
        }));
    }
    if let Some((_, token, index)) = p.ke.iter().find(|(k, _, _)| *k == KeMethod::NONE) {
        return Err(err(ProposalErrorKind::KeNoneInIke {
            token: token.clone(),
            index: *index,
        }));
    }
    let aead = p.encryption.iter().all(Encryption::is_aead);
    if !aead && p.integrity.is_empty() {
        return Err(err(ProposalErrorKind::MissingIntegrity));
    }
    let integrity: Vec<IntegId> = p.integrity.iter().map(|(i, _)| *i).collect();
    let prf = if p.prf.is_empty() {
        implied_prfs(&integrity)
    } else {
        p.prf.iter().map(|(f, _, _)| *f).collect()
    };
    if prf.is_empty() {
        return Err(err(ProposalErrorKind::MissingPrf));
    }
    if p.ke.is_empty() {
        return Err(err(ProposalErrorKind::MissingKe));
    }
    Ok(IkeProposal {
        encryption: p.encryption,
        integrity,
        prf,
        ke: p.ke.iter().map(|(k, _, _)| *k).collect(),
    })
}

/// Parses an ESP proposal string.
pub fn parse_esp(input: &str) -> Result<ChildProposal, ProposalError> {
    let p = tokenize(input)?;
    if let Some((_, token, index)) = p.prf.first() {
        return Err(ProposalError {
            input: input.to_owned(),
            kind: ProposalErrorKind::PrfInEsp {
                token: token.clone(),
                index: *index,
            },
        });
    }
    let esn = if p.esn.is_empty() {
        vec![EsnId::NO_ESN]
    } else {
        p.esn.iter().map(|(e, _, _)| *e).collect()
    };
    Ok(ChildProposal {
        encryption: p.encryption,
        integrity: p.integrity.iter().map(|(i, _)| *i).collect(),
        ke: p.ke.iter().map(|(k, _, _)| *k).collect(),
        esn,
    })
}

struct Printer {
    input: String,
    keywords: Vec<String>,
}

impl Printer {
    fn new(what: impl fmt::Display) -> Self {
        Self {
            input: what.to_string(),
            keywords: Vec::new(),
        }
    }

    fn fail(&self, what: String) -> ProposalError {
        ProposalError {
            input: self.input.clone(),
            kind: ProposalErrorKind::NoKeyword { what },
        }
    }

    fn encr(&mut self, list: &[Encryption]) -> Result<(), ProposalError> {
        for e in list {
            let kw = print_encr(*e).ok_or_else(|| {
                self.fail(match e.key_bits {
                    Some(b) => format!("{:?} with a {b}-bit key", e.id),
                    None => format!("{:?} without a key length", e.id),
                })
            })?;
            self.keywords.push(kw);
        }
        Ok(())
    }

    fn table<T: Copy + PartialEq + fmt::Debug>(
        &mut self,
        table: &[(&'static str, T)],
        list: &[T],
    ) -> Result<(), ProposalError> {
        for v in list {
            let kw = keyword(table, *v).ok_or_else(|| self.fail(format!("{v:?}")))?;
            self.keywords.push(kw.to_owned());
        }
        Ok(())
    }

    fn finish(self) -> String {
        self.keywords.join("-")
    }
}

/// The strongSwan string of an IKE proposal.
pub fn print_ike(p: &IkeProposal) -> Result<String, ProposalError> {
    let mut out = Printer::new(format_args!(
        "IKE proposal with {} encryption transforms",
        p.encryption.len()
    ));
    out.encr(&p.encryption)?;
    out.table(INTEG, &p.integrity)?;
    if p.integrity.is_empty() || implied_prfs(&p.integrity) != p.prf {
        out.table(PRF, &p.prf)?;
    }
    out.table(KE, &p.ke)?;
    Ok(out.finish())
}

/// The strongSwan string of an ESP proposal.
pub fn print_esp(p: &ChildProposal) -> Result<String, ProposalError> {
    let mut out = Printer::new(format_args!(
        "ESP proposal with {} encryption transforms",
        p.encryption.len()
    ));
    out.encr(&p.encryption)?;
    out.table(INTEG, &p.integrity)?;
    out.table(KE, &p.ke)?;
    if p.esn != [EsnId::NO_ESN] {
        out.table(ESN, &p.esn)?;
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: EncrId, bits: u16) -> Encryption {
        Encryption::new(id, Some(bits))
    }

    #[test]
    fn parses_the_common_ike_proposals() {
        let p = parse_ike("aes256gcm16-prfsha384-ecp384").unwrap();
        assert_eq!(p.encryption, [e(EncrId::AES_GCM_16, 256)]);
        assert!(p.integrity.is_empty());
        assert_eq!(p.prf, [PrfId::HMAC_SHA2_384]);
        assert_eq!(p.ke, [KeMethod::ECP_384]);

        let p = parse_ike("aes256-sha256-modp2048").unwrap();
        assert_eq!(p.encryption, [e(EncrId::AES_CBC, 256)]);
        assert_eq!(p.integrity, [IntegId::HMAC_SHA2_256_128]);
        assert_eq!(p.prf, [PrfId::HMAC_SHA2_256], "PRF implied by sha256");
        assert_eq!(p.ke, [KeMethod::MODP_2048]);

        let p = parse_ike("chacha20poly1305-prfsha256-x25519").unwrap();
        assert_eq!(
            p.encryption,
            [Encryption::new(EncrId::CHACHA20_POLY1305, None)]
        );
        assert_eq!(p.ke, [KeMethod::CURVE25519]);

        let p = parse_ike("3des-sha1-modp1024").unwrap();
        assert_eq!(p.encryption, [Encryption::new(EncrId::TRIPLE_DES, None)]);
        assert_eq!(p.integrity, [IntegId::HMAC_SHA1_96]);
        assert_eq!(p.prf, [PrfId::HMAC_SHA1]);
        assert_eq!(p.ke, [KeMethod::MODP_1024]);

        // Several of each type, ordered; aliases and upper case.
        let p = parse_ike("AES128-aes-aes256-SHA2_256-sha1-prfsha1-curve25519-ecp256").unwrap();
        assert_eq!(
            p.encryption,
            [
                e(EncrId::AES_CBC, 128),
                e(EncrId::AES_CBC, 128),
                e(EncrId::AES_CBC, 256)
            ]
        );
        assert_eq!(p.prf, [PrfId::HMAC_SHA1], "explicit PRF replaces implied");
        assert_eq!(p.ke, [KeMethod::CURVE25519, KeMethod::ECP_256]);
    }

    #[test]
    fn parses_esp_proposals() {
        let p = parse_esp("aes256gcm16").unwrap();
        assert_eq!(p.encryption, [e(EncrId::AES_GCM_16, 256)]);
        assert!(p.integrity.is_empty() && p.ke.is_empty());
        assert_eq!(p.esn, [EsnId::NO_ESN]);

        let p = parse_esp("aes256-sha256-modp2048").unwrap();
        assert_eq!(p.integrity, [IntegId::HMAC_SHA2_256_128]);
        assert_eq!(p.ke, [KeMethod::MODP_2048], "PFS group");

        let p = parse_esp("aes128gcm64-aes192gcm96-aes256gcm128-aes128gcm-modp2048-modpnone-esn")
            .unwrap();
        assert_eq!(
            p.encryption,
            [
                e(EncrId::AES_GCM_8, 128),
                e(EncrId::AES_GCM_12, 192),
                e(EncrId::AES_GCM_16, 256),
                e(EncrId::AES_GCM_16, 128)
            ]
        );
        assert_eq!(p.ke, [KeMethod::MODP_2048, KeMethod::NONE]);
        assert_eq!(p.esn, [EsnId::ESN]);

        let p = parse_esp("aes128gmac").unwrap();
        assert_eq!(p.encryption, [e(EncrId::NULL_AUTH_AES_GMAC, 128)]);
        let p = parse_esp("null-sha256").unwrap();
        assert_eq!(p.encryption, [Encryption::new(EncrId::NULL, None)]);
    }

    #[test]
    fn errors_name_the_bad_token() {
        let msg = |r: Result<IkeProposal, ProposalError>| r.unwrap_err().to_string();
        assert_eq!(
            msg(parse_ike("aes257-sha256-modp2048")),
            "proposal \"aes257-sha256-modp2048\": unknown algorithm \"aes257\" at position 0"
        );
        assert!(msg(parse_ike("aes256-sha256-modp2047")).contains("\"modp2047\" at position 2"));
        assert!(msg(parse_ike("aes256--modp2048")).contains("empty keyword at position 1"));
        assert!(msg(parse_ike("aes256gcm16-ecp256")).contains("must name one"));
        assert!(msg(parse_ike("aes256-prfsha256-ecp256")).contains("no integrity"));
        assert!(msg(parse_ike("aes256gcm16-prfsha256")).contains("no key exchange"));
        assert!(msg(parse_ike("sha256-modp2048")).contains("no encryption"));
        assert!(msg(parse_ike("aes256gcm16-sha256-prfsha256-ecp256"))
            .contains("integrity algorithm \"sha256\" with an AEAD"));
        assert!(msg(parse_ike("aes256gcm16-aes256-sha256-ecp256")).contains("two proposals"));
        assert!(msg(parse_ike("aes256-sha256-ecp256-esn")).contains("\"esn\" at position 3"));
        assert!(msg(parse_ike("aes256-sha256-modpnone")).contains("real key exchange"));
        assert!(msg(parse_ike("")).contains("empty proposal"));
        let e = parse_esp("aes256-sha256-prfsha256").unwrap_err();
        assert!(matches!(
            e.kind,
            ProposalErrorKind::PrfInEsp { index: 2, .. }
        ));
        assert!(parse_esp("aes256gcm17").is_err());
        assert!(parse_esp("aes512").is_err());
        assert!(parse_esp("aes128ctr16").is_err());
    }

    #[test]
    fn printing_round_trips() {
        for s in [
            "aes256gcm16-prfsha384-ecp384",
            "aes256-sha256-modp2048",
            "chacha20poly1305-prfsha256-x25519",
            "3des-sha1-modp1024",
            "aes128-aes256-sha256-sha384-prfsha512-ecp256-modp3072",
            "aes128ccm8-aes256ccm12-prfaescmac-x448-ecp512bp",
            "camellia256-aesxcbc-modp2048s256",
        ] {
            let p = parse_ike(s).unwrap();
            assert_eq!(print_ike(&p).unwrap(), s);
        }
        for s in [
            "aes256gcm16",
            "aes256-sha256-modp2048",
            "aes128gmac-esn",
            "aes192ctr-sha512-none-esn-noesn",
            "chacha20poly1305-x25519",
        ] {
            let p = parse_esp(s).unwrap();
            assert_eq!(print_esp(&p).unwrap(), s);
        }
        // Aliases print in canonical form.
        let p = parse_ike("aes-sha-prfsha1-curve25519").unwrap();
        assert_eq!(print_ike(&p).unwrap(), "aes128-sha1-x25519");
        let p = parse_esp("aes256gcm128-noesn").unwrap();
        assert_eq!(print_esp(&p).unwrap(), "aes256gcm16");
    }

    #[test]
    fn unprintable_proposals_say_why() {
        let p = IkeProposal {
            encryption: vec![Encryption::new(EncrId::AES_CBC, None)],
            integrity: vec![IntegId::HMAC_SHA2_256_128],
            prf: vec![PrfId::HMAC_SHA2_256],
            ke: vec![KeMethod::MODP_2048],
        };
        let err = print_ike(&p).unwrap_err();
        assert!(
            err.to_string()
                .contains("ENCR_AES_CBC without a key length"),
            "{err}"
        );
        let p = IkeProposal {
            ke: vec![KeMethod(1025)],
            encryption: vec![Encryption::new(EncrId::AES_CBC, Some(128))],
            ..p
        };
        assert!(print_ike(&p)
            .unwrap_err()
            .to_string()
            .contains("KeMethod(1025) has no strongSwan keyword"));
    }
}
