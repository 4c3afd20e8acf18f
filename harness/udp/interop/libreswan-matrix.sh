#!/bin/bash
# ikelab <-> libreswan (pluto 4.10 unpacked in $LSW_ROOT, run as libreswan.sh runs it): the
# configurations libreswan.sh does not cover, both directions.
#
#   ikl5-a 198.51.100.1 (+ .11-.40, one address per case)  <-- veth -->  ikl5-b 198.51.100.2
#
# pluto has no userspace ESP and this kernel has no ESP, so no CHILD_SA can be installed on
# pluto's side; what can work here is checked: the IKE SA (both sides report it with the same
# transforms, each naming them its way), authentication, and how each side handles the CHILD_SA
# failure. pluto's CHILD_SA installation is one XFAIL per direction (./expected-failures), and
# every case checks pluto failed for the listed reason (netlink "Add SA esp..." refused).
#
# Phase 1, `ikelab connect` (a) -> pluto responder (b). Every pluto connection has its own
# right= (the address ikelab binds with --local), so the proposal choice is that connection's.
#   proposals:  aes_gcm256-sha2_512;dh20, aes128-sha2_256;dh19, chacha20_poly1305-sha2;dh31,
#               aes256-sha2_384;modp3072, 3des-sha1;modp2048 (pluto 4.10 still takes it); a
#               list whose second entry is the one pluto accepts (INVALID_KE_PAYLOAD for the
#               first one's KE, one retry); one proposal with two groups where ikelab's KE guess
#               is not pluto's group
#   auth:       RSA-2048 certificates with pluto's default authby (on the wire, decrypted by
#               tshark with ikelab's key table: both sign RFC 7427 PKCS#1 v1.5 SHA-256, not
#               RSASSA-PSS), authby=rsa-sha2 (RSASSA-PSS both ways; with ikelab signing PKCS#1
#               v1.5 pluto answers AUTHENTICATION_FAILED, ikelab names it), ECDSA P-256 and P-384
#               certificates, PSK with ID_USER_FQDN, ID_IPV4_ADDR and ID_DER_ASN1_DN (ID_FQDN
#               in the proposal cases)
#   cookie:     `whack --ddos-busy`: pluto demands a COOKIE, ikelab retries with it
#   frag:       RSA-4096 certificates, ikelab --fragment-size 1280: RFC 7383 fragments both ways
#               (nft counts SKF datagrams and datagrams over 1280 octets on each side)
#   child:      in every case pluto answers the CHILD_SA with TS_UNACCEPTABLE (its ESP SA cannot
#               be added) and keeps the IKE SA; ikelab prints one `CHILD_SA failed:` line, exits
#               1, sent IKE_AUTH once (no retransmission)
# Phase 2, pluto initiator (a) -> `ikelab serve` (b):
#   aes_gcm256-sha2_512;dh20 and chacha20_poly1305-sha2;dh31; INVALID_KE from ikelab (pluto's
#   KE is dh19, ikelab serve takes only ECP_384); RSA certificates with ikelab signing
#   RSASSA-PSS; ECDSA P-384; fragmentation (RSA-4096; nft drops pluto's datagrams over 1200
#   octets, so only RFC 7383 fragments get through). ikelab installs the CHILD_SA, pluto cannot,
#   drops its IKE SA without a Delete and re-initiates (revival): ikelab takes the new IKE SA.
#   ikelab serve refusing pluto's selectors (TS_UNACCEPTABLE) makes pluto keep the IKE SA: its
#   DPD (dpddelay=1; pluto sends none without a CHILD SA: XFAIL), `whack --rekey-ike`, a short
#   ikelifetime (pluto rekeys by itself) and `whack --terminate` (ikelab: closed by the peer).
#
# Check IDs are `libreswan/m-CASE/CHECK`. Usage: libreswan-matrix.sh IKELAB_BINARY
# (root; libreswan unpacked in $LSW_ROOT as for libreswan.sh, libnss3-tools, openssl, nft).
# Exit: 0 all as expected, 1 a check failed, 77 skipped (printed loudly).
# No pipefail: `LOG | grep -q` must not fail when grep exits first.
set -u
IKELAB=$(readlink -f "${1:?usage: libreswan-matrix.sh IKELAB_BINARY}")
RUN=${IKL5_RUN:-/tmp/ikl5-run}
NS_A=ikl5-a
NS_B=ikl5-b
LSW_ROOT=${LSW_ROOT:-/opt/ikl-libreswan}
X=$LSW_ROOT/usr/libexec/ipsec
PSK='ikl5 interop psk 0123456789'
# shellcheck source=../../../scripts/interop-lib.sh
. "$(dirname "$0")/../../../scripts/interop-lib.sh"
[ "$(id -u)" = 0 ] || il_skip "not root"
[ -x "$X/pluto" ] || il_skip "libreswan not unpacked in $LSW_ROOT (see .ci/run)"
for t in certutil pk12util openssl nft; do command -v "$t" >/dev/null || il_skip "$t missing"; done
il_begin
START=$(date +%s)

il_netns_pair ikl5
il_inner_addrs
for i in $(seq 11 40); do ip -n "$NS_A" addr add "198.51.100.$i/24" dev ikl5-a0; done
printf '%s' "$PSK" > "$RUN/psk"

# --- PKI (openssl): CA ECDSA P-256; RSA-2048, RSA-4096, ECDSA P-256/P-384 end entities ------
PKI=$RUN/pki; mkdir -p "$PKI"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/ca.key" \
  -out "$PKI/ca.crt" -days 30 -subj "/C=XX/O=ikelab/CN=ikl5 interop CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
dn() { echo "C=XX, O=ikelab, CN=$1.ikl5.example"; }
issue() { # NAME KEYSPEC (rsa:2048, ec:P-256 ...)
  local spec=(-newkey "${2%%:*}")
  case $2 in rsa:*) spec+=(-pkeyopt "rsa_keygen_bits:${2#rsa:}") ;; ec:*) spec+=(-pkeyopt "ec_paramgen_curve:${2#ec:}") ;; esac
  openssl req -new "${spec[@]}" -nodes -keyout "$PKI/$1.key" -subj "/C=XX/O=ikelab/CN=$1.ikl5.example" \
    -out "$PKI/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s.ikl5.example\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' "$1" > "$PKI/$1.ext"
  openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 30 -extfile "$PKI/$1.ext" -out "$PKI/$1.crt" 2>/dev/null
  openssl pkcs12 -export -in "$PKI/$1.crt" -inkey "$PKI/$1.key" -name "$1" -passout pass: -out "$PKI/$1.p12" 2>/dev/null
}
issue lsw-rsa rsa:2048; issue ikl-rsa rsa:2048
issue lsw-ec256 ec:P-256; issue ikl-ec256 ec:P-256
issue lsw-ec384 ec:P-384; issue ikl-ec384 ec:P-384
issue lsw-rsa4k rsa:4096; issue ikl-rsa4k rsa:4096

