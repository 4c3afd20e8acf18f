#!/usr/bin/env python3
"""Check one capture folder (corpora/captures/NAME); exit 1 on any failure.
  1. expected files present, capture < 100 KB;
  2. tshark -V (no keys) dissects every frame without "Malformed" or error expert info;
  3. the key tables are re-derived from the trimmed charon logs and equal the stored ones, the
     logs contain DH secret, SKEYSEED, Sk_* and nonces, and verify-key-derivation.py recomputes
     SKEYSEED, Sk_* and CHILD_SA keys from them byte for byte;
  4. with the key tables (copied into a temporary WIRESHARK_CONFIG_DIR): every SK/SKF payload is
     decrypted with "Integrity Checksum Data ... [correct]", every ESP packet has "ESP ICV ... [correct]"
     and decrypted data. Skipped for ChaCha20-Poly1305, which tshark 4.0 cannot decrypt.
Usage: check-capture.py DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def tshark_v(cap, confdir=None):
    env = dict(os.environ)
    cmd = ['tshark', '-r', cap, '-V']
    if confdir:
        env['WIRESHARK_CONFIG_DIR'] = confdir
        cmd += ['-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE']
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    err = [l for l in p.stderr.splitlines() if 'Running as user' not in l and l.strip()]
    if p.returncode != 0 or err:
        raise SystemExit(f'tshark failed on {cap}: {p.returncode} {err}')
    return re.split(r'(?m)^(?=Frame \d+: )', p.stdout)[1:]


def main(d):
    name = os.path.basename(os.path.normpath(d))
    errors = []
    caps = [f for f in ('capture.pcap', 'capture.pcapng') if os.path.exists(os.path.join(d, f))]
    if len(caps) != 1:
        return [f'expected exactly one capture.pcap or capture.pcapng, found {caps}']
    cap = os.path.join(d, caps[0])
    for f in ('ikev2_decryption_table', 'esp_sa', 'charon-ini.log', 'charon-resp.log', 'README.md',
              'swanctl-ini.conf', 'swanctl-resp.conf'):
        if not os.path.exists(os.path.join(d, f)):
            errors.append(f'missing {f}')
    if os.path.getsize(cap) >= 100 * 1024:
        errors.append(f'{caps[0]} is {os.path.getsize(cap)} bytes (>= 100 KB)')
    if errors:
        return errors

    frames = tshark_v(cap)
    for i, fr in enumerate(frames, 1):
        if 'Malformed' in fr or re.search(r'Expert Info \(Error', fr):
            errors.append(f'frame {i}: malformed/error without keys')

    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run([sys.executable, os.path.join(HERE, 'charon-keys-to-wireshark.py'),
                            os.path.join(d, 'charon-ini.log'), os.path.join(d, 'charon-resp.log'), tmp],
                           capture_output=True, text=True)
        if p.returncode != 0:
            errors.append(f'key tables cannot be re-derived from the trimmed logs: {p.stderr.strip()}')
        else:
            for f in ('ikev2_decryption_table', 'esp_sa'):
                if open(os.path.join(tmp, f)).read() != open(os.path.join(d, f)).read():
                    errors.append(f'{f} differs from the one derived from the trimmed logs')
    p = subprocess.run([sys.executable, os.path.join(HERE, 'verify-key-derivation.py'),
                        os.path.join(d, 'charon-ini.log')], capture_output=True, text=True)
    if p.returncode != 0:
        errors.append(f'key derivation from charon-ini.log: {(p.stdout + p.stderr).strip()}')
    derivation = p.stdout.strip()
    for log in ('charon-ini.log', 'charon-resp.log'):
        text = open(os.path.join(d, log)).read()
        for needle in ('shared Diffie Hellman secret =>', 'SKEYSEED =>', 'Sk_d secret =>',
                       'Sk_ei secret =>', 'Sk_er secret =>', 'Sk_pi secret =>', 'Sk_pr secret =>',
                       'rule 10 CHUNK_DATA', 'rule 0 IKE_SPI', 'encryption initiator key =>'):
            if needle not in text:
                errors.append(f'{log}: no "{needle}"')

    table = open(os.path.join(d, 'ikev2_decryption_table')).read()
    n_ike = n_esp = 0
    if 'CHACHA20-POLY1305' in table:
        print(f'{name}: ChaCha20-Poly1305: tshark cannot decrypt, decryption check skipped')
    else:
        with tempfile.TemporaryDirectory() as conf:
            for f in ('ikev2_decryption_table', 'esp_sa'):
                shutil.copy(os.path.join(d, f), conf)
            for i, fr in enumerate(tshark_v(cap, conf), 1):
                if 'Malformed' in fr or '[incorrect' in fr or re.search(r'Expert Info \(Error', fr):
                    errors.append(f'frame {i}: malformed/incorrect with keys')
                n_sk = len(re.findall(r'^    Payload: Encrypted and Authenticated (?:Fragment )?\(\d+\)', fr, re.M))
                if n_sk:
                    n_ike += 1
                    if len(re.findall(r'Integrity Checksum Data: .*\[correct\]', fr)) != n_sk \
                            or 'Decrypted Data' not in fr:
                        errors.append(f'frame {i}: SK/SKF payload not decrypted/verified')
                if re.search(r'^Encapsulating Security Payload$', fr, re.M):
                    n_esp += 1
                    if not re.search(r'ESP ICV: .*\[correct\]', fr) or 'ESP Decrypted Data' not in fr:
                        errors.append(f'frame {i}: ESP not decrypted/verified')
    if not errors:
        print(f'{name}: OK ({len(frames)} frames; {n_ike} encrypted IKE and {n_esp} ESP frames '
              f'decrypted with [correct] ICV; {derivation})')
    return errors


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    errs = main(sys.argv[1])
    for e in errs:
        print(f'{os.path.basename(os.path.normpath(sys.argv[1]))}: FAIL: {e}')
    sys.exit(1 if errs else 0)
