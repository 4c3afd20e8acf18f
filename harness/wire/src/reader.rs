//! A bounds-checked cursor over a byte slice that knows its absolute offset.

use crate::error::{ErrorKind, Path};
use crate::Error;

/// Reads big-endian fields; every read checks length first, so no read can panic.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Absolute offset of `buf[0]` in the original datagram, for error locations.
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], base: usize) -> Self {
        Self { buf, pos: 0, base }
    }

    /// Absolute offset of the next unread byte.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn take(
        &mut self,
        n: usize,
        what: &'static str,
        path: &Path<'_>,
    ) -> Result<&'a [u8], Error> {
        if n > self.remaining() {
            return Err(path.error(
                self.offset(),
                ErrorKind::Truncated {
                    what,
                    needed: n,
                    available: self.remaining(),
                },
            ));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A reader over the next `n` bytes, advancing past them.
    pub(crate) fn sub(
        &mut self,
        n: usize,
        what: &'static str,
        path: &Path<'_>,
    ) -> Result<Reader<'a>, Error> {
        let base = self.offset();
        let bytes = self.take(n, what, path)?;
        Ok(Reader::new(bytes, base))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }

    pub(crate) fn u8(&mut self, what: &'static str, path: &Path<'_>) -> Result<u8, Error> {
        Ok(self.take(1, what, path)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str, path: &Path<'_>) -> Result<u16, Error> {
        let b = self.take(2, what, path)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u24(&mut self, what: &'static str, path: &Path<'_>) -> Result<[u8; 3], Error> {
        let b = self.take(3, what, path)?;
        Ok([b[0], b[1], b[2]])
    }
}

/// Reads the `octet | RESERVED (3 octets)` prefix that ID, AUTH, TS and CP payloads share,
/// recording a non-zero RESERVED as a finding.
pub(crate) fn octet_and_reserved24(
    r: &mut Reader<'_>,
    path: &Path<'_>,
    f: &mut crate::finding::Findings,
    what: &'static str,
    reserved_what: &'static str,
) -> Result<(u8, [u8; 3]), Error> {
    let start = r.offset();
    let octet = r.u8(what, path)?;
    let reserved = r.u24(reserved_what, path)?;
    f.reserved(start + 1, path, reserved_what, u24_value(reserved));
    Ok((octet, reserved))
}

/// Reads a big-endian u24 RESERVED field as a number, for findings.
pub(crate) fn u24_value(b: [u8; 3]) -> u32 {
    u32::from_be_bytes([0, b[0], b[1], b[2]])
}
