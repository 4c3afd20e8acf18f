//! EAP-TLS framing (RFC 5216 §3.1): `Flags | [TLS Message Length] | TLS Data`, fragments
//! of at most the configured size, each answered by an empty EAP-TLS message (an ACK).

use crate::eap::EapError;

/// Length included: the TLS Message Length field follows.
pub(crate) const FLAG_L: u8 = 0x80;
/// More fragments follow.
pub(crate) const FLAG_M: u8 = 0x40;
/// EAP-TLS Start (server to peer).
pub(crate) const FLAG_S: u8 = 0x20;
/// The longest reassembled TLS message we accept: a handshake flight with a certificate
/// chain fits easily; more is an attack on our memory.
pub(crate) const MAX_TLS_MESSAGE: usize = 128 * 1024;
/// Smallest fragment size we use, whatever the policy says.
const MIN_FRAGMENT: usize = 16;

/// What a received EAP-TLS message is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// No TLS data: acknowledges a fragment of ours, or ends the handshake.
    Ack,
    /// A fragment with more to come: acknowledge it.
    Fragment,
    /// A whole TLS message (all fragments reassembled).
    Message(Vec<u8>),
}

/// One direction's fragmentation and the other's reassembly.
pub(crate) struct Frames {
    fragment: usize,
    out: Vec<u8>,
    sent: usize,
    /// True once `out` was queued and until its last fragment has gone.
    queued: bool,
    inbox: Vec<u8>,
    declared: Option<usize>,
}

impl Frames {
    pub fn new(fragment: usize) -> Self {
        Self {
            fragment: fragment.max(MIN_FRAGMENT),
            out: Vec::new(),
            sent: 0,
            queued: false,
            inbox: Vec::new(),
            declared: None,
        }
    }

    /// The empty EAP-TLS message (Flags 0, no data).
    pub fn ack() -> Vec<u8> {
        vec![0]
    }

    /// Fragments of ours remain after the one last sent.
    pub fn sending(&self) -> bool {
        self.queued && self.sent < self.out.len()
    }

    /// TLS output to send (empty: an ACK-like message with no data).
    pub fn queue(&mut self, out: Vec<u8>) {
        self.out = out;
        self.sent = 0;
        self.queued = true;
    }

