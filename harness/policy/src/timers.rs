//! Lifetimes, retransmission (RFC 7296 §2.1, §2.4) and NAT-T keepalives.

use serde::{Deserialize, Serialize};

use crate::Duration;

/// When an SA is rekeyed: after `rekey_after` minus a random part of `jitter` (so both peers
/// do not rekey at once, RFC 7296 §2.8.1), and when it is dropped if rekeying fails. The
/// engine takes off at most a tenth of `rekey_after`, whatever `jitter` says, so a short
/// lifetime with the default jitter still rekeys near `rekey_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifetime {
    /// `None`: never rekey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rekey_after: Option<Duration>,
    #[serde(default)]
    pub jitter: Duration,
    /// Hard lifetime; `None`: the SA lives until deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after: Option<Duration>,
}

impl Lifetime {
    /// strongSwan's IKE SA default: rekey after 4 h less up to 24 min.
    pub const IKE_DEFAULT: Self = Self {
        rekey_after: Some(Duration::from_secs(4 * 3600)),
        jitter: Duration::from_secs(24 * 60),
        expire_after: None,
    };
    /// strongSwan's CHILD_SA default: rekey after 1 h less up to 6 min.
    pub const CHILD_DEFAULT: Self = Self {
        rekey_after: Some(Duration::from_secs(3600)),
        jitter: Duration::from_secs(6 * 60),
        expire_after: None,
    };
    pub const NEVER: Self = Self {
        rekey_after: None,
        jitter: Duration::ZERO,
        expire_after: None,
    };
}

/// Request retransmission (RFC 7296 §2.4: "retransmit ... with exponential backoff", give up
/// and delete the SA after a number of tries). The n-th wait (0 = after the first send) is
/// `timeout × backoff^n`, capped at `max_timeout`, less up to `jitter_percent` %.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retransmission {
    pub timeout: Duration,
    pub backoff: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_timeout: Option<Duration>,
    /// Retransmissions after the first send; the peer is declared dead when the wait after the
    /// last one expires.
    pub retransmits: u32,
    pub jitter_percent: u8,
}

impl Default for Retransmission {
    /// strongSwan's defaults: 4 s, ×1.8, 5 retransmissions (165 s in all).
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(4),
            backoff: 1.8,
            max_timeout: None,
            retransmits: 5,
            jitter_percent: 0,
        }
    }
}

impl Retransmission {
    /// The wait after send number `attempt` (0 = original), before jitter.
    pub fn wait(&self, attempt: u32) -> Duration {
        let base = self.timeout.as_micros() as f64;
        let exp = i32::try_from(attempt).unwrap_or(i32::MAX);
        let us = base * self.backoff.max(1.0).powi(exp);
        // `as` saturates for floats beyond u64.
        let d = Duration::from_micros(us.round() as u64);
        match self.max_timeout {
            Some(cap) if d > cap => cap,
            _ => d,
        }
    }

    /// Time from the first send until the peer is declared dead, without jitter.
    pub fn budget(&self) -> Duration {
        let us = (0..=self.retransmits)
            .map(|n| self.wait(n).as_micros())
            .fold(0u64, u64::saturating_add);
        Duration::from_micros(us)
    }
}

/// NAT traversal (RFC 7296 §2.23, RFC 3948).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatTraversal {
    /// NAT-keepalive interval while we are behind a NAT; `None` disables them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<Duration>,
    /// Send NAT_DETECTION_SOURCE_IP that cannot match, so the peer sees a NAT and both
    /// sides use UDP encapsulation (strongSwan's `encap = yes`).
    pub force_encapsulation: bool,
}

impl Default for NatTraversal {
    fn default() -> Self {
        Self {
            keepalive: Some(Duration::from_secs(20)),
            force_encapsulation: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strongswan_schedule() {
        let r = Retransmission::default();
        let waits: Vec<u64> = (0..=5).map(|n| r.wait(n).as_millis()).collect();
        assert_eq!(waits, [4000, 7200, 12960, 23328, 41990, 75582]);
        assert_eq!(r.budget().as_secs(), 165);
        let capped = Retransmission {
            max_timeout: Some(Duration::from_secs(10)),
            ..r
        };
        assert_eq!(capped.wait(4), Duration::from_secs(10));
        let flat = Retransmission { backoff: 0.5, ..r };
        assert_eq!(
            flat.wait(3),
            Duration::from_secs(4),
            "backoff below 1 is treated as 1"
        );
        let huge = Retransmission {
            retransmits: 10_000,
            ..r
        };
        assert!(huge.budget().as_micros() == u64::MAX);
    }
}
