#!/bin/bash
# ikelab <-> strongSwan (charon 5.9.x, eap-mschapv2 plugin): EAP-MSCHAPv2 in IKE_AUTH
# (RFC 7296 §2.16), both ways.
#
#   ikleap-a 198.51.100.1  <-- veth -->  ikleap-b 198.51.100.2
#
# The gateway authenticates with an ECDSA P-256 certificate, the client with EAP-MSCHAPv2;
# aes256gcm16-prfsha384-ecp256, ESP aes256gcm16. ikelab takes its EAP settings from a policy
# file (`auth = { method = "eap", eap_method = "mschapv2", identity, password }` on the client,
# `auth = { method = "eap", eap_method = "mschapv2", users = [...] }` as the server's remote).
# Cases:
#   1. ikelab connect (a, EAP client "alice") -> charon responder (b, remote auth =
#      eap-mschapv2, eap_id = %any): charon logs EAP_MSCHAPV2 succeeded, lists the IKE SA and
#      CHILD_SA, and 3 pings through the CHILD_SA are answered
#   2. charon initiator (a, local auth = eap-mschapv2, eap_id = bob) -> ikelab serve (b, EAP
#      server knowing bob): charon lists both SAs (it verified ikelab's certificate and the
#      MSK AUTH), `ping -c 3` through charon's tunnel is answered by ikelab
#   3. ikelab connect with a wrong password -> charon: no SA, ikelab reports
#      AUTHENTICATION_FAILED and exits non-zero
#   4. charon initiator with a wrong password -> ikelab serve: ikelab refuses it (EAP-Failure,
#      AUTHENTICATION_FAILED, "wrong password" in its violation), charon's initiate fails
#
# Usage: strongswan-eap.sh IKELAB_BINARY     (root; strongswan-charon, -swanctl, -pki,
#                                             charon-systemd, libcharon-extra-plugins, openssl)
# Exit: 0 all passed, 1 a case failed, 77 skipped (not root / packages missing; printed loudly).
set -uo pipefail
IKELAB=$(readlink -f "${1:?usage: strongswan-eap.sh IKELAB_BINARY}")
RUN=${IKLEAP_RUN:-/tmp/ikleap-run}
NS_A=ikleap-a
NS_B=ikleap-b
ALICE_PW='ikleap alice password 1'
BOB_PW='ikleap bob password 2'
# shellcheck source=../../../scripts/interop-lib.sh
. "$(dirname "$0")/../../../scripts/interop-lib.sh"
il_require pki openssl
il_require_plugin eap-identity eap-mschapv2
il_begin
il_netns_pair ikleap
il_inner_addrs
CHARON_PLUGINS="$CHARON_PLUGINS_DEFAULT eap-identity eap-mschapv2"
export CHARON_PLUGINS

# --- PKI: CA and the gateway's certificate (ECDSA P-256); PKCS#8 key for ikelab ----------
PKI=$RUN/pki; mkdir -p "$PKI"
printf 'pki {\n  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey\n}\n' > "$PKI/pki.conf"
export STRONGSWAN_CONF=$PKI/pki.conf
pki --gen --type ecdsa --size 256 --outform pem > "$PKI/ca.key"
pki --self --ca --lifetime 30 --in "$PKI/ca.key" --type ecdsa \
    --dn "C=XX, O=ikelab, CN=ikleap CA" --outform pem > "$PKI/ca.crt"
pki --gen --type ecdsa --size 256 --outform pem > "$PKI/gw.key"
pki --pub --in "$PKI/gw.key" --type ecdsa | pki --issue --lifetime 30 --cacert "$PKI/ca.crt" \
    --cakey "$PKI/ca.key" --dn "C=XX, O=ikelab, CN=gw.ikleap.example" --san gw.ikleap.example \
    --flag serverAuth --outform pem > "$PKI/gw.crt"
openssl pkcs8 -topk8 -nocrypt -in "$PKI/gw.key" -out "$PKI/gw.p8"
unset STRONGSWAN_CONF

# client_policy FILE PASSWORD: ikelab as EAP-MSCHAPv2 client "alice", trusting the CA.
client_policy() {
  cat > "$1" <<EOP
name = "eap-client"
[local]
auth = { method = "eap", eap_method = "mschapv2", identity = "alice", password = "$2" }
[remote]
auth = { method = "pubkey", trust_anchors = ["pki/ca.crt"] }
EOP
}

