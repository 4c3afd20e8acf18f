//! VPN-payload rules: type selection, on-demand rules, routing scope, DNS, proxies, AlwaysOn
//! (constraints 6–11, 34, 37–56 and the matching §3/§5 items); per-IKEv2-key-set rules in `ike`.

use plist::{Dictionary, Value};

use super::ctx::Ctx;
use super::ike::{self, IkeDict};
use super::value::{array, dict, flag, int, nonempty, string};
use super::{Payload, Profile};
use crate::diag::Severity;
use crate::read::xmlpos::{index, join};
use crate::schema::{Os, Ver, VPN, VPN_APPLAYER};

/// Type-specific sub-dictionaries and the VPNTypes that read them.
const TYPE_DICTS: &[(&str, &[&str])] = &[
    ("VPN", &["VPN"]),
    ("PPP", &["L2TP"]),
    ("IPSec", &["L2TP", "IPSec"]),
    ("IKEv2", &["IKEv2"]),
    ("AlwaysOn", &["AlwaysOn"]),
    ("TransparentProxy", &["TransparentProxy"]),
];

pub(crate) fn is_vpn(p: &Payload) -> bool {
    p.ptype == VPN || p.ptype == VPN_APPLAYER
}

fn vpn_type<'a>(p: &Payload<'a>) -> Option<&'a str> {
    string(p.dict, "VPNType")
}

/// Whether the sub-dictionary `name` is read for this payload's VPNType (all are, without one).
fn active(p: &Payload, name: &str) -> bool {
    match vpn_type(p) {
        None => true,
        Some(t) => TYPE_DICTS
            .iter()
            .find(|(d, _)| *d == name)
            .is_none_or(|(_, types)| types.contains(&t)),
    }
}

/// IKEv2 key sets in force for a VPN payload.
pub(crate) fn ike_dicts<'a>(p: &Payload<'a>) -> Vec<IkeDict<'a>> {
    let mut out = Vec::new();
    if active(p, "IKEv2") {
        if let Some(d) = dict(p.dict, "IKEv2") {
            out.push(IkeDict {
                path: p.at("IKEv2"),
                dict: d,
                always_on: false,
            });
        }
    }
    if active(p, "AlwaysOn") {
        if let Some(tc) = dict(p.dict, "AlwaysOn").and_then(|a| array(a, "TunnelConfigurations")) {
            for (i, v) in tc.iter().enumerate() {
                if let Value::Dictionary(d) = v {
                    out.push(IkeDict {
                        path: index(&p.at("AlwaysOn.TunnelConfigurations"), i),
                        dict: d,
                        always_on: true,
                    });
                }
            }
        }
    }
    out
}

pub(crate) fn rules(ctx: &mut Ctx, prof: &Profile) {
    for p in prof.payloads.iter().filter(|p| is_vpn(p)) {
        type_rules(ctx, p);
        let dh_rule = ctx.ios_at_least(Ver(14, 2, 0));
        for ike in ike_dicts(p) {
            ike::rules(ctx, &ike, dh_rule);
            super::address::rules(ctx, &ike);
        }
        general_dict_rules(ctx, p);
        dns_rules(ctx, p);
        proxy_rules(ctx, p);
        always_on_rules(ctx, p);
    }
}