# --- pluto -----------------------------------------------------------------------------------
whack() { local D=$RUN/$1 ns=$2; shift 2; ip netns exec "$ns" "$X/whack" --ctlsocket "$D/run/pluto.ctl" "$@"; }
# start_pluto NAME NETNS: pluto with $RUN/NAME/ipsec.conf (every conn added), NSS holding the CA
# and the lsw-* certificates and keys. usr/libexec is bind-mounted in pluto's own mount namespace.
start_pluto() {
  local D=$RUN/$1 n
  mkdir -p "$D/run" "$D/nss"
  printf '%%any %%any : PSK "%s"\n' "$PSK" > "$D/ipsec.secrets"; chmod 600 "$D/ipsec.secrets"
  certutil -N -d "sql:$D/nss" --empty-password
  certutil -A -d "sql:$D/nss" -n ikl5-ca -t "CT,," -a -i "$PKI/ca.crt"
  for n in lsw-rsa lsw-ec256 lsw-ec384 lsw-rsa4k; do pk12util -i "$PKI/$n.p12" -d "sql:$D/nss" -W '' >/dev/null; done
  ip netns exec "$2" sh -c 'mount --bind "$1/usr/libexec" /usr/libexec && shift && exec "$@"' sh "$LSW_ROOT" \
    "$X/pluto" --nofork --stderrlog --config "$D/ipsec.conf" --secretsfile "$D/ipsec.secrets" \
    --ipsecdir "$D" --nssdir "$D/nss" --rundir "$D/run" --use-xfrm >"$D/pluto.log" 2>&1 &
  echo $! > "$RUN/$1.pid"
  local _
  for _ in $(seq 1 100); do [ -S "$D/run/pluto.ctl" ] && break; sleep 0.1; done
  [ -S "$D/run/pluto.ctl" ] || { echo "pluto $1 did not start: $(tail -5 "$D/pluto.log")"; return 1; }
  whack "$1" "$2" --listen >/dev/null
  ip netns exec "$2" "$X/addconn" --config "$D/ipsec.conf" --ctlsocket "$D/run/pluto.ctl" --autoall >"$D/addconn.log" 2>&1
  whack "$1" "$2" --rereadsecrets >/dev/null
}
declare -A MARK=()
mark() { MARK[$1]=$(wc -l < "$RUN/$1/pluto.log"); }
since() { tail -n +"$((${MARK[$1]:-0} + 1))" "$RUN/$1/pluto.log"; }
# pluto's CHILD_SA failure must be the listed one: the kernel refused the ESP SA.
kernel_refused() { grep -qE 'netlink response for Add SA esp\..*\((errno (93|38))\)'; }