    /// The next EAP-TLS message of the queued output.
    pub fn next_fragment(&mut self) -> Vec<u8> {
        let total = self.out.len();
        let start = self.sent;
        let end = total.min(start + self.fragment);
        let first = start == 0;
        let more = end < total;
        let mut v = Vec::with_capacity(5 + end - start);
        if first && more {
            v.push(FLAG_L | FLAG_M);
            // `queue` callers hold TLS output far below 4 GiB.
            v.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_be_bytes());
        } else if more {
            v.push(FLAG_M);
        } else {
            v.push(0);
        }
        v.extend_from_slice(&self.out[start..end]);
        self.sent = end;
        if !more {
            self.queued = false;
            self.out.clear();
            self.sent = 0;
        }
        v
    }

    /// Parses one received EAP-TLS message; every length is checked before use.
    pub fn receive(&mut self, data: &[u8]) -> Result<Incoming, EapError> {
        let [flags, rest @ ..] = data else {
            return Err(EapError::Malformed(
                "EAP-TLS message without its Flags octet".into(),
            ));
        };
        let (length, tls) = if flags & FLAG_L != 0 {
            let [a, b, c, d, tls @ ..] = rest else {
                return Err(EapError::Malformed(format!(
                    "EAP-TLS L flag with {} octets where the 4-octet TLS Message Length belongs",
                    rest.len()
                )));
            };
            let n = u32::from_be_bytes([*a, *b, *c, *d]);
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > MAX_TLS_MESSAGE {
                return Err(EapError::Malformed(format!(
                    "EAP-TLS Message Length {n} above our limit of {MAX_TLS_MESSAGE}"
                )));
            }
            (Some(n), tls)
        } else {
            (None, rest)
        };
        if flags & FLAG_S != 0 {
            return Err(EapError::Unexpected(
                "EAP-TLS Start in mid-handshake".into(),
            ));
        }
        let more = flags & FLAG_M != 0;
        if tls.is_empty() && !more && length.is_none() && self.inbox.is_empty() {
            return Ok(Incoming::Ack);
        }
        if self.sending() {
            return Err(EapError::Unexpected(
                "EAP-TLS data while our fragments are still being acknowledged".into(),
            ));
        }
        match (self.declared, length) {
            (None, Some(n)) if self.inbox.is_empty() => self.declared = Some(n),
            (Some(d), Some(n)) if d != n => {
                return Err(EapError::Malformed(format!(
                    "EAP-TLS Message Length {n} in a later fragment of a {d}-octet message"
                )))
            }
            _ => {}
        }
        let limit = self.declared.unwrap_or(MAX_TLS_MESSAGE);
        if self.inbox.len() + tls.len() > limit {
            self.reset_inbox();
            return Err(EapError::Malformed(format!(
                "EAP-TLS fragments exceed the TLS Message Length of {limit} octets"
            )));
        }
        self.inbox.extend_from_slice(tls);
        if more {
            if tls.is_empty() {
                return Err(EapError::Malformed(
                    "an empty EAP-TLS fragment with the M flag".into(),
                ));
            }
            return Ok(Incoming::Fragment);
        }
        let whole = core::mem::take(&mut self.inbox);
        if let Some(d) = self.declared.take() {
            if whole.len() != d {
                return Err(EapError::Malformed(format!(
                    "EAP-TLS message of {} octets but TLS Message Length {d}",
                    whole.len()
                )));
            }
        }
        Ok(Incoming::Message(whole))
    }

    fn reset_inbox(&mut self) {
        self.inbox.clear();
        self.declared = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(total: usize, fragment: usize) -> usize {
        let data: Vec<u8> = (0..total).map(|i| i as u8).collect();
        let mut tx = Frames::new(fragment);
        let mut rx = Frames::new(fragment);
        tx.queue(data.clone());
        let mut messages = 0;
        loop {
            let f = tx.next_fragment();
            messages += 1;
            assert!(f.len() <= fragment + 5);
            match rx.receive(&f).unwrap() {
                Incoming::Fragment => assert!(tx.sending()),
                Incoming::Message(m) => {
                    assert_eq!(m, data);
                    assert!(!tx.sending());
                    return messages;
                }
                Incoming::Ack => panic!("ack"),
            }
        }
    }

    #[test]
    fn fragments_and_reassembles() {
        assert_eq!(roundtrip(1000, 1000), 1);
        assert_eq!(roundtrip(1001, 1000), 2);
        assert_eq!(roundtrip(3000, 100), 30);
        let mut tx = Frames::new(100);
        tx.queue(Vec::new());
        assert_eq!(tx.next_fragment(), Frames::ack());
        assert_eq!(Frames::new(100).receive(&[0]).unwrap(), Incoming::Ack);
    }

    #[test]
    fn bad_lengths_are_malformed() {
        let bad: Vec<Vec<u8>> = vec![
            vec![],
            // L flag and no room for the length.
            vec![FLAG_L, 0, 0],
            // L claims 10 octets, 20 arrive.
            [&[FLAG_L, 0, 0, 0, 10][..], &[0; 20]].concat(),
            // L claims 30 octets, 20 arrive with no M flag.
            [&[FLAG_L, 0, 0, 0, 30][..], &[0; 20]].concat(),
            // L above the limit.
            vec![FLAG_L | FLAG_M, 0xff, 0xff, 0xff, 0xff, 1],
            // M flag with no data.
            vec![FLAG_M],
        ];
        for b in bad {
            let mut rx = Frames::new(100);
            assert!(
                matches!(rx.receive(&b), Err(EapError::Malformed(_))),
                "{b:?}"
            );
        }
        // A later fragment overflowing the declared length.
        let mut rx = Frames::new(100);
        let first = [&[FLAG_L | FLAG_M, 0, 0, 0, 30][..], &[0; 20]].concat();
        assert_eq!(rx.receive(&first).unwrap(), Incoming::Fragment);
        assert!(matches!(
            rx.receive(&[&[FLAG_M][..], &[0; 20]].concat()),
            Err(EapError::Malformed(_))
        ));
    }
}