fn type_rules(ctx: &mut Ctx, p: &Payload) {
    let vt = vpn_type(p);
    let sub = string(p.dict, "VPNSubType");
    let applayer = p.ptype == VPN_APPLAYER;
    // C06: per-app VPN on watchOS supports only IKEv2.
    if applayer && ctx.target_is(Os::WatchOs) && vt.is_some_and(|t| t != "IKEv2") {
        ctx.emit(
            "IKE2-C06",
            &p.at("VPNType"),
            format!("per-app VPN with VPNType {} on watchOS: only IKEv2 is supported there, the device refuses the payload", vt.unwrap_or("")),
            "use VPNType IKEv2 for watchOS".into(),
        );
    }
    if applayer && vt == Some("IKEv2") {
        ctx.emit(
            "IKE2-D12",
            &p.at("VPNType"),
            "per-app VPN with IKEv2: Apple supports it, but Intune documents per-app VPN as not supported for IKEv2".into(),
            "deploy this payload directly (not through Intune's IKEv2 profile type)".into(),
        );
    }
    // C07 / C08: VPNSubType.
    match vt {
        Some(t @ ("VPN" | "TransparentProxy")) if sub.is_none_or(|s| s.trim().is_empty()) => ctx.emit(
            "IKE2-C07",
            &p.at("VPNSubType"),
            format!("VPNType {t} without VPNSubType: the device cannot tell which provider app to use and does not create the VPN"),
            "set VPNSubType to the bundle identifier of the VPN app".into(),
        ),
        Some("IKEv2") if sub.is_some_and(|s| !s.is_empty()) => ctx.emit(
            "IKE2-C08",
            &p.at("VPNSubType"),
            "VPNSubType must be the empty string when VPNType is IKEv2 (reserved): the device treats a value as a provider bundle ID and the built-in IKEv2 client is not used".into(),
            "remove VPNSubType or set it to an empty string".into(),
        ),
        _ => {}
    }
    // C09: OS gating of VPNType values.
    if let (Some(t), Some(target)) = (vt, ctx.target()) {
        let bad = match t {
            "TransparentProxy" => target.os != Os::MacOs,
            "L2TP" | "IPSec" => target.os == Os::TvOs,
            "AlwaysOn" => target.os != Os::Ios,
            _ => false,
        };
        if bad {
            ctx.emit(
                "IKE2-C09",
                &p.at("VPNType"),
                format!(
                    "VPNType {t} is not available on {}: the device refuses the payload",
                    target.os.name()
                ),
                match t {
                    "TransparentProxy" => "TransparentProxy exists only on macOS".to_string(),
                    "AlwaysOn" => "AlwaysOn exists only on iOS (supervised)".to_string(),
                    _ => "L2TP and IPSec are not available on tvOS".to_string(),
                },
            );
        }
    }
    // C10: the dictionary for the type, and dictionaries for other types.
    if let Some(t) = vt {
        let needed = match t {
            "IKEv2" => Some("IKEv2"),
            "AlwaysOn" => Some("AlwaysOn"),
            "L2TP" => Some("PPP"),
            "IPSec" => Some("IPSec"),
            _ => None,
        };
        if let Some(n) = needed.filter(|n| !p.dict.contains_key(n)) {
            ctx.emit(
                "IKE2-C10",
                &p.at(n),
                format!("VPNType {t} without the `{n}` dictionary: the device has no server or authentication settings and cannot set up the VPN"),
                format!("add the `{n}` dictionary"),
            );
        }
        for (name, types) in TYPE_DICTS {
            if p.dict.contains_key(name) && !types.contains(&t) {
                ctx.emit_at(
                    "IKE2-C10",
                    Severity::Warning,
                    &p.at(name),
                    format!("`{name}` is read only for VPNType {}; with VPNType {t} the device ignores it", types.join("/")),
                    format!("remove `{name}` or change VPNType"),
                );
            }
        }
    }
    // C11: VendorConfig needs VPNSubType.
    if p.dict.contains_key("VendorConfig") && sub.is_none_or(|s| s.trim().is_empty()) {
        ctx.emit(
            "IKE2-C11",
            &p.at("VendorConfig"),
            "VendorConfig is read only when VPNSubType has a value: the device ignores it".into(),
            "remove VendorConfig or set VPNSubType to the provider's bundle identifier".into(),
        );
    }
    // C40: OverridePrimary.
    if let Some(ipv4) = dict(p.dict, "IPv4") {
        if flag(ipv4, "OverridePrimary") == Some(true)
            && vt.is_some_and(|t| t != "IPSec" && t != "L2TP")
        {
            ctx.emit(
                "IKE2-C40",
                &join(&p.at("IPv4"), "OverridePrimary"),
                format!("IPv4.OverridePrimary applies only to Cisco IPsec and L2TP according to Apple; with VPNType {} the routes come from the tunnel itself (IKEv2 traffic selectors or the provider's settings)", vt.unwrap_or("")),
                "for a full tunnel have the server assign 0.0.0.0/0, or set IncludeAllNetworks 1".into(),
            );
        }
    }
    // C43 / C44: provider keys.
    if vt == Some("VPN") {
        if let Some(v) = dict(p.dict, "VPN") {
            let macos = ctx.target().is_none_or(|t| t.os == Os::MacOs);
            if macos
                && v.contains_key("ProviderBundleIdentifier")
                && !v.contains_key("ProviderDesignatedRequirement")
            {
                ctx.emit(
                    "IKE2-C43",
                    &join(&p.at("VPN"), "ProviderBundleIdentifier"),
                    "ProviderBundleIdentifier without ProviderDesignatedRequirement: on macOS a provider implemented as a System Extension requires both, otherwise the VPN does not start".into(),
                    "add ProviderDesignatedRequirement (the provider's code-signing requirement) when targeting macOS".into(),
                );
            }
        }
    }
    if vt == Some("IKEv2") && sub.is_none_or(str::is_empty) {
        if let Some(d) = dict(p.dict, "IKEv2") {
            for k in [
                "ProviderType",
                "ProviderBundleIdentifier",
                "ProviderDesignatedRequirement",
            ] {
                if d.contains_key(k) {
                    ctx.emit(
                        "IKE2-C44",
                        &join(&p.at("IKEv2"), k),
                        format!("`{k}` configures a Network Extension provider; the built-in IKEv2 client (no VPNSubType) does not use it"),
                        format!("remove `{k}`"),
                    );
                }
            }
        }
    }
}

