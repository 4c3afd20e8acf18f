//! `--mode udp`: the whole suite again with every datagram crossing real loopback sockets.
//! The clock is virtual in both modes, so each run must pass exactly as in the simulator and
//! put the same datagrams on the wire.

use std::path::Path;

use ikelab_scenario::{run_with, Mode, RunOptions};

#[test]
fn every_scenario_runs_the_same_over_loopback_udp() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let scenarios = ikelab_scenario::load_paths(&[dir]).expect("the suite loads");
    let sim = RunOptions::default();
    let udp = RunOptions {
        mode: Mode::Udp,
        ..RunOptions::default()
    };
    let mut runs = 0;
    for s in &scenarios {
        for role in s.roles() {
            let a = run_with(s, role, &sim);
            let b = run_with(s, role, &udp);
            let what = format!("{}::{}", s.name(), role.as_str());
            assert!(b.verdict.passed(), "{what} over UDP: {:?}", b.verdict);
            assert_eq!(a.verdict.passed(), b.verdict.passed(), "{what}");
            assert!(a.trace == b.trace, "{what}: the wire differs between modes");
            runs += 1;
        }
    }
    assert!(runs >= 240, "only {runs} runs");
}
