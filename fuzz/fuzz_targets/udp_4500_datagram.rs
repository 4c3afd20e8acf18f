#![no_main]
//! UDP 4500 demultiplexer (NAT-keepalive / non-ESP marker + IKE / ESP) and what it carries.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ikelab_wire::fuzzing::udp_4500_datagram(data));
