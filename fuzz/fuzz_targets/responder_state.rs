#![no_main]
//! A responder fed arbitrary sequences of datagrams, mutations and timer ticks (null crypto
//! provider, so the fuzzer reaches IKE_AUTH): never panics.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ikelab_engine::fuzzing::responder_state(data));
