#!/usr/bin/env python3
"""Write OUTDIR/README.md for one capture: scenario notes (scenarios/NAME/notes.md), the frame
list as dissected by tshark (without keys), the selected proposals from the charon log, the
files and the command that regenerates the folder.
Usage: write-readme.py NAME SCENARIO_DIR OUTDIR CAPTURE_FILE_NAME
"""
import os
import re
import subprocess
import sys

PAYLOAD = {'33': 'SA', '34': 'KE', '35': 'IDi', '36': 'IDr', '37': 'CERT', '38': 'CERTREQ',
           '39': 'AUTH', '40': 'Nonce', '41': 'N', '42': 'D', '43': 'V', '44': 'TSi', '45': 'TSr',
           '46': 'SK', '47': 'CP', '48': 'EAP', '53': 'SKF'}


def frames(cap):
    fields = ['frame.number', 'frame.len', 'ip.src', 'udp.srcport', 'ip.dst', 'udp.dstport',
              'isakmp.exchangetype', 'isakmp.messageid', 'isakmp.flags', 'isakmp.nextpayload',
              'isakmp.frag.number', 'isakmp.frag.total', 'esp.spi', 'esp.sequence',
              '_ws.col.Info']
    cmd = ['tshark', '-r', cap, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a',
           '-E', 'aggregator=,']
    for f in fields:
        cmd += ['-e', f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        v = dict(zip(fields, line.split('\t')))
        src = f"{v['ip.src']}:{v['udp.srcport']}"
        dst = f"{v['ip.dst']}:{v['udp.dstport']}"
        if v['isakmp.exchangetype']:
            flags = int(v['isakmp.flags'], 16) if v['isakmp.flags'] else 0
            role = 'I' if flags & 0x08 else 'R'
            kind = 'response' if flags & 0x20 else 'request'
            info = v['_ws.col.Info']
            exch = re.sub(r' MID=.*', '', info)
            pl = '+'.join(PAYLOAD.get(p, p) for p in v['isakmp.nextpayload'].split(',')[:1])
            if v['isakmp.frag.number']:
                pl += f" fragment {v['isakmp.frag.number']}/{v['isakmp.frag.total']}"
            desc = f"IKE {exch} {kind} ({role}) MID {int(v['isakmp.messageid'], 16)}, first payload {pl}"
        elif v['esp.spi']:
            desc = f"ESP-in-UDP SPI {v['esp.spi']} seq {v['esp.sequence']}"
        else:
            desc = v['_ws.col.Info']
        rows.append((v['frame.number'], v['frame.len'], src, dst, desc))
    return rows


def proposals(log):
    seen = []
    with open(log) as f:
        for line in f:
            m = re.search(r'selected proposal: (\S+)', line)
            if m and m.group(1) not in seen:
                seen.append(m.group(1))
    return seen


def main(name, scdir, outdir, capname):
    cap = os.path.join(outdir, capname)
    notes = open(os.path.join(scdir, 'notes.md')).read().strip()
    rows = frames(cap)
    size = os.path.getsize(cap)
    lines = [f'# Capture `{name}`', '', notes, '',
             f'Captured on the responder\'s veth (namespace iklcap-b), filter `udp port 500 or udp port 4500`; '
             f'`{capname}`: {len(rows)} frames, {size} bytes.', '',
             'Selected proposals (from charon-ini.log): ' +
             ', '.join(f'`{p}`' for p in proposals(os.path.join(outdir, 'charon-ini.log'))), '',
             '## Frames', '', '| # | bytes | from | to | what |', '|---|---|---|---|---|']
    lines += [f'| {n} | {ln} | {s} | {d} | {w} |' for n, ln, s, d, w in rows]
    lines += ['', '## Files', '',
              f'* `{capname}`: the capture.',
              '* `ikev2_decryption_table`, `esp_sa`: Wireshark UAT key files (usable as a '
              '`WIRESHARK_CONFIG_DIR`), generated from both charon logs by '
              '`scripts/interop/charon-keys-to-wireshark.py` (keys found in both logs agree).',
              '* `charon-ini.log`, `charon-resp.log`: charon logs (filelog ike=4 chd=4 enc=4) trimmed by '
              '`scripts/interop/trim-charon-log.py`: exchanges, proposals, `shared Diffie Hellman secret`, '
              '`SKEYSEED`, `Sk_d/ai/ar/ei/er/pi/pr secret`, CHILD_SA `seed` (= [g^ir] | Ni | Nr) / '
              '`DH secret` / `encryption|integrity initiator|responder key`, ESP SPIs, and from the '
              'ENC level the IKE header SPIs (`generating rule 0/1 IKE_SPI`), nonces '
              '(`rule 10 CHUNK_DATA` after a NONCE payload) and proposal SPIs (rule 7 SPI; the new '
              'IKE SPIs of an IKE SA rekey). Nonces of IKE_SA_INIT are also in the capture.',
              '* `swanctl-ini.conf`, `swanctl-resp.conf`: the two peers\' swanctl.conf '
              '(test PSK / test PKI only).']
    if os.path.exists(os.path.join(outdir, 'strongswan-ini.conf')):
        lines.append('* `strongswan-ini.conf`, `strongswan-resp.conf`: extra `charon { }` settings '
                     'of this scenario (on top of the generated strongswan.conf in scripts/interop/lib.sh).')
    lines += ['', '## Regenerate', '', '```',
              f'sudo scripts/interop/capture.sh {name} corpora/captures/{name}',
              f'# or all captures: sudo scripts/capture-strongswan.sh corpora/captures',
              '```', '',
              'strongSwan 5.9.8 (Debian 12, charon-systemd, kernel-libipsec), tshark/dumpcap 4.0.17. '
              'Keys, SPIs and nonces change on every run. Generated by the ikelab project; CC0.', '']
    with open(os.path.join(outdir, 'README.md'), 'w') as f:
        f.write('\n'.join(lines))


if __name__ == '__main__':
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
