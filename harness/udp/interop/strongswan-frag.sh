#!/bin/bash
# ikelab <-> strongSwan (charon 5.9.x): IKE_AUTH fragmented with RFC 7383 in both directions.
#
#   ikfrag-a 198.51.100.1  <-- veth -->  ikfrag-b 198.51.100.2
#
# PKI: RSA-4096 root -> RSA-4096 intermediate -> RSA-4096 end entities, so IKE_AUTH carries
# ~1.3 kB certificates and a 512-octet signature. charon: fragmentation = yes and
# charon.fragment_size = 576; ikelab: --fragment-size 576. Cases:
#   a. ikelab connect (a) -> charon responder (b): both establish
#   b. charon initiator (a) -> ikelab serve (b): both establish
# Each case is captured with tshark on the veth: the IKE_AUTH request and response must each
# be several SKF (payload 53) datagrams, none over 576 octets of IP.
#
# Usage: strongswan-frag.sh IKELAB_BINARY     (root; strongswan-charon, -swanctl, -pki,
#                                              charon-systemd, tshark, openssl installed)
# Exit: 0 all passed, 1 a case failed, 77 skipped (not root / packages missing; printed loudly).
set -uo pipefail
IKELAB=$(readlink -f "${1:?usage: strongswan-frag.sh IKELAB_BINARY}")
RUN=${IKFRAG_RUN:-/tmp/ikfrag-run}
NS_A=ikfrag-a
NS_B=ikfrag-b
FRAG=576

# shellcheck source=../../../scripts/interop-lib.sh
. "$(dirname "$0")/../../../scripts/interop-lib.sh"
il_require pki tshark openssl
il_begin
il_netns_pair ikfrag
il_inner_addrs

# --- PKI: RSA-4096 root, intermediate and end entities; PKCS#8 keys for ikelab -------------
PKI=$RUN/pki; mkdir -p "$PKI"
printf 'pki {\n  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey\n}\n' > "$PKI/pki.conf"
export STRONGSWAN_CONF=$PKI/pki.conf
pki --gen --type rsa --size 4096 --outform pem > "$PKI/root.key"
pki --self --ca --lifetime 30 --in "$PKI/root.key" --type rsa \
    --dn "C=XX, O=ikelab, CN=ikfrag root CA" --outform pem > "$PKI/root.crt"
pki --gen --type rsa --size 4096 --outform pem > "$PKI/int.key"
pki --pub --in "$PKI/int.key" --type rsa | pki --issue --ca --lifetime 30 --cacert "$PKI/root.crt" \
    --cakey "$PKI/root.key" --dn "C=XX, O=ikelab, CN=ikfrag intermediate CA" --outform pem > "$PKI/int.crt"
issue() { # NAME
  pki --gen --type rsa --size 4096 --outform pem > "$PKI/$1.key"
  pki --pub --in "$PKI/$1.key" --type rsa | pki --issue --lifetime 30 --cacert "$PKI/int.crt" \
      --cakey "$PKI/int.key" --dn "C=XX, O=ikelab, CN=$1.ikfrag.example" --san "$1.ikfrag.example" \
      --flag serverAuth --flag clientAuth --outform pem > "$PKI/$1.crt"
  openssl pkcs8 -topk8 -nocrypt -in "$PKI/$1.key" -out "$PKI/$1.p8"
}
issue swan
issue ikelab
unset STRONGSWAN_CONF

# --- charon -------------------------------------------------------------------------------
CHARON_EXTRA="fragment_size = $FRAG"
CHARON_LOG="ike = 2
      enc = 1"
start_charon() { # NAME NETNS SWANCTL_CONF
  local D; D=$(il_charon_dir "$1")
  cp "$PKI/root.crt" "$PKI/int.crt" "$D/swanctl/x509ca/"
  cp "$PKI/swan.crt" "$D/swanctl/x509/"; cp "$PKI/swan.key" "$D/swanctl/private/"
  il_start_charon "$1" "$2" "$3"
}

capture_start() { # NAME
  ip netns exec "$NS_B" tshark -q -i ikfrag-b0 -w "$RUN/$1.pcapng" -f "udp port 500 or udp port 4500" >/dev/null 2>&1 &
  echo $! > "$RUN/tshark.pid"; sleep 1.5
}
capture_stop() {
  sleep 0.5; kill "$(cat "$RUN/tshark.pid")" 2>/dev/null; rm -f "$RUN/tshark.pid"; sleep 0.5
}

# check_fragments CASE PCAP INITIATOR_IP RESPONDER_IP: IKE_AUTH (exchange 35) request and
# response each as >= 2 SKF datagrams (IKE header Next Payload 53), none over $FRAG octets of
# IP, and no unfragmented IKE_AUTH.
check_fragments() {
  local name=$1 pcap=$2 ini=$3 res=$4 dir src n big whole
  for dir in request response; do
    [ "$dir" = request ] && src=$ini || src=$res
    n=$(tshark -r "$pcap" -Y "ip.src == $src && isakmp.exchangetype == 35 && isakmp.nextpayload == 53" 2>/dev/null | wc -l)
    big=$(tshark -r "$pcap" -Y "ip.src == $src && isakmp.exchangetype == 35 && ip.len > $FRAG" 2>/dev/null | wc -l)
    whole=$(tshark -r "$pcap" -Y "ip.src == $src && isakmp.exchangetype == 35 && !(isakmp.nextpayload == 53)" 2>/dev/null | wc -l)
    if [ "$n" -ge 2 ] && [ "$big" = 0 ] && [ "$whole" = 0 ]; then
      pass "$name: IKE_AUTH $dir from $src in $n SKF fragments, all <= $FRAG octets"
    else
      fail "$name: IKE_AUTH $dir from $src: $n SKF datagrams, $big over $FRAG octets, $whole unfragmented"
      tshark -r "$pcap" -T fields -e frame.number -e ip.src -e ip.len -e isakmp.exchangetype -e isakmp.nextpayload 2>/dev/null
    fi
  done
}

