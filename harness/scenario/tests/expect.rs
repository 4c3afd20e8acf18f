//! The expectation kinds added for the hand-written suite fail with messages that name the
//! expectation, the expected and the observed; the suite API runs and covers; artifacts land
//! under the documented names.

use std::path::Path;

use ikelab_scenario::outcome::{DatagramKind, Role, Verdict};
use ikelab_scenario::{load_str, run, run_suite, run_with, LoadError, RunOptions};

const COOKIE: &str = r#"
name = "cookie-expect"
description = "responder always demands a cookie"
[[cites]]
section = "2.6"
requirement = "RFC7296-2.6-04"
text = "The initiator MUST then retry the IKE_SA_INIT request with the COOKIE."
[responder]
cookie_threshold = 0
"#;

fn failures(text: &str, role: Role) -> Vec<(String, String, String)> {
    let s = load_str(Path::new("t.toml"), text).unwrap();
    match run(&s, role, None).verdict {
        Verdict::Fail { failures } => failures
            .into_iter()
            .map(|f| (f.step, f.expected, f.observed))
            .collect(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn located_notify_expectations_pass_and_fail() {
    let ok = format!(
        "{COOKIE}\n[[expect.notifies]]\nfrom = \"responder\"\nnotify = \"COOKIE\"\nexchange = \"IKE_SA_INIT\"\nmessage = \"response\"\ncount = 1\n\n[[expect.notifies]]\nfrom = \"initiator\"\nnotify = \"COOKIE\"\nmessage = \"request\"\n"
    );
    let s = load_str(Path::new("t.toml"), &ok).unwrap();
    for role in [Role::Initiator, Role::Responder] {
        let o = run(&s, role, None);
        assert_eq!(o.verdict, Verdict::Pass, "{role:?}");
    }
    // The cookie is never in a response of the initiator, nor in IKE_AUTH.
    let wrong = format!(
        "{COOKIE}\n[[expect.notifies]]\nfrom = \"peer\"\nnotify = \"COOKIE\"\nexchange = \"IKE_AUTH\"\n"
    );
    let f = failures(&wrong, Role::Initiator);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "expect.notifies[0]");
    assert_eq!(f[0].1, "responder sends Notify COOKIE in IKE_AUTH");
    assert!(
        f[0].2.starts_with("0 matching; responder sent: "),
        "{}",
        f[0].2
    );
    assert!(f[0].2.contains("IKE_SA_INIT"), "{}", f[0].2);
}

#[test]
fn event_counts_name_the_event_and_list_what_happened() {
    let text =
        format!("{COOKIE}\n[expect]\nsut_events = {{ established = 1, child_installed = 2 }}\n");
    let f = failures(&text, Role::Responder);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "expect.sut_events.child_installed");
    assert_eq!(f[0].1, "2 child_installed events on responder");
    assert!(
        f[0].2.starts_with("1; events: IkeSaEstablished("),
        "{}",
        f[0].2
    );
}

#[test]
fn selectors_nat_and_ports_are_checked() {
    let text = r#"
name = "ts"
description = "narrowed selectors, no NAT"
[initiator]
local_ts = ["10.0.0.0/16"]
remote_ts = ["10.1.0.0/16"]
[responder]
local_ts = ["10.1.2.0/24"]
remote_ts = ["10.0.0.0/16"]
[expect]
sut_child_local_ts = ["10.0.0.0/16"]
sut_child_remote_ts = ["10.1.0.0/16"]
sut_nat_detected = true
ike_ports = [500, 4500]
"#;
    let f = failures(text, Role::Initiator);
    let steps: Vec<&str> = f.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        steps,
        [
            "expect.sut_nat_detected",
            "expect.sut_child_remote_ts",
            "expect.ike_ports"
        ],
        "{f:?}"
    );
    assert_eq!(f[1].2, "10.1.2.0/24");
    assert_eq!(f[2].2, "[500]");
}

#[test]
fn expectation_names_are_checked_at_load() {
    for (text, line, needle) in [
        (
            "[expect]\nsut_events = { establihsed = 1 }\n",
            4,
            "unknown event \"establihsed\"",
        ),
        (
            "[[expect.notifies]]\nfrom = \"sut\"\nnotify = \"COOKIES\"\n",
            5,
            "COOKIES",
        ),
        (
            "[[expect.notifies]]\nfrom = \"tester\"\nnotify = \"COOKIE\"\n",
            4,
            "unknown variant `tester`",
        ),
        (
            "[[steps]]\naction = \"dpd\"\nby = \"nobody\"\n",
            5,
            "unknown variant `nobody`",
        ),
        (
            "[expect]\nsut_child_local_ts = [\"10.0.0.0/33\"]\n",
            4,
            "selector",
        ),
    ] {
        let full = format!("name = \"x\"\ndescription = \"d\"\n{text}");
        match load_str(Path::new("t.toml"), &full) {
            Err(LoadError::Invalid {
                line: l, message, ..
            }) => {
                assert_eq!(l, line, "{text}: {message}");
                assert!(message.contains(needle), "{text}: {message}");
            }
            other => panic!("{text}: expected an error, got {other:?}"),
        }
    }
}

