//! Reports from a hand-built suite (pass, fail, error; traces with dropped, faulted and ESP
//! datagrams): summary.json round-trips, junit.xml validates against reports/schema/junit-10.xsd,
//! the Markdown and HTML pages carry the expected pieces with user input escaped, and no
//! report contains anything that is not in the outcome (key tables in particular).

use std::path::{Path, PathBuf};
use std::process::Command;

use ikelab_report::{write_reports, JUNIT_XML, REPORT_HTML, REPORT_MD, SUMMARY_JSON};
use ikelab_scenario::outcome::{
    Citation, Coverage, DatagramKind, Failure, NodeInfo, RequirementCoverage, Role,
    ScenarioOutcome, SuiteOutcome, TraceEntry, Verdict,
};

fn ike(
    t: u64,
    from: &str,
    exchange: &str,
    id: u32,
    response: bool,
    payloads: &[&str],
) -> TraceEntry {
    let (to, src, dst) = if from == "initiator" {
        ("responder", "192.0.2.1:500", "192.0.2.2:500")
    } else {
        ("initiator", "192.0.2.2:500", "192.0.2.1:500")
    };
    TraceEntry {
        time_us: t,
        from: from.into(),
        to: to.into(),
        src: src.into(),
        dst: dst.into(),
        kind: DatagramKind::Ike,
        exchange: Some(exchange.into()),
        message_id: Some(id),
        response,
        payloads: payloads.iter().map(|p| (*p).to_owned()).collect(),
        notifies: vec![],
        encrypted: exchange != "IKE_SA_INIT",
        spi: None,
        seq: None,
        len: 300,
        dropped: false,
        fault: None,
    }
}

fn esp(t: u64, from: &str, seq: u32) -> TraceEntry {
    let mut e = ike(t, from, "x", 0, false, &[]);
    e.kind = DatagramKind::Esp;
    e.exchange = None;
    e.message_id = None;
    e.encrypted = false;
    e.spi = Some(if from == "initiator" {
        0xc001_d00d
    } else {
        0x0bad_f00d
    });
    e.seq = Some(seq);
    e.len = 120;
    e
}

fn nodes(role: Role) -> Vec<NodeInfo> {
    ["initiator", "responder"]
        .iter()
        .map(|n| NodeInfo {
            name: (*n).into(),
            implementation: "ikelab".into(),
            addresses: vec![],
            under_test: *n == role.as_str(),
        })
        .collect()
}

fn run(
    name: &str,
    file: &str,
    role: Role,
    verdict: Verdict,
    trace: Vec<TraceEntry>,
) -> ScenarioOutcome {
    ScenarioOutcome {
        name: name.into(),
        file: file.into(),
        description: format!("{name} description"),
        role,
        cites: vec![Citation {
            rfc: 7296,
            section: "2.6".into(),
            text: "the responder MUST NOT keep state <until> a valid cookie".into(),
            requirement: Some("RFC7296-2.6-01".into()),
        }],
        verdict,
        virtual_us: 1_500_000,
        wall_us: 2_345,
        trace,
        nodes: nodes(role),
        pcap: None,
        key_tables: vec![],
    }
}

