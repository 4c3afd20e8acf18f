//! Running a scenario in the simulated world: two ikelab nodes, the scenario's link and
//! faults, its steps in virtual time, then its expectations against what happened.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Instant;

use ikelab_engine::{CloseReason, EventKind, SaHandle, Timestamp};
use ikelab_node::{DataPlaneConfig, Node};
use ikelab_policy::Duration;
use ikelab_sim::{
    node_config, Fault, LinkModel, NodeId, PacketClass, Selector, Stop, WireKind, World,
    WorldConfig, START,
};

use crate::expect;
use crate::format::{MessageKind, Part, StepSpec};
use crate::load::{duration, Scenario};
use crate::outcome::{
    Citation, DatagramKind, Failure, NodeInfo, Role, ScenarioOutcome, TraceEntry, Verdict,
};
use crate::suite::Mode;

const INITIATOR_IP: &str = "192.0.2.1";
const RESPONDER_IP: &str = "198.51.100.1";
/// Second addresses: where `move_address` moves the initiator (MOBIKE), and a gateway a
/// responder may redirect to (it does not redirect requests sent there).
const INITIATOR_IP2: &str = "192.0.2.2";
const RESPONDER_IP2: &str = "198.51.100.2";
const NAT_IP: &str = "203.0.113.7";
/// Livelock guard: far above what any scenario needs (a handshake is ~20 steps).
pub const MAX_STEPS: u64 = 200_000;

/// The two nodes and which is which in this run.
pub(crate) struct Cast {
    pub initiator: NodeId,
    pub responder: NodeId,
    pub sut: NodeId,
    pub peer: NodeId,
}

impl Cast {
    pub fn node(&self, part: Part) -> NodeId {
        match part {
            Part::Sut => self.sut,
            Part::Peer => self.peer,
            Part::Initiator => self.initiator,
            Part::Responder => self.responder,
        }
    }
}

/// Runs `scenario` with ikelab-under-test in `role`. Writes `<name>.<role>.pcap` and the key
/// tables into `artifacts` when given.
pub fn run(scenario: &Scenario, role: Role, artifacts: Option<&Path>) -> ScenarioOutcome {
    run_limited(scenario, role, Mode::Sim, artifacts, MAX_STEPS)
}

/// [`run`] with another livelock guard: the run is an error after `max_steps` world steps.
pub(crate) fn run_limited(
    scenario: &Scenario,
    role: Role,
    mode: Mode,
    artifacts: Option<&Path>,
    max_steps: u64,
) -> ScenarioOutcome {
    let wall = Instant::now();
    let spec = &scenario.spec;
    let mut outcome = ScenarioOutcome {
        name: spec.name.clone(),
        file: scenario.file.clone(),
        description: spec.description.clone(),
        role,
        cites: spec
            .cites
            .iter()
            .map(|c| Citation {
                rfc: c.rfc,
                section: c.section.clone(),
                text: c.text.clone(),
                requirement: c.requirement.clone(),
            })
            .collect(),
        verdict: Verdict::Pass,
        virtual_us: 0,
        wall_us: 0,
        trace: Vec::new(),
        nodes: Vec::new(),
        pcap: None,
        key_tables: Vec::new(),
    };
    let (verdict, world) = match simulate(scenario, role, mode, max_steps) {
        Ok((world, cast, failures)) => {
            outcome.nodes = nodes(&world, &cast);
            let mut failures = failures;
            failures.extend(expect::check(scenario, role, &world, &cast));
            let v = if failures.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail { failures }
            };
            (v, Some(world))
        }
        Err((message, world)) => (Verdict::Error { message }, world.map(|w| *w)),
    };
    outcome.verdict = verdict;
    if let Some(world) = &world {
        outcome.trace = trace(world);
        outcome.virtual_us = world.now().as_micros().saturating_sub(START.as_micros());
        if let Some(dir) = artifacts {
            if let Err(e) = write_artifacts(world, dir, &mut outcome) {
                if outcome.verdict.passed() {
                    outcome.verdict = Verdict::Error {
                        message: format!("writing the capture: {e}"),
                    };
                }
            }
        }
    }
    outcome.wall_us = u64::try_from(wall.elapsed().as_micros()).unwrap_or(u64::MAX);
    outcome
}

/// On error: the message and the world as far as it got (boxed: a world is large).
type SimResult = Result<(World, Cast, Vec<Failure>), (String, Option<Box<World>>)>;

