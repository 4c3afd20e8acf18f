//! Every rule: a profile that triggers it and one that does not (base profile + one mutation),
//! and the constraints doc's numbering mapped to rules.

mod common;

use std::collections::BTreeSet;

use common::*;
use ikelab_profile::rules::RULES;
use ikelab_profile::Severity;
use plist::Value;

type Make = Box<dyn Fn() -> Vec<u8>>;

struct Case {
    rule: &'static str,
    os: Option<&'static str>,
    trigger: Make,
    clean: Make,
    clean_os: Option<&'static str>,
}

fn case(
    rule: &'static str,
    trigger: impl Fn(&mut Value) + 'static,
    clean: impl Fn(&mut Value) + 'static,
) -> Case {
    Case {
        rule,
        os: None,
        trigger: Box::new(move || mutate(&trigger)),
        clean: Box::new(move || mutate(&clean)),
        clean_os: None,
    }
}

fn on(mut c: Case, os: &'static str, clean_os: &'static str) -> Case {
    c.os = Some(os);
    c.clean_os = Some(clean_os);
    c
}

fn bytes(rule: &'static str, trigger: Vec<u8>, clean: Vec<u8>) -> Case {
    Case {
        rule,
        os: None,
        trigger: Box::new(move || trigger.clone()),
        clean: Box::new(move || clean.clone()),
        clean_os: None,
    }
}

fn none(_: &mut Value) {}

fn p(a: &str, b: &str) -> String {
    format!("{a}.{b}")
}

fn rule_list(items: Vec<Value>) -> Value {
    arr(items)
}

