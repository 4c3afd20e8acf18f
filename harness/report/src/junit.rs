//! `junit.xml`: one `<testsuite>` per scenario directory, one `<testcase>` per run
//! (`<name>::<role>`), valid against the Jenkins xUnit `junit-10.xsd` (reports/schema/).

use std::fmt::Write as _;
use std::path::Path;

use ikelab_scenario::outcome::{ScenarioOutcome, SuiteOutcome, Verdict};

use crate::escape::{xml, xml_attr};
use crate::{failure_line, test_name, Totals};

/// Render `junit.xml`. Suites appear in the order their first scenario appears.
pub fn render_junit(suite: &SuiteOutcome) -> String {
    let totals = Totals::of(suite);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"ikelab\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
        totals.runs,
        totals.failed,
        totals.errors,
        seconds(suite.wall_ms.saturating_mul(1000))
    );
    for (dir, runs) in group_by_dir(&suite.scenarios) {
        let t = Totals::of_runs(runs.iter().copied());
        let wall: u64 = runs.iter().map(|s| s.wall_us).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{}\">",
            xml_attr(&dir),
            t.runs,
            t.failed,
            t.errors,
            seconds(wall)
        );
        let _ = writeln!(
            out,
            "    <properties>\n      <property name=\"mode\" value=\"{}\"/>\n      <property name=\"tool_version\" value=\"{}\"/>\n    </properties>",
            xml_attr(&suite.mode),
            xml_attr(&suite.tool_version)
        );
        for s in runs {
            testcase(&mut out, s);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, s: &ScenarioOutcome) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">",
        xml_attr(&test_name(s)),
        xml_attr(&classname(&s.file)),
        seconds(s.wall_us)
    );
    match &s.verdict {
        Verdict::Pass => {}
        Verdict::Fail { failures } => {
            let message = crate::headline(s).unwrap_or_default();
            let body: Vec<String> = failures.iter().map(failure_line).collect();
            let _ = write!(
                out,
                "\n      <failure type=\"expectation\" message=\"{}\">{}</failure>",
                xml_attr(&message),
                xml(&body.join("\n"))
            );
        }
        Verdict::Error { message } => {
            let first = message.lines().next().unwrap_or_default();
            let _ = write!(
                out,
                "\n      <error type=\"error\" message=\"{}\">{}</error>",
                xml_attr(first),
                xml(message)
            );
        }
    }
    let mut sysout = format!(
        "{}\nfile: {}\nvirtual time: {}",
        s.description,
        s.file.display(),
        seconds(s.virtual_us)
    );
    for c in &s.cites {
        let _ = write!(sysout, "\nRFC {} {}: {}", c.rfc, c.section, c.text);
    }
    if let Some(p) = &s.pcap {
        let _ = write!(sysout, "\npcap: {}", p.display());
    }
    let _ = write!(
        out,
        "\n      <system-out>{}</system-out>\n    </testcase>\n",
        xml(&sysout)
    );
}

/// Scenario directory -> runs, in first-appearance order.
fn group_by_dir(runs: &[ScenarioOutcome]) -> Vec<(String, Vec<&ScenarioOutcome>)> {
    let mut groups: Vec<(String, Vec<&ScenarioOutcome>)> = Vec::new();
    for s in runs {
        let dir = match s.file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_string_lossy().replace('\\', "/"),
            _ => ".".to_owned(),
        };
        match groups.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, v)) => v.push(s),
            None => groups.push((dir, vec![s])),
        }
    }
    groups
}

/// `scenarios/rfc7296/cookie.toml` -> `scenarios.rfc7296.cookie` (CI tools group on dots).
fn classname(file: &Path) -> String {
    let no_ext = file.with_extension("");
    no_ext
        .to_string_lossy()
        .replace(['/', '\\'], ".")
        .trim_start_matches('.')
        .to_owned()
}

/// Microseconds as seconds with 6 decimals (the schema's SUREFIRE_TIME: digits, dot, digits).
fn seconds(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_format() {
        assert_eq!(seconds(0), "0.000000");
        assert_eq!(seconds(1_234_567), "1.234567");
    }

    #[test]
    fn classname_from_path() {
        assert_eq!(
            classname(Path::new("scenarios/rfc7296/cookie.toml")),
            "scenarios.rfc7296.cookie"
        );
        assert_eq!(classname(Path::new("./a.toml")), "a");
    }
}