# --- charon as responder ------------------------------------------------------------------
D=$(il_charon_dir resp)
cp "$PKI/ca.crt" "$D/swanctl/x509ca/"; cp "$PKI/gw.crt" "$D/swanctl/x509/"
cp "$PKI/gw.key" "$D/swanctl/private/"
cat > "$RUN/resp.conf" <<EOC
connections {
  eap {
    local_addrs = 198.51.100.2
    proposals = aes256gcm16-prfsha384-ecp256
    local { auth = pubkey
            certs = gw.crt
            id = gw.ikleap.example }
    remote { auth = eap-mschapv2
             eap_id = %any
             id = client.ikleap.example }
    children { eap-child { esp_proposals = aes256gcm16
                           local_ts = 203.0.113.129/32
                           remote_ts = 203.0.113.1/32 } }
  }
}
secrets {
  eap-alice { id = alice
              secret = "$ALICE_PW" }
}
EOC
il_start_charon resp "$NS_B" "$RUN/resp.conf" || exit 1

connect() { # LOG POLICY ARGS...
  local log=$1 pol=$2; shift 2
  ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --timeout 15 --config "$pol" \
    --identity client.ikleap.example --remote-identity gw.ikleap.example \
    --ike-proposal aes256gcm16-prfsha384-ecp256 --esp-proposal aes256gcm16 \
    --local-ts 203.0.113.1/32 --remote-ts 203.0.113.129/32 "$@" >"$log" 2>&1
}

# Case 1.
client_policy "$RUN/c1.toml" "$ALICE_PW"
il_mark resp
if connect "$RUN/case1.log" "$RUN/c1.toml" --ping 3; then
  pass "case 1: ikelab connect as EAP-MSCHAPv2 client established (exit 0)"
  if il_since resp | grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" \
     && il_since resp | grep -q "authentication of 'client.ikleap.example' with EAP successful"; then
    pass "case 1: charon: EAP_MSCHAPV2 succeeded, MSK established, initiator's MSK AUTH verified"
  else
    fail "case 1: charon did not log EAP success"; il_since resp | grep -iE "eap|mschap|auth" | tail -10
  fi
  il_check_sas resp eap eap-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" "AES_GCM_16-256"
  if grep -q "ping: 3 sent, 3 replies" "$RUN/case1.log"; then
    pass "case 1: 3 echo requests through the CHILD_SA, 3 replies"
  else
    fail "case 1 ping: $(grep -E 'ping:|error' "$RUN/case1.log")"
  fi
else
  fail "case 1: ikelab connect exited non-zero"; cat "$RUN/case1.log"; il_since resp | tail -20
fi
sw resp --terminate --ike eap --force >/dev/null 2>&1

# Case 3: wrong password. charon answers the NT-Response with an MS-CHAPv2 Failure Request
# (after its 2 s brute-force delay), then EAP-Failure.
client_policy "$RUN/c3.toml" "not alice's password"
il_mark resp
if connect "$RUN/case3.log" "$RUN/c3.toml"; then
  fail "case 3: ikelab connect with a wrong password exited 0"; cat "$RUN/case3.log"
elif grep -q "AUTHENTICATION_FAILED" "$RUN/case3.log" \
     && ! sw resp --list-sas 2>&1 | grep -q "eap: .*ESTABLISHED"; then
  pass "case 3: wrong password: ikelab reports AUTHENTICATION_FAILED, exits non-zero, no SA at charon"
else
  fail "case 3: wrong password outcome"; cat "$RUN/case3.log"; il_since resp | grep -iE "eap|mschap" | tail -8
fi
if il_since resp | grep -q "EAP-MS-CHAPv2 verification failed"; then
  pass "case 3: charon: EAP-MS-CHAPv2 verification failed"
else
  fail "case 3: charon did not log the failed verification"; il_since resp | tail -10
fi
il_stop_charon resp

