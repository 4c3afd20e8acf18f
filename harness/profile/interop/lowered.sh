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
#   4. ikelab's own EAP fixture (corpora/profiles/own/psk_eap_shared_uuid: SharedSecret for the
#      gateway, ExtendedAuthEnabled with AuthName/AuthPassword for the user, AES-256-GCM/ECP-521):
#      charon (eap-mschapv2) checks the user's EAP-MSCHAPv2 credentials and establishes
#   5. ikelab's own certificate fixture (corpora/profiles/own/ikev2_cert_p12, TEST-ONLY keys):
#      the device's key comes out of the profile's PKCS#12; charon uses the fixture's gateway
#      certificate and the profile's CA
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

# shellcheck source=../../../scripts/interop-lib.sh
. "$HERE/../../../scripts/interop-lib.sh"
il_require
il_require_plugin eap-identity eap-mschapv2
CHARON_PLUGINS="$CHARON_PLUGINS_DEFAULT eap-identity eap-mschapv2"
il_begin
il_netns_pair ikllow

# fill TEMPLATE OUT: the corpus placeholders, the gateway at 198.51.100.2.
fill() {
  sed -e 's/\${REMOTE_ADDRESS}/198.51.100.2/g; s/\${CONN_HOST}/198.51.100.2/g' \
      -e 's/\${REMOTE_ID}/vpn.ikllow.example/g; s/\${CONN_REMOTE_IDENTIFIER}/vpn.ikllow.example/g' \
      -e 's/\${LOCAL_ID}/client@ikllow.example/g' \
      -e 's/\${SHARED_SECRET}/ikllow lowered psk 0123456789/g; s/\${CONN_SHARED_SECRET}/ikllow lowered psk 0123456789/g' \
      -e 's/\${PROFILE_UUID}/A1B2C3D4-0000-4000-8000-000000000001/g' \
      -e 's/\${SERVICE_UUID}/A1B2C3D4-0000-4000-8000-000000000002/g; s/\${CONN_UUID}/A1B2C3D4-0000-4000-8000-000000000002/g' \
      -e 's/{{DOMAIN}}/vpn.ikllow.example/g; s/{{UUID}}/A1B2C3D4-0000-4000-8000-000000000009/g' \
      -e 's/{{VPNSECRET}}/ikllow lowered psk 0123456789/g; s/{{VPNUSERNAME}}/alice/g' \
      -e 's/\${[A-Z_]*}/Example/g' "$1" > "$2"
}

CHARON_LOG="ike = 2
      cfg = 2"
start_gw() { il_charon_dir gw >/dev/null; il_start_charon gw "$NS_B" "$1"; }
stop_gw() { il_stop_charon gw; }

# connect_ok CASE TEMPLATE WANT_IKE_TRANSFORMS
connect_ok() {
  local prof=$RUN/$1.mobileconfig gw=$RUN/$1.swanctl.conf out src=$2
  [ -f "$src" ] || src=$CORPUS/$2
  fill "$src" "$prof"
  "$IKELAB" profile lower --format swanctl --with-secrets "$prof" > "$gw" || { fail "$1: lower --format swanctl"; return; }
  start_gw "$gw" || { fail "$1: gateway did not load the generated swanctl.conf"; return; }
  out=$(ip netns exec "$NS_A" "$IKELAB" profile connect "$prof" --gateway "$gw" --live 198.51.100.2 --timeout 15 2>&1)
  local rc=$?
  echo "$out"
  local sas; sas=$(sw gw --list-sas 2>&1)
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

# 4. EAP-MSCHAPv2 user credentials from the profile, checked by charon.
sed 's|<key>AuthName</key>|<key>AuthPassword</key><string>ikllow alice password</string><key>AuthName</key>|' \
  "$CORPUS/own/psk_eap_shared_uuid.mobileconfig.template" > "$RUN/eap.template"
connect_ok eap-own "$RUN/eap.template" "AES_GCM_16-256/PRF_HMAC_SHA2_256/ECP_521"
grep -q "EAP method EAP_MSCHAPV2 succeeded" "$RUN/gw/charon.log" 2>/dev/null \
  || grep -q "EAP_MSCHAPV2 succeeded\|authentication of 'alice' with EAP successful" "$RUN/gw/charon.log" \
  && pass "eap-own: charon logged the EAP-MSCHAPv2 success" || fail "eap-own: no EAP success in charon's log"

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

# 5. Certificate auth (corpora/profiles/own/ikev2_cert_p12, TEST-ONLY keys): the device's
#    ECDSA P-256 identity and key come out of the profile's PKCS#12 payload; charon signs with
#    the fixture's gateway certificate and trusts the profile's CA.
P12DIR=$CORPUS/own/ikev2_cert_p12
prof=$CORPUS/own/ikev2_cert_p12.mobileconfig
"$IKELAB" profile lower --format swanctl "$prof" \
  | sed 's|^\( *\)# certs = gateway.pem.*|\1certs = gateway.pem|' > "$RUN/p12.swanctl.conf"
D=$(il_charon_dir gw)
cp "$P12DIR/gateway.pem" "$D/swanctl/x509/"
cp "$P12DIR/TEST-ONLY-gateway.key" "$D/swanctl/private/gateway.key"
cp "$P12DIR/ca.pem" "$D/swanctl/x509ca/"
if grep -q '^ *certs = gateway.pem' "$RUN/p12.swanctl.conf" && il_start_charon gw "$NS_B" "$RUN/p12.swanctl.conf"; then
  out=$(ip netns exec "$NS_A" "$IKELAB" profile connect "$prof" --gateway "$RUN/p12.swanctl.conf" --live 198.51.100.2 --timeout 15 2>&1)
  rc=$?
  echo "$out"
  sas=$(sw gw --list-sas 2>&1)
  if [ $rc = 0 ] && grep -q '^connected:' <<<"$out" && grep -q ESTABLISHED <<<"$sas" \
     && grep -q INSTALLED <<<"$sas" && grep -q "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256" <<<"$sas" \
     && grep -q "authentication of 'client@example.com' with ECDSA-256 signature successful" "$RUN/gw/charon.log"; then
    pass "p12-cert: the profile's PKCS#12 identity authenticated to charon"
  else
    fail "p12-cert: rc $rc"; echo "$sas"; tail -30 "$RUN/gw/charon.log"
  fi
  stop_gw
else
  fail "p12-cert: gateway did not load (certs line: $(grep -c 'certs = gateway.pem' "$RUN/p12.swanctl.conf"))"
fi

[ $FAILED = 0 ] && echo "lowered-profile interop: all passed" || echo "lowered-profile interop: FAILED"
exit $FAILED
