//! Reading scenario files: TOML with spans for every error, then semantic checks (policies
//! build, names resolve, durations parse) so a scenario that loads can run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ikelab_policy::registry::parse as parse_registry;
use ikelab_policy::{
    AddressPool, ChildProposal, Duration, Identity, IdentityMatch, IkePolicy, IkeProposal, IpNet,
    Secret, TsSpec,
};
use ikelab_sim::{FaultAction, Mutation};
use ikelab_wire::iana::{CpAttributeType, ExchangeType, NotifyType, PayloadType};

use crate::format::{FaultSpec, MutationSpec, PeerSpec, ScenarioFile, StepSpec};

/// A scenario file that loaded and checked.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub file: PathBuf,
    pub spec: ScenarioFile,
    pub initiator: Arc<IkePolicy>,
    pub responder: Arc<IkePolicy>,
    pub faults: Vec<LoadedFault>,
}

/// A fault with its selector fields and action resolved.
#[derive(Debug, Clone)]
pub struct LoadedFault {
    pub spec: FaultSpec,
    /// `None`: ESP.
    pub exchange: Option<ExchangeType>,
    pub action: FaultAction,
}

/// Why a scenario file is unusable: always with `file:line:column`.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}: no scenario files (*.toml) found")]
    Empty(String),
    #[error("{first} and {second}: both define scenario {name:?} (names must be unique)")]
    Duplicate {
        name: String,
        first: String,
        second: String,
    },
}

/// Loads files and directories (recursively, `*.toml`, skipping `requirements/` catalogues),
/// in path order.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Scenario>, LoadError> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            collect(p, &mut files)?;
            if files.is_empty() {
                return Err(LoadError::Empty(p.display().to_string()));
            }
        } else {
            files.push(p.clone());
        }
    }
    files.sort();
    let mut out: Vec<Scenario> = Vec::new();
    for f in files {
        let s = load_file(&f)?;
        if let Some(prev) = out.iter().find(|o| o.spec.name == s.spec.name) {
            return Err(LoadError::Duplicate {
                name: s.spec.name.clone(),
                first: prev.file.display().to_string(),
                second: f.display().to_string(),
            });
        }
        out.push(s);
    }
    Ok(out)
}

