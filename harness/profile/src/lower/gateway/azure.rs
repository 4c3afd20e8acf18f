//! Azure VPN Gateway point-to-site: the `VpnSettings.xml` of the client package's `Generic`
//! folder (server name, tunnel types, RADIUS) together with Azure's documented default P2S
//! IKEv2/IPsec policy table (MicrosoftDocs azure-docs `point-to-site-about.md`, recorded in
//! shared/notes/anchors.md): 17 IKE and 11 IPsec policies. Azure P2S authenticates the gateway
//! with a certificate and the client with a certificate (or EAP via RADIUS); it has no PSK.

use ikelab_policy::{ChildProposal, Identity, IdentityMatch, IkeProposal};
use quick_xml::events::Event;

use super::{ClientAuth, Gateway, GatewayAuth, GatewayError};

/// Azure's default P2S IKE policies: GCM_AES256 × PRF {SHA384, SHA256} × DH {24, 14, ECP384,
/// ECP256}; AES256/SHA384 and AES256/SHA256 × the same groups; AES256/SHA256/GROUP_2.
pub const AZURE_IKE: &[&str] = &[
    "aes256gcm16-prfsha384-modp2048s256",
    "aes256gcm16-prfsha384-modp2048",
    "aes256gcm16-prfsha384-ecp384",
    "aes256gcm16-prfsha384-ecp256",
    "aes256gcm16-prfsha256-modp2048s256",
    "aes256gcm16-prfsha256-modp2048",
    "aes256gcm16-prfsha256-ecp384",
    "aes256gcm16-prfsha256-ecp256",
    "aes256-sha384-modp2048s256",
    "aes256-sha384-modp2048",
    "aes256-sha384-ecp384",
    "aes256-sha384-ecp256",
    "aes256-sha256-modp2048s256",
    "aes256-sha256-modp2048",
    "aes256-sha256-ecp384",
    "aes256-sha256-ecp256",
    "aes256-sha256-modp1024",
];

/// Azure's default P2S IPsec policies: GCM_AES256 and AES256/SHA256 with PFS {none, 24, 14,
/// ECP384, ECP256}; AES256/SHA1 without PFS.
pub const AZURE_ESP: &[&str] = &[
    "aes256gcm16",
    "aes256gcm16-modp2048s256",
    "aes256gcm16-modp2048",
    "aes256gcm16-ecp384",
    "aes256gcm16-ecp256",
    "aes256-sha256",
    "aes256-sha256-modp2048s256",
    "aes256-sha256-modp2048",
    "aes256-sha256-ecp384",
    "aes256-sha256-ecp256",
    "aes256-sha1",
];

/// Text of the elements of VpnSettings.xml, by local name.
fn elements(file: &str, text: &str) -> Result<Vec<(String, String)>, GatewayError> {
    let mut r = quick_xml::Reader::from_str(text);
    let mut out = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => {
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                if stack.len() > 32 {
                    return Err(GatewayError {
                        file: file.into(),
                        line: 0,
                        reason: "XML nested too deeply".into(),
                    });
                }
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(t)) => {
                if let (Some(name), Ok(s)) = (stack.last(), t.decode()) {
                    let s = s.trim();
                    if !s.is_empty() {
                        out.push((name.clone(), s.to_string()));
                    }
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(GatewayError {
                    file: file.into(),
                    line: 0,
                    reason: format!("not well-formed XML at byte {}: {e}", r.buffer_position()),
                })
            }
        }
    }
    Ok(out)
}

pub fn parse(file: &str, text: &str) -> Result<Gateway, GatewayError> {
    let els = elements(file, text)?;
    let get = |n: &str| els.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let server = get("VpnServer").ok_or_else(|| GatewayError {
        file: file.into(),
        line: 0,
        reason: "no <VpnServer>: not an Azure P2S VpnSettings.xml (use the Generic folder's file)"
            .into(),
    })?;
    let vpn_type = get("VpnType").unwrap_or("");
    let mut notes = vec![
        "proposals: Azure's documented default P2S IKEv2 (17) and IPsec (11) policy table; a custom IPsec/IKE policy on the gateway replaces it".to_string(),
        "the gateway's identity is its VpnServer name; it authenticates with a certificate".to_string(),
    ];
    if !vpn_type.to_ascii_lowercase().contains("ikev2") {
        notes.push(format!(
            "VpnType {vpn_type:?} does not include IKEv2: the gateway does not accept IKEv2 at all"
        ));
    }
    let radius = els
        .iter()
        .any(|(k, v)| k.to_ascii_lowercase().contains("radius") && !v.is_empty());
    let ike_proposals = if vpn_type.to_ascii_lowercase().contains("ikev2") {
        AZURE_IKE
            .iter()
            .filter_map(|p| IkeProposal::parse(p).ok())
            .collect()
    } else {
        Vec::new()
    };
    Ok(Gateway {
        kind: "azure-p2s",
        name: server.to_string(),
        address: Some(server.to_string()),
        ike_proposals,
        esp_proposals: AZURE_ESP.iter().filter_map(|p| ChildProposal::parse(p).ok()).collect(),
        id: Some(Identity::fqdn(server)),
        accepts: IdentityMatch::Any,
        auth: GatewayAuth::Pubkey,
        client_auth: if radius { ClientAuth::EapAny } else { ClientAuth::Pubkey },
        notes,
        policy: None,
        policy_note: Some("Azure P2S authenticates with certificates issued for the gateway; the simulation has none (use --live against the gateway)".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_counts() {
        assert_eq!(
            AZURE_IKE
                .iter()
                .filter(|p| IkeProposal::parse(p).is_ok())
                .count(),
            17
        );
        assert_eq!(
            AZURE_ESP
                .iter()
                .filter(|p| ChildProposal::parse(p).is_ok())
                .count(),
            11
        );
        let g = parse("v.xml", "<VpnProfile><VpnServer>azuregateway-1.vpn.azure.com</VpnServer><VpnType>IkeV2</VpnType></VpnProfile>").unwrap();
        assert_eq!(g.ike_proposals.len(), 17);
        assert_eq!(g.client_auth, ClientAuth::Pubkey);
        assert!(parse("v.xml", "<VpnProfile/>").is_err());
        assert!(parse("v.xml", "<a><b></a>").is_err());
    }
}
