//! Checking a run against the scenario's `[expect]` tables. Every unmet expectation becomes a
//! [`Failure`] naming the expectation, what was expected and what was observed.

use ikelab_engine::EventKind;
use ikelab_policy::{ChildProposal, IkeProposal, TsAddresses, TsSpec};
use ikelab_sim::{DropReason, NodeId, WireKind, World};
use ikelab_wire::iana::{NotifyType, PayloadType};
use ikelab_wire::payload::AddressRange;

use crate::format::{ExpectSpec, MessageExpect, MessageKind, NotifyExpect};
use crate::load::{duration, exchange, notify, payload_token, PayloadToken, Scenario};
use crate::outcome::{Failure, Role};
use crate::run::{close_label, count, event_label, variant_name, Cast};
use ikelab_policy::Duration;

pub(crate) fn check(scenario: &Scenario, role: Role, world: &World, cast: &Cast) -> Vec<Failure> {
    let spec = &scenario.spec;
    let mut out = Vec::new();
    check_one("expect", &spec.expect, world, cast, &mut out);
    let extra = match role {
        Role::Initiator => ("expect_when_initiator", &spec.expect_when_initiator),
        Role::Responder => ("expect_when_responder", &spec.expect_when_responder),
    };
    if let (label, Some(e)) = extra {
        check_one(label, e, world, cast, &mut out);
    }
    out
}

fn fail(out: &mut Vec<Failure>, step: String, expected: String, observed: String) {
    out.push(Failure {
        step,
        expected,
        observed,
    });
}

