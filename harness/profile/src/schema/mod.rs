//! Apple's payload key table (generated from the YAML in `schema/apple/`) and lookups over it.
//!
//! The table mirrors the YAML one-to-one; composition the YAML leaves to prose is done here:
//! common payload keys merge into every payload, the per-app VPN payload is the VPN payload plus
//! its own keys, and AlwaysOn tunnel configurations accept the IKEv2 key set (constraints doc A6).

#[rustfmt::skip]
mod table;

mod format;

pub use format::format_matches;
pub use table::{PAYLOADS, SOURCE_DIGEST};

use std::fmt;

/// Plist value type named by the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    String,
    Integer,
    Real,
    Boolean,
    Date,
    Data,
    Array,
    Dictionary,
    Any,
}

impl Ty {
    /// The plist element name, as a profile author would write it.
    pub fn xml_name(self) -> &'static str {
        match self {
            Ty::String => "<string>",
            Ty::Integer => "<integer>",
            Ty::Real => "<real>",
            Ty::Boolean => "<true/>/<false/>",
            Ty::Date => "<date>",
            Ty::Data => "<data>",
            Ty::Array => "<array>",
            Ty::Dictionary => "<dict>",
            Ty::Any => "any value",
        }
    }
}

/// `presence` of a key; `Item` = array-item placeholder (no presence in the YAML).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    Item,
}

/// A literal from `rangelist` or `default`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit {
    Str(&'static str),
    Int(i64),
    Real(f64),
    Bool(bool),
}

impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lit::Str(s) => write!(f, "'{s}'"),
            Lit::Int(i) => write!(f, "{i}"),
            Lit::Real(r) => write!(f, "{r}"),
            Lit::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// Apple operating systems named in `supportedOS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Os {
    Ios,
    MacOs,
    TvOs,
    VisionOs,
    WatchOs,
}

impl Os {
    pub fn name(self) -> &'static str {
        match self {
            Os::Ios => "iOS",
            Os::MacOs => "macOS",
            Os::TvOs => "tvOS",
            Os::VisionOs => "visionOS",
            Os::WatchOs => "watchOS",
        }
    }

    /// Parses `ios`, `macos`, `tvos`, `visionos`, `watchos` (case-insensitive; `ipados` = iOS).
    pub fn parse(s: &str) -> Option<Os> {
        match s.to_ascii_lowercase().as_str() {
            "ios" | "ipados" => Some(Os::Ios),
            "macos" | "osx" => Some(Os::MacOs),
            "tvos" => Some(Os::TvOs),
            "visionos" => Some(Os::VisionOs),
            "watchos" => Some(Os::WatchOs),
            _ => None,
        }
    }
}

/// A dotted OS version (`14.2` = `Ver(14, 2, 0)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ver(pub u16, pub u16, pub u16);

impl Ver {
    pub fn parse(s: &str) -> Option<Ver> {
        let mut parts = [0u16; 3];
        let mut n = 0;
        for p in s.split('.') {
            if n == 3 {
                return None;
            }
            parts[n] = p.parse().ok()?;
            n += 1;
        }
        (n > 0).then_some(Ver(parts[0], parts[1], parts[2]))
    }
}

impl fmt::Display for Ver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.2 == 0 {
            write!(f, "{}.{}", self.0, self.1)
        } else {
            write!(f, "{}.{}.{}", self.0, self.1, self.2)
        }
    }
}

/// One `introduced`/`deprecated`/`removed` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Avail {
    /// Not stated here: inherit from the enclosing key or payload.
    Unset,
    /// `n/a`: not supported on that OS.
    NotAvailable,
    Ver(Ver),
}

/// `supportedOS.<os>` of a payload or key (only the fields a checker needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsRule {
    pub os: Os,
    pub introduced: Avail,
    pub deprecated: Avail,
    pub removed: Avail,
}

/// One key of a payload dictionary (or an array-item placeholder).
#[derive(Debug)]
pub struct KeyDef {
    pub name: &'static str,
    pub ty: Ty,
    pub presence: Presence,
    pub rangelist: &'static [Lit],
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub default: Option<Lit>,
    pub format: Option<&'static str>,
    pub rep_min: Option<u32>,
    pub rep_max: Option<u32>,
    pub os: &'static [OsRule],
    pub subkeys: &'static [KeyDef],
    /// First sentence of Apple's prose for the key.
    pub summary: &'static str,
}

