//! Every scenario file under `scenarios/` as its own test, once per role:
//! `cargo test -p ikelab-scenario --test scenarios -- invalid_ke` runs the matching ones.

use std::path::{Path, PathBuf};

use ikelab_scenario::outcome::Verdict;
use libtest_mimic::{Arguments, Failed, Trial};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let dir = suite_dir();
    let scenarios = match ikelab_scenario::load_paths(std::slice::from_ref(&dir)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("scenario suite does not load: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut trials = Vec::new();
    for s in scenarios {
        let group = s
            .file
            .parent()
            .and_then(|p| p.strip_prefix(&dir).ok())
            .map(|p| p.display().to_string().replace('/', "::"))
            .unwrap_or_default();
        for role in s.roles() {
            let name = if group.is_empty() {
                format!("{}::{}", s.name(), role.as_str())
            } else {
                format!("{group}::{}::{}", s.name(), role.as_str())
            };
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