fn check_one(label: &str, e: &ExpectSpec, world: &World, cast: &Cast, out: &mut Vec<Failure>) {
    let at = |field: &str| format!("{label}.{field}");
    for (field, want, node) in [
        ("sut_established", e.sut_established, cast.sut),
        ("peer_established", e.peer_established, cast.peer),
    ] {
        if let Some(want) = want {
            let got = count(world, node, "established") > 0;
            if got != want {
                fail(
                    out,
                    at(field),
                    format!("{} IKE SA established: {want}", world.name(node)),
                    format!("{got}; events: {}", events(world, node)),
                );
            }
        }
    }
    for (field, want, node) in [
        ("sut_children", e.sut_children, cast.sut),
        ("peer_children", e.peer_children, cast.peer),
    ] {
        if let Some(want) = want {
            let got = count(world, node, "child_installed");
            if got != want {
                fail(
                    out,
                    at(field),
                    format!("{want} CHILD_SAs installed on {}", world.name(node)),
                    format!("{got}; events: {}", events(world, node)),
                );
            }
        }
    }
    if let Some(want) = &e.ike_transforms {
        let got = world
            .events(cast.sut)
            .iter()
            .find_map(|(_, ev)| match &ev.kind {
                EventKind::IkeSaEstablished(i) => Some(i.transforms.to_string()),
                _ => None,
            });
        let same = got.as_deref().is_some_and(|g| {
            g == want || IkeProposal::parse(g).ok() == IkeProposal::parse(want).ok()
        });
        if !same {
            fail(
                out,
                at("ike_transforms"),
                want.clone(),
                got.unwrap_or_else(|| "no IKE SA established".into()),
            );
        }
    }
    if let Some(want) = &e.esp_transforms {
        let got = world
            .events(cast.sut)
            .iter()
            .find_map(|(_, ev)| match &ev.kind {
                EventKind::ChildSaInstalled(c) => Some(c.transforms.to_string()),
                _ => None,
            });
        let same = got.as_deref().is_some_and(|g| {
            g == want || ChildProposal::parse(g).ok() == ChildProposal::parse(want).ok()
        });
        if !same {
            fail(
                out,
                at("esp_transforms"),
                want.clone(),
                got.unwrap_or_else(|| "no CHILD_SA installed".into()),
            );
        }
    }
    for (field, list, node) in [
        ("sut_sends_notify", &e.sut_sends_notify, cast.sut),
        ("peer_sends_notify", &e.peer_sends_notify, cast.peer),
    ] {
        let sent = notifies_sent(world, node);
        for name in list {
            let Ok(want) = notify(name) else { continue };
            if !sent.contains(&want) {
                fail(
                    out,
                    at(field),
                    format!("{} sends Notify {want}", world.name(node)),
                    format!("notifies sent: {}", list_or_none(&sent)),
                );
            }
        }
    }
    let sent = notifies_sent(world, cast.sut);
    for name in &e.sut_never_sends_notify {
        let Ok(bad) = notify(name) else { continue };
        if sent.contains(&bad) {
            fail(
                out,
                at("sut_never_sends_notify"),
                format!("{} never sends Notify {bad}", world.name(cast.sut)),
                format!("notifies sent: {}", list_or_none(&sent)),
            );
        }
    }
    let violations: Vec<String> = world
        .events(cast.sut)
        .iter()
        .filter_map(|(_, ev)| match &ev.kind {
            EventKind::Violation(v) => Some(variant_name(&format!("{v:?}")).to_string()),
            _ => None,
        })
        .collect();
    for want in &e.sut_violations {
        if !violations.iter().any(|v| v == want) {
            fail(
                out,
                at("sut_violations"),
                format!("violation {want} recorded by {}", world.name(cast.sut)),
                format!("violations: {}", list_or_none(&violations)),
            );
        }
    }
    if e.sut_no_violations && !violations.is_empty() {
        fail(
            out,
            at("sut_no_violations"),
            "no violations".into(),
            violations.join(", "),
        );
    }
    for (field, want, node) in [
        ("sut_closed", &e.sut_closed, cast.sut),
        ("peer_closed", &e.peer_closed, cast.peer),
    ] {
        let Some(want) = want else { continue };
        let got = world
            .events(node)
            .iter()
            .find_map(|(_, ev)| match &ev.kind {
                EventKind::Closed { reason } => Some(close_label(reason)),
                _ => None,
            });
        let ok = match (want.as_str(), &got) {
            ("none", None) => true,
            ("any", Some(_)) => true,
            (w, Some(g)) => g.starts_with(w),
            _ => false,
        };
        if !ok {
            fail(
                out,
                at(field),
                format!("{} closed: {want}", world.name(node)),
                got.unwrap_or_else(|| "still open".into()),
            );
        }
    }
    let retransmits = count(world, cast.sut, "retransmitted");
    if e.sut_retransmits_min.is_some_and(|m| retransmits < m)
        || e.sut_retransmits_max.is_some_and(|m| retransmits > m)
    {
        fail(
            out,
            at("sut_retransmits"),
            format!(
                "between {} and {} retransmissions by {}",
                e.sut_retransmits_min.unwrap_or(0),
                e.sut_retransmits_max
                    .map_or("any".into(), |m| m.to_string()),
                world.name(cast.sut)
            ),
            retransmits.to_string(),
        );
    }
    if let Some(want) = e.echo_replies {
        let got = world.echo_replies(cast.initiator) + world.echo_replies(cast.responder);
        if got != want {
            fail(
                out,
                at("echo_replies"),
                format!("{want} echo replies"),
                format!(
                    "{got} (ESP sealed/opened: initiator {}/{}, responder {}/{})",
                    world.node(cast.initiator).data_stats().sealed,
                    world.node(cast.initiator).data_stats().opened,
                    world.node(cast.responder).data_stats().sealed,
                    world.node(cast.responder).data_stats().opened
                ),
            );
        }
    }
    // A fault of the scenario, not the link's random duplication.
    let first_fault = world
        .wire()
        .iter()
        .position(|r| r.fault.as_deref().is_some_and(|f| f != "link duplicate"));
    let after_fault: Vec<String> = match first_fault {
        Some(i) => world.wire()[i + 1..]
            .iter()
            .filter(|r| r.from == cast.sut && r.kind == WireKind::Ike && !is_copy(r))
            .map(|r| world.describe(r).map_or("IKE".into(), |s| s.to_string()))
            .collect(),
        None => Vec::new(),
    };
    if let Some(want) = e.sut_messages_after_fault {
        if first_fault.is_none() {
            fail(
                out,
                at("sut_messages_after_fault"),
                "a fault applied".into(),
                "no fault matched any datagram".into(),
            );
        } else if after_fault.len() != want {
            fail(
                out,
                at("sut_messages_after_fault"),
                format!(
                    "{want} IKE messages from {} after the fault",
                    world.name(cast.sut)
                ),
                format!("{}: {}", after_fault.len(), list_or_none(&after_fault)),
            );
        }
    }
    if let Some(want) = e.sut_responds_after_fault {
        let responded = first_fault.is_some_and(|i| {
            world.wire()[i + 1..]
                .iter()
                .any(|r| r.from == cast.sut && world.describe(r).is_some_and(|s| s.response))
        });
        if responded != want {
            fail(
                out,
                at("sut_responds_after_fault"),
                format!("{} responds after the fault: {want}", world.name(cast.sut)),
                format!(
                    "{responded}; sent after the fault: {}",
                    list_or_none(&after_fault)
                ),
            );
        }
    }
    if let Some(want) = &e.sut_exchanges {
        let got: Vec<String> = sut_ike(world, cast.sut)
            .into_iter()
            .map(|s| s.exchange.to_string())
            .collect();
        let want_norm: Vec<String> = want
            .iter()
            .map(|w| exchange(w).map_or(w.clone(), |x| x.to_string()))
            .collect();
        if got != want_norm {
            fail(
                out,
                at("sut_exchanges"),
                want_norm.join(", "),
                list_or_none(&got),
            );
        }
    }
    check_more(label, e, world, cast, out);
    check_wire(label, e, world, cast, out);
    check_link(label, e, world, out);
    check_backoff(label, e, world, cast, out);
    if let Some(want) = e.sut_esp_sas {
        let got = world.node(cast.sut).esp_sas().len();
        if got != want {
            fail(
                out,
                at("sut_esp_sas"),
                format!("{want} CHILD_SAs in {}'s data plane", world.name(cast.sut)),
                got.to_string(),
            );
        }
    }
}

