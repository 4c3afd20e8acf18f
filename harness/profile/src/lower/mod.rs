//! Policy lowering: an Apple VPN payload → the IKEv2 policy the device really uses.
//!
//! Each IKEv2 payload (`VPNType` IKEv2, and each `AlwaysOn` tunnel configuration) becomes a
//! [`LoweredPayload`]: one IKE and one ESP proposal as IANA transforms and strongSwan strings,
//! identities with their ID types, auth per side, timers and feature switches — and, when the
//! reference client can act on it, an [`IkePolicy`]. Every value names the rules that produced
//! it ([`rules::RULES`], each with its source); values resting on an inference are listed in
//! `inferred`. Problems are findings ([`Diagnostic`]) on the checker's key paths; lowering never
//! panics and is deterministic. The checker runs on the same document: a payload the checker
//! calls invalid always carries a lowering finding too (`LOWER-03`).
//!
//! Finding IDs: `LOWER-01` value not allowed (lowered with the default), `LOWER-02` payload
//! cannot be lowered, `LOWER-03` the checker reports errors in the payload, `LOWER-04` other
//! errors (missing secret, PPK half set), `LOWER-05` no IKEv2 payload in the profile.

pub mod auth;
pub mod explain;
pub mod gateway;
pub mod identity;
pub mod intune;
pub mod pq;
pub mod proposals;
pub mod rules;
pub mod timers;

use std::collections::BTreeSet;

use ikelab_policy::preset::IOS_CONFIG_REQUEST;
use ikelab_policy::{
    features::Ppk, ChildPolicy, ChildProposal, Duration, Encryption, Features, IdentityMatch,
    IkePolicy, IkeProposal, Lifetime, Local, NatTraversal, Remote, Secret, TsSpec,
};
use plist::{Dictionary, Value};
use serde::Serialize;

use crate::check::value::{array, dict, nonempty, show, string};
use crate::diag::{Diagnostic, Severity};
use crate::read::xmlpos::{index, join};
use crate::read::{PosIndex, Source};
use crate::schema;

pub use auth::{AuthOut, LocalMethod, RemoteMethod};
pub use identity::IdOut;
pub use proposals::SaParams;

/// Collects findings and applied rules while lowering one payload.
pub struct Sink<'a> {
    positions: Option<&'a PosIndex>,
    pub findings: Vec<Diagnostic>,
    applied: BTreeSet<(String, &'static str)>,
}

impl<'a> Sink<'a> {
    pub fn new(positions: Option<&'a PosIndex>) -> Self {
        Self {
            positions,
            findings: Vec::new(),
            applied: BTreeSet::new(),
        }
    }

    /// Records that `rule` decided `field`.
    pub fn apply(&mut self, field: &str, rule: &'static str) {
        debug_assert!(rules::rule(rule).is_some(), "unknown lowering rule {rule}");
        self.applied.insert((field.to_string(), rule));
    }

