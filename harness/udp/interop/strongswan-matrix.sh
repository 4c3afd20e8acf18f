#!/bin/bash
# ikelab <-> strongSwan (charon 5.9.8, kernel-libipsec): the configurations strongswan.sh and the
# other interop scripts don't cover, both directions where charon supports them.
#
#   ikm4-a 198.51.100.1 (+ .11-.40, one address per case)  <-- veth -->  ikm4-b 198.51.100.2
#
# Phase 1, `ikelab connect` (a) -> charon responder (b). Every charon connection has its own
# remote_addrs (the address ikelab binds with --local), so charon's IKE_SA_INIT proposal choice
# can only come from that connection's ike_cfg (charon picks the first ike_cfg matching the
# addresses, not the peer_cfg IKE_AUTH later selects).
#   proposals:   chacha20poly1305-prfsha256-x448 / -x25519, aes128gcm16-prfsha256-x25519,
#                aes256-sha384-ecp384, aes128-sha1-modp2048 (legacy), aes256-sha256-modp3072,
#                aes256-sha512-modp4096, aes256gcm16-prfsha512-ecp521, each with its ESP suite
#                and 3 pings through the CHILD_SA; brainpool (ikelab has no brainpool groups:
#                refused at start with its one-line reason); a multi-proposal list where charon
#                accepts only ikelab's second IKE and ESP proposal (INVALID_KE_PAYLOAD retry)
#   ESN:         ikelab offers ESN+NO_ESN, charon takes NO_ESN; ESN on both sides (libipsec has
#                no ESN: expected failure, ikelab names the notify)
#   auth:        ECDSA-384 certificates with DN identities, charon sending its certificate only
#                because ikelab's CERTREQ names the CA (send_cert = ifasked); RSA-PSS (RFC 7427:
#                charon signs `rsa/pss-sha256` and demands `ike:rsa/pss-sha256` of ikelab; without
#                `ike:` the constraint also covers the ECDSA-signed certificate); Ed25519 certificates both ways (RFC 8420);
#                rfc822 (email) and KEY_ID identities with PSK
#   selectors:   charon narrows ikelab's 0.0.0.0/0 to 203.0.113.128/25; two subnets in one
#                CHILD_SA (pings to the second); IPv4 + IPv6 selectors in one CHILD_SA (ICMPv6
#                inside the IPv4 ESP-in-UDP)
#   rekeys:      ikelab rekeys the CHILD_SA with PFS (x25519); charon (prefer_configured_proposals
#                = no, prefer_previous_dh_group = no) rekeys the CHILD_SA with PFS (ECP_384) and
#                the IKE SA with ECP_384 where the first one used CURVE_25519, 0 pings lost
#   cookie:      charon.cookie_threshold = 1 with one half-open IKE SA (an ikelab whose packets
#                nft drops after IKE_SA_INIT): ikelab answers charon's COOKIE
# Phase 2, charon initiator (a) -> `ikelab serve` (b):
#   chacha20poly1305-prfsha256-x448 and aes256-sha384-ecp384 with ECDSA-384/DN, RSA-PSS with
#   modp3072, Ed25519, ikelab demanding a COOKIE (cookie_threshold = 0), each with `ping -c 3`;
#   dpd_delay = 1s (DPD INFORMATIONALs answered), swanctl CHILD_SA rekey with PFS (ECP_384) and
#   IKE rekey while pinging (0% loss), then delete from charon; reauth_time = 4s (charon
#   reauthenticates, pings pass on the new IKE SA).
#
# Every charon-side check reads `swanctl --list-sas` or charon's log; every ikelab-side check
# its printed established/installed lines (transforms incl. the PFS group of a rekey).
# Check IDs are `strongswan/m-CASE/CHECK`; harness/udp/interop/expected-failures lists the ones
# that cannot pass here (XFAIL).
#
# Usage: strongswan-matrix.sh IKELAB_BINARY   (root; as strongswan.sh, plus nft)
# Exit: 0 all passed, 1 a check failed, 77 skipped (not root / packages missing).
# No pipefail: `LOG | grep -q` must not fail when grep exits first and LOG gets SIGPIPE.
set -u
IKELAB=$(readlink -f "${1:?usage: strongswan-matrix.sh IKELAB_BINARY}")
RUN=${IKM4_RUN:-/tmp/ikm4-run}
NS_A=ikm4-a
NS_B=ikm4-b
PSK='ikm4 interop psk 0123456789'
# shellcheck source=../../../scripts/interop-lib.sh
. "$(dirname "$0")/../../../scripts/interop-lib.sh"
il_require pki openssl nft ping
il_begin
START=$(date +%s)

il_netns_pair ikm4
il_inner_addrs
for i in $(seq 11 40); do ip -n "$NS_A" addr add "198.51.100.$i/24" dev ikm4-a0; done
ip -n "$NS_B" addr add 203.0.113.193/32 dev lo
ip -n "$NS_A" addr add 2001:db8:113::1/128 dev lo
ip -n "$NS_B" addr add 2001:db8:113::129/128 dev lo

# --- PKI: CA ECDSA P-256; ECDSA-384, RSA-2048 and Ed25519 end entities -------------------
PKI=$RUN/pki; mkdir -p "$PKI"
printf 'pki {\n  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey curve25519\n}\n' > "$PKI/pki.conf"
export STRONGSWAN_CONF=$PKI/pki.conf
pki --gen --type ecdsa --size 256 --outform pem > "$PKI/ca.key"
pki --self --ca --lifetime 30 --in "$PKI/ca.key" --type ecdsa \
    --dn "C=XX, O=ikelab, CN=ikm4 interop CA" --outform pem > "$PKI/ca.crt"
