#![no_main]
//! `responder_state` with an EAP-MSCHAPv2 client and server and MOBIKE announced (null crypto
//! provider, so the fuzzer reaches every IKE_AUTH round and the INFORMATIONALs after): never
//! panics.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ikelab_engine::fuzzing::responder_state_eap(data));
