# shellcheck shell=bash
TOPOLOGY=nat
PKI=
FORMAT=pcapng
scenario_run() {
  ikl_sw ini --initiate --ike ikl --child net --timeout 15 >/dev/null
  ikl_ping 1
  sleep 6.5   # keep_alive = 2s: the initiator (behind the NAT) sends 0xff keepalives on 4500
  ikl_ping 1
  ikl_sw ini --terminate --ike ikl --timeout 10 >/dev/null
}