issue() { # NAME TYPE SIZE
  pki --gen --type "$2" --size "$3" --outform pem > "$PKI/$1.key"
  pki --pub --in "$PKI/$1.key" --type priv | pki --issue --lifetime 30 --cacert "$PKI/ca.crt" \
      --cakey "$PKI/ca.key" --dn "C=XX, O=ikelab, CN=$1.ikm4.example" --san "$1.ikm4.example" \
      --flag serverAuth --flag clientAuth --outform pem > "$PKI/$1.crt"
  openssl pkcs8 -topk8 -nocrypt -in "$PKI/$1.key" -out "$PKI/$1.p8" 2>/dev/null \
    || cp "$PKI/$1.key" "$PKI/$1.p8"
}
issue resp-ec384 ecdsa 384
issue ikl-ec384 ecdsa 384
issue resp-rsa rsa 2048
issue ikl-rsa rsa 2048
issue resp-ed ed25519 256
issue ikl-ed ed25519 256
unset STRONGSWAN_CONF
printf '%s' "$PSK" > "$RUN/psk"
dn() { echo "C=XX, O=ikelab, CN=$1.ikm4.example"; }

# ==== Phase 1: charon responder ============================================================
# conn NAME N PROPOSALS ESP_PROPOSALS [LOCAL_TS [REMOTE_TS [EXTRA_CONN [EXTRA_LOCAL [EXTRA_REMOTE]]]]]
# A PSK connection for ikelab bound to 198.51.100.(10+N), identities NAME.resp / NAME.ikl.
conn() {
  cat <<EOC
  $1 {
    local_addrs = 198.51.100.2
    remote_addrs = 198.51.100.$((10 + $2))
    proposals = $3
    ${7:-}
    local {
      ${8:-auth = psk
      id = $1.resp.ikm4.example}
    }
    remote {
      ${9:-auth = psk
      id = $1.ikl.ikm4.example}
    }
    children {
      $1-child {
        esp_proposals = $4
        local_ts = ${5:-203.0.113.129/32}
        remote_ts = ${6:-203.0.113.1/32}
      }
    }
  }
EOC
}
{
  echo "connections {"
  conn cc448 1 chacha20poly1305-prfsha256-x448 chacha20poly1305
  conn cc255 2 chacha20poly1305-prfsha256-x25519 chacha20poly1305
  conn gcmx 3 aes128gcm16-prfsha256-x25519 aes128gcm16
  conn cbc384 4 aes256-sha384-ecp384 aes256-sha384
  conn legacy 5 aes128-sha1-modp2048 aes128-sha1
  conn modp3072 6 aes256-sha256-modp3072 aes256-sha256
  conn modp4096 7 aes256-sha512-modp4096 aes256-sha512
  conn ecp521 8 aes256gcm16-prfsha512-ecp521 aes256gcm16
  conn bp 9 aes256-sha256-ecp256bp aes256-sha256
  conn multi 10 aes128-sha256-x25519 aes128-sha256
  conn noesn 11 aes128gcm16-prfsha256-x25519 aes128gcm16-noesn
  conn esn 12 aes128gcm16-prfsha256-x25519 aes128gcm16-esn
  conn ec384 13 aes256gcm16-prfsha384-ecp384 aes256gcm16 "" "" "send_cert = ifasked" \
    "auth = pubkey
      certs = resp-ec384.crt
      id = \"$(dn resp-ec384)\"" \
    "auth = pubkey
      id = \"$(dn ikl-ec384)\"
      cacerts = ca.crt"
  conn pss 14 aes256-sha256-modp2048 aes256-sha256 "" "" "" \
    "auth = rsa/pss-sha256
      certs = resp-rsa.crt
      id = resp-rsa.ikm4.example" \
    "auth = ike:rsa/pss-sha256
      id = ikl-rsa.ikm4.example
      cacerts = ca.crt"
  conn ed 15 aes256gcm16-prfsha256-x25519 aes256gcm16 "" "" "" \
    "auth = pubkey
      certs = resp-ed.crt
      id = resp-ed.ikm4.example" \
    "auth = pubkey
      id = ikl-ed.ikm4.example
      cacerts = ca.crt"
  conn email 16 aes128gcm16-prfsha256-x25519 aes128gcm16 "" "" "" "" \
    "auth = psk
      id = alice@ikm4.example"
  conn keyid 17 aes128gcm16-prfsha256-x25519 aes128gcm16 "" "" "" "" \
    "auth = psk
      id = \"@#a1b2c3d4e5\""
  conn narrow 18 aes128gcm16-prfsha256-x25519 aes128gcm16 203.0.113.128/25
  conn subnets 19 aes128gcm16-prfsha256-x25519 aes128gcm16 "203.0.113.128/26, 203.0.113.192/26"
  conn dual 20 aes128gcm16-prfsha256-x25519 aes128gcm16 "203.0.113.129/32, 2001:db8:113::129/128" \
    "203.0.113.1/32, 2001:db8:113::1/128"
  conn pfsours 21 aes256gcm16-prfsha384-x25519 aes256gcm16-x25519
  conn rekey 22 aes256gcm16-prfsha384-ecp384-x25519 aes256gcm16-ecp384
  conn cookie 23 aes128gcm16-prfsha256-x25519 aes128gcm16
  conn halfopen 24 aes128gcm16-prfsha256-x25519 aes128gcm16
  echo "}"
  cat <<EOC
secrets {
  ike-any {
    secret = "$PSK"
  }
}
EOC
} > "$RUN/resp.conf"

D=$(il_charon_dir resp)
cp "$PKI/ca.crt" "$D/swanctl/x509ca/"
for n in resp-ec384 resp-rsa resp-ed; do cp "$PKI/$n.crt" "$D/swanctl/x509/"; cp "$PKI/$n.key" "$D/swanctl/private/"; done
# cookie_threshold 1: a COOKIE whenever an IKE SA is half-open (case cookie makes one);
# prefer_configured_proposals = no: charon takes ikelab's order (case rekey starts on
# CURVE_25519); prefer_previous_dh_group = no: charon's IKE rekey uses its first group (ECP_384).
CHARON_PLUGINS="$CHARON_PLUGINS_DEFAULT" CHARON_EXTRA="cookie_threshold = 1
  block_threshold = 100
  prefer_configured_proposals = no
  prefer_previous_dh_group = no" \
  il_start_charon resp "$NS_B" "$RUN/resp.conf" || exit 1