# lconn NAME N IKE ESP [EXTRA...]: a responder connection for ikelab at 198.51.100.(10+N), PSK
# with IDs @NAME.lsw.ikl5.example / @NAME.ikl.ikl5.example unless EXTRA sets authby/IDs.
lconn() {
  local name=$1 n=$2 ike=$3 esp=$4; shift 4
  printf 'conn %s\n    ikev2=insist\n    left=198.51.100.2\n    leftsubnet=203.0.113.129/32\n' "$name"
  printf '    right=198.51.100.%s\n    rightsubnet=203.0.113.1/32\n    ike=%s\n    esp=%s\n    auto=add\n' \
    "$((10 + n))" "$ike" "$esp"
  [ $# = 0 ] && printf '    authby=secret\n    leftid=@%s.lsw.ikl5.example\n    rightid=@%s.ikl.ikl5.example\n' "$name" "$name"
  local l; for l in "$@"; do printf '    %s\n' "$l"; done
}
certconn() { # LSW_CERT IKL_CERT [authby]: certificate lines for lconn/iconn
  echo "leftcert=$1"; echo "leftid=%fromcert"; echo "leftsendcert=always"
  echo "rightid=\"$(dn "$2")\""; echo "rightca=%same"
  [ -n "${3:-}" ] && echo "authby=$3"
}
mkdir -p "$RUN/resp" "$RUN/init"
{
  printf 'config setup\n    uniqueids=no\n\n'
  lconn gcm 1 "aes_gcm256-sha2_512;dh20" aes_gcm256
  lconn cbc128 2 "aes128-sha2_256;dh19" aes128-sha2_256
  lconn chacha 3 "chacha20_poly1305-sha2;dh31" chacha20_poly1305
  lconn modp3072 4 "aes256-sha2_384;modp3072" aes256-sha2_384
  lconn tdes 5 "3des-sha1;modp2048" 3des-sha1
  lconn multi 6 "aes128-sha2_256;dh31" aes128-sha2_256
  lconn ke 7 "aes256-sha2_256;dh20" aes256-sha2_256
  mapfile -t c < <(certconn lsw-rsa ikl-rsa); lconn rsa 8 "aes256-sha2_256;modp2048" aes256-sha2_256 "${c[@]}" fragmentation=no
  mapfile -t c < <(certconn lsw-ec256 ikl-ec256 ecdsa); lconn ec256 9 "aes128-sha2_256;dh19" aes128-sha2_256 "${c[@]}"
  mapfile -t c < <(certconn lsw-ec384 ikl-ec384 ecdsa); lconn ec384 10 "aes256-sha2_384;dh20" aes256-sha2_384 "${c[@]}"
  lconn email 11 "aes_gcm256-sha2_256;dh31" aes_gcm256 authby=secret leftid=@email.lsw.ikl5.example rightid=alice@ikl5.example
  lconn ipv4 12 "aes_gcm256-sha2_256;dh31" aes_gcm256 authby=secret leftid=198.51.100.2 rightid=198.51.100.22
  lconn dnpsk 13 "aes_gcm256-sha2_256;dh31" aes_gcm256 authby=secret "leftid=\"$(dn lsw-dn)\"" "rightid=\"$(dn ikl-dn)\""
  lconn cookie 14 "aes_gcm256-sha2_256;dh31" aes_gcm256
  mapfile -t c < <(certconn lsw-rsa ikl-rsa rsa-sha2); lconn pss 16 "aes256-sha2_256;modp2048" aes256-sha2_256 "${c[@]}" fragmentation=no
  mapfile -t c < <(certconn lsw-rsa ikl-rsa rsa-sha2); lconn pssneg 17 "aes256-sha2_256;modp2048" aes256-sha2_256 "${c[@]}"
  mapfile -t c < <(certconn lsw-rsa4k ikl-rsa4k); lconn frag 15 "aes256-sha2_256;modp2048" aes256-sha2_256 "${c[@]}" fragmentation=yes
} > "$RUN/resp/ipsec.conf"
start_pluto resp "$NS_B" || exit 1
grep -iE 'error|warning|fail' "$RUN/resp/addconn.log" | head -5

# ==== Phase 1: pluto responder ===============================================================
RESP_CHILD=1   # 0 once pluto installed a CHILD_SA in a responder case (it cannot here: XFAIL)
pskargs() { echo --psk-file "$RUN/psk" --identity "$1.ikl.ikl5.example" --remote-identity "$1.lsw.ikl5.example"; }
certargs() { echo --cert "$PKI/$1.crt" --key "$PKI/$1.key" --cacert "$PKI/ca.crt"; }
# rcase CASE N IKELAB_IKE PLUTO_IKE IKELAB_ARGS...: ikelab connect from 198.51.100.(10+N) to pluto's
# connection CASE. Checks: both report the IKE SA (ikelab's transform string, pluto's
# `sent IKE_SA_INIT reply {...}`); ikelab handles the refused CHILD_SA cleanly; pluto failed for
# the listed reason and still holds the IKE SA.
rcase() {
  local c=$1 n=$2 want=$3 lsw=$4 log=$RUN/$1.log rc
  shift 4
  mark resp
  ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --local "198.51.100.$((10 + n))" \
    --timeout 10 --local-ts 203.0.113.1/32 --remote-ts 203.0.113.129/32 "$@" >"$log" 2>&1
  rc=$?
  sleep 0.2
  local p; p=$(since resp | grep -F "\"$c\" #")
  grep -q "IKE_SA established .*: $want (" "$log" && grep -q "responder established IKE SA" <<<"$p" \
    && grep -qF "sent IKE_SA_INIT reply {$lsw}" <<<"$p"
  il_check "libreswan/m-$c/ike-established" $? "$c: ikelab ($want) and pluto ($lsw) both report the IKE SA" \
    || { grep -vE '^\[[0-9]+\] (Sent|Received)' "$log" | tail -5; grep -iE 'error|fail|no proposal|invalid|reject|mismatch|not found' <<<"$p" | head -5; }
  grep -q "CHILD_SA .* installed" "$log" && RESP_CHILD=0
  [ "$rc" = 1 ] && [ "$(grep -c 'CHILD_SA failed' "$log")" = 1 ] \
    && grep -q '^\[[0-9]*\] CHILD_SA failed: TS_UNACCEPTABLE$' "$log" \
    && [ "$(grep -c 'Sent IKE_AUTH request' "$log")" = 1 ] && ! grep -qiE 'retransmit|panick' "$log"
  il_check "libreswan/m-$c/ikelab-child-failure" $? "$c: ikelab: '$(grep -o 'CHILD_SA failed.*' "$log")', exit $rc, IKE_AUTH sent once, no retransmission"
  kernel_refused <<<"$p" && ! grep -q "deleting state (STATE_V2_ESTABLISHED_IKE_SA)" <<<"$p"
  il_check "libreswan/m-$c/pluto-child-failure" $? "$c: pluto refused the CHILD_SA because the kernel refused its ESP SA, kept the IKE SA" \
    || grep -E 'Add SA|deleting' <<<"$p" | head -3
}

# -- proposals (libreswan names: its log's `sent IKE_SA_INIT reply`)
# shellcheck disable=SC2046
{
rcase gcm 1 aes256gcm16-prfsha512-ecp384 "cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_512 group=DH20" \
  $(pskargs gcm) --ike-proposal aes256gcm16-prfsha512-ecp384 --esp-proposal aes256gcm16
rcase cbc128 2 aes128-sha256-ecp256 "cipher=AES_CBC_128 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=DH19" \
  $(pskargs cbc128) --ike-proposal aes128-sha256-ecp256 --esp-proposal aes128-sha256
rcase chacha 3 chacha20poly1305-prfsha256-x25519 "cipher=CHACHA20_POLY1305_256 integ=n/a prf=HMAC_SHA2_256 group=DH31" \
  $(pskargs chacha) --ike-proposal chacha20poly1305-prfsha256-x25519 --esp-proposal chacha20poly1305
rcase modp3072 4 aes256-sha384-modp3072 "cipher=AES_CBC_256 integ=HMAC_SHA2_384_192 prf=HMAC_SHA2_384 group=MODP3072" \
  $(pskargs modp3072) --ike-proposal aes256-sha384-modp3072 --esp-proposal aes256-sha384
rcase tdes 5 3des-sha1-modp2048 "cipher=3DES_CBC_192 integ=HMAC_SHA1_96 prf=HMAC_SHA1 group=MODP2048" \
  $(pskargs tdes) --ike-proposal 3des-sha1-modp2048 --esp-proposal 3des-sha1
# pluto accepts only ikelab's second proposal; ikelab's KE (ECP_384) draws INVALID_KE_PAYLOAD.
rcase multi 6 aes128-sha256-x25519 "cipher=AES_CBC_128 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=DH31" \
  $(pskargs multi) --ike-proposal aes256gcm16-prfsha384-ecp384 --ike-proposal aes128-sha256-x25519 \
  --esp-proposal aes256gcm16 --esp-proposal aes128-sha256
grep -q "Received IKE_SA_INIT response #0 \[Notify\] notifies \[INVALID_KE_PAYLOAD\]" "$RUN/multi.log" \
  && [ "$(grep -c "Sent IKE_SA_INIT request" "$RUN/multi.log")" = 2 ]
il_check libreswan/m-multi/invalid-ke-retry $? "multi: pluto answered the first KE with INVALID_KE_PAYLOAD, ikelab retried once"
# One proposal, two groups: ikelab's KE is ECP_256, pluto takes only ECP_384.
rcase ke 7 aes256-sha256-ecp384 "cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=DH20" \
  $(pskargs ke) --ike-proposal aes256-sha256-ecp256-ecp384 --esp-proposal aes256-sha256
grep -q "Received IKE_SA_INIT response #0 \[Notify\] notifies \[INVALID_KE_PAYLOAD\]" "$RUN/ke.log" \
  && [ "$(grep -c "Sent IKE_SA_INIT request" "$RUN/ke.log")" = 2 ] && since resp | grep -q 'INVALID_KE'
il_check libreswan/m-ke/invalid-ke-from-pluto $? "ke: pluto demanded ECP_384 (INVALID_KE_PAYLOAD), ikelab retried with it"

# -- authentication
# The signature methods on the wire: tshark decrypts both IKE_AUTH messages with ikelab's key
# table. Nothing fragmented (pluto fragmentation=no, ikelab --fragment-size 9000): tshark 4.0
# does not reassemble RFC 7383 fragments.
capture_start() { # NAME FILTER
  ip netns exec "$NS_B" tshark -q -i ikl5-b0 -w "$RUN/$1.pcapng" -f "$2" >/dev/null 2>&1 &
  echo $! > "$RUN/tshark.pid"
  for _ in $(seq 1 30); do [ -s "$RUN/$1.pcapng" ] && break; sleep 0.1; done
}
capture_stop() { sleep 0.3; kill "$(cat "$RUN/tshark.pid")" 2>/dev/null; il_reap "$(cat "$RUN/tshark.pid")"; }
# auth_method PCAP KEYDIR SRC: the AUTH method and RFC 7427 signature algorithm OIDs of the
# message SRC sent (only IKE_AUTH has AUTH), on one line
auth_method() {
  WIRESHARK_CONFIG_DIR=$2 tshark -r "$1" -V -Y "ip.src == $3" 2>/dev/null \
    | grep -A10 'Authentication Method:' | grep -oE 'Authentication Method: .*|OID: .*' | tr '\n' ' '
}
capture_start rsa "udp port 500 and host 198.51.100.18"
mkdir -p "$RUN/rsa-keys"
rcase rsa 8 aes256-sha256-modp2048 "cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=MODP2048" \
  $(certargs ikl-rsa) --identity "$(dn ikl-rsa)" --remote-identity "$(dn lsw-rsa)" \
  --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 --keylog "$RUN/rsa-keys" \
  --fragment-size 9000
capture_stop
m_ikl=$(auth_method "$RUN/rsa.pcapng" "$RUN/rsa-keys" 198.51.100.18)
m_lsw=$(auth_method "$RUN/rsa.pcapng" "$RUN/rsa-keys" 198.51.100.2)
# pluto 4.10's default authby (rsasig,ecdsa) signs RFC 7427 PKCS#1 v1.5 here, as ikelab does.
grep -q 'Digital Signature (14) OID: 1.2.840.113549.1.1.11 (sha256WithRSAEncryption)' <<<"$m_ikl" \
  && grep -q 'Digital Signature (14) OID: 1.2.840.113549.1.1.11 (sha256WithRSAEncryption)' <<<"$m_lsw"
il_check libreswan/m-rsa/methods-on-the-wire $? "rsa: RFC 7427 both ways with pluto's default authby: ikelab sent [$m_ikl], pluto [$m_lsw]"

grep -F '"rsa" #' "$RUN/resp/pluto.log" | grep -qF "authenticated peer '2048-bit PKCS#1 1.5 RSA with SHA2_256' digital signature using peer certificate '$(dn ikl-rsa)'"
il_check libreswan/m-rsa/method $? "rsa: pluto verified ikelab's RFC 7427 signature: $(grep -F '"rsa" #' "$RUN/resp/pluto.log" | grep -o "authenticated peer '[^']*'" | head -1)"

# pss: pluto authby=rsa-sha2 (RSASSA-PSS only, both ways); ikelab signs PSS (policy rsa_pss).
cat > "$RUN/pss.toml" <<EOP
[local]
id = "$(dn ikl-rsa)"
auth = { method = "pubkey", certificate = "$PKI/ikl-rsa.crt", private_key = "$PKI/ikl-rsa.key", signature = { method = "digital_signature", rsa_pss = true } }
[remote]
id = "$(dn lsw-rsa)"
auth = { method = "pubkey", trust_anchors = ["$PKI/ca.crt"] }
EOP
capture_start pss "udp port 500 and host 198.51.100.26"
mkdir -p "$RUN/pss-keys"
rcase pss 16 aes256-sha256-modp2048 "cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=MODP2048" \
  --config "$RUN/pss.toml" --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 \
  --keylog "$RUN/pss-keys" --fragment-size 9000
capture_stop
m_ikl=$(auth_method "$RUN/pss.pcapng" "$RUN/pss-keys" 198.51.100.26)
m_lsw=$(auth_method "$RUN/pss.pcapng" "$RUN/pss-keys" 198.51.100.2)
grep -q 'Digital Signature (14) OID: 1.2.840.113549.1.1.10 (id-RSASSA-PSS)' <<<"$m_ikl" \
  && grep -q 'Digital Signature (14) OID: 1.2.840.113549.1.1.10 (id-RSASSA-PSS)' <<<"$m_lsw" \
  && since resp | grep -qF "authenticated peer '2048-bit RSASSA-PSS with SHA2_256' digital signature using peer certificate '$(dn ikl-rsa)'"
il_check libreswan/m-pss/rsa-pss-both $? "pss: RSASSA-PSS (RFC 7427) both ways, pluto: $(since resp | grep -o "authenticated peer '[^']*'" | head -1); on the wire ikelab [$m_ikl], pluto [$m_lsw]"

