//! `--ping N`: ICMP echo through the CHILD_SA, the way `ping` would send it from a host behind
//! the tunnel, one request per interval while replies, engine events and rekeys are handled
//! continuously, so traffic keeps flowing across CHILD_SA and IKE SA rekeys
//! (`--rekey-child-after`, `--rekey-ike-after`).

use std::net::IpAddr;
use std::time::Duration;

use clap::Args;
use ikelab_engine::{ChildSaInfo, Event, EventKind, SaHandle};
use ikelab_node::icmp;
use ikelab_udp::{Happening, UdpEndpoint};
use tokio::time::Instant;

/// Traffic through the tunnel once it is up.
#[derive(Debug, Args)]
pub struct PingArgs {
    /// Send this many ICMP echo requests through the CHILD_SA and wait for the replies; exit
    /// non-zero unless every one comes back.
    #[arg(long, default_value_t = 0)]
    pub ping: u16,
    /// Inner source address (default: the assigned virtual IP, else our selector's address).
    #[arg(long = "ping-src")]
    pub ping_src: Option<IpAddr>,
    /// Inner destination (default: the first address of the peer's selector).
    #[arg(long = "ping-dst")]
    pub ping_dst: Option<IpAddr>,
    /// ICMP data octets per request.
    #[arg(long = "ping-size", default_value_t = 56)]
    pub ping_size: usize,
    /// Milliseconds between requests.
    #[arg(long = "ping-interval", default_value_t = 200)]
    pub ping_interval_ms: u64,
}

/// Rekeys started by us at fixed times after the first CHILD_SA is up.
#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// Rekey the CHILD_SA this many seconds (fractions allowed) after it is up
    /// (CREATE_CHILD_SA, RFC 7296 §1.3.3).
    #[arg(long = "rekey-child-after", value_name = "SECS", value_parser = parse_secs)]
    pub rekey_child_after: Option<Duration>,
    /// Rekey the IKE SA this many seconds after the first CHILD_SA is up (RFC 7296 §1.3.2).
    #[arg(long = "rekey-ike-after", value_name = "SECS", value_parser = parse_secs)]
    pub rekey_ike_after: Option<Duration>,
}

impl RekeyArgs {
    pub fn any(&self) -> bool {
        self.rekey_child_after.is_some() || self.rekey_ike_after.is_some()
    }
}

pub fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s.parse().map_err(|e| format!("{s:?}: {e}"))?;
    Duration::try_from_secs_f64(v).map_err(|e| format!("{s:?}: {e}"))
}

/// The planned rekeys of one IKE SA, and every rekey of it seen (ours or the peer's).
pub struct RekeyPlan {
    pub sa: SaHandle,
    child_at: Option<Instant>,
    ike_at: Option<Instant>,
    /// CHILD_SA rekeys completed (a new SA installed in place of an old one), either side.
    pub child_rekeys: u32,
    /// IKE SA rekeys completed, either side.
    pub ike_rekeys: u32,
    /// Inbound SPIs of replaced CHILD_SAs not deleted yet.
    old_children: Vec<u32>,
    planned_child: bool,
    planned_ike: bool,
    /// MOBIKE: the local address to move to, and when.
    move_to: Option<(IpAddr, Instant)>,
    planned_move: bool,
    /// Address updates completed (RFC 4555 §3.5).
    pub moves: u32,
}

impl RekeyPlan {
    /// Rekeys due `args` after `up`.
    pub fn new(sa: SaHandle, args: &RekeyArgs, up: Instant) -> Self {
        Self {
            sa,
            child_at: args.rekey_child_after.map(|d| up + d),
            ike_at: args.rekey_ike_after.map(|d| up + d),
            child_rekeys: 0,
            ike_rekeys: 0,
            old_children: Vec::new(),
            planned_child: args.rekey_child_after.is_some(),
            planned_ike: args.rekey_ike_after.is_some(),
            move_to: None,
            planned_move: false,
            moves: 0,
        }
    }

