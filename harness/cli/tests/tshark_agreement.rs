//! `ikelab decode --format json` agrees with `tshark -T json` on every IKE datagram of every
//! checked-in capture: exchange type, outer payload type sequence and notify types, frame by frame.
//! Also checks that every datagram decodes and every IKE message re-encodes to identical bytes.
//!
//! Needs tshark. Without it the test fails under CI (CI=true) and is skipped loudly elsewhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

#[derive(Debug, PartialEq, Eq)]
struct IkeSummary {
    exchange: u64,
    payload_types: Vec<u64>,
    notify_types: Vec<u64>,
}

/// Every capture folder: strongSwan pairs and ikelab against libreswan.
fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora");
    let mut out = Vec::new();
    for set in ["captures", "captures-libreswan"] {
        let dir = root.join(set);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let sub = entry.expect("readable directory").path();
            for name in ["capture.pcap", "capture.pcapng"] {
                if sub.join(name).is_file() {
                    out.push(sub.join(name));
                }
            }
        }
    }
    out.sort();
    out
}

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn num(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

/// `tshark -T json` of the IKE packets of a capture, with extra options (e.g. key tables).
fn tshark_json(capture: &Path, options: &[String]) -> Value {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args(options)
        .args(["-T", "json", "--no-duplicate-keys", "-Y", "isakmp"])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("tshark JSON")
}

fn tshark_summaries(capture: &Path) -> BTreeMap<u64, IkeSummary> {
    let packets = tshark_json(capture, &[]);
    let mut map = BTreeMap::new();
    for p in as_list(&packets) {
        let layers = &p["_source"]["layers"];
        let frame = num(&layers["frame"]["frame.number"]);
        let ike = &layers["isakmp"];
        let payload_types: Vec<u64> = as_list(&ike["isakmp.typepayload"])
            .into_iter()
            .map(num)
            .collect();
        let notify_types: Vec<u64> = as_list(&ike["isakmp.typepayload_tree"])
            .into_iter()
            .filter_map(|t| t.get("isakmp.notify.msgtype"))
            .map(num)
            .collect();
        map.insert(
            frame,
            IkeSummary {
                exchange: num(&ike["isakmp.exchangetype"]),
                payload_types,
                notify_types,
            },
        );
    }
    map
}

fn ikelab_records(capture: &Path, keys: Option<&Path>) -> Vec<Value> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ikelab"));
    cmd.arg("decode").arg(capture).args(["--format", "json"]);
    if let Some(k) = keys {
        cmd.arg("--keys").arg(k);
    }
    let out = cmd.output().expect("run ikelab");
    assert!(
        out.status.success(),
        "ikelab decode {} exited {:?}: {}",
        capture.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).expect("ikelab JSON") {
        Value::Array(a) => a,
        other => panic!("expected an array, got {other}"),
    }
}

fn ikelab_summaries(records: &[Value]) -> BTreeMap<u64, IkeSummary> {
    records
        .iter()
        .filter(|r| r["kind"] == "ike")
        .map(|r| {
            let payloads = r["payloads"].as_array().expect("payloads array");
            let summary = IkeSummary {
                exchange: r["exchange_type"].as_u64().expect("exchange_type"),
                payload_types: payloads
                    .iter()
                    .map(|p| p["type_id"].as_u64().expect("type_id"))
                    .collect(),
                notify_types: payloads
                    .iter()
                    .filter_map(|p| p["notify_type_id"].as_u64())
                    .collect(),
            };
            (r["frame"].as_u64().expect("frame"), summary)
        })
        .collect()
}

#[test]
fn decode_agrees_with_tshark_on_every_capture() {
    if !tshark_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tshark is required in CI (.ci/run installs it)"
        );
        eprintln!(
            "SKIPPED: tshark not installed; install it (apt-get install tshark) to run this test"
        );
        return;
    }
    let captures = captures();
    assert!(!captures.is_empty(), "no captures under corpora/captures");
    for capture in &captures {
        let records = ikelab_records(capture, None);
        for r in &records {
            assert!(
                r.get("error").is_none(),
                "{}: frame {} failed to decode: {r}",
                capture.display(),
                r["frame"]
            );
            if r["kind"] == "ike" {
                assert_eq!(
                    r["reencodes_identically"],
                    true,
                    "{}: frame {} re-encodes differently",
                    capture.display(),
                    r["frame"]
                );
            }
        }
        let ours = ikelab_summaries(&records);
        let theirs = tshark_summaries(capture);
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{}: the sets of IKE frames differ",
            capture.display()
        );
        for (frame, summary) in &theirs {
            assert_eq!(
                &ours[frame],
                summary,
                "{}: frame {frame} differs from tshark",
                capture.display()
            );
        }
        println!(
            "{}: {} IKE datagrams agree with tshark ({} records)",
            capture.display(),
            theirs.len(),
            records.len()
        );
    }
}

/// The key table next to a capture, as `-o uat:` options for tshark (comments dropped).
fn uat_options(table: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(table).expect("readable key table");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .flat_map(|l| ["-o".to_owned(), format!("uat:ikev2_decryption_table:{l}")])
        .collect()
}

