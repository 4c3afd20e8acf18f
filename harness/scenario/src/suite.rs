//! Whole-suite entry points: run options, a suite run with coverage, and coverage straight
//! from a catalogue path.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::coverage::{coverage, load_catalogue, Catalogue, CatalogueError};
use crate::load::Scenario;
use crate::outcome::{Coverage, ScenarioOutcome, SuiteOutcome};

/// Where scenarios run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The deterministic simulator: datagrams are handed over in memory.
    #[default]
    Sim,
    /// The same world, but every datagram crosses real UDP sockets on 127.0.0.1
    /// ([`ikelab_sim::World::use_loopback_udp`]); the clock stays virtual, so verdicts and
    /// wire bytes must equal the simulator's.
    Udp,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sim => "sim",
            Mode::Udp => "udp",
        }
    }
}

/// How to run scenarios.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Write `<name>.<role>.pcap` and the `<name>.<role>.keys/` Wireshark tables here.
    pub artifacts_dir: Option<PathBuf>,
    pub mode: Mode,
    /// Livelock guard: a run taking more world steps than this is an error verdict
    /// (default [`crate::MAX_STEPS`]).
    pub max_steps: Option<u64>,
}

/// [`crate::run`] with options.
pub fn run_with(scenario: &Scenario, role: crate::Role, opts: &RunOptions) -> ScenarioOutcome {
    crate::run::run_limited(
        scenario,
        role,
        opts.mode,
        opts.artifacts_dir.as_deref(),
        opts.max_steps.unwrap_or(crate::MAX_STEPS),
    )
}

/// Runs every scenario in each of its roles, in order, on this thread, and computes coverage
/// against `catalogue` when given.
pub fn run_suite(
    scenarios: &[Scenario],
    opts: &RunOptions,
    catalogue: Option<&Catalogue>,
) -> SuiteOutcome {
    let started = Instant::now();
    let outcomes: Vec<ScenarioOutcome> = scenarios
        .iter()
        .flat_map(|s| s.roles().into_iter().map(move |r| (s, r)))
        .map(|(s, r)| run_with(s, r, opts))
        .collect();
    SuiteOutcome {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        mode: opts.mode.as_str().to_string(),
        coverage: catalogue.map_or_else(Coverage::default, |c| coverage(c, &outcomes)),
        scenarios: outcomes,
        wall_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// Coverage of the catalogue at `path` by `outcomes`.
pub fn coverage_at(path: &Path, outcomes: &[ScenarioOutcome]) -> Result<Coverage, CatalogueError> {
    Ok(coverage(&load_catalogue(path)?, outcomes))
}