    fn push(
        &mut self,
        severity: Severity,
        rule: &'static str,
        path: &str,
        message: String,
        help: String,
    ) {
        let pos = self.positions.and_then(|p| {
            let mut cur = Some(path);
            while let Some(c) = cur {
                if let Some(pos) = p.get(c) {
                    return Some(pos);
                }
                cur = c.rfind(['.', '[']).map(|i| &c[..i]);
            }
            None
        });
        self.findings.push(Diagnostic {
            severity,
            rule,
            path: path.to_string(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            message,
            help,
        });
    }

    /// A value the schema does not allow: lowered with `default`.
    pub fn invalid(&mut self, path: &str, v: &Value, default: &str) {
        self.push(
            Severity::Error,
            "LOWER-01",
            path,
            format!("`{path}` is {}, which the schema does not allow: lowered with the default {default} (the device may refuse the profile)", show(v)),
            "use one of the schema's values".into(),
        );
    }

    pub fn error(&mut self, path: &str, message: String, help: String) {
        self.push(Severity::Error, "LOWER-04", path, message, help);
    }
}

/// One proposal as output: the strongSwan string and the IANA transforms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalOut {
    pub strongswan: String,
    pub transforms: Vec<TransformOut>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransformOut {
    /// Transform type: ENCR, PRF, INTEG, KE, ESN.
    #[serde(rename = "type")]
    pub ttype: &'static str,
    pub id: u16,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_length: Option<u16>,
}

pub fn ike_out(p: &IkeProposal) -> ProposalOut {
    let mut t = encryption_out(&p.encryption);
    t.extend(p.prf.iter().map(|x| plain_out("PRF", x.0, x.name())));
    t.extend(
        p.integrity
            .iter()
            .map(|x| plain_out("INTEG", x.0, x.name())),
    );
    t.extend(p.ke.iter().map(|x| plain_out("KE", x.0, x.name())));
    ProposalOut {
        strongswan: p.to_strongswan().unwrap_or_else(|_| p.to_string()),
        transforms: t,
    }
}

pub fn esp_out(p: &ChildProposal) -> ProposalOut {
    let mut t = encryption_out(&p.encryption);
    t.extend(
        p.integrity
            .iter()
            .map(|x| plain_out("INTEG", x.0, x.name())),
    );
    t.extend(p.ke.iter().map(|x| plain_out("KE", x.0, x.name())));
    t.extend(p.esn.iter().map(|x| plain_out("ESN", x.0, x.name())));
    ProposalOut {
        strongswan: p.to_strongswan().unwrap_or_else(|_| p.to_string()),
        transforms: t,
    }
}

fn encryption_out(list: &[Encryption]) -> Vec<TransformOut> {
    list.iter()
        .map(|e| TransformOut {
            key_length: e.key_bits,
            ..plain_out("ENCR", e.id.0, e.id.name())
        })
        .collect()
}

/// A transform without attributes; unregistered IDs are named by their number.
fn plain_out(ttype: &'static str, id: u16, name: Option<&'static str>) -> TransformOut {
    TransformOut {
        ttype,
        id,
        name: name.map_or_else(|| id.to_string(), str::to_string),
        key_length: None,
    }
}

/// Notify payloads the device announces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifiesOut {
    pub ike_sa_init: Vec<&'static str>,
    pub ike_auth: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PpkOut {
    pub id: String,
    pub mandatory: bool,
}

/// One lowered IKEv2 configuration.
#[derive(Debug, Clone, Serialize)]
pub struct LoweredPayload {
    /// Key path of the IKEv2 dictionary's owner (`PayloadContent[0]`, or an AlwaysOn tunnel).
    pub path: String,
    pub name: String,
    pub vpn_type: String,
    pub remote_address: Option<String>,
    pub ike_proposals: Vec<ProposalOut>,
    pub esp_proposals: Vec<ProposalOut>,
    pub local_id: Option<IdOut>,
    pub remote_id: Option<IdOut>,
    pub auth: AuthOut,
    pub dpd_interval_s: Option<u64>,
    pub nat_keepalive_s: u64,
    pub mtu: u16,
    pub mobike: bool,
    pub redirect: bool,
    pub fragmentation: bool,
    pub pfs: bool,
    pub ppk: Option<PpkOut>,
    pub ike_rekey_s: u64,
    pub child_rekey_s: u64,
    pub config_request: Vec<&'static str>,
    pub notifies: NotifiesOut,
    pub traffic_selectors: TsOut,
    /// Output fields whose value rests on an inference (a rule with basis `inference`).
    pub inferred: Vec<String>,
    /// Output field → the rules (IDs into the `rules` table) that decided it.
    pub applied: std::collections::BTreeMap<String, Vec<&'static str>>,
    pub findings: Vec<Diagnostic>,
    /// Why there is no runnable policy (certificate identity, password prompted, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_note: Option<String>,
    #[serde(skip)]
    pub ike_params: SaParams,
    #[serde(skip)]
    pub child_params: SaParams,
    /// The reference client's policy (secrets inside; never serialized here).
    #[serde(skip)]
    pub policy: Option<IkePolicy>,
    /// The profile's SharedSecret, also when there is no policy (a generated gateway needs it
    /// even if the device's password is prompted); never serialized.
    #[serde(skip)]
    pub shared_secret: Option<Secret>,
    /// The profile's AuthName (EAP identity), when set.
    #[serde(skip)]
    pub eap_identity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TsOut {
    pub local: Vec<String>,
    pub remote: Vec<String>,
}

/// The lowering of one profile.
#[derive(Debug, Clone, Serialize)]
pub struct Lowering {
    pub file: String,
    pub payloads: Vec<LoweredPayload>,
    /// Profile-level findings (no IKEv2 payload, unreadable parts).
    pub findings: Vec<Diagnostic>,
    /// Errors the checker reports anywhere in the profile.
    pub checker_errors: usize,
}

impl Lowering {
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .chain(self.payloads.iter().flat_map(|p| &p.findings))
            .any(|d| d.severity == Severity::Error)
    }

