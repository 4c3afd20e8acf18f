# Shared pieces of the strongSwan interop scripts (sourced, not run):
#   harness/udp/interop/{strongswan*,libreswan}.sh, harness/profile/interop/lowered.sh.
#
# Before sourcing set RUN (a scratch directory), NS_A and NS_B (namespace names unique to the
# script, so scripts can run side by side). Then:
#   il_require TOOL...              exit 77 (skipped, loudly) unless root with the tools and
#                                   strongSwan's kernel-libipsec plugin installed
#   il_require_plugin PLUGIN...     exit 77 unless these charon plugins are installed too
#   il_begin                        clean up leftovers, arm the EXIT trap, empty $RUN
#   il_netns_pair VETH              NS_A 198.51.100.1/24 <-- veth VETH-a0/VETH-b0 --> NS_B .2
#   il_inner_addrs                  203.0.113.1/32 in NS_A, 203.0.113.129/32 in NS_B (the
#                                   addresses CHILD_SAs protect: host-to-host selectors on the
#                                   outer addresses would route charon's own IKE packets into
#                                   its libipsec TUN device)
#   il_charon_dir NAME              create (and print) $RUN/NAME with an empty swanctl tree;
#                                   put certificates and keys into it before il_start_charon
#   il_start_charon NAME NETNS CONF start charon-systemd with kernel-libipsec in NETNS, load
#                                   CONF as swanctl.conf. CHARON_PLUGINS overrides the plugin
#                                   list, CHARON_EXTRA adds lines to the charon { } section,
#                                   CHARON_LOG adds filelog levels (default "ike = 2")
#   sw NAME ARGS...                 swanctl against that charon
#   il_stop_charon NAME
#   il_mark NAME / il_since NAME    il_since prints the lines that charon NAME logged after the
#                                   last il_mark NAME (one case's lines)
#   pass MSG / fail MSG             print, and fail sets FAILED=1
#   il_check_sas NAME IKE CHILD WANT_IKE WANT_ESP
#                                   pass if --list-sas shows IKE ESTABLISHED and CHILD INSTALLED
#                                   and both transform strings
#   il_expect ID STATUS MESSAGE     a check's result against harness/udp/interop/expected-failures
#                                   (XFAIL for a listed failure, XPASS fails the run)
# shellcheck shell=bash

: "${RUN:?set RUN before sourcing interop-lib.sh}" "${NS_A:?set NS_A}" "${NS_B:?set NS_B}"
FAILED=0
CHARON_PLUGINS_DEFAULT="random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey constraints curve25519 attr kernel-libipsec kernel-netlink socket-default vici updown"

il_skip() { echo "################ SKIPPED $(basename "$0"): $* ################" >&2; exit 77; }

il_require() {
  [ "$(id -u)" = 0 ] || il_skip "not root"
  local t
  for t in charon-systemd swanctl ip "$@"; do
    command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || il_skip "$t missing"
  done
  [ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] \
    || il_skip "kernel-libipsec plugin missing (libcharon-extra-plugins)"
}

il_require_plugin() {
  local p
  for p in "$@"; do
    [ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] \
      || il_skip "charon plugin $p missing (libcharon-extra-plugins)"
  done
}