/// The checks added for hand-written suites: peer-side violations and retransmissions, exact
/// event counts, located Notifies, NAT and selector outcomes.
fn check_more(label: &str, e: &ExpectSpec, world: &World, cast: &Cast, out: &mut Vec<Failure>) {
    let at = |field: &str| format!("{label}.{field}");
    let peer_violations = violations(world, cast.peer);
    for want in &e.peer_violations {
        if !peer_violations.iter().any(|v| v == want) {
            fail(
                out,
                at("peer_violations"),
                format!("violation {want} recorded by {}", world.name(cast.peer)),
                format!("violations: {}", list_or_none(&peer_violations)),
            );
        }
    }
    if e.peer_no_violations && !peer_violations.is_empty() {
        fail(
            out,
            at("peer_no_violations"),
            "no violations".into(),
            peer_violations.join(", "),
        );
    }
    let retransmits = count(world, cast.peer, "retransmitted");
    if e.peer_retransmits_min.is_some_and(|m| retransmits < m)
        || e.peer_retransmits_max.is_some_and(|m| retransmits > m)
    {
        fail(
            out,
            at("peer_retransmits"),
            format!(
                "between {} and {} retransmissions by {}",
                e.peer_retransmits_min.unwrap_or(0),
                e.peer_retransmits_max
                    .map_or("any".into(), |m| m.to_string()),
                world.name(cast.peer)
            ),
            retransmits.to_string(),
        );
    }
    for (field, map, node) in [
        ("sut_events", &e.sut_events, cast.sut),
        ("peer_events", &e.peer_events, cast.peer),
    ] {
        for (name, want) in map {
            let got = count(world, node, name);
            if got != *want {
                fail(
                    out,
                    format!("{}.{name}", at(field)),
                    format!("{want} {name} events on {}", world.name(node)),
                    format!("{got}; events: {}", events(world, node)),
                );
            }
        }
    }
    for (i, m) in e.messages.iter().enumerate() {
        check_message(&format!("{}[{i}]", at("messages")), m, world, cast, out);
    }
    for (i, n) in e.notifies.iter().enumerate() {
        check_notify(&format!("{}[{i}]", at("notifies")), n, world, cast, out);
    }
    let established = world
        .events(cast.sut)
        .iter()
        .find_map(|(_, ev)| match &ev.kind {
            EventKind::IkeSaEstablished(i) => Some(i.nat_detected),
            _ => None,
        });
    if let Some(want) = e.sut_nat_detected {
        match established {
            Some(n) if n.any() == want => {}
            Some(n) => fail(
                out,
                at("sut_nat_detected"),
                format!("NAT detected by {}: {want}", world.name(cast.sut)),
                format!(
                    "{} (local behind NAT: {}, remote: {})",
                    n.any(),
                    n.local,
                    n.remote
                ),
            ),
            None => fail(
                out,
                at("sut_nat_detected"),
                format!("NAT detected by {}: {want}", world.name(cast.sut)),
                "no IKE SA established".into(),
            ),
        }
    }
    let child = world
        .events(cast.sut)
        .iter()
        .find_map(|(_, ev)| match &ev.kind {
            EventKind::ChildSaInstalled(c) => Some(c.clone()),
            _ => None,
        });
    if let Some(want) = e.sut_udp_encapsulation {
        let got = child.as_ref().map(|c| c.udp_encapsulation);
        if got != Some(want) {
            fail(
                out,
                at("sut_udp_encapsulation"),
                format!("UDP-encapsulated ESP on {}: {want}", world.name(cast.sut)),
                got.map_or("no CHILD_SA installed".into(), |g| g.to_string()),
            );
        }
    }
    for (field, want, side) in [
        ("sut_child_local_ts", &e.sut_child_local_ts, true),
        ("sut_child_remote_ts", &e.sut_child_remote_ts, false),
    ] {
        let Some(want) = want else { continue };
        let want: Vec<String> = want.iter().map(|w| normal_ts(w)).collect();
        let got = child.as_ref().map(|c| {
            let ts = if side { &c.local_ts } else { &c.remote_ts };
            ts.iter().map(range_string).collect::<Vec<_>>()
        });
        if got.as_ref() != Some(&want) {
            fail(
                out,
                at(field),
                want.join(", "),
                got.map_or("no CHILD_SA installed".into(), |g| list_or_none(&g)),
            );
        }
    }
    if let Some(want) = &e.ike_ports {
        let mut got: Vec<u16> = Vec::new();
        for r in world.wire().iter().filter(|r| r.kind == WireKind::Ike) {
            let port = if r.from == cast.responder {
                r.src.port()
            } else {
                r.dst.port()
            };
            if !got.contains(&port) {
                got.push(port);
            }
        }
        if &got != want {
            fail(
                out,
                at("ike_ports"),
                format!("responder IKE ports {want:?}"),
                format!("{got:?}"),
            );
        }
    }
}

