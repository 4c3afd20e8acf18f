//! `report.md`: totals, a result table, the failures, and requirement coverage.

use std::fmt::Write as _;

use ikelab_scenario::outcome::{SuiteOutcome, Verdict};

use crate::escape::md;
use crate::sections::per_section;
use crate::{coverage_line, failure_line, test_name, Totals};

/// Render `report.md`.
pub fn render_markdown(suite: &SuiteOutcome) -> String {
    let t = Totals::of(suite);
    let mut out = String::new();
    let _ = writeln!(out, "# ikelab scenario report\n");
    let _ = writeln!(
        out,
        "ikelab {} · mode `{}` · wall time {:.3} s\n",
        md(&suite.tool_version),
        md(&suite.mode),
        suite.wall_ms as f64 / 1000.0
    );
    let _ = writeln!(
        out,
        "**{} runs: {} passed, {} failed, {} errors**\n",
        t.runs, t.passed, t.failed, t.errors
    );
    let _ = writeln!(out, "{}\n", md(&coverage_line(suite)));

    out.push_str("## Results\n\n");
    out.push_str("| test | file | verdict | virtual time | wall time |\n");
    out.push_str("|---|---|---|---:|---:|\n");
    for s in &suite.scenarios {
        let verdict = match s.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail { .. } => "**FAIL**",
            Verdict::Error { .. } => "**ERROR**",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3} s | {:.1} ms |",
            md(&test_name(s)),
            md(&s.file.to_string_lossy()),
            verdict,
            s.virtual_us as f64 / 1e6,
            s.wall_us as f64 / 1e3
        );
    }

    if t.failed + t.errors > 0 {
        out.push_str("\n## Failures\n");
        for s in &suite.scenarios {
            let lines: Vec<String> = match &s.verdict {
                Verdict::Pass => continue,
                Verdict::Fail { failures } => failures.iter().map(failure_line).collect(),
                Verdict::Error { message } => vec![format!("error: {message}")],
            };
            let _ = writeln!(
                out,
                "\n### {}\n\n{} ({})\n",
                md(&test_name(s)),
                md(&s.description),
                md(&s.file.to_string_lossy())
            );
            for l in lines {
                let _ = writeln!(out, "- {}", md(&l));
            }
            for c in &s.cites {
                let _ = writeln!(
                    out,
                    "- cites RFC {} §{}: “{}”",
                    c.rfc,
                    md(&c.section),
                    md(&c.text)
                );
            }
        }
    }

    let c = &suite.coverage;
    out.push_str("\n## Requirement coverage\n\n");
    let _ = writeln!(
        out,
        "Covered (≥ 1 passing run) / testable: **{}/{} ({:.1} %)**; catalogue `{}`, {} requirements.\n",
        c.covered,
        c.testable,
        c.ratio() * 100.0,
        md(&c.catalogue),
        c.requirements.len()
    );
    let sections = per_section(c);
    if !sections.is_empty() {
        out.push_str("| section | requirements | testable | covered | failing only | coverage |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|\n");
        for sc in &sections {
            let pct = if sc.testable == 0 {
                "–".to_owned()
            } else {
                format!("{:.0} %", sc.percent())
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                md(&sc.section),
                sc.total,
                sc.testable,
                sc.covered,
                sc.failing,
                pct
            );
        }
        let uncovered: Vec<_> = c
            .requirements
            .iter()
            .filter(|r| r.testable && r.passing.is_empty())
            .collect();
        if !uncovered.is_empty() {
            let _ = writeln!(
                out,
                "\n### Testable requirements without a passing run ({})\n",
                uncovered.len()
            );
            for r in uncovered {
                let state = if r.failing.is_empty() {
                    String::new()
                } else {
                    format!(" — failing: {}", md(&r.failing.join(", ")))
                };
                let _ = writeln!(
                    out,
                    "- {} (§{}, {}): {}{}",
                    md(&r.id),
                    md(&r.section),
                    md(&r.keyword),
                    md(&r.text),
                    state
                );
            }
        }
    }
    out
}
