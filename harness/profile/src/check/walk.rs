//! Generic schema walk: every key of a payload against Apple's key table (types, presence,
//! allowed values, ranges, formats, array cardinality, OS availability, unknown keys).
//!
//! Type severities (documented in the crate README):
//! - `<true/>`/`<false/>` where the schema says integer 0/1, `<real>` with an integral value where
//!   it says integer, and integer 0/1 where it says boolean → **warning**. The device's profile
//!   parser reads these keys as NSNumber, and booleans, integers and reals are all NSNumber, so the
//!   value is accepted (real profiles from algo, jawj and Aeron install and connect with them).
//! - Any other mismatch (a `<string>` for an integer, an `<integer>` for a string, ...) →
//!   **error**: the value is of another class, so the device cannot use it.

use plist::{Dictionary, Value};

use super::ctx::Ctx;
use super::owner::{owner, Kind, Owner};
use super::value::{int_value, show, type_name};
use crate::diag::Severity;
use crate::read::xmlpos::{index, join};
use crate::schema::{self, format_matches, Avail, Availability, KeyDef, Lit, Ty};

/// Where in a payload the walk is.
#[derive(Clone)]
pub(crate) struct At<'p> {
    pub payload_type: &'p str,
    /// Document path (`PayloadContent[0].IKEv2.MTU`).
    pub path: String,
    /// Schema path inside the payload, array items as `[]` (`IKEv2.OnDemandRules[].Action`).
    pub spath: String,
    /// Availability on the target OS; `None` without a target or below an already reported key.
    pub avail: Option<Availability>,
}

impl<'p> At<'p> {
    fn key(&self, k: &str, def: Option<&KeyDef>, ctx: &Ctx) -> At<'p> {
        At {
            payload_type: self.payload_type,
            path: join(&self.path, k),
            spath: join(&self.spath, k),
            avail: match (self.avail, def, ctx.target()) {
                (Some(a), Some(d), Some(t)) => Some(a.child(d.os, t.os)),
                _ => None,
            },
        }
    }

    fn item(&self, i: usize) -> At<'p> {
        At {
            payload_type: self.payload_type,
            path: index(&self.path, i),
            spath: format!("{}[]", self.spath),
            avail: self.avail,
        }
    }
}

/// Key sets that apply to one dictionary.
pub(crate) struct Scope {
    pub sets: Vec<&'static [KeyDef]>,
    /// No schema for this dictionary's type: do not report unknown keys.
    pub open: bool,
}

fn report(
    ctx: &mut Ctx,
    kind: Kind,
    at: &At,
    value: Option<&Value>,
    message: String,
    help: String,
) {
    let (rule, sev) = match owner(kind, at.payload_type, &at.spath, value) {
        Owner::Suppress => return,
        Owner::Default => (kind.default_rule(), None),
        Owner::Rule(r, s) => (r, s),
    };
    let sev =
        sev.unwrap_or_else(|| crate::rules::rule(rule).map_or(Severity::Warning, |r| r.severity));
    ctx.emit_at(rule, sev, &at.path, message, help);
}

fn where_(at: &At) -> String {
    if at.path.is_empty() {
        "the profile".to_string()
    } else {
        format!("`{}`", at.path)
    }
}

/// Levenshtein distance (ASCII-case-insensitive).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest known name, if close enough to be a likely typo.
pub fn suggest<'k>(name: &str, candidates: impl Iterator<Item = &'k str>) -> Option<&'k str> {
    let limit = (name.chars().count() / 3).clamp(1, 4);
    candidates
        .filter(|c| *c != "ANY")
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

