//! Proposal selection (RFC 7296 §2.7, §3.3.6) and traffic selector narrowing (§2.9).

use std::net::IpAddr;

use ikelab_crypto::keys::IkeSuite;
use ikelab_crypto::provider::{EncrTransform, IntegTransform};
use ikelab_crypto::Provider;
use ikelab_policy::{ChildProposal, Encryption, IkeProposal};
use ikelab_wire::iana::{EncrId, EsnId, IntegId, KeMethod, ProtocolId};
use ikelab_wire::payload::{AddressRange, Proposal, SaPayload, Transform};

use crate::event::{ChildTransforms, IkeTransforms};

/// The IKE SA transforms picked from one of the initiator's proposals.
#[derive(Debug, Clone)]
pub(crate) struct IkeChoice {
    /// The initiator's proposal number, echoed in the response (RFC 7296 §3.3.1).
    pub number: u8,
    pub transforms: IkeTransforms,
    pub suite: IkeSuite,
    /// The proposal's SPI: empty in IKE_SA_INIT, the sender's new IKE SPI in a rekey.
    pub spi: Vec<u8>,
}

impl IkeChoice {
    /// The one-proposal SA payload of the response.
    pub fn to_wire(&self) -> SaPayload {
        self.to_wire_with_spi(Vec::new())
    }

    /// The same with our new IKE SPI (IKE SA rekey, RFC 7296 §1.3.2).
    pub fn to_wire_with_spi(&self, spi: Vec<u8>) -> SaPayload {
        let t = &self.transforms;
        let p = IkeProposal {
            encryption: vec![t.encryption],
            integrity: t.integrity.into_iter().collect(),
            prf: vec![t.prf],
            ke: vec![t.ke],
        };
        SaPayload {
            proposals: vec![p.to_wire(self.number, spi)],
        }
    }
}

/// What the responder makes of the initiator's IKE_SA_INIT SA and KE payloads.
#[derive(Debug)]
pub(crate) enum IkeSelection {
    Chosen(IkeChoice),
    /// A proposal is acceptable but with another group than the KE payload's.
    WrongGroup(KeMethod),
    NoProposal,
}

fn encr_supported(p: &Provider, e: &Encryption, ike: bool) -> Option<&'static EncrTransform> {
    p.encr(e.id.0, e.key_bits).ok().filter(|t| !ike || t.ike)
}

fn integ_supported(p: &Provider, i: IntegId) -> Option<&'static IntegTransform> {
    p.integ(i.0).ok()
}

/// Integrity transform IDs of a received proposal, AUTH NONE dropped (RFC 5282 §8 allows it
/// with AEADs).
fn real_integ(list: &[IntegId]) -> Vec<IntegId> {
    list.iter()
        .copied()
        .filter(|i| *i != IntegId::NONE)
        .collect()
}

/// Picks the first peer transform our proposal also lists, in the peer's order.
fn first_common<T: Copy + PartialEq>(
    theirs: &[T],
    ours: &[T],
    ok: impl Fn(&T) -> bool,
) -> Option<T> {
    theirs.iter().copied().find(|t| ours.contains(t) && ok(t))
}

/// Responder side of §2.7: the first of the initiator's proposals (its order) that one of ours
/// accepts, preferring proposals that accept the group of the KE payload it sent (§1.2).
pub(crate) fn select_ike(
    provider: &Provider,
    ours: &[IkeProposal],
    theirs: &SaPayload,
    ke_group: KeMethod,
) -> IkeSelection {
    select_ike_spi(provider, ours, theirs, ke_group, 0)
}

