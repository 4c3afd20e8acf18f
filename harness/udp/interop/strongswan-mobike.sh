#!/bin/bash
# MOBIKE (RFC 4555) interop: ikelab connect as initiator moves its IKE SA and CHILD_SA to a
# second address while pinging through a strongSwan responder (charon 5.9.x, kernel-libipsec,
# `mobike = yes` is charon's default).
#
#   iklmob-a 198.51.100.1 + 198.51.100.3  <-- veth -->  iklmob-b 198.51.100.2
#
# 1. ikelab connect --local 198.51.100.1 --mobike-move-to 198.51.100.3 --move-after 3: an echo
#    request every 100 ms through the CHILD_SA (203.0.113.1 -> 203.0.113.129); at 3 s ikelab
#    rebinds to .3 and sends INFORMATIONAL UPDATE_SA_ADDRESSES + NAT-D + COOKIE2 from port 4500
# Checks: both sides announced MOBIKE_SUPPORTED; charon answered the update with COOKIE2
# echoed; ikelab reports the IKE SA and CHILD_SA moved and 0 echo replies lost; charon's
# `swanctl --list-sas` shows the IKE SA with remote 198.51.100.3 and the CHILD_SA INSTALLED,
# with ESP counted on it; charon's log shows "remote endpoint changed".
# kernel-libipsec cannot change the addresses of an installed SA, so charon rekeys the CHILD_SA
# right after the update (ikelab logs "rekey of ..., the peer's"); the pings cross that too.
# ikelab keeps its old NAT-T socket receiving for 3 s after the move (make before break):
# without that, the reply to the request sent at the moment of the move went to the old
# address and was lost (measured: 1 of 60).
#
# Usage: strongswan-mobike.sh IKELAB_BINARY   (root; strongswan-charon, -swanctl, charon-systemd,
#                                              libcharon-extra-plugins installed)
# Exit: 0 all passed, 1 a check failed, 77 skipped (not root / packages missing; printed loudly).
set -uo pipefail
IKELAB=$(readlink -f "${1:?usage: strongswan-mobike.sh IKELAB_BINARY}")
RUN=${IKLMOB_RUN:-/tmp/iklmob-run}
NS_A=iklmob-a
NS_B=iklmob-b
PSK='iklmob interop psk 0123456789'
PINGS=${IKLMOB_PINGS:-60}
# shellcheck source=../../../scripts/interop-lib.sh
. "$(dirname "$0")/../../../scripts/interop-lib.sh"
il_require
il_begin
il_netns_pair iklmob
il_inner_addrs
ip -n "$NS_A" addr add 198.51.100.3/24 dev iklmob-a0
printf '%s' "$PSK" > "$RUN/psk"

cat > "$RUN/resp.conf" <<EOC
connections {
  psk {
    local_addrs = 198.51.100.2
    mobike = yes
    proposals = aes256gcm16-prfsha384-ecp256
    local { auth = psk
            id = resp.iklmob.example }
    remote { auth = psk
             id = init.iklmob.example }
    children { psk-child { esp_proposals = aes256gcm16
                           local_ts = 203.0.113.129/32
                           remote_ts = 203.0.113.1/32 } }
  }
}
secrets {
  ike-psk { id-1 = resp.iklmob.example
            id-2 = init.iklmob.example
            secret = "$PSK" }
}
EOC
CHARON_LOG="ike = 2, cfg = 2" il_start_charon resp "$NS_B" "$RUN/resp.conf" || exit 1

ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --local 198.51.100.1 --timeout 15 \
  --local-ts 203.0.113.1/32 --remote-ts 203.0.113.129/32 --psk-file "$RUN/psk" \
  --identity init.iklmob.example --remote-identity resp.iklmob.example \
  --ike-proposal aes256gcm16-prfsha384-ecp256 --esp-proposal aes256gcm16 \
  --ping "$PINGS" --ping-interval 100 --mobike-move-to 198.51.100.3 --move-after 3 \
  >"$RUN/connect.log" 2>&1 &