fn check_wire(label: &str, e: &ExpectSpec, world: &World, cast: &Cast, out: &mut Vec<Failure>) {
    if e.sut_wire_checks.is_empty() {
        return;
    }
    let mine = crate::wire::sent_by(world, cast.sut);
    let theirs = crate::wire::sent_by(world, cast.peer);
    // A message the harness could not read completely would let a breach slip through.
    let unread: Vec<String> = mine
        .iter()
        .filter_map(|m| {
            m.problem
                .as_ref()
                .map(|p| format!("#{}: {p}", m.message_id))
        })
        .collect();
    for name in &e.sut_wire_checks {
        let at = format!("{label}.sut_wire_checks.{name}");
        let v = crate::wire::check(name, &mine, &theirs);
        let rule = crate::wire::rule(name);
        if v.examined == 0 {
            fail(
                out,
                at.clone(),
                format!("{} sends something to check: {rule}", world.name(cast.sut)),
                format!("nothing applicable in {} messages", mine.len()),
            );
        }
        if !v.problems.is_empty() || !unread.is_empty() {
            let shown: Vec<&String> = v.problems.iter().chain(&unread).take(3).collect();
            fail(
                out,
                at,
                rule.to_string(),
                format!(
                    "{} breaches of {} checked: {}",
                    v.problems.len() + unread.len(),
                    v.examined,
                    list_or_none(&shown)
                ),
            );
        }
    }
}