# sas_ok NAME CONN CHILD WANT_IKE WANT_ESP: charon lists CONN ESTABLISHED and CHILD INSTALLED
# with both transform strings (SAS holds the listing).
sas_ok() {
  SAS=$(sw "$1" --list-sas --ike "$2" 2>&1)
  grep -q "$2: .*ESTABLISHED" <<<"$SAS" && grep -q "$3: .*INSTALLED" <<<"$SAS" \
    && grep -q -- "$4" <<<"$SAS" && grep -q -- "$5" <<<"$SAS"
}

# rcase CASE N CHARON_IKE CHARON_ESP PINGS IKELAB_ARGS...: ikelab connect from 198.51.100.(10+N)
# to the charon connection CASE; checks ikelab's exit and its established/installed lines, the
# SAs charon lists (transform strings as charon names them) and PINGS echo replies.
rcase() {
  local c=$1 n=$2 swike=$3 swesp=$4 pings=$5 log=$RUN/$1.log rc
  shift 5
  il_mark resp
  ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --local "198.51.100.$((10 + n))" \
    --timeout 10 --ping "$pings" --ping-interval 100 "$@" >"$log" 2>&1
  rc=$?
  local ike esp
  ike=$(sed -n 's/.*IKE_SA established .*: \(.*\) (SPIs.*/\1/p' "$log" | tail -1)
  esp=$(sed -n 's/.*CHILD_SA .* installed: \(.*\) (SPIs.*/\1/p' "$log" | head -1)
  [ "$rc" = 0 ] && [ -n "$ike" ] && [ -n "$esp" ]
  il_check "strongswan/m-$c/ikelab-established" $? "$c: ikelab connect established IKE_SA ($ike) and CHILD_SA ($esp)"
  [ "$rc" = 0 ] || { grep -vE '^echo reply' "$log" | tail -8; il_since resp | grep -iE 'error|fail|unacceptable|no matching|invalid' | head -5; }
  sas_ok resp "$c" "$c-child" "$swike" "$swesp"
  il_check "strongswan/m-$c/charon-lists" $? "$c: charon lists $c ESTABLISHED ($swike) and $c-child INSTALLED ($swesp)"
  if [ "$pings" -gt 0 ]; then
    grep -q "ping: $pings sent, $pings replies, 0 lost" "$log"
    il_check "strongswan/m-$c/ping" $? "$c: $pings echo requests through the CHILD_SA, $pings replies"
  fi
}
rdone() { sw resp --terminate --ike "$1" --force >/dev/null 2>&1; }
ts() { echo --local-ts "${1:-203.0.113.1/32}" --remote-ts "${2:-203.0.113.129/32}"; }
pskargs() { echo --psk-file "$RUN/psk" --identity "$1.ikl.ikm4.example" --remote-identity "$1.resp.ikm4.example"; }

# -- proposals
# shellcheck disable=SC2046
{
rcase cc448 1 CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_448 CHACHA20_POLY1305 3 $(pskargs cc448) $(ts) \
  --ike-proposal chacha20poly1305-prfsha256-x448 --esp-proposal chacha20poly1305; rdone cc448
rcase cc255 2 CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_25519 CHACHA20_POLY1305 3 $(pskargs cc255) $(ts) \
  --ike-proposal chacha20poly1305-prfsha256-x25519 --esp-proposal chacha20poly1305; rdone cc255
rcase gcmx 3 AES_GCM_16-128/PRF_HMAC_SHA2_256/CURVE_25519 AES_GCM_16-128 3 $(pskargs gcmx) $(ts) \
  --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16; rdone gcmx
rcase cbc384 4 AES_CBC-256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384 AES_CBC-256/HMAC_SHA2_384_192 3 \
  $(pskargs cbc384) $(ts) --ike-proposal aes256-sha384-ecp384 --esp-proposal aes256-sha384; rdone cbc384
rcase legacy 5 AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048 AES_CBC-128/HMAC_SHA1_96 3 \
  $(pskargs legacy) $(ts) --ike-proposal aes128-sha1-modp2048 --esp-proposal aes128-sha1; rdone legacy
rcase modp3072 6 AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072 AES_CBC-256/HMAC_SHA2_256_128 3 \
  $(pskargs modp3072) $(ts) --ike-proposal aes256-sha256-modp3072 --esp-proposal aes256-sha256; rdone modp3072
rcase modp4096 7 AES_CBC-256/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/MODP_4096 AES_CBC-256/HMAC_SHA2_512_256 3 \
  $(pskargs modp4096) $(ts) --ike-proposal aes256-sha512-modp4096 --esp-proposal aes256-sha512; rdone modp4096
rcase ecp521 8 AES_GCM_16-256/PRF_HMAC_SHA2_512/ECP_521 AES_GCM_16-256 3 \
  $(pskargs ecp521) $(ts) --ike-proposal aes256gcm16-prfsha512-ecp521 --esp-proposal aes256gcm16; rdone ecp521
}

# Brainpool: ikelab's provider has no brainpool curve; it must refuse the policy in one line.
ip netns exec "$NS_A" "$IKELAB" connect --host 198.51.100.2 --local 198.51.100.19 --timeout 5 \
  $(pskargs bp) $(ts) --ike-proposal aes256-sha256-ecp256bp --esp-proposal aes256-sha256 >"$RUN/bp.log" 2>&1
rc=$?
[ "$rc" = 2 ] && [ "$(grep -c . "$RUN/bp.log")" = 1 ] && grep -q '^error: .*crypto provider implements' "$RUN/bp.log"
il_check strongswan/m-bp/ikelab-refuses $? "bp: ikelab refuses ecp256bp before sending anything: $(cat "$RUN/bp.log")"

# Multi-proposal: charon accepts only ikelab's second IKE proposal (and second ESP proposal);
# ikelab's KE guess (ECP_384, from its first proposal) draws INVALID_KE_PAYLOAD(CURVE_25519).
# shellcheck disable=SC2046
rcase multi 10 AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519 AES_CBC-128/HMAC_SHA2_256_128 3 \
  $(pskargs multi) $(ts) --ike-proposal aes256gcm16-prfsha384-ecp384 --ike-proposal aes128-sha256-x25519 \
  --esp-proposal aes256gcm16 --esp-proposal aes128-sha256