/// Dictionaries with on-demand, idle and routing keys that are in force for this VPNType.
fn general_dicts<'a>(p: &Payload<'a>) -> Vec<(String, &'a Dictionary)> {
    let mut out = Vec::new();
    for name in ["VPN", "IPSec", "PPP", "IKEv2", "TransparentProxy"] {
        if active(p, name) {
            if let Some(d) = dict(p.dict, name) {
                out.push((p.at(name), d));
            }
        }
    }
    out
}

fn general_dict_rules(ctx: &mut Ctx, p: &Payload) {
    for (path, d) in general_dicts(p) {
        let at = |k: &str| join(&path, k);
        // C34: idle timer.
        if d.contains_key("DisconnectOnIdleTimer") && flag(d, "DisconnectOnIdle") != Some(true) {
            ctx.emit(
                "IKE2-C34",
                &at("DisconnectOnIdleTimer"),
                "DisconnectOnIdleTimer is used only when DisconnectOnIdle is 1: the device never disconnects on idle here".into(),
                "set DisconnectOnIdle to 1 or remove the timer".into(),
            );
        }
        if ctx.target_is(Os::WatchOs) {
            if let Some(t) = int(d, "DisconnectOnIdleTimer").filter(|t| *t > 15) {
                ctx.emit_at(
                    "IKE2-C34",
                    Severity::Error,
                    &at("DisconnectOnIdleTimer"),
                    format!("DisconnectOnIdleTimer {t}: watchOS allows at most 15 seconds"),
                    "use 15 or less on watchOS".into(),
                );
            }
        }
        // C37–C39 and A04: routing scope.
        let ian = flag(d, "IncludeAllNetworks") == Some(true);
        let er = flag(d, "EnforceRoutes") == Some(true);
        if ian && er {
            ctx.emit(
                "IKE2-C37",
                &at("EnforceRoutes"),
                "EnforceRoutes is ignored because IncludeAllNetworks is 1".into(),
                "remove EnforceRoutes".into(),
            );
        }
        if d.contains_key("ExcludeLocalNetworks") && !ian && !er {
            ctx.emit(
                "IKE2-C38",
                &at("ExcludeLocalNetworks"),
                "ExcludeLocalNetworks has effect only when IncludeAllNetworks or EnforceRoutes is 1: the device ignores it here".into(),
                "remove it or enable IncludeAllNetworks".into(),
            );
        }
        if ian && !d.contains_key("ExcludeLocalNetworks") {
            ctx.emit(
                "IKE2-A04",
                &at("IncludeAllNetworks"),
                "IncludeAllNetworks 1 without ExcludeLocalNetworks: local-network traffic stays outside the tunnel on iOS (default 1) but goes through it on macOS (default 0); the schema gives no default".into(),
                "set ExcludeLocalNetworks explicitly".into(),
            );
        }
        for k in [
            "ExcludeCellularServices",
            "ExcludeAPNs",
            "ExcludeDeviceCommunication",
        ] {
            if d.contains_key(k) && !ian {
                ctx.emit(
                    "IKE2-C39",
                    &at(k),
                    format!("{k} has effect only when IncludeAllNetworks is 1: the device ignores it here"),
                    "remove it or set IncludeAllNetworks to 1".into(),
                );
            }
        }
        // C45–C50: on demand.
        on_demand(
            ctx,
            &path,
            d,
            path.ends_with(".VPN") || path.ends_with(".IPSec"),
        );
    }
}