fn suite() -> SuiteOutcome {
    let mut init_req = ike(
        0,
        "initiator",
        "IKE_SA_INIT",
        0,
        false,
        &["SA", "KE", "Nonce", "Notify"],
    );
    init_req.notifies = vec!["NAT_DETECTION_SOURCE_IP".into()];
    let mut cookie = ike(1_000, "responder", "IKE_SA_INIT", 0, true, &["Notify"]);
    cookie.notifies = vec!["COOKIE".into()];
    let mut lost = ike(
        2_000,
        "initiator",
        "IKE_AUTH",
        1,
        false,
        &["IDi", "AUTH", "SA", "TSi", "TSr"],
    );
    lost.dropped = true;
    let mut faulted = ike(
        500_000,
        "initiator",
        "IKE_AUTH",
        1,
        false,
        &["IDi", "AUTH", "SA", "TSi", "TSr"],
    );
    faulted.fault = Some("corrupt byte 40 after encryption".into());
    let auth_resp = ike(
        501_000,
        "responder",
        "IKE_AUTH",
        1,
        true,
        &["IDr", "AUTH", "SA", "TSi", "TSr"],
    );
    let mut pass_trace = vec![init_req.clone(), cookie, lost, faulted, auth_resp];
    for i in 1..=100u32 {
        pass_trace.push(esp(600_000 + u64::from(i) * 1000, "initiator", i));
        let mut reply = esp(600_500 + u64::from(i) * 1000, "responder", i);
        reply.dropped = i % 10 == 0;
        pass_trace.push(reply);
    }
    let mut pass = run(
        "cookie-roundtrip",
        "scenarios/rfc7296/2.6/cookie.toml",
        Role::Initiator,
        Verdict::Pass,
        pass_trace,
    );
    pass.pcap = Some("pcaps/cookie-roundtrip-initiator.pcap".into());
    pass.key_tables = vec![
        "pcaps/cookie-roundtrip-initiator/ikev2_decryption_table".into(),
        "pcaps/cookie-roundtrip-initiator/esp_sa".into(),
    ];

    let fail = run(
        "<script>alert(1)</script>",
        "scenarios/rfc7296/2.6/evil.toml",
        Role::Responder,
        Verdict::Fail {
            failures: vec![
                Failure {
                    step: "steps[1] (connect)".into(),
                    expected: "event ChildSaInstalled".into(),
                    observed: "AUTHENTICATION_FAILED <notify>".into(),
                },
                Failure {
                    step: "expect.notifies[0]".into(),
                    expected: "COOKIE".into(),
                    observed: "none".into(),
                },
            ],
        },
        vec![init_req],
    );
    let error = run(
        "broken-policy",
        "scenarios/rfc7296/3.3/broken.toml",
        Role::Initiator,
        Verdict::Error {
            message: "policy file missing: policies/x.toml\nsecond line".into(),
        },
        vec![],
    );
    SuiteOutcome {
        tool_version: "0.1.0".into(),
        mode: "sim".into(),
        scenarios: vec![pass, fail, error],
        coverage: Coverage {
            catalogue: "scenarios/requirements/rfc7296.toml".into(),
            testable: 3,
            covered: 1,
            requirements: vec![
                RequirementCoverage {
                    id: "RFC7296-2.6-01".into(),
                    section: "2.6".into(),
                    keyword: "MUST NOT".into(),
                    text: "no state before a valid cookie".into(),
                    testable: true,
                    passing: vec!["cookie-roundtrip::initiator".into()],
                    failing: vec!["<script>alert(1)</script>::responder".into()],
                },
                RequirementCoverage {
                    id: "RFC7296-2.10-01".into(),
                    section: "2.10".into(),
                    keyword: "MUST".into(),
                    text: "nonces at least 128 bits".into(),
                    testable: true,
                    passing: vec![],
                    failing: vec![],
                },
                RequirementCoverage {
                    id: "RFC7296-3.3-01".into(),
                    section: "3.3".into(),
                    keyword: "MUST".into(),
                    text: "proposal numbers start at 1".into(),
                    testable: true,
                    passing: vec![],
                    failing: vec!["broken-policy::initiator".into()],
                },
                RequirementCoverage {
                    id: "RFC7296-2.2-01".into(),
                    section: "2.2".into(),
                    keyword: "SHOULD".into(),
                    text: "implementation advice".into(),
                    testable: false,
                    passing: vec![],
                    failing: vec![],
                },
            ],
        },
        wall_ms: 1234,
    }
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn written(dir: &Path) -> Vec<PathBuf> {
    write_reports(dir, &suite()).unwrap()
}

#[test]
fn writes_the_four_reports_and_summary_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/report");
    let files = written(&dir);
    // A copy to look at (scripts/render-report.sh), when asked for.
    if let Some(keep) = std::env::var_os("IKELAB_KEEP_SAMPLE_REPORT") {
        write_reports(Path::new(&keep), &suite()).unwrap();
    }
    let names: Vec<_> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, [SUMMARY_JSON, JUNIT_XML, REPORT_MD, REPORT_HTML]);
    let back: SuiteOutcome = serde_json::from_str(&read(&dir, SUMMARY_JSON)).unwrap();
    assert_eq!(back, suite());
    // Canonical: the same outcome gives the same bytes.
    assert_eq!(
        ikelab_report::render_summary_json(&back).unwrap(),
        read(&dir, SUMMARY_JSON)
    );
}

