#!/bin/bash
# ikelab <-> libreswan (pluto 4.10 from Debian 12) in two network namespaces.
#
#   ikllsw-a 198.51.100.1  <-- veth -->  ikllsw-b 198.51.100.2
#
# Debian's libreswan package conflicts with strongSwan's, so .ci/run unpacks the .deb into
# $LSW_ROOT (default /opt/ikl-libreswan) instead of installing it; pluto exec()s the hard-coded
# /usr/libexec/ipsec/addconn, so it runs with the unpacked usr/libexec bind-mounted over
# /usr/libexec inside its own `ip netns exec` mount namespace (the host is untouched).
# pluto has no userspace ESP and this kernel has no ESP, so only IKE SAs can come up: the
# CHILD_SA checks that cannot hold are listed, with the reason, in ./expected-failures.
#
# Cases (PSK, IDs FQDN):
#   ikelab-initiator-cbc  ikelab connect (a) -> pluto responder (b), aes256-sha2_256-modp2048:
#                         both sides report the IKE SA established with those transforms
#   ikelab-initiator-gcm  the same with aes_gcm256-sha2_384-dh20 (AES-GCM-16/PRF-SHA384/ECP-384)
#   pluto-initiator-cbc   pluto initiator (a) -> ikelab serve (b): both report the IKE SA,
#                         ikelab installs the CHILD_SA
#
# With IKLLSW_CAPTURE=DIR each case is captured (tshark on the veth) into DIR/CASE/capture.pcapng
# with ikelab's key tables beside it: that is how corpora/captures-libreswan/ was made.
#
# Usage: libreswan.sh IKELAB_BINARY   (root; libreswan unpacked in $LSW_ROOT, libnss3-tools)
# Exit: 0 all passed, 1 a check failed, 77 skipped (not root / packages missing; printed loudly).
set -uo pipefail
IKELAB=$(readlink -f "${1:?usage: libreswan.sh IKELAB_BINARY}")
RUN=${IKLLSW_RUN:-/tmp/ikllsw-run}
NS_A=ikllsw-a
NS_B=ikllsw-b
LSW_ROOT=${LSW_ROOT:-/opt/ikl-libreswan}
X=$LSW_ROOT/usr/libexec/ipsec
PSK='ikllsw interop psk 0123456789'
# shellcheck source=../../../scripts/interop-lib.sh
. "$(dirname "$0")/../../../scripts/interop-lib.sh"

[ "$(id -u)" = 0 ] || il_skip "not root"
[ -x "$X/pluto" ] || il_skip "libreswan not unpacked in $LSW_ROOT (see .ci/run)"
command -v certutil >/dev/null || il_skip "certutil missing (libnss3-tools)"
il_begin
il_netns_pair ikllsw
il_inner_addrs
printf '%s' "$PSK" > "$RUN/psk"

# capture_start CASE: prints ikelab's extra arguments (its key log); capture_stop.
capture_start() {
  [ -n "${IKLLSW_CAPTURE:-}" ] || return 0
  local dir; dir=$(readlink -f "$IKLLSW_CAPTURE")/$1
  rm -rf "$dir"; mkdir -p "$dir"
  ip netns exec "$NS_B" tshark -q -i ikllsw-b0 -w "$dir/capture.pcapng" -f "udp port 500 or udp port 4500" >/dev/null 2>&1 &
  echo $! > "$RUN/tshark.pid"; sleep 1.5
  echo "--keylog $dir"
}
capture_stop() {
  [ -e "$RUN/tshark.pid" ] || return 0
  sleep 0.5; kill "$(cat "$RUN/tshark.pid")" 2>/dev/null; rm -f "$RUN/tshark.pid"; sleep 0.5
}

# start_pluto NAME NETNS CONN: pluto with $RUN/NAME/ipsec.conf, connection CONN added.
start_pluto() {
  local D=$RUN/$1
  mkdir -p "$D/run" "$D/nss"
  chmod 600 "$D/ipsec.secrets"
  certutil -N -d "sql:$D/nss" --empty-password
  ip netns exec "$2" sh -c 'mount --bind "$1/usr/libexec" /usr/libexec && shift && exec "$@"' sh "$LSW_ROOT" \
    "$X/pluto" --nofork --stderrlog --config "$D/ipsec.conf" --secretsfile "$D/ipsec.secrets" \
    --ipsecdir "$D" --nssdir "$D/nss" --rundir "$D/run" --use-xfrm >"$D/pluto.log" 2>&1 &
  echo $! > "$RUN/$1.pid"
  local _
  for _ in $(seq 1 100); do [ -S "$D/run/pluto.ctl" ] && break; sleep 0.1; done
  [ -S "$D/run/pluto.ctl" ] || { echo "pluto $1 did not start: $(tail -5 "$D/pluto.log")"; return 1; }
  whack "$1" "$2" --listen >/dev/null
  ip netns exec "$2" "$X/addconn" --config "$D/ipsec.conf" --ctlsocket "$D/run/pluto.ctl" "$3" >/dev/null
  whack "$1" "$2" --rereadsecrets >/dev/null
}
whack() { local D=$RUN/$1 ns=$2; shift 2; ip netns exec "$ns" "$X/whack" --ctlsocket "$D/run/pluto.ctl" "$@"; }