const MATCH_KEYS: &[&str] = &[
    "DNSDomainMatch",
    "DNSServerAddressMatch",
    "InterfaceTypeMatch",
    "SSIDMatch",
    "URLStringProbe",
];

/// `legacy_domains`: the dictionary defines the deprecated OnDemandMatchDomains* keys (VPN, IPSec).
fn on_demand(ctx: &mut Ctx, path: &str, d: &Dictionary, legacy_domains: bool) {
    let at = |k: &str| join(path, k);
    for k in [
        "OnDemandMatchDomainsAlways",
        "OnDemandMatchDomainsNever",
        "OnDemandMatchDomainsOnRetry",
    ] {
        if legacy_domains && d.contains_key(k) {
            ctx.emit(
                "IKE2-C50",
                &at(k),
                format!(
                    "{k} is deprecated since iOS 7 (still honoured; OnDemandRules override it)"
                ),
                "express the domains as an EvaluateConnection rule in OnDemandRules".into(),
            );
        }
    }
    let Some(rules) = array(d, "OnDemandRules") else {
        return;
    };
    if !rules.is_empty() && flag(d, "OnDemandEnabled") != Some(true) {
        ctx.emit(
            "IKE2-C45",
            &at("OnDemandRules"),
            "OnDemandRules are present but OnDemandEnabled is not 1: the rules apply only after the user turns on Connect On Demand".into(),
            "set OnDemandEnabled to 1 if the VPN should connect on demand".into(),
        );
    }
    let watch = ike::watch_only_disconnect(ctx);
    let last = rules.len().saturating_sub(1);
    for (i, r) in rules.iter().enumerate() {
        let Value::Dictionary(r) = r else { continue };
        let rp = index(&at("OnDemandRules"), i);
        let action = string(r, "Action");
        if watch && action.is_some_and(|a| a != "Disconnect") {
            ctx.emit(
                "IKE2-C46",
                &join(&rp, "Action"),
                format!(
                    "on-demand Action {} on watchOS: only Disconnect is available there",
                    action.unwrap_or("")
                ),
                "use Disconnect rules only on watchOS".into(),
            );
        }
        let params = array(r, "ActionParameters");
        match (action, params) {
            (Some(a), Some(_)) if a != "EvaluateConnection" => ctx.emit(
                "IKE2-C47",
                &join(&rp, "ActionParameters"),
                format!("ActionParameters with Action {a}: Apple allows them only with EvaluateConnection, so the rule is malformed"),
                "use Action EvaluateConnection or remove ActionParameters".into(),
            ),
            (Some("EvaluateConnection"), None) => ctx.emit_at(
                "IKE2-C47",
                Severity::Warning,
                &join(&rp, "Action"),
                "EvaluateConnection without ActionParameters: the rule has nothing to evaluate and does nothing".into(),
                "add ActionParameters with Domains and DomainAction".into(),
            ),
            _ => {}
        }
        for (j, ap) in params.map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
            let Value::Dictionary(ap) = ap else { continue };
            if string(ap, "DomainAction") != Some("ConnectIfNeeded") {
                for k in ["RequiredDNSServers", "RequiredURLStringProbe"] {
                    if ap.contains_key(k) {
                        ctx.emit(
                            "IKE2-C48",
                            &join(&index(&join(&rp, "ActionParameters"), j), k),
                            format!("{k} is valid only with DomainAction ConnectIfNeeded"),
                            format!("remove {k} or use DomainAction ConnectIfNeeded"),
                        );
                    }
                }
            }
        }
        if i < last && !MATCH_KEYS.iter().any(|k| r.contains_key(k)) {
            ctx.emit_at(
                "IKE2-C49",
                Severity::Warning,
                &rp,
                format!("on-demand rule {i} has no match keys, so it matches every network: the {} rule(s) after it are never reached (first match wins)", last - i),
                "move the match-all rule to the end of OnDemandRules".into(),
            );
        }
    }
}

