//! Every scenario file under `scenarios/` as its own test, once per role:
//! `cargo test -p ikelab-scenario --test scenarios -- invalid_ke` runs the matching ones.
//! A file that does not load is one failing test (`<dir>::<file>::load`) and the rest still
//! run; so is a scenario name used twice, and a cited RFC 7296 id missing from the catalogue
//! (`<dir>::<name>::cites`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ikelab_scenario::outcome::Verdict;
use libtest_mimic::{Arguments, Failed, Trial};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

/// `rfc7296/2.6-cookies/x.toml` → `rfc7296::2.6-cookies`.
fn group(dir: &Path, file: &Path) -> String {
    file.parent()
        .and_then(|p| p.strip_prefix(dir).ok())
        .map(|p| p.display().to_string().replace('/', "::"))
        .unwrap_or_default()
}

fn test_name(group: &str, rest: &str) -> String {
    if group.is_empty() {
        rest.to_string()
    } else {
        format!("{group}::{rest}")
    }
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let dir = suite_dir();
    let files = match ikelab_scenario::scenario_files(&dir) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            eprintln!("no scenario files under {}", dir.display());
            return std::process::ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("scenario suite does not load: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Cited ids must exist in the catalogue, or coverage silently misses them.
    let catalogue = dir.join("requirements/rfc7296.toml");
    let known: Vec<String> = match ikelab_scenario::load_catalogue(&catalogue) {
        Ok(c) => c.requirements.into_iter().map(|r| r.id).collect(),
        Err(e) => {
            eprintln!("requirements catalogue does not load: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut trials = Vec::new();
    let mut names: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        let g = group(&dir, &file);
        let s = match ikelab_scenario::load_file(&file) {
            Ok(s) => s,
            Err(e) => {
                let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned());
                let name = test_name(&g, &format!("{}::load", stem.unwrap_or_default()));
                let msg = e.to_string();
                trials.push(Trial::test(name, move || Err(Failed::from(msg))));
                continue;
            }
        };
        if let Some(first) = names.insert(s.name().to_string(), file.clone()) {
            let name = test_name(&g, &format!("{}::unique", s.name()));
            let msg = format!(
                "{} and {} both define scenario {:?}",
                first.display(),
                file.display(),
                s.name()
            );
            trials.push(Trial::test(name, move || Err(Failed::from(msg))));
            continue;
        }
        let unknown: Vec<String> = s
            .spec
            .cites
            .iter()
            .filter_map(|c| c.requirement.clone())
            .filter(|id| id.starts_with("RFC7296-") && !known.contains(id))
            .collect();
        if !unknown.is_empty() {
            let name = test_name(&g, &format!("{}::cites", s.name()));
            let msg = format!(
                "{}: cited requirement ids not in {}: {}",
                file.display(),
                catalogue.display(),
                unknown.join(", ")
            );
            trials.push(Trial::test(name, move || Err(Failed::from(msg))));
        }
        for role in s.roles() {
            let name = test_name(&g, &format!("{}::{}", s.name(), role.as_str()));
            let s = s.clone();
            trials.push(Trial::test(name, move || {
                let o = ikelab_scenario::run(&s, role, None);
                match o.verdict {
                    Verdict::Pass => Ok(()),
                    Verdict::Fail { failures } => Err(Failed::from(
                        failures
                            .iter()
                            .map(|f| {
                                format!(
                                    "{}: expected {}, observed {}",
                                    f.step, f.expected, f.observed
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                    )),
                    Verdict::Error { message } => Err(Failed::from(format!("error: {message}"))),
                }
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit_code()
}
