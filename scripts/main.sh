#!/usr/bin/env bash
# Main job: the scenario conformance suite (simulator, both roles) with reports in
# reports/latest, then decode every checked-in capture and check every checked-in profile.
# Exits non-zero if a scenario fails, a datagram does not decode or a profile has errors.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p ikelab
bin=target/release/ikelab
status=0
rm -rf reports/latest
"$bin" run scenarios --report reports/latest || status=$?
shopt -s nullglob
for cap in corpora/captures/*/capture.pcap*; do
  if "$bin" decode "$cap" --format json > /dev/null; then
    echo "ok      decode $cap"
  else
    echo "FAILED  decode $cap"; status=1
  fi
done
if "$bin" profile --help >/dev/null 2>&1; then
  for p in corpora/profiles/*.mobileconfig; do
    rc=0; "$bin" profile check "$p" > /dev/null || rc=$?
    if [ "$rc" -le 1 ]; then echo "ok      profile check $p (exit $rc)"; else echo "FAILED  profile check $p (exit $rc)"; status=1; fi
  done
fi
exit $status