CONNECT_PID=$!
echo "$CONNECT_PID" > "$RUN/connect.pid"
# While the pings flow after the move: charon must list the new address.
sleep 4.5
LIVE=$(sw resp --list-sas --ike psk 2>&1)
if wait "$CONNECT_PID"; then
  pass "ikelab connect moved and pinged (exit 0)"
else
  fail "ikelab connect exited non-zero"; grep -vE '^echo reply' "$RUN/connect.log"; tail -30 "$RUN/resp/charon.log"
fi
rm -f "$RUN/connect.pid"

log=$RUN/connect.log
if grep -q "Received IKE_AUTH response.*MOBIKE_SUPPORTED" "$log" \
   && grep -q "Sent IKE_AUTH request.*MOBIKE_SUPPORTED" "$log"; then
  pass "both sides announced MOBIKE_SUPPORTED in IKE_AUTH"
else
  fail "MOBIKE_SUPPORTED not exchanged: $(grep IKE_AUTH "$log")"
fi
if grep -q "Sent INFORMATIONAL request.*UPDATE_SA_ADDRESSES, NAT_DETECTION_SOURCE_IP, NAT_DETECTION_DESTINATION_IP, COOKIE2" "$log" \
   && grep -q "Received INFORMATIONAL response.*COOKIE2" "$log"; then
  pass "UPDATE_SA_ADDRESSES with NAT-D and COOKIE2 answered with COOKIE2 echoed"
else
  fail "no UPDATE_SA_ADDRESSES exchange: $(grep INFORMATIONAL "$log")"
fi
if grep -q "moved to 198.51.100.3:4500 <-> 198.51.100.2:4500" "$log" \
   && grep -q "; address updates 1$" "$log"; then
  pass "ikelab moved the IKE SA and CHILD_SA to 198.51.100.3:4500"
else
  fail "ikelab did not report the move: $(grep -E 'moved|moving|address updates|error' "$log")"
fi
if grep -q "ping: $PINGS sent, $PINGS replies, 0 lost" "$log"; then
  pass "$PINGS echo requests every 100 ms, 0 lost across the address change"
else
  fail "pings: $(grep -E '^ping:' "$log")"
fi
# Replies after the move: sequence numbers sent after "moving to".
after=$(awk '/moving to/ { m = 1 } m && /^echo reply/' "$log" | wc -l)
if [ "$after" -gt 0 ]; then
  pass "$after echo replies arrived after the move"
else
  fail "no echo reply after the move"
fi

if grep -q "remote .*@ 198.51.100.3\[4500\]" <<<"$LIVE" && grep -q "psk-child: #.*INSTALLED" <<<"$LIVE"; then
  pass "charon lists the IKE SA at remote 198.51.100.3[4500] with the CHILD_SA INSTALLED (during the pings)"
else
  fail "charon's IKE SA did not move:"; echo "$LIVE"
fi
END=$(sw resp --list-sas --ike psk 2>&1)
if grep -q "remote .*@ 198.51.100.3\[4500\]" <<<"$END" \
   && grep -Eq "out .*bytes, +[1-9][0-9]* packets" <<<"$END"; then
  pass "after the run charon still has the SA at 198.51.100.3 with ESP sent on it"
else
  fail "charon's SA after the run:"; echo "$END"
fi
if grep -q "remote endpoint changed from 198.51.100.1\[4500\] to 198.51.100.3\[4500\]" "$RUN/resp/charon.log"; then
  pass "charon: remote endpoint changed from 198.51.100.1[4500] to 198.51.100.3[4500]"
else
  fail "charon's log does not show the endpoint change"; grep -E "198.51.100.3|MOBIKE|UPD_SA" "$RUN/resp/charon.log" | head
fi
sw resp --terminate --ike psk --force >/dev/null 2>&1
il_stop_charon resp

[ "$FAILED" = 0 ] && echo "strongSwan MOBIKE interop: all checks passed" || echo "strongSwan MOBIKE interop: FAILURES (logs in $RUN)"
exit "$FAILED"
