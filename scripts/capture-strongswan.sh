#!/bin/bash
# Regenerate every strongSwan capture under OUTDIR (normally corpora/captures):
# one folder per scenario in scripts/interop/scenarios (see scripts/interop/capture.sh).
# Needs root (network namespaces), strongSwan 5.9.8 (charon-systemd, swanctl, pki,
# libcharon-extra-plugins for kernel-libipsec), dumpcap/tshark, nftables (natt-keepalive only).
# Usage: sudo scripts/capture-strongswan.sh OUTDIR [SCENARIO...]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: capture-strongswan.sh OUTDIR [SCENARIO...]}
shift
if [ $# -gt 0 ]; then
  SCENARIOS=("$@")
else
  SCENARIOS=()
  for d in "$HERE"/interop/scenarios/*/; do SCENARIOS+=("$(basename "$d")"); done
fi
fail=()
for s in "${SCENARIOS[@]}"; do
  echo "== $s"
  # each scenario runs in its own process: its EXIT trap removes namespaces and daemons
  if ! timeout 180 "$HERE/interop/capture.sh" "$s" "$OUT/$s"; then
    echo "== $s FAILED" >&2
    fail+=("$s")
  fi
done
if [ ${#fail[@]} -gt 0 ]; then
  echo "failed scenarios: ${fail[*]}" >&2
  exit 1
fi
echo "all ${#SCENARIOS[@]} captures written to $OUT"
