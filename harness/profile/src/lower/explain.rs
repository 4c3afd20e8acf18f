//! Profile vs gateway: the proposal intersection (RFC 7296 §2.7, §3.3.6: the responder picks one
//! offered proposal whose every transform type has a transform it accepts), identity and auth
//! compatibility, and a one-sentence explanation of a mismatch.

use ikelab_policy::{ChildProposal, Encryption, IkeProposal};
use serde::Serialize;

use super::gateway::{ClientAuth, Gateway, GatewayAuth};
use super::{LocalMethod, LoweredPayload, RemoteMethod};

/// The outcome of comparing a lowered payload with a gateway.
#[derive(Debug, Clone, Serialize)]
pub struct Compatibility {
    /// The IKE proposal the gateway would select (strongSwan string).
    pub ike: Option<String>,
    /// The first CHILD_SA's ESP proposal (KE transforms play no part in IKE_AUTH).
    pub esp: Option<String>,
    /// CREATE_CHILD_SA rekeys with the profile's PFS group are also accepted.
    pub rekey_ok: bool,
    pub identity_ok: bool,
    pub auth_ok: bool,
    /// Every problem, one sentence each; warnings that do not stop the connection included.
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    /// One sentence: why it fails, or what it negotiates.
    pub explanation: String,
}

impl Compatibility {
    pub fn ok(&self) -> bool {
        self.ike.is_some() && self.esp.is_some() && self.identity_ok && self.auth_ok
    }
}

fn enc_name(e: &Encryption) -> String {
    let base = e.id.name().map_or_else(
        || e.id.0.to_string(),
        |n| n.trim_start_matches("ENCR_").to_string(),
    );
    match e.key_bits {
        Some(k) => format!("{base}_{k}"),
        None => base,
    }
}

/// `AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048`.
pub fn describe_ike(p: &IkeProposal) -> String {
    let mut parts: Vec<String> = p.encryption.iter().map(enc_name).collect();
    parts.extend(p.integrity.iter().map(|i| {
        i.name().map_or_else(
            || i.0.to_string(),
            |n| n.trim_start_matches("AUTH_").to_string(),
        )
    }));
    parts.extend(
        p.prf
            .iter()
            .map(|i| i.name().map_or_else(|| i.0.to_string(), str::to_string)),
    );
    parts.extend(
        p.ke.iter()
            .map(|i| i.name().map_or_else(|| i.0.to_string(), str::to_string)),
    );
    parts.join("/")
}

pub fn describe_esp(p: &ChildProposal) -> String {
    let mut parts: Vec<String> = p.encryption.iter().map(enc_name).collect();
    parts.extend(p.integrity.iter().map(|i| {
        i.name().map_or_else(
            || i.0.to_string(),
            |n| n.trim_start_matches("AUTH_").to_string(),
        )
    }));
    parts.extend(
        p.ke.iter()
            .map(|i| i.name().map_or_else(|| i.0.to_string(), str::to_string)),
    );
    parts.join("/")
}

fn first_common<T: PartialEq + Copy>(ours: &[T], theirs: &[T]) -> Option<T> {
    ours.iter().find(|o| theirs.contains(o)).copied()
}

/// The integrity transforms two proposals agree on: none when ours has none and the
/// gateway has none too or the cipher is an AEAD, else the first in common (`None`: no match).
fn select_integrity<T: PartialEq + Copy>(
    ours: &[T],
    theirs: &[T],
    encryption: Encryption,
) -> Option<Vec<T>> {
    if ours.is_empty() && (theirs.is_empty() || encryption.is_aead()) {
        Some(Vec::new())
    } else {
        first_common(ours, theirs).map(|i| vec![i])
    }
}

/// The IKE proposal a responder configured with `gw` selects from `ours`.
pub fn select_ike(ours: &[IkeProposal], gw: &[IkeProposal]) -> Option<IkeProposal> {
    for o in ours {
        for g in gw {
            let Some(e) = first_common(&o.encryption, &g.encryption) else {
                continue;
            };
            let Some(integrity) = select_integrity(&o.integrity, &g.integrity, e) else {
                continue;
            };
            let (Some(prf), Some(ke)) = (first_common(&o.prf, &g.prf), first_common(&o.ke, &g.ke))
            else {
                continue;
            };
            return Some(IkeProposal {
                encryption: vec![e],
                integrity,
                prf: vec![prf],
                ke: vec![ke],
            });
        }
    }
    None
}