grep -q "Received IKE_SA_INIT response #0 \[Notify\] notifies \[INVALID_KE_PAYLOAD\]" "$RUN/multi.log" \
  && [ "$(grep -c "Sent IKE_SA_INIT request" "$RUN/multi.log")" = 2 ]
il_check strongswan/m-multi/invalid-ke-retry $? "multi: INVALID_KE_PAYLOAD(CURVE_25519) for the first proposal's KE, one retry"
rdone multi

# ESN: ikelab offers ESN and NO_ESN, charon (libipsec) only NO_ESN.
# shellcheck disable=SC2046
rcase noesn 11 AES_GCM_16-128/PRF_HMAC_SHA2_256/CURVE_25519 AES_GCM_16-128 3 $(pskargs noesn) $(ts) \
  --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16-esn-noesn
sas_ok resp noesn noesn-child AES_GCM_16 AES_GCM_16 && ! grep -q "/ESN" <<<"$SAS" \
  && grep -E 'CHILD_SA .* installed' "$RUN/noesn.log" | grep -vq 'esn-\|-esn'
il_check strongswan/m-noesn/no-esn-chosen $? "noesn: NO_ESN chosen from ikelab's ESN/NO_ESN offer (charon: no /ESN)"
rdone noesn
# ESN on both sides: charon negotiates it, kernel-libipsec cannot install it ("IPsec SA: ESN not
# supported"), charon answers NO_PROPOSAL_CHOSEN and keeps the IKE SA.
il_mark resp
# shellcheck disable=SC2046
ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --local 198.51.100.22 --timeout 10 \
  $(pskargs esn) $(ts) --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16-esn \
  >"$RUN/esn.log" 2>&1
rc=$?
grep -q "IKE_SA established .*: aes128gcm16-prfsha256-x25519 (" "$RUN/esn.log" \
  && sw resp --list-sas --ike esn 2>&1 | grep -q "esn: .*ESTABLISHED"
il_check strongswan/m-esn/ike-established $? "esn: IKE SA up on both sides"
[ "$rc" = 0 ] && sas_ok resp esn esn-child AES_GCM_16-128/ESN AES_GCM_16-128/ESN
il_check strongswan/m-esn/child-installed $? "esn: CHILD_SA with ESN installed"
[ "$rc" = 1 ] && grep -q '^\[[0-9]*\] CHILD_SA failed: NO_PROPOSAL_CHOSEN$' "$RUN/esn.log"
il_check strongswan/m-esn/ikelab-reason $? "esn: ikelab exits 1 and names charon's answer: $(grep 'CHILD_SA failed' "$RUN/esn.log")"
rdone esn

# -- authentication
cat > "$RUN/ec384.toml" <<EOP
[local]
id = "$(dn ikl-ec384)"
auth = { method = "pubkey", certificate = "$PKI/ikl-ec384.crt", private_key = "$PKI/ikl-ec384.p8" }
[remote]
id = "$(dn resp-ec384)"
auth = { method = "pubkey", trust_anchors = ["$PKI/ca.crt"] }
EOP
# shellcheck disable=SC2046
rcase ec384 13 AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384 AES_GCM_16-256 3 --config "$RUN/ec384.toml" $(ts) \
  --ike-proposal aes256gcm16-prfsha384-ecp384 --esp-proposal aes256gcm16
il_since resp | grep -q "received cert request for \"C=XX, O=ikelab, CN=ikm4 interop CA\"" \
  && il_since resp | grep -q "sending end entity cert \"$(dn resp-ec384)\""
il_check strongswan/m-ec384/certreq $? "ec384: ikelab's CERTREQ names the CA, charon (send_cert = ifasked) sends its certificate"
il_since resp | grep -q "authentication of '$(dn ikl-ec384)' with ECDSA.*384.* successful" \
  && grep -q "IKE_SA established $(dn ikl-ec384) <-> $(dn resp-ec384)" "$RUN/ec384.log"
il_check strongswan/m-ec384/dn-ecdsa384 $? "ec384: DN identities, charon verified ikelab's ECDSA-384 signature: $(il_since resp | grep -m1 -o "authentication of '$(dn ikl-ec384)' with [^ ]*")"
rdone ec384

cat > "$RUN/pss.toml" <<EOP
[local]
id = "ikl-rsa.ikm4.example"
auth = { method = "pubkey", certificate = "$PKI/ikl-rsa.crt", private_key = "$PKI/ikl-rsa.p8", signature = { method = "digital_signature", rsa_pss = true } }
[remote]
id = "resp-rsa.ikm4.example"
auth = { method = "pubkey", trust_anchors = ["$PKI/ca.crt"] }
EOP
# shellcheck disable=SC2046
rcase pss 14 AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 AES_CBC-256/HMAC_SHA2_256_128 3 \
  --config "$RUN/pss.toml" $(ts) --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256
il_since resp | grep -q "authentication of 'ikl-rsa.ikm4.example' with RSA_EMSA_PSS_SHA[_2]*256_SALT_32 successful" \
  && il_since resp | grep -q "authentication of 'resp-rsa.ikm4.example' (myself) with RSA_EMSA_PSS_SHA[_2]*256_SALT_32 successful"
il_check strongswan/m-pss/rsa-pss-both $? "pss: charon verified ikelab's RSASSA-PSS-SHA256 (RFC 7427) and signed its own with it"
rdone pss

cat > "$RUN/ed.toml" <<EOP
[local]
id = "ikl-ed.ikm4.example"
auth = { method = "pubkey", certificate = "$PKI/ikl-ed.crt", private_key = "$PKI/ikl-ed.p8" }
[remote]
id = "resp-ed.ikm4.example"
auth = { method = "pubkey", trust_anchors = ["$PKI/ca.crt"] }
EOP
# shellcheck disable=SC2046
rcase ed 15 AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519 AES_GCM_16-256 3 --config "$RUN/ed.toml" $(ts) \
  --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16