pub(crate) fn walk_dict(ctx: &mut Ctx, scope: &Scope, dict: &Dictionary, at: &At) {
    let any = scope
        .sets
        .iter()
        .flat_map(|s| s.iter())
        .find(|k| k.name == "ANY");
    for (k, v) in dict {
        match schema::find_key(&scope.sets, k).filter(|d| d.name != "ANY") {
            Some(def) => {
                let child = at.key(k, Some(def), ctx);
                check_value(ctx, def, v, &child);
            }
            None => {
                if let Some(any) = any {
                    let child = at.key(k, None, ctx);
                    check_value(ctx, any, v, &child);
                } else if !scope.open {
                    let child = at.key(k, None, ctx);
                    // Keys Apple added after the schema snapshot are checked, not "unknown".
                    if !super::newer::handle(ctx, k, v, &child) {
                        unknown_key(ctx, scope, k, &child);
                    }
                }
            }
        }
    }
    for def in scope.sets.iter().flat_map(|s| s.iter()) {
        if def.presence == schema::Presence::Required
            && def.name != "ANY"
            && !dict.contains_key(def.name)
        {
            let child = at.key(def.name, Some(def), ctx);
            // A key the target OS does not have cannot be required there.
            if let Some(a) = child.avail {
                if !available(a, ctx) {
                    continue;
                }
            }
            if super::owner::ike_rel(&child.spath) == Some("LocalIdentifier") {
                ctx.emit_at(
                    "IKE2-C12",
                    Severity::Warning,
                    &child.path,
                    format!(
                        "{} has no `LocalIdentifier`: Apple marks it required, yet devices install such profiles (common in real generators) and then use their IP address as IKE identity, which servers that check IDi reject",
                        where_(at)
                    ),
                    "set LocalIdentifier to the client identity the server expects (user FQDN, FQDN or the certificate's name)".into(),
                );
                continue;
            }
            let mut help = format!("add `{}` ({})", def.name, def.ty.xml_name());
            if !def.summary.is_empty() {
                help.push_str(&format!("; Apple: {}", def.summary));
            }
            report(
                ctx,
                Kind::Missing,
                &child,
                None,
                format!(
                    "{} lacks the required key `{}`: the device refuses the payload or the VPN cannot be set up",
                    where_(at),
                    def.name
                ),
                help,
            );
        }
    }
}

fn available(a: Availability, ctx: &Ctx) -> bool {
    let Some(t) = ctx.target() else { return true };
    match a.introduced {
        Avail::NotAvailable => false,
        Avail::Ver(v) => t.version.is_none_or(|tv| tv >= v),
        Avail::Unset => true,
    }
}

/// Keys Apple's YAML omits that real profiles carry (schema path, what happens, help).
const UNDOCUMENTED: &[(&str, &str, &str)] = &[
    (
        "VPN.RemoteAddress",
        "the system stores it as the provider's server address (NEVPNProtocol.serverAddress) and shows it in Settings",
        "keep it if the VPN app relies on it",
    ),
    (
        "PayloadEnabled",
        "macOS Server Profile Manager and Jamf Pro write it into every payload of their exports; the device ignores it",
        "no change needed",
    ),
];

