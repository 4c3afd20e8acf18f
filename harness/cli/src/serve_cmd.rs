//! `ikelab serve`: the reference responder over UDP. Prints SA events; `--exit-after N` stops
//! (exit 0) once N CHILD_SAs are installed, `--timeout` bounds the run (exit 1 when it ends
//! before `--exit-after` is met).

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use ikelab_engine::EventKind;
use ikelab_policy::{AddressPool, IpNet};
use ikelab_udp::UdpEndpoint;

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
        loop {
            let event = match ep.next_event().await {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("error: socket: {e}");
                    return ExitCode::FAILURE;
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
            if matches!(event.kind, EventKind::ChildSaInstalled(_)) {
                installed += 1;
                if args.exit_after.is_some_and(|n| installed >= n) {
                    // Keep answering retransmissions (and pings) before leaving.
                    let _ =
                        tokio::time::timeout(std::time::Duration::from_secs(args.linger), async {
                            loop {
                                if ep.next_event().await.is_err() {
                                    break;
                                }
                            }
                        })
                        .await;
                    let s = ep.data_stats();
                    println!(
                        "ESP: sealed {} opened {} echo replies {} (replayed {}, integrity failures {})",
                        s.sealed, s.opened, s.echo_replied, s.replayed, s.integrity_failed
                    );
                    return ExitCode::SUCCESS;
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
