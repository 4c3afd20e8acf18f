//! A plain ikelab responder policy (TOML, `ikelab_policy::IkePolicy`) as a gateway.

use ikelab_policy::{IkePolicy, LocalAuth, RemoteAuth};

use super::{ClientAuth, Gateway, GatewayAuth, GatewayError};

pub fn parse(file: &str, text: &str) -> Result<Gateway, GatewayError> {
    let p = IkePolicy::from_toml(file, text).map_err(|e| GatewayError {
        file: file.into(),
        line: 0,
        reason: format!("not a swanctl.conf, VpnSettings.xml or ikelab policy: {e}"),
    })?;
    Ok(from_policy(p))
}

/// The gateway view of a responder policy.
pub fn from_policy(p: IkePolicy) -> Gateway {
    let auth = match p.local.auth {
        LocalAuth::Psk { .. } => GatewayAuth::Psk,
        // A responder cannot authenticate with EAP; treat as signature (the engine refuses it).
        LocalAuth::Pubkey { .. } | LocalAuth::Eap { .. } => GatewayAuth::Pubkey,
    };
    let client_auth = match &p.remote.auth {
        RemoteAuth::Psk { .. } => ClientAuth::Psk,
        RemoteAuth::Pubkey { .. } => ClientAuth::Pubkey,
        RemoteAuth::Eap { eap_method, .. } => match eap_method {
            ikelab_policy::EapMethod::Mschapv2 => ClientAuth::EapMschapv2,
            ikelab_policy::EapMethod::Tls => ClientAuth::EapTls,
            ikelab_policy::EapMethod::Md5 => ClientAuth::EapAny,
        },
    };
    Gateway {
        kind: "ikelab-policy",
        name: p.name.clone(),
        address: None,
        ike_proposals: p.ike_proposals.clone(),
        esp_proposals: p
            .children
            .first()
            .map(|c| c.proposals.clone())
            .unwrap_or_default(),
        id: p.local.id.clone(),
        accepts: p.remote.id.clone(),
        auth,
        client_auth,
        notes: Vec::new(),
        policy: Some(p),
        policy_note: None,
    }
}
