#![no_main]
//! Policy lowering on `arbitrary`-generated profiles: never panics, deterministic, only valid
//! IANA transforms, and agrees with the checker (see `ikelab_profile::fuzzing::lowering`).
libfuzzer_sys::fuzz_target!(|p: ikelab_profile::fuzzing::FuzzProfile| {
    ikelab_profile::fuzzing::lowering_structured(&p)
});
