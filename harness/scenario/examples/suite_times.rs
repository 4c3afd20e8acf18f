//! Runs a scenario directory sequentially and prints the total and the slowest runs' wall
//! time (and requirement coverage when DIR/requirements/rfc7296.toml exists): `cargo run --release -p ikelab-scenario --example suite_times -- scenarios/`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "scenarios".into()),
    );
    let scenarios = ikelab_scenario::load_paths(std::slice::from_ref(&dir))?;
    let catalogue = ikelab_scenario::load_catalogue(&dir.join("requirements/rfc7296.toml")).ok();
    let suite = ikelab_scenario::run_suite(&scenarios, &Default::default(), catalogue.as_ref());
    let mut runs: Vec<_> = suite.scenarios.iter().collect();
    runs.sort_by_key(|o| std::cmp::Reverse(o.wall_us));
    let failed = runs.iter().filter(|o| !o.verdict.passed()).count();
    println!(
        "{} runs ({} not passing) in {} ms wall, sequential",
        runs.len(),
        failed,
        suite.wall_ms
    );
    if catalogue.is_some() {
        let c = &suite.coverage;
        println!(
            "coverage: {}/{} testable RFC 7296 requirements ({:.1}%)",
            c.covered,
            c.testable,
            100.0 * c.ratio()
        );
    }
    for o in runs.iter().take(10) {
        println!(
            "{:>8} us  {:>8.3} s virtual  {}::{}",
            o.wall_us,
            o.virtual_us as f64 / 1e6,
            o.name,
            o.role.as_str()
        );
    }
    Ok(())
}
