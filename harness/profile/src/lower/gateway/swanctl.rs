//! strongSwan `swanctl.conf`: reading one connection as a [`Gateway`], and writing a connection
//! that accepts a lowered profile (`ikelab profile lower --format swanctl`).
//!
//! The reader understands the subset a gateway connection uses: `connections.<conn>` with
//! `proposals`, `local*`/`remote*` (`auth`, `id`, `eap_id`), `children.<child>.esp_proposals`,
//! `pools`, and `secrets.ike*`/`eap*` (`id*`, `secret`). A missing `proposals` means strongSwan's
//! built-in default, which is approximated (and said so in the gateway's notes).

use std::fmt::Write as _;

use ikelab_policy::{
    AddressPool, ChildPolicy, ChildProposal, EapMethod, EapUser, IdentityMatch, IkePolicy,
    IkeProposal, IpNet, Local, LocalAuth, Remote, RemoteAuth, Secret, TsSpec,
};

use super::{ClientAuth, Gateway, GatewayAuth, GatewayError};
use crate::lower::{LocalMethod, LoweredPayload, RemoteMethod};

/// A `name { ... }` section.
#[derive(Debug, Default, Clone)]
pub struct Section {
    pub name: String,
    pub line: usize,
    pub entries: Vec<(String, String, usize)>,
    pub children: Vec<Section>,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| v.as_str())
    }

    fn line_of(&self, key: &str) -> usize {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map_or(self.line, |(_, _, l)| *l)
    }

    pub fn child(&self, name: &str) -> Option<&Section> {
        self.children.iter().find(|c| c.name == name)
    }

    fn child_prefixed(&self, prefix: &str) -> Option<&Section> {
        self.children
            .iter()
            .find(|c| c.name == prefix || c.name.starts_with(&format!("{prefix}-")))
    }
}

fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Parses swanctl.conf syntax into a root section.
pub fn parse_sections(file: &str, text: &str) -> Result<Section, GatewayError> {
    let err = |line: usize, reason: String| GatewayError {
        file: file.into(),
        line,
        reason,
    };
    let mut stack = vec![Section::default()];
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let mut line = strip_comment(raw).trim();
        while !line.is_empty() {
            if let Some(rest) = line.strip_prefix('}') {
                if stack.len() < 2 {
                    return Err(err(line_no, "'}' without an open section".into()));
                }
                let done = stack.pop().unwrap_or_default();
                if let Some(top) = stack.last_mut() {
                    top.children.push(done);
                }
                line = rest.trim();
                continue;
            }
            if let Some((key, value)) = line.split_once('=') {
                if !key.contains('{') {
                    // The value ends at the line end or at an unquoted '}' (`local { auth = psk }`).
                    let mut quoted = false;
                    let end = value
                        .char_indices()
                        .find(|(_, c)| {
                            if *c == '"' {
                                quoted = !quoted;
                            }
                            *c == '}' && !quoted
                        })
                        .map_or(value.len(), |(i, _)| i);
                    let v = value[..end].trim().trim_matches('"').to_string();
                    if let Some(top) = stack.last_mut() {
                        top.entries.push((key.trim().to_string(), v, line_no));
                    }
                    line = value[end..].trim();
                    continue;
                }
            }
            if let Some((name, rest)) = line.split_once('{') {
                let name = name.trim();
                if name.is_empty() || name.contains(char::is_whitespace) {
                    return Err(err(line_no, format!("bad section name {name:?}")));
                }
                stack.push(Section {
                    name: name.to_string(),
                    line: line_no,
                    ..Section::default()
                });
                line = rest.trim();
                continue;
            }
            if stack.len() > 64 {
                return Err(err(line_no, "sections nested too deeply".into()));
            }
            return Err(err(
                line_no,
                format!("expected `key = value`, `name {{` or `}}`, found {line:?}"),
            ));
        }
    }
    if stack.len() != 1 {
        let open = stack.last().map_or(0, |s| s.line);
        return Err(err(open, "section not closed".into()));
    }
    Ok(stack.pop().unwrap_or_default())
}

