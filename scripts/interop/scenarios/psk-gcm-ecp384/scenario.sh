# shellcheck shell=bash
TOPOLOGY=direct
PKI=
FORMAT=pcap
scenario_run() {
  ikl_sw ini --initiate --ike ikl --child net --timeout 15 >/dev/null
  ikl_ping 3
  ikl_sw ini --rekey --child net >/dev/null
  ikl_wait_sa ini 'net: #2' 10 || ikl_die "CHILD_SA rekey did not complete"
  sleep 0.5
  ikl_ping 1
  ikl_sw ini --rekey --ike ikl >/dev/null
  ikl_wait_sa ini 'ikl: #2' 10 || ikl_die "IKE_SA rekey did not complete"
  sleep 0.5
  # idle > dpd_delay: the initiator sends an empty INFORMATIONAL (liveness check)
  sleep 3
  ikl_sw ini --terminate --ike ikl --timeout 10 >/dev/null
}
