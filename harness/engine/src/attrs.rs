//! Transform attributes on receipt (RFC 7296 §3.3.5, §3.3.6): which received transforms a
//! responder may consider, and when a longer key than configured is acceptable.

use ikelab_policy::Encryption;
use ikelab_wire::iana::{TransformAttributeType, TransformType};
use ikelab_wire::payload::{AttributeValue, Proposal, Transform};

/// The transform types IKE and ESP proposals are built from (§3.3.3).
const KNOWN_TYPES: [TransformType; 5] = [
    TransformType::ENCR,
    TransformType::PRF,
    TransformType::INTEG,
    TransformType::KE,
    TransformType::SN,
];

/// Whether we understand every attribute of `t`: none, or one Key Length in TV format on an
/// encryption transform (the only attribute RFC 7296 defines, §3.3.5). Key Length on a
/// fixed-key transform type is not a meaning we know either.
fn understood(t: &Transform) -> bool {
    match t.attributes.as_slice() {
        [] => true,
        [a] => {
            t.transform_type == TransformType::ENCR
                && a.attribute_type == TransformAttributeType::KEY_LENGTH
                && matches!(a.value, AttributeValue::Tv(_))
        }
        _ => false,
    }
}

/// `p` without the transforms of known types that carry an attribute we do not understand.
/// §3.3.6: such a transform "MUST" be unacceptable while "other transforms with the same
/// Transform Type are processed as usual"; a type left without transforms then makes the
/// proposal incomplete. Transforms of unknown types stay, so that the caller still refuses
/// the whole proposal for them.
pub(crate) fn understood_only(p: &Proposal) -> Proposal {
    let mut p = p.clone();
    p.transforms
        .retain(|t| !KNOWN_TYPES.contains(&t.transform_type) || understood(t));
    p
}

/// The encryption transform a responder picks from the peer's list (in the peer's order):
/// one our proposal lists exactly, else one with a longer key than a configured length of the
/// same cipher. §3.3.5: implementers "SHOULD accept values that they deem to supply greater
/// security ... if [they support] use of the longer key" — `ok` says whether we do. The
/// chosen transform goes back unchanged (§3.3.6), so both ends key with the longer length.
pub(crate) fn pick_encryption(
    theirs: &[Encryption],
    ours: &[Encryption],
    ok: impl Fn(&Encryption) -> bool,
) -> Option<Encryption> {
    let longer = |t: &Encryption, o: &Encryption| {
        t.id == o.id && matches!((t.key_bits, o.key_bits), (Some(a), Some(b)) if a > b)
    };
    theirs
        .iter()
        .copied()
        .find(|t| ours.contains(t) && ok(t))
        .or_else(|| {
            theirs
                .iter()
                .copied()
                .find(|t| ours.iter().any(|o| longer(t, o)) && ok(t))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikelab_wire::iana::EncrId;
    use ikelab_wire::payload::Attribute;

    fn aes(bits: u16) -> Encryption {
        Encryption::new(EncrId::AES_CBC, Some(bits))
    }

    #[test]
    fn exact_match_first_then_a_longer_key_of_the_same_cipher() {
        let ours = [aes(128)];
        assert_eq!(
            pick_encryption(&[aes(256), aes(128)], &ours, |_| true),
            Some(aes(128))
        );
        assert_eq!(
            pick_encryption(&[aes(192), aes(256)], &ours, |_| true),
            Some(aes(192))
        );
        assert_eq!(
            pick_encryption(&[aes(256)], &[aes(128)], |e| e.key_bits != Some(256)),
            None
        );
        assert_eq!(
            pick_encryption(&[aes(128)], &[aes(256)], |_| true),
            None,
            "shorter never"
        );
        let gcm = Encryption::new(EncrId::AES_GCM_16, Some(256));
        assert_eq!(
            pick_encryption(&[gcm], &ours, |_| true),
            None,
            "another cipher"
        );
    }

    #[test]
    fn transforms_with_attributes_we_do_not_understand_are_dropped() {
        let mut odd = Transform::with_key_length(TransformType::ENCR, EncrId::AES_CBC.0, 128);
        odd.attributes.push(Attribute {
            attribute_type: TransformAttributeType(99),
            value: AttributeValue::Tv(1),
        });
        let mut tlv = Transform::new(TransformType::ENCR, EncrId::AES_CBC.0);
        tlv.attributes.push(Attribute {
            attribute_type: TransformAttributeType::KEY_LENGTH,
            value: AttributeValue::Tlv(vec![0, 128]),
        });
        let prf_kl = Transform::with_key_length(TransformType::PRF, 5, 128);
        let plain = Transform::with_key_length(TransformType::ENCR, EncrId::AES_CBC.0, 256);
        let mut unknown_type = Transform::new(TransformType(250), 1);
        unknown_type.attributes.push(odd.attributes[1].clone());
        let p = Proposal {
            reserved: 0,
            number: 1,
            protocol: ikelab_wire::iana::ProtocolId::IKE,
            spi: Vec::new(),
            transforms: vec![odd, tlv, prf_kl, plain.clone(), unknown_type.clone()],
        };
        assert_eq!(understood_only(&p).transforms, [plain, unknown_type]);
    }
}