fn check_link(label: &str, e: &ExpectSpec, world: &World, out: &mut Vec<Failure>) {
    let lost = world
        .wire()
        .iter()
        .filter(|r| r.dropped == Some(DropReason::Loss))
        .count();
    let duplicated = world
        .wire()
        .iter()
        .filter(|r| r.fault.as_deref() == Some("link duplicate"))
        .count();
    for (field, min, got, what) in [
        ("min_lost", e.min_lost, lost, "lost"),
        ("min_duplicated", e.min_duplicated, duplicated, "duplicated"),
    ] {
        if let Some(min) = min.filter(|m| got < *m) {
            fail(
                out,
                format!("{label}.{field}"),
                format!("at least {min} datagrams {what} by the link"),
                format!("{got} (try another network.seed)"),
            );
        }
    }
}

/// A record the world added for a copy the network made (duplicate, replay), not a datagram
/// the node sent.
pub(crate) fn is_copy(r: &ikelab_sim::WireRecord) -> bool {
    r.fault.as_deref().is_some_and(|f| {
        f == "link duplicate" || f == "duplicate (copy)" || f.starts_with("replay (")
    })
}

/// Send times of each request the node sent more than once, keyed by (exchange, message ID),
/// over all its IKE SAs in wire order.
fn request_times(world: &World, node: NodeId) -> Vec<(String, Vec<u64>)> {
    let mut out: Vec<(String, Vec<u64>)> = Vec::new();
    for r in world
        .wire()
        .iter()
        .filter(|r| r.from == node && r.kind == WireKind::Ike && !is_copy(r))
    {
        let Some(s) = world.describe(r) else { continue };
        if s.response {
            continue;
        }
        let key = format!("{} #{}", s.exchange, s.message_id);
        let t = r.time.as_micros();
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, times)) => times.push(t),
            None => out.push((key, vec![t])),
        }
    }
    out.retain(|(_, t)| t.len() > 1);
    out
}

fn check_backoff(label: &str, e: &ExpectSpec, world: &World, cast: &Cast, out: &mut Vec<Failure>) {
    if !e.sut_backoff_increases {
        return;
    }
    let at = format!("{label}.sut_backoff_increases");
    let expected = format!(
        "{} retransmits with growing intervals",
        world.name(cast.sut)
    );
    let times = request_times(world, cast.sut);
    let gaps = |t: &Vec<u64>| t.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>();
    if !times.iter().any(|(_, t)| t.len() > 2) {
        let seen: Vec<String> = times
            .iter()
            .map(|(k, t)| format!("{k} sent {} times", t.len()))
            .collect();
        fail(
            out,
            at,
            expected,
            format!("no request sent 3 times or more ({})", list_or_none(&seen)),
        );
        return;
    }
    for (key, t) in &times {
        let g = gaps(t);
        if g.windows(2).any(|w| w[1] <= w[0]) {
            let ms: Vec<String> = g.iter().map(|us| format!("{}ms", us / 1000)).collect();
            fail(
                out,
                at.clone(),
                expected.clone(),
                format!("{key} resent after {}", ms.join(", ")),
            );
        }
    }
}

/// A message's payloads as tokens: Notify payloads carry their type.
fn tokens(s: &ikelab_sim::IkeSummary) -> Vec<(PayloadType, Option<NotifyType>)> {
    let mut notifies = s.notifies.iter();
    s.payloads
        .iter()
        .map(|p| {
            if *p == PayloadType::NOTIFY {
                (*p, notifies.next().copied())
            } else {
                (*p, None)
            }
        })
        .collect()
}

fn token_matches(t: PayloadToken, p: &(PayloadType, Option<NotifyType>)) -> bool {
    match t {
        PayloadToken::Payload(want) => p.0 == want,
        PayloadToken::Notify(None) => p.0 == PayloadType::NOTIFY,
        PayloadToken::Notify(Some(n)) => p.0 == PayloadType::NOTIFY && p.1 == Some(n),
    }
}