il_cleanup() {
  local p
  for p in "$RUN"/*.pid; do [ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  sleep 0.2
  ip netns del "$NS_A" 2>/dev/null
  ip netns del "$NS_B" 2>/dev/null
  return 0
}

il_begin() {
  trap il_cleanup EXIT
  il_cleanup
  rm -rf "$RUN"; mkdir -p "$RUN"
}

il_netns_pair() { # VETH
  ip netns add "$NS_A"; ip netns add "$NS_B"
  ip -n "$NS_A" link set lo up; ip -n "$NS_B" link set lo up
  ip -n "$NS_A" link add "$1-a0" type veth peer name "$1-b0"
  ip -n "$NS_A" link set "$1-b0" netns "$NS_B"
  ip -n "$NS_A" addr add 198.51.100.1/24 dev "$1-a0"
  ip -n "$NS_B" addr add 198.51.100.2/24 dev "$1-b0"
  ip -n "$NS_A" link set "$1-a0" up; ip -n "$NS_B" link set "$1-b0" up
  ip netns exec "$NS_A" ping -c1 -W2 198.51.100.2 >/dev/null || { echo "veth not up"; exit 1; }
}

il_inner_addrs() {
  ip -n "$NS_A" addr add 203.0.113.1/32 dev lo
  ip -n "$NS_B" addr add 203.0.113.129/32 dev lo
}

il_charon_dir() { # NAME
  local D=$RUN/$1
  rm -rf "$D"
  mkdir -p "$D/swanctl"/{x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,private,rsa,ecdsa,bliss,pkcs8,pkcs12,pubkey,conf.d}
  echo "$D"
}

il_start_charon() { # NAME NETNS SWANCTL_CONF
  local D=$RUN/$1
  [ -d "$D/swanctl" ] || il_charon_dir "$1" >/dev/null
  cp "$3" "$D/swanctl/swanctl.conf"
  cat > "$D/strongswan.conf" <<EOC
charon-systemd {
  journal {
    default = -1
  }
}
charon {
  load_modular = no
  load = ${CHARON_PLUGINS:-$CHARON_PLUGINS_DEFAULT}
  install_virtual_ip = no
  ${CHARON_EXTRA:-}
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
      ${CHARON_LOG:-ike = 2}
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
  STRONGSWAN_CONF="$D/strongswan.conf" ip netns exec "$2" /usr/sbin/charon-systemd >"$D/stdout.log" 2>&1 &
  echo $! > "$RUN/$1.pid"
  local _
  for _ in $(seq 1 100); do [ -S "$D/charon.vici" ] && break; sleep 0.1; done
  sw "$1" --load-all >/dev/null || { echo "charon $1 failed: $(tail -5 "$D/charon.log")"; return 1; }
}

sw() { # NAME ARGS...
  local D=$RUN/$1; shift
  SWANCTL_DIR="$D/swanctl" STRONGSWAN_CONF="$D/strongswan.conf" swanctl "$@" --uri "unix://$D/charon.vici"
}

il_stop_charon() { # NAME
  [ -e "$RUN/$1.pid" ] && kill "$(cat "$RUN/$1.pid")" 2>/dev/null
  rm -f "$RUN/$1.pid"; sleep 0.3
}

declare -A IL_MARK=()
il_mark() { IL_MARK[$1]=$(wc -l < "$RUN/$1/charon.log"); }
il_since() { tail -n +"$((${IL_MARK[$1]:-0} + 1))" "$RUN/$1/charon.log"; }

IL_NPASS=0 IL_NFAIL=0 IL_NXFAIL=0
pass() { IL_NPASS=$((IL_NPASS + 1)); echo "PASS: $*"; }
fail() { IL_NFAIL=$((IL_NFAIL + 1)); echo "FAIL: $*"; FAILED=1; }
# Background processes go into $RUN/NAME.pid, so the EXIT trap (il_cleanup) ends them.
# il_reap PID: wait for a background process of ours, forget its pid file, return its status.
il_reap() { local rc; wait "$1"; rc=$?; grep -lx "$1" "$RUN"/*.pid 2>/dev/null | xargs -r rm -f; return "$rc"; }

il_check_sas() { # NAME IKE_CONN CHILD WANT_IKE_TRANSFORMS WANT_ESP_TRANSFORMS
  local out; out=$(sw "$1" --list-sas 2>&1)
  if grep -q "$2: .*ESTABLISHED" <<<"$out" && grep -q "$3: .*INSTALLED" <<<"$out" \
     && grep -q "$4" <<<"$out" && grep -q "$5" <<<"$out"; then
    pass "$1 lists $2 ESTABLISHED ($4) and $3 INSTALLED ($5)"
  else
    fail "$1 --list-sas for $2/$3 (want $4 / $5):"; echo "$out"
  fi
}

# il_expect ID STATUS MESSAGE: the result of check ID (`PEER/CASE/CHECK`, STATUS 0 = held)
# against harness/udp/interop/expected-failures: a listed check that fails is XFAIL, one that
# holds is XPASS and fails the run (its line must go).
IL_EXPECTED_FAILURES=$(dirname "${BASH_SOURCE[0]}")/../harness/udp/interop/expected-failures
il_expect() {
  local reason
  reason=$(awk -v id="$1" '$1 == id { $1 = ""; sub(/^ +/, ""); print; exit }' "$IL_EXPECTED_FAILURES")
  if [ "$2" = 0 ] && [ -z "$reason" ]; then pass "$1: $3"
  elif [ "$2" = 0 ]; then fail "XPASS $1: $3 — listed in expected-failures ($reason): remove the line"
  elif [ -n "$reason" ]; then echo "XFAIL: $1: $reason"
  else fail "$1: $3"
  fi
}

# il_check ID STATUS MESSAGE: il_expect, counting XFAILs in IL_NXFAIL; returns STATUS.
il_check() {
  if [ "$2" != 0 ] && awk -v id="$1" '$1 == id { f = 1 } END { exit !f }' "$IL_EXPECTED_FAILURES"; then
    IL_NXFAIL=$((IL_NXFAIL + 1))
  fi
  il_expect "$@"
  return "$2"
}