fn unknown_key(ctx: &mut Ctx, scope: &Scope, k: &str, at: &At) {
    if let Some(rel) = super::owner::ike_rel(&at.spath) {
        let positive = [
            "EnableMOBIKE",
            "MOBIKE",
            "MOBIKEEnabled",
            "EnableRedirect",
            "Redirect",
            "RedirectEnabled",
        ];
        if positive.iter().any(|p| p.eq_ignore_ascii_case(rel)) {
            let apple = if rel.to_ascii_lowercase().contains("mobike") {
                "DisableMOBIKE"
            } else {
                "DisableRedirect"
            };
            ctx.emit(
                "IKE2-D17",
                &at.path,
                format!("`{k}` is not an Apple key: the device ignores it and keeps its default (enabled)"),
                format!("Intune's \"Enable\" switch maps to Apple's inverted `{apple}` (0 = enabled, 1 = disabled)"),
            );
            return;
        }
    }
    if let Some((_, why, help)) = UNDOCUMENTED.iter().find(|(p, _, _)| *p == at.spath) {
        ctx.emit_at(
            "SCH-01",
            Severity::Note,
            &at.path,
            format!("`{k}` is not in Apple's current schema, but {why}"),
            (*help).into(),
        );
        return;
    }
    let names = scope.sets.iter().flat_map(|s| s.iter()).map(|d| d.name);
    let help = if let Some(s) = suggest(k, names) {
        format!("did you mean `{s}`?")
    } else {
        let homes = schema::payload_scope(at.payload_type)
            .map(|sc| schema::locate_key(&sc, k))
            .unwrap_or_default();
        if homes.is_empty() {
            "remove the key, or check Apple's documentation for its name".to_string()
        } else {
            format!(
                "`{k}` is defined inside {}: move it there",
                homes
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    report(
        ctx,
        Kind::Unknown,
        at,
        None,
        format!("unknown key `{k}`: the device ignores it"),
        help,
    );
}

enum TypeMatch {
    Ok,
    Lenient(&'static str),
    Mismatch,
}

fn type_match(def: &KeyDef, v: &Value) -> TypeMatch {
    let zero_one = def.rangelist.iter().all(|l| matches!(l, Lit::Int(0 | 1)));
    match (def.ty, v) {
        (Ty::Any, _)
        | (Ty::String, Value::String(_))
        | (Ty::Integer, Value::Integer(_))
        | (Ty::Real, Value::Real(_) | Value::Integer(_))
        | (Ty::Boolean, Value::Boolean(_))
        | (Ty::Date, Value::Date(_))
        | (Ty::Data, Value::Data(_))
        | (Ty::Array, Value::Array(_))
        | (Ty::Dictionary, Value::Dictionary(_)) => TypeMatch::Ok,
        (Ty::Integer, Value::Boolean(_)) if zero_one => TypeMatch::Lenient(
            "the device accepts it: booleans and integers are both NSNumber, true reads as 1",
        ),
        (Ty::Integer, Value::Real(r)) if r.fract() == 0.0 && r.is_finite() => TypeMatch::Lenient(
            "the device accepts it: an integral <real> is an NSNumber like <integer>",
        ),
        (Ty::Boolean, Value::Integer(i)) if matches!(i.as_signed(), Some(0 | 1)) => {
            TypeMatch::Lenient("the device accepts it: integers 0/1 and booleans are both NSNumber")
        }
        _ => TypeMatch::Mismatch,
    }
}

pub(crate) fn check_value(ctx: &mut Ctx, def: &'static KeyDef, v: &Value, at: &At) {
    if !check_os(ctx, def, at) {
        return;
    }
    match type_match(def, v) {
        TypeMatch::Ok => {}
        TypeMatch::Lenient(why) => {
            let strict = match def.ty {
                Ty::Integer => format!("<integer>{}</integer>", int_value(v).unwrap_or(0)),
                Ty::Boolean => if int_value(v).unwrap_or(0) != 0 {
                    "<true/>"
                } else {
                    "<false/>"
                }
                .to_string(),
                _ => def.ty.xml_name().to_string(),
            };
            report(
                ctx,
                Kind::Lenient,
                at,
                Some(v),
                format!(
                    "{} is {} but Apple's schema says {}: {why}",
                    where_(at),
                    type_name(v),
                    def.ty.xml_name()
                ),
                format!("write {strict} so strict validators (MDM servers, Apple Configurator) accept it"),
            );
        }
        TypeMatch::Mismatch => {
            report(
                ctx,
                Kind::Type,
                at,
                Some(v),
                format!(
                    "{} is {} but must be {}: the device cannot read it (the payload fails to install or the value is ignored)",
                    where_(at),
                    type_name(v),
                    def.ty.xml_name()
                ),
                format!("write the value as {}", def.ty.xml_name()),
            );
            return;
        }
    }
    check_allowed(ctx, def, v, at);
    match v {
        Value::Dictionary(d) => {
            if def.subkeys.is_empty() {
                return;
            }
            // `ConsentText`-style maps: the only subkey is an `...Item` placeholder dictionary
            // whose `ANY` entry types the map's values.
            if let [item] = def.subkeys {
                if item.ty == Ty::Dictionary
                    && item.name.ends_with("Item")
                    && item.any_value().is_some()
                {
                    walk_dict(
                        ctx,
                        &Scope {
                            sets: vec![item.subkeys],
                            open: false,
                        },
                        d,
                        at,
                    );
                    return;
                }
            }
            let mut sets: Vec<&'static [KeyDef]> = vec![def.subkeys];
            // A6: tunnel configurations carry the IKEv2 key set in practice.
            if at.spath == "AlwaysOn.TunnelConfigurations[]" {
                sets.push(schema::ikev2_keys());
            }
            // VendorConfig belongs to the provider app: its keys are the vendor's, not Apple's.
            let open = at.spath == "VendorConfig";
            walk_dict(ctx, &Scope { sets, open }, d, at);
        }
        Value::Array(items) => {
            let Some(item) = def.array_item() else { return };
            let n = items.len() as u64;
            if item.rep_min.is_some_and(|m| n < u64::from(m))
                || item.rep_max.is_some_and(|m| n > u64::from(m))
            {
                report(
                    ctx,
                    Kind::Repetition,
                    at,
                    Some(v),
                    format!(
                        "{} has {n} item(s); Apple allows {}..{}: the device rejects the array",
                        where_(at),
                        item.rep_min.map_or("0".into(), |m| m.to_string()),
                        item.rep_max.map_or("any".into(), |m| m.to_string())
                    ),
                    "adjust the number of items".into(),
                );
            }
            for (i, e) in items.iter().enumerate() {
                check_value(ctx, item, e, &at.item(i));
            }
        }
        _ => {}
    }
}

/// OS availability; returns false when the key is not available (its children are not checked).
fn check_os(ctx: &mut Ctx, def: &KeyDef, at: &At) -> bool {
    let (Some(a), Some(t)) = (at.avail, ctx.target()) else {
        return true;
    };
    let name = t.os.name();
    let not_here = match a.introduced {
        Avail::NotAvailable => Some(format!(
            "{} is not available on {name}: the device ignores it",
            where_(at)
        )),
        Avail::Ver(v) if t.version.is_some_and(|tv| tv < v) => Some(format!(
            "{} was introduced in {name} {v}; {} ignores it",
            where_(at),
            t.describe()
        )),
        _ => None,
    };
    if let Some(msg) = not_here {
        report(
            ctx,
            Kind::OsUnavailable,
            at,
            None,
            msg,
            format!(
                "remove `{}` for {} or raise the minimum OS version",
                def.name,
                t.describe()
            ),
        );
        return false;
    }
    if let Avail::Ver(v) = a.removed {
        if t.version.is_none_or(|tv| tv >= v) {
            report(
                ctx,
                Kind::OsRemoved,
                at,
                None,
                format!(
                    "{} was removed in {name} {v}: the device ignores it",
                    where_(at)
                ),
                format!("remove `{}`", def.name),
            );
            return false;
        }
    }
    if let Avail::Ver(v) = a.deprecated {
        if t.version.is_none_or(|tv| tv >= v) {
            report(
                ctx,
                Kind::OsDeprecated,
                at,
                None,
                format!(
                    "{} is deprecated since {name} {v} (still honoured)",
                    where_(at)
                ),
                "use the replacement Apple documents for this key".into(),
            );
        }
    }
    true
}

fn check_allowed(ctx: &mut Ctx, def: &KeyDef, v: &Value, at: &At) {
    let default = def
        .default
        .map(|d| format!(" (default {d})"))
        .unwrap_or_default();
    if !def.rangelist.is_empty() {
        let ok = match v {
            Value::String(s) => def
                .rangelist
                .iter()
                .any(|l| matches!(l, Lit::Str(x) if x == s)),
            other => match int_value(other) {
                Some(i) => def
                    .rangelist
                    .iter()
                    .any(|l| matches!(l, Lit::Int(x) if *x == i)),
                None => true,
            },
        };
        if !ok {
            let allowed: Vec<String> = def.rangelist.iter().map(ToString::to_string).collect();
            let hint = match v {
                Value::String(s) => suggest(
                    s,
                    def.rangelist.iter().filter_map(|l| match l {
                        Lit::Str(x) => Some(*x),
                        _ => None,
                    }),
                )
                .map(|s| format!("did you mean '{s}'? "))
                .unwrap_or_default(),
                _ => String::new(),
            };
            report(
                ctx,
                Kind::Value,
                at,
                Some(v),
                format!(
                    "{} is {}, not an allowed value: the device rejects the payload or ignores the value{default}",
                    where_(at),
                    show(v)
                ),
                format!("{hint}allowed: {}", allowed.join(", ")),
            );
        }
    }
    if def.min.is_some() || def.max.is_some() {
        if let Some(i) = int_value(v) {
            if def.min.is_some_and(|m| i < m) || def.max.is_some_and(|m| i > m) {
                let range = format!(
                    "{}..{}",
                    def.min.map_or(String::new(), |m| m.to_string()),
                    def.max.map_or(String::new(), |m| m.to_string())
                );
                report(
                    ctx,
                    Kind::Range,
                    at,
                    Some(v),
                    format!(
                        "{} is {i}, outside Apple's range {range}: the device does not accept it{default}",
                        where_(at)
                    ),
                    format!("use a value in {range}"),
                );
            }
        }
    }
    if let (Some(fmt), Value::String(s)) = (def.format, v) {
        if format_matches(fmt, s) == Some(false) {
            report(
                ctx,
                Kind::Format,
                at,
                Some(v),
                format!(
                    "{} is {}, which does not have the required format: the device rejects it",
                    where_(at),
                    show(v)
                ),
                format!("the value must match `{fmt}`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_suggestions() {
        assert_eq!(edit_distance("RemoteAdress", "RemoteAddress"), 1);
        assert_eq!(edit_distance("mtu", "MTU"), 0);
        let names = ["RemoteAddress", "RemoteIdentifier", "MTU"];
        assert_eq!(
            suggest("RemoteAdress", names.iter().copied()),
            Some("RemoteAddress")
        );
        assert_eq!(suggest("Mtu", names.iter().copied()), Some("MTU"));
        assert_eq!(suggest("Banana", names.iter().copied()), None);
    }
}

#[cfg(test)]
mod os_tests {
    use super::*;
    use crate::check::ctx::{Options, OsTarget};
    use crate::schema::{Os, OsRule, Presence, Ver};

    static REMOVED: KeyDef = KeyDef {
        name: "OldKey",
        ty: Ty::String,
        presence: Presence::Optional,
        rangelist: &[],
        min: None,
        max: None,
        default: None,
        format: None,
        rep_min: None,
        rep_max: None,
        os: &[OsRule {
            os: Os::Ios,
            introduced: Avail::Unset,
            deprecated: Avail::Unset,
            removed: Avail::Ver(Ver(12, 0, 0)),
        }],
        subkeys: &[],
        summary: "",
    };

    fn run(version: Ver) -> Vec<&'static str> {
        let opts = Options {
            os: Some(OsTarget {
                os: Os::Ios,
                version: Some(version),
            }),
            ..Options::default()
        };
        let mut ctx = Ctx::new(&opts, None);
        let base = Availability {
            introduced: Avail::Ver(Ver(4, 0, 0)),
            deprecated: Avail::Unset,
            removed: Avail::Unset,
        };
        let at = At {
            payload_type: "com.example.test",
            path: "OldKey".into(),
            spath: "OldKey".into(),
            avail: Some(base.child(REMOVED.os, Os::Ios)),
        };
        check_value(&mut ctx, &REMOVED, &Value::String("x".into()), &at);
        ctx.finish().iter().map(|d| d.rule).collect()
    }

    #[test]
    fn removed_key_is_reported() {
        assert_eq!(run(Ver(13, 0, 0)), vec!["SCH-09"]);
        assert!(run(Ver(11, 0, 0)).is_empty());
    }
}