/// [`select_ike`] for proposals carrying an SPI of `spi_len` octets (8 in an IKE SA rekey,
/// RFC 7296 §3.3.1); proposals with another SPI size are skipped.
pub(crate) fn select_ike_spi(
    provider: &Provider,
    ours: &[IkeProposal],
    theirs: &SaPayload,
    ke_group: KeMethod,
    spi_len: usize,
) -> IkeSelection {
    let mut fallback = None;
    for wire in &theirs.proposals {
        if wire.protocol != ProtocolId::IKE || wire.spi.len() != spi_len {
            continue;
        }
        let (peer, unknown) = IkeProposal::from_wire(&crate::attrs::understood_only(wire));
        if !unknown.is_empty() {
            continue; // §3.3.6: a transform type we don't understand makes it unacceptable.
        }
        for mine in ours {
            let Some(base) = ike_match(provider, mine, &peer) else {
                continue;
            };
            let groups: Vec<KeMethod> = peer
                .ke
                .iter()
                .copied()
                .filter(|g| mine.ke.contains(g) && provider.ke(g.0).is_ok())
                .collect();
            if groups.contains(&ke_group) {
                let (encryption, integrity, suite) = base;
                return IkeSelection::Chosen(IkeChoice {
                    number: wire.number,
                    transforms: IkeTransforms {
                        encryption,
                        integrity,
                        prf: prf_id(suite),
                        ke: ke_group,
                    },
                    suite,
                    spi: wire.spi.clone(),
                });
            }
            if fallback.is_none() {
                fallback = groups.first().copied();
            }
        }
    }
    match fallback {
        Some(g) => IkeSelection::WrongGroup(g),
        None => IkeSelection::NoProposal,
    }
}

fn prf_id(s: IkeSuite) -> ikelab_wire::iana::PrfId {
    ikelab_wire::iana::PrfId(s.prf.id)
}

/// ENCR, INTEG and PRF common to two IKE proposals and supported by the provider.
fn ike_match(
    provider: &Provider,
    mine: &IkeProposal,
    peer: &IkeProposal,
) -> Option<(Encryption, Option<IntegId>, IkeSuite)> {
    let encryption = crate::attrs::pick_encryption(&peer.encryption, &mine.encryption, |e| {
        encr_supported(provider, e, true).is_some()
    })?;
    let encr = encr_supported(provider, &encryption, true)?;
    let peer_integ = real_integ(&peer.integrity);
    let (integrity, integ) = if encr.is_aead() {
        if !peer_integ.is_empty() {
            return None;
        }
        (None, None)
    } else {
        let i = first_common(&peer_integ, &mine.integrity, |i| {
            integ_supported(provider, *i).is_some()
        })?;
        (Some(i), integ_supported(provider, i))
    };
    let prf_id = first_common(&peer.prf, &mine.prf, |p| provider.prf(p.0).is_ok())?;
    let prf = provider.prf(prf_id.0).ok()?;
    let suite = IkeSuite { prf, encr, integ };
    suite.validate().ok()?;
    Some((encryption, integrity, suite))
}

/// Our proposals reduced to what the provider implements, numbered from 1; proposals left
/// without a mandatory transform are dropped.
pub(crate) fn offer_ike(provider: &Provider, ours: &[IkeProposal]) -> Vec<IkeProposal> {
    ours.iter()
        .map(|p| IkeProposal {
            encryption: p
                .encryption
                .iter()
                .copied()
                .filter(|e| encr_supported(provider, e, true).is_some())
                .collect(),
            integrity: p
                .integrity
                .iter()
                .copied()
                .filter(|i| integ_supported(provider, *i).is_some())
                .collect(),
            prf: p
                .prf
                .iter()
                .copied()
                .filter(|f| provider.prf(f.0).is_ok())
                .collect(),
            ke: p
                .ke
                .iter()
                .copied()
                .filter(|k| provider.ke(k.0).is_ok())
                .collect(),
        })
        .filter(|p| {
            let aead = p.encryption.iter().all(Encryption::is_aead);
            !p.encryption.is_empty()
                && !p.prf.is_empty()
                && !p.ke.is_empty()
                && (aead || !p.integrity.is_empty())
        })
        .collect()
}

/// ESP proposals for IKE_AUTH: provider-supported transforms, KE dropped (no PFS in the first
/// CHILD_SA, RFC 7296 §1.2).
pub(crate) fn offer_esp(provider: &Provider, ours: &[ChildProposal]) -> Vec<ChildProposal> {
    ours.iter()
        .map(|p| ChildProposal {
            encryption: p
                .encryption
                .iter()
                .copied()
                .filter(|e| encr_supported(provider, e, false).is_some())
                .collect(),
            integrity: p
                .integrity
                .iter()
                .copied()
                .filter(|i| integ_supported(provider, *i).is_some())
                .collect(),
            ke: Vec::new(),
            esn: p.esn.clone(),
        })
        .filter(|p| !p.encryption.is_empty() && !p.esn.is_empty())
        .collect()
}

