//! `ikelab connect`: the reference initiator over UDP. Exits 0 once the IKE SA and the first
//! CHILD_SA are up and prints the negotiated transforms; with `--ping N`, once N ICMP echo
//! requests sent through the CHILD_SA have all been answered. `--keylog DIR` writes Wireshark's
//! `ikev2_decryption_table` and `esp_sa` into DIR. `--rekey-child-after`/`--rekey-ike-after`
//! rekey while the pings flow; then every planned rekey must complete (the replaced CHILD_SA
//! deleted) and no reply may be lost.
//!
//! The policy comes from `--config FILE` (TOML, `ikelab_policy::IkePolicy`) and/or flags in the
//! spirit of strongSwan's charon-cmd; flags override the file.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use ikelab_engine::{CloseReason, EndpointConfig, Event, EventKind, Gateway, SaHandle};
use ikelab_policy::{
    CertSource, ChildProposal, Identity, IdentityMatch, IkePolicy, IkeProposal, KeySource,
    LocalAuth, RemoteAuth, Secret, TsSpec,
};
use ikelab_udp::{Ports, UdpEndpoint};

/// Policy flags shared by `connect` and `serve`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Policy file (TOML); flags below override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Our identity (strongSwan notation: fqdn, user@domain, IP, DN, keyid:#hex).
    #[arg(long)]
    pub identity: Option<String>,
    /// The identity the peer must have (`%any` for any).
    #[arg(long = "remote-identity")]
    pub remote_identity: Option<String>,
    /// IKE proposal in strongSwan syntax, e.g. aes256gcm16-prfsha384-ecp384 (repeatable).
    #[arg(long = "ike-proposal")]
    pub ike_proposals: Vec<String>,
    /// ESP proposal in strongSwan syntax, e.g. aes256gcm16 (repeatable).
    #[arg(long = "esp-proposal")]
    pub esp_proposals: Vec<String>,
    /// Our traffic selector in strongSwan syntax, e.g. 10.0.0.0/24 or dynamic (repeatable).
    #[arg(long = "local-ts")]
    pub local_ts: Vec<TsSpec>,
    /// The peer's traffic selector (repeatable).
    #[arg(long = "remote-ts")]
    pub remote_ts: Vec<TsSpec>,
    /// File holding the pre-shared key (strongSwan forms: text, 0x<hex>, 0s<base64>).
    #[arg(long = "psk-file")]
    pub psk_file: Option<PathBuf>,
    /// Our certificate (PEM or DER).
    #[arg(long)]
    pub cert: Option<PathBuf>,
    /// Our private key (PKCS#8 PEM).
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// CA certificate the peer's certificate must chain to (repeatable).
    #[arg(long)]
    pub cacert: Vec<PathBuf>,
    /// Write Wireshark key tables (`ikev2_decryption_table`, `esp_sa`) into this directory.
    #[arg(long)]
    pub keylog: Option<PathBuf>,
    /// Local IKE port.
    #[arg(long, default_value_t = 500)]
    pub port: u16,
    /// Local NAT-T port.
    #[arg(long = "nat-t-port", default_value_t = 4500)]
    pub nat_t_port: u16,
    /// The peer's NAT-T port (where an initiator moves when a NAT is detected).
    #[arg(long = "peer-nat-t-port", default_value_t = 4500)]
    pub peer_nat_t_port: u16,
    /// Largest IKE datagram (IP and UDP headers counted) before encrypted messages go out as
    /// RFC 7383 fragments, when the peer supports them.
    #[arg(long = "fragment-size")]
    pub fragment_size: Option<u16>,
    /// Announce MOBIKE (RFC 4555 MOBIKE_SUPPORTED in IKE_AUTH).
    #[arg(long)]
    pub mobike: bool,
    /// Initiator: send REDIRECT_SUPPORTED and follow gateway redirects (RFC 5685).
    #[arg(long)]
    pub redirect: bool,
    /// Responder: redirect initiators that support it to this gateway (address or FQDN) in
    /// IKE_SA_INIT (RFC 5685 §3), or in IKE_AUTH with --redirect-in-auth (§6).
    #[arg(long = "redirect-to", value_name = "GATEWAY")]
    pub redirect_to: Option<String>,
    /// With --redirect-to: redirect after authenticating the initiator, in IKE_AUTH.
    #[arg(long = "redirect-in-auth")]
    pub redirect_in_auth: bool,
    /// Print every IKE message sent and received.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The responder: ADDR or ADDR:PORT (port 500 by default).
    #[arg(long)]
    pub host: String,
    /// Local address to bind (default: all).
    #[arg(long)]
    pub local: Option<IpAddr>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub ping: crate::ping::PingArgs,
    #[command(flatten)]
    pub rekey: crate::ping::RekeyArgs,
    /// MOBIKE (RFC 4555, implies --mobike): after --move-after seconds, rebind to this local
    /// address (it must exist here) and move the IKE SA and CHILD_SA there with
    /// UPDATE_SA_ADDRESSES; the run then needs the update to complete. Give --local too.
    #[arg(long = "mobike-move-to", value_name = "ADDR")]
    pub mobike_move_to: Option<IpAddr>,
    /// Seconds (fractions allowed) after the CHILD_SA is up for --mobike-move-to.
    #[arg(long = "move-after", value_name = "SECS", default_value = "2", value_parser = crate::ping::parse_secs)]
    pub move_after: std::time::Duration,
    /// Before exiting, delete the IKE SA (INFORMATIONAL Delete) and wait up to 3 s for the
    /// peer's answer, so the gateway keeps no orphan SA. Without it the SA is left to the
    /// peer's DPD or lifetime, which lets a test inspect the gateway's SA afterwards.
    #[arg(long)]
    pub close: bool,
}

