#!/bin/bash
# ikelab <-> strongSwan (charon 5.9.x, kernel-libipsec) in two network namespaces.
#
#   ikleng-a 198.51.100.1  <-- veth -->  ikleng-b 198.51.100.2
#
# Cases (each: IKE_SA ESTABLISHED and CHILD_SA INSTALLED in `swanctl --list-sas`, with the
# transforms we chose):
#   1. ikelab connect (a) -> charon responder (b): PSK, aes256gcm16-prfsha384-ecp256, then
#      5 ICMP echo requests (built with pnet, sealed by ikelab) through the CHILD_SA: charon's
#      libipsec opens them, its kernel answers, and the 5 replies must open in ikelab
#   2. same with x25519 and aes128gcm16
#   3. ikelab connect (a) -> charon responder (b): certificates, ours ECDSA P-256, charon's
#      RSA 2048, aes256-sha256-modp2048, 3 pings through AES-CBC/HMAC-SHA2-256 ESP
#   4. charon initiator (a) -> ikelab serve (b): PSK, aes256gcm16-prfsha384-x25519, then
#      `ping -c 3` from namespace a through charon's tunnel: ikelab opens and answers them
#   5. charon initiator (a) -> ikelab serve (b): certificates, charon's RSA 2048, ours ECDSA,
#      aes256-sha256-modp2048
# Case 1 is captured with tshark and decrypted with ikelab's --keylog tables: the IKE_AUTH
# payloads must be visible and the checksum "[correct]".
#
# Usage: strongswan.sh IKELAB_BINARY     (root; strongswan-charon, -swanctl, -pki, charon-systemd,
#                                          libcharon-extra-plugins, tshark, openssl installed)
# Exit: 0 all passed, 1 a case failed, 77 skipped (not root / packages missing; printed loudly).
set -uo pipefail
IKELAB=$(readlink -f "${1:?usage: strongswan.sh IKELAB_BINARY}")
RUN=${IKLENG_RUN:-/tmp/ikleng-run}
NS_A=ikleng-a
NS_B=ikleng-b
PSK='ikleng interop psk 0123456789'