fn token_list(list: &[(PayloadType, Option<NotifyType>)]) -> String {
    let v: Vec<String> = list
        .iter()
        .map(|(p, n)| match n {
            Some(n) => format!("N({n})"),
            None => p.to_string(),
        })
        .collect();
    format!("[{}]", v.join(", "))
}

fn check_message(at: &str, m: &MessageExpect, world: &World, cast: &Cast, out: &mut Vec<Failure>) {
    let node = cast.node(m.from);
    let who = world.name(node);
    let x = m.exchange.as_deref().and_then(|x| exchange(x).ok());
    let (records, matching): (Vec<&ikelab_sim::WireRecord>, Vec<ikelab_sim::IkeSummary>) =
        sut_records(world, node)
            .into_iter()
            .filter(|(_, s)| {
                x.is_none_or(|x| s.exchange == x)
                    && m.message
                        .is_none_or(|k| s.response == (k == MessageKind::Response))
            })
            .unzip();
    let what = format!(
        "{who}'s {}{}",
        m.exchange.as_deref().unwrap_or("IKE"),
        m.message.map_or(" messages", |k| match k {
            MessageKind::Request => " requests",
            MessageKind::Response => " responses",
        })
    );
    let all: Vec<String> = sut_ike(world, node).iter().map(|s| s.to_string()).collect();
    if let Some(c) = m.count {
        if matching.len() != c {
            fail(
                out,
                format!("{at}.count"),
                format!("{c} of {what}"),
                format!("{}; {who} sent: {}", matching.len(), list_or_none(&all)),
            );
        }
    }
    let selected: Vec<(usize, &ikelab_sim::IkeSummary)> = match m.nth {
        Some(n) => matching.iter().enumerate().skip(n - 1).take(1).collect(),
        None => matching.iter().enumerate().collect(),
    };
    if selected.is_empty() {
        if m.count != Some(0) {
            fail(
                out,
                at.to_string(),
                match m.nth {
                    Some(n) => format!("message #{n} of {what}"),
                    None => format!("at least one of {what}"),
                },
                format!(
                    "{} matching; {who} sent: {}",
                    matching.len(),
                    list_or_none(&all)
                ),
            );
        }
        return;
    }
    let parse = |list: &[String]| -> Vec<PayloadToken> {
        list.iter().filter_map(|t| payload_token(t).ok()).collect()
    };
    for (i, s) in selected {
        let label = format!("{at} (#{} of {what})", i + 1);
        if s.encrypted && !s.decrypted {
            fail(
                out,
                label,
                "a message the harness can decrypt".into(),
                s.to_string(),
            );
            continue;
        }
        check_raw(&label, m, world, records[i], out);
        let got = tokens(s);
        let shown = token_list(&got);
        if let Some(want) = &m.payloads {
            let want_t = parse(want);
            let same = want_t.len() == got.len()
                && want_t.iter().zip(&got).all(|(w, g)| token_matches(*w, g));
            if !same {
                fail(
                    out,
                    format!("{label}.payloads"),
                    format!("[{}]", want.join(", ")),
                    shown.clone(),
                );
            }
        }
        if let Some(first) = &m.first {
            let ok = payload_token(first)
                .ok()
                .is_some_and(|t| got.first().is_some_and(|g| token_matches(t, g)));
            if !ok {
                fail(
                    out,
                    format!("{label}.first"),
                    format!("{first} first"),
                    shown.clone(),
                );
            }
        }
        for (name, t) in m.has.iter().zip(parse(&m.has)) {
            if !got.iter().any(|g| token_matches(t, g)) {
                fail(
                    out,
                    format!("{label}.has"),
                    format!("{name} present"),
                    shown.clone(),
                );
            }
        }
        for (name, t) in m.lacks.iter().zip(parse(&m.lacks)) {
            if got.iter().any(|g| token_matches(t, g)) {
                fail(
                    out,
                    format!("{label}.lacks"),
                    format!("no {name}"),
                    shown.clone(),
                );
            }
        }
        if !m.order.is_empty() {
            let mut rest = got.iter();
            let in_order = parse(&m.order)
                .into_iter()
                .all(|t| rest.any(|g| token_matches(t, g)));
            if !in_order {
                fail(
                    out,
                    format!("{label}.order"),
                    format!("{} in this order", m.order.join(" before ")),
                    shown.clone(),
                );
            }
        }
    }
}

