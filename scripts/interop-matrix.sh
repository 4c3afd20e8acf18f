#!/bin/bash
# Interop matrix from the logs of the interop scripts: one Markdown table row per script (peer
# implementation, PASS / FAIL / XFAIL counts) and, below it, every check with its result, so a
# QA team reads one page instead of ten logs. Expected failures keep the reason the
# expected-failures file gives them.
#
# Usage: interop-matrix.sh LOG_DIR [OUT.md]   (LOG_DIR holds NAME.log, one per script run;
#                                             .ci/run writes them to target/interop-logs)
# Exit: 0 when written (whatever the results), 2 when LOG_DIR has no log.
set -euo pipefail
dir=${1:?usage: interop-matrix.sh LOG_DIR [OUT.md]}
out=${2:-/dev/stdout}
shopt -s nullglob
logs=("$dir"/*.log)
[ ${#logs[@]} -gt 0 ] || { echo "interop-matrix: no *.log in $dir" >&2; exit 2; }

peer() { # the implementation a script tests against, from its name
  case "$1" in
    libreswan*) echo "libreswan (pluto)" ;;
    lowered*) echo "strongSwan (charon), lowered profiles" ;;
    strongswan*) echo "strongSwan (charon)" ;;
    *) echo "$1" ;;
  esac
}

{
  echo "# Interop matrix"
  echo
  echo "Generated $(date -u +%Y-%m-%dT%H:%MZ) from ${#logs[@]} interop logs in \`$dir\`."
  echo "XFAIL: a check listed in \`harness/udp/interop/expected-failures\` that failed for the listed reason."
  echo
  echo "| script | peer | PASS | FAIL | XFAIL | result |"
  echo "|---|---|---:|---:|---:|---|"
  for log in "${logs[@]}"; do
    name=$(basename "$log" .log)
    p=$(grep -c '^PASS: ' "$log" || true)
    f=$(grep -c '^FAIL: ' "$log" || true)
    x=$(grep -c '^XFAIL: ' "$log" || true)
    if grep -q 'SKIPPED' "$log"; then result="skipped: $(grep -m1 -o 'SKIPPED.*' "$log" | sed 's/#*$//')"
    elif [ "$f" -gt 0 ]; then result="**failed**"
    elif [ "$p" -eq 0 ]; then result="no checks ran"
    else result="passed"
    fi
    echo "| $name | $(peer "$name") | $p | $f | $x | $result |"
  done
  for log in "${logs[@]}"; do
    echo
    echo "## $(basename "$log" .log)"
    echo
    # Markdown-safe: pipes in messages would split table cells, so this is a list.
    grep -E '^(PASS|FAIL|XFAIL): ' "$log" | sed -E 's/^(PASS|FAIL|XFAIL): /- **\1** /' || echo "- (no checks)"
  done
} > "$out"