CONN_COMMON="
    proposals = aes256-sha256-modp2048
    fragmentation = yes
    local { auth = pubkey
            certs = swan.crt
            id = swan.ikfrag.example }
    remote { auth = pubkey
             id = ikelab.ikfrag.example
             cacerts = root.crt }"
SECRETS='secrets {
  rsa { file = swan.key }
}'

# --- a. ikelab connect -> charon responder ------------------------------------------------
cat > "$RUN/resp.conf" <<EOC
connections {
  frag {
    local_addrs = 198.51.100.2
$CONN_COMMON
    children { frag-child { esp_proposals = aes256-sha256
                            local_ts = 203.0.113.129/32
                            remote_ts = 203.0.113.1/32 } }
  }
}
$SECRETS
EOC
start_charon resp "$NS_B" "$RUN/resp.conf" || exit 1
capture_start casea
if ip netns exec "$NS_A" "$IKELAB" connect -v --host 198.51.100.2 --timeout 20 \
     --local-ts 203.0.113.1/32 --remote-ts 203.0.113.129/32 \
     --cert "$PKI/ikelab.crt" --key "$PKI/ikelab.p8" --cacert "$PKI/root.crt" \
     --identity ikelab.ikfrag.example --remote-identity swan.ikfrag.example \
     --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 \
     --fragment-size "$FRAG" >"$RUN/casea.log" 2>&1; then
  pass "case a: ikelab connect established with charon (RSA-4096 chain)"
else
  fail "case a: ikelab connect exited non-zero"; tail -30 "$RUN/casea.log"; tail -30 "$RUN/resp/charon.log"
fi
capture_stop
out=$(sw resp --list-sas 2>&1)
if grep -q "frag: .*ESTABLISHED" <<<"$out" && grep -q "frag-child: .*INSTALLED" <<<"$out"; then
  pass "case a: charon lists frag ESTABLISHED and frag-child INSTALLED"
else
  fail "case a: charon --list-sas"; echo "$out"
fi
check_fragments "case a" "$RUN/casea.pcapng" 198.51.100.1 198.51.100.2
sw resp --terminate --ike frag --force >/dev/null 2>&1
il_stop_charon resp

# --- b. charon initiator -> ikelab serve --------------------------------------------------
cat > "$RUN/init.conf" <<EOC
connections {
  frag {
    remote_addrs = 198.51.100.2
$CONN_COMMON
    children { frag-child { esp_proposals = aes256-sha256
                            local_ts = 203.0.113.1/32
                            remote_ts = 203.0.113.129/32 } }
  }
}
$SECRETS
EOC
start_charon init "$NS_A" "$RUN/init.conf" || exit 1
capture_start caseb
ip netns exec "$NS_B" "$IKELAB" serve -v --listen 198.51.100.2 --exit-after 1 --timeout 20 --linger 2 \
  --local-ts 203.0.113.129/32 --remote-ts 203.0.113.1/32 \
  --cert "$PKI/ikelab.crt" --key "$PKI/ikelab.p8" --cacert "$PKI/root.crt" \
  --identity ikelab.ikfrag.example --remote-identity swan.ikfrag.example \
  --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256 \
  --fragment-size "$FRAG" >"$RUN/caseb.log" 2>&1 &
echo $! > "$RUN/serve.pid"; sleep 0.5
if sw init --initiate --ike frag --child frag-child --timeout 15 >"$RUN/caseb-swanctl.log" 2>&1; then
  pass "case b: swanctl --initiate against ikelab serve established (RSA-4096 chain)"
else
  fail "case b: swanctl --initiate"; cat "$RUN/caseb-swanctl.log"; tail -30 "$RUN/caseb.log"
fi
if wait "$(cat "$RUN/serve.pid")"; then
  pass "case b: ikelab serve installed the CHILD_SA (exit 0)"
else
  fail "case b: ikelab serve exited non-zero"; tail -30 "$RUN/caseb.log"
fi
rm -f "$RUN/serve.pid"
capture_stop
out=$(sw init --list-sas 2>&1)
if grep -q "frag: .*ESTABLISHED" <<<"$out" && grep -q "frag-child: .*INSTALLED" <<<"$out"; then
  pass "case b: charon lists frag ESTABLISHED and frag-child INSTALLED"
else
  fail "case b: charon --list-sas"; echo "$out"
fi
check_fragments "case b" "$RUN/caseb.pcapng" 198.51.100.1 198.51.100.2
sw init --terminate --ike frag --force >/dev/null 2>&1
il_stop_charon init

[ "$FAILED" = 0 ] && echo "strongSwan fragmentation interop: all cases passed" \
  || echo "strongSwan fragmentation interop: FAILURES (logs in $RUN)"
exit "$FAILED"
