#!/bin/bash
# Classic RSA authentication (RFC 7296 §3.8, AUTH method 1: RSASSA-PKCS1-v1_5 over SHA-1) with a
# peer that announces no RFC 7427 hash algorithms, as older gateways and clients do. charon runs
# with `signature_authentication = no`: it sends no SIGNATURE_HASH_ALGORITHMS, so ikelab must sign
# with method 1, and charon signs with method 1 too.
#
#   ikllg-a 198.51.100.1  <-- veth -->  ikllg-b 198.51.100.2
#
# 1. ikelab connect (RSA-2048 certificate) -> charon responder (RSA-2048 certificate)
# 2. charon initiator -> ikelab serve (RSA-2048 certificate)
# Checks: both establish, 3 pings through the CHILD_SA, charon logs that it verified ikelab's
# classic "RSA signature" (method 1) and made its own the same way, ikelab's IKE_SA_INIT carried no
# SIGNATURE_HASH_ALGORITHMS from charon.
#
# Usage: strongswan-legacy-auth.sh IKELAB_BINARY   (root; as strongswan.sh, plus strongswan-pki)
# Exit: 0 all passed, 1 a check failed, 77 skipped (not root / packages missing; printed loudly).
set -uo pipefail
IKELAB=$(readlink -f "${1:?usage: strongswan-legacy-auth.sh IKELAB_BINARY}")
RUN=${IKLLG_RUN:-/tmp/ikllg-run}
NS_A=ikllg-a
NS_B=ikllg-b
# shellcheck source=../../../scripts/interop-lib.sh
. "$(dirname "$0")/../../../scripts/interop-lib.sh"
il_require pki openssl ping
il_begin
il_netns_pair ikllg
il_inner_addrs

PKI=$RUN/pki; mkdir -p "$PKI"
printf 'pki {\n  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey\n}\n' > "$PKI/pki.conf"
export STRONGSWAN_CONF=$PKI/pki.conf
pki --gen --type rsa --size 2048 --outform pem > "$PKI/ca.key"
pki --self --ca --lifetime 30 --in "$PKI/ca.key" --type rsa \
    --dn "C=XX, O=ikelab, CN=ikllg interop CA" --outform pem > "$PKI/ca.crt"
for n in gw client; do
  pki --gen --type rsa --size 2048 --outform pem > "$PKI/$n.key"
  pki --pub --in "$PKI/$n.key" --type priv | pki --issue --lifetime 30 --cacert "$PKI/ca.crt" \
      --cakey "$PKI/ca.key" --dn "C=XX, O=ikelab, CN=$n.ikllg.example" --san "$n.ikllg.example" \
      --flag serverAuth --flag clientAuth --outform pem > "$PKI/$n.crt"
  openssl pkcs8 -topk8 -nocrypt -in "$PKI/$n.key" -out "$PKI/$n.p8" 2>/dev/null
done
unset STRONGSWAN_CONF

# charon's own side: the gateway in case 1, the client in case 2.
charon_conf() { # LOCAL_NAME REMOTE_NAME [REMOTE_ADDRS]
  cat <<EOC
connections {
  legacy {
    local_addrs = 198.51.100.2
    ${3:+remote_addrs = $3}
    proposals = aes256-sha256-modp2048
    local { auth = pubkey
            certs = $1.crt
            id = $1.ikllg.example }
    remote { auth = pubkey
             id = $2.ikllg.example
             cacerts = ca.crt }
    children { legacy-child { esp_proposals = aes256-sha256
                              local_ts = 203.0.113.129/32
                              remote_ts = 203.0.113.1/32 } }
  }
}
EOC
}
install_pki() { # NAME KEY
  local D; D=$(il_charon_dir "$1")
  cp "$PKI/ca.crt" "$D/swanctl/x509ca/"
  cp "$PKI/$2.crt" "$D/swanctl/x509/"
  cp "$PKI/$2.key" "$D/swanctl/private/"
}
policy() { # LOCAL REMOTE
  cat <<EOP
[local]
id = "$1.ikllg.example"
auth = { method = "pubkey", certificate = "$PKI/$1.crt", private_key = "$PKI/$1.p8" }
[remote]
id = "$2.ikllg.example"
auth = { method = "pubkey", trust_anchors = ["$PKI/ca.crt"] }
EOP
}
LEGACY="signature_authentication = no"
sha1_both() { # CHARON_NAME IKELAB_ID CHARON_ID
  # charon names classic method 1 "RSA signature" (method 14 would name its scheme, e.g.
  # RSA_EMSA_PKCS1_SHA2_256).
  il_since "$1" | grep -q "authentication of '$2' with RSA signature successful" \
    && il_since "$1" | grep -q "authentication of '$3' (myself) with RSA signature successful"
}

# ---- 1. ikelab connect -> charon responder ------------------------------------------------
charon_conf gw client > "$RUN/resp.conf"
install_pki resp gw
CHARON_EXTRA=$LEGACY il_start_charon resp "$NS_B" "$RUN/resp.conf" || exit 1
policy client gw > "$RUN/client.toml"
il_mark resp
ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --local 198.51.100.1 --timeout 10 \
  --config "$RUN/client.toml" --local-ts 203.0.113.1/32 --remote-ts 203.0.113.129/32 \
  --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 \
  --ping 3 --ping-interval 100 >"$RUN/connect.log" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q "ping: 3 sent, 3 replies, 0 lost" "$RUN/connect.log"; then
  pass "1: ikelab connect established with charon (no RFC 7427) and 3 pings came back"
