//! `scripts/render-report.sh`: headless Chromium screenshots a report.html and finds its
//! ladder SVGs in the rendered DOM. Needs chromium: fails under CI (CI set; .ci/run installs
//! it) and is skipped loudly elsewhere.

use std::path::Path;
use std::process::Command;

use ikelab_scenario::outcome::{
    Coverage, DatagramKind, NodeInfo, Role, ScenarioOutcome, SuiteOutcome, TraceEntry, Verdict,
};

fn chromium() -> bool {
    ["chromium", "chromium-browser"].iter().any(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn suite() -> SuiteOutcome {
    let e = |t: u64, from: &str, to: &str, response: bool| TraceEntry {
        time_us: t,
        from: from.into(),
        to: to.into(),
        src: "192.0.2.1:500".into(),
        dst: "198.51.100.1:500".into(),
        kind: DatagramKind::Ike,
        exchange: Some("IKE_SA_INIT".into()),
        message_id: Some(0),
        response,
        payloads: vec!["SA".into(), "KE".into(), "Nonce".into()],
        notifies: vec![],
        encrypted: false,
        spi: None,
        seq: None,
        len: 300,
        dropped: false,
        fault: None,
    };
    let node = |name: &str, under_test: bool| NodeInfo {
        name: name.into(),
        implementation: "ikelab".into(),
        addresses: vec![],
        under_test,
    };
    SuiteOutcome {
        tool_version: "test".into(),
        mode: "sim".into(),
        scenarios: vec![ScenarioOutcome {
            name: "render".into(),
            file: "scenarios/render.toml".into(),
            description: "a ladder to render".into(),
            role: Role::Initiator,
            cites: vec![],
            verdict: Verdict::Pass,
            virtual_us: 10_000,
            wall_us: 100,
            trace: vec![
                e(0, "initiator", "responder", false),
                e(10_000, "responder", "initiator", true),
            ],
            nodes: vec![node("initiator", true), node("responder", false)],
            pcap: None,
            key_tables: vec![],
        }],
        coverage: Coverage::default(),
        wall_ms: 1,
    }
}

#[test]
fn render_report_script_screenshots_and_finds_ladders() {
    if !chromium() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is required in CI (.ci/run installs it)"
        );
        eprintln!("SKIPPED: chromium not installed (apt-get install chromium)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    ikelab_report::write_reports(tmp.path(), &suite()).unwrap();
    let png = tmp.path().join("shot.png");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/render-report.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(tmp.path())
        .arg(&png)
        .arg("900x700")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 runs, 1 ladder SVGs (2 arrows)"), "{text}");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 5_000, "suspiciously small screenshot");
}