/// How long `--close` waits for the answer to its Delete.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// A failure to start: bad input (exit 2).
pub struct UsageError(pub String);

fn read(path: &Path) -> Result<String, UsageError> {
    std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))
}

/// Builds the policy from the file and the flags.
pub fn build_policy(a: &PolicyArgs) -> Result<IkePolicy, UsageError> {
    let flag_auth = flag_auth(a)?;
    let mut policy = match (&a.config, flag_auth) {
        (Some(path), auth) => {
            let text = read(path)?;
            let mut p = IkePolicy::from_toml(&path.display().to_string(), &text)
                .map_err(|e| UsageError(e.to_string()))?;
            let base = path.parent().unwrap_or(Path::new("."));
            p.load_files(base).map_err(|e| UsageError(e.to_string()))?;
            if let Some((local, remote)) = auth {
                p.local.auth = local;
                p.remote.auth = remote;
            }
            p
        }
        (None, Some((local, remote))) => IkePolicy::new(
            ikelab_policy::Local {
                id: None,
                auth: local,
            },
            ikelab_policy::Remote {
                id: IdentityMatch::Any,
                auth: remote,
            },
        ),
        (None, None) => {
            return Err(UsageError(
                "no authentication: give --config, --psk-file, or --cert/--key with --cacert"
                    .into(),
            ))
        }
    };
    if let Some(id) = &a.identity {
        policy.local.id = Some(
            id.parse::<Identity>()
                .map_err(|e| UsageError(format!("--identity: {e}")))?,
        );
    }
    if let Some(id) = &a.remote_identity {
        policy.remote.id = id
            .parse()
            .map_err(|e| UsageError(format!("--remote-identity: {e}")))?;
    }
    if !a.ike_proposals.is_empty() {
        policy.ike_proposals = a
            .ike_proposals
            .iter()
            .map(|s| IkeProposal::parse(s))
            .collect::<Result<_, _>>()
            .map_err(|e| UsageError(format!("--ike-proposal: {e}")))?;
    }
    if !a.esp_proposals.is_empty() {
        let esp: Vec<ChildProposal> = a
            .esp_proposals
            .iter()
            .map(|s| ChildProposal::parse(s))
            .collect::<Result<_, _>>()
            .map_err(|e| UsageError(format!("--esp-proposal: {e}")))?;
        match policy.children.first_mut() {
            Some(c) => c.proposals = esp,
            None => policy.children.push(ikelab_policy::ChildPolicy {
                proposals: esp,
                ..Default::default()
            }),
        }
    }
    if !a.local_ts.is_empty() || !a.remote_ts.is_empty() {
        if policy.children.is_empty() {
            policy.children.push(ikelab_policy::ChildPolicy::default());
        }
        if let Some(c) = policy.children.first_mut() {
            if !a.local_ts.is_empty() {
                c.local_ts = a.local_ts.clone();
            }
            if !a.remote_ts.is_empty() {
                c.remote_ts = a.remote_ts.clone();
            }
        }
    }
    if let Some(n) = a.fragment_size {
        policy.features.fragment_size = n;
    }
    if a.mobike {
        policy.features.mobike = true;
    }
    if a.redirect {
        policy.features.redirect = true;
    }
    if let Some(gateway) = &a.redirect_to {
        policy.features.redirect_to = Some(ikelab_policy::RedirectTo {
            gateway: gateway.clone(),
            during: if a.redirect_in_auth {
                ikelab_policy::RedirectPhase::IkeAuth
            } else {
                ikelab_policy::RedirectPhase::IkeSaInit
            },
        });
    }
    policy.validate().map_err(|e| UsageError(e.to_string()))?;
    Ok(policy)
}