else
  fail "1: ikelab connect exit $rc"; grep -vE '^echo reply' "$RUN/connect.log" | tail -8
  il_since resp | grep -iE 'error|fail|signature|auth' | head -8
fi
if grep -q "Received IKE_SA_INIT response" "$RUN/connect.log" \
   && ! grep "Received IKE_SA_INIT response" "$RUN/connect.log" | grep -q SIGNATURE_HASH_ALGORITHMS; then
  pass "1: charon's IKE_SA_INIT response announced no SIGNATURE_HASH_ALGORITHMS"
else
  fail "1: charon's IKE_SA_INIT response: $(grep 'IKE_SA_INIT response' "$RUN/connect.log")"
fi
if grep -q "IKE_SA established .*peer authenticated by RSA_SIGNATURE)" "$RUN/connect.log"; then
  pass "1: ikelab verified charon's AUTH method 1 (peer authenticated by RSA_SIGNATURE)"
else
  fail "1: ikelab's view of charon's AUTH: $(grep -o 'peer authenticated by [A-Z0-9_]*' "$RUN/connect.log")"
fi
if sha1_both resp client.ikllg.example gw.ikllg.example; then
  pass "1: charon verified ikelab's AUTH method 1 (\"RSA signature\") and signed its own the same way"
else
  fail "1: charon's authentication lines: $(il_since resp | grep -m3 'authentication of')"
fi
il_check_sas resp legacy legacy-child AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 AES_CBC-256/HMAC_SHA2_256_128
sw resp --terminate --ike legacy --force >/dev/null 2>&1
# 1b. The same with --close: ikelab deletes its IKE SA before exiting; charon keeps nothing.
il_mark resp
ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --local 198.51.100.1 --timeout 10 \
  --config "$RUN/client.toml" --local-ts 203.0.113.1/32 --remote-ts 203.0.113.129/32 \
  --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 \
  --ping 1 --ping-interval 100 --close >"$RUN/connect-close.log" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q "IKE_SA closed: DeletedLocally" "$RUN/connect-close.log" \
   && il_since resp | grep -q "received DELETE for IKE_SA legacy" \
   && ! sw resp --list-sas 2>&1 | grep -q "legacy: .*ESTABLISHED"; then
  pass "1b: connect --close deleted the IKE SA; charon received the Delete and lists no SA"
else
  fail "1b: connect --close exit $rc: $(grep -E 'closed|close' "$RUN/connect-close.log")"
  sw resp --list-sas 2>&1 | head -5
fi
il_stop_charon resp

# ---- 2. charon initiator -> ikelab serve ---------------------------------------------------
# charon initiates from NS_B towards ikelab serve in NS_A; the selectors are case 1's.
charon_conf client gw 198.51.100.1 > "$RUN/init.conf"
install_pki init client
CHARON_EXTRA=$LEGACY il_start_charon init "$NS_B" "$RUN/init.conf" || exit 1
policy gw client > "$RUN/gw.toml"
ip netns exec "$NS_A" "$IKELAB" serve -v --listen 198.51.100.1 --exit-after 1 --linger 2 --timeout 30 \
  --config "$RUN/gw.toml" --local-ts 203.0.113.1/32 --remote-ts 203.0.113.129/32 \
  --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 >"$RUN/serve.log" 2>&1 &
SERVE=$!
echo "$SERVE" > "$RUN/serve.pid"
for _ in $(seq 1 30); do grep -q "^listening on" "$RUN/serve.log" 2>/dev/null && break; sleep 0.1; done
il_mark init
sw init --initiate --ike legacy --child legacy-child --timeout 10 >"$RUN/initiate.log" 2>&1
il_check_sas init legacy legacy-child AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 AES_CBC-256/HMAC_SHA2_256_128
if ip netns exec "$NS_B" ping -c 3 -i 0.1 -W 2 -I 203.0.113.129 203.0.113.1 >"$RUN/ping.out" 2>&1 \
   && grep -q " 0% packet loss" "$RUN/ping.out"; then
  pass "2: ping -c 3 through charon's tunnel, answered by ikelab serve"
else
  fail "2: pings: $(tail -2 "$RUN/ping.out")"
fi
if sha1_both init gw.ikllg.example client.ikllg.example; then
  pass "2: charon (initiator) verified ikelab serve's AUTH method 1 and signed its own the same way"
else
  fail "2: charon's authentication lines: $(il_since init | grep -m3 'authentication of')"
fi
sw init --terminate --ike legacy --force >/dev/null 2>&1
wait "$SERVE"; src=$?; rm -f "$RUN/serve.pid"
if [ "$src" = 0 ] && grep -q "IKE_SA established .*peer authenticated by RSA_SIGNATURE)" "$RUN/serve.log"; then
  pass "2: ikelab serve established the IKE SA, verified charon's AUTH method 1, and exited 0"
else
  fail "2: ikelab serve exit $src"; grep -vE '^echo' "$RUN/serve.log" | tail -8
fi
il_stop_charon init

[ "$FAILED" = 0 ] && echo "strongSwan legacy-auth interop: all checks passed" || echo "strongSwan legacy-auth interop: FAILURES (logs in $RUN)"
exit "$FAILED"
