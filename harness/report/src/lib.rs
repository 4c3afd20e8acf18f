//! Reports of a scenario suite run, written from a [`SuiteOutcome`] alone.
//!
//! `write_reports` writes `summary.json` (the outcome's canonical serde form), `junit.xml` (for CI
//! systems), `report.md` and `report.html` (one self-contained page with a message ladder per
//! scenario). Outcomes are already redacted; this crate reads no other file, so key tables never
//! reach a report — the HTML only links to them.
#![warn(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use ikelab_scenario::outcome::{Failure, ScenarioOutcome, SuiteOutcome, Verdict};

mod escape;
mod html;
mod junit;
mod ladder;
mod markdown;
mod sections;

pub use html::render_html;
pub use junit::render_junit;
pub use markdown::render_markdown;

/// Why reports could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot create report directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write report {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot serialise the suite outcome to JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// File names written into the report directory, in the order `write_reports` returns them.
pub const SUMMARY_JSON: &str = "summary.json";
pub const JUNIT_XML: &str = "junit.xml";
pub const REPORT_MD: &str = "report.md";
pub const REPORT_HTML: &str = "report.html";

/// Write `summary.json`, `junit.xml`, `report.md` and `report.html` into `dir` (created if
/// missing); returns the paths written.
pub fn write_reports(dir: &Path, suite: &SuiteOutcome) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_owned(),
        source,
    })?;
    let files = [
        (SUMMARY_JSON, render_summary_json(suite)?),
        (JUNIT_XML, render_junit(suite)),
        (REPORT_MD, render_markdown(suite)),
        (REPORT_HTML, render_html(suite)),
    ];
    let mut written = Vec::with_capacity(files.len());
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// `summary.json`: pretty serde JSON of the outcome (field order is the struct order, so equal
/// outcomes give byte-identical files), newline-terminated.
pub fn render_summary_json(suite: &SuiteOutcome) -> Result<String, ReportError> {
    let mut s = serde_json::to_string_pretty(suite)?;
    s.push('\n');
    Ok(s)
}

/// One line for a failure: `step: expected …, observed …`.
pub fn failure_line(f: &Failure) -> String {
    format!(
        "{}: expected {}, observed {}",
        f.step, f.expected, f.observed
    )
}

/// `<name>::<role>`, the test name of a run.
pub fn test_name(s: &ScenarioOutcome) -> String {
    format!("{}::{}", s.name, s.role.as_str())
}

/// The headline of a run that did not pass: its first failure or its error (first line), `None`
/// for a pass.
pub fn headline(s: &ScenarioOutcome) -> Option<String> {
    match &s.verdict {
        Verdict::Pass => None,
        Verdict::Fail { failures } => Some(match failures.first() {
            Some(f) => failure_line(f),
            None => "failed (no failure recorded)".to_owned(),
        }),
        Verdict::Error { message } => Some(format!(
            "error: {}",
            message.lines().next().unwrap_or_default()
        )),
    }
}

/// Run counts of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub runs: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
}

impl Totals {
    pub fn of(suite: &SuiteOutcome) -> Self {
        Self::of_runs(&suite.scenarios)
    }

    pub fn of_runs<'a>(runs: impl IntoIterator<Item = &'a ScenarioOutcome>) -> Self {
        let mut t = Totals::default();
        for s in runs {
            t.runs += 1;
            match s.verdict {
                Verdict::Pass => t.passed += 1,
                Verdict::Fail { .. } => t.failed += 1,
                Verdict::Error { .. } => t.errors += 1,
            }
        }
        t
    }
}

/// `coverage: 71/120 testable RFC 7296 requirements (59.2 %) [catalogue]`-style line.
pub fn coverage_line(suite: &SuiteOutcome) -> String {
    let c = &suite.coverage;
    if c.testable == 0 {
        return "requirement coverage: no catalogue (0 testable requirements)".to_owned();
    }
    format!(
        "requirement coverage: {}/{} testable requirements ({:.1} %) against {}",
        c.covered,
        c.testable,
        c.ratio() * 100.0,
        c.catalogue
    )
}