skip() { echo "################ SKIPPED strongSwan interop: $* ################" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root"
for t in charon-systemd swanctl pki tshark openssl ip; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || skip "$t missing"
done
[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] || skip "kernel-libipsec plugin missing (libcharon-extra-plugins)"

cleanup() {
  for p in "$RUN"/*.pid; do [ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  sleep 0.2
  ip netns del "$NS_A" 2>/dev/null
  ip netns del "$NS_B" 2>/dev/null
}
trap cleanup EXIT
cleanup
rm -rf "$RUN"; mkdir -p "$RUN"

# --- namespaces ---------------------------------------------------------------------------
ip netns add "$NS_A"; ip netns add "$NS_B"
ip -n "$NS_A" link set lo up; ip -n "$NS_B" link set lo up
ip -n "$NS_A" link add ikleng-a0 type veth peer name ikleng-b0
ip -n "$NS_A" link set ikleng-b0 netns "$NS_B"
ip -n "$NS_A" addr add 198.51.100.1/24 dev ikleng-a0
ip -n "$NS_B" addr add 198.51.100.2/24 dev ikleng-b0
ip -n "$NS_A" link set ikleng-a0 up; ip -n "$NS_B" link set ikleng-b0 up
ip netns exec "$NS_A" ping -c1 -W2 198.51.100.2 >/dev/null || { echo "veth not up"; exit 1; }
# Inner addresses the CHILD_SAs protect. Host-to-host selectors on the outer addresses would
# route charon's own IKE packets into its libipsec TUN device (a loop).
ip -n "$NS_A" addr add 203.0.113.1/32 dev lo
ip -n "$NS_B" addr add 203.0.113.129/32 dev lo

# --- PKI: CA ECDSA P-256; "ecdsa" and "rsa" end entities; PKCS#8 keys for ikelab ----------
PKI=$RUN/pki; mkdir -p "$PKI"
printf 'pki {\n  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey\n}\n' > "$PKI/pki.conf"
export STRONGSWAN_CONF=$PKI/pki.conf
pki --gen --type ecdsa --size 256 --outform pem > "$PKI/ca.key"
pki --self --ca --lifetime 30 --in "$PKI/ca.key" --type ecdsa \
    --dn "C=XX, O=ikelab, CN=ikelab interop CA" --outform pem > "$PKI/ca.crt"
issue() { # NAME TYPE SIZE
  pki --gen --type "$2" --size "$3" --outform pem > "$PKI/$1.key"
  pki --pub --in "$PKI/$1.key" --type "$2" | pki --issue --lifetime 30 --cacert "$PKI/ca.crt" \
      --cakey "$PKI/ca.key" --dn "C=XX, O=ikelab, CN=$1.ikleng.example" --san "$1.ikleng.example" \
      --flag serverAuth --flag clientAuth --outform pem > "$PKI/$1.crt"
  openssl pkcs8 -topk8 -nocrypt -in "$PKI/$1.key" -out "$PKI/$1.p8"
}
issue ecdsa ecdsa 256
issue rsa rsa 2048
unset STRONGSWAN_CONF
printf '%s' "$PSK" > "$RUN/psk"

# --- charon -------------------------------------------------------------------------------
start_charon() { # NAME NETNS SWANCTL_CONF OWN_CERT_NAME
  local D=$RUN/$1
  mkdir -p "$D/swanctl"/{x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,private,rsa,ecdsa,bliss,pkcs8,pkcs12,pubkey,conf.d}
  cp "$3" "$D/swanctl/swanctl.conf"
  cp "$PKI/ca.crt" "$D/swanctl/x509ca/"
  cp "$PKI/$4.crt" "$D/swanctl/x509/"; cp "$PKI/$4.key" "$D/swanctl/private/"
  cat > "$D/strongswan.conf" <<EOC
charon-systemd {
  journal {
    default = -1
  }
}
charon {
  load_modular = no
  load = random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey constraints curve25519 kernel-libipsec kernel-netlink socket-default vici updown
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
  for _ in $(seq 1 100); do [ -S "$D/charon.vici" ] && break; sleep 0.1; done
  sw "$1" --load-all >/dev/null || { echo "charon $1 failed: $(tail -5 "$D/charon.log")"; return 1; }
}
sw() { local D=$RUN/$1; shift; SWANCTL_DIR="$D/swanctl" STRONGSWAN_CONF="$D/strongswan.conf" swanctl "$@" --uri "unix://$D/charon.vici"; }
stop_charon() { kill "$(cat "$RUN/$1.pid")" 2>/dev/null; rm -f "$RUN/$1.pid"; sleep 0.3; }

FAILED=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }

# check_sas NAME IKE_CONN CHILD WANT_IKE_TRANSFORMS WANT_ESP_TRANSFORMS
check_sas() {
  local out; out=$(sw "$1" --list-sas 2>&1)
  if grep -q "$2: .*ESTABLISHED" <<<"$out" && grep -q "$3: .*INSTALLED" <<<"$out" \
     && grep -q "$4" <<<"$out" && grep -q "$5" <<<"$out"; then
    pass "$1 lists $2 ESTABLISHED ($4) and $3 INSTALLED ($5)"
  else
    fail "$1 --list-sas for $2/$3 (want $4 / $5):"; echo "$out"
  fi
}

# --- charon as responder ------------------------------------------------------------------
cat > "$RUN/resp.conf" <<EOC
connections {
  psk {
    local_addrs = 198.51.100.2
    proposals = aes256gcm16-prfsha384-ecp256, aes128gcm16-prfsha256-x25519
    local { auth = psk
            id = resp.ikleng.example }
    remote { auth = psk
             id = init.ikleng.example }
    children { psk-child { esp_proposals = aes256gcm16, aes128gcm16
                           local_ts = 203.0.113.129/32
                           remote_ts = 203.0.113.1/32 } }
  }
  cert {
    local_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    local { auth = pubkey
            certs = rsa.crt
            id = rsa.ikleng.example }
    remote { auth = pubkey
             id = ecdsa.ikleng.example
             cacerts = ca.crt }
    children { cert-child { esp_proposals = aes256-sha256-modp2048
                            local_ts = 203.0.113.129/32
                            remote_ts = 203.0.113.1/32 } }
  }
}
secrets {
  ike-psk { id-1 = resp.ikleng.example
            id-2 = init.ikleng.example
            secret = "$PSK" }
  rsa { file = rsa.key }
}
EOC
start_charon resp "$NS_B" "$RUN/resp.conf" rsa || exit 1

connect() { # LOG ARGS...
  local log=$1; shift
  ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --timeout 15 \
    --local-ts 203.0.113.1/32 --remote-ts 203.0.113.129/32 "$@" >"$log" 2>&1
}

# Case 1, captured.
ip netns exec "$NS_B" tshark -q -i ikleng-b0 -w "$RUN/case1.pcapng" -f "udp port 500 or udp port 4500" >/dev/null 2>&1 &
echo $! > "$RUN/tshark.pid"; sleep 1.5
if connect "$RUN/case1.log" --psk-file "$RUN/psk" --identity init.ikleng.example \
     --remote-identity resp.ikleng.example --ike-proposal aes256gcm16-prfsha384-ecp256 \
     --esp-proposal aes256gcm16 --keylog "$RUN/case1-keys" --ping 5; then
  pass "case 1: ikelab connect, PSK ecp256/GCM: $(grep -c installed "$RUN/case1.log") CHILD_SA"
  check_sas resp psk psk-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" "AES_GCM_16-256"
  if grep -q "ping: 5 sent, 5 replies" "$RUN/case1.log" \
     && sw resp --list-sas 2>&1 | grep -Eq "in .*bytes, +5 packets"; then
    pass "case 1: 5 echo requests through charon's libipsec ESP-in-UDP, 5 replies opened by ikelab"
  else
    fail "case 1 ping: $(grep -E 'ping:|error' "$RUN/case1.log")"; sw resp --list-sas
  fi
else
  fail "case 1: ikelab connect exited non-zero"; cat "$RUN/case1.log"
  if [ -n "${IKLENG_DEBUG:-}" ]; then
    ip netns exec "$NS_B" ss -uanp; ip -n "$NS_B" route show table all; ip -n "$NS_B" rule
    ip netns exec "$NS_A" ss -uanp; ip -n "$NS_B" -s link
  fi
fi
sleep 1; kill "$(cat "$RUN/tshark.pid")"; rm -f "$RUN/tshark.pid"; sleep 0.5
# Decrypt the capture with our key log (the UAT lines as tshark -o options).
UAT=()
while read -r line; do [ -n "$line" ] && UAT+=(-o "uat:ikev2_decryption_table:$line"); done \
  < <(grep -v '^#' "$RUN/case1-keys/ikev2_decryption_table" 2>/dev/null)
DEC=$(tshark -r "$RUN/case1.pcapng" -V "${UAT[@]}" 2>&1)
if grep -q "Payload: Identification - Initiator" <<<"$DEC" \
   && [ "$(grep -c 'Integrity Checksum Data.*\[correct\]' <<<"$DEC")" -ge 2 ] \
   && ! grep -q "\[incorrect" <<<"$DEC"; then
  pass "case 1 capture decrypts with ikelab's keylog (IDi visible, integrity [correct])"
else
  fail "case 1 capture did not decrypt with the keylog"; grep -i -m5 "encrypted\|checksum\|integrity" <<<"$DEC"
fi
sw resp --terminate --ike psk --force >/dev/null 2>&1

# Case 2.
if connect "$RUN/case2.log" --psk-file "$RUN/psk" --identity init.ikleng.example \
     --remote-identity resp.ikleng.example --ike-proposal aes128gcm16-prfsha256-x25519 \
     --esp-proposal aes128gcm16; then
  pass "case 2: ikelab connect, PSK x25519/GCM"
  check_sas resp psk psk-child "AES_GCM_16-128/PRF_HMAC_SHA2_256/CURVE_25519" "AES_GCM_16-128"
else
  fail "case 2"; cat "$RUN/case2.log"
fi
sw resp --terminate --ike psk --force >/dev/null 2>&1

# Case 3.
if connect "$RUN/case3.log" --cert "$PKI/ecdsa.crt" --key "$PKI/ecdsa.p8" --cacert "$PKI/ca.crt" \
     --identity ecdsa.ikleng.example --remote-identity rsa.ikleng.example \
     --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 --ping 3; then
  pass "case 3: ikelab connect, ECDSA/RSA certificates, MODP2048/CBC, 3 pings through AES-CBC/HMAC-SHA2 ESP answered"
  check_sas resp cert cert-child "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" "AES_CBC-256/HMAC_SHA2_256_128"
else
  fail "case 3"; cat "$RUN/case3.log"; tail -20 "$RUN/resp/charon.log"
fi
stop_charon resp

# --- charon as initiator ------------------------------------------------------------------
cat > "$RUN/init.conf" <<EOC
connections {
  psk {
    remote_addrs = 198.51.100.2
    proposals = aes256gcm16-prfsha384-x25519
    local { auth = psk
            id = init.ikleng.example }
    remote { auth = psk
             id = resp.ikleng.example }
    children { psk-child { esp_proposals = aes256gcm16
                           local_ts = 203.0.113.1/32
                           remote_ts = 203.0.113.129/32 } }
  }
  cert {
    remote_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    local { auth = pubkey
            certs = rsa.crt
            id = rsa.ikleng.example }
    remote { auth = pubkey
             id = ecdsa.ikleng.example
             cacerts = ca.crt }
    children { cert-child { esp_proposals = aes256-sha256
                            local_ts = 203.0.113.1/32
                            remote_ts = 203.0.113.129/32 } }
  }
}
secrets {
  ike-psk { id-1 = resp.ikleng.example
            id-2 = init.ikleng.example
            secret = "$PSK" }
  rsa { file = rsa.key }
}
EOC
start_charon init "$NS_A" "$RUN/init.conf" rsa || exit 1

serve() { # LOG ARGS...
  local log=$1; shift
  ip netns exec "$NS_B" "$IKELAB" serve -v --listen 198.51.100.2 --exit-after 1 --timeout 20 --linger 4 \
    --local-ts 203.0.113.129/32 --remote-ts 203.0.113.1/32 "$@" >"$log" 2>&1 &
  echo $! > "$RUN/serve.pid"; sleep 0.5
}

# Case 4.
serve "$RUN/case4.log" --psk-file "$RUN/psk" --identity resp.ikleng.example \
      --remote-identity init.ikleng.example --ike-proposal aes256gcm16-prfsha384-x25519 --esp-proposal aes256gcm16
if sw init --initiate --ike psk --child psk-child --timeout 15 >"$RUN/case4-swanctl.log" 2>&1; then
  pass "case 4: swanctl --initiate against ikelab serve, PSK"
  check_sas init psk psk-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/CURVE_25519" "AES_GCM_16-256"
  ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 2 -I 203.0.113.1 203.0.113.129 >"$RUN/case4-ping.log" 2>&1
  wait "$(cat "$RUN/serve.pid")" 2>/dev/null; rm -f "$RUN/serve.pid"
  if grep -q "3 received" "$RUN/case4-ping.log" && grep -q "echo replies 3 " "$RUN/case4.log"; then
    pass "case 4: ping -c 3 through charon's tunnel answered by ikelab serve (3 replies)"
  else
    fail "case 4 ping"; cat "$RUN/case4-ping.log"; grep ESP "$RUN/case4.log"
  fi
else
  fail "case 4"; cat "$RUN/case4-swanctl.log" "$RUN/case4.log"
fi
[ -e "$RUN/serve.pid" ] && wait "$(cat "$RUN/serve.pid")" 2>/dev/null; rm -f "$RUN/serve.pid"
sw init --terminate --ike psk --force >/dev/null 2>&1

# Case 5.
serve "$RUN/case5.log" --cert "$PKI/ecdsa.crt" --key "$PKI/ecdsa.p8" --cacert "$PKI/ca.crt" \
      --identity ecdsa.ikleng.example --remote-identity rsa.ikleng.example \
      --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256
if sw init --initiate --ike cert --child cert-child --timeout 15 >"$RUN/case5-swanctl.log" 2>&1; then
  pass "case 5: swanctl --initiate against ikelab serve, certificates"
  check_sas init cert cert-child "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" "AES_CBC-256/HMAC_SHA2_256_128"
else
  fail "case 5"; cat "$RUN/case5-swanctl.log" "$RUN/case5.log"
fi
wait "$(cat "$RUN/serve.pid")" 2>/dev/null; rm -f "$RUN/serve.pid"
stop_charon init

[ "$FAILED" = 0 ] && echo "strongSwan interop: all cases passed" || echo "strongSwan interop: FAILURES (logs in $RUN)"
exit "$FAILED"
