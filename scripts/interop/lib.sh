# shellcheck shell=bash
# Helpers for running two private strongSwan charons (kernel-libipsec) in network namespaces and
# capturing their traffic. Sourced by capture.sh; adapted from the project's recipes in
# ../shared/interop. Everything lives in namespaces named $IKL_NS_PREFIX-* (default iklcap-*);
# the root namespace is only touched to create/delete those namespaces.
#
# Topology (direct):   iklcap-a  198.51.100.1/24 (veth iklcap-a0, LAN 203.0.113.1 on lo)
#                      iklcap-b  198.51.100.2/24 (veth iklcap-b0, LAN 203.0.113.129 on lo)
# Topology (nat):      iklcap-a  192.0.2.1/24 -- iklcap-n (192.0.2.254 | 198.51.100.254, nft masquerade)
#                      -- iklcap-b 198.51.100.2/24; the responder sees the initiator as 198.51.100.254.

IKL_NS_PREFIX=${IKL_NS_PREFIX:-iklcap}
NS_A=$IKL_NS_PREFIX-a
NS_B=$IKL_NS_PREFIX-b
NS_N=$IKL_NS_PREFIX-n
IKL_PIDS=()       # every background process we started (charon, dumpcap), killed by PID on exit
IKL_NAMESPACES=()

ikl_log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
ikl_die() { ikl_log "ERROR: $*"; exit 1; }

# Poll CMD... every 0.1 s for at most $1 seconds.
ikl_wait_for() {
  local secs=$1; shift
  local i
  for ((i = 0; i < secs * 10; i++)); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  return 1
}

ikl_stop_pid() {
  local pid=$1 sig=${2:-TERM}
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  ikl_wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" && return 0
  ikl_log "pid $pid did not exit after SIG$sig, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  ikl_wait_for 2 bash -c "! kill -0 $pid 2>/dev/null" || true
}

# EXIT trap: stop our processes (by PID), then delete our namespaces. Safe to call twice.
ikl_cleanup() {
  local pid ns
  for pid in "${IKL_PIDS[@]}"; do ikl_stop_pid "$pid"; done
  IKL_PIDS=()
  for ns in "${IKL_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  IKL_NAMESPACES=()
}

_ikl_ns_add() {
  ip netns del "$1" 2>/dev/null || true   # stale leftover of an earlier aborted run of ours
  ip netns add "$1"
  IKL_NAMESPACES+=("$1")
  ip -n "$1" link set lo up
}

# ikl_ns_up direct|nat
ikl_ns_up() {
  local mode=${1:-direct}
  _ikl_ns_add "$NS_A"; _ikl_ns_add "$NS_B"
  ip -n "$NS_A" addr add 203.0.113.1/32 dev lo
  ip -n "$NS_B" addr add 203.0.113.129/32 dev lo
  if [ "$mode" = direct ]; then
    ip -n "$NS_A" link add "$NS_A"0 type veth peer name "$NS_B"0
    ip -n "$NS_A" link set "$NS_B"0 netns "$NS_B"
    ip -n "$NS_A" addr add 198.51.100.1/24 dev "$NS_A"0
    ip -n "$NS_B" addr add 198.51.100.2/24 dev "$NS_B"0
    ip -n "$NS_A" link set "$NS_A"0 up
    ip -n "$NS_B" link set "$NS_B"0 up
    ip -n "$NS_A" route add 203.0.113.128/25 via 198.51.100.2 src 203.0.113.1
    ip -n "$NS_B" route add 203.0.113.0/25 via 198.51.100.1 src 203.0.113.129
    IKL_INI_ADDR=198.51.100.1
  else
    _ikl_ns_add "$NS_N"
    ip -n "$NS_A" link add "$NS_A"0 type veth peer name "$NS_N"a
    ip -n "$NS_A" link set "$NS_N"a netns "$NS_N"
    ip -n "$NS_N" link add "$NS_N"b type veth peer name "$NS_B"0
    ip -n "$NS_N" link set "$NS_B"0 netns "$NS_B"
    ip -n "$NS_A" addr add 192.0.2.1/24 dev "$NS_A"0
    ip -n "$NS_N" addr add 192.0.2.254/24 dev "$NS_N"a
    ip -n "$NS_N" addr add 198.51.100.254/24 dev "$NS_N"b
    ip -n "$NS_B" addr add 198.51.100.2/24 dev "$NS_B"0
    local l
    for l in "$NS_A:$NS_A"0 "$NS_N:$NS_N"a "$NS_N:$NS_N"b "$NS_B:$NS_B"0; do
      ip -n "${l%%:*}" link set "${l##*:}" up
    done
    ip -n "$NS_A" route add default via 192.0.2.254
    ip -n "$NS_A" route add 203.0.113.128/25 via 192.0.2.254 src 203.0.113.1
    ip -n "$NS_B" route add 203.0.113.0/25 via 198.51.100.254 src 203.0.113.129
    ip netns exec "$NS_N" sysctl -qw net.ipv4.ip_forward=1
    command -v nft >/dev/null || ikl_die "nft (package nftables) is needed for the NAT topology"
    ip netns exec "$NS_N" nft -f - <<EOF
table ip iklnat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${NS_N}b" masquerade
  }
}
EOF
    IKL_INI_ADDR=192.0.2.1
  fi
  ip netns exec "$NS_A" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$NS_A" ping -c1 -W2 198.51.100.2 >/dev/null || ikl_die "no connectivity $NS_A -> $NS_B"
  ikl_log "namespaces up ($mode): $NS_A ($IKL_INI_ADDR) <-> $NS_B (198.51.100.2)"
}