/// strongSwan's `default` IKE proposals, approximated (AEAD and classic, modern groups).
const DEFAULT_IKE: &[&str] = &[
    "aes128-aes256-sha256-sha384-sha512-x25519-x448-ecp256-ecp384-ecp521-modp3072-modp4096-modp6144-modp8192",
    "aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-x448-ecp256-ecp384-ecp521-modp3072-modp4096-modp6144-modp8192",
];
const DEFAULT_ESP: &[&str] = &[
    "aes128gcm16-aes256gcm16-chacha20poly1305",
    "aes128-aes256-sha256-sha384-sha512",
];

fn proposals<T>(
    file: &str,
    line: usize,
    list: &str,
    defaults: &[&str],
    notes: &mut Vec<String>,
    parse: impl Fn(&str) -> Result<T, ikelab_policy::ProposalError>,
) -> Result<Vec<T>, GatewayError> {
    let mut out = Vec::new();
    for p in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if p == "default" {
            notes.push(format!(
                "`default` proposals approximated as {}",
                defaults.join(", ")
            ));
            out.extend(defaults.iter().filter_map(|d| parse(d).ok()));
            continue;
        }
        out.push(parse(p).map_err(|e| GatewayError {
            file: file.into(),
            line,
            reason: e.to_string(),
        })?);
    }
    Ok(out)
}

fn client_auth(v: &str) -> ClientAuth {
    match v {
        "psk" => ClientAuth::Psk,
        "eap-mschapv2" => ClientAuth::EapMschapv2,
        "eap-tls" => ClientAuth::EapTls,
        v if v.starts_with("eap") => ClientAuth::EapAny,
        _ => ClientAuth::Pubkey,
    }
}