    /// Also move the IKE SA to local address `ip` at `at` (MOBIKE).
    pub fn plan_move(&mut self, ip: IpAddr, at: Instant) {
        self.move_to = Some((ip, at));
        self.planned_move = true;
    }

    /// When the next planned rekey is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.child_at
            .into_iter()
            .chain(self.ike_at)
            .chain(self.move_to.map(|m| m.1))
            .min()
    }

    /// Every planned rekey has been started.
    pub fn all_started(&self) -> bool {
        self.child_at.is_none() && self.ike_at.is_none() && self.move_to.is_none()
    }

    /// Every planned rekey completed, and every replaced CHILD_SA is deleted.
    pub fn done(&self) -> bool {
        self.all_started()
            && (!self.planned_child || self.child_rekeys > 0)
            && (!self.planned_ike || self.ike_rekeys > 0)
            && (!self.planned_move || self.moves > 0)
            && self.old_children.is_empty()
    }

    /// Starts the rekeys due at `now`; returns what to print.
    pub fn start_due(&mut self, ep: &mut UdpEndpoint, now: Instant) -> Vec<String> {
        let mut out = Vec::new();
        let sa = self.sa;
        if self.child_at.is_some_and(|t| t <= now) {
            self.child_at = None;
            // The newest CHILD_SA: after an earlier rekey that is the one carrying traffic.
            let spi = ep.endpoint().child_sas(sa).last().map(|c| c.0);
            let t = ep.now();
            out.push(match spi {
                Some(spi) => match ep.endpoint().rekey_child_sa(t, sa, spi) {
                    Ok(()) => format!("[{}] rekeying CHILD_SA {spi:08x}_i", sa.0),
                    Err(e) => format!("[{}] error: CHILD_SA rekey: {e}", sa.0),
                },
                None => format!("[{}] error: CHILD_SA rekey: no CHILD_SA", sa.0),
            });
        }
        if self.ike_at.is_some_and(|t| t <= now) {
            self.ike_at = None;
            let t = ep.now();
            out.push(match ep.endpoint().rekey_ike_sa(t, sa) {
                Ok(()) => format!("[{}] rekeying IKE_SA", sa.0),
                Err(e) => format!("[{}] error: IKE_SA rekey: {e}", sa.0),
            });
        }
        if let Some((ip, _)) = self.move_to.filter(|m| m.1 <= now) {
            self.move_to = None;
            out.push(match ep.move_to(sa, ip) {
                Ok(()) => format!("[{}] moving to {ip} (MOBIKE UPDATE_SA_ADDRESSES)", sa.0),
                Err(e) => format!("[{}] error: MOBIKE move to {ip}: {e}", sa.0),
            });
        }
        out
    }

    /// Follows rekeys in the SA's events, and the IKE SA a redirect (RFC 5685 §5) replaced
    /// this one with.
    pub fn observe(&mut self, e: &Event) {
        if e.sa != Some(self.sa) {
            return;
        }
        match &e.kind {
            EventKind::Redirected {
                new_sa: Some(new), ..
            } => self.sa = *new,
            EventKind::ChildSaInstalled(c) => {
                if let Some(old) = c.rekey_of {
                    self.child_rekeys += 1;
                    if !self.old_children.contains(&old) {
                        self.old_children.push(old);
                    }
                }
            }
            EventKind::ChildSaDeleted { spi_in, .. } => self.old_children.retain(|s| s != spi_in),
            EventKind::IkeSaRekeyed { .. } => self.ike_rekeys += 1,
            EventKind::SaAddressesUpdated { .. } => self.moves += 1,
            _ => {}
        }
    }

    /// One line on what happened, and whether the plan was met.
    pub fn summary(&self) -> (String, bool) {
        let mut line = format!(
            "rekeys: CHILD_SA {}, IKE_SA {}",
            self.child_rekeys, self.ike_rekeys
        );
        if !self.old_children.is_empty() {
            let old: Vec<String> = self
                .old_children
                .iter()
                .map(|s| format!("{s:08x}_i"))
                .collect();
            line.push_str(&format!(" (replaced, not deleted: {})", old.join(", ")));
        }
        if self.planned_move {
            line.push_str(&format!("; address updates {}", self.moves));
        }
        (line, self.done())
    }
}

