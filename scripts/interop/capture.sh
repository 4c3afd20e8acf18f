#!/bin/bash
# Run one capture scenario (scripts/interop/scenarios/NAME) between two private strongSwan charons
# in network namespaces and write NAME's capture folder:
#   capture.pcap[ng], ikev2_decryption_table, esp_sa, charon-ini.log, charon-resp.log (trimmed),
#   swanctl-ini.conf, swanctl-resp.conf, strongswan-ini.conf, strongswan-resp.conf (extra settings),
#   README.md (exchange list generated with tshark)
# Usage: capture.sh NAME OUTDIR          (root; needs strongSwan 5.9.8, charon-systemd, dumpcap, tshark)
# env IKL_RUN (default /tmp/iklcap-run/NAME) keeps the full logs for inspection.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=${1:?usage: capture.sh NAME OUTDIR}
OUT=${2:?usage: capture.sh NAME OUTDIR}
SC=$HERE/scenarios/$NAME
[ -f "$SC/scenario.sh" ] || { echo "no scenario $SC" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "must run as root (namespaces)" >&2; exit 2; }
# shellcheck source=lib.sh
. "$HERE/lib.sh"
IKL_RUN=${IKL_RUN:-/tmp/iklcap-run/$NAME}
export IKL_RUN
trap ikl_cleanup EXIT
trap 'exit 130' INT TERM

TOPOLOGY=direct PKI= FORMAT=pcapng PLUGINS=
# shellcheck source=/dev/null
. "$SC/scenario.sh"

rm -rf "$IKL_RUN"; mkdir -p "$IKL_RUN" "$OUT"
ikl_ns_up "$TOPOLOGY"
pkidir=
if [ -n "$PKI" ]; then pkidir=$IKL_RUN/pki; ikl_pki "$pkidir" "$PKI"; fi
ikl_charon_start resp "$NS_B" "$SC/responder.swanctl.conf" "$IKL_RUN" "$pkidir" resp "$SC/charon-resp.conf"
ikl_charon_start ini "$NS_A" "$SC/initiator.swanctl.conf" "$IKL_RUN" "$pkidir" init "$SC/charon-ini.conf"

ext=pcapng; [ "$FORMAT" = pcap ] && ext=pcap
rm -f "$OUT"/capture.pcap "$OUT"/capture.pcapng
CAP=$IKL_RUN/capture.$ext
ikl_capture_start "$NS_B" "$NS_B"0 "$CAP" "$FORMAT"
scenario_run
ikl_capture_stop "$CAP"
ikl_cleanup   # stop charons (flushes logs), delete namespaces

cp "$CAP" "$OUT/capture.$ext"
chmod 644 "$OUT/capture.$ext"   # dumpcap creates it 0600
python3 "$HERE/charon-keys-to-wireshark.py" "$IKL_RUN/ini/charon.log" "$IKL_RUN/resp/charon.log" "$OUT" >/dev/null
python3 "$HERE/trim-charon-log.py" "$IKL_RUN/ini/charon.log" > "$OUT/charon-ini.log"
python3 "$HERE/trim-charon-log.py" "$IKL_RUN/resp/charon.log" > "$OUT/charon-resp.log"
cp "$SC/initiator.swanctl.conf" "$OUT/swanctl-ini.conf"
cp "$SC/responder.swanctl.conf" "$OUT/swanctl-resp.conf"
for s in ini resp; do
  rm -f "$OUT/strongswan-$s.conf"
  [ -f "$SC/charon-$s.conf" ] && cp "$SC/charon-$s.conf" "$OUT/strongswan-$s.conf"
done
python3 "$HERE/write-readme.py" "$NAME" "$SC" "$OUT" "capture.$ext"
ikl_log "wrote $OUT ($(du -sh "$OUT" | cut -f1))"