/// Every decrypted payload list tshark shows (`isakmp.enc.contained`), by frame.
fn tshark_inner(capture: &Path, table: &Path) -> BTreeMap<u64, IkeSummary> {
    let packets = tshark_json(capture, &uat_options(table));
    let mut map = BTreeMap::new();
    for p in as_list(&packets) {
        let layers = &p["_source"]["layers"];
        let frame = num(&layers["frame"]["frame.number"]);
        let mut found = Vec::new();
        find_key(&layers["isakmp"], "isakmp.enc.contained", &mut found);
        // A reassembled SKF message lists its payloads next to `isakmp.fragments`.
        for tree in as_list(&layers["isakmp"]["isakmp.typepayload_tree"]) {
            if tree.get("isakmp.fragments").is_some() && tree.get("isakmp.typepayload").is_some() {
                found.push(tree);
            }
        }
        // Per-fragment decryptions show `contained` as a plain string; only the reassembled
        // message (and whole SK messages) carry the payload list.
        if let Some(contained) = found.iter().find(|c| c.get("isakmp.typepayload").is_some()) {
            let payload_types = as_list(&contained["isakmp.typepayload"])
                .into_iter()
                .map(num)
                .collect();
            let notify_types = as_list(&contained["isakmp.typepayload_tree"])
                .into_iter()
                .filter_map(|t| t.get("isakmp.notify.msgtype"))
                .map(num)
                .collect();
            let exchange = num(&layers["isakmp"]["isakmp.exchangetype"]);
            map.insert(
                frame,
                IkeSummary {
                    exchange,
                    payload_types,
                    notify_types,
                },
            );
        }
    }
    map
}

fn find_key<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                if k == key {
                    out.push(child);
                } else {
                    find_key(child, key, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| find_key(c, key, out)),
        _ => {}
    }
}

/// Our decrypted inner payload lists, by frame; asserts every encrypted message decrypted.
fn ikelab_inner(capture: &Path, records: &[Value]) -> BTreeMap<u64, IkeSummary> {
    let mut map = BTreeMap::new();
    for r in records.iter().filter(|r| r["kind"] == "ike") {
        let Some(last) = r["payloads"].as_array().and_then(|p| p.last()) else {
            continue;
        };
        if last["type"] != "SK" && last["type"] != "SKF" {
            continue;
        }
        assert_eq!(
            last["decrypted"],
            true,
            "{}: frame {} not decrypted: {}",
            capture.display(),
            r["frame"],
            last
        );
        if let Some(inner) = last["inner_payloads"].as_array() {
            let summary = IkeSummary {
                exchange: r["exchange_type"].as_u64().expect("exchange_type"),
                payload_types: inner
                    .iter()
                    .map(|p| p["type_id"].as_u64().expect("type_id"))
                    .collect(),
                notify_types: inner
                    .iter()
                    .filter_map(|p| p["notify_type_id"].as_u64())
                    .collect(),
            };
            map.insert(r["frame"].as_u64().expect("frame"), summary);
        }
    }
    map
}

#[test]
fn decryption_agrees_with_tshark_on_every_capture() {
    if !tshark_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tshark is required in CI (.ci/run installs it)"
        );
        eprintln!(
            "SKIPPED: tshark not installed; install it (apt-get install tshark) to run this test"
        );
        return;
    }
    let mut compared = 0;
    for capture in captures() {
        let table = capture.with_file_name("ikev2_decryption_table");
        if !table.is_file() {
            continue;
        }
        let records = ikelab_records(&capture, Some(&table));
        let ours = ikelab_inner(&capture, &records);
        assert!(!ours.is_empty(), "{}: nothing decrypted", capture.display());
        let text = std::fs::read_to_string(&table).expect("key table");
        if text.contains("CHACHA20-POLY1305") {
            // tshark has no ChaCha20-Poly1305 for IKE: ours is the only decryption.
            println!(
                "{}: {} messages decrypted (tshark cannot decrypt ChaCha20-Poly1305)",
                capture.display(),
                ours.len()
            );
            continue;
        }
        let theirs = tshark_inner(&capture, &table);
        // tshark shows no payload list for an empty SK payload (e.g. a liveness check).
        let ours: BTreeMap<u64, IkeSummary> = ours
            .into_iter()
            .filter(|(_, s)| !s.payload_types.is_empty())
            .collect();
        assert!(
            !theirs.is_empty(),
            "{}: tshark decrypted nothing with the key table",
            capture.display()
        );
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{}: frames with decrypted payloads differ",
            capture.display()
        );
        for (frame, summary) in &theirs {
            assert_eq!(
                &ours[frame],
                summary,
                "{}: frame {frame} inner payloads differ from tshark",
                capture.display()
            );
        }
        compared += theirs.len();
        println!(
            "{}: {} decrypted messages agree with tshark",
            capture.display(),
            theirs.len()
        );
    }
    assert!(compared > 0, "no capture was compared");
}