/// Reads the first connection of a swanctl.conf.
pub fn parse(file: &str, text: &str) -> Result<Gateway, GatewayError> {
    let root = parse_sections(file, text)?;
    let err = |line: usize, reason: &str| GatewayError {
        file: file.into(),
        line,
        reason: reason.into(),
    };
    let conns = root
        .child("connections")
        .ok_or_else(|| err(0, "no `connections` section"))?;
    let conn = conns
        .children
        .first()
        .ok_or_else(|| err(conns.line, "`connections` is empty"))?;
    let mut notes = Vec::new();
    let ike_proposals = proposals(
        file,
        conn.line_of("proposals"),
        conn.get("proposals").unwrap_or("default"),
        DEFAULT_IKE,
        &mut notes,
        IkeProposal::parse,
    )?;
    let child = conn.child("children").and_then(|c| c.children.first());
    let esp_list = child
        .and_then(|c| c.get("esp_proposals"))
        .unwrap_or("default");
    let esp_line = child.map_or(conn.line, |c| c.line_of("esp_proposals"));
    let esp_proposals = proposals(
        file,
        esp_line,
        esp_list,
        DEFAULT_ESP,
        &mut notes,
        ChildProposal::parse,
    )?;
    let local = conn.child_prefixed("local");
    let remote = conn.child_prefixed("remote");
    let auth = match local.and_then(|l| l.get("auth")).unwrap_or("pubkey") {
        "psk" => GatewayAuth::Psk,
        _ => GatewayAuth::Pubkey,
    };
    let client = client_auth(remote.and_then(|r| r.get("auth")).unwrap_or("pubkey"));
    let id = match local.and_then(|l| l.get("id")) {
        Some(v) => Some(v.parse().map_err(|e: ikelab_policy::IdentityError| {
            err(local.map_or(0, |l| l.line_of("id")), &e.to_string())
        })?),
        None => None,
    };
    let accepts: IdentityMatch = match remote.and_then(|r| r.get("id")) {
        Some(v) => v.parse().map_err(|e: ikelab_policy::IdentityError| {
            err(remote.map_or(0, |r| r.line_of("id")), &e.to_string())
        })?,
        None => IdentityMatch::Any,
    };

    // A responder policy for the simulation: PSK gateways (certificates are files) checking
    // the device by PSK or by EAP-MSCHAPv2 against the `secrets.eap*` users.
    let secrets = root.child("secrets");
    let secret = secrets.and_then(|s| {
        s.children
            .iter()
            .filter(|c| c.name.starts_with("ike"))
            .find_map(|c| c.get("secret"))
    });
    let (policy, policy_note) = match (auth, secret) {
        (GatewayAuth::Psk, Some(sec)) => match Secret::parse(sec) {
            Ok(secret) => match sim_client_auth(client, &secret, secrets) {
                Ok(remote_auth) => {
                    let mut p = IkePolicy::new(
                        Local {
                            id: id.clone(),
                            auth: LocalAuth::Psk { secret },
                        },
                        Remote {
                            id: accepts.clone(),
                            auth: remote_auth,
                        },
                    );
                    p.name = conn.name.clone();
                    p.ike_proposals = ike_proposals.clone();
                    let local_ts: Vec<TsSpec> = child
                        .and_then(|c| c.get("local_ts"))
                        .map(|v| v.split(',').filter_map(|t| t.trim().parse().ok()).collect())
                        .unwrap_or_else(|| vec![TsSpec::DYNAMIC]);
                    p.children = vec![ChildPolicy {
                        name: child.map_or("child".into(), |c| c.name.clone()),
                        proposals: esp_proposals.clone(),
                        local_ts: if local_ts.is_empty() {
                            vec![TsSpec::DYNAMIC]
                        } else {
                            local_ts
                        },
                        ..ChildPolicy::default()
                    }];
                    p.pool = conn.get("pools").and_then(|names| {
                        let pools = root.child("pools")?;
                        let name = names.split(',').next()?.trim();
                        let addrs = pools.child(name)?.get("addrs")?;
                        let ranges: Vec<IpNet> = addrs
                            .split(',')
                            .filter_map(|a| a.trim().parse().ok())
                            .collect();
                        (!ranges.is_empty()).then_some(AddressPool {
                            ranges,
                            dns: Vec::new(),
                            domains: Vec::new(),
                        })
                    });
                    (Some(p), None)
                }
                Err(why) => (None, Some(why)),
            },
            Err(e) => (
                None,
                Some(format!("the PSK in `secrets` does not parse: {e}")),
            ),
        },
        (GatewayAuth::Psk, None) => (
            None,
            Some("no `secrets` entry with the PSK (generate with --with-secrets)".into()),
        ),
        (GatewayAuth::Pubkey, _) => (
            None,
            Some(format!(
                "the simulated gateway authenticates with a PSK only; this one uses local auth {}",
                auth.label()
            )),
        ),
    };
    Ok(Gateway {
        kind: "swanctl",
        name: conn.name.clone(),
        address: conn.get("local_addrs").map(str::to_string),
        ike_proposals,
        esp_proposals,
        id,
        accepts,
        auth,
        client_auth: client,
        notes,
        policy,
        policy_note,
    })
}

/// How the simulated gateway checks the device: the same PSK, or EAP-MSCHAPv2 users from
/// `secrets.eap*` (`id`, `secret`).
fn sim_client_auth(
    client: ClientAuth,
    psk: &Secret,
    secrets: Option<&Section>,
) -> Result<RemoteAuth, String> {
    match client {
        ClientAuth::Psk => Ok(RemoteAuth::Psk {
            secret: psk.clone(),
        }),
        ClientAuth::EapMschapv2 => {
            let mut users = Vec::new();
            for c in secrets
                .map(|s| s.children.as_slice())
                .unwrap_or_default()
                .iter()
                .filter(|c| c.name.starts_with("eap"))
            {
                let (Some(identity), Some(secret)) = (c.get("id"), c.get("secret")) else {
                    continue;
                };
                let password = Secret::parse(secret).map_err(|e| {
                    format!("the secret of `secrets.{}` does not parse: {e}", c.name)
                })?;
                users.push(EapUser {
                    identity: identity.to_string(),
                    password,
                });
            }
            if users.is_empty() {
                return Err("no `secrets.eap*` entry with an id and a secret for the EAP-MSCHAPv2 users (the profile has no AuthName/AuthPassword, or rerun with --with-secrets)".into());
            }
            Ok(RemoteAuth::Eap {
                eap_method: EapMethod::Mschapv2,
                users,
                tls: None,
            })
        }
        other => Err(format!(
            "the simulated gateway checks devices by PSK or EAP-MSCHAPv2; this one uses remote auth {}",
            other.label()
        )),
    }
}