# pssneg: pluto demands RSASSA-PSS (authby=rsa-sha2), ikelab signs PKCS#1 v1.5 (its default):
# pluto refuses the AUTH; ikelab must name AUTHENTICATION_FAILED in one line and stop.
ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --local 198.51.100.27 --timeout 10 \
  --local-ts 203.0.113.1/32 --remote-ts 203.0.113.129/32 $(certargs ikl-rsa) \
  --identity "$(dn ikl-rsa)" --remote-identity "$(dn lsw-rsa)" \
  --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 >"$RUN/pssneg.log" 2>&1
rc=$?
sleep 0.2
[ "$rc" = 1 ] && ! grep -q 'IKE_SA established' "$RUN/pssneg.log" \
  && grep -q 'AUTHENTICATION_FAILED' "$RUN/pssneg.log" && [ "$(grep -c 'Sent IKE_AUTH request' "$RUN/pssneg.log")" = 1 ] \
  && ! grep -qiE 'retransmit|panick' "$RUN/pssneg.log" && grep -F '"pssneg" #' "$RUN/resp/pluto.log" | grep -q 'authentication failed: peer authentication requires policy RSASIG_v1_5'
il_check libreswan/m-pssneg/auth-refused-cleanly $? "pssneg: pluto (authby=rsa-sha2) refused ikelab's PKCS#1 v1.5 AUTH; ikelab exit $rc: $(grep -vE '^\[[0-9]+\] (Sent|Received)' "$RUN/pssneg.log" | tr '\n' ' ')" \
  || { cat "$RUN/pssneg.log"; grep -F '"pssneg" #' "$RUN/resp/pluto.log" | tail -4; }

