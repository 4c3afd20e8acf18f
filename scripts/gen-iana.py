#!/usr/bin/env python3
"""Generate harness/wire/src/iana/generated.rs from the IANA CSV tables in harness/wire/iana/.

Each registry becomes an open newtype (see `open_enum!` in harness/wire/src/iana/mod.rs): one
associated constant per assigned value, and a `name()` giving the display name. Constant names are
the IANA identifiers with the registry prefix removed (`ENCR_AES_CBC` -> `EncrId::AES_CBC`); registries
whose IANA names are descriptions ("2048-bit MODP Group") get identifiers from the tables below.

Usage: python3 scripts/gen-iana.py   (from the repository root)
"""
import csv
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "harness/wire/iana"
OUT = ROOT / "harness/wire/src/iana/generated.rs"

KE_NAMES = {
    0: "NONE", 1: "MODP_768", 2: "MODP_1024", 5: "MODP_1536", 14: "MODP_2048", 15: "MODP_3072",
    16: "MODP_4096", 17: "MODP_6144", 18: "MODP_8192", 19: "ECP_256", 20: "ECP_384", 21: "ECP_521",
    22: "MODP_1024_160", 23: "MODP_2048_224", 24: "MODP_2048_256", 25: "ECP_192", 26: "ECP_224",
    27: "BRAINPOOL_P224R1", 28: "BRAINPOOL_P256R1", 29: "BRAINPOOL_P384R1", 30: "BRAINPOOL_P512R1",
    31: "CURVE25519", 32: "CURVE448", 33: "GOST3410_2012_256", 34: "GOST3410_2012_512",
    35: "ML_KEM_512", 36: "ML_KEM_768", 37: "ML_KEM_1024",
}
AUTH_NAMES = {
    1: "RSA_SIGNATURE", 2: "SHARED_KEY_MIC", 3: "DSS_SIGNATURE", 9: "ECDSA_SHA256_P256",
    10: "ECDSA_SHA384_P384", 11: "ECDSA_SHA512_P521", 12: "GENERIC_SECURE_PASSWORD", 13: "NULL",
    14: "DIGITAL_SIGNATURE",
}
CERT_NAMES = {
    1: "PKCS7_X509", 2: "PGP", 3: "DNS_SIGNED_KEY", 4: "X509_SIGNATURE", 6: "KERBEROS_TOKEN",
    7: "CRL", 8: "ARL", 9: "SPKI", 10: "X509_ATTRIBUTE", 11: "RAW_RSA_KEY", 12: "HASH_AND_URL_X509",
    13: "HASH_AND_URL_X509_BUNDLE", 14: "OCSP_CONTENT", 15: "RAW_PUBLIC_KEY",
}
ESN_NAMES = {0: "NO_ESN", 1: "ESN", 2: "UNSPECIFIED_32"}
PAYLOAD_NAMES = {
    0: ("NONE", "NONE"), 33: ("SA", "SA"), 34: ("KE", "KE"), 35: ("IDI", "IDi"), 36: ("IDR", "IDr"),
    37: ("CERT", "CERT"), 38: ("CERTREQ", "CERTREQ"), 39: ("AUTH", "AUTH"), 40: ("NONCE", "Nonce"),
    41: ("NOTIFY", "Notify"), 42: ("DELETE", "Delete"), 43: ("VENDOR_ID", "VendorID"),
    44: ("TSI", "TSi"), 45: ("TSR", "TSr"), 46: ("SK", "SK"), 47: ("CP", "CP"), 48: ("EAP", "EAP"),
    49: ("GSPM", "GSPM"), 50: ("IDG", "IDg"), 51: ("GSA", "GSA"), 52: ("KD", "KD"), 53: ("SKF", "SKF"),
    54: ("PS", "PS"),
}
ATTR_NAMES = {14: "KEY_LENGTH", 18: "SIGNATURE_ALGORITHM_IDENTIFIER"}
GATEWAY_NAMES = {1: "IPV4", 2: "IPV6", 3: "FQDN"}
HASH_NAMES = {1: "SHA1", 2: "SHA2_256", 3: "SHA2_384", 4: "SHA2_512", 5: "IDENTITY",
              6: "STREEBOG_256", 7: "STREEBOG_512"}