fn default_route(p: &Payload) -> bool {
    general_dicts(p)
        .iter()
        .any(|(_, d)| flag(d, "IncludeAllNetworks") == Some(true))
}

fn dns_rules(ctx: &mut Ctx, p: &Payload) {
    let Some(d) = dict(p.dict, "DNS") else { return };
    let path = p.at("DNS");
    let at = |k: &str| join(&path, k);
    let proto = string(d, "DNSProtocol");
    let has_proto_key = ctx.target().is_none_or(|t| {
        t.at_least(Os::Ios, Ver(14, 0, 0))
            || t.at_least(Os::MacOs, Ver(11, 0, 0))
            || matches!(t.os, Os::TvOs | Os::VisionOs | Os::WatchOs)
    });
    if proto.is_none() && !d.contains_key("DNSProtocol") && has_proto_key {
        ctx.emit_at(
            "IKE2-C51",
            Severity::Warning,
            &at("DNSProtocol"),
            "DNS without DNSProtocol: Apple marks it required (iOS 14+/macOS 11+), but profiles from before it exist and install; the device then uses plain (Cleartext) DNS".into(),
            "add DNSProtocol (Cleartext, HTTPS or TLS)".into(),
        );
    }
    match proto {
        None | Some("Cleartext") => {
            if !d.contains_key("ServerAddresses") {
                ctx.emit(
                    "IKE2-C51",
                    &at("ServerAddresses"),
                    "DNS without ServerAddresses: the device has no resolver to use for the tunnel"
                        .into(),
                    "add ServerAddresses".into(),
                );
            }
        }
        Some("HTTPS") => match nonempty(d, "ServerURL") {
            None => ctx.emit(
                "IKE2-C51",
                &at("ServerURL"),
                "DNSProtocol HTTPS without ServerURL: the device has no DNS-over-HTTPS server"
                    .into(),
                "add ServerURL (https://...)".into(),
            ),
            Some(u) if !u.to_ascii_lowercase().starts_with("https://") => ctx.emit(
                "IKE2-C51",
                &at("ServerURL"),
                format!("ServerURL '{u}' must use the https:// scheme: the device rejects it"),
                "use an https:// URL template (RFC 8484)".into(),
            ),
            Some(_) => {}
        },
        Some("TLS") => {
            if nonempty(d, "ServerName").is_none() {
                ctx.emit(
                    "IKE2-C51",
                    &at("ServerName"),
                    "DNSProtocol TLS without ServerName: the device cannot validate the DNS-over-TLS server".into(),
                    "add ServerName".into(),
                );
            }
        }
        Some(_) => {}
    }
    if let Some(smd) = array(d, "SupplementalMatchDomains") {
        if smd.iter().any(|v| v.as_string().is_some_and(str::is_empty)) {
            ctx.emit_at(
                "IKE2-C52",
                Severity::Note,
                &at("SupplementalMatchDomains"),
                "SupplementalMatchDomains contains an empty string: it makes the tunnel's resolver the default for all domains".into(),
                "remove the empty string unless all queries should go to the VPN resolver".into(),
            );
        }
        if default_route(p) {
            ctx.emit(
                "IKE2-C52",
                &at("SupplementalMatchDomains"),
                "SupplementalMatchDomains with IncludeAllNetworks 1: the VPN is the default route, so the device ignores the list and sends all queries to ServerAddresses".into(),
                "remove SupplementalMatchDomains or use a split tunnel".into(),
            );
        }
    }
}