/// Authentication from flags: PSK, or certificate and key with CA certificates.
fn flag_auth(a: &PolicyArgs) -> Result<Option<(LocalAuth, RemoteAuth)>, UsageError> {
    let remote_pubkey = |a: &PolicyArgs| -> Result<RemoteAuth, UsageError> {
        let mut anchors = Vec::new();
        for p in &a.cacert {
            let mut c = CertSource::File(p.clone());
            c.load(Path::new("."))
                .map_err(|e| UsageError(e.to_string()))?;
            anchors.push(c);
        }
        Ok(RemoteAuth::Pubkey {
            trust_anchors: anchors,
            allow_legacy_methods: true,
        })
    };
    if let Some(path) = &a.psk_file {
        let text = read(path)?;
        let secret = Secret::parse(text.trim_end_matches(['\n', '\r']))
            .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
        let remote = if a.cacert.is_empty() {
            RemoteAuth::Psk {
                secret: secret.clone(),
            }
        } else {
            remote_pubkey(a)?
        };
        return Ok(Some((LocalAuth::Psk { secret }, remote)));
    }
    match (&a.cert, &a.key) {
        (Some(cert), Some(key)) => {
            let mut certificate = CertSource::File(cert.clone());
            certificate
                .load(Path::new("."))
                .map_err(|e| UsageError(e.to_string()))?;
            let mut private_key = KeySource::File(key.clone());
            private_key
                .load(Path::new("."))
                .map_err(|e| UsageError(e.to_string()))?;
            if a.cacert.is_empty() {
                return Err(UsageError("--cert needs --cacert (or a --config)".into()));
            }
            let local = LocalAuth::Pubkey {
                certificate,
                chain: Vec::new(),
                private_key,
                signature: Default::default(),
            };
            Ok(Some((local, remote_pubkey(a)?)))
        }
        (None, None) => Ok(None),
        _ => Err(UsageError("--cert and --key go together".into())),
    }
}

/// Endpoint configuration for the CLI: the real provider, the system RNG.
pub fn endpoint_config(a: &PolicyArgs) -> (EndpointConfig, Ports) {
    let mut c = EndpointConfig::new(
        &ikelab_crypto::DEFAULT,
        Arc::new(ikelab_crypto::rng::SystemRandom),
    );
    c.trace_messages = a.verbose;
    c.keylog = a.keylog.is_some();
    let ports = Ports {
        ike: a.port,
        nat_t: a.nat_t_port,
        peer_nat_t: a.peer_nat_t_port,
    };
    (c, ports)
}

/// Parses ADDR or ADDR:PORT.
pub fn parse_addr(s: &str, default_port: u16) -> Result<SocketAddr, UsageError> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    s.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, default_port))
        .map_err(|_| UsageError(format!("{s:?} is not ADDR or ADDR:PORT")))
}

