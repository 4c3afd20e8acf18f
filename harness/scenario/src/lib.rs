//! ikelab scenarios: declarative test files (`scenarios/**/*.toml`) that drive the reference
//! initiator and responder in the deterministic simulator (`ikelab-sim`), each citing the
//! requirement it checks, with outcomes the reports (`ikelab-report`) render.
//!
//! ```text
//! load_paths(&[dir]) -> Vec<Scenario>        spanned errors: file:line:column
//! run(&scenario, Role::Responder, artifacts)  -> ScenarioOutcome (trace, verdict, pcap)
//! load_catalogue(path) + coverage(..)         -> requirement coverage
//! run_with(&scenario, role, &RunOptions)      -> the same, options as a struct
//! run_suite(&scenarios, &opts, Some(&catalogue)) -> SuiteOutcome (sequential)
//! scenario_files(dir)                          -> files, for per-file error reporting
//! ```
//! The format is documented in `scenarios/README.md`; `scenarios/scenario.schema.json` is
//! generated from [`format::ScenarioFile`] (`schema_json`).
#![warn(clippy::unwrap_used)]

mod coverage;
mod expect;
pub mod format;
mod load;
pub mod outcome;
mod run;
mod suite;
mod wire;

pub use coverage::{coverage, load_catalogue, Catalogue, CatalogueError, Requirement};
pub use load::{load_file, load_paths, load_str, scenario_files, LoadError, LoadedFault, Scenario};
pub use outcome::Role;
pub use run::{run, MAX_STEPS};
pub use suite::{coverage_at, run_suite, run_with, Mode, RunOptions};

impl Scenario {
    /// The roles this scenario runs in.
    pub fn roles(&self) -> Vec<Role> {
        self.spec
            .roles
            .iter()
            .map(|r| match r {
                format::RoleSpec::Initiator => Role::Initiator,
                format::RoleSpec::Responder => Role::Responder,
            })
            .collect()
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }
}

/// The JSON Schema of scenario files, as checked in at `scenarios/scenario.schema.json`.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(format::ScenarioFile);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// The body of the `scenario_load` fuzz target: the loader on arbitrary text never panics
/// and either loads or reports a position inside the text.
pub fn fuzz_scenario_load(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match load_str(std::path::Path::new("fuzz.toml"), text) {
        Ok(s) => assert!(!s.spec.name.is_empty()),
        Err(LoadError::Invalid { line, column, .. }) => {
            assert!(line >= 1 && line <= text.lines().count().max(1) + 1 && column >= 1);
        }
        Err(_) => {}
    }
}