rcase ec256 9 aes128-sha256-ecp256 "cipher=AES_CBC_128 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=DH19" \
  $(certargs ikl-ec256) --identity "$(dn ikl-ec256)" --remote-identity "$(dn lsw-ec256)" \
  --ike-proposal aes128-sha256-ecp256 --esp-proposal aes128-sha256
since resp | grep -qF "authenticated peer 'P-256 ECDSA with SHA2_256' digital signature using peer certificate '$(dn ikl-ec256)'"
il_check libreswan/m-ec256/method $? "ec256: pluto verified ikelab's ECDSA P-256 signature: $(since resp | grep -o "authenticated peer '[^']*'" | head -1)"
rcase ec384 10 aes256-sha384-ecp384 "cipher=AES_CBC_256 integ=HMAC_SHA2_384_192 prf=HMAC_SHA2_384 group=DH20" \
  $(certargs ikl-ec384) --identity "$(dn ikl-ec384)" --remote-identity "$(dn lsw-ec384)" \
  --ike-proposal aes256-sha384-ecp384 --esp-proposal aes256-sha384
since resp | grep -qF "authenticated peer 'P-384 ECDSA with SHA2_384' digital signature using peer certificate '$(dn ikl-ec384)'"
il_check libreswan/m-ec384/method $? "ec384: pluto verified ikelab's ECDSA P-384 signature: $(since resp | grep -o "authenticated peer '[^']*'" | head -1)"
rcase email 11 aes256gcm16-prfsha256-x25519 "cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_256 group=DH31" \
  --psk-file "$RUN/psk" --identity alice@ikl5.example --remote-identity email.lsw.ikl5.example \
  --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16
since resp | grep -qF "authenticated peer using authby=secret and ID_USER_FQDN 'alice@ikl5.example'"
il_check libreswan/m-email/user-fqdn $? "email: pluto authenticated ikelab's ID_USER_FQDN alice@ikl5.example with the PSK"
rcase ipv4 12 aes256gcm16-prfsha256-x25519 "cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_256 group=DH31" \
  --psk-file "$RUN/psk" --identity 198.51.100.22 --remote-identity 198.51.100.2 \
  --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16
since resp | grep -qF "authenticated peer using authby=secret and ID_IPV4_ADDR '198.51.100.22'" \
  && grep -q "IKE_SA established 198.51.100.22 <-> 198.51.100.2:" "$RUN/ipv4.log"
il_check libreswan/m-ipv4/ipv4-addr $? "ipv4: ID_IPV4_ADDR identities both ways with the PSK"
rcase dnpsk 13 aes256gcm16-prfsha256-x25519 "cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_256 group=DH31" \
  --psk-file "$RUN/psk" --identity "$(dn ikl-dn)" --remote-identity "$(dn lsw-dn)" \
  --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16
since resp | grep -qF "authenticated peer using authby=secret and ID_DER_ASN1_DN '$(dn ikl-dn)'"
il_check libreswan/m-dnpsk/der-asn1-dn $? "dnpsk: pluto authenticated ikelab's ID_DER_ASN1_DN with the PSK"

# -- COOKIE: pluto in DDoS busy mode
whack resp "$NS_B" --ddos-busy >/dev/null
rcase cookie 14 aes256gcm16-prfsha256-x25519 "cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_256 group=DH31" \
  $(pskargs cookie) --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16
whack resp "$NS_B" --ddos-auto >/dev/null
grep -q "Received IKE_SA_INIT response #0 \[Notify\] notifies \[COOKIE\]" "$RUN/cookie.log" \
  && grep -q "Sent IKE_SA_INIT request #0 \[Notify, SA" "$RUN/cookie.log"
il_check libreswan/m-cookie/ikelab-answers-cookie $? "cookie: pluto (--ddos-busy) demanded a COOKIE, ikelab retried with it first"

# -- fragmentation: RSA-4096 certificates, ikelab fragments at 1280, pluto answers in fragments.
# frag_count NETNS MATCH [DROP]: table inet ikl5f in NETNS's output hook (before the kernel's IP
# fragmentation) counts the IKE datagrams MATCH selects: all of them, those over 1280 octets,
# and those whose IKE header's next payload is SKF (53, RFC 7383; UDP payload octet 16). With
# DROP, datagrams over 1200 octets are also dropped (counted as a fourth number).
frag_count() {
  ip netns exec "$1" nft -f - <<EON
table inet ikl5f {
  chain out {
    type filter hook output priority 0; policy accept;
    $2 counter
    $2 meta length > 1280 counter
    $2 @th,192,8 53 counter
    ${3:+$2 meta length > 1200 counter drop}
  }
}
EON
}
frag_read() { # NETNS: prints the counters' packet counts, removes the table
  ip netns exec "$1" nft list table inet ikl5f | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | tr '\n' ' '
  ip netns exec "$1" nft delete table inet ikl5f
}
frag_count "$NS_A" "ip saddr 198.51.100.25 ip daddr 198.51.100.2 udp dport 500"
frag_count "$NS_B" "ip saddr 198.51.100.2 ip daddr 198.51.100.25 udp sport 500"
rcase frag 15 aes256-sha256-modp2048 "cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=MODP2048" \
  $(certargs ikl-rsa4k) --identity "$(dn ikl-rsa4k)" --remote-identity "$(dn lsw-rsa4k)" \
  --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 --fragment-size 1280