# ikl_pki OUTDIR ecdsa|rsa4096
#   ecdsa:   CA ECDSA P-256, resp ECDSA P-256, init RSA-2048
#   rsa4096: CA RSA-4096, resp and init RSA-4096 (big CERT payloads -> fragmented IKE_AUTH)
ikl_pki() {
  local out=$1 kind=$2
  mkdir -p "$out"
  printf 'pki {\n  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey\n}\n' > "$out/pki-strongswan.conf"
  (
    cd "$out"
    export STRONGSWAN_CONF=$PWD/pki-strongswan.conf
    local ca_t ca_s r_t r_s i_t i_s
    if [ "$kind" = rsa4096 ]; then
      ca_t=rsa ca_s=4096 r_t=rsa r_s=4096 i_t=rsa i_s=4096
    else
      ca_t=ecdsa ca_s=256 r_t=ecdsa r_s=256 i_t=rsa i_s=2048
    fi
    pki --gen --type "$ca_t" --size "$ca_s" --outform pem > ca.key
    pki --self --ca --lifetime 3650 --in ca.key --type "$ca_t" \
        --dn "C=XX, O=IKL Test, CN=IKL Test CA" --outform pem > ca.crt
    pki --gen --type "$r_t" --size "$r_s" --outform pem > resp.key
    pki --pub --in resp.key --type "$r_t" | \
      pki --issue --lifetime 3650 --cacert ca.crt --cakey ca.key \
          --dn "C=XX, O=IKL Test, CN=responder.ikl.example" --san responder.ikl.example \
          --flag serverAuth --flag ikeIntermediate --outform pem > resp.crt
    pki --gen --type "$i_t" --size "$i_s" --outform pem > init.key
    pki --pub --in init.key --type "$i_t" | \
      pki --issue --lifetime 3650 --cacert ca.crt --cakey ca.key \
          --dn "C=XX, O=IKL Test, CN=initiator.ikl.example" --san initiator.ikl.example \
          --flag clientAuth --outform pem > init.crt
  )
  ikl_log "PKI ($kind) in $out"
}