il_since resp | grep -q "authentication of 'ikl-ed.ikm4.example' with ED25519 successful" \
  && il_since resp | grep -q "authentication of 'resp-ed.ikm4.example' (myself) with ED25519 successful"
il_check strongswan/m-ed/ed25519-both $? "ed: Ed25519 (RFC 8420) both ways: charon verified ikelab's signature and signed its own"
rdone ed

# shellcheck disable=SC2046
rcase email 16 AES_GCM_16-128/PRF_HMAC_SHA2_256/CURVE_25519 AES_GCM_16-128 3 --psk-file "$RUN/psk" \
  --identity alice@ikm4.example --remote-identity email.resp.ikm4.example $(ts) \
  --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16
sw resp --list-sas --ike email 2>&1 | grep -q "remote 'alice@ikm4.example'"
il_check strongswan/m-email/rfc822-id $? "email: charon matched the ID_RFC822_ADDR identity alice@ikm4.example"
rdone email
# shellcheck disable=SC2046
rcase keyid 17 AES_GCM_16-128/PRF_HMAC_SHA2_256/CURVE_25519 AES_GCM_16-128 3 --psk-file "$RUN/psk" \
  --identity 'keyid:#a1b2c3d4e5' --remote-identity keyid.resp.ikm4.example $(ts) \
  --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16
sw resp --list-sas --ike keyid 2>&1 | grep -q "remote 'a1:b2:c3:d4:e5'"
il_check strongswan/m-keyid/key-id $? "keyid: charon matched the ID_KEY_ID identity #a1b2c3d4e5"
rdone keyid

# -- traffic selectors
# shellcheck disable=SC2046
rcase narrow 18 AES_GCM_16-128 AES_GCM_16-128 3 $(pskargs narrow) $(ts 203.0.113.1/32 0.0.0.0/0) \
  --ping-dst 203.0.113.129 --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16
grep -q 'installed: .*=== \["203.0.113.128-203.0.113.255"\])' "$RUN/narrow.log" \
  && sw resp --list-sas --ike narrow 2>&1 | grep -q "local  203.0.113.128/25"
il_check strongswan/m-narrow/narrowed $? "narrow: charon narrowed 0.0.0.0/0 to 203.0.113.128/25, ikelab installed that"
rdone narrow
# shellcheck disable=SC2046
rcase subnets 19 AES_GCM_16-128 AES_GCM_16-128 3 $(pskargs subnets) --local-ts 203.0.113.1/32 \
  --remote-ts 203.0.113.128/26 --remote-ts 203.0.113.192/26 --ping-dst 203.0.113.193 \
  --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16
grep -q 'installed: .*=== \["203.0.113.128-203.0.113.191", "203.0.113.192-203.0.113.255"\])' "$RUN/subnets.log" \
  && sw resp --list-sas --ike subnets 2>&1 | grep -q "local  203.0.113.128/26 203.0.113.192/26"
il_check strongswan/m-subnets/two-subnets $? "subnets: one CHILD_SA with two remote subnets, pings to 203.0.113.193 in the second"
rdone subnets
# shellcheck disable=SC2046
rcase dual 20 AES_GCM_16-128 AES_GCM_16-128 3 $(pskargs dual) --local-ts 203.0.113.1/32 \
  --local-ts 2001:db8:113::1/128 --remote-ts 203.0.113.129/32 --remote-ts 2001:db8:113::129/128 \
  --ping-src 2001:db8:113::1 --ping-dst 2001:db8:113::129 \
  --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16
sw resp --list-sas --ike dual 2>&1 | grep -q "local  203.0.113.129/32 2001:db8:113::129/128"
il_check strongswan/m-dual/v4-v6-selectors $? "dual: IPv4 and IPv6 selectors in one CHILD_SA, ICMPv6 echo through IPv4 ESP-in-UDP"
rdone dual

# -- rekeys with PFS
# shellcheck disable=SC2046
rcase pfsours 21 AES_GCM_16-256/PRF_HMAC_SHA2_384/CURVE_25519 AES_GCM_16-256/CURVE_25519 30 $(pskargs pfsours) $(ts) \
  --ike-proposal aes256gcm16-prfsha384-x25519 --esp-proposal aes256gcm16-x25519 --rekey-child-after 1
grep -q 'installed (rekey of .*, ours): aes256gcm16-x25519' "$RUN/pfsours.log" \
  && grep -q "rekeys: CHILD_SA 1, IKE_SA 0$" "$RUN/pfsours.log"
il_check strongswan/m-pfsours/child-rekey-pfs $? "pfsours: ikelab rekeyed the CHILD_SA with a CURVE_25519 KE, charon lists it with the group, 0 lost"
rdone pfsours

# charon rekeys: the CHILD_SA with PFS (ECP_384) and the IKE SA with ECP_384 (it began on
# CURVE_25519, ikelab's first group), while ikelab pings.
ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --local 198.51.100.32 --timeout 10 \
  $(pskargs rekey) $(ts) --ike-proposal aes256gcm16-prfsha384-x25519-ecp384 \
  --esp-proposal aes256gcm16-ecp384 --ping 40 --ping-interval 100 >"$RUN/rekey.log" 2>&1 &
PID=$!
echo "$PID" > "$RUN/connect.pid"
for _ in $(seq 1 50); do grep -q "echo reply" "$RUN/rekey.log" 2>/dev/null && break; sleep 0.1; done
first_ike=$(sw resp --list-sas --ike rekey 2>&1 | grep -o 'AES_GCM_16-256/PRF_HMAC_SHA2_384/[A-Z_0-9]*' | head -1)
sleep 0.5
sw resp --rekey --child rekey-child >"$RUN/rekey-swanctl.log" 2>&1
sleep 1
sw resp --rekey --ike rekey >>"$RUN/rekey-swanctl.log" 2>&1
il_reap "$PID"; rc=$?
[ "$rc" = 0 ] && grep -q "ping: 40 sent, 40 replies, 0 lost" "$RUN/rekey.log" \
  && grep -q "rekeys: CHILD_SA 1, IKE_SA 1$" "$RUN/rekey.log"