read -r ikl_n ikl_big ikl_skf _ <<<"$(frag_read "$NS_A")"
read -r lsw_n lsw_big lsw_skf _ <<<"$(frag_read "$NS_B")"
[ "$ikl_skf" -ge 2 ] && [ "$ikl_big" = 0 ] && [ "$lsw_skf" -ge 2 ] && [ "$lsw_big" = 0 ] \
  && [ "$(grep -c 'Sent IKE_AUTH request' "$RUN/frag.log")" = 1 ]
il_check libreswan/m-frag/fragments-both-ways $? "frag: RSA-4096 IKE_AUTH as RFC 7383 fragments both ways (ikelab: $ikl_n datagrams, $ikl_skf SKF, $ikl_big over 1280 octets; pluto: $lsw_n, $lsw_skf SKF, $lsw_big over 1280)"
}
il_check libreswan/m-responder/pluto-child-installed $RESP_CHILD "pluto (responder) installed a CHILD_SA in one of the cases"
whack resp "$NS_B" --showstates > "$RUN/resp-states.txt" 2>&1
il_stop_charon resp
# ==== Phase 2: pluto initiator ===============================================================
# iconn NAME IKE ESP [EXTRA...]: pluto (a) -> ikelab serve (b), PSK with IDs
# @NAME.lsw.ikl5.example / @NAME.ikl.ikl5.example unless EXTRA sets authby/IDs.
iconn() {
  local name=$1 ike=$2 esp=$3; shift 3
  printf 'conn %s\n    ikev2=insist\n    left=198.51.100.1\n    leftsubnet=203.0.113.1/32\n' "$name"
  printf '    right=198.51.100.2\n    rightsubnet=203.0.113.129/32\n    ike=%s\n    esp=%s\n    auto=add\n' "$ike" "$esp"
  [ $# = 0 ] && printf '    authby=secret\n    leftid=@%s.lsw.ikl5.example\n    rightid=@%s.ikl.ikl5.example\n' "$name" "$name"
  local l; for l in "$@"; do printf '    %s\n' "$l"; done
}
psk_ids() { echo authby=secret; echo "leftid=@$1.lsw.ikl5.example"; echo "rightid=@$1.ikl.ikl5.example"; }
{
  printf 'config setup\n    uniqueids=no\n\n'
  iconn igcm "aes_gcm256-sha2_512;dh20" aes_gcm256
  iconn ichacha "chacha20_poly1305-sha2;dh31" chacha20_poly1305
  iconn ike "aes256-sha2_256;dh19+dh20" aes256-sha2_256
  mapfile -t c < <(certconn lsw-rsa ikl-rsa); iconn irsa "aes256-sha2_256;modp2048" aes256-sha2_256 "${c[@]}"
  mapfile -t c < <(certconn lsw-ec384 ikl-ec384 ecdsa); iconn iec384 "aes256-sha2_384;dh20" aes256-sha2_384 "${c[@]}"
  mapfile -t c < <(certconn lsw-rsa4k ikl-rsa4k); iconn ifrag "aes256-sha2_256;modp2048" aes256-sha2_256 "${c[@]}" fragmentation=yes
  mapfile -t c < <(psk_ids ilong); iconn ilong "aes_gcm256-sha2_256;dh31" aes_gcm256 "${c[@]}" dpddelay=1 dpdaction=clear
  mapfile -t c < <(psk_ids ilife); iconn ilife "aes_gcm256-sha2_256;dh31" aes_gcm256 "${c[@]}" ikelifetime=8s rekeymargin=4s rekeyfuzz=0%
} > "$RUN/init/ipsec.conf"
start_pluto init "$NS_A" || exit 1
grep -iE 'error|warning|fail' "$RUN/init/addconn.log" | head -5

# serve LOG TIMEOUT ARGS...: ikelab serve in the background (SERVE = its PID), ready when it
# printed its listening line.
serve() {
  local log=$1 t=$2; shift 2
  ip netns exec "$NS_B" "$IKELAB" serve -v --listen 198.51.100.2 --timeout "$t" "$@" >"$log" 2>&1 &
  SERVE=$!
  echo "$SERVE" > "$RUN/serve.pid"
  for _ in $(seq 1 30); do grep -q "^listening on" "$log" 2>/dev/null && break; sleep 0.1; done
}
INIT_CHILD=1   # 0 once pluto installed a CHILD_SA as initiator (it cannot here: XFAIL)
ts_ok() { echo --local-ts 203.0.113.129/32 --remote-ts 203.0.113.1/32; }
# icase CASE IKELAB_IKE PLUTO_IKE SERVE_ARGS...: pluto initiates CASE towards ikelab serve, which
# installs the CHILD_SA. Checks: both report the IKE SA (pluto: `sent IKE_AUTH request {...}`);
# pluto's CHILD_SA failed for the listed reason; when pluto then drops its IKE SA without a
# Delete and re-initiates (revival), ikelab serve takes the new IKE SA and is still running.
icase() {
  local c=$1 want=$2 lsw=$3 log=$RUN/$1.log
  shift 3
  mark init
  # shellcheck disable=SC2046
  serve "$log" 4 $(ts_ok) "$@"
  timeout 10 ip netns exec "$NS_A" "$X/whack" --ctlsocket "$RUN/init/run/pluto.ctl" --initiate \
    --name "$c" --asynchronous >/dev/null 2>&1
  for _ in $(seq 1 40); do [ "$(grep -c 'IKE_SA established' "$log")" -ge 2 ] && break; sleep 0.1; done
  local p; p=$(since init | grep -F "\"$c\" #")
  grep -q "IKE_SA established .*: $want (" "$log" && grep -q "initiator established IKE SA" <<<"$p" \
    && grep -qF "sent IKE_AUTH request {$lsw}" <<<"$p"
  il_check "libreswan/m-$c/ike-established" $? "$c: pluto ($lsw) and ikelab serve ($want) both report the IKE SA" \
    || { grep -vE '^\[[0-9]+\] (Sent|Received)' "$log" | tail -5; grep -iE 'error|fail|no proposal|invalid|reject|mismatch|not found' <<<"$p" | head -5; }
  grep -q "CHILD_SA child installed" "$log"
  il_check "libreswan/m-$c/ikelab-child-installed" $? "$c: ikelab serve installed the CHILD_SA pluto asked for"
  grep -qE 'CHILD SA established|established Child SA' <<<"$p" && INIT_CHILD=0
  kernel_refused <<<"$p"
  il_check "libreswan/m-$c/pluto-child-failure" $? "$c: pluto's CHILD_SA failed because the kernel refused its ESP SA" \
    || grep -E 'Add SA|deleting|fatal' <<<"$p" | head -3
  if grep -q 'deleting state (STATE_V2_ESTABLISHED_IKE_SA) .* NOT sending notification' <<<"$p"; then
    [ "$(grep -c 'IKE_SA established' "$log")" -ge 2 ] && kill -0 "$SERVE" 2>/dev/null && ! grep -qi panick "$log"
    il_check "libreswan/m-$c/ikelab-takes-revival" $? "$c: pluto dropped its IKE SA without a Delete and re-initiated; ikelab serve established the new IKE SA too ($(grep -c 'IKE_SA established' "$log") IKE SAs)"
  fi
  whack init "$NS_A" --delete --name "$c" >/dev/null 2>&1   # ends pluto's revival loop
  kill "$SERVE" 2>/dev/null; il_reap "$SERVE"
}

icase igcm aes256gcm16-prfsha512-ecp384 "cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_512 group=DH20" \
  --psk-file "$RUN/psk" --identity igcm.ikl.ikl5.example --remote-identity igcm.lsw.ikl5.example \
  --ike-proposal aes256gcm16-prfsha512-ecp384 --esp-proposal aes256gcm16
icase ichacha chacha20poly1305-prfsha256-x25519 "cipher=CHACHA20_POLY1305_256 integ=n/a prf=HMAC_SHA2_256 group=DH31" \
  --psk-file "$RUN/psk" --identity ichacha.ikl.ikl5.example --remote-identity ichacha.lsw.ikl5.example \
  --ike-proposal chacha20poly1305-prfsha256-x25519 --esp-proposal chacha20poly1305
# pluto's KE is dh19 (its first group); ikelab serve takes only ECP_384.
icase ike aes256-sha256-ecp384 "cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=DH20" \
  --psk-file "$RUN/psk" --identity ike.ikl.ikl5.example --remote-identity ike.lsw.ikl5.example \
  --ike-proposal aes256-sha256-ecp384 --esp-proposal aes256-sha256
grep -q "Sent IKE_SA_INIT response #0 \[Notify\] notifies \[INVALID_KE_PAYLOAD\]" "$RUN/ike.log"
il_check libreswan/m-ike/invalid-ke-from-ikelab $? "ike: ikelab serve answered pluto's DH19 KE with INVALID_KE_PAYLOAD(ECP_384), pluto retried with ECP_384"
cat > "$RUN/irsa.toml" <<EOP
[local]
id = "$(dn ikl-rsa)"
auth = { method = "pubkey", certificate = "$PKI/ikl-rsa.crt", private_key = "$PKI/ikl-rsa.key", signature = { method = "digital_signature", rsa_pss = true } }
[remote]
id = "$(dn lsw-rsa)"
auth = { method = "pubkey", trust_anchors = ["$PKI/ca.crt"] }
EOP
icase irsa aes256-sha256-modp2048 "cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=MODP2048" \
  --config "$RUN/irsa.toml" --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256
since init | grep -qF "authenticated peer '2048-bit RSASSA-PSS with SHA2_256' digital signature using peer certificate '$(dn ikl-rsa)'"
il_check libreswan/m-irsa/rsa-pss $? "irsa: pluto verified ikelab serve's RFC 7427 RSASSA-PSS signature: $(since init | grep -o "authenticated peer '[^']*'" | head -1)"
icase iec384 aes256-sha384-ecp384 "cipher=AES_CBC_256 integ=HMAC_SHA2_384_192 prf=HMAC_SHA2_384 group=DH20" \
  --cert "$PKI/ikl-ec384.crt" --key "$PKI/ikl-ec384.key" --cacert "$PKI/ca.crt" \
  --identity "$(dn ikl-ec384)" --remote-identity "$(dn lsw-ec384)" \
  --ike-proposal aes256-sha384-ecp384 --esp-proposal aes256-sha384
