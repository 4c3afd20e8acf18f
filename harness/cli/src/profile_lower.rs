//! `ikelab profile lower` and `ikelab profile connect` (issue 9): a profile's VPN payloads
//! lowered to the IKEv2 policy the device uses, and that policy run against a gateway.
//!
//! `lower` exit: 0 lowered without errors, 1 lowering findings of error severity, 2 unreadable.
//! `connect` exit: 0 connected, 1 failed (the reason is printed in one line), 2 bad input,
//! 3 not runnable here (the compatibility analysis is printed; e.g. certificate gateways).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use ikelab_crypto::rng::SeededRandom;
use ikelab_engine::{CloseReason, Endpoint, EndpointConfig, EventKind, Timestamp};
use ikelab_policy::{Duration, IkePolicy};
use ikelab_profile::lower::explain::{self, Compatibility};
use ikelab_profile::lower::gateway::{self, swanctl};
use ikelab_profile::lower::{intune, Lowering};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LowerFormat {
    Json,
    Swanctl,
}

#[derive(Debug, Args)]
pub struct LowerArgs {
    /// Profile (.mobileconfig, XML/binary/signed), or Intune settings (Graph JSON
    /// `iosikEv2VpnConfiguration` or TOML with `--intune`).
    file: PathBuf,
    #[arg(long, value_enum, default_value = "json")]
    format: LowerFormat,
    /// Read FILE as Intune iOS IKEv2 VPN settings (Graph JSON or TOML); the report shows what
    /// the admin chose next to what the device will send.
    #[arg(long)]
    intune: bool,
    /// Write the profile's PSK into the generated swanctl `secrets` (otherwise `<redacted>`).
    #[arg(long)]
    with_secrets: bool,
    /// Address pool for the generated gateway.
    #[arg(long, default_value = "10.99.0.0/24")]
    pool: String,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Profile to lower (first IKEv2 payload unless --payload).
    file: PathBuf,
    /// The gateway: a swanctl.conf, an Azure P2S VpnSettings.xml, or an ikelab policy (TOML).
    #[arg(long)]
    gateway: PathBuf,
    /// Run against a real gateway at HOST:PORT over UDP instead of the simulation.
    #[arg(long)]
    live: Option<String>,
    /// Which lowered payload (0-based) to use.
    #[arg(long, default_value_t = 0)]
    payload: usize,
    /// Read FILE as Intune settings.
    #[arg(long)]
    intune: bool,
    /// Local IKE port for --live.
    #[arg(long, default_value_t = 500)]
    port: u16,
    /// Local NAT-T port for --live.
    #[arg(long = "nat-t-port", default_value_t = 4500)]
    nat_t_port: u16,
    /// Give up after this many seconds (--live).
    #[arg(long, default_value_t = 20)]
    timeout: u64,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

struct Input {
    lowering: Lowering,
    intune: Option<intune::IntuneLowering>,
}

fn load(file: &PathBuf, is_intune: bool) -> Result<Input, String> {
    let name = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {name}: {e}"))?;
    if is_intune {
        let text = String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8"))?;
        let il = intune::lower_text(&name, &text).map_err(|e| e.to_string())?;
        return Ok(Input {
            lowering: il.lowering.clone(),
            intune: Some(il),
        });
    }
    let lowering = ikelab_profile::lower::lower_bytes(&name, &bytes)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    Ok(Input {
        lowering,
        intune: None,
    })
}

pub fn lower(args: LowerArgs) -> ExitCode {
    let input = match load(&args.file, args.intune) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let l = &input.lowering;
    let text = match args.format {
        LowerFormat::Json => {
            let mut v = l.to_json();
            if let (Some(il), Some(obj)) = (&input.intune, v.as_object_mut()) {
                obj.insert("intune".into(), il.to_json());
            }
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        LowerFormat::Swanctl => {
            let opts = swanctl::EmitOptions {
                with_secrets: args.with_secrets,
                pool: args.pool.clone(),
            };
            if l.payloads.is_empty() {
                eprintln!("error: {}: no IKEv2 payload to build a gateway for", l.file);
                return ExitCode::from(1);
            }
            l.payloads
                .iter()
                .map(|p| swanctl::emit(p, &l.file, &opts))
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    print!("{text}");
    for d in l
        .findings
        .iter()
        .chain(l.payloads.iter().flat_map(|p| &p.findings))
    {
        eprintln!(
            "{}: {} {} {}: {}",
            l.file,
            d.severity.as_str(),
            d.rule,
            d.path,
            d.message
        );
    }
    if l.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn connect(args: ConnectArgs) -> ExitCode {
    let input = match load(&args.file, args.intune) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let gw_name = args.gateway.display().to_string();
    let gw = match std::fs::read_to_string(&args.gateway)
        .map_err(|e| format!("cannot read {gw_name}: {e}"))
        .and_then(|t| gateway::parse(&gw_name, &t).map_err(|e| e.to_string()))
    {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(p) = input.lowering.payloads.get(args.payload) else {
        eprintln!(
            "error: {}: no IKEv2 payload #{}",
            input.lowering.file, args.payload
        );
        return ExitCode::from(2);
    };
    let compat = explain::compare(p, &gw);
    println!("profile: {} {} ({:?})", input.lowering.file, p.path, p.name);
    println!("gateway: {} {} ({})", gw.kind, gw.name, gw_name);
    for n in &gw.notes {
        println!("note: {n}");
    }
    for w in &compat.warnings {
        println!("warning: {w}");
    }
    println!("analysis: {}", compat.explanation);
    let Some(client) = p.policy.clone() else {
        return not_runnable(
            &compat,
            p.policy_note.as_deref().unwrap_or("no client policy"),
        );
    };
    if let Some(live) = &args.live {
        return live_connect(&args, client, live, &compat);
    }
    let Some(server) = gw.policy.clone() else {
        return not_runnable(
            &compat,
            gw.policy_note.as_deref().unwrap_or("no gateway policy"),
        );
    };
    match simulate(client, server, args.seed) {
        SimOutcome::Up { ike, esp } => {
            println!("connected: IKE {ike}, ESP {esp} (simulation)");
            ExitCode::SUCCESS
        }
        SimOutcome::Failed(why) => {
            println!("{}", failure_line(&why, &compat));
            ExitCode::from(1)
        }
    }
}

/// One line: what went wrong, and why when the static analysis knows.
fn failure_line(why: &str, c: &Compatibility) -> String {
    match c.problems.first() {
        Some(problem) => format!("failed: {why} — {problem}"),
        None if why.contains("AUTHENTICATION_FAILED") => format!(
            "failed: {why} — proposals and auth methods match, so the gateway refused the \
             device's credentials (shared secret, EAP AuthName/AuthPassword or certificate)"
        ),
        None => format!("failed: {why}"),
    }
}

fn not_runnable(c: &Compatibility, why: &str) -> ExitCode {
    if c.ok() {
        println!("not run: {why}");
        ExitCode::from(3)
    } else {
        println!("failed: {} (not run: {why})", c.explanation);
        ExitCode::from(1)
    }
}

/// The result of the simulated handshake.
pub enum SimOutcome {
    Up { ike: String, esp: String },
    Failed(String),
}

fn describe_close(r: &CloseReason) -> String {
    match r {
        CloseReason::PeerError(n) => format!(
            "the gateway answered {}",
            n.name().map_or_else(|| n.0.to_string(), str::to_string)
        ),
        CloseReason::LocalError(n) => format!(
            "the client refused the gateway ({})",
            n.name().map_or_else(|| n.0.to_string(), str::to_string)
        ),
        CloseReason::Timeout { exchange } => format!("no answer to {exchange}"),
        other => format!("{other:?}"),
    }
}

/// Two in-memory engines (client = lowered profile, responder = gateway) on a lossless link
/// with 10 ms latency, in virtual time.
pub fn simulate(client: IkePolicy, server: IkePolicy, seed: u64) -> SimOutcome {
    let cfg = |s: u64, responder: Option<IkePolicy>| {
        let mut c =
            EndpointConfig::new(&ikelab_crypto::DEFAULT, Arc::new(SeededRandom::from_u64(s)));
        c.responder = responder.map(Arc::new);
        c
    };
    let (mut a, mut b) = match (
        Endpoint::new(cfg(seed * 2 + 1, None)),
        Endpoint::new(cfg(seed * 2 + 2, Some(server))),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            return SimOutcome::Failed(format!("engine refused the configuration: {e}"))
        }
    };
    let a_addr: SocketAddr = SocketAddr::from(([192, 0, 2, 1], 500));
    let b_addr: SocketAddr = SocketAddr::from(([198, 51, 100, 1], 500));
    let mut now = Timestamp::from_micros(1_000_000);
    if let Err(e) = a.connect(now, Arc::new(client), a_addr, b_addr) {
        return SimOutcome::Failed(format!("the client cannot start: {e}"));
    }
    // (arrival time, sequence, to_b, from, to, bytes)
    let mut wire: BinaryHeap<Reverse<InFlight>> = BinaryHeap::new();
    let mut seq = 0u64;
    let latency = Duration::from_millis(10);
    let (mut ike, mut esp) = (None, None);
    let mut b_closed = None;
    for _ in 0..10_000 {
        for (to_b, ep) in [(true, &mut a), (false, &mut b)] {
            while let Some(t) = ep.poll_transmit() {
                seq += 1;
                wire.push(Reverse((
                    now + latency,
                    seq,
                    to_b,
                    t.local,
                    t.remote,
                    t.payload,
                )));
            }
        }
        while let Some(e) = b.poll_event() {
            if let EventKind::Closed { reason } = e.kind {
                b_closed = Some(reason);
            }
        }
        while let Some(e) = a.poll_event() {
            match e.kind {
                EventKind::IkeSaEstablished(i) => ike = Some(i.transforms.to_string()),
                EventKind::ChildSaInstalled(c) => esp = Some(c.transforms.to_string()),
                EventKind::ChildSaFailed { notify } => {
                    return SimOutcome::Failed(format!(
                        "the IKE SA came up but the CHILD_SA was refused with {}",
                        notify.name().unwrap_or("an error notify")
                    ))
                }
                EventKind::Closed { reason } => return SimOutcome::Failed(describe_close(&reason)),
                _ => {}
            }
        }
        if let (Some(i), Some(c)) = (&ike, &esp) {
            return SimOutcome::Up {
                ike: i.clone(),
                esp: c.clone(),
            };
        }
        let next = [
            a.poll_timeout(),
            b.poll_timeout(),
            wire.peek().map(|r| r.0 .0),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else {
            return SimOutcome::Failed(match b_closed {
                Some(r) => format!("the gateway closed the SA: {r:?}"),
                None => "the exchange stopped without an IKE SA".into(),
            });
        };
        now = now.max(next);
        while wire.peek().is_some_and(|r| r.0 .0 <= now) {
            let Some(Reverse((_, _, to_b, from, to, bytes))) = wire.pop() else {
                break;
            };
            let ep = if to_b { &mut b } else { &mut a };
            ep.handle_datagram(now, to, from, &bytes);
        }
        for ep in [&mut a, &mut b] {
            if ep.poll_timeout().is_some_and(|t| t <= now) {
                ep.handle_timeout(now);
            }
        }
    }
    SimOutcome::Failed("no result after 10000 steps".into())
}

fn live_connect(
    args: &ConnectArgs,
    client: IkePolicy,
    live: &str,
    compat: &Compatibility,
) -> ExitCode {
    let remote = match crate::connect_cmd::parse_addr(live, 500) {
        Ok(a) => a,
        Err(crate::connect_cmd::UsageError(e)) => {
            eprintln!("error: --live: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: tokio runtime: {e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(async {
        let config = EndpointConfig::new(
            &ikelab_crypto::DEFAULT,
            Arc::new(ikelab_crypto::rng::SystemRandom),
        );
        let ports = ikelab_udp::Ports {
            ike: args.port,
            nat_t: args.nat_t_port,
            peer_nat_t: 4500,
        };
        let bind = if remote.is_ipv4() {
            std::net::IpAddr::from([0, 0, 0, 0])
        } else {
            std::net::IpAddr::from(std::net::Ipv6Addr::UNSPECIFIED)
        };
        let mut ep = match ikelab_udp::UdpEndpoint::bind(config, bind, ports).await {
            Ok(ep) => ep,
            Err(e) => {
                eprintln!(
                    "error: binding {bind} ports {}/{}: {e}",
                    ports.ike, ports.nat_t
                );
                return ExitCode::from(2);
            }
        };
        if let Err(e) = ep.connect(Arc::new(client), remote) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        let run = async {
            let mut ike = None;
            loop {
                let event = ep.next_event().await.map_err(|e| format!("socket: {e}"))?;
                match event.kind {
                    EventKind::IkeSaEstablished(i) => ike = Some(i.transforms.to_string()),
                    EventKind::ChildSaInstalled(c) => {
                        if let Some(i) = ike.take() {
                            return Ok((i, c.transforms.to_string()));
                        }
                    }
                    EventKind::ChildSaFailed { notify } => {
                        return Err(format!(
                            "the IKE SA came up but the CHILD_SA was refused with {}",
                            notify.name().unwrap_or("an error notify")
                        ))
                    }
                    EventKind::Closed { reason } => return Err(describe_close(&reason)),
                    _ => {}
                }
            }
        };
        match tokio::time::timeout(std::time::Duration::from_secs(args.timeout), run).await {
            Ok(Ok((ike, esp))) => {
                println!("connected: IKE {ike}, ESP {esp} ({remote})");
                ExitCode::SUCCESS
            }
            Ok(Err(why)) => {
                println!("{}", failure_line(&why, compat));
                ExitCode::from(1)
            }
            Err(_) => {
                println!("failed: no IKE SA and CHILD_SA within {} s", args.timeout);
                ExitCode::from(1)
            }
        }
    })
}

/// A datagram in flight in the in-memory connect: arrival time, sequence number, towards the
/// gateway, from, to, payload.
type InFlight = (Timestamp, u64, bool, SocketAddr, SocketAddr, Vec<u8>);
