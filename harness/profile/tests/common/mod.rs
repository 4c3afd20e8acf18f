//! Test helpers: a clean base profile and path-based mutation of plist values.
#![allow(dead_code)]

use ikelab_profile::{check_bytes, Diagnostic, Options, OsTarget, Report};
use plist::{Dictionary, Value};

pub const P12_RSA: &[u8] = include_bytes!("../fixtures/id_rsa_3des.p12");
pub const P12_EC384: &[u8] = include_bytes!("../fixtures/id_ec384_pbes2.p12");
pub const P12_RSA1024: &[u8] = include_bytes!("../fixtures/id_rsa1024_rc2.p12");
pub const CA_DER: &[u8] = include_bytes!("../fixtures/ca.der");
pub const P12_PASS: &str = "p12-fixture-pass";

pub const V: &str = "PayloadContent[0]";
pub const I: &str = "PayloadContent[0].IKEv2";
pub const P12: &str = "PayloadContent[1]";
pub const CA: &str = "PayloadContent[2]";
pub const VPN_UUID: &str = "22222222-2222-4222-8222-222222222222";
pub const P12_UUID: &str = "33333333-3333-4333-8333-333333333333";
pub const CA_UUID: &str = "44444444-4444-4444-8444-444444444444";

pub fn s(x: &str) -> Value {
    Value::String(x.into())
}

pub fn i(x: i64) -> Value {
    Value::Integer(x.into())
}

pub fn b(x: bool) -> Value {
    Value::Boolean(x)
}

pub fn data(x: &[u8]) -> Value {
    Value::Data(x.to_vec())
}

pub fn arr(v: Vec<Value>) -> Value {
    Value::Array(v)
}

pub fn dict(pairs: Vec<(&str, Value)>) -> Value {
    let mut d = Dictionary::new();
    for (k, v) in pairs {
        d.insert(k.to_string(), v);
    }
    Value::Dictionary(d)
}

fn sa() -> Value {
    dict(vec![
        ("EncryptionAlgorithm", s("AES-256-GCM")),
        ("DiffieHellmanGroup", i(19)),
        ("LifeTimeInMinutes", i(1440)),
    ])
}

pub fn ikev2() -> Value {
    dict(vec![
        ("RemoteAddress", s("vpn.example.com")),
        ("RemoteIdentifier", s("vpn.example.com")),
        ("LocalIdentifier", s("client@example.com")),
        ("AuthenticationMethod", s("Certificate")),
        ("PayloadCertificateUUID", s(P12_UUID)),
        ("CertificateType", s("RSA")),
        ("ServerCertificateIssuerCommonName", s("Example Test CA")),
        ("EnablePFS", i(1)),
        ("DeadPeerDetectionRate", s("Medium")),
        ("IKESecurityAssociationParameters", sa()),
        ("ChildSecurityAssociationParameters", sa()),
    ])
}

/// A complete certificate-authenticated IKEv2 profile: VPN + PKCS#12 identity + root CA.
pub fn base() -> Value {
    dict(vec![
        ("PayloadType", s("Configuration")),
        ("PayloadVersion", i(1)),
        ("PayloadIdentifier", s("com.example.vpn")),
        ("PayloadUUID", s("11111111-1111-4111-8111-111111111111")),
        ("PayloadDisplayName", s("Example VPN")),
        (
            "PayloadContent",
            arr(vec![
                dict(vec![
                    ("PayloadType", s("com.apple.vpn.managed")),
                    ("PayloadVersion", i(1)),
                    ("PayloadIdentifier", s("com.example.vpn.ikev2")),
                    ("PayloadUUID", s(VPN_UUID)),
                    ("UserDefinedName", s("Example VPN")),
                    ("VPNType", s("IKEv2")),
                    ("IKEv2", ikev2()),
                ]),
                dict(vec![
                    ("PayloadType", s("com.apple.security.pkcs12")),
                    ("PayloadVersion", i(1)),
                    ("PayloadIdentifier", s("com.example.vpn.identity")),
                    ("PayloadUUID", s(P12_UUID)),
                    ("PayloadCertificateFileName", s("client.p12")),
                    ("PayloadContent", data(P12_RSA)),
                    ("Password", s(P12_PASS)),
                ]),
                dict(vec![
                    ("PayloadType", s("com.apple.security.root")),
                    ("PayloadVersion", i(1)),
                    ("PayloadIdentifier", s("com.example.vpn.ca")),
                    ("PayloadUUID", s(CA_UUID)),
                    ("PayloadContent", data(CA_DER)),
                ]),
            ]),
        ),
    ])
}

