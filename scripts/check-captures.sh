#!/bin/bash
# Verify every capture folder under DIR (default corpora/captures) with tshark and the charon
# logs (see scripts/interop/check-capture.py). Exits non-zero if any folder fails.
# Needs tshark (4.0) and python3; no root, no network.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-$HERE/../corpora/captures}
rc=0; n=0
for d in "$DIR"/*/; do
  [ -d "$d" ] || continue
  n=$((n + 1))
  python3 "$HERE/interop/check-capture.py" "$d" || rc=1
done
[ "$n" -gt 0 ] || { echo "no capture folders in $DIR" >&2; exit 1; }
[ "$rc" = 0 ] && echo "all $n capture folders OK" || echo "some capture folders FAILED" >&2
exit "$rc"
