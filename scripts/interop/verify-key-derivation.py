#!/usr/bin/env python3
"""Re-derive the IKE SA keys (RFC 7296 2.14, 2.18) and CHILD_SA KEYMAT (2.17) from the inputs in a
(trimmed) charon log of the IKE initiator and compare with the logged values byte for byte:
  SKEYSEED = prf(Ni | Nr, g^ir)                       (initial IKE SA)
  SKEYSEED = prf(SK_d(old), g^ir | Ni | Nr)           (rekeyed IKE SA)
  SK_d|SK_ai|SK_ar|SK_ei|SK_er|SK_pi|SK_pr = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
  KEYMAT = prf+(SK_d, [g^ir] | Ni | Nr)  (logged as "seed")
Inputs used: "shared Diffie Hellman secret", nonces (ENC "rule 10 CHUNK_DATA" of NONCE payloads:
generated = Ni, parsed = Nr, as this side initiates every exchange), IKE SPIs, selected PRF.
Usage: verify-key-derivation.py INITIATOR_LOG      (exit 1 on mismatch)
"""
import hashlib
import hmac
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import charonlog  # noqa: E402

PRF = {'PRF_HMAC_SHA1': hashlib.sha1, 'PRF_HMAC_SHA2_256': hashlib.sha256,
       'PRF_HMAC_SHA2_384': hashlib.sha384, 'PRF_HMAC_SHA2_512': hashlib.sha512}


def prf(h, key, data):
    return hmac.new(key, data, h).digest()


def prf_plus(h, key, seed, n):
    out, t, i = b'', b'', 1
    while len(out) < n:
        t = prf(h, key, t + seed + bytes([i]))
        out += t
        i += 1
    return out[:n]


def main(path):
    recs = charonlog.read(path)
    ctx, last_rule, rule_no = {}, {}, {}
    nonce = {}             # uid -> {'gen': bytes, 'parse': bytes}
    ike_prf = {}           # uid -> hash
    blocks = []            # (uid, {name: bytes}, prf)
    cur = {}
    spis = {}              # uid -> [(rule, bytes)]
    child = []             # (uid, seed, keys{}) in order
    skd_of = {}            # uid -> current SK_d (for CHILD_SA KEYMAT and rekey)
    for r in recs:
        t, m = r.thread, r.msg
        g = re.match(r'(generating) payload of type (\w+)$|(parsing) (\w+) payload, \d+ bytes left', m)
        if g:
            ctx[t] = ('gen' if g.group(1) == 'generating' else 'parse', g.group(2) or g.group(4))
            continue
        g = re.match(r'(generating|parsing) rule (\d+) (\w+)$', m)
        if g:
            last_rule[t] = ('gen' if g.group(1) == 'generating' else 'parse', g.group(3), r.uid)
            rule_no[t] = int(g.group(2))
            continue
        if m.startswith('=>') and t in last_rule and r.nbytes:
            d, rule, uid = last_rule.pop(t)
            if ctx.get(t, (None, None))[1] == 'NONCE' and rule == 'CHUNK_DATA' and uid is not None:
                nonce.setdefault(uid, {})[d] = bytes(r.data)
            if rule == 'IKE_SPI' and uid is not None and d == 'gen':
                spis.setdefault(uid, []).append(bytes(r.data))
                spis.setdefault(('pairs', uid), [])
                if rule_no[t] == 1 and any(r.data):
                    spis[('pairs', uid)].append((spis[uid][-2], bytes(r.data)))
            continue
        g = re.match(r'selected proposal: IKE:\S*?(PRF_HMAC_SHA[0-9_]+)', m)
        if g:
            ike_prf[r.uid] = PRF[g.group(1)]
            continue
        if m.startswith('shared Diffie Hellman secret'):
            cur[t] = (r.uid, {'DH': bytes(r.data), 'Ni': nonce[r.uid]['gen'],
                              'Nr': nonce[r.uid]['parse']}, ike_prf[r.uid])
            continue
        g = re.match(r'(SKEYSEED|Sk_\w+ secret) =>', m)
        if g and t in cur:
            cur[t][1][g.group(1).split()[0]] = bytes(r.data)
            if g.group(1).startswith('Sk_pr'):
                blocks.append(cur.pop(t))
            continue
        g = re.match(r'(seed|(?:encryption|integrity) (?:initiator|responder) key) =>', m)
        if g and r.group == 'CHD':
            if g.group(1) == 'seed':
                child.append((r.uid, bytes(r.data), {}, len(blocks)))
            elif child:
                child[-1][2][g.group(1)] = bytes(r.data)
    errors, n_ike = [], 0
    skd = {}
    for i, (uid, b, h) in enumerate(blocks):
        ni_nr = b['Ni'] + b['Nr']
        if i == 0:
            skeyseed = prf(h, ni_nr, b['DH'])
        else:
            skeyseed = prf(h, skd['last'], b['DH'] + ni_nr)
        if skeyseed != b['SKEYSEED']:
            errors.append(f'IKE SA #{i}: SKEYSEED mismatch')
            continue
        # SPI pairs seen in generated headers (the rekeyed SA's pair is logged under its new uid)
        pairs = list(dict.fromkeys(p for k, v in spis.items() if isinstance(k, tuple) for p in v))
        names = ['Sk_d', 'Sk_ai', 'Sk_ar', 'Sk_ei', 'Sk_er', 'Sk_pi', 'Sk_pr']
        sizes = [len(b.get(k, b'')) for k in names]
        for a, c in pairs:
            km = prf_plus(h, skeyseed, ni_nr + a + c, sum(sizes))
            parts, off = {}, 0
            for k, n in zip(names, sizes):
                parts[k], off = km[off:off + n], off + n
            if all(parts[k] == b.get(k, b'') for k in names):
                break
        else:
            errors.append(f'IKE SA #{i}: Sk_* mismatch')
            continue
        skd['last'] = b['Sk_d']
        skd[i] = b['Sk_d']
        n_ike += 1
    n_child = 0
    for uid, seed, keys, nblocks in child:
        if nblocks == 0:
            errors.append('CHILD_SA keys before any IKE key block')
            continue
        _, b, h = blocks[nblocks - 1]
        order = ['encryption initiator key', 'integrity initiator key',
                 'encryption responder key', 'integrity responder key']
        sizes = [len(keys.get(k, b'')) for k in order]
        km = prf_plus(h, b['Sk_d'], seed, sum(sizes))
        off = 0
        for k, n in zip(order, sizes):
            if km[off:off + n] != keys.get(k, b''):
                errors.append(f'CHILD_SA seed {seed[:4].hex()}..: {k} mismatch')
            off += n
        n_child += 1
    if not blocks:
        errors.append('no IKE key blocks found')
    return n_ike, n_child, errors


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    n_ike, n_child, errs = main(sys.argv[1])
    for e in errs:
        print('FAIL:', e)
    if not errs:
        print(f'key derivation verified: {n_ike} IKE SA(s), {n_child} CHILD_SA key set(s)')
    sys.exit(1 if errs else 0)