fn simulate(scenario: &Scenario, role: Role, mode: Mode, max_steps: u64) -> SimResult {
    let spec = &scenario.spec;
    let seed = spec.network.seed.unwrap_or(1);
    let mut world = World::new(WorldConfig { seed, max_steps });
    if mode == Mode::Udp {
        world.use_loopback_udp();
    }
    let err = |e: String| (e, None);
    let init_node = Node::new(
        node_config(seed.wrapping_mul(2).wrapping_add(1), None),
        DataPlaneConfig::default(),
    )
    .map_err(|e| err(format!("initiator: {e}")))?;
    let resp_node = Node::new(
        node_config(
            seed.wrapping_mul(2).wrapping_add(2),
            Some((*scenario.responder).clone()),
        ),
        DataPlaneConfig::default(),
    )
    .map_err(|e| err(format!("responder: {e}")))?;
    let ip = |s: &str| s.parse::<IpAddr>().map_err(|e| err(e.to_string()));
    let initiator = world
        .add_node(
            "initiator",
            vec![ip(INITIATOR_IP)?, ip(INITIATOR_IP2)?],
            init_node,
        )
        .map_err(|e| err(e.to_string()))?;
    let responder = world
        .add_node(
            "responder",
            vec![ip(RESPONDER_IP)?, ip(RESPONDER_IP2)?],
            resp_node,
        )
        .map_err(|e| err(e.to_string()))?;
    let (sut, peer) = match role {
        Role::Initiator => (initiator, responder),
        Role::Responder => (responder, initiator),
    };
    let cast = Cast {
        initiator,
        responder,
        sut,
        peer,
    };
    let n = &spec.network;
    let d = |s: &Option<String>, default: Duration| match s {
        Some(s) => duration(s).map_err(|(_, m)| err(m)),
        None => Ok(default),
    };
    world.set_default_link(LinkModel {
        latency: d(&n.latency, Duration::from_millis(10))?,
        jitter: d(&n.jitter, Duration::ZERO)?,
        loss_permille: n.loss_permille.unwrap_or(0),
        duplicate_permille: n.duplicate_permille.unwrap_or(0),
        reorder_permille: n.reorder_permille.unwrap_or(0),
        mtu: n.mtu,
    });
    if n.nat {
        world
            .add_nat(initiator, ip(NAT_IP)?)
            .map_err(|e| err(e.to_string()))?;
    }
    for f in &scenario.faults {
        let class = if f.exchange.is_some() {
            PacketClass::Ike
        } else {
            PacketClass::Esp
        };
        let selector = Selector {
            from: Some(cast.node(f.spec.from)),
            to: None,
            class,
            exchange: f.exchange,
            response: f.spec.message.map(|m| m == MessageKind::Response),
            nth: f.spec.nth,
        };
        world.add_fault(Fault {
            selector,
            action: f.action.clone(),
        });
    }
    let mut failures = Vec::new();
    let default_steps = [StepSpec {
        action: "connect".into(),
        by: None,
        duration: None,
        until: None,
        on: None,
        within: None,
        count: None,
        size: None,
        child: None,
        datagram: None,
        src_port: None,
    }];
    let steps = if spec.steps.is_empty() {
        &default_steps[..]
    } else {
        &spec.steps[..]
    };
    for (i, step) in steps.iter().enumerate() {
        let label = format!("steps[{i}] ({})", step.action);
        match run_step(scenario, &mut world, &cast, step) {
            Ok(None) => {}
            Ok(Some((expected, observed))) => failures.push(Failure {
                step: label,
                expected,
                observed,
            }),
            Err(e) => return Err((format!("{label}: {e}"), Some(Box::new(world)))),
        }
    }
    failures.extend(unapplied_faults(scenario, &world));
    Ok((world, cast, failures))
}

/// Faults that never applied, or mutations that could not: the run did not test what the
/// scenario says (unless the fault is `optional`).
fn unapplied_faults(scenario: &Scenario, world: &World) -> Vec<Failure> {
    let notes: Vec<&str> = world
        .wire()
        .iter()
        .filter_map(|r| r.fault.as_deref())
        .flat_map(|f| f.split("; "))
        .collect();
    let mut out = Vec::new();
    for (i, f) in scenario.faults.iter().enumerate() {
        let action = f.action.to_string();
        let step = format!("faults[{i}] ({})", f.spec.action);
        if let Some(n) = notes
            .iter()
            .find(|n| n.starts_with(&action) && n.contains(" not applied: "))
        {
            out.push(Failure {
                step,
                expected: format!("{action} applies"),
                observed: (*n).to_string(),
            });
        } else if !f.spec.optional && !notes.iter().any(|n| *n == action) {
            let sel = format!(
                "from {} {}{}{}",
                f.spec.from.as_str(),
                f.spec.exchange,
                f.spec.message.map_or("", |m| match m {
                    MessageKind::Request => " request",
                    MessageKind::Response => " response",
                }),
                if f.spec.nth == 0 {
                    String::new()
                } else {
                    format!(" #{}", f.spec.nth)
                }
            );
            out.push(Failure {
                step,
                expected: format!("{action} applies to a datagram {sel}"),
                observed: "no datagram matched (set `optional = true` if that is fine)".into(),
            });
        }
    }
    out
}

