// Declares `cfg(fuzzing)` (set by cargo-fuzz) so the null provider's build guard
// does not trip the unexpected_cfgs lint.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(fuzzing)");
}
