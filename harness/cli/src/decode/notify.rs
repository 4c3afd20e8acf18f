//! What a Notify's data means, for the text output: the SPI it is about, and the data of the
//! types whose format an RFC defines (hash algorithms, accepted group, redirect gateway, MOBIKE
//! addresses); other data as hex when short, its length when not.

use std::net::{Ipv4Addr, Ipv6Addr};

use ikelab_wire::iana::NotifyType;
use ikelab_wire::payload::NotifyPayload;

/// Data longer than this is summarised by its length only.
const HEX_LIMIT: usize = 32;

/// The text after `Notify: TYPE`.
pub fn detail(n: &NotifyPayload) -> String {
    let mut out = String::new();
    if !n.spi.is_empty() {
        out.push_str(&format!(" {} SPI {}", n.protocol, hex::encode(&n.spi)));
    }
    let data = if let Some(algs) = n.signature_hash_algorithms() {
        let names: Vec<String> = algs.iter().map(ToString::to_string).collect();
        format!("[{}]", names.join(", "))
    } else if let Some(group) = n.invalid_ke_group() {
        format!("accepted group {group}")
    } else if let Some(gw) = redirect_gateway(n) {
        format!("gateway {gw}")
    } else if let Some(addr) = additional_address(n) {
        addr
    } else if n.data.is_empty() {
        return out;
    } else if n.data.len() <= HEX_LIMIT {
        format!("{} bytes {}", n.data.len(), hex::encode(&n.data))
    } else {
        format!("{} bytes data", n.data.len())
    };
    out.push_str(&format!(" ({data})"));
    out
}

/// RFC 5685 §4.2: GW Ident Type (1 IPv4, 2 IPv6, 3 FQDN), GW Ident Len, the identity, then
/// an optional nonce (REDIRECT in IKE_SA_INIT).
fn redirect_gateway(n: &NotifyPayload) -> Option<String> {
    if n.notify_type != NotifyType::REDIRECT && n.notify_type != NotifyType::REDIRECTED_FROM {
        return None;
    }
    let (&kind, rest) = n.data.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let ident = rest.get(..usize::from(len))?;
    let nonce = rest.len() - ident.len();
    let gw = match (kind, ident.len()) {
        (1, 4) => Ipv4Addr::from(<[u8; 4]>::try_from(ident).ok()?).to_string(),
        (2, 16) => Ipv6Addr::from(<[u8; 16]>::try_from(ident).ok()?).to_string(),
        (3, _) => String::from_utf8_lossy(ident).into_owned(),
        _ => return None,
    };
    Some(if nonce > 0 {
        format!("{gw}, nonce {nonce} bytes")
    } else {
        gw
    })
}

/// RFC 4555 §4.2: one address per ADDITIONAL_IP4/6_ADDRESS.
fn additional_address(n: &NotifyPayload) -> Option<String> {
    match n.notify_type {
        NotifyType::ADDITIONAL_IP4_ADDRESS => {
            Some(Ipv4Addr::from(<[u8; 4]>::try_from(n.data.as_slice()).ok()?).to_string())
        }
        NotifyType::ADDITIONAL_IP6_ADDRESS => {
            Some(Ipv6Addr::from(<[u8; 16]>::try_from(n.data.as_slice()).ok()?).to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikelab_wire::iana::ProtocolId;

    fn notify(t: NotifyType, data: &[u8]) -> NotifyPayload {
        NotifyPayload::new(t, data.to_vec())
    }

    #[test]
    fn known_formats_are_spelled_out() {
        assert_eq!(
            detail(&notify(
                NotifyType::SIGNATURE_HASH_ALGORITHMS,
                &[0, 2, 0, 5]
            )),
            " ([SHA2_256, IDENTITY])"
        );
        assert_eq!(
            detail(&notify(NotifyType::INVALID_KE_PAYLOAD, &[0, 19])),
            " (accepted group ECP_256)"
        );
        let mut redirect = vec![3, 11];
        redirect.extend_from_slice(b"gw2.example");
        redirect.extend_from_slice(&[7; 16]);
        assert_eq!(
            detail(&notify(NotifyType::REDIRECT, &redirect)),
            " (gateway gw2.example, nonce 16 bytes)"
        );
        assert_eq!(
            detail(&notify(NotifyType::REDIRECTED_FROM, &[1, 4, 192, 0, 2, 9])),
            " (gateway 192.0.2.9)"
        );
        assert_eq!(
            detail(&notify(
                NotifyType::ADDITIONAL_IP4_ADDRESS,
                &[198, 51, 100, 3]
            )),
            " (198.51.100.3)"
        );
    }

    #[test]
    fn other_data_is_hex_or_a_length_and_the_spi_is_named() {
        assert_eq!(
            detail(&notify(NotifyType::COOKIE, &[0xab; 4])),
            " (4 bytes abababab)"
        );
        assert_eq!(
            detail(&notify(NotifyType::COOKIE, &[0; 64])),
            " (64 bytes data)"
        );
        assert_eq!(detail(&notify(NotifyType::USE_PPK, &[])), "");
        let mut rekey = notify(NotifyType::REKEY_SA, &[]);
        rekey.protocol = ProtocolId::ESP;
        rekey.spi = vec![0xc0, 0xff, 0xee, 0x01];
        assert_eq!(detail(&rekey), " ESP SPI c0ffee01");
        // A truncated redirect falls back to hex instead of failing.
        assert_eq!(
            detail(&notify(NotifyType::REDIRECT, &[3, 40, b'x'])),
            " (3 bytes 032878)"
        );
    }
}
