//! `ikelab run PATH...`: load scenario files, run them (threads, deterministic report order),
//! print one line per failure and the coverage line, write reports with `--report DIR`.
//!
//! Exit status: 0 all runs passed, 1 some failed or errored, 2 unusable input (unreadable or
//! invalid scenario files, bad catalogue, nothing to run).

use std::io::{IsTerminal, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use clap::{Args, ValueEnum};
use ikelab_scenario::outcome::{Coverage, Role, ScenarioOutcome, SuiteOutcome, Verdict};
use ikelab_scenario::Scenario;

/// Sub-directory of the report directory for pcaps and key tables.
const PCAP_DIR: &str = "pcaps";

/// Default catalogue, looked up next to the scenario paths.
const CATALOGUE: &str = "requirements/rfc7296.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Simulated world, virtual time (deterministic).
    Sim,
    /// The same world and virtual clock, but every datagram crosses real UDP sockets on
    /// 127.0.0.1 (one per simulated address and port); results must equal `sim`'s.
    Udp,
}

impl ModeArg {
    fn mode(self) -> ikelab_scenario::Mode {
        match self {
            ModeArg::Sim => ikelab_scenario::Mode::Sim,
            ModeArg::Udp => ikelab_scenario::Mode::Udp,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Initiator,
    Responder,
    /// Every role the scenario applies to.
    Both,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or directories (searched recursively for `*.toml`).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write summary.json, junit.xml, report.md, report.html (and pcaps) into this directory.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// How to run the scenarios.
    #[arg(long, value_enum, default_value = "sim")]
    mode: ModeArg,
    /// Which role ikelab plays under test.
    #[arg(long, value_enum, default_value = "both")]
    role: RoleArg,
    /// Only run scenarios whose name (or `name::role`) contains this.
    #[arg(long, value_name = "SUBSTR")]
    filter: Option<String>,
    /// Requirements catalogue for coverage (default: scenarios/requirements/rfc7296.toml next
    /// to the paths, if it exists).
    #[arg(long, value_name = "FILE")]
    catalogue: Option<PathBuf>,
    /// Do not write pcaps and key tables into the report directory.
    #[arg(long)]
    no_pcap: bool,
    /// Worker threads (default: available cores).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
}

pub fn run(args: RunArgs) -> ExitCode {
    match run_inner(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("ikelab run: {message}");
            ExitCode::from(2)
        }
    }
}

/// One job: a scenario in one role.
struct Job<'a> {
    scenario: &'a Scenario,
    role: Role,
}