/// Appends key-table lines for `event` under `dir`, creating the files as needed.
pub fn write_keylog(dir: &Path, event: &Event) -> std::io::Result<()> {
    let (file, lines) = match &event.kind {
        EventKind::IkeKeys(k) => (
            "ikev2_decryption_table",
            k.wireshark_line().into_iter().collect(),
        ),
        EventKind::ChildSaInstalled(c) => ("esp_sa", c.wireshark_lines()),
        _ => return Ok(()),
    };
    std::fs::create_dir_all(dir)?;
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(file))?;
    for l in lines {
        writeln!(f, "{l}")?;
    }
    Ok(())
}

/// One line per event for people (no secrets).
pub fn describe(event: &Event) -> Option<String> {
    let sa = event.sa.map_or("-".to_owned(), |h| h.0.to_string());
    Some(match &event.kind {
        EventKind::IkeSaEstablished(i) => format!(
            "[{sa}] IKE_SA established {} <-> {}: {} (SPIs {:016x}_i {:016x}_r, {} <-> {}{}, peer authenticated by {})",
            i.local_id,
            i.remote_id,
            i.transforms,
            i.spi_i,
            i.spi_r,
            i.local,
            i.remote,
            if i.nat_detected.any() { ", NAT-T" } else { "" },
            i.remote_auth
        ),
        EventKind::ChildSaInstalled(c) => format!(
            "[{sa}] CHILD_SA {} installed{}: {} (SPIs {:08x}_i {:08x}_o, {:?} === {:?})",
            c.name,
            match c.rekey_of {
                Some(old) => format!(
                    " (rekey of {old:08x}_i, {}{})",
                    if c.exchange_initiator {
                        "ours"
                    } else {
                        "the peer's"
                    },
                    if c.lost_collision {
                        ", lost the collision"
                    } else {
                        ""
                    }
                ),
                None => String::new(),
            },
            c.transforms,
            c.spi_in,
            c.spi_out,
            c.local_ts
                .iter()
                .map(|t| format!("{}-{}", t.start_address, t.end_address))
                .collect::<Vec<_>>(),
            c.remote_ts
                .iter()
                .map(|t| format!("{}-{}", t.start_address, t.end_address))
                .collect::<Vec<_>>(),
        ),
        EventKind::ChildSaFailed { notify } => format!("[{sa}] CHILD_SA failed: {notify}"),
        EventKind::ConfigAssigned { addresses, dns } => {
            format!("[{sa}] configuration: addresses {addresses:?}, DNS {dns:?}")
        }
        EventKind::ChildSaDeleted {
            spi_in,
            spi_out,
            by_peer,
        } => format!(
            "[{sa}] CHILD_SA {spi_in:08x}_i {spi_out:08x}_o deleted{}",
            if *by_peer { " by the peer" } else { "" }
        ),
        EventKind::Closed { reason } => format!("[{sa}] IKE_SA closed: {reason:?}"),
        EventKind::Violation(v) => format!("[{sa}] peer violation: {v}"),
        EventKind::Retransmitted {
            exchange,
            message_id,
            attempt,
        } => format!("[{sa}] retransmit {exchange} #{message_id} (attempt {attempt})"),
        EventKind::Message(m) => format!(
            "[{sa}] {:?} {} {}#{} {:?} notifies {:?}",
            m.direction,
            m.exchange,
            if m.response { "response " } else { "request " },
            m.message_id,
            m.payloads,
            m.notifies
        ),
        EventKind::IkeKeys(_) => return None,
        EventKind::IkeSaRekeyed { spi_i, spi_r } => {
            format!("[{sa}] IKE_SA rekeyed (SPIs {spi_i:016x}_i {spi_r:016x}_r)")
        }
        EventKind::IkeSaRekeyFailed { notify } => format!("[{sa}] IKE_SA rekey failed: {notify}"),
        EventKind::SaAddressesUpdated {
            local,
            remote,
            udp_encapsulation,
        } => format!(
            "[{sa}] IKE_SA and CHILD_SAs moved to {local} <-> {remote}{}",
            if *udp_encapsulation {
                " (UDP-encapsulated)"
            } else {
                ""
            }
        ),
        EventKind::AddressUpdateFailed { notify } => {
            format!("[{sa}] address update refused: {notify}")
        }
        EventKind::AddressCheckFailed { remote, reason } => {
            format!("[{sa}] peer address {remote} not verified ({reason}): SAs stay")
        }
        EventKind::Redirected { to, new_sa } => format!(
            "[{sa}] redirected to {to}{}",
            new_sa.map_or(String::new(), |h| format!(", new IKE_SA [{}]", h.0))
        ),
    })
}