#[test]
fn junit_has_cases_failures_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path());
    let x = read(tmp.path(), JUNIT_XML);
    assert!(
        x.contains(
            r#"<testsuites name="ikelab" tests="3" failures="1" errors="1" time="1.234000">"#
        ),
        "{x}"
    );
    assert!(
        x.contains(r#"<testsuite name="scenarios/rfc7296/2.6" tests="2" failures="1" errors="0""#)
    );
    assert!(
        x.contains(r#"<testsuite name="scenarios/rfc7296/3.3" tests="1" failures="0" errors="1""#)
    );
    assert!(x.contains(r#"<testcase name="cookie-roundtrip::initiator" classname="scenarios.rfc7296.2.6.cookie" time="0.002345">"#));
    assert!(x.contains(
        r#"<failure type="expectation" message="steps[1] (connect): expected event ChildSaInstalled, observed AUTHENTICATION_FAILED &lt;notify&gt;">"#
    ));
    assert!(x.contains("expect.notifies[0]: expected COOKIE, observed none</failure>"));
    assert!(x.contains(r#"<error type="error" message="policy file missing: policies/x.toml">"#));
    assert!(x.contains("&lt;script&gt;alert(1)&lt;/script&gt;::responder"));
    assert!(!x.contains("<script>"));
}

#[test]
fn junit_validates_against_the_schema() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path());
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/schema/junit-10.xsd");
    assert!(xsd.exists(), "{} missing", xsd.display());
    let out = match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(tmp.path().join(JUNIT_XML))
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "xmllint is required in CI (.ci/run installs libxml2-utils): {e}"
            );
            eprintln!("SKIPPED: xmllint not installed (apt-get install libxml2-utils): {e}");
            return;
        }
    };
    assert!(
        out.status.success(),
        "junit.xml does not validate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("validates"));
}

#[test]
fn markdown_has_totals_failures_and_coverage() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path());
    let m = read(tmp.path(), REPORT_MD);
    assert!(
        m.contains("**3 runs: 1 passed, 1 failed, 1 errors**"),
        "{m}"
    );
    assert!(
        m.contains("| cookie-roundtrip::initiator | scenarios/rfc7296/2.6/cookie.toml | pass |")
    );
    assert!(m.contains("- steps\\[1\\] (connect): expected event ChildSaInstalled, observed AUTHENTICATION\\_FAILED &lt;notify&gt;"));
    assert!(m.contains("- error: policy file missing"));
    assert!(m.contains("**1/3 (33.3 %)**"));
    // Sections in numeric order, with their counts.
    let s22 = m.find("| 2.2 | 1 | 0 | 0 | 0 | – |").unwrap();
    let s26 = m.find("| 2.6 | 1 | 1 | 1 | 0 | 100 % |").unwrap();
    let s210 = m.find("| 2.10 | 1 | 1 | 0 | 0 | 0 % |").unwrap();
    assert!(s22 < s26 && s26 < s210);
    assert!(m.contains("| 3.3 | 1 | 1 | 0 | 1 | 0 % |"));
    assert!(m.contains("RFC7296-2.10-01"));
    assert!(!m.contains("<script>"));
    assert!(m.contains("&lt;script&gt;"));
}

