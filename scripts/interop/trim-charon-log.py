#!/usr/bin/env python3
"""Trim a charon log (ike/chd/enc = 4) to the lines that matter for key derivation and SAs:
exchanges sent/parsed, proposals, NAT/fragmentation/DPD/rekey/delete events, the key-derivation
dumps (shared DH secret, SKEYSEED, Sk_*, CHILD_SA DH secret/seed/keys, PSK), ESP SA SPIs, and
from the ENC level only the IKE header SPIs, nonces and proposal/notify SPIs.
Timestamps, dump addresses and the ASCII column of hex dumps are dropped. The output is still
readable by charonlog.py / charon-keys-to-wireshark.py.
Usage: trim-charon-log.py CHARON_LOG > trimmed.log
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import charonlog  # noqa: E402

KEEP = [re.compile(p) for p in (
    r'^initiating IKE_SA', r'IKE_SA .*(established|rekeyed|state change)', r'^deleting ',
    r'IKE_SA deleted', r'CHILD_SA .*(established|closed|deleted)', r'rekey',
    r'^(received|sending) DELETE', r'DPD', r'NAT', r'keep ?alive', r'fragment', r'reassembl',
    r'^(received|sending) (end entity cert|issuer cert|cert request|cert)', r'^authentication of',
    r'^(received|sending) .*notify', r'^(selected|received|configured) proposals?',
    r'^selected peer config', r'^(generating|parsed) \S+ (request|response) \d+ \[',
    r'^splitting IKE message', r'^(sending|received) packet: .*\(\d+ bytes\)',
    r'^(adding|registering|updating) (inbound|outbound) ESP SA', r'^SPI 0x',
    r'^using \S+ for (encryption|integrity)',
    r'^(shared Diffie Hellman secret|SKEYSEED|Sk_\w+ secret|DH secret|seed|secret|'
    r'(encryption|integrity) (initiator|responder) key) =>',
)]
# ENC-level field dumps worth keeping: (payload type, rule name)
ENC_FIELDS = {('HEADER', 'IKE_SPI'), ('NONCE', 'CHUNK_DATA'), ('PROPOSAL_SUBSTRUCTURE', 'SPI'),
              ('NOTIFY', 'SPI')}
TS_RE = re.compile(r'^\d\d:\d\d:\d\d ')
ADDR_RE = re.compile(r' @ 0x[0-9a-f]+')


def clean(line):
    return ADDR_RE.sub('', TS_RE.sub('', line))


def clean_hex(line):
    # drop the ASCII column (everything after the 16 hex bytes)
    m = re.match(r'^(.*?\s+\d+: (?:[0-9A-F]{2} ?){1,16})', TS_RE.sub('', line))
    return m.group(1).rstrip() if m else clean(line)


def main(path):
    recs = charonlog.read(path)
    out = []
    ctx = {}          # thread -> payload type being generated/parsed
    ctx_line = {}     # thread -> its "generating payload of type X" line, until emitted
    pending = {}      # thread -> kept "rule" line waiting for its "=> N bytes" dump
    for r in recs:
        t, msg = r.thread, r.msg
        # "parsing X payload, N bytes left" is logged for outer and decrypted inner payloads alike
        m = re.match(r'(?:generating payload of type (\w+)$|parsing (\w+) payload, \d+ bytes left)', msg)
        if m:
            ctx[t] = m.group(1) or m.group(2)
            ctx_line[t] = clean(r.raw)   # emitted once if one of its fields is kept
            continue
        m = re.match(r'(?:generating|parsing) rule \d+ (\w+)$', msg)
        if m:
            pending.pop(t, None)
            if (ctx.get(t), m.group(1)) in ENC_FIELDS:
                pending[t] = clean(r.raw)
            continue
        if msg.startswith('=>') and t in pending:
            rule = pending.pop(t)
            if r.nbytes:   # skip empty SPI fields
                if t in ctx_line:
                    out.append(ctx_line.pop(t))
                out.append(rule)
                out.append(clean(r.raw))
                out.extend(clean_hex(h) for h in r.hex_lines)
            continue
        pending.pop(t, None)
        if r.group not in ('IKE', 'CHD', 'CFG', 'NET', 'ENC', 'KNL'):
            continue
        if re.match(r'^(queueing|activating|  activating)', msg) or r.uid is None and r.group == 'CFG':
            continue
        if r.group == 'ENC' and not re.match(
                r'^(generating|parsed) \S+ (request|response) \d+ \[|^splitting|.*fragment|'
                r'.*reassembl', msg):
            continue
        if any(k.search(msg) for k in KEEP):
            out.append(clean(r.raw))
            out.extend(clean_hex(h) for h in r.hex_lines)
    print('# %s trimmed by scripts/interop/trim-charon-log.py (timestamps, dump addresses and '
          'ASCII columns removed); filelog levels: ike=4 chd=4 enc=4 cfg=2 knl=2 net=2'
          % os.path.basename(os.path.dirname(os.path.abspath(path))))
    print('\n'.join(out))


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
