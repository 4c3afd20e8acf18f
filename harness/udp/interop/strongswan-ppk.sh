#!/bin/bash
# ikelab <-> strongSwan (charon 5.9.x): post-quantum preshared keys (RFC 8784).
#
#   iklppk-a 198.51.100.1  <-- veth -->  iklppk-b 198.51.100.2
#
# charon: `ppk_id`/`ppk_required` on the connection, the PPK in `secrets { ppk-... }`; ikelab:
# `[features] ppk = { id, secret, mandatory }` in a policy file. PSK authentication,
# aes256gcm16-prfsha384-ecp256. Cases:
#   a. ikelab connect (a, PPK mandatory) -> charon responder (b, ppk_required = yes): both
#      establish, charon's IKE_AUTH request log shows PPK_IDENTITY (no NO_PPK_AUTH: mandatory),
#      ikelab received the confirming PPK_IDENTITY, 3 pings through the CHILD_SA
#   b. the same with ikelab's PPK optional: the request also carries NO_PPK_AUTH, charon uses
#      the PPK anyway (confirms it)
#   c. ikelab with a PPK charon does not have (PPK_ID ppk-x), optional, against charon's
#      connection without ppk_required: charon falls back to NO_PPK_AUTH, no confirmation,
#      both establish
#   d. ikelab with the right PPK_ID but another PPK secret, mandatory: no SA (charon answers
#      AUTHENTICATION_FAILED), ikelab exits non-zero
#   e. charon initiator (a, ppk_required = yes) -> ikelab serve (b, PPK mandatory): both
#      establish, ikelab confirmed the PPK, `ping -c 3` through charon's tunnel answered
#   f. the `ios` client preset (policy `preset = "ios"`, no PPK) -> charon with an address
#      pool: charon's parsed IKE_SA_INIT and IKE_AUTH requests are exactly the ones
#      strongSwan's iOS interop notes record for an iPhone (PSK: AUTH after IDr, no
#      EAP_ONLY), and charon assigns a virtual IP
#   g. the same preset with EAP-MSCHAPv2 (charon: remote auth = eap-mschapv2): charon's parsed
#      IKE_AUTH request is the recorded iPhone line with EAP (no AUTH, EAP_ONLY last) and the
#      EAP exchange completes
#
# Usage: strongswan-ppk.sh IKELAB_BINARY     (root; strongswan-charon, -swanctl, charon-systemd,
#                                             libcharon-extra-plugins installed)
# Exit: 0 all passed, 1 a case failed, 77 skipped (not root / packages missing; printed loudly).
set -uo pipefail
IKELAB=$(readlink -f "${1:?usage: strongswan-ppk.sh IKELAB_BINARY}")
RUN=${IKLPPK_RUN:-/tmp/iklppk-run}
NS_A=iklppk-a
NS_B=iklppk-b
PSK='iklppk interop psk 0123456789'
# 32 octets, hex: the same PPK on both sides unless a case says otherwise.
PPK=0x8c1f4e2a9b7d3c6e5f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a
OTHER_PPK=0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
# shellcheck source=../../../scripts/interop-lib.sh
. "$(dirname "$0")/../../../scripts/interop-lib.sh"
il_require
il_require_plugin eap-identity eap-mschapv2
il_begin
il_netns_pair iklppk
il_inner_addrs

# policy FILE ROLE PPK_ID PPK_SECRET MANDATORY: an ikelab policy with a PPK; ROLE is
# initiator or responder (identities and selectors).
policy() {
  local lid rid lts rts
  if [ "$2" = initiator ]; then
    lid=init.iklppk.example rid=resp.iklppk.example lts=203.0.113.1/32 rts=203.0.113.129/32
  else
    lid=resp.iklppk.example rid=init.iklppk.example lts=203.0.113.129/32 rts=203.0.113.1/32
  fi
  cat > "$1" <<EOP
name = "ppk"
ike_proposals = ["aes256gcm16-prfsha384-ecp256"]
[local]
id = "$lid"
auth = { method = "psk", secret = "$PSK" }
[remote]
id = "$rid"
auth = { method = "psk", secret = "$PSK" }
[[children]]
proposals = ["aes256gcm16"]
local_ts = ["$lts"]
remote_ts = ["$rts"]
[features]
ppk = { id = "$3", secret = "$4", mandatory = $5 }
EOP
}