enum Seg {
    Key(String),
    Idx(usize),
}

fn segments(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        if !name.is_empty() {
            out.push(Seg::Key(name.to_string()));
        }
        for idx in rest.split('[') {
            let n = idx.trim_end_matches(']');
            if !n.is_empty() {
                out.push(Seg::Idx(n.parse().unwrap()));
            }
        }
    }
    out
}

/// Sets `path` (creating dictionaries on the way).
pub fn set(root: &mut Value, path: &str, v: Value) {
    let segs = segments(path);
    let mut cur = root;
    for (n, seg) in segs.iter().enumerate() {
        let last = n + 1 == segs.len();
        match seg {
            Seg::Key(k) => {
                let d = cur.as_dictionary_mut().expect("path through a non-dict");
                if last {
                    d.insert(k.clone(), v);
                    return;
                }
                if !d.contains_key(k) {
                    d.insert(k.clone(), Value::Dictionary(Dictionary::new()));
                }
                cur = d.get_mut(k).unwrap();
            }
            Seg::Idx(i) => {
                let a = cur.as_array_mut().expect("index into a non-array");
                if last {
                    a[*i] = v;
                    return;
                }
                cur = &mut a[*i];
            }
        }
    }
}

pub fn del(root: &mut Value, path: &str) {
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    let target = if parent.is_empty() {
        root
    } else {
        get_mut(root, parent)
    };
    target.as_dictionary_mut().unwrap().remove(key);
}

pub fn get_mut<'a>(root: &'a mut Value, path: &str) -> &'a mut Value {
    let mut cur = root;
    for seg in segments(path) {
        cur = match seg {
            Seg::Key(k) => cur.as_dictionary_mut().unwrap().get_mut(&k).unwrap(),
            Seg::Idx(i) => &mut cur.as_array_mut().unwrap()[i],
        };
    }
    cur
}

pub fn xml(v: &Value) -> Vec<u8> {
    let mut buf = Vec::new();
    v.to_writer_xml(&mut buf).unwrap();
    buf
}

pub fn mutate(f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = base();
    f(&mut v);
    xml(&v)
}

/// Turns the base profile into an AlwaysOn profile with one tunnel configuration.
pub fn always_on(v: &mut Value, dh: i64) {
    let mut tc = ikev2();
    set(&mut tc, "ProtocolType", s("IKEv2"));
    set(&mut tc, "NATKeepAliveInterval", i(30));
    set(
        &mut tc,
        "IKESecurityAssociationParameters.DiffieHellmanGroup",
        i(dh),
    );
    set(
        &mut tc,
        "ChildSecurityAssociationParameters.DiffieHellmanGroup",
        i(dh),
    );
    del(v, I);
    set(v, &format!("{V}.VPNType"), s("AlwaysOn"));
    set(
        v,
        &format!("{V}.AlwaysOn"),
        dict(vec![("TunnelConfigurations", arr(vec![tc]))]),
    );
}

pub fn check(bytes: &[u8], os: Option<&str>) -> Report {
    let opts = Options {
        os: os.map(|o| OsTarget::parse(o).unwrap()),
        ..Options::default()
    };
    check_bytes("test.mobileconfig", bytes, &opts).expect("readable")
}

pub fn rules_of(r: &Report) -> Vec<&'static str> {
    r.diagnostics.iter().map(|d: &Diagnostic| d.rule).collect()
}
