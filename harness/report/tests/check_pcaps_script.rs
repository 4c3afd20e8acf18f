//! `scripts/check-report-pcaps.sh` on a report directory built around a checked-in strongSwan
//! capture (corpora/captures/psk-gcm-ecp384, CC0) and its key tables: passes with the right
//! keys, fails with a wrong one, and exempts frames a fault changed.
//!
//! Needs tshark and python3. Without tshark the test fails under CI (CI set) and is skipped
//! loudly elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use ikelab_scenario::outcome::{
    Coverage, DatagramKind, Role, ScenarioOutcome, SuiteOutcome, TraceEntry, Verdict,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn entry(fault: Option<&str>) -> TraceEntry {
    TraceEntry {
        time_us: 0,
        from: "initiator".into(),
        to: "responder".into(),
        src: "198.51.100.1:500".into(),
        dst: "198.51.100.2:500".into(),
        kind: DatagramKind::Ike,
        exchange: None,
        message_id: None,
        response: false,
        payloads: vec![],
        notifies: vec![],
        encrypted: false,
        spi: None,
        seq: None,
        len: 0,
        dropped: false,
        fault: fault.map(str::to_owned),
    }
}

/// A report dir with the capture at `pcaps/gcm.pcap` and its tables beside it; `faulted`
/// marks trace entries (0-based) as changed by a fault.
fn report_dir(dir: &Path, faulted: &[usize]) {
    let src = root().join("corpora/captures/psk-gcm-ecp384");
    std::fs::create_dir_all(dir.join("pcaps/gcm")).unwrap();
    std::fs::copy(src.join("capture.pcap"), dir.join("pcaps/gcm.pcap")).unwrap();
    for t in ["ikev2_decryption_table", "esp_sa"] {
        std::fs::copy(src.join(t), dir.join("pcaps/gcm").join(t)).unwrap();
    }
    let trace = (0..28)
        .map(|i| entry(faulted.contains(&i).then_some("corrupt byte 40")))
        .collect();
    let suite = SuiteOutcome {
        tool_version: "test".into(),
        mode: "sim".into(),
        scenarios: vec![ScenarioOutcome {
            name: "gcm".into(),
            file: "scenarios/gcm.toml".into(),
            description: String::new(),
            role: Role::Initiator,
            cites: vec![],
            verdict: Verdict::Pass,
            virtual_us: 0,
            wall_us: 0,
            trace,
            nodes: vec![],
            pcap: Some("pcaps/gcm.pcap".into()),
            key_tables: vec![
                "pcaps/gcm/ikev2_decryption_table".into(),
                "pcaps/gcm/esp_sa".into(),
            ],
        }],
        coverage: Coverage::default(),
        wall_ms: 0,
    };
    ikelab_report::write_reports(dir, &suite).unwrap();
}

fn check(dir: &Path) -> (bool, String) {
    let out = Command::new("bash")
        .arg(root().join("scripts/check-report-pcaps.sh"))
        .arg(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn check_report_pcaps_script() {
    if !tshark_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tshark is required in CI (.ci/run installs it)"
        );
        eprintln!("SKIPPED: tshark not installed (apt-get install tshark)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    report_dir(&good, &[]);
    let (ok, text) = check(&good);
    assert!(ok, "{text}");
    assert!(
        text.contains(
            "ok   gcm::initiator: 28 frames, 18 SK payloads and 8 ESP packets verified [correct]"
        ),
        "{text}"
    );

    // A wrong SK_ei for the first IKE SA: its encrypted messages no longer verify.
    let bad = tmp.path().join("bad");
    report_dir(&bad, &[]);
    let table = bad.join("pcaps/gcm/ikev2_decryption_table");
    let text_table = std::fs::read_to_string(&table).unwrap();
    let mut lines: Vec<String> = text_table.lines().map(str::to_owned).collect();
    let first = lines.iter().position(|l| !l.starts_with('#')).unwrap();
    let mut fields: Vec<String> = lines[first].split(',').map(str::to_owned).collect();
    fields[2] = "0".repeat(fields[2].len());
    lines[first] = fields.join(",");
    std::fs::write(&table, lines.join("\n") + "\n").unwrap();
    let (ok, text) = check(&bad);
    assert!(!ok, "{text}");
    assert!(text.contains("SK-not-verified"), "{text}");

    // The same frames marked as changed by a fault are exempt.
    let frames: Vec<usize> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("frame "))
        .filter_map(|l| l.split(':').next()?.parse::<usize>().ok())
        .map(|f| f - 1)
        .collect();
    assert!(!frames.is_empty(), "{text}");
    let exempt = tmp.path().join("exempt");
    report_dir(&exempt, &frames);
    std::fs::copy(&table, exempt.join("pcaps/gcm/ikev2_decryption_table")).unwrap();
    let (ok, text) = check(&exempt);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("{} faulted frames exempt", frames.len())),
        "{text}"
    );
}
