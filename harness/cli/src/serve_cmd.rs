//! `ikelab serve`: the reference responder over UDP. Prints SA events; `--exit-after N` stops
//! (exit 0) once N CHILD_SAs are established (rekeys do not count), `--timeout` bounds the run
//! (exit 1 when it ends before `--exit-after` is met). `--rekey-child-after`/`--rekey-ike-after`
//! rekey each IKE SA that long after its first CHILD_SA is up (responder-initiated rekeys);
//! with `--exit-after`, exit 1 unless they completed within `--linger`.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use ikelab_engine::EventKind;
use ikelab_policy::{AddressPool, IpNet};
use ikelab_udp::UdpEndpoint;
use tokio::time::Instant;

use crate::ping::{RekeyArgs, RekeyPlan};

use crate::connect_cmd::{
    build_policy, describe, endpoint_config, parse_addr, write_keylog, PolicyArgs, UsageError,
};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on: ADDR or ADDR:PORT (default 0.0.0.0 and --port).
    #[arg(long)]
    pub listen: Option<String>,
    /// Address pool for CP replies, e.g. 10.8.0.0/24 (repeatable, one per family).
    #[arg(long)]
    pub pool: Vec<IpNet>,
    /// DNS server handed out with pool addresses (repeatable).
    #[arg(long)]
    pub dns: Vec<IpAddr>,
    /// Exit 0 once this many CHILD_SAs are installed.
    #[arg(long = "exit-after")]
    pub exit_after: Option<u32>,
    /// With --exit-after: keep serving (IKE retransmissions, ESP, answering pings) this many
    /// seconds before exiting.
    #[arg(long, default_value_t = 1)]
    pub linger: u64,
    /// Stop after this many seconds (exit 1 if --exit-after was not met).
    #[arg(long)]
    pub timeout: Option<u64>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub rekey: RekeyArgs,
}

pub fn run(args: ServeArgs) -> ExitCode {
    let mut policy = match build_policy(&args.policy) {
        Ok(p) => p,
        Err(UsageError(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if !args.pool.is_empty() {
        let pool = policy.pool.get_or_insert_with(AddressPool::default);
        pool.ranges = args.pool.clone();
        pool.dns.extend(args.dns.iter().copied());
    }
    if let Err(e) = policy.validate() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let listen = match &args.listen {
        Some(l) => match parse_addr(l, args.policy.port) {
            Ok(a) => a,
            Err(UsageError(e)) => {
                eprintln!("error: --listen: {e}");
                return ExitCode::from(2);
            }
        },
        None => SocketAddr::new(IpAddr::from([0, 0, 0, 0]), args.policy.port),
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
    rt.block_on(serve(args, Arc::new(policy), listen))
}

async fn serve(
    args: ServeArgs,
    policy: Arc<ikelab_policy::IkePolicy>,
    listen: SocketAddr,
) -> ExitCode {
    let a = &args.policy;
    let (mut config, mut ports) = endpoint_config(a);
    ports.ike = listen.port();
    config.responder = Some(policy);
    let mut ep = match UdpEndpoint::bind(config, listen.ip(), ports).await {
        Ok(ep) => ep,
        Err(e) => {
            eprintln!(
                "error: binding {} ports {}/{}: {e}",
                listen.ip(),
                ports.ike,
                ports.nat_t
            );
            return ExitCode::from(2);
        }
    };
    println!(
        "listening on {} and {} (NAT-T)",
        ep.local_addr(),
        ep.nat_t_addr()
    );
    let run = async {
        let mut installed = 0u32;
        let mut plans: BTreeMap<u64, RekeyPlan> = BTreeMap::new();
        // Set once --exit-after is met: keep answering retransmissions, pings and rekeys
        // until then.
        let mut exit_at: Option<Instant> = None;
        loop {
            let wake = plans
                .values()
                .filter_map(RekeyPlan::next_deadline)
                .chain(exit_at)
                .min();
            let sleep = async {
                match wake {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            let event = tokio::select! {
                e = ep.next_event() => match e {
                    Ok(e) => e,
                    Err(e) => {
                        eprintln!("error: socket: {e}");
                        return ExitCode::FAILURE;
                    }
                },
                () = sleep => {
                    let now = Instant::now();
                    for plan in plans.values_mut() {
                        for line in plan.start_due(&mut ep, now) {
                            println!("{line}");
                        }
                    }
                    if exit_at.is_some_and(|t| t <= now) {
                        return finish(&ep, &plans);
                    }
                    continue;
                }
            };
            if let Some(dir) = &a.keylog {
                if let Err(e) = write_keylog(dir, &event) {
                    eprintln!("error: key log {}: {e}", dir.display());
                    return ExitCode::from(2);
                }
            }
            if let Some(line) = describe(&event) {
                println!("{line}");
            }
            for plan in plans.values_mut() {
                plan.observe(&event);
            }
            if let (EventKind::ChildSaInstalled(c), Some(sa)) = (&event.kind, event.sa) {
                if c.rekey_of.is_none() {
                    installed += 1;
                    if args.rekey.any() {
                        plans
                            .entry(sa.0)
                            .or_insert_with(|| RekeyPlan::new(sa, &args.rekey, Instant::now()));
                    }
                    if exit_at.is_none() && args.exit_after.is_some_and(|n| installed >= n) {
                        exit_at =
                            Some(Instant::now() + std::time::Duration::from_secs(args.linger));
                    }
                }
            }
        }
    };
    match args.timeout {
        Some(secs) => match tokio::time::timeout(std::time::Duration::from_secs(secs), run).await {
            Ok(code) => code,
            Err(_) if args.exit_after.is_none() => ExitCode::SUCCESS,
            Err(_) => {
                eprintln!(
                    "error: fewer than {:?} CHILD_SAs within {secs} s",
                    args.exit_after
                );
                ExitCode::FAILURE
            }
        },
        None => run.await,
    }
}

/// The data-plane counters and every SA's rekeys; exit 1 when a planned rekey did not complete.
fn finish(ep: &UdpEndpoint, plans: &BTreeMap<u64, RekeyPlan>) -> ExitCode {
    let s = ep.data_stats();
    println!(
        "ESP: sealed {} opened {} echo replies {} (replayed {}, integrity failures {}, unknown SPI {})",
        s.sealed, s.opened, s.echo_replied, s.replayed, s.integrity_failed, s.unknown_spi
    );
    let mut ok = true;
    for (sa, plan) in plans {
        let (line, done) = plan.summary();
        println!("[{sa}] {line}");
        if !done {
            eprintln!("error: [{sa}] a planned rekey did not complete");
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
