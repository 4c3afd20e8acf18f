#![no_main]
//! IKE message parser: parse, and for accepted canonical input, re-encode to identical bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ikelab_wire::fuzzing::ike_message(data));
