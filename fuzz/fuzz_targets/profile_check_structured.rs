#![no_main]
//! Profile checker on `arbitrary`-generated structured profiles: never panics.
libfuzzer_sys::fuzz_target!(|p: ikelab_profile::fuzzing::FuzzProfile| {
    ikelab_profile::fuzzing::profile_check_structured(&p)
});
