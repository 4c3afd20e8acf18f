//! The checker: schema walk of the outer dictionary and every payload, then the semantic rules.

mod address;
mod certs;
pub(crate) mod ctx;
mod form;
mod ike;
pub(crate) mod newer;
mod owner;
mod profile;
mod security;
pub(crate) mod value;
mod vpn;
pub(crate) mod walk;

use plist::{Dictionary, Value};

pub use ctx::{Options, OsTarget};

use crate::diag::Diagnostic;
use crate::read::{SignatureInfo, Source};
use crate::schema::{self, Availability};
use ctx::Ctx;
use walk::{At, Scope};

/// The result of checking one file.
#[derive(Debug, Clone)]
pub struct Report {
    pub file: String,
    pub diagnostics: Vec<Diagnostic>,
    pub signature: Option<SignatureInfo>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diag::Severity::Error)
    }

    pub fn count(&self, s: crate::diag::Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == s).count()
    }
}

/// One payload dictionary of `PayloadContent`.
pub(crate) struct Payload<'a> {
    pub path: String,
    pub dict: &'a Dictionary,
    pub ptype: &'a str,
}

impl Payload<'_> {
    pub fn at(&self, rel: &str) -> String {
        crate::read::xmlpos::join(&self.path, rel)
    }
}

pub(crate) struct Profile<'a> {
    pub root: &'a Dictionary,
    pub payloads: Vec<Payload<'a>>,
}

/// Checks a parsed profile.
pub fn check_source(file: &str, src: &Source, opts: &Options) -> Report {
    let mut ctx = Ctx::new(opts, src.positions.as_ref());
    if let Some(sig) = &src.signature {
        profile::signature(&mut ctx, sig);
    }
    form::notes(&mut ctx, &src.notes);
    if let Some(pos) = &src.positions {
        for (path, _) in &pos.duplicates {
            ctx.emit(
                "IN-02",
                path,
                format!("`{path}` appears more than once in its dictionary: the device uses the last value"),
                "remove the duplicate key".into(),
            );
        }
    }
    if let Some(root) = src.root.as_dictionary() {
        security::collect_secrets(&mut ctx, root);
        let prof = walk_profile(&mut ctx, root);
        profile::rules(&mut ctx, &prof);
        vpn::rules(&mut ctx, &prof);
        certs::rules(&mut ctx, &prof);
        security::rules(&mut ctx, &prof);
    }
    Report {
        file: file.to_string(),
        diagnostics: ctx.finish(),
        signature: src.signature.clone(),
    }
}

/// Reads and checks bytes.
pub fn check_bytes(file: &str, bytes: &[u8], opts: &Options) -> Result<Report, crate::ReadError> {
    let src = crate::read::read(bytes)?;
    Ok(check_source(file, &src, opts))
}

fn walk_profile<'a>(ctx: &mut Ctx, root: &'a Dictionary) -> Profile<'a> {
    let top = schema::payload(schema::TOP_LEVEL);
    let avail = match (top, ctx.target()) {
        (Some(t), Some(target)) => Some(Availability::for_payload(t.os, target.os)),
        _ => None,
    };
    if let Some(top) = top {
        walk::walk_dict(
            ctx,
            &Scope {
                sets: vec![top.keys],
                open: false,
            },
            root,
            &At {
                payload_type: schema::TOP_LEVEL,
                path: String::new(),
                spath: String::new(),
                avail,
            },
        );
    }
    let encrypted = value::flag(root, "IsEncrypted") == Some(true)
        || root.contains_key("EncryptedPayloadContent");
    if encrypted {
        // An encrypted profile carries EncryptedPayloadContent instead of PayloadContent.
        ctx.diags
            .retain(|d| !(d.rule == "IKE2-C01" && d.path == "PayloadContent"));
        ctx.emit(
            "IN-01",
            "EncryptedPayloadContent",
            "the payloads are encrypted to the device (CMS EnvelopedData): only the outer dictionary was checked".into(),
            "check the profile before encrypting it".into(),
        );
    }
    let mut payloads = Vec::new();
    let items = value::array(root, "PayloadContent")
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for (i, v) in items.iter().enumerate() {
        let path = crate::read::xmlpos::index("PayloadContent", i);
        let Value::Dictionary(d) = v else {
            ctx.emit(
                "IKE2-C02",
                &path,
                format!(
                    "`{path}` is {}, not a payload dictionary: the device refuses the profile",
                    value::type_name(v)
                ),
                "each PayloadContent element must be a <dict> payload".into(),
            );
            continue;
        };
        let ptype = value::string(d, "PayloadType").unwrap_or("");
        walk_payload(ctx, d, &path, ptype);
        payloads.push(Payload {
            path,
            dict: d,
            ptype,
        });
    }
    Profile { root, payloads }
}

fn walk_payload(ctx: &mut Ctx, d: &Dictionary, path: &str, ptype: &str) {
    let (sets, open) = match schema::payload_scope(ptype) {
        Some(s) => (s, false),
        None => {
            if !ptype.is_empty() {
                ctx.emit(
                    "SCH-12",
                    &crate::read::xmlpos::join(path, "PayloadType"),
                    format!("no schema for PayloadType '{ptype}' in this checker: only the common payload keys were checked"),
                    "VPN, per-app VPN, certificate and DNS-settings payloads are checked in full".into(),
                );
            }
            let common = schema::payload(schema::COMMON)
                .map(|p| p.keys)
                .unwrap_or(&[]);
            (vec![common], true)
        }
    };
    let mut avail = None;
    if let (Some(target), Some(ps)) = (ctx.target(), schema::payload(ptype)) {
        let a = Availability::for_payload(ps.os, target.os);
        let missing = match a.introduced {
            schema::Avail::NotAvailable => Some(format!(
                "{} payloads are not supported on {}",
                ps.title,
                target.os.name()
            )),
            schema::Avail::Ver(v) if target.version.is_some_and(|tv| tv < v) => Some(format!(
                "{} payloads need {} {v}; the target is {}",
                ps.title,
                target.os.name(),
                target.describe()
            )),
            _ => None,
        };
        match missing {
            Some(msg) => {
                let rule = if ptype == schema::VPN {
                    "IKE2-C06"
                } else {
                    "SCH-11"
                };
                ctx.emit(
                    rule,
                    path,
                    format!("{msg}: the device refuses the profile"),
                    if ptype == schema::VPN && target.os == schema::Os::WatchOs {
                        "on watchOS use a per-app VPN payload (com.apple.vpn.managed.applayer) with VPNType IKEv2".into()
                    } else {
                        "target another OS or remove the payload".into()
                    },
                );
            }
            None => avail = Some(a),
        }
    }
    walk::walk_dict(
        ctx,
        &Scope { sets, open },
        d,
        &At {
            payload_type: ptype,
            path: path.to_string(),
            spath: String::new(),
            avail,
        },
    );
}
