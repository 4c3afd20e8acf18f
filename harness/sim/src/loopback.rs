//! Loopback mode: every datagram the world delivers crosses real UDP sockets on 127.0.0.1.
//!
//! Each simulated address a datagram is sent from or to (IP, port and transport) gets its own
//! socket bound to an ephemeral loopback port, so the kernel's UDP stack carries the bytes
//! and the receiving socket tells who sent them. The receiver gets what the kernel handed
//! back, not the sender's buffer: a datagram UDP cannot carry (over 65 507 octets) or one
//! that arrives from an unexpected socket is an error of the run, never silently patched.
//! Raw ESP (IP protocol 50) rides in a UDP datagram between two sockets of its own: raw IP
//! sockets need privileges a test run should not need.
//!
//! The clock stays virtual: a datagram is sent and read back at its scheduled arrival time,
//! so the same seed gives the same run in both modes.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use crate::error::SimError;
use crate::record::Transport;

/// Largest UDP payload over IPv4 (65 535 − 20 − 8).
pub const MAX_UDP_PAYLOAD: usize = 65_507;
/// How long the receiving socket waits: loopback delivery is immediate, so anything longer
/// means the datagram was lost in the kernel.
const RECEIVE_TIMEOUT: Duration = Duration::from_secs(2);

/// The sockets standing in for the simulated addresses.
#[derive(Default)]
pub(crate) struct Loopback {
    sockets: HashMap<(Transport, SocketAddr), UdpSocket>,
    carried: u64,
}

impl Loopback {
    /// Datagrams carried so far.
    pub fn carried(&self) -> u64 {
        self.carried
    }

    /// Sends `bytes` from the socket standing for `src` to the one standing for `dst` and
    /// returns what that socket received.
    pub fn carry(
        &mut self,
        transport: Transport,
        src: SocketAddr,
        dst: SocketAddr,
        bytes: &[u8],
    ) -> Result<Vec<u8>, SimError> {
        let fail = |what: &'static str, source: io::Error| SimError::Loopback {
            src,
            dst,
            what,
            source,
        };
        if bytes.len() > MAX_UDP_PAYLOAD {
            return Err(fail(
                "send",
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{} octets do not fit in one UDP datagram (at most {MAX_UDP_PAYLOAD})",
                        bytes.len()
                    ),
                ),
            ));
        }
        self.open(transport, src).map_err(|e| fail("bind", e))?;
        self.open(transport, dst).map_err(|e| fail("bind", e))?;
        let from = &self.sockets[&(transport, src)];
        let to = &self.sockets[&(transport, dst)];
        let sender = from.local_addr().map_err(|e| fail("bind", e))?;
        let receiver = to.local_addr().map_err(|e| fail("bind", e))?;
        let sent = from.send_to(bytes, receiver).map_err(|e| fail("send", e))?;
        if sent != bytes.len() {
            return Err(fail(
                "send",
                io::Error::other(format!("sent {sent} of {} octets", bytes.len())),
            ));
        }
        // One octet more than the largest datagram, so truncation cannot go unnoticed.
        let mut buf = vec![0u8; MAX_UDP_PAYLOAD + 1];
        let (n, origin) = to.recv_from(&mut buf).map_err(|e| fail("receive", e))?;
        if origin != sender {
            return Err(fail(
                "receive",
                io::Error::other(format!(
                    "expected the datagram from {sender}, got one from {origin}"
                )),
            ));
        }
        buf.truncate(n);
        self.carried += 1;
        Ok(buf)
    }

    /// Binds the socket standing for `addr` unless it exists.
    fn open(&mut self, transport: Transport, addr: SocketAddr) -> io::Result<()> {
        if let Entry::Vacant(slot) = self.sockets.entry((transport, addr)) {
            let s = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
            s.set_read_timeout(Some(RECEIVE_TIMEOUT))?;
            slot.insert(s);
        }
        Ok(())
    }
}