fn check_notify(at: &str, n: &NotifyExpect, world: &World, cast: &Cast, out: &mut Vec<Failure>) {
    let Ok(want) = notify(&n.notify) else { return };
    let node = cast.node(n.from);
    let x = n.exchange.as_deref().and_then(|x| exchange(x).ok());
    let carrying: Vec<String> = sut_ike(world, node)
        .into_iter()
        .filter(|s| {
            s.notifies.contains(&want)
                && x.is_none_or(|x| s.exchange == x)
                && n.message
                    .is_none_or(|m| s.response == (m == MessageKind::Response))
        })
        .map(|s| s.to_string())
        .collect();
    let place = format!(
        "{}{}",
        n.exchange
            .as_ref()
            .map_or(String::new(), |x| format!(" in {x}")),
        n.message.map_or("", |m| match m {
            MessageKind::Request => " requests",
            MessageKind::Response => " responses",
        })
    );
    let who = world.name(node);
    let (ok, expected) = match (n.present, n.count) {
        (false, _) => (
            carrying.is_empty(),
            format!("{who} never sends Notify {want}{place}"),
        ),
        (true, Some(c)) => (
            carrying.len() == c,
            format!("{who} sends Notify {want}{place} in {c} messages"),
        ),
        (true, None) => (
            !carrying.is_empty(),
            format!("{who} sends Notify {want}{place}"),
        ),
    };
    if !ok {
        let sent: Vec<String> = sut_ike(world, node).iter().map(|s| s.to_string()).collect();
        fail(
            out,
            at.to_string(),
            expected,
            format!(
                "{} matching; {who} sent: {}",
                carrying.len(),
                list_or_none(&sent)
            ),
        );
    }
}

fn violations(world: &World, node: NodeId) -> Vec<String> {
    world
        .events(node)
        .iter()
        .filter_map(|(_, ev)| match &ev.kind {
            EventKind::Violation(v) => Some(variant_name(&format!("{v:?}")).to_string()),
            _ => None,
        })
        .collect()
}

/// A selector as the scenario wrote it, in canonical form (`10.1.2.0/24`).
fn normal_ts(s: &str) -> String {
    s.parse::<TsSpec>().map_or(s.to_string(), |t| t.to_string())
}

fn range_string(r: &AddressRange) -> String {
    TsSpec {
        addresses: TsAddresses::Range(r.start_address, r.end_address),
        protocol: r.ip_protocol,
        start_port: r.start_port,
        end_port: r.end_port,
    }
    .to_string()
}

