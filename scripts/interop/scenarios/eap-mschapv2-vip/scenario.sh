# shellcheck shell=bash
TOPOLOGY=direct
PKI=ecdsa
FORMAT=pcapng
# EAP-MSCHAPv2 (MD4/DES come from the openssl plugin's legacy provider), EAP-Identity,
# resolve (requests INTERNAL_IP4/6_DNS in the CFG_REQUEST; writes to the run dir, see lib.sh)
PLUGINS="eap-identity eap-mschapv2 resolve"
scenario_run() {
  ikl_sw ini --initiate --ike ikl --child net --timeout 15 >/dev/null
  ikl_ping 2
  ikl_sw ini --terminate --ike ikl --timeout 10 >/dev/null
}