/// Checks the responder's IKE_SA_INIT SA payload against what we sent (§2.7: exactly one of
/// our proposals, one transform of each type, each one we offered).
pub(crate) fn check_ike_choice(
    provider: &Provider,
    sent: &SaPayload,
    got: &SaPayload,
) -> Result<IkeChoice, String> {
    let [p] = got.proposals.as_slice() else {
        return Err(format!("{} proposals in the response", got.proposals.len()));
    };
    let offered = sent
        .proposals
        .iter()
        .find(|o| o.number == p.number)
        .ok_or_else(|| format!("proposal number {} was not offered", p.number))?;
    check_subset(offered, p)?;
    let (chosen, unknown) = IkeProposal::from_wire(p);
    if let Some(t) = unknown.first() {
        return Err(format!("transform type {t} in an IKE proposal"));
    }
    let one = |n: usize, what: &str| {
        if n == 1 {
            Ok(())
        } else {
            Err(format!("{n} {what} transforms, exactly one expected"))
        }
    };
    one(chosen.encryption.len(), "ENCR")?;
    one(chosen.prf.len(), "PRF")?;
    one(chosen.ke.len(), "KE")?;
    let encryption = chosen.encryption[0];
    let encr = encr_supported(provider, &encryption, true)
        .ok_or_else(|| format!("unsupported {:?}", encryption.id))?;
    let integ = real_integ(&chosen.integrity);
    let integrity = if encr.is_aead() {
        if !integ.is_empty() {
            return Err("INTEG with an AEAD cipher".into());
        }
        None
    } else {
        one(integ.len(), "INTEG")?;
        Some(integ[0])
    };
    let prf = provider.prf(chosen.prf[0].0).map_err(|e| e.to_string())?;
    let suite = IkeSuite {
        prf,
        encr,
        integ: integrity.and_then(|i| integ_supported(provider, i)),
    };
    suite.validate().map_err(|e| e.to_string())?;
    Ok(IkeChoice {
        number: p.number,
        transforms: IkeTransforms {
            encryption,
            integrity,
            prf: chosen.prf[0],
            ke: chosen.ke[0],
        },
        suite,
        spi: p.spi.clone(),
    })
}

/// Every transform of `got` appears in `offered` (type, ID and attributes).
fn check_subset(offered: &Proposal, got: &Proposal) -> Result<(), String> {
    if offered.protocol != got.protocol {
        return Err(format!(
            "protocol {} instead of {}",
            got.protocol, offered.protocol
        ));
    }
    for t in &got.transforms {
        if !offered.transforms.iter().any(|o| same_transform(o, t)) {
            return Err(format!(
                "{} {} was not offered in proposal {}",
                t.transform_type,
                t.id_name(),
                got.number
            ));
        }
    }
    Ok(())
}

fn same_transform(a: &Transform, b: &Transform) -> bool {
    a.transform_type == b.transform_type && a.id == b.id && a.key_length() == b.key_length()
}

/// The CHILD_SA transforms picked from an ESP proposal, and the peer's SPI.
#[derive(Debug, Clone)]
pub(crate) struct EspChoice {
    pub number: u8,
    pub peer_spi: u32,
    pub transforms: ChildTransforms,
    pub encr: &'static EncrTransform,
    pub integ: Option<&'static IntegTransform>,
    /// The PFS group (CREATE_CHILD_SA only, RFC 7296 §1.3.1).
    pub ke: Option<KeMethod>,
}

impl EspChoice {
    /// The response's SA payload with our SPI.
    pub fn to_wire(&self, our_spi: u32) -> SaPayload {
        let t = &self.transforms;
        let p = ChildProposal {
            encryption: vec![t.encryption],
            integrity: t.integrity.into_iter().collect(),
            ke: self.ke.into_iter().collect(),
            esn: vec![if t.esn { EsnId::ESN } else { EsnId::NO_ESN }],
        };
        SaPayload {
            proposals: vec![p.to_wire(self.number, our_spi)],
        }
    }
}

