//! SA parameter dictionaries → one IKE and one ESP proposal (rules LW-ENCR … LW-PFS).

use ikelab_policy::{ChildProposal, Encryption, IkeProposal};
use ikelab_wire::iana::{EncrId, EsnId, IntegId, KeMethod, PrfId};
use plist::Dictionary;

use super::Sink;
use crate::read::xmlpos::join;

/// The four values of one SA parameter dictionary, after defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaParams {
    pub encryption: Encryption,
    pub integrity: IntegId,
    pub prf: PrfId,
    pub dh: KeMethod,
    pub lifetime_min: u32,
}

/// Apple's EncryptionAlgorithm values (schema rangelist) and their ENCR transform (LW-ENCR).
pub fn encryption(v: &str) -> Option<Encryption> {
    Some(match v {
        "DES" => Encryption::new(EncrId::DES, None),
        "3DES" => Encryption::new(EncrId::TRIPLE_DES, None),
        "AES-128" => Encryption::new(EncrId::AES_CBC, Some(128)),
        "AES-256" => Encryption::new(EncrId::AES_CBC, Some(256)),
        "AES-128-GCM" => Encryption::new(EncrId::AES_GCM_16, Some(128)),
        "AES-256-GCM" => Encryption::new(EncrId::AES_GCM_16, Some(256)),
        "ChaCha20Poly1305" => Encryption::new(EncrId::CHACHA20_POLY1305, None),
        _ => return None,
    })
}

/// Apple's IntegrityAlgorithm values → INTEG (LW-INTEG) and the PRF it implies (LW-PRF).
pub fn integrity(v: &str) -> Option<(IntegId, PrfId)> {
    Some(match v {
        "SHA1-96" => (IntegId::HMAC_SHA1_96, PrfId::HMAC_SHA1),
        "SHA1-160" => (IntegId::HMAC_SHA1_160, PrfId::HMAC_SHA1),
        "SHA2-256" => (IntegId::HMAC_SHA2_256_128, PrfId::HMAC_SHA2_256),
        "SHA2-384" => (IntegId::HMAC_SHA2_384_192, PrfId::HMAC_SHA2_384),
        "SHA2-512" => (IntegId::HMAC_SHA2_512_256, PrfId::HMAC_SHA2_512),
        _ => return None,
    })
}

/// The schema's DiffieHellmanGroup rangelist (LW-DH).
pub const DH_GROUPS: &[i64] = &[1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 31, 32];

pub const DEFAULT_ENCRYPTION: &str = "AES-256";
pub const DEFAULT_INTEGRITY: &str = "SHA2-256";
pub const DEFAULT_DH: u16 = 14;
pub const DEFAULT_LIFETIME_MIN: u32 = 1440;

/// Reads one SA dictionary (`path` is its key path; `dict` absent = all defaults).
pub fn sa_params(sink: &mut Sink, path: &str, dict: Option<&Dictionary>) -> SaParams {
    let empty = Dictionary::new();
    let d = dict.unwrap_or(&empty);
    let enc_path = join(path, "EncryptionAlgorithm");
    let encryption = match d.get("EncryptionAlgorithm") {
        None => encryption(DEFAULT_ENCRYPTION),
        Some(v) => match v.as_string().and_then(encryption) {
            Some(e) => Some(e),
            None => {
                sink.invalid(&enc_path, v, DEFAULT_ENCRYPTION);
                encryption(DEFAULT_ENCRYPTION)
            }
        },
    }
    .unwrap_or(Encryption::new(EncrId::AES_CBC, Some(256)));
    let int_path = join(path, "IntegrityAlgorithm");
    let (integ, prf) = match d.get("IntegrityAlgorithm") {
        None => integrity(DEFAULT_INTEGRITY),
        Some(v) => match v.as_string().and_then(integrity) {
            Some(p) => Some(p),
            None => {
                sink.invalid(&int_path, v, DEFAULT_INTEGRITY);
                integrity(DEFAULT_INTEGRITY)
            }
        },
    }
    .unwrap_or((IntegId::HMAC_SHA2_256_128, PrfId::HMAC_SHA2_256));
    let dh_path = join(path, "DiffieHellmanGroup");
    let dh = match d.get("DiffieHellmanGroup") {
        None => DEFAULT_DH,
        Some(v) => match crate::check::value::int_value(v).filter(|g| DH_GROUPS.contains(g)) {
            Some(g) => u16::try_from(g).unwrap_or(DEFAULT_DH),
            None => {
                sink.invalid(&dh_path, v, "14");
                DEFAULT_DH
            }
        },
    };
    let life_path = join(path, "LifeTimeInMinutes");
    let lifetime_min = match d.get("LifeTimeInMinutes") {
        None => DEFAULT_LIFETIME_MIN,
        Some(v) => match crate::check::value::int_value(v).filter(|m| (10..=1440).contains(m)) {
            Some(m) => u32::try_from(m).unwrap_or(DEFAULT_LIFETIME_MIN),
            None => {
                sink.invalid(&life_path, v, "1440");
                DEFAULT_LIFETIME_MIN
            }
        },
    };
    SaParams {
        encryption,
        integrity: integ,
        prf,
        dh: KeMethod(dh),
        lifetime_min,
    }
}

/// The IKE proposal: ENCR, PRF, INTEG unless AEAD, KE (LW-ENCR/INTEG/AEAD/PRF/DH/ONE).
pub fn ike_proposal(sink: &mut Sink, p: &SaParams) -> IkeProposal {
    for r in ["LW-ENCR", "LW-PRF", "LW-DH", "LW-ONE"] {
        sink.apply("ike_proposals", r);
    }
    let integrity = if p.encryption.is_aead() {
        sink.apply("ike_proposals", "LW-AEAD");
        Vec::new()
    } else {
        sink.apply("ike_proposals", "LW-INTEG");
        vec![p.integrity]
    };
    IkeProposal {
        encryption: vec![p.encryption],
        integrity,
        prf: vec![p.prf],
        ke: vec![p.dh],
    }
}

/// The ESP proposal: ENCR, INTEG unless AEAD, KE only with PFS, NO_ESN.
pub fn esp_proposal(sink: &mut Sink, p: &SaParams, pfs: bool) -> ChildProposal {
    for r in ["LW-ENCR", "LW-ESN", "LW-PFS", "LW-ONE"] {
        sink.apply("esp_proposals", r);
    }
    let integrity = if p.encryption.is_aead() {
        sink.apply("esp_proposals", "LW-AEAD");
        Vec::new()
    } else {
        sink.apply("esp_proposals", "LW-INTEG");
        vec![p.integrity]
    };
    let ke = if pfs {
        sink.apply("esp_proposals", "LW-DH");
        vec![p.dh]
    } else {
        Vec::new()
    };
    ChildProposal {
        encryption: vec![p.encryption],
        integrity,
        ke,
        esn: vec![EsnId::NO_ESN],
    }
}
