//! Checking a run against the scenario's `[expect]` tables. Every unmet expectation becomes a
//! [`Failure`] naming the expectation, what was expected and what was observed.

use ikelab_engine::EventKind;
use ikelab_policy::{ChildProposal, IkeProposal};
use ikelab_sim::{NodeId, WireKind, World};
use ikelab_wire::iana::NotifyType;

use crate::format::ExpectSpec;
use crate::load::{exchange, notify, Scenario};
use crate::outcome::{Failure, Role};
use crate::run::{close_label, count, event_label, variant_name, Cast};

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
    let first_fault = world.wire().iter().position(|r| r.fault.is_some());
    let after_fault: Vec<String> = match first_fault {
        Some(i) => world.wire()[i + 1..]
            .iter()
            .filter(|r| r.from == cast.sut && r.kind == WireKind::Ike)
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

fn sut_ike(world: &World, node: NodeId) -> Vec<ikelab_sim::IkeSummary> {
    world
        .wire()
        .iter()
        .filter(|r| r.from == node && r.kind == WireKind::Ike)
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