#[test]
fn html_is_self_contained_escaped_and_has_ladders() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path());
    let h = read(tmp.path(), REPORT_HTML);
    assert!(
        !h.contains("<script"),
        "user input reached the page unescaped"
    );
    assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;::responder"));
    for external in ["src=\"http", "href=\"http", "<link", "@import", "url("] {
        assert!(!h.contains(external), "external asset: {external}");
    }
    // One ladder per run with a trace (the error run has none).
    assert_eq!(h.matches("<svg class=\"ladder\"").count(), 2);
    assert!(h.contains("IKE_SA_INIT (request, #0)"));
    assert!(h.contains("IKE_AUTH (response, #1)"));
    assert!(h.contains("SK{IDi, AUTH, SA, TSi, TSr}"));
    assert!(h.contains("<tspan class=\"notify\">N(COOKIE)</tspan>"));
    assert!(h.contains("SA, KEi, Ni, <tspan class=\"notify\">N(NAT_DETECTION_SOURCE_IP)</tspan>"));
    assert!(h.contains(">dropped</text>"));
    assert!(h.contains("⚡ fault: corrupt byte 40 after encryption"));
    // 200 ESP datagrams: two aggregated rows, not 200.
    assert!(h.contains("ESP ×100  SPI 0xc001d00d, seq 1–100"), "{h}");
    assert!(h.contains("10 of 100 dropped"));
    assert_eq!(h.matches("<g class=\"bulk\">").count(), 2);
    // Failures, cited text, links, coverage.
    assert!(h.contains("<details class=\"run fail\" id=\"run-1\" open>"));
    assert!(h.contains("steps[1] (connect): expected event ChildSaInstalled, observed AUTHENTICATION_FAILED &lt;notify&gt;"));
    assert!(h.contains("the responder MUST NOT keep state &lt;until&gt; a valid cookie"));
    assert!(h.contains("<a href=\"pcaps/cookie-roundtrip-initiator.pcap\">pcap</a>"));
    assert!(h.contains(">ikev2_decryption_table</a>"));
    assert!(h.contains("<b>33.3 %</b>"));
    assert!(h.contains("<td>§2.10</td>"));
}

#[test]
fn reports_show_only_the_outcome_never_key_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Key tables with recognisable contents exist where the outcome points.
    let mut s = suite();
    s.scenarios[1].description = "marker FAKE-SECRET-0xDEADBEEF in the description".into();
    for k in &s.scenarios[0].key_tables {
        let p = dir.join(k);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(
            &p,
            "0123456789abcdef,fedcba9876543210,KEYTABLESECRET00112233,\"AES-CBC-128 [RFC3602]\"\n",
        )
        .unwrap();
    }
    std::fs::create_dir_all(dir.join("pcaps")).unwrap();
    std::fs::write(
        dir.join("pcaps/cookie-roundtrip-initiator.pcap"),
        "PCAPBYTESSECRET",
    )
    .unwrap();
    for p in write_reports(dir, &s).unwrap() {
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            !text.contains("KEYTABLESECRET"),
            "{} contains key table contents",
            p.display()
        );
        assert!(
            !text.contains("PCAPBYTESSECRET"),
            "{} contains pcap contents",
            p.display()
        );
        // What is in the outcome shows (escaped as needed), and only that.
        assert!(text.contains("FAKE-SECRET-0xDEADBEEF"), "{}", p.display());
    }
}

#[test]
fn ladder_svgs_are_well_formed_xml() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path());
    let h = read(tmp.path(), REPORT_HTML);
    let mut svgs = 0;
    for (i, part) in h.split("<svg ").skip(1).enumerate() {
        let end = part.find("</svg>").expect("closed svg");
        let svg = format!("<svg {}</svg>", &part[..end]);
        let path = tmp.path().join(format!("ladder{i}.svg"));
        std::fs::write(&path, &svg).unwrap();
        svgs += 1;
        match Command::new("xmllint").arg("--noout").arg(&path).output() {
            Ok(o) => assert!(
                o.status.success(),
                "ladder {i} is not well-formed: {}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "xmllint is required in CI: {e}"
                );
                eprintln!("SKIPPED: xmllint not installed: {e}");
                return;
            }
        }
    }
    assert_eq!(svgs, 2);
}
