//! `ikelab run`: exit 0 when all runs pass, 1 with a failing run (one line naming the step,
//! the expected and the observed), 2 on unusable input; `--report` writes the four reports and
//! the pcaps with their key tables; `--role`/`--filter` select runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GOOD: &str = r#"
name = "run-cmd-good"
description = "a PSK handshake"
roles = ["initiator", "responder"]

[[cites]]
section = "1.2"
text = "The initial exchanges consist of IKE_SA_INIT and IKE_AUTH."
requirement = "RFC7296-1.2-01"

[initiator]
psk = "run-cmd-psk-MUST-NOT-LEAK"

[responder]
psk = "run-cmd-psk-MUST-NOT-LEAK"

[expect]
sut_established = true
sut_children = 1
"#;

const WRONG: &str = r#"
name = "run-cmd-wrong"
description = "a deliberately wrong expectation"
roles = ["initiator"]

[expect]
sut_children = 5
"#;

/// A fresh directory under the target dir (no tempfile dependency in this crate).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("run_cmd-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ikelab(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ikelab"))
        .arg("run")
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn passing_suite_exits_0_and_writes_reports_and_pcaps() {
    let dir = scratch("pass");
    std::fs::write(dir.join("good.toml"), GOOD).unwrap();
    let report = dir.join("report");
    let catalogue =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/requirements/rfc7296.toml");
    let o = ikelab(&[
        &dir.join("good.toml"),
        Path::new("--report"),
        &report,
        Path::new("--catalogue"),
        &catalogue,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("requirement coverage: 1/"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("2 runs: 2 passed, 0 failed, 0 errors"),
        "{}",
        text(&o)
    );
    for f in ["summary.json", "junit.xml", "report.md", "report.html"] {
        assert!(report.join(f).is_file(), "{f} missing");
    }
    for role in ["initiator", "responder"] {
        assert!(report
            .join(format!("pcaps/run-cmd-good.{role}.pcap"))
            .is_file());
        assert!(report
            .join(format!(
                "pcaps/run-cmd-good.{role}.keys/ikev2_decryption_table"
            ))
            .is_file());
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(
        summary["scenarios"][0]["pcap"],
        "pcaps/run-cmd-good.initiator.pcap"
    );
    // Key material stays in the key tables; the PSK appears nowhere.
    let table = std::fs::read_to_string(
        report.join("pcaps/run-cmd-good.initiator.keys/ikev2_decryption_table"),
    )
    .unwrap();
    let sk_ei = table
        .lines()
        .find(|l| !l.starts_with('#') && !l.is_empty())
        .and_then(|l| l.split(',').nth(2))
        .unwrap()
        .to_owned();
    assert!(sk_ei.len() >= 32, "{table}");
    for f in ["summary.json", "junit.xml", "report.md", "report.html"] {
        let r = std::fs::read_to_string(report.join(f)).unwrap();
        assert!(!r.contains(&sk_ei), "{f} contains a key");
        assert!(!r.contains("MUST-NOT-LEAK"), "{f} contains the PSK");
    }
}

#[test]
fn wrong_expectation_exits_1_naming_step_expected_observed() {
    let dir = scratch("fail");
    std::fs::write(dir.join("good.toml"), GOOD).unwrap();
    std::fs::write(dir.join("wrong.toml"), WRONG).unwrap();
    let o = ikelab(&[&dir, Path::new("--no-pcap")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("FAIL run-cmd-wrong::initiator"))
        .unwrap_or_else(|| panic!("no failure line: {out}"));
    assert!(
        line.contains("expect.sut_children: expected") && line.contains(", observed "),
        "{line}"
    );
    assert!(
        out.contains("3 runs: 2 passed, 1 failed, 0 errors"),
        "{out}"
    );

    // --filter and --role select runs: only the passing ones remain.
    let o = Command::new(env!("CARGO_BIN_EXE_ikelab"))
        .args(["run", "--filter", "good", "--role", "responder"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 runs: 1 passed"), "{}", text(&o));
}

#[test]
fn unusable_input_exits_2_with_file_line_column() {
    let dir = scratch("bad");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\ndescription = \"y\"\nbogus = 1\n").unwrap();
    let o = ikelab(&[&bad]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("bad.toml:3:1"), "{}", text(&o));

    let o = ikelab(&[&dir.join("missing.toml")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // A filter that selects nothing is unusable input too.
    std::fs::write(&bad, GOOD).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_ikelab"))
        .args(["run", "--filter", "no-such-test"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no scenario runs selected"),
        "{}",
        text(&o)
    );
}

#[test]
fn udp_mode_runs_over_loopback_and_says_so_in_the_summary() {
    let dir = scratch("udp");
    std::fs::write(dir.join("good.toml"), GOOD).unwrap();
    let report = dir.join("report");
    let o = ikelab(&[
        &dir.join("good.toml"),
        Path::new("--mode"),
        Path::new("udp"),
        Path::new("--report"),
        &report,
        Path::new("--no-pcap"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("2 runs: 2 passed"), "{}", text(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["mode"], "udp");
    let bad = ikelab(&[
        &dir.join("good.toml"),
        Path::new("--mode"),
        Path::new("tcp"),
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("'tcp'"), "{}", text(&bad));
}