fn signed(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn tampered() -> Vec<u8> {
    let mut b = signed("signed_rsa.mobileconfig");
    let at = b.windows(15).position(|w| w == b"vpn.example.com").unwrap();
    b[at + 4] = b'X';
    b
}

/// `bytes` as UTF-16LE with a byte-order mark, declared as UTF-16.
fn utf16le(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap().replacen(
        "encoding=\"UTF-8\"",
        "encoding=\"UTF-16\"",
        1,
    );
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

/// IPSec payload for C50.
fn ipsec(v: &mut Value, legacy: bool) {
    del(v, I);
    set(v, &p(V, "VPNType"), s("IPSec"));
    let mut d = vec![
        ("RemoteAddress", s("vpn.example.com")),
        ("AuthenticationMethod", s("Certificate")),
        ("PayloadCertificateUUID", s(P12_UUID)),
    ];
    if legacy {
        d.push(("OnDemandMatchDomainsAlways", arr(vec![s("example.com")])));
    }
    set(v, &p(V, "IPSec"), dict(d));
}

fn vpn_provider(v: &mut Value, dr: bool) {
    del(v, I);
    set(v, &p(V, "VPNType"), s("VPN"));
    set(v, &p(V, "VPNSubType"), s("com.example.vpnapp"));
    let mut d = vec![("ProviderBundleIdentifier", s("com.example.vpnapp.ext"))];
    if dr {
        d.push(("ProviderDesignatedRequirement", s("anchor apple generic")));
    }
    set(v, &p(V, "VPN"), dict(d));
}

fn cases() -> Vec<Case> {
    let tc = "PayloadContent[0].AlwaysOn.TunnelConfigurations[0]";
    vec![
        case(
            "IN-01",
            |v| {
                del(v, "PayloadContent");
                set(v, "IsEncrypted", b(true));
                set(v, "EncryptedPayloadContent", data(b"\x30\x00"));
            },
            none,
        ),
        bytes(
            "IN-02",
            {
                let x = String::from_utf8(xml(&base())).unwrap();
                x.replacen(
                    "<key>UserDefinedName</key>",
                    "<key>UserDefinedName</key><string>Dup</string><key>UserDefinedName</key>",
                    1,
                )
                .into_bytes()
            },
            xml(&base()),
        ),
        bytes("IN-03", utf16le(&xml(&base())), xml(&base())),
        bytes(
            "SIG-05",
            signed("signed_rsa_pem.mobileconfig"),
            signed("signed_rsa.mobileconfig"),
        ),
        bytes(
            "SIG-01",
            signed("signed_rsa.mobileconfig"),
            signed("signed_nocerts.mobileconfig"),
        ),
        bytes(
            "SIG-02",
            signed("signed_nocerts.mobileconfig"),
            signed("signed_rsa.mobileconfig"),
        ),
        bytes("SIG-03", tampered(), signed("signed_rsa.mobileconfig")),
        bytes(
            "SIG-04",
            signed("signed_badchain.mobileconfig"),
            signed("signed_rsa.mobileconfig"),
        ),
        case("SCH-01", |v| set(v, &p(I, "RemoteAdress"), s("x")), none),
        case("SCH-02", |v| del(v, &p(V, "UserDefinedName")), none),
        case(
            "SCH-03",
            |v| set(v, &p(I, "DeadPeerDetectionRate"), i(3)),
            none,
        ),
        case(
            "SCH-04",
            |v| set(v, &p(P12, "AllowAllAppsAccess"), i(1)),
            none,
        ),
        case(
            "SCH-05",
            |v| set(v, &p(I, "DeadPeerDetectionRate"), s("Hi")),
            none,
        ),
        case(
            "SCH-06",
            |v| {
                set(
                    v,
                    &p(V, "Proxies"),
                    dict(vec![
                        ("HTTPProxy", s("p.example.com")),
                        ("HTTPPort", i(70000)),
                    ]),
                )
            },
            |v| {
                set(
                    v,
                    &p(V, "Proxies"),
                    dict(vec![
                        ("HTTPProxy", s("p.example.com")),
                        ("HTTPPort", i(8080)),
                    ]),
                )
            },
        ),
        case(
            "SCH-07",
            |v| {
                set(
                    v,
                    &p(V, "DNS"),
                    dict(vec![
                        ("DNSProtocol", s("Cleartext")),
                        ("ServerAddresses", arr(vec![s("10.0.0.1")])),
                        ("PayloadCertificateUUID", s(&P12_UUID[1..])),
                    ]),
                )
            },
            |v| {
                set(
                    v,
                    &p(V, "DNS"),
                    dict(vec![
                        ("DNSProtocol", s("Cleartext")),
                        ("ServerAddresses", arr(vec![s("10.0.0.1")])),
                        ("PayloadCertificateUUID", s(P12_UUID)),
                    ]),
                )
            },
        ),
        on(
            case(
                "SCH-08",
                |v| {
                    set(v, &p(I, "IncludeAllNetworks"), i(1));
                    set(v, &p(I, "ExcludeLocalNetworks"), i(1));
                    set(v, &p(I, "ExcludeAPNs"), i(1))
                },
                |v| {
                    set(v, &p(I, "IncludeAllNetworks"), i(1));
                    set(v, &p(I, "ExcludeLocalNetworks"), i(1))
                },
            ),
            "ios:16.0",
            "ios:16.0",
        ),
        on(
            case(
                "SCH-10",
                |v| {
                    set(
                        v,
                        &p(V, "IPSec"),
                        dict(vec![(
                            "OnDemandMatchDomainsAlways",
                            arr(vec![s("example.com")]),
                        )]),
                    )
                },
                none,
            ),
            "ios:17.0",
            "ios:17.0",
        ),
        on(
            case(
                "SCH-11",
                |v| {
                    let a = get_mut(v, "PayloadContent").as_array_mut().unwrap();
                    a.push(dict(vec![
                        ("PayloadType", s("com.apple.dnsSettings.managed")),
                        ("PayloadVersion", i(1)),
                        ("PayloadIdentifier", s("com.example.dns")),
                        ("PayloadUUID", s("55555555-5555-4555-8555-555555555555")),
                        (
                            "DNSSettings",
                            dict(vec![
                                ("DNSProtocol", s("HTTPS")),
                                ("ServerURL", s("https://dns.example.com/dns-query")),
                            ]),
                        ),
                    ]));
                },
                none,
            ),
            "tvos:17.0",
            "tvos:17.0",
        ),
        case(
            "SCH-12",
            |v| set(v, &p(CA, "PayloadType"), s("com.example.unknown")),
            none,
        ),
        case(
            "SCH-14",
            |v| {
                set(
                    v,
                    &p(I, "RemoteAddress"),
                    s("https://vpn.example.com/ikev2"),
                )
            },
            |v| set(v, &p(I, "RemoteAddress"), s("203.0.113.5")),
        ),
        case(
            "SCH-15",
            |v| set(v, &p(I, "RemoteIdentifier"), s("vpn.example.com ")),
            none,
        ),
        case(
            "SCH-16",
            |v| {
                set(
                    v,
                    &p(
                        I,
                        "IKESecurityAssociationParameters.PostQuantumKeyExchangeMethods",
                    ),
                    arr(vec![i(36)]),
                )
            },
            none,
        ),
        case(
            "SCH-13",
            |v| {
                set(
                    v,
                    &p(V, "PPP"),
                    dict(vec![(
                        "AuthEAPPlugins",
                        arr(vec![s("EAP-RSA"), s("EAP-TLS")]),
                    )]),
                )
            },
            |v| {
                set(
                    v,
                    &p(V, "PPP"),
                    dict(vec![("AuthEAPPlugins", arr(vec![s("EAP-RSA")]))]),
                )
            },
        ),
        case("IKE2-C01", |v| set(v, "PayloadType", s("Profile")), none),
        case("IKE2-C02", |v| del(v, &p(V, "PayloadVersion")), none),
        case(
            "IKE2-C03",
            |v| set(v, &p(CA, "PayloadIdentifier"), s("com.example.vpn.ikev2")),
            none,
        ),
        case(
            "IKE2-C04",
            |v| {
                set(
                    v,
                    &p(I, "PayloadCertificateUUID"),
                    s("99999999-9999-4999-8999-999999999999"),
                )
            },
            none,
        ),
        case(
            "IKE2-C05",
            |v| set(v, &p(I, "PayloadCertificateUUID"), s(CA_UUID)),
            none,
        ),
        on(case("IKE2-C06", none, none), "watchos:10.0", "ios:17.0"),
        case("IKE2-C07", |v| set(v, &p(V, "VPNType"), s("VPN")), none),
        case(
            "IKE2-C08",
            |v| set(v, &p(V, "VPNSubType"), s("com.example.app")),
            |v| set(v, &p(V, "VPNSubType"), s("")),
        ),
        on(
            case(
                "IKE2-C09",
                |v| {
                    set(v, &p(V, "VPNType"), s("TransparentProxy"));
                    set(v, &p(V, "VPNSubType"), s("com.example.tp"))
                },
                |v| {
                    set(v, &p(V, "VPNType"), s("TransparentProxy"));
                    set(v, &p(V, "VPNSubType"), s("com.example.tp"))
                },
            ),
            "ios:17.0",
            "macos:14.0",
        ),
        case("IKE2-C10", |v| del(v, I), none),
        case(
            "IKE2-C11",
            |v| set(v, &p(V, "VendorConfig"), dict(vec![("Group", s("staff"))])),
            none,
        ),
        case("IKE2-C12", |v| del(v, &p(I, "RemoteAddress")), none),
        case(
            "IKE2-C13",
            |v| set(v, &p(I, "AuthenticationMethod"), s("EAP")),
            none,
        ),
        case(
            "IKE2-C14",
            |v| set(v, &p(I, "AuthenticationMethod"), s("None")),
            |v| {
                set(v, &p(I, "AuthenticationMethod"), s("None"));
                set(v, &p(I, "ExtendedAuthEnabled"), i(1))
            },
        ),
        case(
            "IKE2-C15",
            |v| set(v, &p(I, "AuthenticationMethod"), s("SharedSecret")),
            |v| {
                set(v, &p(I, "AuthenticationMethod"), s("SharedSecret"));
                set(
                    v,
                    &p(I, "SharedSecret"),
                    s("a-long-random-shared-secret-0123456789"),
                )
            },
        ),
        case(
            "IKE2-C16",
            |v| del(v, &p(I, "PayloadCertificateUUID")),
            none,
        ),
        case(
            "IKE2-C17",
            |v| set(v, &p(I, "TLSMinimumVersion"), s("1.2")),
            none,
        ),
        case(
            "IKE2-C18",
            |v| {
                set(v, &p(I, "ExtendedAuthEnabled"), i(1));
                set(v, &p(I, "TLSMinimumVersion"), s("1.2"));
                set(v, &p(I, "TLSMaximumVersion"), s("1.0"))
            },
            |v| {
                set(v, &p(I, "ExtendedAuthEnabled"), i(1));
                set(v, &p(I, "TLSMinimumVersion"), s("1.2"));
                set(v, &p(I, "TLSMaximumVersion"), s("1.2"))
            },
        ),
        case(
            "IKE2-C19",
            |v| {
                set(v, &p(I, "ExtendedAuthEnabled"), i(1));
                del(v, &p(I, "ServerCertificateIssuerCommonName"))
            },
            |v| set(v, &p(I, "ExtendedAuthEnabled"), i(1)),
        ),
        case(
            "IKE2-C20",
            |v| set(v, &p(I, "CertificateType"), s("ECDSA384")),
            |v| {
                set(v, &p(I, "CertificateType"), s("ECDSA384"));
                set(v, &p(P12, "PayloadContent"), data(P12_EC384))
            },
        ),
        case(
            "IKE2-C21",
            |v| {
                set(
                    v,
                    &p(I, "RemoteIdentifier"),
                    s("CN=vpn.example.com, O=Example"),
                )
            },
            |v| {
                set(
                    v,
                    &p(I, "RemoteIdentifier"),
                    s("CN=vpn.example.com, O=Example"),
                );
                set(
                    v,
                    &p(I, "ServerCertificateCommonName"),
                    s("vpn.example.com"),
                )
            },
        ),
        case(
            "IKE2-C22",
            |v| set(v, &p(I, "Password"), s("never-used-pass")),
            none,
        ),
        case(
            "IKE2-C23",
            |v| set(v, &p(I, "PPK"), data(b"0123456789abcdef0123456789abcdef")),
            |v| {
                set(v, &p(I, "PPK"), data(b"0123456789abcdef0123456789abcdef"));
                set(v, &p(I, "PPKIdentifier"), s("ppk-1"));
                set(v, &p(I, "PPKMandatory"), i(1))
            },
        ),
        case("IKE2-C24", |v| set(v, &p(I, "PPKMandatory"), i(1)), none),
        case(
            "IKE2-C25",
            |v| {
                set(
                    v,
                    &p(I, "IKESecurityAssociationParameters.DiffieHellmanGroup"),
                    i(22),
                )
            },
            none,
        ),
        case(
            "IKE2-C26",
            |v| {
                del(
                    v,
                    &p(I, "ChildSecurityAssociationParameters.LifeTimeInMinutes"),
                )
            },
            none,
        ),
        case("IKE2-C27", |v| always_on(v, 2), |v| always_on(v, 19)),
        case(
            "IKE2-C28",
            |v| {
                set(
                    v,
                    &p(I, "ChildSecurityAssociationParameters.IntegrityAlgorithm"),
                    s("SHA2-256"),
                )
            },
            none,
        ),
        case("IKE2-C29", |v| set(v, &p(I, "EnablePFS"), i(0)), none),
        case(
            "IKE2-C31",
            |v| set(v, &p(I, "MTU"), i(1500)),
            |v| set(v, &p(I, "MTU"), i(1400)),
        ),
        case(
            "IKE2-C32",
            |v| set(v, &p(I, "NATKeepAliveInterval"), i(10)),
            none,
        ),
        case(
            "IKE2-C33",
            |v| set(v, &p(I, "NATKeepAliveInterval"), i(30)),
            none,
        ),
        case(
            "IKE2-C34",
            |v| set(v, &p(I, "DisconnectOnIdleTimer"), i(60)),
            |v| {
                set(v, &p(I, "DisconnectOnIdleTimer"), i(60));
                set(v, &p(I, "DisconnectOnIdle"), i(1))
            },
        ),
        case(
            "IKE2-C35",
            |v| set(v, &p(I, "DeadPeerDetectionRate"), s("None")),
            none,
        ),
        on(case("IKE2-C36", none, none), "ios:8.0", "ios:9.0"),
        case(
            "IKE2-C37",
            |v| {
                set(v, &p(I, "IncludeAllNetworks"), i(1));
                set(v, &p(I, "ExcludeLocalNetworks"), i(1));
                set(v, &p(I, "EnforceRoutes"), i(1))
            },
            |v| {
                set(v, &p(I, "IncludeAllNetworks"), i(1));
                set(v, &p(I, "ExcludeLocalNetworks"), i(1))
            },
        ),
        case(
            "IKE2-C38",
            |v| set(v, &p(I, "ExcludeLocalNetworks"), i(1)),
            none,
        ),
        case("IKE2-C39", |v| set(v, &p(I, "ExcludeAPNs"), i(0)), none),
        case(
            "IKE2-C40",
            |v| set(v, &p(V, "IPv4"), dict(vec![("OverridePrimary", i(1))])),
            none,
        ),
        case("IKE2-C41", |v| set(v, &p(I, "EnableFallback"), i(1)), none),
        on(
            case(
                "IKE2-C42",
                |v| set(v, &p(I, "OnDemandUserOverrideDisabled"), i(1)),
                none,
            ),
            "macos:14.0",
            "macos:14.0",
        ),
        case(
            "IKE2-C43",
            |v| vpn_provider(v, false),
            |v| vpn_provider(v, true),
        ),
        case(
            "IKE2-C44",
            |v| set(v, &p(I, "ProviderType"), s("packet-tunnel")),
            none,
        ),
        case(
            "IKE2-C45",
            |v| {
                set(
                    v,
                    &p(I, "OnDemandRules"),
                    rule_list(vec![dict(vec![("Action", s("Connect"))])]),
                )
            },
            |v| {
                set(v, &p(I, "OnDemandEnabled"), i(1));
                set(
                    v,
                    &p(I, "OnDemandRules"),
                    rule_list(vec![dict(vec![("Action", s("Connect"))])]),
                )
            },
        ),
        case(
            "IKE2-C46",
            |v| {
                set(v, &p(I, "OnDemandEnabled"), i(1));
                set(
                    v,
                    &p(I, "OnDemandRules"),
                    rule_list(vec![dict(vec![("Action", s("Start"))])]),
                )
            },
            none,
        ),
        case(
            "IKE2-C47",
            |v| {
                set(v, &p(I, "OnDemandEnabled"), i(1));
                set(
                    v,
                    &p(I, "OnDemandRules"),
                    rule_list(vec![dict(vec![
                        ("Action", s("Connect")),
                        (
                            "ActionParameters",
                            arr(vec![dict(vec![
                                ("Domains", arr(vec![s("example.com")])),
                                ("DomainAction", s("ConnectIfNeeded")),
                            ])]),
                        ),
                    ])]),
                )
            },
            |v| {
                set(v, &p(I, "OnDemandEnabled"), i(1));
                set(
                    v,
                    &p(I, "OnDemandRules"),
                    rule_list(vec![dict(vec![
                        ("Action", s("EvaluateConnection")),
                        (
                            "ActionParameters",
                            arr(vec![dict(vec![
                                ("Domains", arr(vec![s("example.com")])),
                                ("DomainAction", s("ConnectIfNeeded")),
                            ])]),
                        ),
                    ])]),
                )
            },
        ),
        case(
            "IKE2-C48",
            |v| {
                set(v, &p(I, "OnDemandEnabled"), i(1));
                set(
                    v,
                    &p(I, "OnDemandRules"),
                    rule_list(vec![dict(vec![
                        ("Action", s("EvaluateConnection")),
                        (
                            "ActionParameters",
                            arr(vec![dict(vec![
                                ("Domains", arr(vec![s("example.com")])),
                                ("DomainAction", s("NeverConnect")),
                                ("RequiredURLStringProbe", s("https://probe.example.com")),
                            ])]),
                        ),
                    ])]),
                )
            },
            |v| {
                set(v, &p(I, "OnDemandEnabled"), i(1));
                set(
                    v,
                    &p(I, "OnDemandRules"),
                    rule_list(vec![dict(vec![
                        ("Action", s("EvaluateConnection")),
                        (
                            "ActionParameters",
                            arr(vec![dict(vec![
                                ("Domains", arr(vec![s("example.com")])),
                                ("DomainAction", s("ConnectIfNeeded")),
                                ("RequiredURLStringProbe", s("https://probe.example.com")),
                            ])]),
                        ),
                    ])]),
                )
            },
        ),
        case(
            "IKE2-C49",
            |v| {
                set(v, &p(I, "OnDemandEnabled"), i(1));
                set(
                    v,
                    &p(I, "OnDemandRules"),
                    rule_list(vec![
                        dict(vec![("Action", s("Ignore"))]),
                        dict(vec![
                            ("Action", s("Connect")),
                            ("InterfaceTypeMatch", s("WiFi")),
                        ]),
                    ]),
                )
            },
            |v| {
                set(v, &p(I, "OnDemandEnabled"), i(1));
                set(
                    v,
                    &p(I, "OnDemandRules"),
                    rule_list(vec![
                        dict(vec![
                            ("Action", s("Connect")),
                            ("InterfaceTypeMatch", s("WiFi")),
                        ]),
                        dict(vec![("Action", s("Ignore"))]),
                    ]),
                )
            },
        ),
        case("IKE2-C50", |v| ipsec(v, true), |v| ipsec(v, false)),
        case(
            "IKE2-C51",
            |v| {
                set(
                    v,
                    &p(V, "DNS"),
                    dict(vec![
                        ("DNSProtocol", s("HTTPS")),
                        ("ServerAddresses", arr(vec![s("1.1.1.1")])),
                    ]),
                )
            },
            |v| {
                set(
                    v,
                    &p(V, "DNS"),
                    dict(vec![
                        ("DNSProtocol", s("HTTPS")),
                        ("ServerURL", s("https://dns.example.com/dns-query")),
                    ]),
                )
            },
        ),
        case(
            "IKE2-C52",
            |v| {
                set(
                    v,
                    &p(V, "DNS"),
                    dict(vec![
                        ("DNSProtocol", s("Cleartext")),
                        ("ServerAddresses", arr(vec![s("10.0.0.1")])),
                        ("SupplementalMatchDomains", arr(vec![s("")])),
                    ]),
                )
            },
            |v| {
                set(
                    v,
                    &p(V, "DNS"),
                    dict(vec![
                        ("DNSProtocol", s("Cleartext")),
                        ("ServerAddresses", arr(vec![s("10.0.0.1")])),
                        ("SupplementalMatchDomains", arr(vec![s("corp.example.com")])),
                    ]),
                )
            },
        ),
        case(
            "IKE2-C53",
            |v| {
                set(
                    v,
                    &p(V, "Proxies"),
                    dict(vec![("HTTPProxy", s("proxy.example.com"))]),
                )
            },
            |v| {
                set(
                    v,
                    &p(V, "Proxies"),
                    dict(vec![
                        ("HTTPProxy", s("proxy.example.com")),
                        ("HTTPPort", i(8080)),
                    ]),
                )
            },
        ),
        case(
            "IKE2-C54",
            |v| {
                always_on(v, 19);
                set(v, &p(V, "AlwaysOn.TunnelConfigurations"), arr(vec![]))
            },
            |v| always_on(v, 19),
        ),
        case(
            "IKE2-C55",
            |v| {
                always_on(v, 19);
                set(
                    v,
                    &p(V, "AlwaysOn.ServiceExceptions"),
                    arr(vec![dict(vec![
                        ("ServiceName", s("Voicemail")),
                        ("Action", s("Allow")),
                    ])]),
                )
            },
            |v| {
                always_on(v, 19);
                set(
                    v,
                    &p(V, "AlwaysOn.ServiceExceptions"),
                    arr(vec![dict(vec![
                        ("ServiceName", s("VoiceMail")),
                        ("Action", s("Allow")),
                    ])]),
                )
            },
        ),
        case(
            "IKE2-C56",
            |v| {
                always_on(v, 19);
                set(v, &p(V, "AlwaysOn.AllowAllCaptiveNetworkPlugins"), i(1));
                set(
                    v,
                    &p(V, "AlwaysOn.AllowedCaptiveNetworkPlugins"),
                    arr(vec![dict(vec![("BundleIdentifier", s("com.example.cn"))])]),
                )
            },
            |v| {
                always_on(v, 19);
                set(
                    v,
                    &p(V, "AlwaysOn.AllowedCaptiveNetworkPlugins"),
                    arr(vec![dict(vec![("BundleIdentifier", s("com.example.cn"))])]),
                )
            },
        ),
        case(
            "IKE2-A01",
            |v| del(v, &p(I, "ServerCertificateIssuerCommonName")),
            none,
        ),
        case(
            "IKE2-A02",
            |v| set(v, &p(I, "AuthenticationMethod"), s("Password")),
            none,
        ),
        case(
            "IKE2-A03",
            |v| {
                always_on(v, 19);
                del(v, &p(tc, "NATKeepAliveInterval"))
            },
            |v| always_on(v, 19),
        ),
        case(
            "IKE2-A04",
            |v| set(v, &p(I, "IncludeAllNetworks"), i(1)),
            |v| {
                set(v, &p(I, "IncludeAllNetworks"), i(1));
                set(v, &p(I, "ExcludeLocalNetworks"), i(1))
            },
        ),
        case(
            "IKE2-A05",
            |v| set(v, &p(I, "ExtendedAuthEnabled"), i(1)),
            none,
        ),
        case("IKE2-A06", |v| always_on(v, 19), none),
        case("IKE2-A08", |v| set(v, &p(V, "VPNType"), s("PPTP")), none),
        case(
            "IKE2-A09",
            |v| set(v, &p(V, "Proxies"), dict(vec![("HTTPSEnable", b(false))])),
            |v| set(v, &p(V, "Proxies"), dict(vec![("HTTPSEnable", i(0))])),
        ),
        case("IKE2-A10", |v| set(v, &p(I, "EnablePFS"), b(true)), none),
        case(
            "IKE2-D07",
            |v| set(v, &p(I, "NATKeepAliveInterval"), i(2000)),
            |v| set(v, &p(I, "NATKeepAliveInterval"), i(110)),
        ),
        case(
            "IKE2-D08",
            |v| set(v, &p(I, "CertificateType"), s("RSA-PSS")),
            none,
        ),
        case(
            "IKE2-D09",
            |v| set(v, &p(I, "LocalIdentifier"), s("")),
            none,
        ),
        case(
            "IKE2-D10",
            |v| set(v, &p(I, "ExtendedAuthEnabled"), i(1)),
            |v| {
                set(v, &p(I, "ExtendedAuthEnabled"), i(1));
                set(v, &p(I, "TLSMinimumVersion"), s("1.2"))
            },
        ),
        case(
            "IKE2-D12",
            |v| {
                set(v, &p(V, "PayloadType"), s("com.apple.vpn.managed.applayer"));
                set(
                    v,
                    &p(V, "VPNUUID"),
                    s("66666666-6666-4666-8666-666666666666"),
                )
            },
            none,
        ),
        case(
            "IKE2-D15",
            |v| {
                always_on(v, 19);
                set(
                    v,
                    &p(V, "AlwaysOn.ServiceExceptions"),
                    arr(vec![dict(vec![
                        ("ServiceName", s("VoiceMail")),
                        ("Action", s("Force")),
                    ])]),
                )
            },
            |v| {
                always_on(v, 19);
                set(
                    v,
                    &p(V, "AlwaysOn.ServiceExceptions"),
                    arr(vec![dict(vec![
                        ("ServiceName", s("VoiceMail")),
                        ("Action", s("Drop")),
                    ])]),
                )
            },
        ),
        case(
            "IKE2-D17",
            |v| set(v, &p(I, "EnableMOBIKE"), i(1)),
            |v| set(v, &p(I, "DisableMOBIKE"), i(0)),
        ),
        case(
            "XP-01",
            |v| set(v, &p(CA, "PayloadContent"), data(b"not a certificate")),
            none,
        ),
        case(
            "XP-02",
            |v| set(v, &p(P12, "Password"), s("wrong-password")),
            none,
        ),
        case(
            "XP-03",
            |v| set(v, &p(I, "LocalIdentifier"), s("someone@elsewhere.example")),
            |v| set(v, &p(I, "LocalIdentifier"), s("client.example.com")),
        ),
        case(
            "XP-04",
            |v| set(v, &p(I, "ServerCertificateIssuerCommonName"), s("Other CA")),
            none,
        ),
        case(
            "SEC-01",
            |v| {
                set(
                    v,
                    &p(I, "IKESecurityAssociationParameters.EncryptionAlgorithm"),
                    s("3DES"),
                )
            },
            none,
        ),
        case(
            "SEC-02",
            |v| {
                set(
                    v,
                    &p(I, "IKESecurityAssociationParameters.EncryptionAlgorithm"),
                    s("AES-256"),
                );
                set(
                    v,
                    &p(I, "IKESecurityAssociationParameters.IntegrityAlgorithm"),
                    s("SHA1-96"),
                )
            },
            |v| {
                set(
                    v,
                    &p(I, "IKESecurityAssociationParameters.EncryptionAlgorithm"),
                    s("AES-256"),
                );
                set(
                    v,
                    &p(I, "IKESecurityAssociationParameters.IntegrityAlgorithm"),
                    s("SHA2-256"),
                )
            },
        ),
        case(
            "SEC-03",
            |v| {
                set(
                    v,
                    &p(I, "IKESecurityAssociationParameters.DiffieHellmanGroup"),
                    i(2),
                )
            },
            none,
        ),
        case("SEC-04", |v| del(v, &p(I, "EnablePFS")), none),
        case(
            "SEC-05",
            |v| {
                set(v, &p(I, "AuthenticationMethod"), s("SharedSecret"));
                set(v, &p(I, "SharedSecret"), s("short-psk"))
            },
            |v| {
                set(v, &p(I, "AuthenticationMethod"), s("SharedSecret"));
                set(
                    v,
                    &p(I, "SharedSecret"),
                    s("a-long-random-shared-secret-0123456789"),
                )
            },
        ),
        case("SEC-06", none, |v| del(v, &p(P12, "Password"))),
        on(
            case("SEC-07", |v| always_on(v, 2), |v| always_on(v, 19)),
            "ios:14.0",
            "ios:14.0",
        ),
        case(
            "SEC-08",
            |v| {
                set(v, &p(I, "ExtendedAuthEnabled"), i(1));
                set(v, &p(I, "TLSMinimumVersion"), s("1.0"))
            },
            |v| {
                set(v, &p(I, "ExtendedAuthEnabled"), i(1));
                set(v, &p(I, "TLSMinimumVersion"), s("1.2"))
            },
        ),
        case(
            "SEC-09",
            |v| set(v, &p(P12, "PayloadContent"), data(P12_RSA1024)),
            none,
        ),
    ]
}

/// Rules whose trigger cannot be built from a real schema entry; tested by unit tests instead.
const UNIT_TESTED: &[(&str, &str)] = &[(
    "SCH-09",
    "no key in Apple's snapshot has `removed`; walk::tests::removed_key_is_reported",
)];

#[test]
fn every_rule_triggers_and_has_a_clean_profile() {
    let mut failures = Vec::new();
    for c in cases() {
        let t = check(&(c.trigger)(), c.os);
        if !rules_of(&t).contains(&c.rule) {
            failures.push(format!(
                "{}: trigger did not fire; got {:?}",
                c.rule,
                rules_of(&t)
            ));
        }
        let clean = check(&(c.clean)(), c.clean_os.or(c.os));
        if rules_of(&clean).contains(&c.rule) {
            failures.push(format!("{}: clean profile still fires", c.rule));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_registered_rule_has_a_case() {
    let covered: BTreeSet<&str> = cases()
        .iter()
        .map(|c| c.rule)
        .chain(UNIT_TESTED.iter().map(|(r, _)| *r))
        .collect();
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !covered.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
}

/// The numbered constraints of the checked-in constraints doc (§2), e.g. "27. **E** ...".
fn doc_constraints() -> BTreeSet<u8> {
    let doc = include_str!("../rules/constraints.md");
    let start = doc.find("## 2.").expect("§2 in constraints.md");
    let end = doc[start..]
        .find("\n## 3.")
        .map_or(doc.len(), |e| start + e);
    doc[start..end]
        .lines()
        .filter_map(|l| {
            let (n, rest) = l.split_once(". ")?;
            (rest.starts_with("**") && n.chars().all(|c| c.is_ascii_digit()))
                .then(|| n.parse().ok())
                .flatten()
        })
        .collect()
}

#[test]
fn every_numbered_constraint_has_a_rule_with_cases() {
    let nums = doc_constraints();
    assert_eq!(nums.len(), 56, "constraints.md §2 lists 56 constraints");
    let case_rules: BTreeSet<&str> = cases().iter().map(|c| c.rule).collect();
    let mut missing = Vec::new();
    for n in nums {
        let rules: Vec<&str> = RULES
            .iter()
            .filter(|r| r.constraint == Some(n))
            .map(|r| r.id)
            .collect();
        if rules.is_empty() || !rules.iter().all(|r| case_rules.contains(r)) {
            missing.push(n);
        }
    }
    assert!(
        missing.is_empty(),
        "constraints without a tested rule: {missing:?}"
    );
}

#[test]
fn base_profile_is_clean_except_known_lint() {
    let r = check(&xml(&base()), None);
    assert_eq!(rules_of(&r), vec!["SEC-06"], "{:#?}", r.diagnostics);
    let r = check(&xml(&base()), Some("ios:17.4"));
    assert_eq!(rules_of(&r), vec!["SEC-06"], "{:#?}", r.diagnostics);
}

#[test]
fn lenient_types_are_warnings_and_strings_are_errors() {
    let real = mutate(|v| set(v, &p(V, "PayloadVersion"), Value::Real(1.0)));
    let r = check(&real, None);
    let d = r.diagnostics.iter().find(|d| d.rule == "IKE2-C02").unwrap();
    assert_eq!(d.severity, Severity::Warning);
    let string = mutate(|v| set(v, &p(V, "PayloadVersion"), s("1")));
    let r = check(&string, None);
    let d = r.diagnostics.iter().find(|d| d.rule == "IKE2-C02").unwrap();
    assert_eq!(d.severity, Severity::Error);
    let boolean = mutate(|v| set(v, &p(I, "EnablePFS"), b(true)));
    let r = check(&boolean, None);
    assert!(!r.has_errors(), "{:#?}", r.diagnostics);
}

#[test]
fn positions_and_paths_point_at_the_key() {
    let bytes = mutate(|v| set(v, &p(I, "MTU"), i(1500)));
    let text = String::from_utf8(bytes.clone()).unwrap();
    let r = check(&bytes, None);
    let d = r.diagnostics.iter().find(|d| d.rule == "IKE2-C31").unwrap();
    assert_eq!(d.path, "PayloadContent[0].IKEv2.MTU");
    let line = d.line.unwrap() as usize;
    assert!(text
        .lines()
        .nth(line - 1)
        .unwrap()
        .contains("<key>MTU</key>"));
    let col = d.column.unwrap() as usize;
    assert_eq!(
        &text.lines().nth(line - 1).unwrap()[col - 1..col + 4],
        "<key>"
    );
}

#[test]
fn did_you_mean_and_misplaced_keys() {
    let r = check(&mutate(|v| set(v, &p(I, "RemoteAdress"), s("x"))), None);
    let d = r.diagnostics.iter().find(|d| d.rule == "SCH-01").unwrap();
    assert!(
        d.help.contains("did you mean `RemoteAddress`"),
        "{}",
        d.help
    );
    let r = check(&mutate(|v| set(v, &p(V, "OnDemandEnabled"), i(1))), None);
    let d = r.diagnostics.iter().find(|d| d.rule == "SCH-01").unwrap();
    assert!(d.help.contains("`IKEv2`"), "{}", d.help);
}

#[test]
fn certificate_types_are_read_from_real_identities() {
    // RSA identity with ECDSA256 → C20 names the actual key.
    let r = check(
        &mutate(|v| set(v, &p(I, "CertificateType"), s("ECDSA256"))),
        None,
    );
    let d = r.diagnostics.iter().find(|d| d.rule == "IKE2-C20").unwrap();
    assert!(d.message.contains("RSA 2048-bit"), "{}", d.message);
    assert!(d.help.contains("RSA"));
    // P-384 identity (PBES2/AES, SHA-256 MAC) without CertificateType: default RSA mismatches.
    let r = check(
        &mutate(|v| {
            del(v, &p(I, "CertificateType"));
            set(v, &p(P12, "PayloadContent"), data(P12_EC384))
        }),
        None,
    );
    let d = r.diagnostics.iter().find(|d| d.rule == "IKE2-C20").unwrap();
    assert!(d.message.contains("P-384"), "{}", d.message);
    // RC2-40 legacy identity opens (SEC-09 proves the key was read).
    let r = check(
        &mutate(|v| set(v, &p(P12, "PayloadContent"), data(P12_RSA1024))),
        None,
    );
    assert!(rules_of(&r).contains(&"SEC-09"));
    assert!(!rules_of(&r).contains(&"XP-02"));
}