impl KeyDef {
    /// The item definition of an `<array>` key (its single subkey), if any.
    pub fn array_item(&self) -> Option<&'static KeyDef> {
        match (self.ty, self.subkeys) {
            (Ty::Array, [item]) => Some(item),
            _ => None,
        }
    }

    /// For a free-form dictionary (`subkeys: [ANY]`), the value definition.
    pub fn any_value(&self) -> Option<&'static KeyDef> {
        self.subkeys.iter().find(|k| k.name == "ANY")
    }
}

/// One payload type (one YAML file).
#[derive(Debug)]
pub struct PayloadSchema {
    pub payload_type: &'static str,
    pub title: &'static str,
    pub file: &'static str,
    pub os: &'static [OsRule],
    pub keys: &'static [KeyDef],
}

pub const TOP_LEVEL: &str = "TopLevel";
pub const COMMON: &str = "CommonPayloadKeys";
pub const VPN: &str = "com.apple.vpn.managed";
pub const VPN_APPLAYER: &str = "com.apple.vpn.managed.applayer";

/// Payload types that hold a certificate or identity (targets of `PayloadCertificateUUID`).
pub const CERT_PAYLOADS: &[&str] = &[
    "com.apple.security.pkcs12",
    "com.apple.security.scep",
    "com.apple.security.acme",
    "com.apple.security.pem",
    "com.apple.security.pkcs1",
    "com.apple.security.root",
];

/// Certificate payloads that carry a private key (an identity usable as an account credential).
pub const IDENTITY_PAYLOADS: &[&str] = &[
    "com.apple.security.pkcs12",
    "com.apple.security.scep",
    "com.apple.security.acme",
];

/// The schema of one payload type, by `PayloadType`.
pub fn payload(payload_type: &str) -> Option<&'static PayloadSchema> {
    PAYLOADS.iter().find(|p| p.payload_type == payload_type)
}

/// The key sets that apply to a payload dictionary of `payload_type`, in lookup order.
/// `None` when the type has no schema (then only the common keys are known).
pub fn payload_scope(payload_type: &str) -> Option<Vec<&'static [KeyDef]>> {
    let common = payload(COMMON).map(|p| p.keys).unwrap_or(&[]);
    if payload_type == VPN_APPLAYER {
        let vpn = payload(VPN)?;
        let app = payload(VPN_APPLAYER)?;
        return Some(vec![app.keys, vpn.keys, common]);
    }
    if payload_type == TOP_LEVEL || payload_type == COMMON {
        return None;
    }
    let p = payload(payload_type)?;
    Some(vec![p.keys, common])
}

/// Finds `name` in a list of key sets.
pub fn find_key(scope: &[&'static [KeyDef]], name: &str) -> Option<&'static KeyDef> {
    scope.iter().flat_map(|s| s.iter()).find(|k| k.name == name)
}

/// The IKEv2 subkeys of the VPN payload (used to validate AlwaysOn tunnel configurations, A6).
pub fn ikev2_keys() -> &'static [KeyDef] {
    payload(VPN)
        .and_then(|p| p.keys.iter().find(|k| k.name == "IKEv2"))
        .map(|k| k.subkeys)
        .unwrap_or(&[])
}

/// Effective availability of a key on one OS after inheritance (payload ⊕ ancestors ⊕ key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Availability {
    pub introduced: Avail,
    pub deprecated: Avail,
    pub removed: Avail,
}

impl Availability {
    /// Starts from a payload's `supportedOS`; an OS the payload does not name is unsupported.
    pub fn for_payload(rules: &[OsRule], os: Os) -> Availability {
        match rules.iter().find(|r| r.os == os) {
            Some(r) => Availability {
                introduced: r.introduced,
                deprecated: r.deprecated,
                removed: r.removed,
            },
            None => Availability {
                introduced: Avail::NotAvailable,
                deprecated: Avail::Unset,
                removed: Avail::Unset,
            },
        }
    }