    /// JSON with the rule table, so every `applied` rule resolves to its source.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.file,
            "payloads": self.payloads,
            "findings": self.findings,
            "checker_errors": self.checker_errors,
            "rules": rules::RULES,
            "schema_source": rules::SCHEMA_SOURCE,
        })
    }
}

/// Reads and lowers a profile.
pub fn lower_bytes(file: &str, bytes: &[u8]) -> Result<Lowering, crate::ReadError> {
    let src = crate::read::read(bytes)?;
    Ok(lower_source(file, &src))
}

/// Lowers a parsed profile.
pub fn lower_source(file: &str, src: &Source) -> Lowering {
    let report = crate::check::check_source(file, src, &crate::Options::default());
    let mut out = Lowering {
        file: file.to_string(),
        payloads: Vec::new(),
        findings: Vec::new(),
        checker_errors: report.count(Severity::Error),
    };
    let Some(root) = src.root.as_dictionary() else {
        let mut s = Sink::new(src.positions.as_ref());
        s.push(
            Severity::Error,
            "LOWER-05",
            "",
            "the profile is not a dictionary: nothing to lower".into(),
            "a configuration profile is a <dict>".into(),
        );
        out.findings = s.findings;
        return out;
    };
    let items: &[Value] = array(root, "PayloadContent").map_or(&[], Vec::as_slice);
    for (i, v) in items.iter().enumerate() {
        let Some(d) = v.as_dictionary() else { continue };
        let ptype = string(d, "PayloadType").unwrap_or("");
        if ptype != schema::VPN && ptype != "com.apple.vpn.managed.applayer" {
            continue;
        }
        let path = index("PayloadContent", i);
        let name = string(d, "UserDefinedName").unwrap_or("").to_string();
        let vtype = string(d, "VPNType").unwrap_or("");
        match vtype {
            "IKEv2" => {
                let ike_path = join(&path, "IKEv2");
                match dict(d, "IKEv2") {
                    Some(ike) => out
                        .payloads
                        .push(lower_ikev2(src, &path, &ike_path, ike, &name, vtype, items)),
                    None => {
                        let mut s = Sink::new(src.positions.as_ref());
                        s.push(Severity::Error, "LOWER-02", &path, "VPNType is IKEv2 but the payload has no IKEv2 dictionary: the device has nothing to connect with".into(), "add the IKEv2 dictionary".into());
                        out.findings.extend(s.findings);
                    }
                }
            }
            "AlwaysOn" => {
                let tc_path = join(&join(&path, "AlwaysOn"), "TunnelConfigurations");
                let tunnels = dict(d, "AlwaysOn").and_then(|a| array(a, "TunnelConfigurations"));
                for (j, t) in tunnels.map_or(&[][..], Vec::as_slice).iter().enumerate() {
                    if let Some(td) = t.as_dictionary() {
                        let tp = index(&tc_path, j);
                        out.payloads
                            .push(lower_ikev2(src, &tp, &tp, td, &name, vtype, items));
                    }
                }
            }
            _ => {}
        }
    }
    if out.payloads.is_empty() && out.findings.is_empty() {
        let mut s = Sink::new(src.positions.as_ref());
        // An encrypted profile hides its payloads: say so instead of "no IKEv2 payload".
        if root.contains_key("EncryptedPayloadContent") {
            s.push(
                Severity::Warning,
                "LOWER-05",
                "EncryptedPayloadContent",
                "the payloads are encrypted to a device (CMS EnvelopedData): nothing can be lowered without the device's private key".into(),
                "lower the profile before it is encrypted".into(),
            );
        } else {
            s.push(
                Severity::Warning,
                "LOWER-05",
                "PayloadContent",
                "the profile has no IKEv2 VPN payload (VPNType IKEv2 or AlwaysOn): nothing to lower"
                    .into(),
                "lowering covers IKEv2 only".into(),
            );
        }
        out.findings = s.findings;
    }
    // Agreement with the checker: never lower a payload it calls invalid without saying so.
    for p in &mut out.payloads {
        let prefix = p.path.clone();
        let owner = prefix
            .split(".AlwaysOn")
            .next()
            .unwrap_or(&prefix)
            .to_string();
        let errs: Vec<&Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .filter(|d| {
                d.path == owner
                    || d.path.starts_with(&format!("{owner}."))
                    || d.path.starts_with(&format!("{owner}["))
            })
            .collect();
        if !errs.is_empty() {
            let mut ids: Vec<&str> = errs.iter().map(|d| d.rule).collect();
            ids.dedup();
            let mut s = Sink::new(src.positions.as_ref());
            s.push(
                Severity::Warning,
                "LOWER-03",
                &owner,
                format!("the checker reports {} error(s) in this payload ({}): the device may refuse it; this lowering shows what it would send if installed", errs.len(), ids.join(", ")),
                "run `ikelab profile check` and fix the errors".into(),
            );
            p.findings.extend(s.findings);
        }
    }
    out
}