/// The ESP proposal selected for a CHILD_SA; `with_ke`: a CREATE_CHILD_SA with PFS, where
/// the KE transform must match too.
pub fn select_esp(
    ours: &[ChildProposal],
    gw: &[ChildProposal],
    with_ke: bool,
) -> Option<ChildProposal> {
    for o in ours {
        for g in gw {
            let Some(e) = first_common(&o.encryption, &g.encryption) else {
                continue;
            };
            let Some(integrity) = select_integrity(&o.integrity, &g.integrity, e) else {
                continue;
            };
            let Some(esn) = first_common(&o.esn, &g.esn) else {
                continue;
            };
            let ke = if with_ke && !o.ke.is_empty() {
                match first_common(&o.ke, &g.ke) {
                    Some(k) => vec![k],
                    None => continue,
                }
            } else {
                Vec::new()
            };
            return Some(ChildProposal {
                encryption: vec![e],
                integrity,
                ke,
                esn: vec![esn],
            });
        }
    }
    None
}

fn accepts_list(v: &[String]) -> String {
    if v.is_empty() {
        return "nothing (no proposals)".into();
    }
    if v.len() <= 4 {
        return v.join(", ");
    }
    format!("{} and {} more", v[..4].join(", "), v.len() - 4)
}

/// Which transform types of ours no gateway proposal has at all.
fn missing_ike(o: &IkeProposal, gw: &[IkeProposal]) -> Vec<String> {
    let mut m = Vec::new();
    if !o
        .encryption
        .iter()
        .any(|e| gw.iter().any(|g| g.encryption.contains(e)))
    {
        m.push(format!(
            "encryption {}",
            o.encryption
                .iter()
                .map(enc_name)
                .collect::<Vec<_>>()
                .join("/")
        ));
    }
    if !o.integrity.is_empty()
        && !o
            .integrity
            .iter()
            .any(|e| gw.iter().any(|g| g.integrity.contains(e)))
    {
        m.push("integrity algorithm".into());
    }
    if !o.prf.iter().any(|e| gw.iter().any(|g| g.prf.contains(e))) {
        m.push(format!(
            "PRF {}",
            o.prf
                .iter()
                .map(|p| p.name().map_or_else(|| p.0.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("/")
        ));
    }
    if !o.ke.iter().any(|e| gw.iter().any(|g| g.ke.contains(e))) {
        m.push(format!(
            "key exchange {}",
            o.ke.iter()
                .map(|k| k.name().map_or_else(|| k.0.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("/")
        ));
    }
    m
}

/// Compares one lowered payload with a gateway.
pub fn compare(p: &LoweredPayload, gw: &Gateway) -> Compatibility {
    let ours_ike: Vec<IkeProposal> = p
        .ike_proposals
        .iter()
        .filter_map(|x| IkeProposal::parse(&x.strongswan).ok())
        .collect();
    let ours_esp: Vec<ChildProposal> = p
        .esp_proposals
        .iter()
        .filter_map(|x| ChildProposal::parse(&x.strongswan).ok())
        .collect();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let gw_ike: Vec<String> = gw.ike_proposals.iter().map(ToString::to_string).collect();
    let gw_esp: Vec<String> = gw.esp_proposals.iter().map(ToString::to_string).collect();
    let ours_ike_text = ours_ike
        .iter()
        .map(describe_ike)
        .collect::<Vec<_>>()
        .join(" or ");
    let ike = select_ike(&ours_ike, &gw.ike_proposals);
    if ike.is_none() {
        let missing: Vec<String> = ours_ike
            .first()
            .map(|o| missing_ike(o, &gw.ike_proposals))
            .unwrap_or_default();
        let why = if missing.is_empty() {
            "no single gateway proposal combines its transforms".to_string()
        } else {
            format!("no gateway proposal has its {}", missing.join(" or "))
        };
        problems.push(format!(
            "the profile proposes only {ours_ike_text} for the IKE SA; the gateway accepts {} — {why}, so IKE_SA_INIT fails with NO_PROPOSAL_CHOSEN",
            accepts_list(&gw_ike)
        ));
    }
    let esp = select_esp(&ours_esp, &gw.esp_proposals, false);
    if esp.is_none() {
        problems.push(format!(
            "the profile proposes only {} for ESP; the gateway accepts {} — the CHILD_SA in IKE_AUTH fails with NO_PROPOSAL_CHOSEN",
            ours_esp.iter().map(describe_esp).collect::<Vec<_>>().join(" or "),
            accepts_list(&gw_esp)
        ));
    }
    let rekey_ok = !p.pfs || select_esp(&ours_esp, &gw.esp_proposals, true).is_some();
    if esp.is_some() && !rekey_ok {
        warnings.push(format!(
            "with PFS the profile's CHILD_SA rekeys propose {}; the gateway accepts {} — the first CHILD_SA comes up, its rekey fails",
            ours_esp.iter().map(describe_esp).collect::<Vec<_>>().join(" or "),
            accepts_list(&gw_esp)
        ));
    }

    // Identities: the device checks IDr against RemoteIdentifier; the gateway checks IDi.
    let mut identity_ok = true;
    if let (Some(gid), Some(want)) = (
        &gw.id,
        p.remote_id.as_ref().and_then(|r| r.identity.as_ref()),
    ) {
        if !gid.same_as(want) {
            identity_ok = false;
            problems.push(format!(
                "the profile expects the gateway to identify as {want} ({}) but the gateway sends {gid} ({})",
                p.remote_id.as_ref().map_or("", |r| r.id_type),
                gid.id_type.name().unwrap_or("?")
            ));
        }
    }
    match (p.local_id.as_ref().and_then(|l| l.identity.as_ref()), gw.accepts.exact()) {
        (Some(ours), Some(_)) if !gw.accepts.matches(ours) => {
            identity_ok = false;
            problems.push(format!("the device sends IDi {ours} but the gateway only accepts {}", gw.accepts));
        }
        (None, Some(_)) => warnings.push(format!(
            "the device identifies with its own IP address (empty LocalIdentifier); the gateway only accepts {}",
            gw.accepts
        )),
        _ => {}
    }

    // Authentication, both directions.
    let mut auth_ok = true;
    let local_ok = matches!(
        (&p.auth.local_method, gw.client_auth),
        (LocalMethod::Psk, ClientAuth::Psk)
            | (LocalMethod::Signature { .. }, ClientAuth::Pubkey)
            | (
                LocalMethod::EapMschapv2,
                ClientAuth::EapMschapv2 | ClientAuth::EapAny
            )
            | (LocalMethod::EapTls, ClientAuth::EapTls | ClientAuth::EapAny)
    );
    if !local_ok {
        auth_ok = false;
        problems.push(format!(
            "the device authenticates with {} but the gateway expects {} from clients",
            p.auth.local,
            gw.client_auth.label()
        ));
    }
    let remote_ok = matches!(
        (p.auth.remote_method, gw.auth),
        (RemoteMethod::Psk, GatewayAuth::Psk) | (RemoteMethod::Signature, GatewayAuth::Pubkey)
    );
    if !remote_ok {
        auth_ok = false;
        problems.push(format!(
            "the device expects the gateway to authenticate with {} but it uses {}",
            p.auth.remote,
            gw.auth.label()
        ));
    }
    let explanation = match (problems.first(), &ike, &esp) {
        (Some(first), _, _) => first.clone(),
        (None, Some(i), Some(e)) => format!(
            "compatible: IKE {} and ESP {}, device auth {}, gateway auth {}",
            i,
            e,
            p.auth.local,
            gw.auth.label()
        ),
        _ => "no proposal selected".into(),
    };
    Compatibility {
        ike: ike.map(|i| i.to_string()),
        esp: esp.map(|e| e.to_string()),
        rekey_ok,
        identity_ok,
        auth_ok,
        problems,
        warnings,
        explanation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ike(v: &[&str]) -> Vec<IkeProposal> {
        v.iter().map(|s| IkeProposal::parse(s).unwrap()).collect()
    }

    #[test]
    fn selection_follows_the_initiator_order_and_needs_every_type() {
        let ours = ike(&["aes256-sha256-modp2048"]);
        let gw = ike(&[
            "aes128-sha256-modp2048",
            "aes256-aes128-sha1-sha256-ecp256-modp2048",
        ]);
        assert_eq!(
            select_ike(&ours, &gw).unwrap().to_string(),
            "aes256-sha256-modp2048"
        );
        assert!(select_ike(&ours, &ike(&["aes256-sha256-ecp256"])).is_none());
        let aead = ike(&["aes256gcm16-prfsha384-ecp384"]);
        assert!(select_ike(&aead, &ike(&["aes256gcm16-prfsha384-ecp384"])).is_some());
        assert!(select_ike(&aead, &ike(&["aes256-sha384-ecp384"])).is_none());
        let esp = |s: &str| ChildProposal::parse(s).unwrap();
        let ours = [esp("aes256gcm16-ecp384")];
        assert!(
            select_esp(&ours, &[esp("aes256gcm16")], false).is_some(),
            "KE plays no part in IKE_AUTH"
        );
        assert!(select_esp(&ours, &[esp("aes256gcm16")], true).is_none());
        assert!(
            select_esp(&ours, &[esp("aes256gcm16-esn")], false).is_none(),
            "ESN must match"
        );
        assert_eq!(
            describe_ike(&ike(&["aes256-sha256-modp1024"])[0]),
            "AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024"
        );
    }
}