/// The IKE SA handle a node uses (the newest it reported).
fn handle(world: &World, node: NodeId) -> Option<SaHandle> {
    world.events(node).iter().rev().find_map(|(_, e)| e.sa)
}

/// Runs one step. `Ok(Some((expected, observed)))` when its `until` did not happen in time.
fn run_step(
    scenario: &Scenario,
    world: &mut World,
    cast: &Cast,
    step: &StepSpec,
) -> Result<Option<(String, String)>, String> {
    let by = cast.node(step.by.unwrap_or(Part::Sut));
    let now = world.now();
    let sim = |e: ikelab_sim::SimError| e.to_string();
    let need_sa = |world: &World, who: NodeId| {
        handle(world, who).ok_or_else(|| format!("{} has no IKE SA", world.name(who)))
    };
    let mut default_until: Option<(&str, NodeId)> = None;
    match step.action.as_str() {
        "connect" => {
            let local = SocketAddr::new(world.addrs(cast.initiator)[0], 500);
            let remote = SocketAddr::new(world.addrs(cast.responder)[0], 500);
            world
                .node_mut(cast.initiator)
                .endpoint_mut()
                .connect(now, scenario.initiator.clone(), local, remote)
                .map_err(|e| format!("connect: {e}"))?;
        }
        "run" => {}
        "ping" => {
            let from = cast.node(step.by.unwrap_or(Part::Initiator));
            let to = if from == cast.initiator {
                cast.responder
            } else {
                cast.initiator
            };
            let (src, dst) = (world.addrs(from)[0], world.addrs(to)[0]);
            world
                .send_pings(
                    from,
                    src,
                    dst,
                    step.count.unwrap_or(3),
                    step.size.unwrap_or(56),
                )
                .map_err(sim)?;
        }
        "rekey_child" => {
            let sa = need_sa(world, by)?;
            let (spi_in, _) = *world
                .node(by)
                .esp_sas()
                .last()
                .ok_or_else(|| format!("{} has no CHILD_SA to rekey", world.name(by)))?;
            world
                .node_mut(by)
                .endpoint_mut()
                .rekey_child_sa(now, sa, spi_in)
                .map_err(|e| e.to_string())?;
            default_until = Some(("child_deleted", by));
        }
        "rekey_ike" => {
            let sa = need_sa(world, by)?;
            world
                .node_mut(by)
                .endpoint_mut()
                .rekey_ike_sa(now, sa)
                .map_err(|e| e.to_string())?;
            default_until = Some(("ike_rekeyed", by));
        }
        "create_child" => {
            let sa = need_sa(world, by)?;
            let name = step.child.clone().unwrap_or_default();
            world
                .node_mut(by)
                .endpoint_mut()
                .create_child_sa(now, sa, &name)
                .map_err(|e| e.to_string())?;
        }
        "delete_child" => {
            let sa = need_sa(world, by)?;
            let (spi_in, _) = *world
                .node(by)
                .esp_sas()
                .last()
                .ok_or_else(|| format!("{} has no CHILD_SA to delete", world.name(by)))?;
            world
                .node_mut(by)
                .endpoint_mut()
                .delete_child_sa(now, sa, spi_in)
                .map_err(|e| e.to_string())?;
        }
        "delete_ike" => {
            let sa = need_sa(world, by)?;
            world
                .node_mut(by)
                .endpoint_mut()
                .delete_ike_sa(now, sa)
                .map_err(|e| e.to_string())?;
        }
        "dpd" => {
            let sa = need_sa(world, by)?;
            world
                .node_mut(by)
                .endpoint_mut()
                .send_dpd(now, sa)
                .map_err(|e| e.to_string())?;
        }
        "rebind_nat" => world.rebind_nat(cast.initiator).map_err(sim)?,
        "move_address" => {
            let by = cast.initiator;
            let sa = need_sa(world, by)?;
            let to = INITIATOR_IP2.parse().map_err(|e| format!("{e}"))?;
            world
                .node_mut(by)
                .endpoint_mut()
                .update_local_address(now, sa, to)
                .map_err(|e| e.to_string())?;
            default_until = Some(("addresses_updated", by));
        }
        "inject" => {
            let from = cast.node(step.by.unwrap_or(Part::Peer));
            let to = if from == cast.initiator {
                cast.responder
            } else {
                cast.initiator
            };
            // The SPIs of the SUT's last IKE SA with a responder SPI, for `{spi_i}`/`{spi_r}`.
            let (spi_i, spi_r) = world
                .wire()
                .iter()
                .rev()
                .filter(|r| r.from == cast.sut)
                .filter_map(|r| r.summary())
                .find(|s| s.spi_r != 0)
                .map_or((0, 0), |s| (s.spi_i, s.spi_r));
            let bytes =
                crate::load::inject_bytes(step.datagram.as_deref().unwrap_or(""), spi_i, spi_r)
                    .ok_or("inject: datagram is not hex")?;
            let src = SocketAddr::new(world.addrs(from)[0], step.src_port.unwrap_or(500));
            let dst = SocketAddr::new(world.addrs(to)[0], 500);
            world.inject_udp(from, src, dst, bytes);
        }
        other => return Err(format!("unknown action {other:?}")),
    }
    let within = match &step.within {
        Some(w) => duration(w).map_err(|(_, m)| m)?,
        None => Duration::from_secs(60),
    };
    if let Some(event) = &step.until {
        let on = cast.node(step.on.unwrap_or(Part::Sut));
        let before = count(world, on, event);
        let deadline = now + within;
        world
            .run_until(deadline, |w| count(w, on, event) > before)
            .map_err(sim)?;
        if count(world, on, event) <= before {
            return Ok(Some((
                format!(
                    "{event} on {} within {}",
                    world.name(on),
                    fmt_duration(within)
                ),
                observed(world, on, now),
            )));
        }
    } else if let Some(d) = &step.duration {
        world
            .run_for(duration(d).map_err(|(_, m)| m)?)
            .map_err(sim)?;
    } else if step.action == "connect" {
        // Settle: both sides up, or one gave up.
        let deadline = now + within;
        let (i, r) = (cast.initiator, cast.responder);
        world
            .run_until(deadline, |w| {
                let up = |n| count(w, n, "child_installed") > 0 || count(w, n, "child_failed") > 0;
                (up(i) && up(r)) || count(w, i, "closed") > 0
            })
            .map_err(sim)?;
        // Let the last messages land (deletes, notifies, cached replies).
        world.run_for(Duration::from_secs(1)).map_err(sim)?;
    } else if let Some((event, on)) = default_until {
        let before = count(world, on, event);
        world
            .run_until(now + within, |w| count(w, on, event) > before)
            .map_err(sim)?;
        world.run_for(Duration::from_secs(1)).map_err(sim)?;
    } else {
        match world.run_for(Duration::from_secs(5)).map_err(sim)? {
            Stop::Condition | Stop::Idle | Stop::Deadline => {}
        }
    }
    Ok(None)
}

