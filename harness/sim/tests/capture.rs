//! Captures: the pcap reads back with pcap-file and its IKE payloads parse with ikelab-wire;
//! with tshark installed, the key tables decrypt IKE_AUTH with integrity [correct].

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use ikelab_policy::Duration;
use ikelab_sim::*;
use ikelab_wire::iana::ExchangeType;
use ikelab_wire::Message;
use pcap_file::pcap::PcapReader;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ikelab-sim-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A handshake (behind a NAT when asked) and a few pings, captured.
fn captured(seed: u64, nat: bool, dir: &Path) -> World {
    let mut s = setup(seed);
    if nat {
        s.w.add_nat(s.a, ip(NAT_IP)).unwrap();
    }
    s.connect();
    assert!(s.establish(Duration::from_secs(5)));
    s.w.send_pings(s.a, ip(A), ip(B), 3, 48).unwrap();
    s.w.run_for(Duration::from_secs(1)).unwrap();
    s.w.write_pcap(&dir.join("run.pcap")).unwrap();
    s.w.write_key_tables(dir).unwrap();
    s.w
}

#[test]
fn pcap_reads_back_and_ike_parses() {
    for nat in [false, true] {
        let dir = scratch(&format!("pcap-{nat}"));
        let w = captured(21, nat, &dir);
        let file = std::fs::File::open(dir.join("run.pcap")).unwrap();
        let mut r = PcapReader::new(file).unwrap();
        assert_eq!(r.header().datalink, pcap_file::DataLink::RAW);
        let mut n = 0;
        let mut ike = 0;
        while let Some(p) = r.next_packet() {
            let p = p.unwrap();
            let rec = &w.wire()[n];
            assert_eq!(p.timestamp.as_micros() as u64, rec.time.as_micros());
            let sliced = SlicedPacket::from_ip(&p.data).unwrap();
            match (&sliced.net, &sliced.transport) {
                (Some(NetSlice::Ipv4(_)), Some(TransportSlice::Udp(u))) => {
                    assert_eq!(rec.transport, Transport::Udp);
                    assert_eq!(u.source_port(), rec.src.port());
                    assert_eq!(u.payload(), &rec.bytes[..]);
                    if let Some(b) = rec.ike_bytes() {
                        let udp_ike = &u.payload()[u.payload().len() - b.len()..];
                        Message::parse(udp_ike).unwrap();
                        ike += 1;
                    }
                }
                (Some(NetSlice::Ipv4(ip)), None) => {
                    assert_eq!(rec.transport, Transport::Esp);
                    assert_eq!(
                        ip.header().protocol(),
                        etherparse::IpNumber::ENCAPSULATING_SECURITY_PAYLOAD
                    );
                    assert_eq!(ip.payload().payload, &rec.bytes[..]);
                }
                other => panic!("record {n}: unexpected {other:?}"),
            }
            n += 1;
        }
        assert_eq!(n, w.wire().len());
        assert_eq!(ike, 4, "nat={nat}");
        let table = std::fs::read_to_string(dir.join("ikev2_decryption_table")).unwrap();
        assert_eq!(table.lines().count(), 1);
        let esp = std::fs::read_to_string(dir.join("esp_sa")).unwrap();
        assert!(esp.lines().count() >= 2, "{esp}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn tshark_decrypts_with_the_key_tables() {
    if !tshark_available() {
        assert!(std::env::var_os("CI").is_none(), "tshark is required in CI");
        eprintln!("SKIPPED: tshark not installed (apt-get install tshark)");
        return;
    }
    let dir = scratch("tshark");
    let w = captured(22, false, &dir);
    let table = std::fs::read_to_string(dir.join("ikev2_decryption_table")).unwrap();
    let mut args: Vec<String> = vec![
        "-r".into(),
        dir.join("run.pcap").display().to_string(),
        "-V".into(),
    ];
    for l in table.lines().filter(|l| !l.is_empty()) {
        args.push("-o".into());
        args.push(format!("uat:ikev2_decryption_table:{l}"));
    }
    let out = Command::new("tshark").args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Malformed"), "malformed packet in\n{text}");
    assert!(text.contains("Identification - Initiator"), "{text}");
    let auth = w
        .wire()
        .iter()
        .filter(|r| {
            w.describe(r)
                .is_some_and(|d| d.exchange == ExchangeType::IKE_AUTH)
        })
        .count();
    assert_eq!(auth, 2);
    let correct = text
        .lines()
        .filter(|l| l.contains("Integrity Checksum Data") && l.contains("[correct]"))
        .count();
    assert!(
        correct >= 2,
        "IKE_AUTH request and response verify:\n{text}"
    );
    assert!(!text.contains("[incorrect"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