fn run_inner(args: &RunArgs) -> Result<ExitCode, String> {
    let started = Instant::now();
    let scenarios = ikelab_scenario::load_paths(&args.paths).map_err(|e| e.to_string())?;
    let mut jobs = Vec::new();
    for s in &scenarios {
        for role in s.roles() {
            let wanted = match args.role {
                RoleArg::Both => true,
                RoleArg::Initiator => role == Role::Initiator,
                RoleArg::Responder => role == Role::Responder,
            };
            let test = format!("{}::{}", s.name(), role.as_str());
            if wanted && args.filter.as_deref().is_none_or(|f| test.contains(f)) {
                jobs.push(Job { scenario: s, role });
            }
        }
    }
    if jobs.is_empty() {
        return Err(format!(
            "no scenario runs selected ({} scenario files loaded{})",
            scenarios.len(),
            args.filter
                .as_deref()
                .map(|f| format!(", filter {f:?}"))
                .unwrap_or_default()
        ));
    }
    let catalogue = match &args.catalogue {
        Some(c) => Some(c.clone()),
        None => default_catalogue(&args.paths),
    };
    let catalogue = catalogue
        .map(|c| ikelab_scenario::load_catalogue(&c).map_err(|e| e.to_string()))
        .transpose()?;
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create report directory {}: {e}", dir.display()))?;
    }
    // pcaps and key tables go to DIR/pcaps/ (outcome paths stay relative to DIR).
    let capture_dir = match (&args.report, args.no_pcap) {
        (Some(dir), false) => Some(dir.join(PCAP_DIR)),
        _ => None,
    };

    let options = ikelab_scenario::RunOptions {
        artifacts_dir: capture_dir,
        mode: args.mode.mode(),
        max_steps: None,
    };
    let outcomes = run_parallel(&jobs, &options, args.jobs);
    let coverage = match &catalogue {
        Some(c) => ikelab_scenario::coverage(c, &outcomes),
        None => Coverage::default(),
    };
    let suite = SuiteOutcome {
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        mode: args.mode.mode().as_str().to_owned(),
        scenarios: outcomes,
        coverage,
        wall_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };

    let totals = ikelab_report::Totals::of(&suite);
    let mut stdout = std::io::stdout().lock();
    for s in &suite.scenarios {
        if let Some(line) = ikelab_report::headline(s) {
            let _ = writeln!(
                stdout,
                "FAIL {} ({}): {line}",
                ikelab_report::test_name(s),
                s.file.display()
            );
        }
    }
    let _ = writeln!(
        stdout,
        "{} runs: {} passed, {} failed, {} errors ({:.2} s)",
        totals.runs,
        totals.passed,
        totals.failed,
        totals.errors,
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(stdout, "{}", ikelab_report::coverage_line(&suite));
    if let Some(dir) = &args.report {
        let written = ikelab_report::write_reports(dir, &suite).map_err(|e| e.to_string())?;
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        let _ = writeln!(stdout, "reports: {}", names.join(", "));
    }
    Ok(if totals.failed + totals.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `requirements/rfc7296.toml` in the first path's directory or one of its parents (so
/// `scenarios/rfc7296/2.6` finds the catalogue of `scenarios/`), or `scenarios/requirements/…`
/// below one of them (so `.` at the repository root finds it too).
fn default_catalogue(paths: &[PathBuf]) -> Option<PathBuf> {
    let first = paths.first()?;
    let start = if first.is_dir() {
        first.as_path()
    } else {
        first.parent()?
    };
    start
        .ancestors()
        .flat_map(|dir| [dir.join(CATALOGUE), dir.join("scenarios").join(CATALOGUE)])
        .find(|c| c.is_file())
}

/// Runs jobs on worker threads; outcomes come back in job order whatever finished first.
fn run_parallel(
    jobs: &[Job<'_>],
    options: &ikelab_scenario::RunOptions,
    workers: Option<usize>,
) -> Vec<ScenarioOutcome> {
    let workers = workers
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<ScenarioOutcome>>> = Mutex::new(vec![None; jobs.len()]);
    let progress = Progress::new(jobs.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let outcome = run_one(job, options);
                let failed = !outcome.verdict.passed();
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(outcome);
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                progress.tick(n, failed);
            });
        }
    });
    progress.finish();
    results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// A `\r` counter on stderr, only when stderr is a terminal.
struct Progress {
    total: usize,
    tty: bool,
    failed: AtomicUsize,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress {
            total,
            tty: std::io::stderr().is_terminal(),
            failed: AtomicUsize::new(0),
        }
    }

    fn tick(&self, done: usize, failed: bool) {
        if failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        if !self.tty {
            return;
        }
        let width = 30;
        let filled = done * width / self.total.max(1);
        let _ = write!(
            std::io::stderr().lock(),
            "\r[{}{}] {done}/{} runs, {} failed ",
            "#".repeat(filled),
            "-".repeat(width - filled),
            self.total,
            self.failed.load(Ordering::Relaxed)
        );
    }

    fn finish(&self) {
        if self.tty {
            let _ = write!(std::io::stderr().lock(), "\r{:70}\r", "");
        }
    }
}

/// One run; a panic in the runner becomes an `Error` verdict instead of ending the suite.
fn run_one(job: &Job<'_>, options: &ikelab_scenario::RunOptions) -> ScenarioOutcome {
    let ran = catch_unwind(AssertUnwindSafe(|| {
        ikelab_scenario::run_with(job.scenario, job.role, options)
    }));
    let mut outcome = match ran {
        Ok(o) => o,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            let spec = &job.scenario.spec;
            ScenarioOutcome {
                name: spec.name.clone(),
                file: job.scenario.file.clone(),
                description: spec.description.clone(),
                role: job.role,
                cites: Vec::new(),
                verdict: Verdict::Error {
                    message: format!("the runner panicked: {what}"),
                },
                virtual_us: 0,
                wall_us: 0,
                trace: Vec::new(),
                nodes: Vec::new(),
                pcap: None,
                key_tables: Vec::new(),
            }
        }
    };
    if options.artifacts_dir.is_some() {
        let prefix = Path::new(PCAP_DIR);
        outcome.pcap = outcome.pcap.map(|p| prefix.join(p));
        outcome.key_tables = outcome.key_tables.iter().map(|k| prefix.join(k)).collect();
    }
    outcome
}
