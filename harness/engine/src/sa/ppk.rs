//! Post-quantum preshared keys (RFC 8784).
//!
//! Both sides announce USE_PPK in IKE_SA_INIT (the responder only when it has a PPK). Then
//! the initiator authenticates with `SK_pi = prf+(PPK, SK_pi')`, names the PPK in
//! PPK_IDENTITY and, unless the PPK is mandatory, adds NO_PPK_AUTH: the AUTH data computed
//! with SK_pi', for a responder without that PPK. A responder that uses the PPK confirms
//! with an empty PPK_IDENTITY; SK_d, SK_pi and SK_pr are then the mixed keys (§3), so the
//! CHILD_SAs and every IKE SA rekeyed from this one depend on the PPK. SK_e and SK_a never
//! change, so the key log stays valid.
//!
//! We send PPK_ID_FIXED (type 2): our configuration is a fixed PPK_ID → PPK mapping, and
//! strongSwan and libreswan accept no other type. We accept PPK_ID_OPAQUE (type 1) too,
//! compared octet by octet with the configured identifier.

use ikelab_crypto::keys::IkeSaKeys;
use ikelab_crypto::KeyBytes;
use ikelab_policy::{IkePolicy, LocalAuth, Ppk, RemoteAuth};
use ikelab_wire::iana::{NotifyType, PpkIdType};
use ikelab_wire::payload::{AuthPayload, IdPayload, Payload};

use super::{has_notify, notifies, notify, Ctx, IkeSa};
use crate::authn::signed_octets;
use crate::event::CloseReason;
use crate::violation::AuthFailure;
use crate::{ConfigError, EngineError};

/// PPK progress of one IKE SA.
#[derive(Default)]
pub(crate) struct PpkState {
    /// The peer sent USE_PPK in IKE_SA_INIT.
    pub peer_announced: bool,
    /// The keys without the PPK (SK_d', SK_pi', SK_pr') while IKE_AUTH decides which set
    /// the SA keeps.
    pub without: Option<IkeSaKeys>,
}

/// The responder's decision on the initiator's IKE_AUTH.
pub(crate) struct ResponderPpk {
    /// Verify this instead of the AUTH payload (NO_PPK_AUTH fallback).
    pub substitute: Option<AuthPayload>,
    /// The PPK is in use: confirm with an empty PPK_IDENTITY.
    pub confirm: bool,
}

fn ppk_identity(ppk: &Ppk) -> Payload {
    let mut data = Vec::with_capacity(ppk.id.len() + 1);
    data.push(PpkIdType::FIXED.0);
    data.extend_from_slice(ppk.id.as_bytes());
    notify(NotifyType::PPK_IDENTITY, data)
}

/// Whether PPK_IDENTITY data (type octet, PPK_ID) names the configured PPK.
fn names(data: &[u8], ppk: &Ppk) -> bool {
    match data.split_first() {
        Some((&t, id)) if t == PpkIdType::OPAQUE.0 || t == PpkIdType::FIXED.0 => {
            id == ppk.id.as_bytes()
        }
        _ => false,
    }
}

fn mix(
    keys: &IkeSaKeys,
    prf: &ikelab_crypto::provider::PrfTransform,
    ppk: &Ppk,
) -> Result<IkeSaKeys, EngineError> {
    Ok(keys.mix_ppk(prf, &KeyBytes::from_slice(ppk.secret.expose()))?)
}

/// RFC 8784 with EAP moves NO_PPK_AUTH to the IKE_AUTH message that carries the MSK-based
/// AUTH; that is not implemented, so such a policy is refused instead of failing on the wire.
pub(crate) fn check_policy(policy: &IkePolicy) -> Result<(), ConfigError> {
    let eap = matches!(policy.local.auth, LocalAuth::Eap { .. })
        || matches!(policy.remote.auth, RemoteAuth::Eap { .. });
    if policy.features.ppk.is_some() && eap {
        return Err(ConfigError::Policy {
            policy: policy.name.clone(),
            reason: "a PPK (RFC 8784) together with EAP authentication is not supported".into(),
        });
    }
    Ok(())
}

impl IkeSa {
    fn ppk_config(&self) -> Option<&Ppk> {
        self.policy.features.ppk.as_ref()
    }

    /// USE_PPK for our IKE_SA_INIT message: always with a PPK as initiator; as responder only
    /// when the initiator announced it too (§3).
    pub(super) fn use_ppk_notify(&self) -> Option<Payload> {
        let ours = self.ppk_config().is_some();
        (ours && (self.initiator || self.ppk.peer_announced))
            .then(|| notify(NotifyType::USE_PPK, Vec::new()))
    }

    /// Initiator, before IKE_AUTH: refuses to go on without a mandatory PPK the responder
    /// cannot use (§3 "MUST abort"), and switches to the mixed keys when both announced
    /// USE_PPK. Returns `false` when the SA was closed.
    pub(super) fn ppk_before_auth(&mut self, ctx: &mut Ctx<'_>) -> Result<bool, EngineError> {
        let Some(ppk) = self.ppk_config().cloned() else {
            return Ok(true);
        };
        if !self.ppk.peer_announced {
            if ppk.mandatory {
                self.close(ctx, CloseReason::PpkNotSupported);
                return Ok(false);
            }
            return Ok(true);
        }
        if let Some(k) = &mut self.keys {
            let without = k.keys.clone();
            k.keys = mix(&without, k.suite.prf, &ppk)?;
            self.ppk.without = Some(without);
        }
        Ok(true)
    }

