#!/usr/bin/env python3
"""Turn strongSwan charon logs (ike = 4, chd = 4, enc = 4, ike_name = yes; raw or trimmed by
trim-charon-log.py) of BOTH peers into Wireshark UAT files:
    OUTDIR/ikev2_decryption_table   one line per IKE SA (incl. rekeyed IKE SAs)
    OUTDIR/esp_sa                   one line per ESP SA (incl. rekeyed CHILD_SAs)
Keys found in both logs must agree byte for byte (else exit 1). ESP addresses are taken from
the responder log when present (the captures are taken on the responder's side of any NAT).
Usage: charon-keys-to-wireshark.py INITIATOR_LOG RESPONDER_LOG OUTDIR

Algorithm names are Wireshark's UAT strings; for ChaCha20-Poly1305 (which Wireshark 4.0 does not
support) the ikelab extension name "CHACHA20-POLY1305 [RFC7634]" is written in both files.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import charonlog  # noqa: E402

CHACHA = 'CHACHA20-POLY1305 [RFC7634]'   # ikelab extension, not a Wireshark name

IKE_ENCR = {'3DES_CBC': '3DES [RFC2451]', 'CHACHA20_POLY1305': CHACHA}
for _n in (128, 192, 256):
    IKE_ENCR[f'AES_CBC_{_n}'] = f'AES-CBC-{_n} [RFC3602]'
    for _icv in (8, 12, 16):
        IKE_ENCR[f'AES_GCM_{_icv}_{_n}'] = f'AES-GCM-{_n} with {_icv} octet ICV [RFC5282]'
IKE_INTEG = {'HMAC_MD5_96': 'HMAC_MD5_96 [RFC2403]', 'HMAC_SHA1_96': 'HMAC_SHA1_96 [RFC2404]',
             'HMAC_SHA2_256_128': 'HMAC_SHA2_256_128 [RFC4868]',
             'HMAC_SHA2_384_192': 'HMAC_SHA2_384_192 [RFC4868]',
             'HMAC_SHA2_512_256': 'HMAC_SHA2_512_256 [RFC4868]', None: 'NONE [RFC4306]'}
ESP_INTEG = {'HMAC_MD5_96': 'HMAC-MD5-96 [RFC2403]', 'HMAC_SHA1_96': 'HMAC-SHA-1-96 [RFC2404]',
             'HMAC_SHA2_256_128': 'HMAC-SHA-256-128 [RFC4868]',
             'HMAC_SHA2_384_192': 'HMAC-SHA-384-192 [RFC4868]',
             'HMAC_SHA2_512_256': 'HMAC-SHA-512-256 [RFC4868]', None: 'NULL'}
AEAD_RE = re.compile(r'^(AES_GCM_|AES_CCM_|CHACHA20_POLY1305)')


class LogError(Exception):
    pass


def esp_encr(name):
    if name.startswith('AES_CBC'):
        return 'AES-CBC [RFC3602]'
    if name == '3DES_CBC':
        return 'TripleDES-CBC [RFC2451]'
    if name == 'CHACHA20_POLY1305':
        return CHACHA
    m = re.match(r'AES_GCM_(\d+)_', name)
    if m:
        return f'AES-GCM with {m.group(1)} octet ICV [RFC4106]'
    raise LogError(f'unsupported ESP cipher {name}')


def split_prop(prop):
    """'AES_CBC_256/HMAC_SHA2_256_128/PRF_.../MODP_2048' -> (encr, integ or None)"""
    parts = prop.split('/')
    encr = parts[0]
    integ = None
    if not AEAD_RE.match(encr):
        integ = next((p for p in parts[1:] if p.startswith('HMAC_')), None)
        if integ is None:
            raise LogError(f'no integrity algorithm in proposal {prop}')
    return encr, integ


def extract(path):
    """Return (ike_sas, esp_sas) found in one log.
    ike_sas: {(spi_i, spi_r): {'encr','integ','Sk_ei',...}}   esp_sas: {spi: {...}}"""
    recs = charonlog.read(path)
    pending_new_sa = {}    # uid of a rekeyed IKE SA -> uid of the new IKE SA being created
    ike_prop = {}          # IKE SA uid -> selected IKE proposal
    esp_prop = {}          # thread -> last selected ESP proposal
    role = {}              # thread -> 'initiator'|'responder' of the exchange being processed
    keyblocks = {}         # IKE SA uid -> {Sk_x: bytes}
    child_keys = {}        # thread -> {'encryption_initiator': bytes, ...}
    hdr_spis = {}          # IKE SA uid -> list of (rule, bytes) from generated headers
    esp = {}
    pend_dir = {}          # thread -> (direction) awaiting its "SPI 0x.." line
    last_rule = {}         # thread -> last "generating rule N IKE_SPI" seen
    cur_ike = {}           # thread -> uid the current IKE key block belongs to
    for r in recs:
        t, msg = r.thread, r.msg
        m = re.match(r'IKE_SA \S*\[(\d+)\] state change: CREATED => CONNECTING', msg)
        if m and r.uid is not None and int(m.group(1)) != r.uid:
            # the rekey initiator logs the new SA's keys under the old SA's uid, the responder
            # under the new one
            pending_new_sa[r.uid] = int(m.group(1))
            continue
        m = re.match(r'selected proposal: (IKE|ESP):(\S+)', msg)
        if m:
            if m.group(1) == 'IKE':
                if r.uid is not None:
                    ike_prop[r.uid] = m.group(2)
                if r.uid in pending_new_sa:
                    ike_prop[pending_new_sa[r.uid]] = m.group(2)
            else:
                esp_prop[t] = m.group(2)
            continue
        m = re.match(r'parsed \S+ (request|response) \d+ \[', msg)
        if m:
            role[t] = 'responder' if m.group(1) == 'request' else 'initiator'
            continue
        if msg.startswith('shared Diffie Hellman secret'):
            sa = pending_new_sa.pop(r.uid, r.uid)
            for old in [o for o, new in pending_new_sa.items() if new == sa]:
                del pending_new_sa[old]
            cur_ike[t] = sa
            keyblocks[sa] = {'DH': bytes(r.data)}
            continue
        m = re.match(r'(SKEYSEED|Sk_(?:d|ai|ar|ei|er|pi|pr) secret) =>', msg)
        if m and t in cur_ike:
            keyblocks[cur_ike[t]][m.group(1).split()[0]] = bytes(r.data)
            if m.group(1).startswith('Sk_pr'):
                del cur_ike[t]
            continue
        m = re.match(r'(encryption|integrity) (initiator|responder) key =>', msg)
        if m:
            if m.group(1) == 'encryption' and m.group(2) == 'initiator':
                child_keys[t] = {}
            child_keys.setdefault(t, {})[m.group(1) + '_' + m.group(2)] = bytes(r.data)
            continue
        m = re.match(r'(adding|registering) (inbound|outbound) ESP SA', msg)
        if m:
            pend_dir[t] = m.group(2)
            continue
        m = re.match(r'SPI 0x([0-9a-f]+), src (\S+) dst (\S+)', msg)
        if m and t in pend_dir:
            direction = pend_dir.pop(t)
            spi = m.group(1)
            if spi in esp:
                continue   # "registering" then "adding" the same outbound SA
            if t not in child_keys or t not in role or t not in esp_prop:
                raise LogError(f'{path}:{r.lineno}: ESP SA 0x{spi} without keys/role/proposal')
            # CHILD_SA initiator's outbound SA and responder's inbound SA use the initiator keys
            who = 'initiator' if (direction == 'outbound') == (role[t] == 'initiator') else 'responder'
            encr, integ = split_prop(esp_prop[t])
            ck = child_keys[t]
            esp[spi] = {'src': m.group(2), 'dst': m.group(3), 'encr': encr, 'integ': integ,
                        'ekey': ck['encryption_' + who],
                        'akey': ck.get('integrity_' + who, b'') if integ else b''}
            continue
        m = re.match(r'(?:generating|parsing) rule ([01]) IKE_SPI$', msg)
        if m:
            last_rule[t] = (int(m.group(1)), r.uid)
            continue
        if r.nbytes == 8 and t in last_rule and last_rule[t][1] is not None and r.msg.startswith('=>'):
            rule, uid = last_rule.pop(t)
            hdr_spis.setdefault(uid, []).append((rule, bytes(r.data)))
            continue
        last_rule.pop(t, None)
    ike = {}
    for uid, kb in keyblocks.items():
        hs = hdr_spis.get(uid, [])
        spis = None
        for i in range(len(hs) - 1):
            if hs[i][0] == 0 and hs[i + 1][0] == 1 and any(hs[i + 1][1]):
                spis = (hs[i][1].hex(), hs[i + 1][1].hex())
                break
        if spis is None:
            raise LogError(f'{path}: no IKE SPIs logged for IKE SA uid {uid}')
        if uid not in ike_prop:
            raise LogError(f'{path}: no selected IKE proposal for IKE SA uid {uid}')
        encr, integ = split_prop(ike_prop[uid])
        missing = [k for k in ('Sk_ei', 'Sk_er') + (('Sk_ai', 'Sk_ar') if integ else ()) if k not in kb]
        if missing:
            raise LogError(f'{path}: IKE SA uid {uid}: missing {missing}')
        ike[spis] = dict(kb, encr=encr, integ=integ)
    return ike, esp


def main(ini_log, resp_log, outdir):
    ike_i, esp_i = extract(ini_log)
    ike_r, esp_r = extract(resp_log)
    for spis in set(ike_i) & set(ike_r):
        for k in ('Sk_ei', 'Sk_er', 'Sk_ai', 'Sk_ar', 'Sk_d'):
            if ike_i[spis].get(k) != ike_r[spis].get(k):
                raise LogError(f'IKE SA {spis}: {k} differs between the two logs')
    for spi in set(esp_i) & set(esp_r):
        for k in ('ekey', 'akey', 'encr', 'integ'):
            if esp_i[spi][k] != esp_r[spi][k]:
                raise LogError(f'ESP SA 0x{spi}: {k} differs between the two logs')
    ike = dict(ike_i)
    ike.update(ike_r)
    esp = dict(esp_i)
    esp.update(esp_r)   # responder view of addresses wins (capture point)
    ike_lines, esp_lines = [], []
    for (spi_i, spi_r), k in ike.items():
        # byte-buffer fields bare hex, enum fields quoted
        ike_lines.append('%s,%s,%s,%s,"%s",%s,%s,"%s"' % (
            spi_i, spi_r, k['Sk_ei'].hex(), k['Sk_er'].hex(), IKE_ENCR[k['encr']],
            k.get('Sk_ai', b'').hex(), k.get('Sk_ar', b'').hex(), IKE_INTEG[k['integ']]))
    for spi, e in esp.items():
        proto = 'IPv6' if ':' in e['src'] else 'IPv4'
        esp_lines.append('"%s","%s","%s","0x%s","%s","0x%s","%s","%s"' % (
            proto, e['src'], e['dst'], spi, esp_encr(e['encr']), e['ekey'].hex(),
            ESP_INTEG[e['integ']], ('0x' + e['akey'].hex()) if e['integ'] else ''))
    if not ike_lines:
        raise LogError('no IKE SA keys found (filelog needs ike = 4 and enc = 4)')
    os.makedirs(outdir, exist_ok=True)
    for fname, lines in (('ikev2_decryption_table', ike_lines), ('esp_sa', esp_lines)):
        with open(os.path.join(outdir, fname), 'w') as f:
            f.write('# This file is automatically generated, DO NOT MODIFY.\n')
            f.write(''.join(line + '\n' for line in lines))
    for line in ike_lines:
        print("-o 'uat:ikev2_decryption_table:%s'" % line)
    for line in esp_lines:
        print("-o 'uat:esp_sa:%s'" % line)


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    try:
        main(*sys.argv[1:])
    except LogError as e:
        sys.exit(f'charon-keys-to-wireshark: {e}')