/// Events of a kind a node reported so far.
pub(crate) fn count(world: &World, node: NodeId, event: &str) -> usize {
    world
        .events(node)
        .iter()
        .filter(|(_, e)| event_is(&e.kind, event))
        .count()
}

pub(crate) fn event_is(kind: &EventKind, name: &str) -> bool {
    matches!(
        (name, kind),
        ("established", EventKind::IkeSaEstablished(_))
            | ("child_installed", EventKind::ChildSaInstalled(_))
            | ("child_failed", EventKind::ChildSaFailed { .. })
            | ("child_deleted", EventKind::ChildSaDeleted { .. })
            | ("closed", EventKind::Closed { .. })
            | ("ike_rekeyed", EventKind::IkeSaRekeyed { .. })
            | ("violation", EventKind::Violation(_))
            | ("retransmitted", EventKind::Retransmitted { .. })
            | ("ike_rekey_failed", EventKind::IkeSaRekeyFailed { .. })
            | ("config_assigned", EventKind::ConfigAssigned { .. })
            | ("addresses_updated", EventKind::SaAddressesUpdated { .. })
            | ("redirected", EventKind::Redirected { .. })
    )
}

/// What a node reported since `since`, for failure messages.
fn observed(world: &World, node: NodeId, since: Timestamp) -> String {
    let seen: Vec<String> = world
        .events(node)
        .iter()
        .filter(|(t, e)| {
            *t >= since && !matches!(e.kind, EventKind::Message(_) | EventKind::IkeKeys(_))
        })
        .map(|(t, e)| format!("{} at {}", event_label(&e.kind), fmt_time(*t)))
        .collect();
    if seen.is_empty() {
        format!("no events on {}", world.name(node))
    } else {
        seen.join(", ")
    }
}

