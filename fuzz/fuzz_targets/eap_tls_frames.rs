#![no_main]
//! EAP-TLS fragmentation and reassembly (RFC 5216 §3.1): our fragments reassemble to the same
//! flight, and received fragments never panic or reassemble past the limit.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ikelab_engine::fuzzing::eap_tls_frames(data));