il_check strongswan/m-rekey/ping-through-rekeys $? "rekey: 40 pings, 0 lost across charon's CHILD_SA and IKE SA rekeys ($(grep -E '^ping:|^rekeys:' "$RUN/rekey.log" | cut -c1-40 | tr '\n' ' '))"
out=$(sw resp --list-sas --ike rekey 2>&1)
[ "$first_ike" = AES_GCM_16-256/PRF_HMAC_SHA2_384/CURVE_25519 ] \
  && grep -q "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384" <<<"$out" \
  && grep -q "rekey-child: .*INSTALLED" <<<"$out" && grep -q "AES_GCM_16-256/ECP_384" <<<"$out" \
  && grep -q 'installed (rekey of .*, the peer.s): aes256gcm16-ecp384' "$RUN/rekey.log"
il_check strongswan/m-rekey/new-groups $? "rekey: IKE SA began on $first_ike, charon rekeyed it to ECP_384 and the CHILD_SA with PFS ECP_384" \
  || { echo "$out"; grep -E 'installed|rekeyed' "$RUN/rekey.log"; }
rdone rekey

# -- COOKIE from charon: one half-open IKE SA (ikelab from .34 ports 5500/5501; nft lets only
# its IKE_SA_INIT requests out: exchange type 34 at UDP payload octet 18), then ikelab from .33
# gets charon's COOKIE and retries with it.
ip netns exec "$NS_A" nft -f - <<'EON'
table inet ikm4 {
  chain out {
    type filter hook output priority 0; policy accept;
    ip saddr 198.51.100.34 udp sport 5501 drop
    ip saddr 198.51.100.34 udp sport 5500 @th,208,8 != 34 drop
  }
}
EON
ip netns exec "$NS_A" "$IKELAB" connect --host 198.51.100.2 --local 198.51.100.34 --port 5500 \
  --nat-t-port 5501 --timeout 3 $(pskargs halfopen) $(ts) --ike-proposal aes128gcm16-prfsha256-x25519 \
  --esp-proposal aes128gcm16 >"$RUN/halfopen.log" 2>&1 &
HALF=$!
echo "$HALF" > "$RUN/halfopen.pid"
for _ in $(seq 1 30); do sw resp --list-sas 2>/dev/null | grep -q "CONNECTING" && break; sleep 0.1; done
# shellcheck disable=SC2046
ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --local 198.51.100.33 --timeout 10 \
  $(pskargs cookie) $(ts) --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16 \
  --ping 3 --ping-interval 100 >"$RUN/cookie.log" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "Received IKE_SA_INIT response #0 \[Notify\] notifies \[COOKIE\]" "$RUN/cookie.log" \
  && grep -q "ping: 3 sent, 3 replies, 0 lost" "$RUN/cookie.log"
il_check strongswan/m-cookie/ikelab-answers-cookie $? "cookie: charon demanded a COOKIE, ikelab retried with it and pinged through"
[ "$rc" = 0 ] || grep -vE '^echo' "$RUN/cookie.log" | head -8
kill "$HALF" 2>/dev/null; il_reap "$HALF"
ip netns exec "$NS_A" nft delete table inet ikm4
rdone cookie
il_stop_charon resp

# ==== Phase 2: charon initiator ============================================================
# iconn NAME PROPOSALS ESP_PROPOSALS [EXTRA_CONN [LOCAL [REMOTE]]]
iconn() {
  cat <<EOC
  $1 {
    remote_addrs = 198.51.100.2
    proposals = $2
    ${4:-}
    local {
      ${5:-auth = psk
      id = $1.ini.ikm4.example}
    }
    remote {
      ${6:-auth = psk
      id = $1.srv.ikm4.example}
    }
    children {
      $1-child {
        esp_proposals = $3
        local_ts = 203.0.113.1/32
        remote_ts = 203.0.113.129/32
      }
    }
  }
EOC
}
{
  echo "connections {"
  iconn icc448 chacha20poly1305-prfsha256-x448 chacha20poly1305
  iconn iec384 aes256-sha384-ecp384 aes256-sha384 "" \
    "auth = pubkey
      certs = resp-ec384.crt
      id = \"$(dn resp-ec384)\"" \
    "auth = pubkey
      id = \"$(dn ikl-ec384)\"
      cacerts = ca.crt"
  iconn ipss aes256-sha256-modp3072 aes256-sha256 "" \
    "auth = rsa/pss-sha256
      certs = resp-rsa.crt
      id = resp-rsa.ikm4.example" \
    "auth = ike:rsa/pss-sha256
      id = ikl-rsa.ikm4.example
      cacerts = ca.crt"
  iconn ied aes256gcm16-prfsha256-x25519 aes256gcm16 "" \
    "auth = pubkey
      certs = resp-ed.crt
      id = resp-ed.ikm4.example" \
    "auth = pubkey
      id = ikl-ed.ikm4.example
      cacerts = ca.crt"
  iconn icookie aes128gcm16-prfsha256-x25519 aes128gcm16
  iconn ilong aes256gcm16-prfsha384-x25519 aes256gcm16-ecp384 "dpd_delay = 1s"
  iconn ireauth aes128gcm16-prfsha256-x25519 aes128gcm16 "reauth_time = 4s
    rekey_time = 0s
    rand_time = 0s
    over_time = 2s"
  echo "}"
  cat <<EOC
secrets {
  ike-any {
    secret = "$PSK"
  }
}
EOC
} > "$RUN/init.conf"
D=$(il_charon_dir init)
cp "$PKI/ca.crt" "$D/swanctl/x509ca/"
for n in resp-ec384 resp-rsa resp-ed; do cp "$PKI/$n.crt" "$D/swanctl/x509/"; cp "$PKI/$n.key" "$D/swanctl/private/"; done
il_start_charon init "$NS_A" "$RUN/init.conf" || exit 1

