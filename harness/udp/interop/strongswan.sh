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
# Rekeys while ESP flows (RFC 7296 §1.3.2, §1.3.3, §2.8), zero lost echo replies each:
#   6. ikelab connect (a) -> charon responder (b), PSK: a ping every 100 ms for 6 s while
#      ikelab rekeys the CHILD_SA at 2 s and the IKE SA at 4 s; charon then lists the IKE SA
#      and the single CHILD_SA under the new SPIs ikelab printed
#   7. the same with charon rekeying (`swanctl --rekey --child`, then `--rekey --ike`) while
#      ikelab connect pings
#   8. charon initiator (a) -> ikelab serve (b) with --rekey-child-after 1.5
#      --rekey-ike-after 3: `ping -c 40 -i 0.1` through charon's tunnel, 0% packet loss
#   9. ikelab connect (a) -> charon responder (b) over IPv6 (outer and inner), PSK, 3 ICMPv6
#      echo requests through the CHILD_SA, 3 replies
#  10. ikelab connect (a) -> charon responder (b) with MODP-2048 first: charon's
#      INVALID_KE_PAYLOAD(ECP_256), the retry establishes
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
# shellcheck source=../../../scripts/interop-lib.sh
. "$(dirname "$0")/../../../scripts/interop-lib.sh"
il_require pki tshark openssl
il_begin
il_netns_pair ikleng
il_inner_addrs
# IPv6 outer and inner addresses (case 9).
ip -n "$NS_A" addr add 2001:db8:100::1/64 dev ikleng-a0 nodad
ip -n "$NS_B" addr add 2001:db8:100::2/64 dev ikleng-b0 nodad
ip -n "$NS_A" addr add 2001:db8:113::1/128 dev lo
ip -n "$NS_B" addr add 2001:db8:113::129/128 dev lo

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