/// The scenario files under `dir` (recursively, `*.toml`, skipping `requirements/`), sorted,
/// without loading them: for harnesses that report a broken file as one failure and run the
/// rest.
pub fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    Ok(files)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "requirements") {
                collect(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads one file.
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    load_str(path, &text)
}

/// Loads a scenario from text (`path` names it in errors and resolves `policy_file`).
pub fn load_str(path: &Path, text: &str) -> Result<Scenario, LoadError> {
    let display = path.display().to_string();
    let spec: ScenarioFile = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        LoadError::Invalid {
            path: display.clone(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    let invalid = |needle: &str, message: String| {
        let (line, column) = locate(text, needle);
        LoadError::Invalid {
            path: display.clone(),
            line,
            column,
            message,
        }
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let initiator = build_policy(&spec.initiator, true, base).map_err(|(n, m)| invalid(&n, m))?;
    let responder = build_policy(&spec.responder, false, base).map_err(|(n, m)| invalid(&n, m))?;
    let name_ok = !spec.name.is_empty()
        && !spec.name.starts_with('.')
        && spec
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        // The name becomes file names (pcaps, key tables) and test names.
        return Err(invalid(
            &spec.name,
            format!(
                "name {:?}: use letters, digits, '-', '_' and '.' (not first)",
                spec.name
            ),
        ));
    }
    if spec.roles.is_empty() {
        return Err(invalid("roles", "`roles` is empty: nothing to run".into()));
    }
    // Errors inside the Nth `[[faults]]` / `[[steps]]` table point into that table.
    let invalid_in = |header: &str, index: usize, needle: &str, message: String| {
        let (line, column) = locate_in(text, header, index, needle);
        LoadError::Invalid {
            path: display.clone(),
            line,
            column,
            message,
        }
    };
    let faults = spec
        .faults
        .iter()
        .enumerate()
        .map(|(i, f)| {
            load_fault(f)
                .map_err(|(n, m)| invalid_in("[[faults]]", i, &n, format!("faults[{i}]: {m}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (i, step) in spec.steps.iter().enumerate() {
        check_step(step)
            .map_err(|(n, m)| invalid_in("[[steps]]", i, &n, format!("steps[{i}]: {m}")))?;
    }
    for e in [
        Some(&spec.expect),
        spec.expect_when_initiator.as_ref(),
        spec.expect_when_responder.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        for n in e
            .sut_sends_notify
            .iter()
            .chain(&e.peer_sends_notify)
            .chain(&e.sut_never_sends_notify)
        {
            notify(n).map_err(|m| invalid(n, m))?;
        }
        for x in e.sut_exchanges.iter().flatten() {
            exchange(x).map_err(|m| invalid(x, m))?;
        }
        for name in e.sut_events.keys().chain(e.peer_events.keys()) {
            if !EVENTS.contains(&name.as_str()) {
                return Err(invalid(
                    name,
                    format!("unknown event {name:?} ({})", EVENTS.join(", ")),
                ));
            }
        }
        for c in &e.sut_wire_checks {
            if !crate::wire::CHECKS.contains(&c.as_str()) {
                return Err(invalid(
                    c,
                    format!(
                        "unknown wire check {c:?} ({})",
                        crate::wire::CHECKS.join(", ")
                    ),
                ));
            }
        }
        for m in &e.messages {
            if let Some(x) = &m.exchange {
                exchange(x).map_err(|msg| invalid(x, msg))?;
            }
            for d in [&m.sent_after, &m.sent_before].into_iter().flatten() {
                duration(d).map_err(|(_, msg)| invalid(d, msg))?;
            }
            if m.nth == Some(0) {
                return Err(invalid("nth", "messages: `nth` counts from 1".into()));
            }
            for t in m
                .payloads
                .iter()
                .flatten()
                .chain(&m.first)
                .chain(&m.has)
                .chain(&m.lacks)
                .chain(&m.order)
            {
                payload_token(t).map_err(|msg| invalid(t, msg))?;
            }
        }
        for n in &e.notifies {
            notify(&n.notify).map_err(|m| invalid(&n.notify, m))?;
            if let Some(x) = &n.exchange {
                exchange(x).map_err(|m| invalid(x, m))?;
            }
        }
        for ts in [&e.sut_child_local_ts, &e.sut_child_remote_ts]
            .into_iter()
            .flatten()
            .flatten()
        {
            ts.parse::<TsSpec>()
                .map_err(|err| invalid(ts, format!("selector: {err}")))?;
        }
        if let Some(t) = &e.ike_transforms {
            IkeProposal::parse(t).map_err(|err| invalid(t, format!("ike_transforms: {err}")))?;
        }
        if let Some(t) = &e.esp_transforms {
            ChildProposal::parse(t).map_err(|err| invalid(t, format!("esp_transforms: {err}")))?;
        }
    }
    Ok(Scenario {
        file: path.to_path_buf(),
        spec,
        initiator: Arc::new(initiator),
        responder: Arc::new(responder),
        faults,
    })
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where a semantic error's value is: the quoted value, else the key, else the top.
fn locate(text: &str, needle: &str) -> (usize, usize) {
    let quoted = format!("\"{needle}\"");
    let at = text
        .find(&quoted)
        .or_else(|| text.find(&format!("{needle} =")))
        .or_else(|| text.find(needle))
        .unwrap_or(0);
    line_col(text, at)
}

/// [`locate`] inside the `index`th table introduced by `header`, when the file uses that
/// header syntax (else anywhere).
fn locate_in(text: &str, header: &str, index: usize, needle: &str) -> (usize, usize) {
    let Some((start, _)) = text.match_indices(header).nth(index) else {
        return locate(text, needle);
    };
    let section = &text[start..];
    let end = section[header.len()..]
        .find("\n[")
        .map_or(section.len(), |e| e + header.len() + 1);
    let (l, c) = locate(&section[..end], needle);
    let (base, _) = line_col(text, start);
    if l == 1 && c == 1 && !section.starts_with(needle) {
        // Not found in the table (e.g. a sub-table such as `[faults.mutation]`): the table.
        let sub = locate(&section[end.min(section.len())..], needle);
        if sub != (1, 1) {
            let (sub_base, _) = line_col(text, start + end);
            return (sub_base + sub.0 - 1, sub.1);
        }
        return (base, 1);
    }
    (base + l - 1, c)
}

type Problem = (String, String);

fn build_policy(p: &PeerSpec, initiator: bool, base: &Path) -> Result<IkePolicy, Problem> {
    if let Some(i) = &p.implementation {
        if i != "ikelab" {
            return Err((
                i.clone(),
                format!("implementation {i:?}: only \"ikelab\" runs in simulation"),
            ));
        }
    }
    let (own, other) = if initiator {
        ("client.example", "vpn.example")
    } else {
        ("vpn.example", "client.example")
    };
    let mut policy = match &p.policy_file {
        Some(f) => {
            let path = base.join(f);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| (f.clone(), format!("policy_file {}: {e}", path.display())))?;
            let mut policy = IkePolicy::from_toml(&path.display().to_string(), &text)
                .map_err(|e| (f.clone(), e.to_string()))?;
            policy
                .load_files(path.parent().unwrap_or(base))
                .map_err(|e| (f.clone(), e.to_string()))?;
            policy
        }
        None => IkePolicy::psk(
            Identity::fqdn(own),
            IdentityMatch::Exact(Identity::fqdn(other)),
            Secret::new(b"ikelab scenario default psk".to_vec()),
        ),
    };
    if let Some(list) = &p.ike {
        policy.ike_proposals = list
            .iter()
            .map(|s| IkeProposal::parse(s).map_err(|e| (s.clone(), format!("ike: {e}"))))
            .collect::<Result<_, _>>()?;
    }
    let child = policy.children.first_mut().ok_or_else(|| {
        (
            "children".to_string(),
            "the policy has no CHILD_SA".to_string(),
        )
    })?;
    if let Some(list) = &p.esp {
        child.proposals = list
            .iter()
            .map(|s| ChildProposal::parse(s).map_err(|e| (s.clone(), format!("esp: {e}"))))
            .collect::<Result<_, _>>()?;
    }
    let ts = |list: &Vec<String>| {
        list.iter()
            .map(|s| {
                s.parse::<TsSpec>()
                    .map_err(|e| (s.clone(), format!("selector: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    if let Some(l) = &p.local_ts {
        child.local_ts = ts(l)?;
    }
    if let Some(l) = &p.remote_ts {
        child.remote_ts = ts(l)?;
    }
    if let Some(d) = &p.child_rekey_after {
        child.lifetime.rekey_after = Some(duration(d)?);
    }
    if let Some(id) = &p.id {
        policy.local.id = Some(
            id.parse::<Identity>()
                .map_err(|e| (id.clone(), format!("id: {e}")))?,
        );
    }
    if let Some(id) = &p.remote_id {
        policy.remote.id = id
            .parse::<IdentityMatch>()
            .map_err(|e| (id.clone(), format!("remote_id: {e}")))?;
    }
    if let Some(psk) = &p.psk {
        let secret = Secret::new(psk.as_bytes().to_vec());
        policy.local.auth = ikelab_policy::LocalAuth::Psk {
            secret: secret.clone(),
        };
        policy.remote.auth = ikelab_policy::RemoteAuth::Psk { secret };
    }
    if let Some(pool) = &p.pool {
        let net = pool
            .parse::<IpNet>()
            .map_err(|e| (pool.clone(), format!("pool: {e}")))?;
        policy.pool = Some(AddressPool {
            ranges: vec![net],
            ..AddressPool::default()
        });
    }
    if let Some(list) = &p.config_request {
        policy.config_request = list
            .iter()
            .map(|s| {
                parse_registry::<CpAttributeType>(s)
                    .map_err(|e| (s.clone(), format!("config_request: {e}")))
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(t) = p.cookie_threshold {
        policy.cookie_threshold = Some(t);
    }
    if let Some(d) = &p.dpd_interval {
        policy.dpd_interval = Some(duration(d)?);
    }
    if let Some(d) = &p.retransmit_timeout {
        policy.retransmission.timeout = duration(d)?;
    }
    if let Some(n) = p.retransmits {
        policy.retransmission.retransmits = n;
    }
    if let Some(d) = &p.ike_rekey_after {
        policy.ike_lifetime.rekey_after = Some(duration(d)?);
    }
    if let Some(f) = p.fragmentation {
        policy.features.fragmentation = f;
    }
    if let Some(f) = p.initial_contact {
        policy.features.initial_contact = f;
    }
    if let Some(f) = p.mobike {
        policy.features.mobike = f;
    }
    if let Some(f) = p.redirect {
        policy.features.redirect = f;
    }
    if let Some(gateway) = &p.redirect_to {
        let during = match p.redirect_during.as_deref() {
            None | Some("ike_sa_init") => ikelab_policy::RedirectPhase::IkeSaInit,
            Some("ike_auth") => ikelab_policy::RedirectPhase::IkeAuth,
            Some(other) => {
                return Err((
                    other.to_owned(),
                    "redirect_during: expected ike_sa_init or ike_auth".into(),
                ))
            }
        };
        policy.features.redirect_to = Some(ikelab_policy::RedirectTo {
            gateway: gateway.clone(),
            during,
        });
    }
    policy.validate().map_err(|e| {
        let first = p
            .ike
            .as_ref()
            .and_then(|l| l.first().cloned())
            .unwrap_or_else(|| {
                if initiator {
                    "[initiator]"
                } else {
                    "[responder]"
                }
                .into()
            });
        (first, format!("policy: {e}"))
    })?;
    Ok(policy)
}

pub(crate) fn duration(s: &str) -> Result<Duration, Problem> {
    s.parse::<Duration>()
        .map_err(|e| (s.to_string(), format!("duration {s:?}: {e}")))
}

pub(crate) fn notify(s: &str) -> Result<NotifyType, String> {
    parse_registry::<NotifyType>(s)
}

pub(crate) fn exchange(s: &str) -> Result<ExchangeType, String> {
    ExchangeType::from_name(s).ok_or_else(|| {
        format!("unknown exchange {s:?} (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL)")
    })
}

fn payload(s: &str) -> Result<PayloadType, Problem> {
    PayloadType::from_name(s).ok_or_else(|| {
        (
            s.to_string(),
            format!("unknown payload type {s:?} (SA, KE, IDi, IDr, CERT, CERTREQ, AUTH, Nonce, Notify, Delete, VendorID, TSi, TSr, SK, CP, EAP)"),
        )
    })
}

/// A payload in a `messages` expectation: a payload type, `Notify`/`N` (any Notify), or
/// `N(TYPE)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadToken {
    Payload(PayloadType),
    Notify(Option<NotifyType>),
}

pub(crate) fn payload_token(s: &str) -> Result<PayloadToken, String> {
    if s == "N" || s.eq_ignore_ascii_case("Notify") {
        return Ok(PayloadToken::Notify(None));
    }
    if let Some(inner) = s.strip_prefix("N(").and_then(|r| r.strip_suffix(')')) {
        return notify(inner).map(|n| PayloadToken::Notify(Some(n)));
    }
    payload(s)
        .map(PayloadToken::Payload)
        .map_err(|(_, m)| format!("{m}; or `N` / `N(COOKIE)` for a Notify"))
}

fn load_fault(f: &FaultSpec) -> Result<LoadedFault, Problem> {
    let exchange = if f.exchange.eq_ignore_ascii_case("esp") {
        None
    } else {
        Some(exchange(&f.exchange).map_err(|m| (f.exchange.clone(), m))?)
    };
    let after = || duration(f.after.as_deref().unwrap_or("1s"));
    let action = match f.action.as_str() {
        "drop" => FaultAction::Drop,
        "duplicate" => FaultAction::Duplicate,
        "delay" => FaultAction::Delay(after()?),
        "replay" => FaultAction::Replay { after: after()? },
        "corrupt" => FaultAction::CorruptByte {
            offset: f.offset.unwrap_or(-1),
            xor: f.xor.unwrap_or(0x01),
        },
        "mutate" => {
            let m = f.mutation.as_ref().ok_or_else(|| {
                (
                    "mutate".to_string(),
                    "action \"mutate\" needs a `mutation` table".to_string(),
                )
            })?;
            FaultAction::Mutate(mutation(m)?)
        }
        other => {
            return Err((
                other.to_string(),
                format!(
                "unknown fault action {other:?} (drop, duplicate, delay, replay, corrupt, mutate)"
            ),
            ))
        }
    };
    Ok(LoadedFault {
        spec: f.clone(),
        exchange,
        action,
    })
}

fn mutation(m: &MutationSpec) -> Result<Mutation, Problem> {
    let mut found = Vec::new();
    if let Some(p) = &m.omit_payload {
        found.push(Mutation::OmitPayload(payload(p)?));
    }
    if let Some(p) = &m.duplicate_payload {
        found.push(Mutation::DuplicatePayload(payload(p)?));
    }
    if let Some([a, b]) = m.swap_payloads {
        found.push(Mutation::SwapPayloads(a, b));
    }
    if let Some(t) = m.unknown_payload {
        found.push(Mutation::AddUnknownPayload {
            payload_type: t,
            critical: m.critical.unwrap_or(false),
        });
    }
    if let Some(p) = &m.set_critical {
        found.push(Mutation::SetCritical(payload(p)?));
    }
    if m.set_reserved_bits {
        found.push(Mutation::SetReservedBits);
    }
    if let Some(v) = m.major_version {
        found.push(Mutation::MajorVersion(v));
    }
    if let Some(v) = m.minor_version {
        found.push(Mutation::MinorVersion(v));
    }
    if let Some(v) = m.flags {
        found.push(Mutation::SetFlags(v));
    }
    if let Some(v) = m.initiator_spi {
        found.push(Mutation::InitiatorSpi(v));
    }
    if let Some(v) = m.responder_spi {
        found.push(Mutation::ResponderSpi(v));
    }
    if let Some(v) = m.message_id {
        found.push(Mutation::MessageId(v));
    }
    if let Some(v) = m.exchange_type {
        found.push(Mutation::ExchangeType(v));
    }
    if let Some(v) = m.ke_group {
        found.push(Mutation::KeGroup(v));
    }
    if let Some(v) = m.ke_data_len {
        found.push(Mutation::KeDataLen(v));
    }
    if let Some(v) = m.ts_protocol {
        found.push(Mutation::TsProtocol(v));
    }
    if let Some(n) = &m.remove_notify {
        found.push(Mutation::RemoveNotify(
            notify(n).map_err(|e| (n.clone(), e))?,
        ));
    }
    if let Some(n) = &m.add_notify {
        let t = notify(n).map_err(|e| (n.clone(), e))?;
        let data = match &m.notify_data {
            Some(h) => {
                decode_hex(h).ok_or_else(|| (h.clone(), format!("notify_data {h:?}: not hex")))?
            }
            None => Vec::new(),
        };
        found.push(Mutation::AddNotify {
            notify_type: t.0,
            data,
        });
    }
    if m.truncate_after_header {
        found.push(Mutation::TruncateAfterHeader);
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(("mutation".into(), "`mutation` sets no change".into())),
        n => Err((
            "mutation".into(),
            format!("`mutation` sets {n} changes; one per fault (add another [[faults]])"),
        )),
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

pub(crate) const EVENTS: &[&str] = &[
    "established",
    "child_installed",
    "child_failed",
    "child_deleted",
    "closed",
    "ike_rekeyed",
    "violation",
    "retransmitted",
    "ike_rekey_failed",
    "config_assigned",
    "addresses_updated",
    "redirected",
];

const ACTIONS: &[&str] = &[
    "connect",
    "run",
    "ping",
    "rekey_child",
    "rekey_ike",
    "create_child",
    "delete_child",
    "delete_ike",
    "dpd",
    "rebind_nat",
    "move_address",
    "inject",
];

/// An `inject` datagram's octets, `{spi_i}`/`{spi_r}` filled in.
pub(crate) fn inject_bytes(hex: &str, spi_i: u64, spi_r: u64) -> Option<Vec<u8>> {
    let text: String = hex
        .replace("{spi_i}", &format!("{spi_i:016x}"))
        .replace("{spi_r}", &format!("{spi_r:016x}"))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    decode_hex(&text)
}

fn check_step(s: &StepSpec) -> Result<(), Problem> {
    if !ACTIONS.contains(&s.action.as_str()) {
        return Err((
            s.action.clone(),
            format!("unknown action {:?} ({})", s.action, ACTIONS.join(", ")),
        ));
    }
    if let Some(u) = &s.until {
        if !EVENTS.contains(&u.as_str()) {
            return Err((
                u.clone(),
                format!("unknown event {u:?} ({})", EVENTS.join(", ")),
            ));
        }
    }
    for d in [&s.duration, &s.within].into_iter().flatten() {
        duration(d)?;
    }
    if s.action == "inject" {
        let hex = s.datagram.as_deref().ok_or_else(|| {
            (
                s.action.clone(),
                "inject needs `datagram` (an IKE message in hex)".into(),
            )
        })?;
        if inject_bytes(hex, 0, 0).is_none() {
            return Err((hex.to_string(), "datagram: not hex".into()));
        }
    }
    if s.action == "create_child" && s.child.is_none() {
        return Err((
            s.action.clone(),
            "create_child needs `child` (a CHILD_SA policy name)".into(),
        ));
    }
    Ok(())
}