# ikl_charon_start NAME NETNS SWANCTL_CONF RUNDIR [PKIDIR OWN] [EXTRA_CHARON_SETTINGS_FILE]
# One charon-systemd in NETNS with kernel-libipsec and a filelog (ike/chd/enc = 4, knl = 2).
# $PLUGINS (set by a scenario.sh, default empty) is appended to the charon load list.
ikl_charon_start() {
  local name=$1 ns=$2 conf=$3 run=$4 pki=${5:-} own=${6:-} extra=${7:-}
  local d=$run/$name
  rm -rf "$d"
  mkdir -p "$d/swanctl"/{x509,x509ca,private,conf.d}
  cp "$conf" "$d/swanctl/swanctl.conf"
  if [ -n "$pki" ]; then
    cp "$pki/ca.crt" "$d/swanctl/x509ca/"
    cp "$pki/$own.crt" "$d/swanctl/x509/"
    cp "$pki/$own.key" "$d/swanctl/private/"
  fi
  local extra_text=""
  [ -n "$extra" ] && [ -f "$extra" ] && extra_text=$(cat "$extra")
  cat > "$d/strongswan.conf" <<EOC
# generated by scripts/interop/lib.sh for instance $name (netns $ns)
charon-systemd {
  journal {
    default = -1
  }
}
charon {
  load_modular = no
  # kernel-libipsec before kernel-netlink: libipsec is the IPsec backend (userspace ESP over TUN)
  load = random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey constraints curve25519 chapoly kernel-libipsec kernel-netlink socket-default vici updown${PLUGINS:+ $PLUGINS}
  port = 500
  port_nat_t = 4500
  install_virtual_ip = no
  install_routes = yes
  retransmit_tries = 3
  plugins {
    kernel-libipsec {
      allow_peer_ts = yes
    }
    vici {
      socket = unix://$d/charon.vici
    }
    # only used if a scenario loads resolve (DNS from a CP reply): never touch /etc/resolv.conf
    resolve {
      file = $d/resolv.conf
    }
  }
  filelog {
    main {
      path = $d/charon.log
      time_format = %T
      default = 1
      # level 4 of ike/chd dumps the DH secret, SKEYSEED, Sk_* and CHILD_SA keys (keymat_v2.c);
      # enc 4 dumps every parsed/generated payload field (SPIs, nonces)
      ike = 4
      chd = 4
      enc = 4
      cfg = 2
      knl = 2
      net = 2
      ike_name = yes
      append = no
      flush_line = yes
    }
  }
$extra_text
}
swanctl {
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey
  socket = unix://$d/charon.vici
}
EOC
  rm -f "$d/charon.vici"
  STRONGSWAN_CONF="$d/strongswan.conf" ip netns exec "$ns" /usr/sbin/charon-systemd >"$d/stdout.log" 2>&1 &
  local pid=$!
  IKL_PIDS+=("$pid")
  echo "$pid" > "$d/charon.pid"
  ikl_wait_for 10 test -S "$d/charon.vici" || ikl_die "charon $name did not come up; see $d/charon.log $d/stdout.log"
  ikl_sw "$name" --load-all >"$d/load.log" 2>&1 || { cat "$d/load.log" >&2; ikl_die "swanctl --load-all failed for $name"; }
  ikl_log "charon $name up in $ns (pid $pid)"
}

# ikl_sw NAME swanctl-args...   (bounded: 30 s)
ikl_sw() {
  local name=$1; shift
  local d=$IKL_RUN/$name
  SWANCTL_DIR="$d/swanctl" STRONGSWAN_CONF="$d/strongswan.conf" \
    timeout 30 swanctl "$@" --uri "unix://$d/charon.vici"
}

# ikl_capture_start NETNS IFACE FILE pcap|pcapng   -- dumpcap in the namespace, UDP 500/4500 only
ikl_capture_start() {
  local ns=$1 ifc=$2 file=$3 fmt=$4
  local fopt=()
  [ "$fmt" = pcap ] && fopt=(-P)
  rm -f "$file"
  ip netns exec "$ns" dumpcap -q -i "$ifc" -f 'udp port 500 or udp port 4500' "${fopt[@]}" -w "$file" \
    >"$file.dumpcap.log" 2>&1 &
  IKL_CAP_PID=$!
  IKL_PIDS+=("$IKL_CAP_PID")
  # dumpcap creates the file once it is capturing
  ikl_wait_for 10 test -s "$file" || { cat "$file.dumpcap.log" >&2; ikl_die "dumpcap did not start"; }
  sleep 0.3
}

ikl_capture_stop() {
  sleep 0.5   # let the last packets reach the ring buffer
  ikl_stop_pid "$IKL_CAP_PID" INT
  rm -f "$1.dumpcap.log"
}

# ikl_wait_sa NAME PATTERN SECS -- poll `--list-sas` until its output matches PATTERN (grep -E)
ikl_wait_sa() {
  local name=$1 pat=$2 secs=${3:-10}
  ikl_wait_for "$secs" bash -c "$(declare -f ikl_sw); IKL_RUN='$IKL_RUN' ikl_sw '$name' --list-sas 2>/dev/null | grep -qE '$pat'"
}

# ikl_ping COUNT -- LAN to LAN through the CHILD_SA (ESP-in-UDP on 4500)
ikl_ping() {
  ip netns exec "$NS_A" ping -q -c "$1" -i 0.3 -W 2 -I 203.0.113.1 203.0.113.129 | grep -E 'packets' >&2
}
