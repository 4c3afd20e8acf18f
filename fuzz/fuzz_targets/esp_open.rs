#![no_main]
//! ESP datagrams against fixed-key SAs (every transform), then seal/open round trips.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ikelab_esp::fuzzing::esp_open(data));