/// Follows a redirect to a FQDN gateway (RFC 5685): resolves it and starts the new IKE SA.
async fn follow_fqdn(
    ep: &mut UdpEndpoint,
    from: Option<ikelab_engine::SaHandle>,
    name: &str,
    port: u16,
) -> Result<(), String> {
    let from = from.ok_or("no IKE SA")?;
    let addr = tokio::net::lookup_host((name, port))
        .await
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("no address")?;
    let now = ep.now();
    ep.endpoint()
        .follow_redirect(now, from, addr)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

pub fn run(args: ConnectArgs) -> ExitCode {
    let policy = match build_policy(&args.policy) {
        Ok(mut p) => {
            p.features.mobike |= args.mobike_move_to.is_some();
            Arc::new(p)
        }
        Err(UsageError(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let remote = match parse_addr(&args.host, 500) {
        Ok(a) => a,
        Err(UsageError(e)) => {
            eprintln!("error: --host: {e}");
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
        let close = args.close;
        let mut sa = None;
        let mut ep = None;
        let code = connect(args, policy, remote, &mut ep, &mut sa).await;
        if let (true, Some(ep), Some(sa)) = (close, ep.as_mut(), sa) {
            close_ike(ep, sa).await;
        }
        code
    })
}

/// `--close`: the Delete for our IKE SA, then its answer (or [`CLOSE_WAIT`]).
async fn close_ike(ep: &mut UdpEndpoint, sa: SaHandle) {
    let now = ep.now();
    if let Err(e) = ep.endpoint().delete_ike_sa(now, sa) {
        // Already closed (the peer refused or deleted it): nothing to delete.
        println!("[{}] --close: no Delete sent: {e}", sa.0);
        return;
    }
    let waited = tokio::time::timeout(CLOSE_WAIT, async {
        while let Ok(event) = ep.next_event().await {
            if let Some(line) = describe(&event) {
                println!("{line}");
            }
            if event.sa == Some(sa) && matches!(event.kind, EventKind::Closed { .. }) {
                return;
            }
        }
    })
    .await;
    if waited.is_err() {
        eprintln!(
            "error: --close: no answer to the Delete within {} s",
            CLOSE_WAIT.as_secs()
        );
    }
}

/// Connects, pings, rekeys as asked. Leaves the endpoint in `slot` and the IKE SA's handle in
/// `sa` (once it is known) for `--close`.
async fn connect(
    args: ConnectArgs,
    policy: Arc<IkePolicy>,
    remote: SocketAddr,
    slot: &mut Option<UdpEndpoint>,
    sa: &mut Option<SaHandle>,
) -> ExitCode {
    let a = &args.policy;
    let (config, ports) = endpoint_config(a);
    let bind = args.local.unwrap_or(if remote.is_ipv4() {
        IpAddr::from([0, 0, 0, 0])
    } else {
        IpAddr::from(std::net::Ipv6Addr::UNSPECIFIED)
    });
    let ep = match UdpEndpoint::bind(config, bind, ports).await {
        Ok(ep) => slot.insert(ep),
        Err(e) => {
            eprintln!(
                "error: binding {bind} ports {}/{}: {e}",
                ports.ike, ports.nat_t
            );
            return ExitCode::from(2);
        }
    };
    if let Err(e) = ep.connect(policy, remote) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let run = async {
        let mut ike_up = false;
        let mut virtual_ip = None;
        loop {
            let event = match ep.next_event().await {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("error: socket: {e}");
                    return Err(ExitCode::FAILURE);
                }
            };
            if let Some(dir) = &a.keylog {
                if let Err(e) = write_keylog(dir, &event) {
                    eprintln!("error: key log {}: {e}", dir.display());
                    return Err(ExitCode::from(2));
                }
            }
            if let Some(line) = describe(&event) {
                println!("{line}");
            }
            match event.kind {
                EventKind::IkeSaEstablished(_) => {
                    ike_up = true;
                    *sa = event.sa;
                }
                EventKind::ConfigAssigned { addresses, .. } => {
                    virtual_ip = addresses.first().copied();
                }
                EventKind::ChildSaInstalled(child) if ike_up => {
                    *sa = event.sa;
                    return Ok((child, virtual_ip));
                }
                // RFC 5685: the IKE SA the engine started towards the new gateway carries on.
                EventKind::Closed {
                    reason: CloseReason::Redirected { .. },
                } => {}
                EventKind::Redirected {
                    to: Gateway::Fqdn(name),
                    new_sa: None,
                } => {
                    if let Err(e) = follow_fqdn(ep, event.sa, &name, remote.port()).await {
                        eprintln!("error: redirect to {name}: {e}");
                        return Err(ExitCode::FAILURE);
                    }
                }
                EventKind::ChildSaFailed { .. } | EventKind::Closed { .. } => {
                    return Err(ExitCode::FAILURE)
                }
                _ => {}
            }
        }
    };
    let (child, virtual_ip) =
        match tokio::time::timeout(std::time::Duration::from_secs(args.timeout), run).await {
            Ok(Ok(up)) => up,
            Ok(Err(code)) => return code,
            Err(_) => {
                eprintln!("error: no IKE_SA and CHILD_SA within {} s", args.timeout);
                return ExitCode::FAILURE;
            }
        };
    if args.ping.ping == 0 && !args.rekey.any() && args.mobike_move_to.is_none() {
        return ExitCode::SUCCESS;
    }
    let Some(sa) = *sa else {
        eprintln!("error: CHILD_SA without an IKE SA handle");
        return ExitCode::FAILURE;
    };
    let up = tokio::time::Instant::now();
    let mut plan = crate::ping::RekeyPlan::new(sa, &args.rekey, up);
    if let Some(ip) = args.mobike_move_to {
        plan.plan_move(ip, up + args.move_after);
    }
    let mut on_event = |event: &Event| -> Result<(), String> {
        if let Some(dir) = &a.keylog {
            write_keylog(dir, event).map_err(|e| format!("key log {}: {e}", dir.display()))?;
        }
        if let Some(line) = describe(event) {
            println!("{line}");
        }
        Ok(())
    };
    let wait = std::time::Duration::from_secs(args.timeout.clamp(1, 5));
    let result = crate::ping::run(
        ep,
        &args.ping,
        &child,
        virtual_ip,
        wait,
        &mut plan,
        &mut on_event,
    )
    .await;
    match result {
        Ok(r) => {
            let s = ep.data_stats();
            if args.ping.ping > 0 {
                println!(
                    "ping: {} sent, {} replies, {} lost; ESP sealed {} opened {} (replayed {}, integrity failures {}, unknown SPI {}, malformed {})",
                    r.sent, r.replies, r.lost(), s.sealed, s.opened, s.replayed, s.integrity_failed, s.unknown_spi, s.malformed
                );
            }
            let (rekeys, rekeys_ok) = plan.summary();
            println!("{rekeys}");
            if ep.raw_esp_unsent > 0 {
                eprintln!(
                    "error: {} ESP packets not sent: the CHILD_SA is not UDP-encapsulated and this driver has no raw ESP socket",
                    ep.raw_esp_unsent
                );
            }
            if !rekeys_ok {
                eprintln!("error: a planned rekey did not complete");
            }
            if r.replies == args.ping.ping && rekeys_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: --ping: {e}");
            ExitCode::from(2)
        }
    }
}
