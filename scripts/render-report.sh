#!/usr/bin/env bash
# Render REPORT_DIR/report.html in headless Chromium: a PNG screenshot to OUT.png, and a check
# that the page's DOM holds the message ladder SVGs (<svg class="ladder">) for every run with a
# trace. Usage: scripts/render-report.sh REPORT_DIR OUT.png [WIDTHxHEIGHT]
# Needs chromium (apt-get install chromium). No network: the page is self-contained.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 REPORT_DIR OUT.png [WIDTHxHEIGHT]" >&2; exit 2; }
DIR=$1; OUT=$2; SIZE=${3:-1400x3000}
HTML=$(cd "$DIR" && pwd)/report.html
[ -f "$HTML" ] || { echo "no report.html in $DIR" >&2; exit 2; }
BROWSER=$(command -v chromium || command -v chromium-browser || true)
[ -n "$BROWSER" ] || { echo "chromium not installed (apt-get install chromium)" >&2; exit 2; }
PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT
FLAGS=(--headless --no-sandbox --disable-gpu --disable-background-networking
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars
  --user-data-dir="$PROFILE" --virtual-time-budget=2000)
OUT_ABS=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
rm -f "$OUT_ABS"
"$BROWSER" "${FLAGS[@]}" --screenshot="$OUT_ABS" --window-size="${SIZE/x/,}" "file://$HTML" \
  >"$PROFILE/shot.log" 2>&1 || { cat "$PROFILE/shot.log" >&2; echo "chromium screenshot failed" >&2; exit 1; }
[ -s "$OUT_ABS" ] || { cat "$PROFILE/shot.log" >&2; echo "no screenshot written" >&2; exit 1; }

# The DOM as Chromium parsed it: ladders present, and as many as the page's runs with a trace
# (a run without datagrams says so instead of drawing one).
DOM=$("$BROWSER" "${FLAGS[@]}" --dump-dom "file://$HTML" 2>"$PROFILE/dom.log") \
  || { cat "$PROFILE/dom.log" >&2; echo "chromium --dump-dom failed" >&2; exit 1; }
count() { { grep -oE "$1" <<<"$DOM" || true; } | wc -l; }
runs=$(count '<details class="run ')
ladders=$(count '<svg class="ladder"')
empty=$(count 'No datagrams were exchanged')
arrows=$(count '<(line|path) class="(ike|esp)')
echo "report.html: $runs runs, $ladders ladder SVGs ($arrows arrows), $empty runs without datagrams; screenshot $OUT"
if [ "$runs" -eq 0 ] || [ "$ladders" -eq 0 ] || [ $((ladders + empty)) -ne "$runs" ] || [ "$arrows" -eq 0 ]; then
  echo "FAIL: ladder diagrams missing from the rendered DOM" >&2
  exit 1
fi
echo "OK"