pub(crate) fn event_label(k: &EventKind) -> String {
    match k {
        EventKind::IkeSaEstablished(i) => format!("IkeSaEstablished({})", i.transforms),
        EventKind::ChildSaInstalled(c) => format!("ChildSaInstalled({})", c.transforms),
        EventKind::ChildSaFailed { notify } => format!("ChildSaFailed({notify})"),
        EventKind::Closed { reason } => format!("Closed{{{}}}", close_label(reason)),
        EventKind::Violation(v) => format!("Violation({})", variant_name(&format!("{v:?}"))),
        other => variant_name(&format!("{other:?}")).to_string(),
    }
}

pub(crate) fn close_label(r: &CloseReason) -> String {
    match r {
        CloseReason::PeerError(n) => format!("PeerError({n})"),
        CloseReason::LocalError(n) => format!("LocalError({n})"),
        CloseReason::Timeout { exchange } => format!("Timeout({exchange})"),
        CloseReason::ProtocolError(m) => format!("ProtocolError({m})"),
        other => variant_name(&format!("{other:?}")).to_string(),
    }
}

/// `Foo { .. }` / `Foo(..)` → `Foo`.
pub(crate) fn variant_name(debug: &str) -> &str {
    debug.split(['(', '{', ' ']).next().unwrap_or(debug)
}

fn fmt_time(t: Timestamp) -> String {
    let us = t.as_micros().saturating_sub(START.as_micros());
    format!("{}.{:03}s", us / 1_000_000, (us % 1_000_000) / 1000)
}

fn fmt_duration(d: Duration) -> String {
    d.to_string()
}

fn nodes(world: &World, cast: &Cast) -> Vec<NodeInfo> {
    world
        .node_ids()
        .map(|id| NodeInfo {
            name: world.name(id).to_string(),
            implementation: "ikelab".into(),
            addresses: world.addrs(id).iter().map(|a| a.to_string()).collect(),
            under_test: id == cast.sut,
        })
        .collect()
}

fn trace(world: &World) -> Vec<TraceEntry> {
    world
        .wire()
        .iter()
        .map(|rec| {
            let summary = world.describe(rec);
            let (spi, seq) = match rec.kind {
                WireKind::Esp => {
                    let b = &rec.bytes;
                    let word = |i: usize| {
                        b.get(i..i + 4)
                            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
                    };
                    (word(0), word(4))
                }
                _ => (None, None),
            };
            TraceEntry {
                time_us: rec.time.as_micros().saturating_sub(START.as_micros()),
                from: world.name(rec.from).to_string(),
                to: rec
                    .to
                    .map_or("-".to_string(), |t| world.name(t).to_string()),
                src: rec.src.to_string(),
                dst: rec.dst.to_string(),
                kind: match rec.kind {
                    WireKind::Ike => DatagramKind::Ike,
                    WireKind::Esp => DatagramKind::Esp,
                    WireKind::NatKeepalive => DatagramKind::NatKeepalive,
                    WireKind::Other => DatagramKind::Other,
                },
                exchange: summary.as_ref().map(|s| s.exchange.to_string()),
                message_id: summary.as_ref().map(|s| s.message_id),
                response: summary.as_ref().is_some_and(|s| s.response),
                payloads: summary
                    .as_ref()
                    .map(|s| s.payloads.iter().map(|p| p.to_string()).collect())
                    .unwrap_or_default(),
                notifies: summary
                    .as_ref()
                    .map(|s| s.notifies.iter().map(|n| n.to_string()).collect())
                    .unwrap_or_default(),
                encrypted: summary.as_ref().is_some_and(|s| s.encrypted),
                spi,
                seq,
                len: rec.bytes.len(),
                dropped: rec.dropped.is_some(),
                fault: rec.fault.clone(),
            }
        })
        .collect()
}

fn write_artifacts(world: &World, dir: &Path, outcome: &mut ScenarioOutcome) -> Result<(), String> {
    let stem = format!("{}.{}", outcome.name, outcome.role.as_str());
    let pcap = format!("{stem}.pcap");
    let keys = format!("{stem}.keys");
    std::fs::create_dir_all(dir.join(&keys)).map_err(|e| e.to_string())?;
    world
        .write_pcap(&dir.join(&pcap))
        .map_err(|e| e.to_string())?;
    world
        .write_key_tables(&dir.join(&keys))
        .map_err(|e| e.to_string())?;
    outcome.pcap = Some(pcap.into());
    outcome.key_tables = vec![
        Path::new(&keys).join("ikev2_decryption_table"),
        Path::new(&keys).join("esp_sa"),
    ];
    Ok(())
}
