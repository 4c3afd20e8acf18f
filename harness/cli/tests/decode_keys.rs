//! `ikelab decode --keys/--esp-keys` on every checked-in capture: every SK/SKF payload and every
//! ESP packet verifies and decrypts; a wrong key is reported per message and nothing else breaks.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn capture_dirs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/captures");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable directory").path())
        .filter(|p| p.join("ikev2_decryption_table").is_file())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no captures with key tables");
    out
}

fn capture_file(dir: &Path) -> PathBuf {
    ["capture.pcap", "capture.pcapng"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .expect("a capture file")
}

fn decode(args: &[&std::ffi::OsStr]) -> (Vec<Value>, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_ikelab"))
        .arg("decode")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run ikelab");
    let records = match serde_json::from_slice(&out.stdout) {
        Ok(Value::Array(a)) => a,
        other => panic!(
            "not a JSON array: {other:?}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    };
    (records, out.status.code().unwrap_or(-1))
}

fn encrypted_payload(r: &Value) -> Option<&Value> {
    let last = r["payloads"].as_array()?.last()?;
    (last["type"] == "SK" || last["type"] == "SKF").then_some(last)
}

#[test]
fn every_encrypted_message_and_esp_packet_decrypts() {
    for dir in capture_dirs() {
        let cap = capture_file(&dir);
        let (ike, esp) = (dir.join("ikev2_decryption_table"), dir.join("esp_sa"));
        let (records, code) = decode(&[
            cap.as_os_str(),
            "--keys".as_ref(),
            ike.as_os_str(),
            "--esp-keys".as_ref(),
            esp.as_os_str(),
        ]);
        assert_eq!(code, 0, "{}", dir.display());
        let (mut sk, mut esp_count) = (0, 0);
        for r in &records {
            if let Some(p) = encrypted_payload(r) {
                assert_eq!(
                    p["decrypted"],
                    true,
                    "{}: frame {}: {p}",
                    dir.display(),
                    r["frame"]
                );
                sk += 1;
            }
            if r["kind"] == "esp" {
                assert_eq!(
                    r["decrypted"],
                    true,
                    "{}: frame {}: {r}",
                    dir.display(),
                    r["frame"]
                );
                let summary = r["inner"]["summary"].as_str().unwrap_or_default();
                assert!(
                    summary.contains("ICMP echo"),
                    "{}: frame {}: {summary}",
                    dir.display(),
                    r["frame"]
                );
                esp_count += 1;
            }
        }
        assert!(
            sk > 0 && esp_count > 0,
            "{}: {sk} SK, {esp_count} ESP",
            dir.display()
        );
        println!(
            "{}: {sk} SK/SKF payloads and {esp_count} ESP packets decrypted",
            dir.display()
        );
    }
}

#[test]
fn a_wrong_key_fails_that_message_only() {
    let dir = capture_dirs()
        .into_iter()
        .find(|d| d.ends_with("cert-cbc-modp2048"))
        .expect("cert-cbc capture");
    let table = std::fs::read_to_string(dir.join("ikev2_decryption_table")).expect("key table");
    // Flip one hex digit of SK_ai (the fifth comma-separated field after the name).
    let line = table
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .expect("a record");
    let mut fields: Vec<String> = line.split(',').map(str::to_owned).collect();
    let flipped: String = fields[5]
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                if c == '0' {
                    '1'
                } else {
                    '0'
                }
            } else {
                c
            }
        })
        .collect();
    fields[5] = flipped;
    let tmp = std::env::temp_dir().join(format!("ikelab-wrong-key-{}.table", std::process::id()));
    std::fs::write(&tmp, fields.join(",")).expect("write temp table");
    let cap = capture_file(&dir);
    let (records, code) = decode(&[cap.as_os_str(), "--keys".as_ref(), tmp.as_os_str()]);
    let _ = std::fs::remove_file(&tmp);
    assert_eq!(code, 0, "a failed decryption is not a decoding error");
    let failures: Vec<&Value> = records
        .iter()
        .filter_map(encrypted_payload)
        .filter(|p| p["decrypted"] == false)
        .collect();
    assert!(!failures.is_empty());
    for f in &failures {
        let e = f["decryption_error"].as_str().unwrap_or_default();
        assert!(e.contains("integrity check failed"), "{e}");
    }
    // Messages from the responder use SK_ar, which is intact.
    assert!(records
        .iter()
        .filter_map(encrypted_payload)
        .any(|p| p["decrypted"] == true));
}

#[test]
fn an_unusable_key_table_is_exit_2_with_line_and_field() {
    let tmp = std::env::temp_dir().join(format!("ikelab-bad-table-{}.table", std::process::id()));
    std::fs::write(
        &tmp,
        "0011,22,aa,bb,\"AES-CBC-256 [RFC3602]\",,,\"NONE [RFC4306]\"\n",
    )
    .expect("write");
    let dir = capture_dirs().remove(0);
    let out = Command::new(env!("CARGO_BIN_EXE_ikelab"))
        .arg("decode")
        .arg(capture_file(&dir))
        .arg("--keys")
        .arg(&tmp)
        .output()
        .expect("run ikelab");
    let _ = std::fs::remove_file(&tmp);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1, field 1 (Initiator SPI)"), "{err}");
}
