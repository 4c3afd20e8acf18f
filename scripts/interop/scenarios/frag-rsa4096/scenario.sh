# shellcheck shell=bash
TOPOLOGY=direct
PKI=rsa4096
FORMAT=pcapng
scenario_run() {
  ikl_sw ini --initiate --ike ikl --child net --timeout 15 >/dev/null
  ikl_ping 2
  ikl_sw ini --terminate --ike ikl --timeout 10 >/dev/null
}