CHILD="proposals = aes256gcm16-prfsha384-ecp256"
SECRETS="secrets {
  ike-psk { id-1 = resp.iklppk.example
            id-2 = init.iklppk.example
            id-3 = init2.iklppk.example
            id-4 = init3.iklppk.example
            id-5 = init4.iklppk.example
            secret = \"$PSK\" }
  ppk-1 { id = ppk-1
          secret = $PPK }
  eap-iphone { id = iphone
               secret = \"iklppk eap password\" }
}"

# --- charon as responder ------------------------------------------------------------------
cat > "$RUN/resp.conf" <<EOC
connections {
  ppk {
    local_addrs = 198.51.100.2
    $CHILD
    ppk_id = ppk-1
    ppk_required = yes
    local { auth = psk
            id = resp.iklppk.example }
    remote { auth = psk
             id = init.iklppk.example }
    children { ppk-child { esp_proposals = aes256gcm16
                           local_ts = 203.0.113.129/32
                           remote_ts = 203.0.113.1/32 } }
  }
  ios {
    local_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    pools = ios-pool
    local { auth = psk
            id = resp.iklppk.example }
    remote { auth = psk
             id = init3.iklppk.example }
    children { ios-child { esp_proposals = aes256-sha256
                           local_ts = 203.0.113.129/32 } }
  }
  ios-eap {
    local_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    pools = ios-pool
    local { auth = psk
            id = resp.iklppk.example }
    remote { auth = eap-mschapv2
             eap_id = %any
             id = init4.iklppk.example }
    children { ios-eap-child { esp_proposals = aes256-sha256
                               local_ts = 203.0.113.129/32 } }
  }
  optional {
    local_addrs = 198.51.100.2
    $CHILD
    local { auth = psk
            id = resp.iklppk.example }
    remote { auth = psk
             id = init2.iklppk.example }
    children { optional-child { esp_proposals = aes256gcm16
                                local_ts = 203.0.113.129/32
                                remote_ts = 203.0.113.1/32 } }
  }
}
pools {
  ios-pool { addrs = 10.9.0.0/24
             dns = 10.9.0.53 }
}
$SECRETS
EOC
CHARON_PLUGINS="$CHARON_PLUGINS_DEFAULT eap-identity eap-mschapv2" \
  il_start_charon resp "$NS_B" "$RUN/resp.conf" || exit 1

connect() { # LOG POLICY ARGS...
  local log=$1 pol=$2; shift 2
  ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --timeout 15 --config "$pol" "$@" \
    >"$log" 2>&1
}
# charon_auth_request: the payloads charon parsed in this case's IKE_AUTH request (charon
# abbreviates PPK_IDENTITY as N(PPK_ID), NO_PPK_AUTH as N(NO_PPK)).
charon_auth_request() {
  il_since resp | grep "parsed IKE_AUTH request 1" | tail -1
}
confirmed() { # LOG: ikelab received PPK_IDENTITY in the IKE_AUTH response
  grep "Received IKE_AUTH response" "$1" | grep -q "PPK_IDENTITY"
}

# Case a: mandatory PPK.
policy "$RUN/a.toml" initiator ppk-1 "$PPK" true
il_mark resp
if connect "$RUN/a.log" "$RUN/a.toml" --ping 3; then
  pass "case a: ikelab connect with a mandatory PPK established"
  il_check_sas resp ppk ppk-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" "AES_GCM_16-256"
  req=$(charon_auth_request)
  if grep -q "N(PPK_ID)" <<<"$req" && ! grep -q "N(NO_PPK)" <<<"$req" && confirmed "$RUN/a.log" \
     && il_since resp | grep -q "using PPK for PPK_ID 'ppk-1'"; then
    pass "case a: PPK_IDENTITY without NO_PPK_AUTH, charon confirmed the PPK"
  else
    fail "case a: PPK notifies: charon parsed '$req'"; grep "IKE_AUTH" "$RUN/a.log"
  fi
  grep -q "ping: 3 sent, 3 replies" "$RUN/a.log" && pass "case a: 3 echo replies through the CHILD_SA" \
    || fail "case a ping: $(grep -E 'ping:|error' "$RUN/a.log")"
else
  fail "case a: ikelab connect exited non-zero"; cat "$RUN/a.log"; tail -20 "$RUN/resp/charon.log"
fi
sw resp --terminate --ike ppk --force >/dev/null 2>&1

# Case b: optional PPK, charon has it.
policy "$RUN/b.toml" initiator ppk-1 "$PPK" false
il_mark resp
if connect "$RUN/b.log" "$RUN/b.toml"; then
  req=$(charon_auth_request)
  if grep -q "N(PPK_ID)" <<<"$req" && grep -q "N(NO_PPK)" <<<"$req" && confirmed "$RUN/b.log" \
     && il_since resp | grep -q "using PPK for PPK_ID 'ppk-1'"; then
    pass "case b: optional PPK: PPK_IDENTITY and NO_PPK_AUTH sent, charon used the PPK"
  else
    fail "case b: PPK notifies: charon parsed '$req'"; grep "IKE_AUTH" "$RUN/b.log"
  fi
  il_check_sas resp ppk ppk-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" "AES_GCM_16-256"
else
  fail "case b: ikelab connect exited non-zero"; cat "$RUN/b.log"; tail -20 "$RUN/resp/charon.log"
fi
sw resp --terminate --ike ppk --force >/dev/null 2>&1

# Case c: a PPK charon lacks, optional everywhere: NO_PPK_AUTH fallback.
policy "$RUN/c.toml" initiator ppk-x "$OTHER_PPK" false
sed -i 's/^id = "init.iklppk.example"/id = "init2.iklppk.example"/' "$RUN/c.toml"
il_mark resp
if connect "$RUN/c.log" "$RUN/c.toml"; then
  if ! confirmed "$RUN/c.log" && il_since resp | grep -q "using NO_PPK_AUTH notify" \
     && ! il_since resp | grep -q "using PPK for"; then
    pass "case c: charon had no PPK for ppk-x, authenticated with NO_PPK_AUTH, no PPK_IDENTITY back"
  else
    fail "case c: fallback not visible"; grep "IKE_AUTH" "$RUN/c.log"; il_since resp | grep -i ppk
  fi
  il_check_sas resp optional optional-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" "AES_GCM_16-256"
else
  fail "case c: ikelab connect exited non-zero"; cat "$RUN/c.log"; tail -20 "$RUN/resp/charon.log"
fi
sw resp --terminate --ike optional --force >/dev/null 2>&1

# Case d: same PPK_ID, another PPK: authentication must fail.
policy "$RUN/d.toml" initiator ppk-1 "$OTHER_PPK" true
il_mark resp
if connect "$RUN/d.log" "$RUN/d.toml"; then
  fail "case d: ikelab connect established with a wrong PPK"; cat "$RUN/d.log"
elif grep -q "AUTHENTICATION_FAILED" "$RUN/d.log" && ! sw resp --list-sas 2>&1 | grep -q "ESTABLISHED"; then
  pass "case d: wrong PPK: AUTHENTICATION_FAILED, no SA on either side"
else
  fail "case d: expected AUTHENTICATION_FAILED"; cat "$RUN/d.log"; sw resp --list-sas
fi

# Case f: the ios preset as strongSwan sees it.
cat > "$RUN/f.toml" <<EOP
preset = "ios"
[local]
id = "init3.iklppk.example"
auth = { method = "psk", secret = "$PSK" }
[remote]
id = "resp.iklppk.example"
auth = { method = "psk", secret = "$PSK" }
[[children]]
remote_ts = ["203.0.113.129/32"]
EOP
IOS_INIT='[ SA KE No N(REDIR_SUP) N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) ]'
IOS_AUTH='[ IDi N(INIT_CONTACT) IDr AUTH CPRQ(ADDR MASK DHCP DNS ADDR6 DHCP6 DNS6 DOMAIN) N(ESP_TFC_PAD_N) N(NON_FIRST_FRAG) SA TSi TSr N(MOBIKE_SUP) ]'
il_mark resp
if connect "$RUN/f.log" "$RUN/f.toml"; then
  init=$(il_since resp | grep -m1 "parsed IKE_SA_INIT request 0" | sed 's/.*request 0 //')
  auth=$(il_since resp | grep -m1 "parsed IKE_AUTH request 1" | sed 's/.*request 1 //')
  if [ "$init" = "$IOS_INIT" ] && [ "$auth" = "$IOS_AUTH" ]; then
    pass "case f: charon parsed the iOS sequences: IKE_SA_INIT $init, IKE_AUTH $auth"
  else
    fail "case f: charon parsed IKE_SA_INIT '$init' (want '$IOS_INIT'), IKE_AUTH '$auth' (want '$IOS_AUTH')"
  fi
  il_since resp | grep -q "assigning virtual IP 10.9.0.1" && pass "case f: charon assigned 10.9.0.1 from its pool" \
    || { fail "case f: no virtual IP"; il_since resp | grep -i "virtual\|pool"; }
else
  fail "case f: ikelab connect with the ios preset exited non-zero"; cat "$RUN/f.log"; il_since resp | tail -20
fi
sw resp --terminate --ike ios --force >/dev/null 2>&1

# Case g: the ios preset with EAP-MSCHAPv2.
cat > "$RUN/g.toml" <<EOP
preset = "ios"
[local]
id = "init4.iklppk.example"
auth = { method = "eap", eap_method = "mschapv2", identity = "iphone", password = "iklppk eap password" }
[remote]
id = "resp.iklppk.example"
auth = { method = "psk", secret = "$PSK" }
[[children]]
remote_ts = ["203.0.113.129/32"]
EOP
IOS_AUTH_EAP='[ IDi N(INIT_CONTACT) IDr CPRQ(ADDR MASK DHCP DNS ADDR6 DHCP6 DNS6 DOMAIN) N(ESP_TFC_PAD_N) N(NON_FIRST_FRAG) SA TSi TSr N(MOBIKE_SUP) N(EAP_ONLY) ]'
il_mark resp
connect "$RUN/g.log" "$RUN/g.toml"; rc=$?
auth=$(il_since resp | grep -m1 "parsed IKE_AUTH request 1" | sed 's/.*request 1 //')
if [ "$auth" = "$IOS_AUTH_EAP" ]; then
  pass "case g: charon parsed the iOS EAP sequence: IKE_AUTH $auth"
else
  fail "case g: charon parsed IKE_AUTH '$auth' (want '$IOS_AUTH_EAP')"
fi
if [ "$rc" = 0 ] && il_since resp | grep -q "EAP method EAP_MSCHAPV2 succeeded"; then
  pass "case g: EAP-MSCHAPv2 with charon succeeded, IKE SA and CHILD_SA up"
  il_check_sas resp ios-eap ios-eap-child "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" "AES_CBC-256/HMAC_SHA2_256_128"
else
  fail "case g: EAP-MSCHAPv2 with charon (ikelab exit $rc)"; tail -5 "$RUN/g.log"; il_since resp | grep -iE "eap|mschap" | tail -8
fi
sw resp --terminate --ike ios-eap --force >/dev/null 2>&1
il_stop_charon resp

# --- charon as initiator ------------------------------------------------------------------
cat > "$RUN/init.conf" <<EOC
connections {
  ppk {
    remote_addrs = 198.51.100.2
    $CHILD
    ppk_id = ppk-1
    ppk_required = yes
    local { auth = psk
            id = init.iklppk.example }
    remote { auth = psk
             id = resp.iklppk.example }
    children { ppk-child { esp_proposals = aes256gcm16
                           local_ts = 203.0.113.1/32
                           remote_ts = 203.0.113.129/32 } }
  }
}
$SECRETS
EOC
il_start_charon init "$NS_A" "$RUN/init.conf" || exit 1
policy "$RUN/e.toml" responder ppk-1 "$PPK" true
ip netns exec "$NS_B" "$IKELAB" serve -v --listen 198.51.100.2 --exit-after 1 --timeout 20 --linger 4 \
  --config "$RUN/e.toml" >"$RUN/e.log" 2>&1 &
SERVE_PID=$!; sleep 0.5
if sw init --initiate --ike ppk --child ppk-child --timeout 15 >"$RUN/e-swanctl.log" 2>&1; then
  pass "case e: swanctl --initiate with ppk_required against ikelab serve (PPK mandatory)"
  il_check_sas init ppk ppk-child "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" "AES_GCM_16-256"
  ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 2 -I 203.0.113.1 203.0.113.129 >"$RUN/e-ping.log" 2>&1
  wait "$SERVE_PID" 2>/dev/null
  if grep "Sent IKE_AUTH response" "$RUN/e.log" | grep -q PPK_IDENTITY \
     && grep "parsed IKE_AUTH response 1" "$RUN/init/charon.log" | grep -q "N(PPK_ID)"; then
    pass "case e: ikelab confirmed the PPK, charon parsed PPK_IDENTITY in the response"
  else
    fail "case e: no PPK confirmation"; grep IKE_AUTH "$RUN/e.log"; grep "IKE_AUTH response" "$RUN/init/charon.log"
  fi
  grep -q "3 received" "$RUN/e-ping.log" && pass "case e: ping -c 3 through charon's tunnel answered by ikelab" \
    || { fail "case e ping"; cat "$RUN/e-ping.log"; }
else
  fail "case e"; cat "$RUN/e-swanctl.log" "$RUN/e.log"; kill "$SERVE_PID" 2>/dev/null
fi
wait "$SERVE_PID" 2>/dev/null
sw init --terminate --ike ppk --force >/dev/null 2>&1
il_stop_charon init
[ "$FAILED" = 0 ] && echo "strongSwan PPK interop: all cases passed" || echo "strongSwan PPK interop: FAILURES (logs in $RUN)"
exit "$FAILED"
