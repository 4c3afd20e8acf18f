//! The exchange layer (RFC 7296 §2.1–§2.3): one outstanding request per direction (window
//! size 1), Message IDs, retransmission with backoff, and the cached last response that
//! answers a retransmitted request.

use std::collections::VecDeque;

use ikelab_policy::Retransmission;
use ikelab_wire::iana::ExchangeType;
use ikelab_wire::payload::Payload;
use ikelab_wire::Header;

use crate::Timestamp;

/// Why we sent a request, so its response can be dispatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Init,
    Auth,
    Dpd,
    DeleteIke,
    DeleteChild {
        spi_in: u32,
    },
    /// An error notification after a failed IKE_AUTH response (RFC 7296 §2.21.2).
    ErrorNotice,
    /// A CREATE_CHILD_SA request; `token` keys its pending state in `IkeSa::creates`.
    CreateChild {
        token: u32,
    },
    /// MOBIKE UPDATE_SA_ADDRESSES (RFC 4555 §3.5).
    UpdateAddresses,
    /// Responder: the return routability check of a new peer address (RFC 4555 §3.7).
    ReturnRoutability,
    /// A REDIRECT of an established initiator (RFC 5685 §5).
    Redirect,
}

/// A message as sent: what it said (for traces) and its bytes (for sending again).
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub header: Header,
    pub encrypted: bool,
    pub payloads: Vec<Payload>,
    /// IKE messages without the non-ESP marker (several once fragmentation exists).
    pub datagrams: Vec<Vec<u8>>,
}

/// Our request in flight.
#[derive(Debug)]
pub(crate) struct Outstanding {
    pub id: u32,
    pub exchange: ExchangeType,
    pub sent: Sent,
    /// Sends so far minus one (0 after the first send).
    pub attempt: u32,
    pub deadline: Timestamp,
    pub purpose: Purpose,
}

/// A request waiting for the window.
#[derive(Debug)]
pub(crate) struct Queued {
    pub exchange: ExchangeType,
    pub inner: Vec<Payload>,
    pub purpose: Purpose,
}

/// Our last response, answered again when its request comes again.
#[derive(Debug)]
pub(crate) struct Cached {
    pub id: u32,
    pub sent: Sent,
}

#[derive(Debug, Default)]
pub(crate) struct Exchanges {
    /// Message ID of our next request.
    pub next_id: u32,
    pub outstanding: Option<Outstanding>,
    pub queue: VecDeque<Queued>,
    /// Message ID we expect in the peer's next request.
    pub peer_next: u32,
    pub cached: Option<Cached>,
    /// An unprotected error Notify answered our IKE_SA_INIT request: acted on only once we
    /// retransmitted and no valid response came before that wait ended (§2.21.1).
    pub init_error: Option<ikelab_wire::iana::NotifyType>,
}

/// What to do with an incoming request's Message ID.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RequestCheck {
    /// The next request: process it.
    New,
    /// The request we last answered: send the cached response again.
    Retransmitted,
    /// Outside the window: drop (RFC 7296 §2.3).
    OutOfWindow { expected: u32 },
}

impl Exchanges {
    pub fn check_request(&self, id: u32) -> RequestCheck {
        if self.cached.as_ref().is_some_and(|c| c.id == id) {
            RequestCheck::Retransmitted
        } else if id == self.peer_next {
            RequestCheck::New
        } else {
            RequestCheck::OutOfWindow {
                expected: self.peer_next,
            }
        }
    }

    /// Records our response to the peer's current request and opens the window for the next.
    pub fn responded(&mut self, id: u32, sent: Sent) {
        self.cached = Some(Cached { id, sent });
        self.peer_next = id.wrapping_add(1);
    }

    /// Whether a response with this ID answers our outstanding request.
    pub fn matches_outstanding(&self, id: u32) -> bool {
        self.outstanding.as_ref().is_some_and(|o| o.id == id)
    }

    /// Whether a response with this ID answers a request we finished earlier (a duplicate).
    pub fn is_old_response(&self, id: u32) -> bool {
        id < self.next_id && !self.matches_outstanding(id)
    }

    /// Whether we may start a request now.
    pub fn idle(&self) -> bool {
        self.outstanding.is_none()
    }
}

/// The wait after send `attempt`, reduced by up to the jitter percentage using `random`.
pub(crate) fn wait(r: &Retransmission, attempt: u32, random: u32) -> ikelab_policy::Duration {
    let w = r.wait(attempt);
    let pct = u64::from(r.jitter_percent.min(100));
    if pct == 0 {
        return w;
    }
    let span = w.as_micros() / 100 * pct;
    let cut = if span == 0 {
        0
    } else {
        u64::from(random) % span
    };
    ikelab_policy::Duration::from_micros(w.as_micros() - cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_of_one() {
        let mut x = Exchanges::default();
        assert_eq!(x.check_request(0), RequestCheck::New);
        assert_eq!(
            x.check_request(1),
            RequestCheck::OutOfWindow { expected: 0 }
        );
        let sent = Sent {
            header: Header {
                initiator_spi: 1,
                responder_spi: 2,
                major_version: 2,
                minor_version: 0,
                exchange_type: ExchangeType::IKE_SA_INIT,
                flags: ikelab_wire::Flags::new(false, true),
                message_id: 0,
            },
            encrypted: false,
            payloads: vec![],
            datagrams: vec![vec![1]],
        };
        x.responded(0, sent);
        assert_eq!(x.check_request(0), RequestCheck::Retransmitted);
        assert_eq!(x.check_request(1), RequestCheck::New);
        assert_eq!(
            x.check_request(7),
            RequestCheck::OutOfWindow { expected: 1 }
        );
    }

    #[test]
    fn jitter_only_shortens() {
        let r = Retransmission {
            jitter_percent: 20,
            ..Retransmission::default()
        };
        for random in [0, 1, 12345, u32::MAX] {
            let w = wait(&r, 0, random).as_micros();
            assert!((3_200_000..=4_000_000).contains(&w), "{w}");
        }
        assert_eq!(wait(&Retransmission::default(), 1, 99).as_millis(), 7200);
    }
}