/// DER certificates of root/pem/pkcs1 payloads: the gateway's trust anchors for the device.
fn trust_anchors(items: &[Value]) -> Vec<Vec<u8>> {
    use der::Encode;
    let mut v = Vec::new();
    for d in items.iter().filter_map(Value::as_dictionary) {
        let t = string(d, "PayloadType").unwrap_or("");
        if !matches!(
            t,
            "com.apple.security.root" | "com.apple.security.pem" | "com.apple.security.pkcs1"
        ) {
            continue;
        }
        if let Some(Value::Data(bytes)) = d.get("PayloadContent") {
            if let Ok(certs) = crate::x509::parse_certs(bytes) {
                v.extend(certs.iter().filter_map(|c| c.to_der().ok()));
            }
        }
    }
    v
}

fn lower_ikev2(
    src: &Source,
    owner: &str,
    path: &str,
    ike: &Dictionary,
    name: &str,
    vpn_type: &str,
    items: &[Value],
) -> LoweredPayload {
    let anchors = &trust_anchors(items);
    let mut s = Sink::new(src.positions.as_ref());
    let remote_address = nonempty(ike, "RemoteAddress").map(str::to_string);
    if remote_address.is_none() {
        s.push(
            Severity::Error,
            "LOWER-02",
            &join(path, "RemoteAddress"),
            "RemoteAddress is missing or empty: the device has no gateway to contact".into(),
            "set RemoteAddress to the gateway's host name or address".into(),
        );
    }

    // Proposals.
    let ike_path = join(path, "IKESecurityAssociationParameters");
    let child_path = join(path, "ChildSecurityAssociationParameters");
    let ike_params = proposals::sa_params(
        &mut s,
        &ike_path,
        dict(ike, "IKESecurityAssociationParameters"),
    );
    let child_params = match dict(ike, "ChildSecurityAssociationParameters") {
        Some(c) => {
            s.apply("esp_proposals", "LW-CHILD-PARTIAL");
            s.apply("child_rekey_s", "LW-CHILD-PARTIAL");
            proposals::sa_params(&mut s, &child_path, Some(c))
        }
        None => {
            s.apply("esp_proposals", "LW-CHILD");
            s.apply("child_rekey_s", "LW-CHILD");
            ike_params
        }
    };
    let pfs = timers::switch(&mut s, ike, path, "EnablePFS", false);
    s.apply("pfs", "LW-PFS");
    let ike_prop = proposals::ike_proposal(&mut s, &ike_params);
    let esp_prop = proposals::esp_proposal(&mut s, &child_params, pfs);
    // Post-quantum ADDKE (iOS/macOS 26): the Child methods, like its DH group, only with PFS.
    let pq_ike = pq::methods(
        &mut s,
        dict(ike, "IKESecurityAssociationParameters"),
        &ike_path,
    );
    let pq_child = match dict(ike, "ChildSecurityAssociationParameters") {
        Some(c) => pq::methods(&mut s, Some(c), &child_path),
        None => pq_ike.clone(),
    };
    let pq_esp = if pfs { pq_child } else { Vec::new() };
    pq::note(
        &mut s,
        path,
        &pq_ike,
        &pq_esp,
        crate::check::value::flag(ike, "AllowPostQuantumKeyExchangeFallback"),
    );
    s.apply("ike_rekey_s", "LW-LIFE");
    s.apply("child_rekey_s", "LW-LIFE");

    // Identities and auth.
    let local_id = identity::lower(&mut s, "local_id", string(ike, "LocalIdentifier"))
        .unwrap_or_else(|| identity::device_address(&mut s));
    let remote_id = identity::lower(&mut s, "remote_id", string(ike, "RemoteIdentifier"));
    if remote_id.is_none() {
        s.push(Severity::Error, "LOWER-02", &join(path, "RemoteIdentifier"), "RemoteIdentifier is missing or empty (required): the device cannot name the gateway in IDr".into(), "set RemoteIdentifier to the gateway's identity (usually its host name)".into());
    }
    let auth = auth::methods(&mut s, ike, path);

    // Timers and switches.
    let dpd = timers::dpd(&mut s, ike, path);
    s.apply("nat_keepalive_s", "LW-NATKA");
    let natka = timers::int_in(
        &mut s,
        ike,
        path,
        "NATKeepAliveInterval",
        20,
        20..=i64::from(u32::MAX),
    );
    s.apply("mtu", "LW-MTU");
    let mtu = timers::int_in(&mut s, ike, path, "MTU", 1280, 1280..=1400);
    s.apply("mobike", "LW-MOBIKE");
    let mobike = !timers::switch(&mut s, ike, path, "DisableMOBIKE", false);
    s.apply("redirect", "LW-REDIRECT");
    let redirect = !timers::switch(&mut s, ike, path, "DisableRedirect", false);
    s.apply("fragmentation", "LW-FRAG");
    let ppk = timers::ppk(&mut s, ike, path);
    s.apply("notifies", "LW-NOTIFY");
    s.apply("config_request", "LW-CP");
    s.apply("traffic_selectors", "LW-TS");

    let mut init = vec![
        "NAT_DETECTION_SOURCE_IP",
        "NAT_DETECTION_DESTINATION_IP",
        "IKEV2_FRAGMENTATION_SUPPORTED",
    ];
    if redirect {
        init.insert(0, "REDIRECT_SUPPORTED");
    }
    let mut authn = vec![
        "INITIAL_CONTACT",
        "ESP_TFC_PADDING_NOT_SUPPORTED",
        "NON_FIRST_FRAGMENTS_ALSO",
    ];
    if mobike {
        authn.push("MOBIKE_SUPPORTED");
    }
    let eap_only = auth.local_method.is_eap();
    if eap_only {
        authn.push("EAP_ONLY_AUTHENTICATION");
    }
    if ppk.is_some() {
        init.push("USE_PPK");
    }

    let remote_ts = vec!["0.0.0.0/0".to_string(), "::/0".to_string()];
    let (policy, policy_note) = match auth::policy_auth(&mut s, &auth, ike, path, anchors, items) {
        Ok((local_auth, remote_auth)) => {
            let mut p = IkePolicy::new(
                Local {
                    id: local_id.identity.clone(),
                    auth: local_auth,
                },
                Remote {
                    id: remote_id
                        .as_ref()
                        .and_then(|r| r.identity.clone())
                        .map_or(IdentityMatch::Any, IdentityMatch::Exact),
                    auth: remote_auth,
                },
            );
            p.name = if name.is_empty() {
                "profile".into()
            } else {
                name.to_string()
            };
            p.ike_proposals = vec![ike_prop.clone()];
            let ts = |v: &[String]| {
                v.iter()
                    .filter_map(|t| t.parse::<TsSpec>().ok())
                    .collect::<Vec<_>>()
            };
            p.children = vec![ChildPolicy {
                name: "profile".into(),
                proposals: vec![esp_prop.clone()],
                remote_ts: ts(&remote_ts),
                lifetime: Lifetime {
                    rekey_after: Some(Duration::from_secs(
                        u64::from(child_params.lifetime_min) * 60,
                    )),
                    jitter: Duration::ZERO,
                    expire_after: None,
                },
                ..ChildPolicy::default()
            }];
            p.ike_lifetime = Lifetime {
                rekey_after: Some(Duration::from_secs(u64::from(ike_params.lifetime_min) * 60)),
                jitter: Duration::ZERO,
                expire_after: None,
            };
            p.dpd_interval = dpd.map(Duration::from_secs);
            p.nat_traversal = NatTraversal {
                keepalive: Some(Duration::from_secs(natka.unsigned_abs())),
                force_encapsulation: false,
            };
            p.features = Features {
                fragmentation: true,
                mobike,
                redirect,
                initial_contact: true,
                signature_hash_algorithms: Vec::new(),
                ppk: ppk.as_ref().map(|k| Ppk {
                    id: k.id.clone(),
                    secret: Secret::new(k.secret.clone()),
                    mandatory: k.mandatory,
                }),
                esp_tfc_padding_not_supported: true,
                non_first_fragments_also: true,
                eap_only,
                ..Features::default()
            };
            p.config_request = IOS_CONFIG_REQUEST.to_vec();
            (Some(p), None)
        }
        Err(why) => (None, Some(why)),
    };

    let mut applied: std::collections::BTreeMap<String, Vec<&'static str>> = Default::default();
    for (f, r) in &s.applied {
        applied.entry(f.clone()).or_default().push(r);
    }
    let inferred: Vec<String> = applied
        .iter()
        .filter(|(_, rs)| {
            rs.iter()
                .any(|r| rules::rule(r).is_some_and(|r| r.basis == rules::Basis::Inference))
        })
        .map(|(f, _)| f.clone())
        .collect();
    LoweredPayload {
        path: owner.to_string(),
        name: name.to_string(),
        vpn_type: vpn_type.to_string(),
        remote_address,
        ike_proposals: vec![{
            let mut o = ike_out(&ike_prop);
            pq::extend(&mut o, &pq_ike);
            o
        }],
        esp_proposals: vec![{
            let mut o = esp_out(&esp_prop);
            pq::extend(&mut o, &pq_esp);
            o
        }],
        local_id: Some(local_id),
        remote_id,
        auth,
        dpd_interval_s: dpd,
        nat_keepalive_s: natka.unsigned_abs(),
        mtu: u16::try_from(mtu).unwrap_or(1280),
        mobike,
        redirect,
        fragmentation: true,
        pfs,
        ppk: ppk.map(|k| PpkOut {
            id: k.id,
            mandatory: k.mandatory,
        }),
        ike_rekey_s: u64::from(ike_params.lifetime_min) * 60,
        child_rekey_s: u64::from(child_params.lifetime_min) * 60,
        config_request: IOS_CONFIG_REQUEST.iter().filter_map(|c| c.name()).collect(),
        notifies: NotifiesOut {
            ike_sa_init: init,
            ike_auth: authn,
        },
        traffic_selectors: TsOut {
            local: vec!["dynamic".into()],
            remote: remote_ts,
        },
        inferred,
        applied,
        findings: s.findings,
        policy_note,
        ike_params,
        child_params,
        policy,
        shared_secret: auth::shared_secret(ike),
        eap_identity: nonempty(ike, "AuthName").map(str::to_string),
    }
}