fn proxy_rules(ctx: &mut Ctx, p: &Payload) {
    let Some(d) = dict(p.dict, "Proxies") else {
        return;
    };
    let path = p.at("Proxies");
    for (host, port) in [("HTTPProxy", "HTTPPort"), ("HTTPSProxy", "HTTPSPort")] {
        if nonempty(d, host).is_some() && !d.contains_key(port) {
            ctx.emit(
                "IKE2-C53",
                &join(&path, port),
                format!("{host} without {port}: Apple requires the port with the proxy host; the device cannot use the proxy"),
                format!("add {port}"),
            );
        }
    }
    if nonempty(d, "ProxyAutoConfigURLString").is_some()
        && flag(d, "ProxyAutoConfigEnable") != Some(true)
    {
        ctx.emit_at(
            "IKE2-C53",
            Severity::Warning,
            &join(&path, "ProxyAutoConfigURLString"),
            "ProxyAutoConfigURLString is used only when ProxyAutoConfigEnable is 1: the device ignores the PAC URL".into(),
            "set ProxyAutoConfigEnable to 1".into(),
        );
    }
}

fn always_on_rules(ctx: &mut Ctx, p: &Payload) {
    if !active(p, "AlwaysOn") {
        return;
    }
    let Some(a) = dict(p.dict, "AlwaysOn") else {
        return;
    };
    let path = p.at("AlwaysOn");
    if let Some(tc) = array(a, "TunnelConfigurations") {
        if tc.is_empty() {
            ctx.emit(
                "IKE2-C54",
                &join(&path, "TunnelConfigurations"),
                "TunnelConfigurations is empty: the device has no tunnel to keep up".into(),
                "add one tunnel configuration per interface (or one for both)".into(),
            );
        }
        for (i, v) in tc.iter().enumerate() {
            let Value::Dictionary(t) = v else { continue };
            if t.keys().any(|k| k != "ProtocolType" && k != "Interfaces") {
                ctx.emit(
                    "IKE2-A06",
                    &index(&join(&path, "TunnelConfigurations"), i),
                    "tunnel configuration carries IKEv2 keys, which Apple's schema does not list here (only ProtocolType, Interfaces); real Always On profiles need them, so they were checked against the IKEv2 key set".into(),
                    "no change needed".into(),
                );
            }
        }
    }
    if let (Some(se), Some(target)) = (array(a, "ServiceExceptions"), ctx.target()) {
        for (i, v) in se.iter().enumerate() {
            let Value::Dictionary(e) = v else { continue };
            let need = match string(e, "ServiceName") {
                Some("CellularServices") => Some(Ver(11, 3, 0)),
                Some("DeviceCommunication") => Some(Ver(17, 4, 0)),
                _ => None,
            };
            if let Some(v) = need {
                if target.os == Os::Ios && target.version.is_some_and(|tv| tv < v) {
                    ctx.emit(
                        "IKE2-C55",
                        &join(&index(&join(&path, "ServiceExceptions"), i), "ServiceName"),
                        format!("ServiceName {} needs iOS {v}; {} does not know it (Intune documents CellularServices from iOS 13.0)", string(e, "ServiceName").unwrap_or(""), target.describe()),
                        "raise the minimum iOS version or drop the exception".into(),
                    );
                }
            }
        }
    }
    if array(a, "AllowedCaptiveNetworkPlugins").is_some()
        && flag(a, "AllowAllCaptiveNetworkPlugins") == Some(true)
    {
        ctx.emit(
            "IKE2-C56",
            &join(&path, "AllowedCaptiveNetworkPlugins"),
            "AllowedCaptiveNetworkPlugins is used only when AllowAllCaptiveNetworkPlugins is 0: all plug-ins are already allowed".into(),
            "remove the list or set AllowAllCaptiveNetworkPlugins to 0".into(),
        );
    }
}