/// `sent_after`/`sent_before`, `ke_group`, `sa_groups` on one message.
fn check_raw(
    label: &str,
    m: &MessageExpect,
    world: &World,
    rec: &ikelab_sim::WireRecord,
    out: &mut Vec<Failure>,
) {
    let since_start = Duration::from_micros(
        rec.time
            .as_micros()
            .saturating_sub(ikelab_sim::START.as_micros()),
    );
    let bound = |d: &Option<String>| d.as_deref().and_then(|d| duration(d).ok());
    let shown = |d: Duration| format!("{:.3}s", d.as_micros() as f64 / 1e6);
    if let Some(after) = bound(&m.sent_after).filter(|a| since_start < *a) {
        fail(
            out,
            format!("{label}.sent_after"),
            format!("sent after {}", shown(after)),
            format!("sent at {}", shown(since_start)),
        );
    }
    if let Some(before) = bound(&m.sent_before).filter(|b| since_start > *b) {
        fail(
            out,
            format!("{label}.sent_before"),
            format!("sent before {}", shown(before)),
            format!("sent at {}", shown(since_start)),
        );
    }
    let header = rec.summary();
    if let (Some(want), Some(h)) = (m.encrypted, &header) {
        if h.encrypted != want {
            fail(
                out,
                format!("{label}.encrypted"),
                format!("protected: {want}"),
                h.encrypted.to_string(),
            );
        }
    }
    if let Some(want) = &m.spis {
        let got = header.as_ref().map_or("no IKE header".into(), |h| {
            format!("{:016x}/{:016x}", h.spi_i, h.spi_r)
        });
        if !got.eq_ignore_ascii_case(want) {
            fail(out, format!("{label}.spis"), want.clone(), got);
        }
    }
    if let Some(want) = m.message_id {
        let got = header.as_ref().map(|h| h.message_id);
        if got != Some(want) {
            fail(
                out,
                format!("{label}.message_id"),
                format!("Message ID {want}"),
                format!("{got:?}"),
            );
        }
    }
    if let Some(want) = m.dst_port.filter(|p| *p != rec.dst.port()) {
        fail(
            out,
            format!("{label}.dst_port"),
            format!("sent to port {want}"),
            format!("sent to {}", rec.dst),
        );
    }
    if m.ke_group.is_none()
        && m.sa_groups.is_none()
        && m.id_type.is_none()
        && m.auth_method.is_none()
    {
        return;
    }
    let raw = crate::wire::decode(world, rec);
    if let Some(want) = m.id_type {
        let got = raw.as_ref().and_then(crate::wire::id_type);
        if got != Some(want) {
            fail(
                out,
                format!("{label}.id_type"),
                format!("ID Type {want}"),
                got.map_or("no IDi/IDr payload".into(), |t| format!("ID Type {t}")),
            );
        }
    }
    if let Some(want) = m.auth_method {
        let got = raw.as_ref().and_then(crate::wire::auth_method);
        if got != Some(want) {
            fail(
                out,
                format!("{label}.auth_method"),
                format!("Auth Method {want}"),
                got.map_or("no AUTH payload".into(), |t| format!("Auth Method {t}")),
            );
        }
    }
    if let Some(want) = m.ke_group {
        let got = raw.as_ref().and_then(crate::wire::ke_group);
        if got != Some(want) {
            fail(
                out,
                format!("{label}.ke_group"),
                format!("KE of group {want}"),
                got.map_or("no KE payload".into(), |g| format!("group {g}")),
            );
        }
    }
    if let Some(want) = &m.sa_groups {
        let got = raw.as_ref().map(crate::wire::sa_groups).unwrap_or_default();
        if &got != want {
            fail(
                out,
                format!("{label}.sa_groups"),
                format!("D-H transforms {want:?}"),
                format!("{got:?}"),
            );
        }
    }
}

/// Like [`sut_ike`], with the wire records.
fn sut_records(
    world: &World,
    node: NodeId,
) -> Vec<(&ikelab_sim::WireRecord, ikelab_sim::IkeSummary)> {
    world
        .wire()
        .iter()
        .filter(|r| r.from == node && r.kind == WireKind::Ike && !is_copy(r))
        .filter_map(|r| world.describe(r).map(|s| (r, s)))
        .collect()
}

/// The IKE messages a node sent (retransmissions included), not copies the network made.
fn sut_ike(world: &World, node: NodeId) -> Vec<ikelab_sim::IkeSummary> {
    world
        .wire()
        .iter()
        .filter(|r| r.from == node && r.kind == WireKind::Ike && !is_copy(r))
        .filter_map(|r| world.describe(r))
        .collect()
}

fn notifies_sent(world: &World, node: NodeId) -> Vec<NotifyType> {
    sut_ike(world, node)
        .into_iter()
        .flat_map(|s| s.notifies)
        .collect()
}

fn events(world: &World, node: NodeId) -> String {
    let v: Vec<String> = world
        .events(node)
        .iter()
        .filter(|(_, e)| !matches!(e.kind, EventKind::Message(_) | EventKind::IkeKeys(_)))
        .map(|(_, e)| event_label(&e.kind))
        .collect();
    list_or_none(&v)
}

fn list_or_none<T: ToString>(v: &[T]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
