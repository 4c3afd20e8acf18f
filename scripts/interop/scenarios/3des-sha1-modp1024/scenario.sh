# shellcheck shell=bash
TOPOLOGY=direct
PKI=
FORMAT=pcapng
scenario_run() {
  ikl_sw ini --initiate --ike ikl --child net --timeout 15 >/dev/null
  ikl_ping 3
  ikl_sw ini --terminate --ike ikl --timeout 10 >/dev/null
}
