//! SARIF output validates against the SARIF 2.1.0 JSON schema (tests/sarif/, MIT, from sarif-sdk).

mod common;

use common::*;
use ikelab_profile::output::{sarif, Outcome};

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("sarif/sarif-schema-2.1.0.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(log: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(log).unwrap();
    let errors: Vec<String> = validator()
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid:\n{}", errors.join("\n"));
    v
}

#[test]
fn sarif_with_findings_validates() {
    let bad = mutate(|v| {
        set(v, &format!("{I}.MTU"), i(1500));
        set(v, &format!("{I}.EnableMOBIKE"), i(1));
    });
    let outcomes = vec![
        Outcome::Checked(check(&bad, None)),
        Outcome::Checked(check(&xml(&base()), Some("ios:17.4"))),
        Outcome::Unreadable {
            file: "dir with space/empty.mobileconfig".into(),
            error: "empty input".into(),
        },
    ];
    let v = assert_valid(&sarif(&outcomes));
    let run = &v["runs"][0];
    let results = run["results"].as_array().unwrap();
    let mtu = results.iter().find(|r| r["ruleId"] == "IKE2-C31").unwrap();
    assert_eq!(mtu["level"], "error");
    let region = &mtu["locations"][0]["physicalLocation"]["region"];
    assert!(region["startLine"].as_u64().unwrap() >= 1);
    assert!(region["startColumn"].as_u64().unwrap() >= 1);
    assert_eq!(
        mtu["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "PayloadContent[0].IKEv2.MTU"
    );
    // ruleIndex points at the rule's descriptor.
    let idx = mtu["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], "IKE2-C31");
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert_eq!(run["artifacts"].as_array().unwrap().len(), 2);
    assert!(run["artifacts"][1]["location"]["uri"]
        .as_str()
        .unwrap()
        .contains("%20"));
}

#[test]
fn sarif_for_binary_input_has_no_region_and_validates() {
    let mut buf = Vec::new();
    base().to_writer_binary(&mut buf).unwrap();
    let v = assert_valid(&sarif(&[Outcome::Checked(check(&buf, None))]));
    for r in v["runs"][0]["results"].as_array().unwrap() {
        assert!(r["locations"][0]["physicalLocation"]
            .get("region")
            .is_none());
    }
}

#[test]
fn the_validator_rejects_broken_sarif() {
    // Guards against a schema that accepts everything.
    let v: serde_json::Value = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    assert!(
        !validator().is_valid(&v),
        "a run without tool must be invalid"
    );
}
