#![no_main]
//! An EAP-MSCHAPv2 peer and server (RFC 7296 §2.16 rounds) whose conversation the fuzzer
//! replaces or corrupts at will: never panics, and both sides never finish with different MSKs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ikelab_engine::fuzzing::eap_mschapv2(data));
