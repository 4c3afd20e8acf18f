//! Wireshark key tables (`ikev2_decryption_table`, `esp_sa` UAT lines) from engine events, for
//! an explicitly requested key log. The strings are the ones Wireshark's IKEv2 and ESP
//! dissectors list in their preference dialogs.

use ikelab_wire::iana::{EncrId, IntegId};

use crate::event::{ChildSaInfo, IkeKeyLog};

fn ike_encr(id: EncrId, bits: Option<u16>) -> Option<String> {
    Some(match (id, bits) {
        (EncrId::NULL, _) => "NULL [RFC2410]".into(),
        (EncrId::TRIPLE_DES, _) => "3DES [RFC2451]".into(),
        (EncrId::AES_CBC, Some(b)) => format!("AES-CBC-{b} [RFC3602]"),
        (EncrId::AES_GCM_8, Some(b)) => format!("AES-GCM-{b} with 8 octet ICV [RFC5282]"),
        (EncrId::AES_GCM_12, Some(b)) => format!("AES-GCM-{b} with 12 octet ICV [RFC5282]"),
        (EncrId::AES_GCM_16, Some(b)) => format!("AES-GCM-{b} with 16 octet ICV [RFC5282]"),
        (EncrId::CHACHA20_POLY1305, _) => "CHACHA20-POLY1305 [RFC7634]".into(),
        _ => return None,
    })
}

fn ike_integ(id: Option<IntegId>) -> Option<&'static str> {
    Some(match id {
        None | Some(IntegId::NONE) => "NONE [RFC4306]",
        Some(IntegId::HMAC_MD5_96) => "HMAC_MD5_96 [RFC2403]",
        Some(IntegId::HMAC_SHA1_96) => "HMAC_SHA1_96 [RFC2404]",
        Some(IntegId::HMAC_SHA2_256_128) => "HMAC_SHA2_256_128 [RFC4868]",
        Some(IntegId::HMAC_SHA2_384_192) => "HMAC_SHA2_384_192 [RFC4868]",
        Some(IntegId::HMAC_SHA2_512_256) => "HMAC_SHA2_512_256 [RFC4868]",
        _ => return None,
    })
}

fn esp_encr(id: EncrId) -> Option<&'static str> {
    Some(match id {
        EncrId::NULL => "NULL",
        EncrId::TRIPLE_DES => "TripleDES-CBC [RFC2451]",
        EncrId::AES_CBC => "AES-CBC [RFC3602]",
        EncrId::AES_GCM_8 => "AES-GCM with 8 octet ICV [RFC4106]",
        EncrId::AES_GCM_12 => "AES-GCM with 12 octet ICV [RFC4106]",
        EncrId::AES_GCM_16 => "AES-GCM with 16 octet ICV [RFC4106]",
        EncrId::CHACHA20_POLY1305 => "CHACHA20-POLY1305 [RFC7634]",
        _ => return None,
    })
}

fn esp_integ(id: Option<IntegId>) -> Option<&'static str> {
    Some(match id {
        None | Some(IntegId::NONE) => "NULL",
        Some(IntegId::HMAC_SHA1_96) => "HMAC-SHA-1-96 [RFC2404]",
        Some(IntegId::HMAC_SHA2_256_128) => "HMAC-SHA-256-128 [RFC4868]",
        Some(IntegId::HMAC_SHA2_384_192) => "HMAC-SHA-384-192 [RFC4868]",
        Some(IntegId::HMAC_SHA2_512_256) => "HMAC-SHA-512-256 [RFC4868]",
        _ => return None,
    })
}

impl IkeKeyLog {
    /// One `ikev2_decryption_table` line (secret!), `None` for ciphers Wireshark lacks.
    pub fn wireshark_line(&self) -> Option<String> {
        Some(format!(
            "{:016x},{:016x},{},{},\"{}\",{},{},\"{}\"",
            self.spi_i,
            self.spi_r,
            self.sk_ei.expose_hex(),
            self.sk_er.expose_hex(),
            ike_encr(self.encryption, self.key_bits)?,
            self.sk_ai.expose_hex(),
            self.sk_ar.expose_hex(),
            ike_integ(self.integrity)?,
        ))
    }
}

impl ChildSaInfo {
    /// The two `esp_sa` lines (outbound, inbound; secret!), empty for ciphers Wireshark lacks.
    pub fn wireshark_lines(&self) -> Vec<String> {
        let (Some(encr), Some(integ)) = (
            esp_encr(self.transforms.encryption.id),
            esp_integ(self.transforms.integrity),
        ) else {
            return Vec::new();
        };
        let proto = if self.local.is_ipv6() { "IPv6" } else { "IPv4" };
        let line = |src: std::net::IpAddr, dst: std::net::IpAddr, spi: u32, k: &crate::EspKeys| {
            let ikey = if k.integrity.is_empty() {
                String::new()
            } else {
                format!("0x{}", k.integrity.expose_hex())
            };
            format!(
                "\"{proto}\",\"{src}\",\"{dst}\",\"0x{spi:08x}\",\"{encr}\",\"0x{}\",\"{integ}\",\"{ikey}\"",
                k.encryption.expose_hex()
            )
        };
        vec![
            line(
                self.local.ip(),
                self.remote.ip(),
                self.spi_out,
                &self.outbound,
            ),
            line(
                self.remote.ip(),
                self.local.ip(),
                self.spi_in,
                &self.inbound,
            ),
        ]
    }
}