since init | grep -qF "authenticated peer 'P-384 ECDSA with SHA2_384' digital signature using peer certificate '$(dn ikl-ec384)'"
il_check libreswan/m-iec384/method $? "iec384: pluto verified ikelab serve's ECDSA P-384 signature: $(since init | grep -o "authenticated peer '[^']*'" | head -1)"

# Fragmentation: nft drops pluto's IKE datagrams over 1200 octets (before IP fragmentation), so
# an unfragmented IKE_AUTH from pluto (fragmentation=yes) never arrives and only its RFC 7383
# fragments can; ikelab serve answers in fragments (--fragment-size 1280).
frag_count "$NS_A" "ip saddr 198.51.100.1 ip daddr 198.51.100.2 udp dport 500" drop
frag_count "$NS_B" "ip saddr 198.51.100.2 ip daddr 198.51.100.1 udp sport 500"
icase ifrag aes256-sha256-modp2048 "cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=MODP2048" \
  --cert "$PKI/ikl-rsa4k.crt" --key "$PKI/ikl-rsa4k.key" --cacert "$PKI/ca.crt" \
  --identity "$(dn ikl-rsa4k)" --remote-identity "$(dn lsw-rsa4k)" \
  --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 --fragment-size 1280
read -r lsw_n _ lsw_skf dropped _ <<<"$(frag_read "$NS_A")"
read -r ikl_n ikl_big ikl_skf _ <<<"$(frag_read "$NS_B")"
[ "$lsw_skf" -ge 2 ] && [ "$ikl_skf" -ge 2 ] && [ "$ikl_big" = 0 ] && grep -q 'Received IKE_AUTH request #1' "$RUN/ifrag.log"
il_check libreswan/m-ifrag/fragments-both-ways $? "ifrag: RFC 7383 fragments both ways (pluto: $lsw_n datagrams, $lsw_skf SKF, $dropped over 1200 octets dropped; ikelab serve: $ikl_n, $ikl_skf SKF, $ikl_big over 1280)"