start_charon() { # NAME NETNS SWANCTL_CONF OWN_CERT_NAME
  local D; D=$(il_charon_dir "$1")
  cp "$PKI/ca.crt" "$D/swanctl/x509ca/"
  cp "$PKI/$4.crt" "$D/swanctl/x509/"; cp "$PKI/$4.key" "$D/swanctl/private/"
  il_start_charon "$1" "$2" "$3"
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
  psk6 {
    local_addrs = 2001:db8:100::2
    proposals = aes256gcm16-prfsha384-ecp256
    local { auth = psk
            id = resp.ikleng.example }
    remote { auth = psk
             id = init.ikleng.example }
    children { psk6-child { esp_proposals = aes256gcm16
                            local_ts = 2001:db8:113::129/128
                            remote_ts = 2001:db8:113::1/128 } }
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
  il_check_sas resp psk psk-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" "AES_GCM_16-256"
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

# Case 10: our KE guess (MODP-2048, first in our proposal) is not charon's group: charon
# answers INVALID_KE_PAYLOAD(ECP_256), ikelab retries IKE_SA_INIT with it (RFC 7296 §1.2).
if connect "$RUN/case10.log" --psk-file "$RUN/psk" --identity init.ikleng.example \
     --remote-identity resp.ikleng.example --ike-proposal aes256gcm16-prfsha384-modp2048-ecp256 \
     --esp-proposal aes256gcm16 \
   && grep -q "Received IKE_SA_INIT response #0 \[Notify\] notifies \[INVALID_KE_PAYLOAD\]" "$RUN/case10.log" \
   && [ "$(grep -c "Sent IKE_SA_INIT request" "$RUN/case10.log")" = 2 ]; then
  pass "case 10: INVALID_KE_PAYLOAD from charon, IKE_SA_INIT retried with ECP_256"
  il_check_sas resp psk psk-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" "AES_GCM_16-256"
else
  fail "case 10: INVALID_KE_PAYLOAD retry"; cat "$RUN/case10.log"
fi
sw resp --terminate --ike psk --force >/dev/null 2>&1

# Case 2.
if connect "$RUN/case2.log" --psk-file "$RUN/psk" --identity init.ikleng.example \
     --remote-identity resp.ikleng.example --ike-proposal aes128gcm16-prfsha256-x25519 \
     --esp-proposal aes128gcm16; then
  pass "case 2: ikelab connect, PSK x25519/GCM"
  il_check_sas resp psk psk-child "AES_GCM_16-128/PRF_HMAC_SHA2_256/CURVE_25519" "AES_GCM_16-128"
else
  fail "case 2"; cat "$RUN/case2.log"
fi
sw resp --terminate --ike psk --force >/dev/null 2>&1

# Case 3.
if connect "$RUN/case3.log" --cert "$PKI/ecdsa.crt" --key "$PKI/ecdsa.p8" --cacert "$PKI/ca.crt" \
     --identity ecdsa.ikleng.example --remote-identity rsa.ikleng.example \
     --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 --ping 3; then
  pass "case 3: ikelab connect, ECDSA/RSA certificates, MODP2048/CBC, 3 pings through AES-CBC/HMAC-SHA2 ESP answered"
  il_check_sas resp cert cert-child "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" "AES_CBC-256/HMAC_SHA2_256_128"
else
  fail "case 3"; cat "$RUN/case3.log"; tail -20 "$RUN/resp/charon.log"
fi
sw resp --terminate --ike cert --force >/dev/null 2>&1

# --- rekeys while ESP flows (cases 6, 7) -------------------------------------------------
# spis LOG: "IKE_SPI_i IKE_SPI_r CHILD_in CHILD_out" as ikelab last printed them (IKE SPIs
# from the newest "IKE_SA established"/"IKE_SA rekeyed" line, CHILD_SA SPIs from the newest
# "installed" line).
spis() {
  local ike child
  ike=$(grep -oE '(IKE_SA established .*SPIs|IKE_SA rekeyed \(SPIs) [0-9a-f]{16}_i [0-9a-f]{16}_r' "$1" \
        | tail -1 | grep -oE '[0-9a-f]{16}_[ir]' | tr -d '_ir' | tr '\n' ' ')
  child=$(grep -E 'CHILD_SA .* installed' "$1" | tail -1 \
        | sed -E 's/.*SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o.*/\1 \2/')
  echo "$ike$child"
}
# check_rekeyed CASE LOG IKE_CONN CHILD: charon lists one IKE SA and one INSTALLED CHILD_SA, on
# the SPIs ikelab printed last (its inbound SPI is charon's outbound), not the first ones, and
# the last echo reply came in on the new SA. charon keeps a replaced CHILD_SA for
# charon.delete_rekeyed_delay (5 s) to receive late packets; it lists it as DELETED meanwhile.
check_rekeyed() {
  local out inst first
  out=$(sw resp --list-sas --ike "$3" 2>&1)
  inst=$(installed_child "$4" <<<"$out")
  first=$(grep -m1 -E 'CHILD_SA .* installed' "$2" | sed -E 's/.*SPIs ([0-9a-f]{8})_i.*/\1/')
  read -r si sr cin cout <<<"$(spis "$2")"
  if [ "$(grep -c "^$3: #" <<<"$out")" = 1 ] && [ "$(grep -c "  $4: #.*INSTALLED" <<<"$out")" = 1 ] \
     && grep -q "$si""_i\*\? $sr""_r" <<<"$out" \
     && grep -Eq "in  $cout," <<<"$inst" && grep -Eq "out $cin," <<<"$inst" \
     && [ -n "$first" ] && [ "$first" != "$cin" ] \
     && grep '^echo reply' "$2" | tail -1 | grep -q "SPI 0x$cin)"; then
    pass "$1: charon lists the IKE SA ($si""_i $sr""_r) and its INSTALLED CHILD_SA (in $cout, out $cin) on the rekeyed SPIs; the last reply arrived on $cin"
  else
    fail "$1: charon's SAs are not the rekeyed ones (ikelab: $si $sr $cin $cout, first $first)"; echo "$out"
  fi
}
# installed_child CHILD: the lines of the INSTALLED CHILD_SA named CHILD in `--list-sas` output.
installed_child() {
  awk -v c="  $1: #" 'index($0, c) == 1 { p = ($0 ~ /INSTALLED/) } p'
}
# check_ping CASE LOG N: N sent, N replies, 0 lost, the planned/seen rekeys in ikelab's summary.
check_ping() {
  if grep -q "ping: $3 sent, $3 replies, 0 lost" "$2" \
     && grep -q "rekeys: CHILD_SA 1, IKE_SA 1$" "$2"; then
    pass "$1: $3 echo requests every 100 ms, 0 lost across the CHILD_SA and IKE SA rekeys"
  else
    fail "$1: $(grep -E 'ping:|rekeys:|error' "$2")"
  fi
}

# Case 6: ikelab rekeys.
if connect "$RUN/case6.log" --psk-file "$RUN/psk" --identity init.ikleng.example \
     --remote-identity resp.ikleng.example --ike-proposal aes256gcm16-prfsha384-ecp256 \
     --esp-proposal aes256gcm16 --ping 60 --ping-interval 100 \
     --rekey-child-after 2 --rekey-ike-after 4; then
  pass "case 6: ikelab connect rekeyed CHILD_SA and IKE SA while pinging (exit 0)"
else
  fail "case 6: ikelab connect exited non-zero"; grep -vE '^echo reply|Message' "$RUN/case6.log"
fi
check_ping "case 6" "$RUN/case6.log" 60
grep -q "rekey of .*, ours)" "$RUN/case6.log" || fail "case 6: no CHILD_SA rekey of ours in the log"
check_rekeyed "case 6" "$RUN/case6.log" psk psk-child
sw resp --terminate --ike psk --force >/dev/null 2>&1

# Case 7: charon rekeys while ikelab pings.
connect "$RUN/case7.log" --psk-file "$RUN/psk" --identity init.ikleng.example \
  --remote-identity resp.ikleng.example --ike-proposal aes256gcm16-prfsha384-ecp256 \
  --esp-proposal aes256gcm16 --ping 60 --ping-interval 100 &
CONNECT_PID=$!
for _ in $(seq 1 50); do grep -q "echo reply" "$RUN/case7.log" 2>/dev/null && break; sleep 0.1; done
sleep 1.5
sw resp --rekey --child psk-child >"$RUN/case7-swanctl.log" 2>&1 || fail "case 7: swanctl --rekey --child"
sleep 2
sw resp --rekey --ike psk >>"$RUN/case7-swanctl.log" 2>&1 || fail "case 7: swanctl --rekey --ike"
if wait "$CONNECT_PID"; then
  pass "case 7: ikelab connect pinged through charon's CHILD_SA and IKE SA rekeys (exit 0)"
else
  fail "case 7: ikelab connect exited non-zero"; grep -vE '^echo reply|Message' "$RUN/case7.log"; cat "$RUN/case7-swanctl.log"
fi
check_ping "case 7" "$RUN/case7.log" 60
grep -q "rekey of .*, the peer's)" "$RUN/case7.log" || fail "case 7: no CHILD_SA rekey by charon in the log"
check_rekeyed "case 7" "$RUN/case7.log" psk psk-child
sw resp --terminate --ike psk --force >/dev/null 2>&1

# Case 9: IPv6 outside and inside: IKE over [2001:db8:100::1] <-> [2001:db8:100::2], ICMPv6
# echo through the CHILD_SA.
if ip netns exec "$NS_A" "$IKELAB" connect -v --host 2001:db8:100::2 --timeout 15 \
     --local-ts 2001:db8:113::1/128 --remote-ts 2001:db8:113::129/128 --psk-file "$RUN/psk" \
     --identity init.ikleng.example --remote-identity resp.ikleng.example \
     --ike-proposal aes256gcm16-prfsha384-ecp256 --esp-proposal aes256gcm16 --ping 3 >"$RUN/case9.log" 2>&1; then
  il_check_sas resp psk6 psk6-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" "AES_GCM_16-256"
  if grep -q "ping: 3 sent, 3 replies, 0 lost" "$RUN/case9.log" && grep -q "2001:db8:100::2\]:4500" "$RUN/case9.log"; then
    pass "case 9: ikelab connect over IPv6, 3 ICMPv6 echo replies through ESP-in-UDP"
  else
    fail "case 9: $(grep -E 'ping:|established' "$RUN/case9.log")"
  fi
else
  fail "case 9: ikelab connect over IPv6 exited non-zero"; cat "$RUN/case9.log"
fi
sw resp --terminate --ike psk6 --force >/dev/null 2>&1
il_stop_charon resp

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
  il_check_sas init psk psk-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/CURVE_25519" "AES_GCM_16-256"
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
  il_check_sas init cert cert-child "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" "AES_CBC-256/HMAC_SHA2_256_128"
else
  fail "case 5"; cat "$RUN/case5-swanctl.log" "$RUN/case5.log"
fi
wait "$(cat "$RUN/serve.pid")" 2>/dev/null; rm -f "$RUN/serve.pid"
sw init --terminate --ike cert --force >/dev/null 2>&1

# Case 8: ikelab serve rekeys (responder-initiated) while charon's host pings through it.
ip netns exec "$NS_B" "$IKELAB" serve -v --listen 198.51.100.2 --exit-after 1 --timeout 30 --linger 7 \
  --local-ts 203.0.113.129/32 --remote-ts 203.0.113.1/32 --psk-file "$RUN/psk" \
  --identity resp.ikleng.example --remote-identity init.ikleng.example \
  --ike-proposal aes256gcm16-prfsha384-x25519 --esp-proposal aes256gcm16 \
  --rekey-child-after 1.5 --rekey-ike-after 3 >"$RUN/case8.log" 2>&1 &
SERVE_PID=$!; sleep 0.5
if sw init --initiate --ike psk --child psk-child --timeout 15 >"$RUN/case8-swanctl.log" 2>&1; then
  ip netns exec "$NS_A" ping -c 40 -i 0.1 -W 2 -I 203.0.113.1 203.0.113.129 >"$RUN/case8-ping.log" 2>&1
  if wait "$SERVE_PID"; then
    pass "case 8: ikelab serve rekeyed CHILD_SA and IKE SA under charon's traffic (exit 0)"
  else
    fail "case 8: ikelab serve exited non-zero"; grep -v Message "$RUN/case8.log"
  fi
  if grep -q " 0% packet loss" "$RUN/case8-ping.log" && grep -q "rekeys: CHILD_SA 1, IKE_SA 1$" "$RUN/case8.log" \
     && grep -q "rekey of .*, ours)" "$RUN/case8.log" && grep -q "IKE_SA rekeyed" "$RUN/case8.log"; then
    pass "case 8: ping -c 40 -i 0.1 through charon's tunnel, 0% loss across ikelab's rekeys"
  else
    fail "case 8: $(grep -E 'packet loss' "$RUN/case8-ping.log"; grep -E 'rekeys:|ESP:|error' "$RUN/case8.log")"
  fi
  out=$(sw init --list-sas --ike psk 2>&1)
  inst=$(installed_child psk-child <<<"$out")
  read -r si sr cin cout <<<"$(spis "$RUN/case8.log")"
  if [ "$(grep -c "  psk-child: #.*INSTALLED" <<<"$out")" = 1 ] && grep -q "$si""_i\*\? $sr""_r" <<<"$out" \
     && grep -Eq "in  $cout," <<<"$inst" && grep -Eq "out $cin," <<<"$inst" \
     && ! grep -q "$(grep -m1 -E 'CHILD_SA .* installed' "$RUN/case8.log" | sed -E 's/.*SPIs ([0-9a-f]{8})_i.*/\1/')" <<<"$inst"; then
    pass "case 8: charon lists the IKE SA and one CHILD_SA under ikelab's new SPIs"
  else
    fail "case 8: charon's SAs are not the rekeyed ones (ikelab: $si $sr $cin $cout)"; echo "$out"
  fi
else
  fail "case 8"; cat "$RUN/case8-swanctl.log" "$RUN/case8.log"; kill "$SERVE_PID" 2>/dev/null
fi
wait "$SERVE_PID" 2>/dev/null
sw init --terminate --ike psk --force >/dev/null 2>&1
il_stop_charon init

[ "$FAILED" = 0 ] && echo "strongSwan interop: all cases passed" || echo "strongSwan interop: FAILURES (logs in $RUN)"
exit "$FAILED"
