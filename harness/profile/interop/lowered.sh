#!/bin/bash
# `ikelab profile connect --live` against a strongSwan gateway generated from the same profile
# with `ikelab profile lower --format swanctl` (issue 9), in two network namespaces:
#
#   ikllow-a 198.51.100.1 (ikelab, the "device")  <-- veth -->  ikllow-b 198.51.100.2 (charon)
#
# Cases, for real-world profiles of corpora/profiles (MIT, placeholders filled):
#   1. Aeron 09 (PSK, AES-256-GCM/SHA2-384/ECP-384, PFS): connects; charon lists the IKE SA
#      ESTABLISHED with AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384 and the CHILD_SA INSTALLED
#   2. gaomd 08 (PSK, no SA parameters = Apple defaults, empty LocalIdentifier): connects with
#      AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
#   3. Aeron 09 against the generated gateway with `proposals` replaced by
#      aes256-sha256-modp2048: exit 1 and a one-line reason naming NO_PROPOSAL_CHOSEN and the
#      profile's and the gateway's proposals
#
# Usage: lowered.sh IKELAB_BINARY   (root; strongswan-charon, -swanctl, charon-systemd,
#                                     libcharon-extra-plugins installed)
# Exit: 0 all passed, 1 a case failed, 77 skipped (not root / packages missing; printed loudly).
set -uo pipefail
IKELAB=$(readlink -f "${1:?usage: lowered.sh IKELAB_BINARY}")
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$HERE/../../../corpora/profiles
RUN=${IKLLOW_RUN:-/tmp/ikllow-run}
NS_A=ikllow-a
NS_B=ikllow-b

skip() { echo "################ SKIPPED lowered-profile interop: $* ################" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root"
for t in charon-systemd swanctl ip; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || skip "$t missing"
done
[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] || skip "kernel-libipsec plugin missing (libcharon-extra-plugins)"

cleanup() {
  [ -e "$RUN/gw.pid" ] && kill "$(cat "$RUN/gw.pid")" 2>/dev/null
  sleep 0.2
  ip netns del "$NS_A" 2>/dev/null
  ip netns del "$NS_B" 2>/dev/null
}
trap cleanup EXIT
cleanup
rm -rf "$RUN"; mkdir -p "$RUN"

ip netns add "$NS_A"; ip netns add "$NS_B"
ip -n "$NS_A" link set lo up; ip -n "$NS_B" link set lo up
ip -n "$NS_A" link add ikllow-a0 type veth peer name ikllow-b0
ip -n "$NS_A" link set ikllow-b0 netns "$NS_B"
ip -n "$NS_A" addr add 198.51.100.1/24 dev ikllow-a0
ip -n "$NS_B" addr add 198.51.100.2/24 dev ikllow-b0
ip -n "$NS_A" link set ikllow-a0 up; ip -n "$NS_B" link set ikllow-b0 up
ip netns exec "$NS_A" ping -c1 -W2 198.51.100.2 >/dev/null || { echo "veth not up"; exit 1; }

# fill TEMPLATE OUT: the corpus placeholders, the gateway at 198.51.100.2.
fill() {
  sed -e 's/\${REMOTE_ADDRESS}/198.51.100.2/g; s/\${CONN_HOST}/198.51.100.2/g' \
      -e 's/\${REMOTE_ID}/vpn.ikllow.example/g; s/\${CONN_REMOTE_IDENTIFIER}/vpn.ikllow.example/g' \
      -e 's/\${LOCAL_ID}/client@ikllow.example/g' \
      -e 's/\${SHARED_SECRET}/ikllow lowered psk 0123456789/g; s/\${CONN_SHARED_SECRET}/ikllow lowered psk 0123456789/g' \
      -e 's/\${PROFILE_UUID}/A1B2C3D4-0000-4000-8000-000000000001/g' \
      -e 's/\${SERVICE_UUID}/A1B2C3D4-0000-4000-8000-000000000002/g; s/\${CONN_UUID}/A1B2C3D4-0000-4000-8000-000000000002/g' \
      -e 's/\${[A-Z_]*}/Example/g' "$1" > "$2"
}

start_gw() { # SWANCTL_CONF
  local D=$RUN/gw
  rm -rf "$D"; mkdir -p "$D/swanctl"/{x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,private,rsa,ecdsa,bliss,pkcs8,pkcs12,pubkey,conf.d}
  cp "$1" "$D/swanctl/swanctl.conf"
  cat > "$D/strongswan.conf" <<EOC
charon-systemd {
  journal {
    default = -1
  }
}
charon {
  load_modular = no
  load = random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey constraints curve25519 attr kernel-libipsec kernel-netlink socket-default vici updown
  install_virtual_ip = no
  plugins {
    kernel-libipsec {
      allow_peer_ts = yes
    }
    vici {
      socket = unix://$D/charon.vici
    }
  }
  filelog {
    main {
      path = $D/charon.log
      time_format = %T
      default = 1
      ike = 2
      cfg = 2
      append = no
      flush_line = yes
    }
  }
}
swanctl {
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey
  socket = unix://$D/charon.vici
}
EOC
  STRONGSWAN_CONF="$D/strongswan.conf" ip netns exec "$NS_B" /usr/sbin/charon-systemd >"$D/stdout.log" 2>&1 &
  echo $! > "$RUN/gw.pid"
  for _ in $(seq 1 100); do [ -S "$D/charon.vici" ] && break; sleep 0.1; done
  sw --load-all >/dev/null || { echo "charon failed: $(tail -5 "$D/charon.log")"; return 1; }
}
sw() { local D=$RUN/gw; SWANCTL_DIR="$D/swanctl" STRONGSWAN_CONF="$D/strongswan.conf" swanctl "$@" --uri "unix://$D/charon.vici"; }
stop_gw() { [ -e "$RUN/gw.pid" ] && kill "$(cat "$RUN/gw.pid")" 2>/dev/null; rm -f "$RUN/gw.pid"; sleep 0.3; }

FAILED=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }

# connect_ok CASE TEMPLATE WANT_IKE_TRANSFORMS
connect_ok() {
  local prof=$RUN/$1.mobileconfig gw=$RUN/$1.swanctl.conf out
  fill "$CORPUS/$2" "$prof"
  "$IKELAB" profile lower --format swanctl --with-secrets "$prof" > "$gw" || { fail "$1: lower --format swanctl"; return; }
  start_gw "$gw" || { fail "$1: gateway did not load the generated swanctl.conf"; return; }
  out=$(ip netns exec "$NS_A" "$IKELAB" profile connect "$prof" --gateway "$gw" --live 198.51.100.2 --timeout 15 2>&1)
  local rc=$?
  echo "$out"
  local sas; sas=$(sw --list-sas 2>&1)
  if [ $rc = 0 ] && grep -q '^connected:' <<<"$out" && grep -q "ESTABLISHED" <<<"$sas" \
     && grep -q "INSTALLED" <<<"$sas" && grep -q "$3" <<<"$sas"; then
    pass "$1: ikelab profile connect --live established against the generated gateway ($3)"
  else
    fail "$1: rc $rc"; echo "$sas"; tail -30 "$RUN/gw/charon.log"
  fi
  stop_gw
}

connect_ok aeron09 09_aeron_profile-psk.xml.template "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384"
connect_ok gaomd08 08_gaomd_generate-mobileconfig.mobileconfig.template "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"

# 3. A gateway whose proposals exclude the profile's.
prof=$RUN/aeron09.mobileconfig
sed 's/^    proposals = .*/    proposals = aes256-sha256-modp2048/' "$RUN/aeron09.swanctl.conf" > "$RUN/bad.swanctl.conf"
if start_gw "$RUN/bad.swanctl.conf"; then
  out=$(ip netns exec "$NS_A" "$IKELAB" profile connect "$prof" --gateway "$RUN/bad.swanctl.conf" --live 198.51.100.2 --timeout 15 2>&1)
  rc=$?
  echo "$out"
  line=$(grep '^failed:' <<<"$out")
  if [ $rc = 1 ] && grep -q NO_PROPOSAL_CHOSEN <<<"$line" && grep -q "AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384" <<<"$line" \
     && grep -q "the gateway accepts aes256-sha256-modp2048" <<<"$line"; then
    pass "mismatch: exit 1 with one line: $line"
  else
    fail "mismatch: rc $rc, line: $line"
  fi
  stop_gw
else
  fail "mismatch: gateway did not load"
fi

[ $FAILED = 0 ] && echo "lowered-profile interop: all passed" || echo "lowered-profile interop: FAILED"
exit $FAILED
