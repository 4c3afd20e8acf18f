//! `ikelab decode` on captures that mix IKE versions: IKEv1 (ISAKMP) and future major versions
//! are shown by their header and are not decoding errors; a truncated header still is.

use std::process::Command;

use serde_json::Value;

/// A classic pcap (LINKTYPE_RAW) of IPv4/UDP datagrams 10.0.0.1:500 -> 10.0.0.2:500.
fn pcap(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&101u32.to_le_bytes());
    for (i, payload) in payloads.iter().enumerate() {
        let udp_len = 8 + payload.len() as u16;
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&(20 + udp_len).to_be_bytes());
        ip.extend_from_slice(&[0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        ip.extend_from_slice(&500u16.to_be_bytes());
        ip.extend_from_slice(&500u16.to_be_bytes());
        ip.extend_from_slice(&udp_len.to_be_bytes());
        ip.extend_from_slice(&[0, 0]);
        ip.extend_from_slice(payload);
        out.extend_from_slice(&(i as u32 + 1).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(ip.len() as u32).to_le_bytes());
        out.extend_from_slice(&(ip.len() as u32).to_le_bytes());
        out.extend_from_slice(&ip);
    }
    out
}

/// An ISAKMP header (28 octets) followed by `body`.
fn isakmp(version: u8, exchange: u8, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
    m.extend_from_slice(&[0; 8]);
    m.extend_from_slice(&[
        if body.is_empty() { 0 } else { 1 },
        version,
        exchange,
        flags,
    ]);
    m.extend_from_slice(&0u32.to_be_bytes());
    m.extend_from_slice(&(28 + body.len() as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn decode(name: &str, payloads: &[Vec<u8>]) -> (Vec<Value>, String, i32) {
    let dir = std::env::temp_dir().join(format!("ikelab-decode-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("capture.pcap");
    std::fs::write(&file, pcap(payloads)).expect("write pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_ikelab"))
        .arg("decode")
        .arg(&file)
        .args(["--format", "json"])
        .output()
        .expect("run ikelab");
    let _ = std::fs::remove_dir_all(&dir);
    let records = match serde_json::from_slice(&out.stdout) {
        Ok(Value::Array(a)) => a,
        other => panic!("not a JSON array: {other:?}"),
    };
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (records, stderr, out.status.code().unwrap_or(-1))
}

#[test]
fn ikev1_and_future_versions_are_shown_not_errors() {
    // IKEv1 Main Mode with a 44-octet SA payload; a v3.0 header with the I flag.
    let mut sa = vec![0, 0, 0, 44];
    sa.extend_from_slice(&[0; 40]);
    let (records, stderr, code) = decode(
        "versions",
        &[isakmp(0x10, 2, 0, &sa), isakmp(0x30, 34, 0x08, &[])],
    );
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(records[0]["kind"], "ikev1");
    assert_eq!(records[0]["version"], "1.0");
    assert_eq!(records[0]["exchange"], "Identity Protection (Main Mode)");
    assert_eq!(records[0]["initiator_spi"], "0102030405060708");
    assert_eq!(records[0]["length"], 72);
    assert_eq!(records[1]["kind"], "ike-other-version");
    assert_eq!(records[1]["version"], "3.0");
    assert_eq!(records[1]["exchange_type"], 34);
    assert_eq!(records[1]["flags"], 8);
}

#[test]
fn a_truncated_header_is_still_an_error() {
    let (records, stderr, code) = decode("truncated", &[isakmp(0x10, 2, 0, &[]), vec![0x20; 10]]);
    assert_eq!(code, 1);
    assert_eq!(records[0]["kind"], "ikev1");
    assert_eq!(records[1]["kind"], "ike");
    assert_eq!(records[1]["error"]["path"], "header");
    assert!(
        stderr.contains("1 datagram(s) could not be decoded"),
        "{stderr}"
    );
}