# --- charon as initiator ------------------------------------------------------------------
# init_conf FILE PASSWORD: charon as EAP-MSCHAPv2 client "bob".
init_conf() {
  cat > "$1" <<EOC
connections {
  eap {
    remote_addrs = 198.51.100.2
    proposals = aes256gcm16-prfsha384-ecp256
    local { auth = eap-mschapv2
            id = client.ikleap.example
            eap_id = bob }
    remote { auth = pubkey
             id = gw.ikleap.example
             cacerts = ca.crt }
    children { eap-child { esp_proposals = aes256gcm16
                           local_ts = 203.0.113.1/32
                           remote_ts = 203.0.113.129/32 } }
  }
}
secrets {
  eap-bob { id = bob
            secret = "$2" }
}
EOC
}
cat > "$RUN/s.toml" <<EOP
name = "eap-server"
[local]
auth = { method = "pubkey", certificate = "pki/gw.crt", private_key = "pki/gw.p8" }
[remote]
auth = { method = "eap", eap_method = "mschapv2", users = [{ identity = "bob", password = "$BOB_PW" }] }
EOP
serve() { # LOG
  ip netns exec "$NS_B" "$IKELAB" serve -v --listen 198.51.100.2 --exit-after 1 --timeout 20 --linger 4 \
    --config "$RUN/s.toml" --identity gw.ikleap.example --remote-identity client.ikleap.example \
    --ike-proposal aes256gcm16-prfsha384-ecp256 --esp-proposal aes256gcm16 \
    --local-ts 203.0.113.129/32 --remote-ts 203.0.113.1/32 >"$1" 2>&1 &
  echo $! > "$RUN/serve.pid"; sleep 0.5
}
start_init() { # CONF
  local D; D=$(il_charon_dir init)
  cp "$PKI/ca.crt" "$D/swanctl/x509ca/"
  il_start_charon init "$NS_A" "$1"
}

# Case 2.
init_conf "$RUN/init.conf" "$BOB_PW"
start_init "$RUN/init.conf" || exit 1
serve "$RUN/case2.log"
if sw init --initiate --ike eap --child eap-child --timeout 15 >"$RUN/case2-swanctl.log" 2>&1; then
  pass "case 2: charon (EAP-MSCHAPv2 client) established with ikelab serve"
  il_check_sas init eap eap-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" "AES_GCM_16-256"
  if grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" "$RUN/init/charon.log" \
     && grep -q "authentication of 'gw.ikleap.example' with EAP successful" "$RUN/init/charon.log"; then
    pass "case 2: charon: EAP_MSCHAPV2 succeeded, ikelab's MSK AUTH verified"
  else
    fail "case 2: charon's EAP log"; grep -iE "eap|mschap|authentication" "$RUN/init/charon.log" | tail -10
  fi
  ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 2 -I 203.0.113.1 203.0.113.129 >"$RUN/case2-ping.log" 2>&1
  wait "$(cat "$RUN/serve.pid")" 2>/dev/null; rm -f "$RUN/serve.pid"
  if grep -q "3 received" "$RUN/case2-ping.log" && grep -q "echo replies 3 " "$RUN/case2.log"; then
    pass "case 2: ping -c 3 through charon's tunnel answered by ikelab serve (3 replies)"
  else
    fail "case 2 ping"; cat "$RUN/case2-ping.log"; grep ESP "$RUN/case2.log"
  fi
else
  fail "case 2: swanctl --initiate"; cat "$RUN/case2-swanctl.log" "$RUN/case2.log"
  grep -iE "eap|mschap|auth" "$RUN/init/charon.log" | tail -10
fi
[ -e "$RUN/serve.pid" ] && wait "$(cat "$RUN/serve.pid")" 2>/dev/null; rm -f "$RUN/serve.pid"
sw init --terminate --ike eap --force >/dev/null 2>&1
il_stop_charon init

# Case 4: charon with a wrong password.
init_conf "$RUN/init4.conf" "not bob's password"
start_init "$RUN/init4.conf" || exit 1
serve "$RUN/case4.log"
if sw init --initiate --ike eap --child eap-child --timeout 10 >"$RUN/case4-swanctl.log" 2>&1; then
  fail "case 4: charon established with a wrong password"; cat "$RUN/case4.log"
else
  sleep 0.5
  if grep -q "EapFailed" "$RUN/case4.log" && grep -q "wrong password" "$RUN/case4.log" \
     && grep -q "AUTHENTICATION_FAILED" "$RUN/case4.log" \
     && ! grep -q "$BOB_PW\|not bob's password" "$RUN/case4.log"; then
    pass "case 4: ikelab serve refused charon's wrong password (EAP-Failure, AUTHENTICATION_FAILED), no password in its log"
  else
    fail "case 4: ikelab's log"; cat "$RUN/case4.log"
  fi
fi
kill "$(cat "$RUN/serve.pid")" 2>/dev/null; wait "$(cat "$RUN/serve.pid")" 2>/dev/null
rm -f "$RUN/serve.pid"
il_stop_charon init

[ "$FAILED" = 0 ] && echo "strongSwan EAP interop: all cases passed" || echo "strongSwan EAP interop: FAILURES (logs in $RUN)"
exit "$FAILED"
