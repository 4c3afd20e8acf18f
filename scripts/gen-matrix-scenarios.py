#!/usr/bin/env python3
"""Writes the transform-matrix and identity-type scenarios (scenarios/rfc7296/3.3.2-transform-matrix,
scenarios/rfc7296/3.5-identification). One file per suite: both peers configured with exactly that
suite, the handshake must negotiate it, and pings through the CHILD_SA must come back — which also
proves both sides derived the same KEYMAT (RFC 7296 §2.17) for that ESP transform.

Rerun after changing the tables below; the files are checked in and reviewed like hand-written ones.
"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "scenarios" / "rfc7296"

# (IKE proposal, ESP proposal, note)
MATRIX = [
    ("aes128-sha256-modp2048", "aes128-sha256", "AES-CBC-128 with HMAC-SHA2-256 and MODP-2048 (the RFC 8247 MUST set)"),
    ("aes256-sha256-modp2048", "aes256-sha256", "AES-CBC-256 / HMAC-SHA2-256 / MODP-2048"),
    ("aes256-sha384-ecp384", "aes256-sha384", "AES-CBC-256 / HMAC-SHA2-384 / ECP-384"),
    ("aes256-sha512-ecp521", "aes256-sha512", "AES-CBC-256 / HMAC-SHA2-512 / ECP-521"),
    ("aes192-sha256-ecp256", "aes192-sha256", "AES-CBC-192 (Key Length 192) / ECP-256"),
    ("aes128-sha1-modp1024", "aes128-sha1", "legacy AES-CBC-128 / HMAC-SHA1 / MODP-1024 still interoperates"),
    ("3des-sha1-modp1024", "3des-sha1", "legacy 3DES / HMAC-SHA1 / MODP-1024 (RFC 8247: MAY/SHOULD NOT, still negotiable)"),
    ("aes128-sha256-modp3072", "aes128-sha256", "MODP-3072"),
    ("aes256-sha256-modp4096", "aes256-sha256", "MODP-4096"),
    ("aes128-sha256-x25519", "aes128-sha256", "Curve25519 (RFC 8031)"),
    ("aes256-sha384-x448", "aes256-sha384", "Curve448 (RFC 8031)"),
    ("aes128gcm16-prfsha256-ecp256", "aes128gcm16", "AES-GCM-128 with 16-octet ICV, no INTEG transform (RFC 5282)"),
    ("aes256gcm16-prfsha384-ecp384", "aes256gcm16", "AES-GCM-256/16 with PRF-HMAC-SHA2-384"),
    ("aes256gcm12-prfsha256-modp2048", "aes256gcm12", "AES-GCM-256 with 12-octet ICV"),
    ("aes128gcm8-prfsha256-ecp256", "aes128gcm8", "AES-GCM-128 with 8-octet ICV"),
    ("aes192gcm16-prfsha384-ecp384", "aes192gcm16", "AES-GCM-192"),
    ("chacha20poly1305-prfsha256-x25519", "chacha20poly1305", "ChaCha20-Poly1305 (RFC 7634)"),
    ("aes256gcm16-prfsha512-ecp521", "aes256gcm16", "AES-GCM-256 with PRF-HMAC-SHA2-512 and ECP-521"),
    ("aes256-sha256-ecp256", "aes128gcm16", "CBC for IKE, GCM for ESP"),
    ("aes128gcm16-prfsha256-x25519", "aes256-sha512", "GCM for IKE, CBC + HMAC-SHA2-512 for ESP"),
    ("aes256gcm16-prfsha256-ecp256", "aes256gcm16-esn", "extended sequence numbers (RFC 4304) negotiated"),
    ("aes256-sha256-modp2048", "aes256-sha256-modp2048", "PFS group in the CHILD proposal (only used by CREATE_CHILD_SA; IKE_AUTH omits it)"),
    ("aes128-sha256-prfsha384-ecp256", "aes128-sha256", "PRF differs from the integrity algorithm (prfsha384 with HMAC-SHA2-256)"),
    ("aes256-sha1-prfsha256-modp2048", "aes256-sha1", "PRF-HMAC-SHA2-256 with HMAC-SHA1-96 integrity"),
]

POSITIVE_CITES = [
    ("2.7", "The responder MUST choose a single suite, which may be any subset of the SA proposal.", "RFC7296-2.7-01"),
    ("2.7", "The accepted suite MUST contain exactly one transform of each type included in the proposal.", "RFC7296-2.7-04"),
    ("3.3.6", "Any attributes of a selected transform MUST be returned unmodified.", "RFC7296-3.3.6-02"),
    ("3.3.6", "The initiator of an exchange MUST check that the accepted offer is consistent with one of its proposals.", "RFC7296-3.3.6-03"),
    ("3.3.1", "The proposal number in the SA payload MUST match the number on the proposal sent that was accepted.", "RFC7296-3.3.1-01"),
    ("2.14", "SKEYSEED = prf(Ni | Nr, g^ir); the lengths of SK_d, SK_pi and SK_pr MUST be the preferred key length of the PRF.", "RFC7296-2.14-01"),
    ("2.17", "Child SA keys MUST be taken from the expanded KEYMAT, initiator-to-responder keys first.", "RFC7296-2.17-01"),
    ("2.17", "For ESP the encryption key MUST be taken from the first bits and the integrity key from the remaining bits.", "RFC7296-2.17-02"),
    ("3.4", "The KE Diffie-Hellman Group Num MUST match a Diffie-Hellman group specified in a proposal in the SA payload.", "RFC7296-3.4-02"),
    ("1.2", "Both parties in IKE_AUTH MUST verify that all signatures and MACs are computed correctly.", "RFC7296-1.2-02"),
]

def cites(extra):
    out = []
    for section, text, req in POSITIVE_CITES + extra:
        out.append(f'[[cites]]\nsection = "{section}"\ntext = "{text}"\nrequirement = "{req}"\n')
    return "\n".join(out)

def slug(s):
    return s.replace("_", "-")

def matrix():
    d = ROOT / "3.3.2-transform-matrix"
    d.mkdir(parents=True, exist_ok=True)
    for ike, esp, note in MATRIX:
        extra = []
        if "gcm" in ike or "chacha" in ike:
            extra.append(("3.3", "Combined-mode ciphers MUST either offer no integrity algorithm or a single integrity algorithm of none.", "RFC7296-3.3-04"))
        if ike.startswith(("aes128-", "aes192-", "aes256-", "aes128gcm", "aes192gcm", "aes256gcm")):
            extra.append(("2.13", "For variable-key-length algorithms a fixed key size MUST be specified in the negotiated transform.", "RFC7296-2.13-01"))
        if "modp" in ike:
            extra.append(("3.4", "For MODP groups the KE data length MUST be equal to the length of the prime modulus.", "RFC7296-3.4-01"))
        name = f"suite-{ike}--{esp}"
        esp_expect = esp if ("esn" in esp) else esp.split("-modp")[0] + "-noesn"
        body = f'''# Generated by scripts/gen-matrix-scenarios.py; edit the table there.
name = "{name}"
description = "Both peers offer only {ike} for IKE and {esp} for ESP: {note}. The handshake negotiates exactly that suite and ICMP echo crosses the CHILD_SA both ways."

{cites(extra)}
[initiator]
ike = ["{ike}"]
esp = ["{esp}"]

[responder]
ike = ["{ike}"]
esp = ["{esp}"]

[[steps]]
action = "connect"
until = "child_installed"
on = "initiator"
within = "30s"

[[steps]]
action = "ping"
by = "initiator"
count = 3
for = "2s"

[[steps]]
action = "ping"
by = "responder"
count = 2
for = "2s"

[expect]
sut_established = true
peer_established = true
sut_children = 1
ike_transforms = "{ike}"
esp_transforms = "{esp_expect}"
echo_replies = 5
sut_no_violations = true
'''
        (d / f"{name}.toml").write_text(body)

IDS = [
    ("fqdn", "client.example", "vpn.example", "ID_FQDN"),
    ("rfc822", "alice@client.example", "gw@vpn.example", "ID_RFC822_ADDR"),
    ("ipv4", "192.0.2.1", "198.51.100.1", "ID_IPV4_ADDR"),
    ("ipv6", "2001:db8::1", "2001:db8:1::1", "ID_IPV6_ADDR"),
    ("keyid", "keyid:#0102030405", "keyid:#a0b0c0", "ID_KEY_ID"),
    ("dn", "C=XX, O=ikelab, CN=client", "C=XX, O=ikelab, CN=gw", "ID_DER_ASN1_DN"),
]

def identities():
    d = ROOT / "3.5-identification"
    d.mkdir(parents=True, exist_ok=True)
    for tag, ci, ri, kind in IDS:
        name = f"id-type-{tag}"
        body = f'''# Generated by scripts/gen-matrix-scenarios.py; edit the table there.
name = "{name}"
description = "PSK authentication with {kind} identities on both sides ({ci} and {ri}): sent, matched against policy and accepted."

[[cites]]
section = "3.5"
text = "Implementations MUST be configurable to send at least one of ID_IPV4_ADDR, ID_FQDN, ID_RFC822_ADDR, or ID_KEY_ID."
requirement = "RFC7296-3.5-03"

[[cites]]
section = "3.5"
text = "Implementations MUST be configurable to accept all of these four types."
requirement = "RFC7296-3.5-04"

[[cites]]
section = "3.5"
text = "Implementations SHOULD be capable of generating and accepting all of these types."
requirement = "RFC7296-3.5-05"

[[cites]]
section = "1.2"
text = "With shared-secret authentication, the names in the ID payload MUST correspond to the key used to generate the AUTH payload."
requirement = "RFC7296-1.2-03"

[initiator]
id = "{ci}"
remote_id = "{ri}"

[responder]
id = "{ri}"
remote_id = "{ci}"

[expect]
sut_established = true
peer_established = true
sut_children = 1
sut_no_violations = true
'''
        if tag == "ipv6":
            body = body.replace('requirement = "RFC7296-3.5-05"', 'requirement = "RFC7296-3.5-05"\n\n[[cites]]\nsection = "3.5"\ntext = "IPv6-capable implementations MUST additionally be configurable to accept ID_IPV6_ADDR."\nrequirement = "RFC7296-3.5-06"')
        (d / f"{name}.toml").write_text(body)

if __name__ == "__main__":
    matrix()
    identities()
