#!/usr/bin/env python3
"""Validate an RFC requirements catalogue (scenarios/requirements/*.toml).

Checks: unique ids, id = "RFC7296-<section>-<NN>" matching `section`, allowed keyword /
applies_to / source values, required fields present and typed, text <= 200 characters,
testable entries carry `how`, non-testable ones carry `why_not`, tahi groups known,
entries in section order. Prints counts per section and keyword and the number of
testable requirements. Exit status: 0 clean, 1 problems found, 2 unusable input.

Usage: scripts/check-requirements.py [FILE ...]   (default: scenarios/requirements/rfc7296.toml)
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

KEYWORDS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY", "REQUIRED", "SHALL")
ROLES = {"initiator", "responder", "sender", "receiver"}
SOURCES = {"rfc5996-text", "rfc7296-delta"}
TAHI = {"1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.9", "1.2", "1.3"}
FIELDS = {
    "id": str,
    "section": str,
    "keyword": str,
    "applies_to": list,
    "text": str,
    "testable": bool,
    "how": str,
    "why_not": str,
    "tahi": str,
    "source": str,
}
REQUIRED = ("id", "section", "keyword", "applies_to", "text", "testable", "source")
SECTION_RE = re.compile(r"^[1-9][0-9]*(\.[1-9][0-9]*)*$")
ID_RE = re.compile(r"^RFC7296-(?P<section>[0-9.]+)-(?P<num>[0-9]{2,})$")
MAX_TEXT = 200

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "requirements" / "rfc7296.toml"


def section_key(section: str) -> tuple[int, ...]:
    return tuple(int(part) for part in section.split("."))


def check(path: Path) -> tuple[list[str], list[dict]]:
    """Return (problems, requirements) for one catalogue file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    problems: list[str] = []
    extra_top = set(data) - {"requirement"}
    if extra_top:
        problems.append(f"{path}: unknown top-level keys {sorted(extra_top)}")
    reqs = data.get("requirement")
    if not isinstance(reqs, list) or not reqs:
        problems.append(f"{path}: no [[requirement]] entries")
        return problems, []

    seen: dict[str, int] = {}
    numbers: dict[str, list[int]] = {}
    prev_section: tuple[int, ...] | None = None
    for index, req in enumerate(reqs, start=1):
        where = f"{path.name} entry #{index} ({req.get('id', '<no id>')})"
        for name in set(req) - set(FIELDS):
            problems.append(f"{where}: unknown field '{name}'")
        for name in REQUIRED:
            if name not in req:
                problems.append(f"{where}: missing field '{name}'")
        for name, typ in FIELDS.items():
            if name in req and not isinstance(req[name], typ):
                problems.append(f"{where}: field '{name}' must be {typ.__name__}")
        if any(p.startswith(where) and ("missing" in p or "must be" in p) for p in problems):
            continue

        rid, section = req["id"], req["section"]
        if rid in seen:
            problems.append(f"{where}: duplicate id (first at entry #{seen[rid]})")
        else:
            seen[rid] = index
        if not SECTION_RE.match(section):
            problems.append(f"{where}: malformed section '{section}'")
        else:
            key = section_key(section)
            if prev_section is not None and key < prev_section:
                problems.append(f"{where}: section {section} is out of order")
            prev_section = key
        m = ID_RE.match(rid)
        if not m:
            problems.append(f"{where}: id must look like RFC7296-<section>-<NN>")
        elif m.group("section") != section:
            problems.append(f"{where}: id section '{m.group('section')}' != section '{section}'")
        else:
            num = int(m.group("num"))
            if num == 0:
                problems.append(f"{where}: running number starts at 01")
            numbers.setdefault(section, []).append(num)

        if req["keyword"] not in KEYWORDS:
            problems.append(f"{where}: keyword '{req['keyword']}' not in {KEYWORDS}")
        roles = req["applies_to"]
        if not roles:
            problems.append(f"{where}: applies_to is empty")
        for role in roles:
            if role not in ROLES:
                problems.append(f"{where}: applies_to value '{role}' not in {sorted(ROLES)}")
        if len(set(roles)) != len(roles):
            problems.append(f"{where}: applies_to has duplicates")
        text = req["text"].strip()
        if not text:
            problems.append(f"{where}: empty text")
        elif len(text) > MAX_TEXT:
            problems.append(f"{where}: text is {len(text)} chars (max {MAX_TEXT})")
        how = req.get("how", "").strip()
        why_not = req.get("why_not", "").strip()
        if req["testable"]:
            if not how:
                problems.append(f"{where}: testable entry needs 'how'")
            if why_not:
                problems.append(f"{where}: testable entry must not carry 'why_not'")
        else:
            if not why_not:
                problems.append(f"{where}: non-testable entry needs 'why_not'")
            if how:
                problems.append(f"{where}: non-testable entry must not carry 'how'")
        tahi = req.get("tahi", "")
        if tahi and tahi not in TAHI:
            problems.append(f"{where}: tahi group '{tahi}' not in {sorted(TAHI)}")
        if req["source"] not in SOURCES:
            problems.append(f"{where}: source '{req['source']}' not in {sorted(SOURCES)}")

    for section, nums in numbers.items():
        if len(set(nums)) != len(nums):
            problems.append(f"{path.name}: section {section} repeats a running number")
        if nums != sorted(nums):
            problems.append(f"{path.name}: section {section} numbers are not ascending")
    return problems, reqs


def report(path: Path, reqs: list[dict]) -> None:
    testable = [r for r in reqs if r.get("testable") is True]
    print(f"{path}: {len(reqs)} requirements, {len(testable)} testable "
          f"({100 * len(testable) / len(reqs):.1f} %)")
    per_kw = Counter(r["keyword"] for r in reqs)
    per_kw_t = Counter(r["keyword"] for r in testable)
    print("by keyword (total / testable):")
    for kw in KEYWORDS:
        if per_kw[kw]:
            print(f"  {kw:<11} {per_kw[kw]:>4} / {per_kw_t[kw]:>4}")
    per_sec = Counter(r["section"] for r in reqs)
    per_sec_t = Counter(r["section"] for r in testable)
    print(f"by section ({len(per_sec)} sections; total / testable):")
    for sec in sorted(per_sec, key=section_key):
        print(f"  {sec:<8} {per_sec[sec]:>3} / {per_sec_t[sec]:>3}")
    per_src = Counter(r["source"] for r in reqs)
    print("by source: " + ", ".join(f"{k} {v}" for k, v in sorted(per_src.items())))
    per_tahi = Counter(r.get("tahi") or "-" for r in reqs)
    print("by TAHI group: " + ", ".join(f"{k} {v}" for k, v in sorted(per_tahi.items())))


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv[1:]] or [DEFAULT]
    status = 0
    for path in paths:
        try:
            problems, reqs = check(path)
        except OSError as err:
            print(f"{path}: cannot read: {err}", file=sys.stderr)
            return 2
        except tomllib.TOMLDecodeError as err:
            print(f"{path}: invalid TOML: {err}", file=sys.stderr)
            return 2
        if reqs:
            report(path, reqs)
        for problem in problems:
            print(f"PROBLEM: {problem}", file=sys.stderr)
        if problems:
            print(f"{path}: {len(problems)} problem(s)", file=sys.stderr)
            status = 1
        else:
            print(f"{path}: OK")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
