//! Security lints (on by default, category `security`): weak algorithms per RFC 8247, PFS off,
//! short PSKs and secrets stored in clear. Also registers every secret value so no output can
//! carry it.

use plist::{Dictionary, Value};

use super::ctx::Ctx;
use super::ike::{is_aead, IkeDict};
use super::value::{flag, int, string};
use super::vpn::{ike_dicts, is_vpn};
use super::Profile;
use crate::read::xmlpos::{index, join};

/// Keys whose values are secrets wherever they occur.
pub const SECRET_KEYS: &[&str] = &[
    "SharedSecret",
    "Password",
    "AuthPassword",
    "XAuthPassword",
    "HTTPProxyPassword",
    "Challenge",
    "PPK",
    "WgQuickConfig",
];

/// Visits every (path, key, value) below `d`, iteratively.
fn visit<'v>(d: &'v Dictionary, path: &str, mut f: impl FnMut(&str, &str, &'v Value)) {
    let mut stack: Vec<(String, &'v Value)> = Vec::new();
    let push_dict = |stack: &mut Vec<(String, &'v Value)>,
                     p: &str,
                     d: &'v Dictionary,
                     f: &mut dyn FnMut(&str, &str, &'v Value)| {
        for (k, child) in d {
            let cp = join(p, k);
            f(&cp, k, child);
            stack.push((cp, child));
        }
    };
    push_dict(&mut stack, path, d, &mut f);
    while let Some((p, v)) = stack.pop() {
        match v {
            Value::Dictionary(d) => push_dict(&mut stack, &p, d, &mut f),
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    stack.push((index(&p, i), child));
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn collect_secrets(ctx: &mut Ctx, root: &Dictionary) {
    let mut found = Vec::new();
    visit(root, "", |_, k, v| {
        if SECRET_KEYS.contains(&k) {
            match v {
                Value::String(s) => found.push(s.clone()),
                Value::Data(d) => {
                    if let Ok(s) = std::str::from_utf8(d) {
                        found.push(s.to_string());
                    }
                }
                _ => {}
            }
        }
    });
    for s in found {
        ctx.secret(&s);
    }
}

pub(crate) fn rules(ctx: &mut Ctx, prof: &Profile) {
    for p in &prof.payloads {
        clear_secrets(ctx, &p.path, p.dict, p.ptype);
    }
    for p in prof.payloads.iter().filter(|p| is_vpn(p)) {
        for ike in ike_dicts(p) {
            algorithms(ctx, &ike);
            if flag(ike.dict, "EnablePFS") != Some(true) {
                ctx.emit(
                    "SEC-04",
                    &ike.at("EnablePFS"),
                    "perfect forward secrecy is off (EnablePFS absent or 0): rekeyed Child SAs reuse keying material derived from the IKE SA".into(),
                    "set EnablePFS to 1 (the server must allow PFS for Child SA rekeys)".into(),
                );
            }
            if ike.psk_auth() {
                psk_length(
                    ctx,
                    &ike.at("SharedSecret"),
                    string(ike.dict, "SharedSecret"),
                );
            }
        }
        if let Some(ipsec) = super::value::dict(p.dict, "IPSec") {
            if string(ipsec, "AuthenticationMethod").unwrap_or("SharedSecret") == "SharedSecret" {
                let s = match ipsec.get("SharedSecret") {
                    Some(Value::String(s)) => Some(s.as_str()),
                    Some(Value::Data(d)) => std::str::from_utf8(d).ok(),
                    _ => None,
                };
                psk_length(ctx, &join(&p.at("IPSec"), "SharedSecret"), s);
            }
        }
    }
}

fn psk_length(ctx: &mut Ctx, path: &str, psk: Option<&str>) {
    let Some(psk) = psk.filter(|s| !s.is_empty()) else {
        return;
    };
    let n = psk.chars().count();
    if n < ctx.opts.min_psk_len {
        ctx.emit(
            "SEC-05",
            path,
            format!(
                "the pre-shared key is {n} characters long (minimum {}): short PSKs fall to offline guessing from one captured IKE_AUTH exchange",
                ctx.opts.min_psk_len
            ),
            "use a random PSK of at least 20 characters, or certificates".into(),
        );
    }
}

fn clear_secrets(ctx: &mut Ctx, path: &str, d: &Dictionary, ptype: &str) {
    let mut hits = Vec::new();
    visit(d, path, |p, k, v| {
        if !SECRET_KEYS.contains(&k) {
            return;
        }
        // A certificate payload's `Password` opens its PKCS#12; elsewhere it is an account password.
        let present = match v {
            Value::String(s) => !s.trim().is_empty(),
            Value::Data(b) => !b.is_empty(),
            _ => false,
        };
        if k == "WgQuickConfig" && !v.as_string().is_some_and(|s| s.contains("PrivateKey")) {
            return;
        }
        if present {
            hits.push((p.to_string(), k.to_string()));
        }
    });
    for (p, k) in hits {
        let what = match (ptype, k.as_str()) {
            ("com.apple.security.pkcs12", "Password") => {
                "the PKCS#12 password (with it, the private key in the same profile)"
            }
            ("com.apple.security.scep", _) => "the SCEP challenge",
            (_, "WgQuickConfig") => "a WireGuard private key",
            (_, "PPK") => "the post-quantum pre-shared key",
            (_, "SharedSecret") => "the pre-shared key",
            _ => "an account password",
        };
        ctx.emit(
            "SEC-06",
            &p,
            format!("`{k}` stores {what} in clear text: anyone who obtains the profile file can read it"),
            "deliver the profile only over MDM (ideally encrypted to the device), or omit the secret so the user enters it".into(),
        );
    }
}

fn algorithms(ctx: &mut Ctx, ike: &IkeDict) {
    for (path, sa, is_child) in ike.sa_dicts() {
        let enc = string(sa, "EncryptionAlgorithm").unwrap_or("AES-256");
        if matches!(enc, "DES" | "3DES") {
            ctx.emit(
                "SEC-01",
                &join(&path, "EncryptionAlgorithm"),
                format!(
                    "EncryptionAlgorithm {enc}: RFC 8247 says {} for IKEv2",
                    if enc == "DES" {
                        "MUST NOT"
                    } else {
                        "SHOULD NOT (3DES, 64-bit block)"
                    }
                ),
                "use AES-256-GCM (or AES-256 with SHA2-256)".into(),
            );
        }
        if let Some(i @ ("SHA1-96" | "SHA1-160")) = string(sa, "IntegrityAlgorithm") {
            if !(is_child && is_aead(enc)) {
                ctx.emit(
                    "SEC-02",
                    &join(&path, "IntegrityAlgorithm"),
                    format!("IntegrityAlgorithm {i}: SHA-1 based integrity/PRF is deprecated by RFC 8247 for new deployments{}", if i == "SHA1-160" { " (and AUTH_HMAC_SHA1_160 is rarely implemented by servers)" } else { "" }),
                    "use SHA2-256 or stronger".into(),
                );
            }
        }
        if ike.always_on {
            continue; // AlwaysOn groups 1/2/5 are IKE2-C27 / SEC-07.
        }
        if let Some(g @ (1 | 2 | 5)) = int(sa, "DiffieHellmanGroup") {
            ctx.emit(
                "SEC-03",
                &join(&path, "DiffieHellmanGroup"),
                format!(
                    "Diffie-Hellman group {g} ({}-bit MODP): RFC 8247 says {}{}",
                    match g {
                        1 => 768,
                        2 => 1024,
                        _ => 1536,
                    },
                    if g == 1 { "MUST NOT" } else { "SHOULD NOT" },
                    if g == 2 {
                        "; it is also Intune's documented default, unlike Apple's 14"
                    } else {
                        ""
                    }
                ),
                "use group 19 or 20 (ECP) or 14 (2048-bit MODP) or 31 (Curve25519)".into(),
            );
        }
    }
}