# serve LOG LINGER ARGS...: ikelab serve in the background (SERVE = its PID), ready when it
# printed its listening line.
serve() {
  local log=$1 linger=$2; shift 2
  ip netns exec "$NS_B" "$IKELAB" serve -v --listen 198.51.100.2 --exit-after 1 --linger "$linger" \
    --timeout 30 --local-ts 203.0.113.129/32 --remote-ts 203.0.113.1/32 "$@" >"$log" 2>&1 &
  SERVE=$!
  echo "$SERVE" > "$RUN/serve.pid"
  for _ in $(seq 1 30); do grep -q "^listening on" "$log" 2>/dev/null && break; sleep 0.1; done
}
pinga() { # COUNT: ping from charon's side through its tunnel; 0 = none lost
  ip netns exec "$NS_A" ping -c "$1" -i 0.1 -W 2 -I 203.0.113.1 203.0.113.129 >"$RUN/ping.out" 2>&1
  grep -q " 0% packet loss" "$RUN/ping.out"
}
# icase CASE CHARON_IKE CHARON_ESP SERVE_ARGS...: charon initiates CASE towards ikelab serve,
# 3 pings from charon's side, then charon deletes the IKE SA.
icase() {
  local c=$1 swike=$2 swesp=$3 log=$RUN/$1.log
  shift 3
  serve "$log" 2 "$@"
  sw init --initiate --ike "$c" --child "$c-child" --timeout 10 >"$RUN/$c-swanctl.log" 2>&1
  sas_ok init "$c" "$c-child" "$swike" "$swesp"
  il_check "strongswan/m-$c/charon-lists" $? "$c: charon initiated, lists $c ESTABLISHED ($swike) and $c-child INSTALLED ($swesp)"
  pinga 3
  il_check "strongswan/m-$c/ping" $? "$c: ping -c 3 through charon's tunnel, answered by ikelab serve"
  il_reap "$SERVE"; local rc=$?
  local ike esp
  ike=$(sed -n 's/.*IKE_SA established .*: \(.*\) (SPIs.*/\1/p' "$log" | tail -1)
  esp=$(sed -n 's/.*CHILD_SA .* installed: \(.*\) (SPIs.*/\1/p' "$log" | head -1)
  [ "$rc" = 0 ] && [ -n "$ike" ] && [ -n "$esp" ] && grep -q "echo replies 3 " "$log"
  il_check "strongswan/m-$c/ikelab-established" $? "$c: ikelab serve established IKE_SA ($ike) and CHILD_SA ($esp), answered 3 echo requests"
  [ "$rc" = 0 ] || { grep -vE '^echo' "$log" | tail -6; tail -5 "$RUN/$c-swanctl.log"; }
  sw init --terminate --ike "$c" --force >/dev/null 2>&1
}

icase icc448 CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_448 CHACHA20_POLY1305 --psk-file "$RUN/psk" \
  --identity icc448.srv.ikm4.example --remote-identity icc448.ini.ikm4.example \
  --ike-proposal chacha20poly1305-prfsha256-x448 --esp-proposal chacha20poly1305
cat > "$RUN/iec384.toml" <<EOP
[local]
id = "$(dn ikl-ec384)"
auth = { method = "pubkey", certificate = "$PKI/ikl-ec384.crt", private_key = "$PKI/ikl-ec384.p8" }
[remote]
id = "$(dn resp-ec384)"
auth = { method = "pubkey", trust_anchors = ["$PKI/ca.crt"] }
EOP
il_mark init
icase iec384 AES_CBC-256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384 AES_CBC-256/HMAC_SHA2_384_192 \
  --config "$RUN/iec384.toml" --ike-proposal aes256-sha384-ecp384 --esp-proposal aes256-sha384
il_since init | grep -q "authentication of '$(dn ikl-ec384)' with ECDSA.*384.* successful"
il_check strongswan/m-iec384/dn-ecdsa384 $? "iec384: charon (initiator) verified ikelab serve's ECDSA-384 signature under its DN"
sed 's/^id = "ikl-rsa.ikm4.example"/&/' "$RUN/pss.toml" > "$RUN/ipss.toml"
il_mark init
icase ipss AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072 AES_CBC-256/HMAC_SHA2_256_128 \
  --config "$RUN/ipss.toml" --ike-proposal aes256-sha256-modp3072 --esp-proposal aes256-sha256
il_since init | grep -q "authentication of 'ikl-rsa.ikm4.example' with RSA_EMSA_PSS_SHA[_2]*256_SALT_32 successful" \
  && il_since init | grep -q "authentication of 'resp-rsa.ikm4.example' (myself) with RSA_EMSA_PSS_SHA[_2]*256_SALT_32 successful"
il_check strongswan/m-ipss/rsa-pss-both $? "ipss: RSASSA-PSS both ways with charon as initiator"
il_mark init
icase ied AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519 AES_GCM_16-256 --config "$RUN/ed.toml" \
  --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16
il_since init | grep -q "authentication of 'ikl-ed.ikm4.example' with ED25519 successful" \
  && il_since init | grep -q "authentication of 'resp-ed.ikm4.example' (myself) with ED25519 successful"
il_check strongswan/m-ied/ed25519-both $? "ied: Ed25519 (RFC 8420) both ways with charon as initiator" \
  || il_since init | grep "authentication of"
cat > "$RUN/icookie.toml" <<EOP
cookie_threshold = 0
[local]
id = "icookie.srv.ikm4.example"
auth = { method = "psk", secret = "$PSK" }
[remote]
id = "icookie.ini.ikm4.example"
auth = { method = "psk", secret = "$PSK" }
EOP
icase icookie AES_GCM_16-128/PRF_HMAC_SHA2_256/CURVE_25519 AES_GCM_16-128 --config "$RUN/icookie.toml" \
  --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16
grep -q "Sent IKE_SA_INIT response #0 \[Notify\] notifies \[COOKIE\]" "$RUN/icookie.log" \
  && grep -q "Received IKE_SA_INIT request #0 \[Notify, SA, .* notifies \[COOKIE," "$RUN/icookie.log"
il_check strongswan/m-icookie/charon-answers-cookie $? "icookie: ikelab serve demanded a COOKIE, charon retried with it"

