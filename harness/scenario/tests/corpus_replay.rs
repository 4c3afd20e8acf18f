//! Replays the `scenario_load` fuzz corpus (`corpora/scenario_load/`) through the fuzz body.

#[test]
fn scenario_load_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/scenario_load");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        ikelab_scenario::fuzz_scenario_load(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "no seeds in {}", dir.display());
}