# ilong: ikelab serve refuses pluto's selectors (TS_UNACCEPTABLE), pluto keeps the IKE SA.
mark init
serve "$RUN/ilong.log" 12 --local-ts 203.0.113.200/32 --remote-ts 203.0.113.201/32 --psk-file "$RUN/psk" \
  --identity ilong.ikl.ikl5.example --remote-identity ilong.lsw.ikl5.example \
  --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16
timeout 10 ip netns exec "$NS_A" "$X/whack" --ctlsocket "$RUN/init/run/pluto.ctl" --initiate \
  --name ilong --asynchronous >/dev/null 2>&1
sleep 1
p=$(since init | grep -F '"ilong" #')
grep -q "IKE_SA established .*: aes256gcm16-prfsha256-x25519 (" "$RUN/ilong.log" && grep -q "initiator established IKE SA" <<<"$p" \
  && grep -q "TS_UNACCEPTABLE" <<<"$p" && ! grep -q "deleting state (STATE_V2_ESTABLISHED_IKE_SA)" <<<"$p"
il_check libreswan/m-ilong/ike-sa-kept $? "ilong: ikelab serve refused the CHILD_SA (TS_UNACCEPTABLE); both keep the IKE SA" \
  || { grep -vE '^\[[0-9]+\] (Sent|Received)' "$RUN/ilong.log"; grep -vE 'proposal' <<<"$p" | tail -8; }
sleep 2.5
n=$(grep -cE "Received INFORMATIONAL request #[0-9]+ \[\]" "$RUN/ilong.log")
[ "$n" -ge 2 ] && [ "$(grep -cE "Sent INFORMATIONAL response #[0-9]+ \[\]" "$RUN/ilong.log")" -ge "$n" ] \
  && ! since init | grep -F '"ilong" #' | grep -qiE 'retransmit|liveness.*(dead|timeout)'
il_check libreswan/m-ilong/dpd-answered $? "ilong: pluto's liveness checks (dpddelay=1): $n empty INFORMATIONALs, all answered"
whack init "$NS_A" --rekey-ike --name ilong >/dev/null 2>&1
sleep 1
p=$(since init | grep -F '"ilong" #')
grep -q "IKE_SA rekeyed" "$RUN/ilong.log" && grep -qiE 'rekeyed IKE SA|established rekeyed IKE SA|IKE SA rekey' <<<"$p"
il_check libreswan/m-ilong/ike-rekey $? "ilong: whack --rekey-ike: pluto rekeyed the IKE SA, ikelab serve: $(grep -m1 -o 'IKE_SA rekeyed.*' "$RUN/ilong.log")" \
  || { grep -E 'CREATE_CHILD|INFORMATIONAL|rekey' "$RUN/ilong.log" | tail -5; grep -iE 'rekey|CREATE_CHILD' <<<"$p" | tail -5; }
whack init "$NS_A" --terminate --name ilong >/dev/null 2>&1
sleep 0.5
grep -q "IKE_SA closed: DeletedByPeer" "$RUN/ilong.log"
il_check libreswan/m-ilong/delete-by-pluto $? "ilong: whack --terminate: pluto deleted the IKE SA, ikelab serve: $(grep -m1 'IKE_SA closed' "$RUN/ilong.log")"
kill "$SERVE" 2>/dev/null; il_reap "$SERVE"
! grep -qi panick "$RUN/ilong.log"
il_check libreswan/m-ilong/ikelab-clean $? "ilong: ikelab serve ran through DPD, rekey and delete without a panic"

# ilife: ikelifetime=8s, rekeymargin=4s: pluto rekeys the IKE SA by itself after ~4 s.
mark init
serve "$RUN/ilife.log" 10 --local-ts 203.0.113.200/32 --remote-ts 203.0.113.201/32 --psk-file "$RUN/psk" \
  --identity ilife.ikl.ikl5.example --remote-identity ilife.lsw.ikl5.example \
  --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16
timeout 10 ip netns exec "$NS_A" "$X/whack" --ctlsocket "$RUN/init/run/pluto.ctl" --initiate \
  --name ilife --asynchronous >/dev/null 2>&1
for _ in $(seq 1 80); do grep -q "IKE_SA rekeyed" "$RUN/ilife.log" && break; sleep 0.1; done
grep -q "IKE_SA rekeyed" "$RUN/ilife.log"
il_check libreswan/m-ilife/ike-rekey-lifetime $? "ilife: pluto rekeyed the IKE SA at ikelifetime - rekeymargin, ikelab serve: $(grep -m1 -o 'IKE_SA rekeyed.*' "$RUN/ilife.log")" \
  || since init | grep -F '"ilife" #' | grep -vE proposal | tail -8
# Terminated right after the rekey, before pluto deleted the old IKE SA: pluto deletes the new
# IKE SA first, then the old one; ikelab must answer both on their own SAs.
whack init "$NS_A" --terminate --name ilife >/dev/null 2>&1
sleep 0.5
grep -q "IKE_SA closed: DeletedByPeer" "$RUN/ilife.log" \
  && [ "$(grep -cE 'Sent INFORMATIONAL response #[0-9]+ \[\] ' "$RUN/ilife.log")" -ge 2 ] \
  && ! grep -qE 'INVALID_IKE_SPI|UnknownSpi' "$RUN/ilife.log"
il_check libreswan/m-ilife/deletes-after-rekey $? "ilife: whack --terminate after the rekey: ikelab answered pluto's Deletes of the new and the old IKE SA on their SAs" \
  || grep -E 'Delete|INFORMATIONAL|closed|violation' "$RUN/ilife.log"
kill "$SERVE" 2>/dev/null; il_reap "$SERVE"

il_check libreswan/m-initiator/pluto-child-installed $INIT_CHILD "pluto (initiator) installed a CHILD_SA in one of the cases"
il_stop_charon init
echo "libreswan matrix: PASS $IL_NPASS, FAIL $IL_NFAIL, XFAIL $IL_NXFAIL ($(($(date +%s) - START)) s; logs in $RUN)"
exit "$FAILED"