# ilong: DPD, CHILD_SA rekey with PFS and IKE rekey by charon under ping, then charon deletes.
il_mark init
serve "$RUN/ilong.log" 10 --psk-file "$RUN/psk" --identity ilong.srv.ikm4.example \
  --remote-identity ilong.ini.ikm4.example --ike-proposal aes256gcm16-prfsha384-x25519 \
  --esp-proposal aes256gcm16-ecp384
sw init --initiate --ike ilong --child ilong-child --timeout 10 >"$RUN/ilong-swanctl.log" 2>&1
sleep 2.6
n=$(grep -cE "Received INFORMATIONAL request #[0-9]+ \[\]" "$RUN/ilong.log")
[ "$n" -ge 1 ] && [ "$(grep -cE "Sent INFORMATIONAL response #[0-9]+ \[\]" "$RUN/ilong.log")" -ge "$n" ] \
  && ! il_since init | grep -q "retransmit" && sas_ok init ilong ilong-child ESTABLISHED INSTALLED
il_check strongswan/m-ilong/dpd-answered $? "ilong: charon's DPD (dpd_delay = 1s): $n empty INFORMATIONALs answered, no retransmissions" \
  || { head -5 "$RUN/ilong.log"; cat "$RUN/ilong-swanctl.log"; il_since init | grep -vE 'CFG\]|vici' | head -20; }
ip netns exec "$NS_A" ping -c 30 -i 0.1 -W 2 -I 203.0.113.1 203.0.113.129 >"$RUN/ilong-ping.out" 2>&1 &
PING=$!
echo "$PING" > "$RUN/ping.pid"
sleep 0.6
sw init --rekey --child ilong-child >>"$RUN/ilong-swanctl.log" 2>&1
sleep 1
sw init --rekey --ike ilong >>"$RUN/ilong-swanctl.log" 2>&1
il_reap "$PING"
out=$(sw init --list-sas --ike ilong 2>&1)
grep -q " 0% packet loss" "$RUN/ilong-ping.out" && grep -q 'installed (rekey of .*, the peer.s): aes256gcm16-ecp384' "$RUN/ilong.log" \
  && grep -q "IKE_SA rekeyed" "$RUN/ilong.log" && grep -q "AES_GCM_16-256/ECP_384" <<<"$out" \
  && [ "$(grep -c "ilong-child: .*INSTALLED" <<<"$out")" = 1 ]
il_check strongswan/m-ilong/rekeys $? "ilong: charon rekeyed the CHILD_SA with PFS (ECP_384) and the IKE SA, ping -c 30 -i 0.1 lost none ($(grep -o '[0-9]*% packet loss' "$RUN/ilong-ping.out"))" \
  || { echo "$out"; grep -E 'installed|rekeyed' "$RUN/ilong.log"; }
sw init --terminate --ike ilong >>"$RUN/ilong-swanctl.log" 2>&1
sleep 0.3
grep -q "IKE_SA closed: DeletedByPeer" "$RUN/ilong.log" && ! sw init --list-sas 2>&1 | grep -q "ilong:"
il_check strongswan/m-ilong/delete-by-charon $? "ilong: charon deleted the IKE SA, ikelab closed it: $(grep -m1 'IKE_SA closed' "$RUN/ilong.log")"
kill "$SERVE" 2>/dev/null; il_reap "$SERVE"

# ireauth: reauth_time = 4s, charon reauthenticates (a new IKE SA from IKE_SA_INIT on).
il_mark init
ip netns exec "$NS_B" "$IKELAB" serve -v --listen 198.51.100.2 --exit-after 2 --linger 2 --timeout 15 \
  --local-ts 203.0.113.129/32 --remote-ts 203.0.113.1/32 --psk-file "$RUN/psk" \
  --identity ireauth.srv.ikm4.example --remote-identity ireauth.ini.ikm4.example \
  --ike-proposal aes128gcm16-prfsha256-x25519 --esp-proposal aes128gcm16 >"$RUN/ireauth.log" 2>&1 &
SERVE=$!
echo "$SERVE" > "$RUN/serve.pid"
for _ in $(seq 1 30); do grep -q "^listening on" "$RUN/ireauth.log" 2>/dev/null && break; sleep 0.1; done
sw init --initiate --ike ireauth --child ireauth-child --timeout 10 >"$RUN/ireauth-swanctl.log" 2>&1
for _ in $(seq 1 80); do [ "$(grep -c "IKE_SA established" "$RUN/ireauth.log")" -ge 2 ] && break; sleep 0.1; done
# charon's side of the new IKE SA: one IKE SA listed, its CHILD_SA installed.
for _ in $(seq 1 20); do
  sas_ok init ireauth ireauth-child AES_GCM_16-128 AES_GCM_16-128 && [ "$(grep -c "ireauth: #" <<<"$SAS")" = 1 ] && break
  sleep 0.1
done
pinga 5; prc=$?
[ "$(grep -c "IKE_SA established" "$RUN/ireauth.log")" = 2 ] && il_since init | grep -q "reauthenticating IKE_SA" \
  && [ "$prc" = 0 ] && sas_ok init ireauth ireauth-child AES_GCM_16-128 AES_GCM_16-128 \
  && [ "$(grep -c "ireauth: #" <<<"$SAS")" = 1 ]
il_check strongswan/m-ireauth/reauth $? "ireauth: charon reauthenticated after 4 s, ikelab serve took the new IKE SA, 5 pings through it" \
  || { echo "ping: $(grep -o '[0-9]*% packet loss' "$RUN/ping.out")"; grep -vE '^echo|^\[[0-9]+\] (Sent|Received)' "$RUN/ireauth.log"; il_since init | grep -E 'IKE\]|ESP\]' | head -30; }
il_reap "$SERVE"
sw init --terminate --ike ireauth --force >/dev/null 2>&1
il_stop_charon init

echo "strongSwan matrix: PASS $IL_NPASS, FAIL $IL_NFAIL, XFAIL $IL_NXFAIL ($(($(date +%s) - START)) s; logs in $RUN)"
exit "$FAILED"
