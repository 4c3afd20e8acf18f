"""Reader for strongSwan 5.9.x charon file logs written with ike = 4, chd = 4, enc = 4 and
ike_name = yes, in either the raw form or the trimmed form of trim-charon-log.py.

A log line looks like
    02:50:29 10[IKE] <ikl|1> Sk_d secret => 48 bytes @ 0x7f21e800c6c0
    02:50:29 10[IKE] <ikl|1>    0: 66 0B 13 1D 8B 5D 2C 13 28 58 40 52 BC 49 D0 28  f....],.(X@R.I.(
(timestamp optional, `<name|uid>` or `<uid>` optional). Hex-dump lines belong to the closest
preceding `=> N bytes` line of the same thread (strongSwan writes one dump under one lock, but
we key by thread anyway).
"""
import re
from dataclasses import dataclass, field
from typing import Optional

LINE_RE = re.compile(
    r'^(?:(?P<ts>\d\d:\d\d:\d\d) )?(?P<thread>\d+)\[(?P<group>[A-Z]+)\] '
    r'(?:<(?:(?P<name>[^|>]*)\|)?(?P<uid>\d+)> ?)?(?P<msg>.*)$')
HEX_RE = re.compile(r'^\s*(\d+): ((?:[0-9A-F]{2} ?){1,16})')
DUMP_HDR_RE = re.compile(r'=> (\d+) bytes(?: @ 0x[0-9a-f]+)?\s*$')


@dataclass
class Record:
    lineno: int
    raw: str
    thread: str
    group: str
    name: Optional[str]
    uid: Optional[int]
    msg: str
    nbytes: Optional[int] = None         # set when msg ends with "=> N bytes"
    data: bytearray = field(default_factory=bytearray)
    hex_lines: list = field(default_factory=list)


def read(path):
    """Parse a charon log into a list of Records; hex dumps are attached to their header record."""
    records = []
    open_dump = {}   # thread -> record currently receiving hex lines
    with open(path, errors='replace') as f:
        for n, raw in enumerate(f, 1):
            raw = raw.rstrip('\n')
            m = LINE_RE.match(raw)
            if not m:
                continue
            thread = m.group('thread')
            msg = m.group('msg')
            h = HEX_RE.match(msg)
            rec_open = open_dump.get(thread)
            if h and rec_open is not None and int(h.group(1)) == len(rec_open.data):
                rec_open.data += bytes.fromhex(h.group(2).replace(' ', ''))
                rec_open.hex_lines.append(raw)
                if len(rec_open.data) >= rec_open.nbytes:
                    del open_dump[thread]
                continue
            open_dump.pop(thread, None)
            uid = m.group('uid')
            rec = Record(n, raw, thread, m.group('group'), m.group('name'),
                         int(uid) if uid else None, msg.strip())
            d = DUMP_HDR_RE.search(msg)
            if d:
                rec.nbytes = int(d.group(1))
                if rec.nbytes:
                    open_dump[thread] = rec
            records.append(rec)
    return records