fn spi_u32(spi: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(spi)
        .ok()
        .map(u32::from_be_bytes)
        .filter(|s| *s >= 256)
}

/// Responder side for an ESP SA in IKE_AUTH: KE transforms are ignored (no PFS there).
pub(crate) fn select_esp(
    provider: &Provider,
    ours: &[ChildProposal],
    theirs: &SaPayload,
) -> Option<EspChoice> {
    for wire in &theirs.proposals {
        if wire.protocol != ProtocolId::ESP {
            continue;
        }
        let Some(peer_spi) = spi_u32(&wire.spi) else {
            continue;
        };
        let (peer, unknown) = ChildProposal::from_wire(&crate::attrs::understood_only(wire));
        if !unknown.is_empty() || peer.esn.is_empty() {
            continue;
        }
        for mine in ours {
            if let Some(c) = esp_match(provider, mine, &peer) {
                let (encryption, encr, integrity, integ, esn) = c;
                return Some(EspChoice {
                    number: wire.number,
                    peer_spi,
                    transforms: ChildTransforms {
                        encryption,
                        integrity,
                        esn,
                        ke: None,
                    },
                    encr,
                    integ,
                    ke: None,
                });
            }
        }
    }
    None
}

/// What the responder makes of a CREATE_CHILD_SA request's ESP SA and KE payloads.
#[derive(Debug)]
pub(crate) enum EspSelection {
    Chosen(EspChoice),
    /// A proposal is acceptable with another PFS group than the KE payload's (or with one
    /// when the request has no KE payload).
    WrongGroup(KeMethod),
    NoProposal,
}

/// Responder side of §1.3.1 (CREATE_CHILD_SA): like [`select_esp`], and the KE transforms
/// must agree with the KE payload (`ke_group`, `None` without one). A proposal list without
/// a KE transform, or with NONE, accepts no PFS.
pub(crate) fn select_esp_ke(
    provider: &Provider,
    ours: &[ChildProposal],
    theirs: &SaPayload,
    ke_group: Option<KeMethod>,
) -> EspSelection {
    let mut fallback = None;
    for wire in &theirs.proposals {
        if wire.protocol != ProtocolId::ESP {
            continue;
        }
        let Some(peer_spi) = spi_u32(&wire.spi) else {
            continue;
        };
        let (peer, unknown) = ChildProposal::from_wire(&crate::attrs::understood_only(wire));
        if !unknown.is_empty() || peer.esn.is_empty() {
            continue;
        }
        for mine in ours {
            let Some((encryption, encr, integrity, integ, esn)) = esp_match(provider, mine, &peer)
            else {
                continue;
            };
            let groups = |l: &[KeMethod]| -> Vec<KeMethod> {
                l.iter()
                    .copied()
                    .filter(|g| *g != KeMethod::NONE && provider.ke(g.0).is_ok())
                    .collect()
            };
            let allows_none = |l: &[KeMethod]| l.is_empty() || l.contains(&KeMethod::NONE);
            let mine_groups = groups(&mine.ke);
            let common: Vec<KeMethod> = groups(&peer.ke)
                .into_iter()
                .filter(|g| mine_groups.contains(g))
                .collect();
            let no_pfs = allows_none(&peer.ke) && allows_none(&mine.ke);
            let ke = match ke_group {
                Some(g) if common.contains(&g) => Some(g),
                _ if no_pfs => None,
                _ => {
                    if fallback.is_none() {
                        fallback = common.first().copied();
                    }
                    continue;
                }
            };
            return EspSelection::Chosen(EspChoice {
                number: wire.number,
                peer_spi,
                transforms: ChildTransforms {
                    encryption,
                    integrity,
                    esn,
                    ke,
                },
                encr,
                integ,
                ke,
            });
        }
    }
    match fallback {
        Some(g) => EspSelection::WrongGroup(g),
        None => EspSelection::NoProposal,
    }
}