# pluto_conf NAME LEFT_IP LEFT_ID LEFT_NET RIGHT_IP RIGHT_ID RIGHT_NET IKE ESP
pluto_conf() {
  mkdir -p "$RUN/$1"
  cat > "$RUN/$1/ipsec.conf" <<EOC
config setup
    protostack=xfrm
    uniqueids=no
conn ikl
    ikev2=insist
    authby=secret
    left=$2
    leftid=@$3
    leftsubnet=$4
    right=$5
    rightid=@$6
    rightsubnet=$7
    ike=$8
    esp=$9
    auto=add
EOC
  printf '@%s @%s : PSK "%s"\n' "$3" "$6" "$PSK" > "$RUN/$1/ipsec.secrets"
}

# --- pluto as responder -------------------------------------------------------------------
pluto_conf resp 198.51.100.2 resp.ikllsw.example 203.0.113.129/32 \
  198.51.100.1 init.ikllsw.example 203.0.113.1/32 \
  "aes256-sha2_256-modp2048,aes_gcm256-sha2_384-dh20" "aes256-sha2_256,aes_gcm256"
start_pluto resp "$NS_B" ikl || exit 1

# initiator_case CASE IKE ESP WANT_IKE_STRING
initiator_case() {
  local log=$RUN/$1.log before
  before=$(grep -c "responder established IKE SA" "$RUN/resp/pluto.log")
  # shellcheck disable=SC2046 # capture_start prints separate arguments
  ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --timeout 15 \
    --local-ts 203.0.113.1/32 --remote-ts 203.0.113.129/32 --psk-file "$RUN/psk" \
    --identity init.ikllsw.example --remote-identity resp.ikllsw.example \
    --ike-proposal "$2" --esp-proposal "$3" $(capture_start "$1") >"$log" 2>&1
  capture_stop
  sleep 0.3
  local ok=1
  grep -q "IKE_SA established .*: $4 " "$log" \
    && [ "$(grep -c "responder established IKE SA; authenticated peer using authby=secret and ID_FQDN '@init.ikllsw.example'" "$RUN/resp/pluto.log")" -gt "$before" ] \
    && ok=0
  il_expect "libreswan/$1/ike-established" $ok "ikelab and pluto both report the IKE SA ($4, PSK)"
  [ $ok = 0 ] || { cat "$log"; tail -20 "$RUN/resp/pluto.log"; }
  grep -q "CHILD_SA child installed" "$log"
  il_expect "libreswan/$1/child-installed" $? "ikelab installed the CHILD_SA ($3)"
  no_kernel_esp_only "$1" "$RUN/resp/pluto.log"
}
# An expected CHILD_SA failure must have the listed cause, not another one.
no_kernel_esp_only() { # CASE PLUTO_LOG
  grep -q "Add SA esp.*Protocol not supported (errno 93)" "$2" \
    || fail "libreswan/$1: pluto's CHILD_SA failed, but not for the listed reason (no kernel ESP)"
}
initiator_case ikelab-initiator-cbc aes256-sha256-modp2048 aes256-sha256 aes256-sha256-modp2048
initiator_case ikelab-initiator-gcm aes256gcm16-prfsha384-ecp384 aes256gcm16 aes256gcm16-prfsha384-ecp384
whack resp "$NS_B" --showstates > "$RUN/resp-states.txt" 2>&1
il_stop_charon resp

# --- pluto as initiator -------------------------------------------------------------------
pluto_conf init 198.51.100.1 init.ikllsw.example 203.0.113.1/32 \
  198.51.100.2 resp.ikllsw.example 203.0.113.129/32 aes256-sha2_256-modp2048 aes256-sha2_256
start_pluto init "$NS_A" ikl || exit 1
keylog=$(capture_start pluto-initiator-cbc)
# shellcheck disable=SC2086 # $keylog is empty or two arguments
ip netns exec "$NS_B" "$IKELAB" serve -v --listen 198.51.100.2 --exit-after 1 --timeout 20 \
  --local-ts 203.0.113.129/32 --remote-ts 203.0.113.1/32 --psk-file "$RUN/psk" \
  --identity resp.ikllsw.example --remote-identity init.ikllsw.example \
  --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 $keylog >"$RUN/serve.log" 2>&1 &
echo $! > "$RUN/serve.pid"
sleep 1
timeout 20 ip netns exec "$NS_A" "$X/whack" --ctlsocket "$RUN/init/run/pluto.ctl" --initiate --name ikl \
  >"$RUN/whack-initiate.log" 2>&1
wait "$(cat "$RUN/serve.pid")" 2>/dev/null; rm -f "$RUN/serve.pid"
capture_stop
ok=1
grep -q "IKE_SA established .*: aes256-sha256-modp2048 " "$RUN/serve.log" \
  && grep -q "initiator established IKE SA; authenticated peer using authby=secret and ID_FQDN '@resp.ikllsw.example'" "$RUN/init/pluto.log" \
  && ok=0
il_expect libreswan/pluto-initiator-cbc/ike-established $ok "pluto and ikelab serve both report the IKE SA (aes256-sha256-modp2048, PSK)"
[ $ok = 0 ] || { cat "$RUN/serve.log"; tail -20 "$RUN/init/pluto.log"; }
grep -q "CHILD_SA child installed: aes256-sha256 " "$RUN/serve.log"
il_expect libreswan/pluto-initiator-cbc/ikelab-child-installed $? "ikelab serve installed the CHILD_SA pluto asked for"
! grep -q "setup_half_ipsec_sa() hit fail" "$RUN/init/pluto.log"
il_expect libreswan/pluto-initiator-cbc/pluto-child-installed $? "pluto installed its side of the CHILD_SA"
no_kernel_esp_only pluto-initiator-cbc "$RUN/init/pluto.log"
il_stop_charon init

[ "$FAILED" = 0 ] && echo "libreswan interop: all checks as expected" || echo "libreswan interop: FAILURES (logs in $RUN)"
exit "$FAILED"
