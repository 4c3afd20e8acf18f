//! Profile-level rules: signature findings and uniqueness of identifiers (constraint 3).

use std::collections::HashMap;

use super::ctx::Ctx;
use super::value::nonempty;
use super::Profile;
use crate::diag::Severity;
use crate::read::{SignatureInfo, SignatureStatus};

pub(crate) fn signature(ctx: &mut Ctx, sig: &SignatureInfo) {
    let signer = sig.signer.as_deref().unwrap_or("an unknown signer");
    match &sig.status {
        SignatureStatus::Verified { chain, chain_note } => {
            ctx.emit(
                "SIG-01",
                "",
                format!(
                    "signed by `{signer}`: the signature verifies; chain {}; {chain_note}",
                    sig.chain.join(" <- ")
                ),
                "the device shows the profile as verified only if it trusts the chain's root".into(),
            );
            if !chain {
                ctx.emit(
                    "SIG-04",
                    "",
                    format!("the embedded certificate chain does not verify: {chain_note}"),
                    "embed the signer's intermediate certificates in the SignedData".into(),
                );
            }
        }
        SignatureStatus::NotVerified(reason) => ctx.emit(
            "SIG-02",
            "",
            format!("signed by `{signer}`: signature not verified ({reason})"),
            "verify with `openssl cms -verify -inform DER` or on a device".into(),
        ),
        SignatureStatus::Invalid(reason) => ctx.emit(
            "SIG-03",
            "",
            format!("signed by `{signer}`, but {reason}: the device refuses to install a profile whose signature does not verify"),
            "re-sign the profile after the last edit".into(),
        ),
    }
}

pub(crate) fn rules(ctx: &mut Ctx, prof: &Profile) {
    duplicates(ctx, prof, "PayloadUUID", true);
    duplicates(ctx, prof, "PayloadIdentifier", false);
}

fn duplicates(ctx: &mut Ctx, prof: &Profile, key: &str, case_insensitive: bool) {
    let norm = |s: &str| {
        if case_insensitive {
            s.to_ascii_uppercase()
        } else {
            s.to_string()
        }
    };
    let outer = nonempty(prof.root, key).map(norm);
    let mut seen: HashMap<String, String> = HashMap::new();
    for p in &prof.payloads {
        let Some(v) = nonempty(p.dict, key) else {
            continue;
        };
        let path = p.at(key);
        let n = norm(v);
        if let Some(first) = seen.get(&n) {
            ctx.emit(
                "IKE2-C03",
                &path,
                format!("{key} '{v}' is also used by `{first}`: the device keys payloads by {key}, so one payload replaces the other"),
                format!("give every payload its own {key} (e.g. from uuidgen)"),
            );
        } else {
            seen.insert(n.clone(), p.path.clone());
        }
        if outer.as_deref() == Some(n.as_str()) {
            ctx.emit_at(
                "IKE2-C03",
                Severity::Warning,
                &path,
                format!("{key} '{v}' equals the profile's own {key}: Apple requires it to be unique; devices install such profiles, but updates and removal can match the wrong item"),
                format!("use a distinct {key} for the profile and for each payload"),
            );
        }
    }
}
