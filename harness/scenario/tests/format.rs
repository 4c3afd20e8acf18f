//! Loader errors point at file:line:column; a wrong expectation fails naming the step or
//! expectation, the expected and the observed; the checked-in JSON Schema is current.

use std::path::Path;

use ikelab_scenario::outcome::{Role, Verdict};
use ikelab_scenario::{load_str, run, LoadError};

fn err(text: &str) -> (usize, usize, String) {
    match load_str(Path::new("t.toml"), text) {
        Err(LoadError::Invalid {
            line,
            column,
            message,
            ..
        }) => (line, column, message),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn unknown_field_is_an_error_with_its_position() {
    let (line, col, msg) =
        err("name = \"x\"\ndescription = \"d\"\n\n[network]\nlatnecy = \"5ms\"\n");
    assert_eq!((line, col), (5, 1));
    assert!(msg.contains("unknown field `latnecy`"), "{msg}");
}

#[test]
fn bad_proposal_string_points_at_the_value() {
    let (line, col, msg) =
        err("name = \"x\"\ndescription = \"d\"\n[initiator]\nike = [\"aes256-sha999-modp2048\"]\n");
    assert_eq!((line, col), (4, 8));
    assert!(msg.contains("sha999"), "{msg}");
}

#[test]
fn unknown_notify_and_action_are_named() {
    let (line, _, msg) = err("name = \"x\"\ndescription = \"d\"\n[[steps]]\naction = \"conect\"\n");
    assert_eq!(line, 4);
    assert!(msg.contains("unknown action \"conect\""), "{msg}");
    let (line, _, msg) = err(
        "name = \"x\"\ndescription = \"d\"\n[expect]\nsut_sends_notify = [\"NO_SUCH_NOTIFY\"]\n",
    );
    assert_eq!(line, 4);
    assert!(msg.contains("NO_SUCH_NOTIFY"), "{msg}");
}

#[test]
fn type_errors_have_positions() {
    let (line, _, msg) =
        err("name = \"x\"\ndescription = \"d\"\n[network]\nloss_permille = \"lots\"\n");
    assert_eq!(line, 4);
    assert!(msg.contains("invalid type"), "{msg}");
}

#[test]
fn wrong_expectation_names_step_expected_and_observed() {
    // The responder only accepts MODP-2048: the handshake fails with NO_PROPOSAL_CHOSEN,
    // but the scenario (wrongly) waits for an established IKE SA.
    let s = load_str(
        Path::new("wrong.toml"),
        r#"
name = "deliberately-wrong"
description = "expects success where the proposals cannot match"
roles = ["initiator"]
[initiator]
ike = ["aes128gcm16-prfsha256-ecp256"]
[responder]
ike = ["aes256-sha256-modp2048"]
[[steps]]
action = "connect"
until = "established"
on = "initiator"
within = "30s"
"#,
    )
    .unwrap();
    let o = run(&s, Role::Initiator, None);
    let Verdict::Fail { failures } = &o.verdict else {
        panic!("{:?}", o.verdict);
    };
    let f = &failures[0];
    assert_eq!(f.step, "steps[0] (connect)");
    assert_eq!(f.expected, "established on initiator within 30s");
    assert!(
        f.observed.contains("Closed{PeerError(NO_PROPOSAL_CHOSEN)}"),
        "{}",
        f.observed
    );
    // The run really happened: IKE_SA_INIT went both ways.
    assert!(o
        .trace
        .iter()
        .any(|t| t.response && t.exchange.as_deref() == Some("IKE_SA_INIT")));
}

#[test]
fn checked_in_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/scenario.schema.json");
    let now = ikelab_scenario::schema_json();
    if std::env::var_os("IKELAB_WRITE_SCHEMA").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == now,
        "scenarios/scenario.schema.json is stale: regenerate with IKELAB_WRITE_SCHEMA=1 cargo test -p ikelab-scenario --test format"
    );
}

#[test]
fn step_and_fault_errors_point_into_their_table() {
    // Two steps with the same bad event: the error is on the second one's line.
    let text = "name = \"x\"\ndescription = \"d\"\n\n[[steps]]\naction = \"connect\"\n\n[[steps]]\naction = \"run\"\nuntil = \"establised\"\n";
    let (line, col, msg) = err(text);
    assert_eq!((line, col), (9, 9), "{msg}");
    assert!(
        msg.starts_with("steps[1]: unknown event \"establised\""),
        "{msg}"
    );
    // A mutation table with two changes: the error names the fault and its mutation table.
    let text = "name = \"x\"\ndescription = \"d\"\n\n[[faults]]\nexchange = \"IKE_AUTH\"\naction = \"drop\"\n\n[[faults]]\nexchange = \"IKE_AUTH\"\naction = \"mutate\"\n[faults.mutation]\nmajor_version = 3\nminor_version = 1\n";
    let (line, _, msg) = err(text);
    assert_eq!(line, 11, "{msg}");
    assert!(
        msg.starts_with("faults[1]: `mutation` sets 2 changes"),
        "{msg}"
    );
}
