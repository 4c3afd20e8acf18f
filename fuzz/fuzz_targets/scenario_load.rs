#![no_main]
//! Scenario loader on arbitrary text: never panics; errors point inside the text.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ikelab_scenario::fuzz_scenario_load(data));