    /// Initiator: PPK_IDENTITY and, for an optional PPK, NO_PPK_AUTH with the AUTH data over
    /// `InitiatorSignedOctets` keyed with SK_pi' (§3).
    pub(super) fn ppk_request_notifies(
        &self,
        idi: &IdPayload,
    ) -> Result<Vec<Payload>, AuthFailure> {
        let (Some(ppk), Some(without), Some(keys)) =
            (self.ppk_config(), &self.ppk.without, &self.keys)
        else {
            return Ok(Vec::new());
        };
        let mut out = vec![ppk_identity(ppk)];
        if !ppk.mandatory {
            let prf = keys.suite.prf;
            let octets = signed_octets(&self.init_request, &self.nr, prf, &without.sk_pi, idi);
            let auth = self.local_cred.auth(prf, &octets, &self.peer_hashes)?;
            out.push(notify(NotifyType::NO_PPK_AUTH, auth.data));
        }
        Ok(out)
    }

    /// Initiator, on the IKE_AUTH response: keeps the mixed keys when the responder confirmed
    /// the PPK, else falls back to the keys without it (§3), which a mandatory PPK forbids.
    pub(super) fn ppk_after_auth_response(&mut self, inner: &[Payload]) -> Result<(), AuthFailure> {
        let Some(without) = self.ppk.without.take() else {
            return Ok(());
        };
        if has_notify(inner, NotifyType::PPK_IDENTITY) {
            return Ok(());
        }
        if self.ppk_config().is_some_and(|p| p.mandatory) {
            return Err(AuthFailure::PpkNotUsed {
                reason: "the responder did not confirm the mandatory PPK with PPK_IDENTITY".into(),
            });
        }
        if let Some(k) = &mut self.keys {
            k.keys = without;
        }
        Ok(())
    }

    /// Responder, on the IKE_AUTH request: uses our PPK when PPK_IDENTITY names it, else the
    /// NO_PPK_AUTH fallback unless our PPK is mandatory (§3).
    pub(super) fn ppk_on_auth_request(
        &mut self,
        inner: &[Payload],
        auth: &AuthPayload,
    ) -> Result<ResponderPpk, AuthFailure> {
        let none = ResponderPpk {
            substitute: None,
            confirm: false,
        };
        let Some(ppk) = self.ppk_config().cloned() else {
            return Ok(none);
        };
        let fail = |reason: &str| {
            Err(AuthFailure::PpkNotUsed {
                reason: reason.into(),
            })
        };
        if !self.ppk.peer_announced {
            return if ppk.mandatory {
                fail("PPK mandatory but the initiator did not send USE_PPK")
            } else {
                Ok(none)
            };
        }
        let found = notifies(inner).into_iter().find_map(|n| {
            (n.notify_type == NotifyType::PPK_IDENTITY).then(|| names(&n.data, &ppk))
        });
        let no_ppk_auth = notifies(inner)
            .into_iter()
            .find(|n| n.notify_type == NotifyType::NO_PPK_AUTH)
            .map(|n| n.data.clone());
        if found == Some(true) {
            if let Some(k) = &mut self.keys {
                let mixed =
                    mix(&k.keys, k.suite.prf, &ppk).map_err(|e| AuthFailure::LocalFailure {
                        reason: e.to_string(),
                    })?;
                k.keys = mixed;
            }
            return Ok(ResponderPpk {
                substitute: None,
                confirm: true,
            });
        }
        if ppk.mandatory {
            return fail(match found {
                Some(_) => "PPK mandatory but PPK_IDENTITY names another PPK",
                None => "PPK mandatory but the initiator sent no PPK_IDENTITY",
            });
        }
        match (found, no_ppk_auth) {
            (_, Some(data)) => Ok(ResponderPpk {
                substitute: Some(AuthPayload {
                    method: auth.method,
                    reserved: [0; 3],
                    data,
                }),
                confirm: false,
            }),
            // No PPK_IDENTITY: the initiator used no PPK; its AUTH is the plain one.
            (None, None) => Ok(none),
            (Some(_), None) => fail("PPK_IDENTITY names a PPK we lack and NO_PPK_AUTH is missing"),
        }
    }

    /// Responder: the empty PPK_IDENTITY that confirms the PPK.
    pub(super) fn ppk_confirmation() -> Payload {
        notify(NotifyType::PPK_IDENTITY, Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikelab_policy::Secret;
    use ikelab_wire::payload::PayloadBody;

    #[test]
    fn ppk_identity_types() {
        let ppk = Ppk {
            id: "ppk-1".into(),
            secret: Secret::new(b"k".to_vec()),
            mandatory: false,
        };
        assert!(names(b"\x01ppk-1", &ppk));
        assert!(names(b"\x02ppk-1", &ppk));
        for other in [
            &b"\x00ppk-1"[..],
            b"\x03ppk-1",
            b"\x80ppk-1",
            b"\x02ppk-2",
            b"\x02",
            b"",
        ] {
            assert!(!names(other, &ppk), "{other:?}");
        }
        let PayloadBody::Notify(n) = ppk_identity(&ppk).body else {
            panic!("not a notify");
        };
        assert_eq!(n.data, b"\x02ppk-1");
    }
}
