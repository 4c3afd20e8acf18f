#!/usr/bin/env python3
"""Generate the Rust key table of ikelab-profile from Apple's device-management YAML.

Input : harness/profile/schema/apple/*.yaml (copied from apple/device-management, MIT; see SOURCE.md there)
Output: harness/profile/src/schema/table.rs (checked in; the build never runs this script)

Rerun after changing the YAML copies (Python 3.11 + PyYAML):

    python3 scripts/gen_profile_schema.py

`cargo test -p ikelab-profile` fails (test `schema_table_is_fresh`) when the YAML changed but the
table was not regenerated: the table records a SHA-256 over the YAML files.
"""

from __future__ import annotations

import hashlib
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "harness/profile/schema/apple"
OUT = ROOT / "harness/profile/src/schema/table.rs"

TYPES = {
    "<string>": "String",
    "<integer>": "Integer",
    "<real>": "Real",
    "<boolean>": "Boolean",
    "<date>": "Date",
    "<data>": "Data",
    "<array>": "Array",
    "<dictionary>": "Dictionary",
    "<any>": "Any",
}
OSES = {"iOS": "Ios", "macOS": "MacOs", "tvOS": "TvOs", "visionOS": "VisionOs", "watchOS": "WatchOs"}


def digest(files: list[pathlib.Path]) -> str:
    """SHA-256 over (name, NUL, bytes, NUL) of every YAML file in name order; mirrored in the Rust test."""
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def rs_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def summary(content: object) -> str:
    """First sentence of the prose, for help lines."""
    if not isinstance(content, str):
        return ""
    text = " ".join(content.split())
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    first = m.group(1) if m else text
    if len(first) > 200:
        first = first[:197].rstrip() + "..."
    return first


def lit(v: object, ty: str) -> str:
    if isinstance(v, bool):
        return f"Lit::Bool({'true' if v else 'false'})"
    if isinstance(v, int):
        if ty == "Real":
            return f"Lit::Real({float(v)!r})"
        return f"Lit::Int({v})"
    if isinstance(v, float):
        return f"Lit::Real({v!r})"
    if isinstance(v, str):
        return f"Lit::Str({rs_str(v)})"
    raise SystemExit(f"unsupported literal {v!r}")


def ver(v: object) -> str:
    if v is None:
        return "Avail::Unset"
    s = str(v)
    if s == "n/a":
        return "Avail::NotAvailable"
    parts = [int(p) for p in s.split(".")]
    while len(parts) < 3:
        parts.append(0)
    if len(parts) != 3:
        raise SystemExit(f"bad version {v!r}")
    return f"Avail::Ver(Ver({parts[0]}, {parts[1]}, {parts[2]}))"


def os_rules(sup: object, ind: str) -> str:
    if not sup:
        return "&[]"
    out = []
    for name, fields in sup.items():
        if name not in OSES:
            raise SystemExit(f"unknown OS {name}")
        fields = fields or {}
        out.append(
            f"{ind}    OsRule {{ os: Os::{OSES[name]}, introduced: {ver(fields.get('introduced'))}, "
            f"deprecated: {ver(fields.get('deprecated'))}, removed: {ver(fields.get('removed'))} }},"
        )
    return "&[\n" + "\n".join(out) + f"\n{ind}]"


def key_def(k: dict, ind: str) -> str:
    ty = TYPES[k["type"]]
    presence = {"required": "Required", "optional": "Optional", None: "Item"}[k.get("presence")]
    rl = k.get("rangelist") or []
    rangelist = "&[" + ", ".join(lit(v, ty) for v in rl) + "]"
    rng = k.get("range") or {}
    for bound in rng.values():
        if not isinstance(bound, int):
            raise SystemExit(f"non-integer range on {k['key']}")
    rep = k.get("repetition") or {}
    default = k.get("default")
    fmt = k.get("format")
    subs = k.get("subkeys") or []
    if subs:
        sub = "&[\n" + "".join(key_def(s, ind + "        ") for s in subs) + f"{ind}    ]"
    else:
        sub = "&[]"
    i2 = ind + "    "
    return (
        f"{ind}KeyDef {{\n"
        f"{i2}name: {rs_str(k['key'])},\n"
        f"{i2}ty: Ty::{ty},\n"
        f"{i2}presence: Presence::{presence},\n"
        f"{i2}rangelist: {rangelist},\n"
        f"{i2}min: {('Some(' + str(rng['min']) + ')') if 'min' in rng else 'None'},\n"
        f"{i2}max: {('Some(' + str(rng['max']) + ')') if 'max' in rng else 'None'},\n"
        f"{i2}default: {('Some(' + lit(default, ty) + ')') if default is not None else 'None'},\n"
        f"{i2}format: {('Some(' + rs_str(fmt) + ')') if fmt else 'None'},\n"
        f"{i2}rep_min: {('Some(' + str(rep['min']) + ')') if 'min' in rep else 'None'},\n"
        f"{i2}rep_max: {('Some(' + str(rep['max']) + ')') if 'max' in rep else 'None'},\n"
        f"{i2}os: {os_rules(k.get('supportedOS'), i2)},\n"
        f"{i2}subkeys: {sub},\n"
        f"{i2}summary: {rs_str(summary(k.get('content')))},\n"
        f"{ind}}},\n"
    )


def main() -> int:
    files = sorted(SRC.glob("*.yaml"), key=lambda p: p.name)
    if not files:
        print(f"no YAML files in {SRC}", file=sys.stderr)
        return 1
    out = [
        "// @generated by scripts/gen_profile_schema.py from harness/profile/schema/apple/*.yaml.",
        "// Do not edit by hand: rerun `python3 scripts/gen_profile_schema.py`.",
        "// Data: Apple device-management schema (MIT, Copyright 2022-2024 Apple Inc.; see schema/apple/LICENSE).",
        "",
        "use super::{Avail, KeyDef, Lit, Os, OsRule, PayloadSchema, Presence, Ty, Ver};",
        "",
        "/// SHA-256 over the YAML sources (see `digest()` in the generator).",
        f"pub const SOURCE_DIGEST: &str = {rs_str(digest(files))};",
        "",
        "/// One entry per YAML file, in file-name order.",
        "pub static PAYLOADS: &[PayloadSchema] = &[",
    ]
    for f in files:
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        p = doc["payload"]
        keys = "".join(key_def(k, "            ") for k in doc.get("payloadkeys") or [])
        out.append("    PayloadSchema {")
        out.append(f"        payload_type: {rs_str(p['payloadtype'])},")
        out.append(f"        title: {rs_str(doc.get('title', ''))},")
        out.append(f"        file: {rs_str(f.name)},")
        out.append(f"        os: {os_rules(p.get('supportedOS'), '        ')},")
        out.append("        keys: &[\n" + keys + "        ],")
        out.append("    },")
    out.append("];")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(files)} payload schemas)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