#[test]
fn suite_runs_every_role_and_computes_coverage() {
    let s = load_str(Path::new("t.toml"), COOKIE).unwrap();
    let catalogue = ikelab_scenario::load_catalogue(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/requirements/rfc7296.toml"),
    )
    .unwrap();
    let suite = run_suite(&[s], &RunOptions::default(), Some(&catalogue));
    assert_eq!(suite.mode, "sim");
    assert_eq!(suite.scenarios.len(), 2);
    assert!(suite.scenarios.iter().all(|o| o.verdict.passed()));
    assert_eq!(suite.coverage.covered, 1);
    let r = suite
        .coverage
        .requirements
        .iter()
        .find(|r| r.id == "RFC7296-2.6-04")
        .unwrap();
    assert_eq!(
        r.passing,
        ["cookie-expect::initiator", "cookie-expect::responder"]
    );
    // Real crypto ran: the IKE_AUTH messages were opened with the negotiated keys.
    let o = &suite.scenarios[0];
    assert!(o.trace.iter().any(|t| t.kind == DatagramKind::Ike
        && t.encrypted
        && t.payloads.iter().any(|p| p == "AUTH")));
}

#[test]
fn artifacts_are_named_after_scenario_and_role() {
    let dir =
        std::env::temp_dir().join(format!("ikelab-scenario-artifacts-{}", std::process::id()));
    let s = load_str(Path::new("t.toml"), COOKIE).unwrap();
    let opts = RunOptions {
        artifacts_dir: Some(dir.clone()),
        ..RunOptions::default()
    };
    let o = run_with(&s, Role::Responder, &opts);
    assert!(o.verdict.passed(), "{:?}", o.verdict);
    assert_eq!(
        o.pcap.as_deref(),
        Some(Path::new("cookie-expect.responder.pcap"))
    );
    let pcap = std::fs::read(dir.join("cookie-expect.responder.pcap")).unwrap();
    assert!(pcap.len() > 24 * 4, "pcap has packets");
    for k in &o.key_tables {
        assert!(dir.join(k).is_file(), "{}", k.display());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn livelock_guard_gives_an_error_verdict() {
    // DPD every second for 100 virtual hours never goes idle; the guard stops it.
    let s = load_str(
        Path::new("t.toml"),
        r#"
name = "busy"
description = "liveness checks forever"
roles = ["initiator"]
[initiator]
dpd_interval = "1s"
[[steps]]
action = "connect"
[[steps]]
action = "run"
for = "100h"
"#,
    )
    .unwrap();
    let opts = RunOptions {
        max_steps: Some(2_000),
        ..RunOptions::default()
    };
    let o = run_with(&s, Role::Initiator, &opts);
    let Verdict::Error { message } = &o.verdict else {
        panic!("{:?}", o.verdict);
    };
    assert!(
        message.starts_with("steps[1] (run): livelock guard"),
        "{message}"
    );
    assert!(!o.trace.is_empty(), "the trace so far is kept");
}

#[test]
fn faults_that_never_apply_fail_the_run() {
    let text = r#"
name = "vacuous"
description = "faults that cannot apply in a plain handshake"
roles = ["responder"]
[[faults]]
exchange = "CREATE_CHILD_SA"
action = "drop"
[[faults]]
exchange = "IKE_AUTH"
action = "mutate"
[faults.mutation]
swap_payloads = [0, 40]
[[faults]]
exchange = "INFORMATIONAL"
action = "drop"
optional = true
"#;
    let f = failures(text, Role::Responder);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0].0, "faults[0] (drop)");
    assert_eq!(
        f[0].1,
        "drop applies to a datagram from peer CREATE_CHILD_SA #1"
    );
    assert!(f[0].2.starts_with("no datagram matched"), "{}", f[0].2);
    assert_eq!(f[1].0, "faults[1] (mutate)");
    assert!(f[1].2.contains("not applied"), "{}", f[1].2);
}

#[test]
fn message_payload_expectations_pass_and_fail() {
    let good = format!(
        "{COOKIE}\n[[expect.messages]]\nfrom = \"initiator\"\nexchange = \"IKE_SA_INIT\"\nmessage = \"request\"\nnth = 2\nfirst = \"N(COOKIE)\"\norder = [\"SA\", \"KE\", \"Nonce\"]\n\n[[expect.messages]]\nfrom = \"responder\"\nexchange = \"IKE_AUTH\"\ncount = 1\nhas = [\"IDr\", \"AUTH\"]\nlacks = [\"CP\", \"N(COOKIE)\"]\n"
    );
    let s = load_str(Path::new("t.toml"), &good).unwrap();
    assert_eq!(run(&s, Role::Responder, None).verdict, Verdict::Pass);
    let bad = format!(
        "{COOKIE}\n[[expect.messages]]\nfrom = \"sut\"\nexchange = \"IKE_AUTH\"\nmessage = \"request\"\norder = [\"AUTH\", \"IDi\"]\nlacks = [\"N\"]\n"
    );
    let f = failures(&bad, Role::Initiator);
    let steps: Vec<&str> = f.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        steps,
        [
            "expect.messages[0] (#1 of initiator's IKE_AUTH requests).lacks",
            "expect.messages[0] (#1 of initiator's IKE_AUTH requests).order"
        ],
        "{f:?}"
    );
    assert_eq!(f[0].1, "no N");
    assert!(
        f[1].2.starts_with("[IDi, N(INITIAL_CONTACT), IDr, AUTH"),
        "{}",
        f[1].2
    );
    let missing =
        format!("{COOKIE}\n[[expect.messages]]\nfrom = \"peer\"\nexchange = \"CREATE_CHILD_SA\"\n");
    let f = failures(&missing, Role::Initiator);
    assert_eq!(
        f[0].1,
        "at least one of responder's CREATE_CHILD_SA messages"
    );
    match load_str(
        Path::new("t.toml"),
        &format!("{COOKIE}\n[[expect.messages]]\nfrom = \"sut\"\nhas = [\"N(NOPE)\"]\n"),
    ) {
        Err(LoadError::Invalid { line, message, .. }) => {
            assert_eq!(line, 13);
            assert!(message.contains("NOPE"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
