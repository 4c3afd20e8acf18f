//! Fuzz entry points (the `profile_check` target in `fuzz/` calls these).
//!
//! `profile_check` takes arbitrary bytes as a profile; with the `arbitrary` feature,
//! [`FuzzProfile`] generates structurally plausible profiles (real payload types, real key names,
//! schema-typed and mistyped values) so the semantic rules are reached, not just the parser.

use crate::check::{check_bytes, Options};
use crate::output::{self, Outcome};

/// Checks `data` as a profile file and renders every output format. Must never panic.
pub fn profile_check(data: &[u8]) {
    run(data, Options::default());
}

fn run(data: &[u8], opts: Options) {
    let outcome = match check_bytes("fuzz.mobileconfig", data, &opts) {
        Ok(r) => Outcome::Checked(r),
        Err(e) => Outcome::Unreadable {
            file: "fuzz.mobileconfig".into(),
            error: e.to_string(),
        },
    };
    let outcomes = [outcome];
    let _ = output::text(&outcomes);
    let _ = output::json(&outcomes);
    let _ = output::sarif(&outcomes);
}

/// Checks a generated profile (XML or binary, with an optional OS target).
#[cfg(feature = "arbitrary")]
pub fn profile_check_structured(p: &FuzzProfile) {
    let opts = Options {
        os: p.os.map(|(os, major, minor)| crate::check::OsTarget {
            os: [
                crate::schema::Os::Ios,
                crate::schema::Os::MacOs,
                crate::schema::Os::TvOs,
                crate::schema::Os::VisionOs,
                crate::schema::Os::WatchOs,
            ][usize::from(os % 5)],
            version: Some(crate::schema::Ver(
                u16::from(major % 20),
                u16::from(minor % 6),
                0,
            )),
        }),
        ..Options::default()
    };
    run(&p.to_bytes(), opts);
}

#[cfg(feature = "arbitrary")]
pub use generator::FuzzProfile;

#[cfg(feature = "arbitrary")]
mod generator {
    use arbitrary::Arbitrary;
    use plist::{Dictionary, Value};

    const PAYLOAD_TYPES: &[&str] = &[
        "com.apple.vpn.managed",
        "com.apple.vpn.managed.applayer",
        "com.apple.security.pkcs12",
        "com.apple.security.root",
        "com.apple.security.pem",
        "com.apple.security.scep",
        "com.apple.security.acme",
        "com.apple.dnsSettings.managed",
        "com.example.unknown",
    ];
    const VPN_TYPES: &[&str] = &[
        "IKEv2",
        "AlwaysOn",
        "VPN",
        "L2TP",
        "IPSec",
        "TransparentProxy",
        "PPTP",
        "",
    ];
    const DICTS: &[&str] = &[
        "IKEv2",
        "AlwaysOn",
        "VPN",
        "IPSec",
        "PPP",
        "DNS",
        "Proxies",
        "IPv4",
        "VendorConfig",
    ];
    const STRINGS: &[&str] = &[
        "",
        "None",
        "SharedSecret",
        "Certificate",
        "Password",
        "RSA",
        "ECDSA384",
        "RSA-PSS",
        "AES-256-GCM",
        "3DES",
        "SHA1-96",
        "SHA2-384",
        "Medium",
        "High",
        "1.0",
        "1.2",
        "HTTPS",
        "TLS",
        "Cleartext",
        "https://dns.example.com",
        "Connect",
        "EvaluateConnection",
        "Disconnect",
        "ConnectIfNeeded",
        "WiFi",
        "Cellular",
        "IKEv2",
        "VoiceMail",
        "Force",
        "CN=x, O=y",
        "client@example.com",
        "vpn.example.com",
        "11111111-1111-4111-8111-111111111111",
    ];

    /// A scalar or container value, shaped so most choices hit real keys and values.
    #[derive(Debug, Arbitrary)]
    pub enum FuzzValue {
        Str(u8),
        Text(String),
        Int(i64),
        Small(u8),
        Bool(bool),
        Real(f64),
        Data(Vec<u8>),
        Dict(Vec<(FuzzKey, FuzzValue)>),
        Array(Vec<FuzzValue>),
    }

    /// A key: an index into the schema's names for the current dictionary, or free text.
    #[derive(Debug, Arbitrary)]
    pub enum FuzzKey {
        Known(u16),
        Other(String),
    }

    #[derive(Debug, Arbitrary)]
    pub struct FuzzPayload {
        pub payload_type: u8,
        pub vpn_type: u8,
        pub uuid: u8,
        pub dicts: Vec<(u8, Vec<(FuzzKey, FuzzValue)>)>,
        pub extra: Vec<(FuzzKey, FuzzValue)>,
        pub content: Option<Vec<u8>>,
    }

    #[derive(Debug, Arbitrary)]
    pub struct FuzzProfile {
        pub payloads: Vec<FuzzPayload>,
        pub binary: bool,
        pub os: Option<(u8, u8, u8)>,
    }