    /// Applies a key's own `supportedOS` overrides.
    pub fn child(self, rules: &[OsRule], os: Os) -> Availability {
        let mut out = self;
        if let Some(r) = rules.iter().find(|r| r.os == os) {
            if r.introduced != Avail::Unset {
                out.introduced = r.introduced;
            }
            if r.deprecated != Avail::Unset {
                out.deprecated = r.deprecated;
            }
            if r.removed != Avail::Unset {
                out.removed = r.removed;
            }
        }
        out
    }
}

/// Every key name that occurs anywhere in a payload schema, with its dotted location
/// (used to suggest "this key belongs inside `IPSec`").
pub fn locate_key(scope: &[&'static [KeyDef]], name: &str) -> Vec<String> {
    fn walk(
        keys: &'static [KeyDef],
        prefix: &str,
        name: &str,
        out: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > 4 {
            return;
        }
        for k in keys {
            let here = if prefix.is_empty() {
                k.name.to_string()
            } else {
                format!("{prefix}.{}", k.name)
            };
            if k.name == name && !prefix.is_empty() {
                out.push(prefix.to_string());
            }
            if k.ty == Ty::Dictionary {
                walk(k.subkeys, &here, name, out, depth + 1);
            }
        }
    }
    let mut out = Vec::new();
    for s in scope {
        walk(s, "", name, &mut out, 0);
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_payloads_we_check() {
        for t in [
            TOP_LEVEL,
            COMMON,
            VPN,
            VPN_APPLAYER,
            "com.apple.dnsSettings.managed",
        ]
        .iter()
        .chain(CERT_PAYLOADS)
        {
            assert!(payload(t).is_some(), "{t} missing from the table");
        }
    }

    #[test]
    fn ikev2_table_matches_constraints_doc_counts() {
        // vpn-ikev2-constraints.md §0: 44 direct children of IKEv2.
        assert_eq!(ikev2_keys().len(), 44);
        let mtu = ikev2_keys().iter().find(|k| k.name == "MTU").unwrap();
        assert_eq!((mtu.min, mtu.max), (Some(1280), Some(1400)));
        assert_eq!(mtu.default, Some(Lit::Int(1280)));
    }

    #[test]
    fn inheritance_follows_key_overrides() {
        let vpn = payload(VPN).unwrap();
        let ike = vpn.keys.iter().find(|k| k.name == "IKEv2").unwrap();
        let watch = Availability::for_payload(vpn.os, Os::WatchOs);
        assert_eq!(watch.introduced, Avail::NotAvailable);
        let watch_ike = watch.child(ike.os, Os::WatchOs);
        assert_eq!(watch_ike.introduced, Avail::Ver(Ver(10, 0, 0)));
    }

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(Ver::parse("14.2"), Some(Ver(14, 2, 0)));
        assert_eq!(Ver::parse("17"), Some(Ver(17, 0, 0)));
        assert!(Ver::parse("1.2.3.4").is_none());
        assert!(Ver::parse("x").is_none());
        assert!(Ver(14, 2, 0) > Ver(14, 0, 0));
    }

    /// Mirrors `digest()` in scripts/gen_profile_schema.py: fails when the YAML changed but the
    /// table was not regenerated.
    #[test]
    fn schema_table_is_fresh() {
        use sha2::Digest;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/apple");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        let mut h = sha2::Sha256::new();
        for f in files {
            h.update(f.file_name().unwrap().to_string_lossy().as_bytes());
            h.update([0]);
            h.update(std::fs::read(&f).unwrap());
            h.update([0]);
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex, SOURCE_DIGEST,
            "schema/apple/*.yaml changed: run python3 scripts/gen_profile_schema.py"
        );
    }

    #[test]
    fn every_format_in_the_table_is_supported() {
        fn walk(keys: &[KeyDef]) {
            for k in keys {
                if let Some(f) = k.format {
                    assert!(format::parse(f).is_some(), "unsupported format {f}");
                }
                walk(k.subkeys);
            }
        }
        for p in PAYLOADS {
            walk(p.keys);
        }
    }
}