/// What came back.
pub struct PingResult {
    pub sent: u16,
    pub replies: u16,
}

impl PingResult {
    pub fn lost(&self) -> u16 {
        self.sent - self.replies
    }
}

/// Sends an echo request every interval while handling replies, events (passed to
/// `on_event`) and the planned rekeys, until every request is sent, every planned rekey
/// started, and then all replies arrived and the rekeys completed, or `wait` passed. Replies
/// are matched on identifier, sequence number and addresses. Stops early when the IKE SA
/// closes.
pub async fn run(
    ep: &mut UdpEndpoint,
    args: &PingArgs,
    child: &ChildSaInfo,
    virtual_ip: Option<IpAddr>,
    wait: Duration,
    plan: &mut RekeyPlan,
    on_event: &mut dyn FnMut(&Event) -> Result<(), String>,
) -> Result<PingResult, String> {
    let src = args
        .ping_src
        .or(virtual_ip)
        .or_else(|| child.local_ts.first().map(|r| r.start_address))
        .ok_or("no --ping-src and no local selector to take it from")?;
    let dst = args
        .ping_dst
        .or_else(|| child.remote_ts.first().map(|r| r.start_address))
        .ok_or("no --ping-dst and no remote selector to take it from")?;
    let ident = u16::try_from(std::process::id() & 0xffff).unwrap_or(0x1c1a);
    let mut seen = vec![false; usize::from(args.ping)];
    let mut replies = 0u16;
    let interval = Duration::from_millis(args.ping_interval_ms);
    let mut seq = 0u16;
    let mut next_send = Instant::now();
    // When the last request went out and the last planned rekey started.
    let mut quiet_since: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if seq >= args.ping && plan.all_started() {
            let since = *quiet_since.get_or_insert(now);
            if (replies == args.ping && plan.done()) || now >= since + wait {
                break;
            }
        }
        let wake = [
            (seq < args.ping).then_some(next_send),
            plan.next_deadline(),
            quiet_since.map(|s| s + wait),
        ]
        .into_iter()
        .flatten()
        .min();
        tokio::select! {
            h = ep.next() => match h.map_err(|e| format!("socket: {e}"))? {
                Happening::Event(e) => {
                    plan.observe(&e);
                    on_event(&e)?;
                    if e.sa == Some(plan.sa) && matches!(e.kind, EventKind::Closed { .. }) {
                        break;
                    }
                }
                Happening::Delivered(d) => {
                    let Some(e) = icmp::parse_echo(&d.inner) else { continue };
                    if !(e.reply && e.ident == ident && e.src == dst && e.dst == src) {
                        continue;
                    }
                    if let Some(slot) = seen.get_mut(usize::from(e.seq)) {
                        if !*slot {
                            *slot = true;
                            replies += 1;
                            println!(
                                "echo reply from {dst}: seq={} {} octets (SPI {:#010x})",
                                e.seq, e.payload_len, d.spi
                            );
                        }
                    }
                }
            },
            () = sleep_until(wake) => {
                let now = Instant::now();
                if seq < args.ping && now >= next_send {
                    let req = icmp::echo_request(src, dst, ident, seq, args.ping_size)
                        .ok_or_else(|| format!("--ping-src {src} and --ping-dst {dst}: mixed families"))?;
                    // A request that cannot be sealed is lost, and counted as such.
                    if let Err(e) = ep.send_packet(&req) {
                        eprintln!("error: echo request {seq}: {e}");
                    }
                    seq += 1;
                    next_send += interval;
                }
                for line in plan.start_due(ep, now) {
                    println!("{line}");
                }
            }
        }
    }
    Ok(PingResult { sent: seq, replies })
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
