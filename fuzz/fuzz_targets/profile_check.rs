#![no_main]
//! Profile checker on arbitrary bytes (XML, binary plist, CMS-wrapped or garbage): never panics.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ikelab_profile::fuzzing::profile_check(data));
