//! A span of time in microseconds, written in files as `"30s"`, `"500ms"`, `"4h"` or a bare
//! number of seconds (as strongSwan's configuration does).
//!
//! Not `std::time::Duration`: the engine keeps its own virtual clock in microseconds, and a
//! human-readable form is what policy files want.

use core::fmt;
use core::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative span of time with microsecond resolution.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

impl Duration {
    pub const ZERO: Self = Self(0);

    pub const fn from_micros(us: u64) -> Self {
        Self(us)
    }
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms.saturating_mul(1_000))
    }
    pub const fn from_secs(s: u64) -> Self {
        Self(s.saturating_mul(1_000_000))
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000
    }
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000_000
    }
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

const UNITS: [(&str, u64); 6] = [
    ("d", 86_400_000_000),
    ("h", 3_600_000_000),
    ("m", 60_000_000),
    ("s", 1_000_000),
    ("ms", 1_000),
    ("us", 1),
];

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason} (write e.g. \"30s\", \"500ms\", \"2h\" or a number of seconds)")]
pub struct DurationError {
    pub input: String,
    pub reason: &'static str,
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| DurationError {
            input: s.to_owned(),
            reason,
        };
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (digits, unit) = t.split_at(split);
        if digits.is_empty() {
            return Err(err("no leading number"));
        }
        let n: u64 = digits.parse().map_err(|_| err("number too large"))?;
        let scale = match unit.trim() {
            "" => 1_000_000,
            u => UNITS
                .iter()
                .find(|(name, _)| *name == u)
                .map(|(_, scale)| *scale)
                .ok_or_else(|| err("unknown unit (use d, h, m, s, ms or us)"))?,
        };
        n.checked_mul(scale)
            .map(Self)
            .ok_or_else(|| err("too large"))
    }
}

impl fmt::Display for Duration {
    /// The largest unit that divides the span exactly, so parsing gives the same value back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let (name, scale) = UNITS
            .iter()
            .find(|(_, scale)| self.0 % scale == 0)
            .copied()
            .unwrap_or(("us", 1));
        write!(f, "{}{name}", self.0 / scale)
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"500ms\" or a number of seconds")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Duration, E> {
                s.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Duration, E> {
                n.checked_mul(1_000_000)
                    .map(Duration)
                    .ok_or_else(|| E::custom("duration too large"))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Duration, E> {
                let n = u64::try_from(n).map_err(|_| E::custom("negative duration"))?;
                self.visit_u64(n)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_prints_back() {
        for (s, us) in [
            ("30s", 30_000_000),
            ("500ms", 500_000),
            ("4h", 14_400_000_000),
            ("2m", 120_000_000),
            ("1d", 86_400_000_000),
            ("15", 15_000_000),
            ("7us", 7),
        ] {
            let d: Duration = s.parse().unwrap();
            assert_eq!(d.as_micros(), us, "{s}");
            let printed = d.to_string();
            assert_eq!(printed.parse::<Duration>().unwrap(), d);
        }
        assert_eq!(Duration::from_secs(3600).to_string(), "1h");
        assert_eq!(Duration::from_millis(1500).to_string(), "1500ms");
    }

    #[test]
    fn rejects_with_reason() {
        let e = "10x".parse::<Duration>().unwrap_err();
        assert!(e.to_string().contains("unknown unit"), "{e}");
        assert!("s".parse::<Duration>().is_err());
        assert!("-1s".parse::<Duration>().is_err());
        assert!("99999999999999999999s".parse::<Duration>().is_err());
    }
}