/// Options for the generated gateway.
#[derive(Debug, Clone)]
pub struct EmitOptions {
    /// Write the PSK into `secrets` (only when explicitly asked; `<redacted>` otherwise).
    pub with_secrets: bool,
    /// Address pool for the device's virtual IP (iOS always requests one).
    pub pool: String,
}

impl Default for EmitOptions {
    fn default() -> Self {
        Self {
            with_secrets: false,
            pool: "10.99.0.0/24".into(),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A swanctl.conf connection that accepts the lowered payload, and what it needs from the
/// operator (server certificate, EAP users) as comments.
pub fn emit(p: &LoweredPayload, file: &str, opts: &EmitOptions) -> String {
    let name: String = p
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let name = if name.trim_matches('-').is_empty() {
        "profile".to_string()
    } else {
        name.trim_matches('-').to_string()
    };
    let mut o = String::new();
    let _ = writeln!(o, "# strongSwan gateway for {file} {} ({:?}), generated by `ikelab profile lower --format swanctl`.", p.path, p.name);
    let _ = writeln!(
        o,
        "# The device proposes exactly one IKE and one ESP proposal; this connection accepts them."
    );
    if p.ike_proposals
        .iter()
        .chain(&p.esp_proposals)
        .any(|x| x.strongswan.contains("-ke1_"))
    {
        let _ = writeln!(
            o,
            "# The proposals carry RFC 9370 additional key exchanges (ML-KEM, iOS/macOS 26): strongSwan 6.0+ with the ml plugin."
        );
    }
    let _ = writeln!(
        o,
        "# Device timers (local, not negotiated): IKE rekey {} s, CHILD rekey {} s, DPD {}.",
        p.ike_rekey_s,
        p.child_rekey_s,
        p.dpd_interval_s.map_or("off".into(), |s| format!("{s} s"))
    );
    let _ = writeln!(o, "connections {{");
    let _ = writeln!(o, "  {name} {{");
    let _ = writeln!(o, "    version = 2");
    let ike: Vec<&str> = p
        .ike_proposals
        .iter()
        .map(|x| x.strongswan.as_str())
        .collect();
    let _ = writeln!(o, "    proposals = {}", ike.join(","));
    let _ = writeln!(o, "    mobike = {}", if p.mobike { "yes" } else { "no" });
    let _ = writeln!(o, "    fragmentation = yes");
    let _ = writeln!(o, "    pools = {name}-pool");
    let _ = writeln!(o, "    local {{");
    match p.auth.remote_method {
        RemoteMethod::Psk => {
            let _ = writeln!(o, "      auth = psk");
        }
        RemoteMethod::Signature => {
            let _ = writeln!(o, "      auth = pubkey");
            let _ = writeln!(
                o,
                "      # certs = gateway.pem  (subject/SAN must contain {:?}; serverAuth EKU)",
                p.auth.server_certificate_name.as_deref().unwrap_or("")
            );
        }
    }
    if let Some(r) = p.remote_id.as_ref().and_then(|r| r.identity.as_ref()) {
        let _ = writeln!(o, "      id = {r}");
    }
    let _ = writeln!(o, "    }}");
    let _ = writeln!(o, "    remote {{");
    let auth = match &p.auth.local_method {
        LocalMethod::Psk => "psk",
        LocalMethod::Signature { .. } => "pubkey",
        LocalMethod::EapMschapv2 => "eap-mschapv2",
        LocalMethod::EapTls => "eap-tls",
    };
    let _ = writeln!(o, "      auth = {auth}");
    match p.local_id.as_ref().and_then(|l| l.identity.as_ref()) {
        Some(id) => {
            let _ = writeln!(o, "      id = {id}");
        }
        None => {
            let _ = writeln!(o, "      id = %any");
        }
    }
    if p.auth.local_method.is_eap() {
        let _ = writeln!(o, "      eap_id = %any");
    }
    let _ = writeln!(o, "    }}");
    let _ = writeln!(o, "    children {{");
    let _ = writeln!(o, "      {name} {{");
    let esp: Vec<&str> = p
        .esp_proposals
        .iter()
        .map(|x| x.strongswan.as_str())
        .collect();
    let _ = writeln!(o, "        esp_proposals = {}", esp.join(","));
    let _ = writeln!(o, "        local_ts = 0.0.0.0/0,::/0");
    let _ = writeln!(o, "      }}");
    let _ = writeln!(o, "    }}");
    let _ = writeln!(o, "  }}");
    let _ = writeln!(o, "}}");
    let _ = writeln!(o, "pools {{");
    let _ = writeln!(o, "  {name}-pool {{");
    let _ = writeln!(o, "    addrs = {}", opts.pool);
    let _ = writeln!(o, "  }}");
    let _ = writeln!(o, "}}");
    // One SharedSecret serves the device (SharedSecret auth) or the gateway (EAP client with
    // a PSK-authenticated gateway). The EAP password may be missing (the device prompts).
    let psk = p.shared_secret.clone();
    let eap_password = p.policy.as_ref().and_then(|pol| match &pol.local.auth {
        LocalAuth::Eap { password, .. } => Some(password.clone()),
        _ => None,
    });
    let uses_psk =
        p.auth.local_method == LocalMethod::Psk || p.auth.remote_method == RemoteMethod::Psk;
    let uses_eap = p.auth.local_method == LocalMethod::EapMschapv2;
    if !uses_psk && !uses_eap {
        return o;
    }
    let _ = writeln!(o, "secrets {{");
    if uses_psk {
        let _ = writeln!(o, "  ike-{name} {{");
        if let Some(r) = p.remote_id.as_ref().and_then(|r| r.identity.as_ref()) {
            let _ = writeln!(o, "    id-gateway = {r}");
        }
        match (opts.with_secrets, psk) {
            (true, Some(s)) => {
                let _ = writeln!(o, "    secret = 0x{}", hex(s.expose()));
            }
            (true, None) => {
                let _ = writeln!(
                    o,
                    "    # secret = ...  (the profile has no usable SharedSecret)"
                );
            }
            (false, _) => {
                let _ = writeln!(o, "    secret = \"<redacted>\"  # rerun with --with-secrets to write the profile's PSK");
            }
        }
        let _ = writeln!(o, "  }}");
    }
    if uses_eap {
        match (&p.eap_identity, opts.with_secrets, eap_password) {
            (Some(id), true, Some(password)) => {
                let _ = writeln!(o, "  eap-{name} {{");
                let _ = writeln!(o, "    id = {id}");
                let _ = writeln!(o, "    secret = 0x{}", hex(password.expose()));
                let _ = writeln!(o, "  }}");
            }
            (Some(id), false, Some(_)) => {
                let _ = writeln!(o, "  eap-{name} {{");
                let _ = writeln!(o, "    id = {id}");
                let _ = writeln!(o, "    secret = \"<redacted>\"  # rerun with --with-secrets to write the profile's AuthPassword");
                let _ = writeln!(o, "  }}");
            }
            (Some(id), _, None) => {
                let _ = writeln!(o, "  # eap-{name} {{ id = {id}  secret = <the password the user types> }}  (the profile has no AuthPassword)");
            }
            (None, _, _) => {
                let _ = writeln!(
                    o,
                    "  # eap-user {{ id = <AuthName>  secret = <password> }}  (the profile has no AuthName: the device asks the user)"
                );
            }
        }
    }
    let _ = writeln!(o, "}}");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_errors() {
        let t = "connections {\n  gw { # c\n    proposals = aes256-sha256-modp2048\n    local { auth = psk }\n  }\n}\n";
        let root = parse_sections("t", t).unwrap();
        let gw = &root.child("connections").unwrap().children[0];
        assert_eq!(gw.get("proposals"), Some("aes256-sha256-modp2048"));
        assert_eq!(gw.child("local").unwrap().get("auth"), Some("psk"));
        let e = parse_sections("t", "connections {\n  x {\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse_sections("t", "}\n").unwrap_err();
        assert!(e.reason.contains("without an open"));
        let e = parse(
            "t",
            "connections {\n gw {\n proposals = aes257-sha1-modp2048\n }\n}\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }
}
