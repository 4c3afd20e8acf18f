#!/usr/bin/env bash
# Check the pcaps of an `ikelab run --report DIR` run with tshark: every frame dissects without
# "Malformed" or error-level expert info, and with the key tables written beside each pcap every
# encrypted IKE message decrypts with integrity "[correct]" and every ESP packet's ICV is
# "[correct]". Frames a scenario fault changed on purpose (trace entries with `fault`) are exempt.
# Usage: scripts/check-report-pcaps.sh REPORT_DIR [N]   (N: check an evenly spread sample of N
# pcaps; default all). Reads REPORT_DIR/summary.json for the pcaps, key tables and faults.
# Needs tshark and python3. Exit 0 all checked pcaps OK, 1 a check failed, 2 unusable input.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 REPORT_DIR [N]" >&2; exit 2; }
DIR=$1; N=${2:-0}
SUMMARY=$DIR/summary.json
[ -f "$SUMMARY" ] || { echo "no summary.json in $DIR" >&2; exit 2; }
command -v tshark >/dev/null || { echo "tshark not installed (apt-get install tshark)" >&2; exit 2; }

# One line per run with a pcap: name::role <TAB> pcap <TAB> key tables (comma-separated)
# <TAB> frames a fault changed (1-based, comma-separated). Frame i is trace entry i-1: the
# simulator writes every datagram it sent, dropped ones included, in trace order.
LIST=$(python3 - "$SUMMARY" "$N" <<'PY'
import json, sys
suite = json.load(open(sys.argv[1]))
runs = [s for s in suite["scenarios"] if s.get("pcap")]
n = int(sys.argv[2])
if 0 < n < len(runs):
    runs = [runs[i * len(runs) // n] for i in range(n)]
for s in runs:
    faulted = [str(i + 1) for i, e in enumerate(s["trace"]) if e.get("fault")]
    print("\t".join([f'{s["name"]}::{s["role"]}', s["pcap"], ",".join(s["key_tables"]), ",".join(faulted)]))
PY
)
[ -n "$LIST" ] || { echo "summary.json lists no pcaps (was the run made with --no-pcap?)" >&2; exit 2; }

rc=0; checked=0; frames_total=0; sk_total=0; esp_total=0
while IFS=$'\t' read -r test pcap tables faulted; do
  checked=$((checked + 1))
  path=$DIR/$pcap
  if [ ! -f "$path" ]; then echo "FAIL $test: $pcap missing"; rc=1; continue; fi
  conf=$(mktemp -d)
  decrypt=yes
  IFS=',' read -r -a tabs <<<"$tables"
  for t in "${tabs[@]}"; do
    [ -n "$t" ] || continue
    [ -f "$DIR/$t" ] || { echo "FAIL $test: key table $t missing"; rc=1; continue; }
    case $(basename "$t") in
      *ikev2_decryption_table*) cp "$DIR/$t" "$conf/ikev2_decryption_table" ;;
      *esp_sa*) cp "$DIR/$t" "$conf/esp_sa" ;;
    esac
  done
  [ -f "$conf/ikev2_decryption_table" ] || decrypt=no
  # tshark 4.0 has no ChaCha20-Poly1305 for IKE or ESP: dissection only.
  if grep -qs "CHACHA20-POLY1305" "$conf/ikev2_decryption_table" "$conf/esp_sa"; then decrypt=chacha; rm -f "$conf"/*; fi
  out=$(WIRESHARK_CONFIG_DIR=$conf tshark -r "$path" -V \
        -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE 2>"$conf/stderr") \
    || { echo "FAIL $test: tshark failed: $(cat "$conf/stderr")"; rc=1; rm -rf "$conf"; continue; }
  err=$(grep -v "Running as user" "$conf/stderr" | grep -v '^\s*$' || true)
  rm -rf "$conf"
  if [ -n "$err" ]; then echo "FAIL $test: tshark complained: $err"; rc=1; continue; fi
  # Per frame: number, problems. An SK/SKF payload must have its "[correct]" checksum, an ESP
  # packet its "[correct]" ICV (only when the tables allow decryption).
  report=$(awk -v decrypt="$decrypt" -v faulted=",$faulted," '
    function flush() {
      if (frame == "") return
      nframes++
      if (index(faulted, "," frame ",")) { exempt++; return }
      p = ""
      if (malformed) p = p " malformed"
      if (experr) p = p " expert-error"
      if (incorrect) p = p " [incorrect]"
      if (decrypt == "yes" && nsk > 0 && ncorrect != nsk) p = p " SK-not-verified(" ncorrect "/" nsk ")"
      if (decrypt == "yes" && esp && !espok) p = p " ESP-not-verified"
      if (p != "") print "frame " frame ":" p
      sk += nsk; espn += esp
    }
    /^Frame [0-9]+: / { flush(); frame = $2; sub(":", "", frame)
      malformed = experr = incorrect = nsk = ncorrect = esp = espok = 0; next }
    /Malformed/ { malformed = 1 }
    /Expert Info \(Error/ { experr = 1 }
    /\[incorrect/ { incorrect = 1 }
    /^    Payload: Encrypted and Authenticated (Fragment )?\([0-9]+\)/ { nsk++ }
    /Integrity Checksum Data: .*\[correct\]/ { ncorrect++ }
    /^Encapsulating Security Payload$/ { esp = 1 }
    /ESP ICV: .*\[correct\]/ { espok = 1 }
    END { flush(); print "#stats " nframes+0 " " sk+0 " " espn+0 " " exempt+0 }
  ' <<<"$out")
  stats=$(grep '^#stats' <<<"$report"); problems=$(grep -v '^#stats' <<<"$report" || true)
  read -r _ nframes nsk nesp nexempt <<<"$stats"
  frames_total=$((frames_total + nframes))
  [ "$decrypt" = yes ] && { sk_total=$((sk_total + nsk)); esp_total=$((esp_total + nesp)); }
  if [ -n "$problems" ]; then
    echo "FAIL $test ($pcap):"; sed 's/^/  /' <<<"$problems" | head -20; rc=1
  else
    case $decrypt in
      yes) what="$nsk SK payloads and $nesp ESP packets verified [correct]" ;;
      chacha) what="dissected only (ChaCha20-Poly1305: tshark cannot decrypt)" ;;
      *) what="dissected only (no key table)" ;;
    esac
    echo "ok   $test: $nframes frames, $what, $nexempt faulted frames exempt"
  fi
done <<<"$LIST"
echo "$checked pcaps checked: $frames_total frames; $sk_total encrypted IKE payloads and $esp_total ESP packets decrypted and verified"
[ "$rc" = 0 ] && echo "all pcaps OK" || echo "some pcaps FAILED" >&2
exit "$rc"