    fn all_names() -> Vec<&'static str> {
        let mut v = Vec::new();
        fn walk(keys: &'static [crate::schema::KeyDef], v: &mut Vec<&'static str>, d: usize) {
            for k in keys {
                v.push(k.name);
                if d < 4 {
                    walk(k.subkeys, v, d + 1);
                }
            }
        }
        for p in crate::schema::PAYLOADS {
            walk(p.keys, &mut v, 0);
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    fn key(k: &FuzzKey, names: &[&str]) -> String {
        match k {
            FuzzKey::Known(i) => names[usize::from(*i) % names.len()].to_string(),
            FuzzKey::Other(s) => s.clone(),
        }
    }

    fn value(v: &FuzzValue, names: &[&str], depth: usize) -> Value {
        match v {
            FuzzValue::Str(i) => Value::String(STRINGS[usize::from(*i) % STRINGS.len()].into()),
            FuzzValue::Text(s) => Value::String(s.clone()),
            FuzzValue::Int(i) => Value::Integer((*i).into()),
            FuzzValue::Small(i) => Value::Integer(i64::from(*i % 40).into()),
            FuzzValue::Bool(b) => Value::Boolean(*b),
            FuzzValue::Real(r) => Value::Real(*r),
            FuzzValue::Data(d) => Value::Data(d.clone()),
            FuzzValue::Dict(entries) if depth < 6 => {
                Value::Dictionary(dict(entries, names, depth + 1))
            }
            FuzzValue::Array(items) if depth < 6 => {
                Value::Array(items.iter().map(|i| value(i, names, depth + 1)).collect())
            }
            _ => Value::Integer(0.into()),
        }
    }

    fn dict(entries: &[(FuzzKey, FuzzValue)], names: &[&str], depth: usize) -> Dictionary {
        let mut d = Dictionary::new();
        for (k, v) in entries {
            d.insert(key(k, names), value(v, names, depth));
        }
        d
    }

    impl FuzzProfile {
        /// The profile as plist bytes.
        pub fn to_bytes(&self) -> Vec<u8> {
            let names = all_names();
            let mut payloads = Vec::new();
            for (i, p) in self.payloads.iter().enumerate() {
                let mut d = Dictionary::new();
                let t = PAYLOAD_TYPES[usize::from(p.payload_type) % PAYLOAD_TYPES.len()];
                d.insert("PayloadType".into(), Value::String(t.into()));
                d.insert("PayloadVersion".into(), Value::Integer(1.into()));
                d.insert(
                    "PayloadIdentifier".into(),
                    Value::String(format!("com.example.p{i}")),
                );
                d.insert(
                    "PayloadUUID".into(),
                    Value::String(format!("11111111-1111-4111-8111-{:012}", p.uuid % 4)),
                );
                d.insert(
                    "VPNType".into(),
                    Value::String(VPN_TYPES[usize::from(p.vpn_type) % VPN_TYPES.len()].into()),
                );
                d.insert("UserDefinedName".into(), Value::String("fuzz".into()));
                for (which, entries) in &p.dicts {
                    let name = DICTS[usize::from(*which) % DICTS.len()];
                    d.insert(name.into(), Value::Dictionary(dict(entries, &names, 1)));
                }
                for (k, v) in &p.extra {
                    d.insert(key(k, &names), value(v, &names, 1));
                }
                if let Some(c) = &p.content {
                    d.insert("PayloadContent".into(), Value::Data(c.clone()));
                }
                payloads.push(Value::Dictionary(d));
            }
            let mut root = Dictionary::new();
            root.insert("PayloadType".into(), Value::String("Configuration".into()));
            root.insert("PayloadVersion".into(), Value::Integer(1.into()));
            root.insert(
                "PayloadIdentifier".into(),
                Value::String("com.example".into()),
            );
            root.insert(
                "PayloadUUID".into(),
                Value::String("11111111-1111-4111-8111-000000000000".into()),
            );
            root.insert("PayloadContent".into(), Value::Array(payloads));
            let root = Value::Dictionary(root);
            let mut buf = Vec::new();
            let written = if self.binary {
                root.to_writer_binary(&mut buf)
            } else {
                root.to_writer_xml(&mut buf)
            };
            if written.is_err() {
                buf.clear();
            }
            buf
        }
    }
}

/// The `lowering` target's properties on one document (bytes of a profile). Panics on a
/// violated property: lowering is deterministic, yields only registered IANA transforms in
/// well-formed proposals (AEAD without INTEG, ESN in ESP, ENCR/PRF/KE in IKE), and never lowers
/// a payload the checker calls invalid without a finding of its own.
pub fn lowering(data: &[u8]) {
    let Ok(first) = crate::lower::lower_bytes("fuzz.mobileconfig", data) else {
        return;
    };
    let again = crate::lower::lower_bytes("fuzz.mobileconfig", data).map(|l| l.to_json());
    assert_eq!(
        Ok(first.to_json()),
        again.map_err(|_| ()),
        "lowering is not deterministic"
    );
    for p in &first.payloads {
        check_lowered(p);
        if p.path.starts_with("PayloadContent") {
            let _ = crate::lower::gateway::swanctl::emit(p, "fuzz", &Default::default());
        }
    }
}

fn check_lowered(p: &crate::lower::LoweredPayload) {
    use ikelab_policy::{ChildProposal, IkeProposal};
    for x in &p.ike_proposals {
        let ike =
            IkeProposal::parse(&x.strongswan).unwrap_or_else(|e| panic!("{}: {e}", x.strongswan));
        assert!(!ike.encryption.is_empty() && !ike.prf.is_empty() && !ike.ke.is_empty());
        assert_eq!(
            ike.encryption.iter().any(|e| e.is_aead()),
            ike.integrity.is_empty(),
            "AEAD xor INTEG"
        );
        assert!(
            x.transforms
                .iter()
                .all(|t| !t.name.chars().all(|c| c.is_ascii_digit())),
            "unregistered transform"
        );
    }
    for x in &p.esp_proposals {
        let esp =
            ChildProposal::parse(&x.strongswan).unwrap_or_else(|e| panic!("{}: {e}", x.strongswan));
        assert!(
            x.transforms.iter().any(|t| t.ttype == "ESN"),
            "ESN transform missing"
        );
        assert_eq!(
            esp.encryption.iter().any(|e| e.is_aead()),
            esp.integrity.is_empty(),
            "AEAD xor INTEG"
        );
        assert_eq!(esp.ke.is_empty(), !p.pfs, "KE only with PFS");
    }
}

/// The `lowering` target on a structured profile: the properties of [`lowering`], plus the
/// agreement with the checker on the generated document.
#[cfg(feature = "arbitrary")]
pub fn lowering_structured(p: &FuzzProfile) {
    let bytes = p.to_bytes();
    lowering(&bytes);
    if let (Ok(l), Ok(r)) = (
        crate::lower::lower_bytes("fuzz.mobileconfig", &bytes),
        crate::check_bytes("fuzz.mobileconfig", &bytes, &Default::default()),
    ) {
        for lp in &l.payloads {
            let owner = lp.path.split(".AlwaysOn").next().unwrap_or(&lp.path);
            let checker_error = r.diagnostics.iter().any(|d| {
                d.severity == crate::Severity::Error
                    && (d.path == owner || d.path.starts_with(&format!("{owner}.")))
            });
            assert!(
                !checker_error || !lp.findings.is_empty(),
                "{owner}: the checker reports an error but lowering has no finding"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefix_of_a_profile_is_handled() {
        let xml = include_bytes!("../tests/fixtures/signed_content.mobileconfig");
        // Every 11th cut (all outputs are rendered each time, which is slow in debug builds).
        for n in (0..xml.len()).step_by(11).chain([xml.len()]) {
            profile_check(&xml[..n]);
        }
    }

    #[test]
    fn garbage_and_hostile_shapes_do_not_panic() {
        profile_check(&[0x30, 0x80, 0x30, 0x80]);
        profile_check(&[0x30; 4096]);
        profile_check(b"bplist00\xff\xff\xff\xff");
        profile_check(format!("<plist>{}</plist>", "<dict><key>a</key>".repeat(200)).as_bytes());
        profile_check(b"<plist><dict><key>PayloadContent</key><array><string/><integer>1</integer></array></dict></plist>");
    }

    #[test]
    fn lowering_properties_hold_on_hostile_input() {
        lowering(b"<plist><dict><key>PayloadContent</key><array><dict><key>PayloadType</key><string>com.apple.vpn.managed</string><key>VPNType</key><string>IKEv2</string><key>IKEv2</key><dict><key>EnablePFS</key><true/><key>ChildSecurityAssociationParameters</key><dict><key>EncryptionAlgorithm</key><string>AES-256-GCM</string><key>DiffieHellmanGroup</key><integer>99</integer></dict></dict></dict></array></dict></plist>");
        lowering(&[0x30; 64]);
        lowering(b"");
    }

    /// 200 `arbitrary` profiles from a deterministic xorshift stream, standing in for the
    /// fuzzer in `cargo test`.
    #[cfg(feature = "arbitrary")]
    fn sweep(mut seed: u64, mut body: impl FnMut(&FuzzProfile)) {
        use arbitrary::{Arbitrary, Unstructured};
        for _ in 0..200 {
            let bytes: Vec<u8> = (0..512)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            if let Ok(p) = FuzzProfile::arbitrary(&mut Unstructured::new(&bytes)) {
                body(&p);
            }
        }
    }

    #[cfg(feature = "arbitrary")]
    #[test]
    fn structured_lowering_smoke() {
        sweep(0x1234_5678_9abc_def1, lowering_structured);
    }

    #[cfg(feature = "arbitrary")]
    #[test]
    fn structured_generator_reaches_the_rules() {
        sweep(0x9e37_79b9_7f4a_7c15, profile_check_structured);
    }
}
