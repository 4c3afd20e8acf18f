//! `--ping N`: ICMP echo through the first CHILD_SA, the way `ping` would send it from a host
//! behind the tunnel, and the replies counted as they come back through ESP.

use std::net::IpAddr;
use std::time::Duration;

use clap::Args;
use ikelab_engine::ChildSaInfo;
use ikelab_node::icmp;
use ikelab_udp::{Happening, UdpEndpoint};

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

/// What came back.
pub struct PingResult {
    pub sent: u16,
    pub replies: u16,
}

/// Sends the echo requests and waits for replies until all arrived or `wait` after the last
/// request. Replies are matched on identifier, sequence number and addresses.
pub async fn run(
    ep: &mut UdpEndpoint,
    args: &PingArgs,
    child: &ChildSaInfo,
    virtual_ip: Option<IpAddr>,
    wait: Duration,
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
    for seq in 0..args.ping {
        let req = icmp::echo_request(src, dst, ident, seq, args.ping_size)
            .ok_or_else(|| format!("--ping-src {src} and --ping-dst {dst}: mixed families"))?;
        ep.send_packet(&req)
            .map_err(|e| format!("echo request {seq}: {e}"))?;
        // Keep the endpoint running (IKE retransmissions, replies) between requests.
        let _ = tokio::time::timeout(
            interval,
            collect(ep, ident, src, dst, &mut seen, &mut replies),
        )
        .await;
    }
    if replies < args.ping {
        let _ =
            tokio::time::timeout(wait, collect(ep, ident, src, dst, &mut seen, &mut replies)).await;
    }
    Ok(PingResult {
        sent: args.ping,
        replies,
    })
}

/// Reads until every request has its reply (or an I/O error); never returns otherwise, so
/// callers bound it with a timeout.
async fn collect(
    ep: &mut UdpEndpoint,
    ident: u16,
    src: IpAddr,
    dst: IpAddr,
    seen: &mut [bool],
    replies: &mut u16,
) {
    while usize::from(*replies) < seen.len() {
        let Ok(h) = ep.next().await else { return };
        let Happening::Delivered(d) = h else { continue };
        let Some(e) = icmp::parse_echo(&d.inner) else {
            continue;
        };
        if e.reply && e.ident == ident && e.src == dst && e.dst == src {
            if let Some(slot) = seen.get_mut(usize::from(e.seq)) {
                if !*slot {
                    *slot = true;
                    *replies += 1;
                    println!(
                        "echo reply from {dst}: seq={} {} octets (SPI {:#010x})",
                        e.seq, e.payload_len, d.spi
                    );
                }
            }
        }
    }
}