/// ESP proposals for CREATE_CHILD_SA: like [`offer_esp`] but the KE transforms (PFS) stay.
pub(crate) fn offer_esp_pfs(provider: &Provider, ours: &[ChildProposal]) -> Vec<ChildProposal> {
    ours.iter()
        .filter_map(|o| {
            let mut p = offer_esp(provider, std::slice::from_ref(o)).pop()?;
            p.ke =
                o.ke.iter()
                    .copied()
                    .filter(|k| *k == KeMethod::NONE || provider.ke(k.0).is_ok())
                    .collect();
            Some(p)
        })
        .collect()
}

type EspMatch = (
    Encryption,
    &'static EncrTransform,
    Option<IntegId>,
    Option<&'static IntegTransform>,
    bool,
);

fn esp_match(provider: &Provider, mine: &ChildProposal, peer: &ChildProposal) -> Option<EspMatch> {
    let encryption = crate::attrs::pick_encryption(&peer.encryption, &mine.encryption, |e| {
        encr_supported(provider, e, false).is_some()
    })?;
    let encr = encr_supported(provider, &encryption, false)?;
    let peer_integ = real_integ(&peer.integrity);
    let (integrity, integ) = if encr.is_aead() {
        if !peer_integ.is_empty() {
            return None;
        }
        (None, None)
    } else {
        let i = first_common(&peer_integ, &mine.integrity, |i| {
            integ_supported(provider, *i).is_some()
        })?;
        (Some(i), integ_supported(provider, i))
    };
    let esn = first_common(&peer.esn, &mine.esn, |e| {
        *e == EsnId::ESN || *e == EsnId::NO_ESN
    })?;
    Some((encryption, encr, integrity, integ, esn == EsnId::ESN))
}