def ident(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()
    return "_" + s if s[0].isdigit() else s


def strip(prefix):
    def f(value, name):
        n = ident(name)
        short = n[len(prefix):] if n.startswith(prefix) else n
        if short.startswith("3"):  # ENCR_3DES -> EncrId::TRIPLE_DES: identifiers can't start with a digit
            short = "TRIPLE_" + short[1:]
        return short, name
    return f


def table(mapping):
    def f(value, name):
        entry = mapping[value]
        if isinstance(entry, tuple):
            return entry
        return entry, entry
    return f


REGISTRIES = [
    # (csv, type, repr, doc, naming)
    ("exchange-types", "ExchangeType", "u8", "IKEv2 Exchange Types (RFC 7296 §3.1).", strip("")),
    ("payload-types", "PayloadType", "u8", "IKEv2 Payload Types (RFC 7296 §3.2).", table(PAYLOAD_NAMES)),
    ("transform-types", "TransformType", "u8", "Transform Type Values (RFC 7296 §3.3.2).", strip("")),
    ("encr-ids", "EncrId", "u16", "Transform Type 1: Encryption Algorithm Transform IDs.", strip("ENCR_")),
    ("prf-ids", "PrfId", "u16", "Transform Type 2: Pseudorandom Function Transform IDs.", strip("PRF_")),
    ("integ-ids", "IntegId", "u16", "Transform Type 3: Integrity Algorithm Transform IDs.", strip("AUTH_")),
    ("ke-method-ids", "KeMethod", "u16", "Transform Type 4: Key Exchange Method IDs (formerly Diffie-Hellman groups).", table(KE_NAMES)),
    ("esn-ids", "EsnId", "u16", "Transform Type 5: Sequence Numbers Transform IDs (formerly ESN).", table(ESN_NAMES)),
    ("transform-attribute-types", "TransformAttributeType", "u16", "IKEv2 Transform Attribute Types (without the AF bit).", table(ATTR_NAMES)),
    ("notify-types", "NotifyType", "u16", "Notify Message Types: errors below 16384, status from 16384 (RFC 7296 §3.10.1).", strip("")),
    ("id-types", "IdType", "u8", "IKEv2 Identification Payload ID Types (RFC 7296 §3.5).", strip("ID_")),
    ("ts-types", "TsType", "u8", "IKEv2 Traffic Selector Types (RFC 7296 §3.13.1).", strip("TS_")),
    ("cp-types", "CfgType", "u8", "IKEv2 Configuration Payload CFG Types (RFC 7296 §3.15).", strip("CFG_")),
    ("cp-attribute-types", "CpAttributeType", "u16", "IKEv2 Configuration Payload Attribute Types (RFC 7296 §3.15.1).", strip("")),
    ("auth-methods", "AuthMethod", "u8", "IKEv2 Authentication Methods (RFC 7296 §3.8, RFC 7427).", table(AUTH_NAMES)),
    ("cert-encodings", "CertEncoding", "u8", "IKEv2 Certificate Encodings (RFC 7296 §3.6).", table(CERT_NAMES)),
    ("hash-algorithms", "HashAlgorithm", "u16", "IKEv2 Hash Algorithms (RFC 7427 SIGNATURE_HASH_ALGORITHMS).", table(HASH_NAMES)),
    ("security-protocol-ids", "ProtocolId", "u8", "IKEv2 Security Protocol Identifiers (RFC 7296 §3.3.1).", strip("")),
    ("gateway-identity-types", "GatewayIdentityType", "u8", "IKEv2 Gateway Identity Types (RFC 5685 REDIRECT).", table(GATEWAY_NAMES)),
    ("ppk-id-types", "PpkIdType", "u8", "IKEv2 Post-quantum Preshared Key ID Types (RFC 8784).", strip("PPK_ID_")),
]


def main():
    out = [
        "// @generated by scripts/gen-iana.py from harness/wire/iana/*.csv. Do not edit by hand.",
        "",
    ]
    for csv_name, ty, repr_, doc, naming in REGISTRIES:
        with open(SRC / f"{csv_name}.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        out.append("open_enum! {")
        out.append(f"    /// {doc}")
        out.append(f"    {ty}({repr_}) {{")
        for row in rows:
            value = int(row["value"])
            const, display = naming(value, row["name"])
            ref = row["reference"].strip()
            out.append(f"        /// {row['name']} ({ref})".rstrip())
            out.append(f"        {const} = {value} => {display!r},".replace("'", '"'))
        out.append("    }")
        out.append("}")
        out.append("")
    OUT.write_text("\n".join(out))
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