/// Checks the responder's ESP SA payload against the proposals we sent.
pub(crate) fn check_esp_choice(
    provider: &Provider,
    sent: &SaPayload,
    got: &SaPayload,
) -> Result<EspChoice, String> {
    let [p] = got.proposals.as_slice() else {
        return Err(format!("{} proposals in the response", got.proposals.len()));
    };
    let offered = sent
        .proposals
        .iter()
        .find(|o| o.number == p.number)
        .ok_or_else(|| format!("proposal number {} was not offered", p.number))?;
    check_subset(offered, p)?;
    let peer_spi = spi_u32(&p.spi).ok_or("ESP SPI is not 4 octets of at least 256")?;
    let (chosen, unknown) = ChildProposal::from_wire(p);
    if let Some(t) = unknown.first() {
        return Err(format!("transform type {t} in an ESP proposal"));
    }
    if chosen.encryption.len() != 1
        || chosen.esn.len() != 1
        || chosen.integrity.len() > 1
        || chosen.ke.len() > 1
    {
        return Err("not exactly one transform of each type".into());
    }
    let offered_pfs = offered
        .transforms
        .iter()
        .any(|t| t.transform_type == ikelab_wire::iana::TransformType::KE && t.id != 0);
    let offered_none = !offered
        .transforms
        .iter()
        .any(|t| t.transform_type == ikelab_wire::iana::TransformType::KE)
        || offered
            .transforms
            .iter()
            .any(|t| t.transform_type == ikelab_wire::iana::TransformType::KE && t.id == 0);
    let ke = chosen.ke.first().copied().filter(|k| *k != KeMethod::NONE);
    if offered_pfs && !offered_none && ke.is_none() {
        return Err("no KE transform although we require PFS".into());
    }
    let encryption = chosen.encryption[0];
    let encr = encr_supported(provider, &encryption, false)
        .ok_or_else(|| format!("unsupported {:?}", encryption.id))?;
    let integ_ids = real_integ(&chosen.integrity);
    let (integrity, integ) = match (encr.is_aead(), integ_ids.first()) {
        (true, None) => (None, None),
        (false, Some(i)) => (Some(*i), integ_supported(provider, *i)),
        (true, Some(_)) => return Err("INTEG with an AEAD cipher".into()),
        (false, None) => {
            if encryption.id == EncrId::NULL {
                return Err("ENCR_NULL without integrity".into());
            }
            (None, None)
        }
    };
    Ok(EspChoice {
        number: p.number,
        peer_spi,
        transforms: ChildTransforms {
            encryption,
            integrity,
            esn: chosen.esn[0] == EsnId::ESN,
            ke,
        },
        encr,
        integ,
        ke,
    })
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

/// The intersection of two selectors, if not empty (protocol 0 is a wildcard).
pub(crate) fn intersect(a: &AddressRange, b: &AddressRange) -> Option<AddressRange> {
    if !same_family(a.start_address, b.start_address) || !same_family(a.end_address, b.end_address)
    {
        return None;
    }
    let ip_protocol = match (a.ip_protocol, b.ip_protocol) {
        (0, p) | (p, 0) => p,
        (p, q) if p == q => p,
        _ => return None,
    };
    let start_port = a.start_port.max(b.start_port);
    let end_port = a.end_port.min(b.end_port);
    let start_address = a.start_address.max(b.start_address);
    let end_address = a.end_address.min(b.end_address);
    (start_port <= end_port && start_address <= end_address).then_some(AddressRange {
        ip_protocol,
        start_port,
        end_port,
        start_address,
        end_address,
    })
}

/// §2.9 narrowing: every non-empty intersection of a peer selector with one of ours, in the
/// peer's order, without duplicates.
pub(crate) fn narrow(peer: &[AddressRange], ours: &[AddressRange]) -> Vec<AddressRange> {
    let mut out = Vec::new();
    for p in peer {
        for o in ours {
            if let Some(x) = intersect(p, o) {
                if !out.contains(&x) {
                    out.push(x);
                }
            }
        }
    }
    out
}

/// Whether every selector in `got` lies within one we sent.
pub(crate) fn is_narrowing(got: &[AddressRange], sent: &[AddressRange]) -> bool {
    !got.is_empty()
        && got
            .iter()
            .all(|g| sent.iter().any(|s| intersect(g, s).as_ref() == Some(g)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikelab_crypto::DEFAULT;

    fn sa(props: &[&str]) -> SaPayload {
        SaPayload {
            proposals: props
                .iter()
                .enumerate()
                .map(|(i, s)| IkeProposal::parse(s).unwrap().to_wire(i as u8 + 1, vec![]))
                .collect(),
        }
    }

    fn ike(s: &str) -> Vec<IkeProposal> {
        vec![IkeProposal::parse(s).unwrap()]
    }

    #[test]
    fn prefers_a_proposal_that_accepts_the_sent_group() {
        let theirs = sa(&["aes128-sha256-ecp256", "aes256gcm16-prfsha384-x25519"]);
        let ours = vec![
            IkeProposal::parse("aes128-sha256-x25519-ecp256").unwrap(),
            IkeProposal::parse("aes256gcm16-prfsha256-prfsha384-x25519-ecp256").unwrap(),
        ];
        let IkeSelection::Chosen(c) = select_ike(&DEFAULT, &ours, &theirs, KeMethod::CURVE25519)
        else {
            panic!()
        };
        assert_eq!(c.number, 2);
        assert_eq!(c.transforms.encryption.id, EncrId::AES_GCM_16);
        assert_eq!(c.transforms.integrity, None);
        let IkeSelection::WrongGroup(g) = select_ike(&DEFAULT, &ours, &theirs, KeMethod::MODP_2048)
        else {
            panic!()
        };
        assert_eq!(
            g,
            KeMethod::ECP_256,
            "first acceptable group of the first proposal"
        );
        assert!(matches!(
            select_ike(
                &DEFAULT,
                &ike("3des-sha1-modp1024"),
                &theirs,
                KeMethod::ECP_256
            ),
            IkeSelection::NoProposal
        ));
    }

    #[test]
    fn unknown_transform_types_and_unsupported_ids_are_skipped() {
        let mut theirs = sa(&["aes128-sha256-ecp256"]);
        theirs.proposals[0]
            .transforms
            .push(Transform::new(ikelab_wire::iana::TransformType(99), 1));
        let ours = ike("aes128-sha256-ecp256");
        assert!(matches!(
            select_ike(&DEFAULT, &ours, &theirs, KeMethod::ECP_256),
            IkeSelection::NoProposal
        ));
        // Camellia is parsed by policy but not implemented by the provider.
        let offered = offer_ike(&DEFAULT, &ike("camellia128-aes128-sha256-ecp256"));
        assert_eq!(offered[0].encryption.len(), 1);
        assert!(offer_ike(&DEFAULT, &ike("camellia128-sha256-ecp256")).is_empty());
    }

    #[test]
    fn response_must_be_one_offered_proposal() {
        let sent = sa(&["aes128-aes256-sha256-ecp256-modp2048"]);
        let ok = sa(&["aes256-sha256-modp2048"]);
        let c = check_ike_choice(&DEFAULT, &sent, &ok).unwrap();
        assert_eq!(c.transforms.ke, KeMethod::MODP_2048);
        let not_offered = sa(&["aes192-sha256-modp2048"]);
        assert!(check_ike_choice(&DEFAULT, &sent, &not_offered)
            .unwrap_err()
            .contains("ENCR_AES_CBC was not offered"));
        let two = sa(&["aes256-sha256-modp2048", "aes128-sha256-modp2048"]);
        assert!(check_ike_choice(&DEFAULT, &sent, &two).is_err());
        let many = sent.clone();
        assert!(check_ike_choice(&DEFAULT, &sent, &many)
            .unwrap_err()
            .contains("exactly one"));
    }

    #[test]
    fn esp_selection_and_check() {
        let ours = vec![
            ChildProposal::parse("aes256gcm16").unwrap(),
            ChildProposal::parse("aes128-sha256").unwrap(),
        ];
        let peer = ChildProposal::parse("aes128-sha256-esn-noesn").unwrap();
        let theirs = SaPayload {
            proposals: vec![peer.to_wire(1, 0x1122_3344)],
        };
        let c = select_esp(&DEFAULT, &ours, &theirs).unwrap();
        assert_eq!(c.peer_spi, 0x1122_3344);
        assert_eq!(c.transforms.integrity, Some(IntegId::HMAC_SHA2_256_128));
        assert!(!c.transforms.esn, "our NO_ESN");
        let resp = c.to_wire(0x5566_7788);
        let back = check_esp_choice(&DEFAULT, &theirs, &resp).unwrap();
        assert_eq!(back.peer_spi, 0x5566_7788);
        // SPI below 256 is reserved (RFC 4303 §2.1).
        let bad = SaPayload {
            proposals: vec![peer.to_wire(1, 7)],
        };
        assert!(select_esp(&DEFAULT, &ours, &bad).is_none());
    }

    fn r(s: &str, e: &str, proto: u8, ports: (u16, u16)) -> AddressRange {
        AddressRange {
            ip_protocol: proto,
            start_port: ports.0,
            end_port: ports.1,
            start_address: s.parse().unwrap(),
            end_address: e.parse().unwrap(),
        }
    }

    #[test]
    fn narrowing() {
        let any = r("0.0.0.0", "255.255.255.255", 0, (0, 65535));
        let net = r("10.0.0.0", "10.0.0.255", 0, (0, 65535));
        let web = r("10.0.0.0", "10.255.255.255", 6, (443, 443));
        let one = |x: &AddressRange| std::slice::from_ref(x).to_vec();
        assert_eq!(narrow(&one(&any), &one(&net)), one(&net));
        assert_eq!(
            narrow(&one(&net), &one(&web)),
            [r("10.0.0.0", "10.0.0.255", 6, (443, 443))]
        );
        let udp = r("10.0.0.0", "10.0.0.255", 17, (0, 65535));
        assert!(narrow(&[udp], &one(&web)).is_empty());
        let v6 = r(
            "::",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            0,
            (0, 65535),
        );
        assert!(narrow(&[v6], &one(&net)).is_empty());
        assert!(is_narrowing(&one(&net), &one(&any)));
        assert!(!is_narrowing(&[any], &[net]));
        assert!(!is_narrowing(&[], &[web]));
    }
}
