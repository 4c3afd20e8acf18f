//! The EAP-TLS server's check that the client certificate names the identity the client
//! claimed (RFC 5216 §5.2: the server checks that the peer's certificate matches the identity
//! it presented; strongSwan's TLS server likewise looks the client's key up by that identity,
//! so a certificate that merely chains to a trust anchor is not enough).
//!
//! Rule, per identity type (names compared without regard to ASCII case):
//! - FQDN: a subjectAltName dNSName equal to it;
//! - RFC 822 address: a subjectAltName rfc822Name equal to it;
//! - IPv4/IPv6 address: a subjectAltName iPAddress equal to it;
//! - distinguished name: the subject DN (attribute by attribute);
//! - for the first three, only when the certificate carries no subjectAltName of that type,
//!   a subject commonName equal to the name (the legacy fallback of RFC 6125 §6.4.4).
//!
//! The EAP identity is read as strongSwan reads identity strings (`C=.., CN=..` a DN, `a@b`
//! an address, an IP literal, else an FQDN). The IKE IDi is checked too when it is of one of
//! the types above; other types (KEY_ID, NULL) say nothing a certificate could confirm.

use std::net::IpAddr;

use ikelab_crypto::x509::{parse_certificate, CertInfo};
use ikelab_policy::Identity;
use ikelab_wire::iana::IdType;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::eap::EapError;

/// The certificate's names that identities are compared with.
struct Names {
    info: CertInfo,
    common_names: Vec<String>,
}

impl Names {
    fn parse(cert_der: &[u8]) -> Result<Self, EapError> {
        let bad = |e: String| EapError::BadCredentials(format!("TLS client certificate: {e}"));
        let info = parse_certificate(cert_der).map_err(|e| bad(e.to_string()))?;
        let (_, cert) = X509Certificate::from_der(cert_der).map_err(|e| bad(e.to_string()))?;
        let common_names = cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok().map(str::to_owned))
            .collect();
        Ok(Self { info, common_names })
    }

    /// Whether the certificate names `id` (the module's rule).
    fn name(&self, id: &Identity) -> bool {
        let i = &self.info;
        let text = core::str::from_utf8(&id.data).ok();
        let cn = |t: &str| self.common_names.iter().any(|c| c.eq_ignore_ascii_case(t));
        let named = |sans: &[String], t: &str| {
            if sans.is_empty() {
                cn(t)
            } else {
                sans.iter().any(|s| s.eq_ignore_ascii_case(t))
            }
        };
        match id.id_type {
            IdType::DER_ASN1_DN => {
                Identity::new(IdType::DER_ASN1_DN, i.subject_der.clone()).same_as(id)
            }
            IdType::FQDN => text.is_some_and(|t| named(&i.san_dns, t)),
            IdType::RFC822_ADDR => text.is_some_and(|t| named(&i.san_email, t)),
            IdType::IPV4_ADDR | IdType::IPV6_ADDR => {
                let Some(ip) = ip_of(&id.data) else {
                    return false;
                };
                if i.san_ip.is_empty() {
                    self.common_names
                        .iter()
                        .any(|c| c.parse::<IpAddr>().is_ok_and(|c| c == ip))
                } else {
                    i.san_ip.contains(&ip)
                }
            }
            _ => false,
        }
    }

    /// The names for a refusal: subject and subjectAltNames (public certificate contents).
    fn describe(&self) -> String {
        let i = &self.info;
        let mut names = vec![format!("subject \"{}\"", i.subject)];
        names.extend(i.san_dns.iter().map(|d| format!("dNSName {d}")));
        names.extend(i.san_email.iter().map(|e| format!("rfc822Name {e}")));
        names.extend(i.san_ip.iter().map(|a| format!("iPAddress {a}")));
        names.join(", ")
    }
}

fn ip_of(data: &[u8]) -> Option<IpAddr> {
    match data.len() {
        4 => <[u8; 4]>::try_from(data).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(data).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Whether a certificate can confirm an IKE identity of this type.
fn checkable(id: &Identity) -> bool {
    matches!(
        id.id_type,
        IdType::FQDN
            | IdType::RFC822_ADDR
            | IdType::IPV4_ADDR
            | IdType::IPV6_ADDR
            | IdType::DER_ASN1_DN
    )
}

/// Refuses (as bad credentials) a client certificate that does not name the EAP identity
/// `eap_identity`, or the IKE identity `ike_id` when that is of a checkable type.
pub(crate) fn check_client(
    cert_der: &[u8],
    eap_identity: &[u8],
    ike_id: Option<&Identity>,
) -> Result<(), EapError> {
    let names = Names::parse(cert_der)?;
    let shown = String::from_utf8_lossy(eap_identity);
    let eap_id = core::str::from_utf8(eap_identity)
        .ok()
        .and_then(|s| s.parse::<Identity>().ok());
    if !eap_id.as_ref().is_some_and(|id| names.name(id)) {
        return Err(EapError::BadCredentials(format!(
            "the TLS client certificate does not name the EAP identity \"{shown}\" (it names {})",
            names.describe()
        )));
    }
    if let Some(id) = ike_id.filter(|id| checkable(id)) {
        if !names.name(id) {
            return Err(EapError::BadCredentials(format!(
                "the TLS client certificate does not name the IKE identity \"{id}\" (it names {})",
                names.describe()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikelab_crypto::rng::SeededRandom;
    use ikelab_crypto::x509::{TestCa, TestKeyType};

    fn cert(cn: &str, sans: &[&str]) -> Vec<u8> {
        let rng = SeededRandom::from_u64(5);
        let ca = TestCa::new("CA", TestKeyType::EcdsaP256, &rng).unwrap();
        ca.issue(cn, sans, TestKeyType::EcdsaP256, &rng)
            .unwrap()
            .cert_der
    }

    #[test]
    fn sans_then_common_name_fallback() {
        let c = cert(
            "client.example",
            &["Client.Example", "a@b.example", "192.0.2.7"],
        );
        check_client(&c, b"client.example", None).unwrap();
        check_client(&c, b"A@B.example", None).unwrap();
        check_client(&c, b"192.0.2.7", Some(&Identity::fqdn("client.example"))).unwrap();
        assert!(check_client(&c, b"other.example", None).is_err());
        assert!(check_client(&c, b"192.0.2.8", None).is_err());
        // The CN is a fallback only without a dNSName.
        let c2 = cert("cn.example", &["san.example"]);
        assert!(check_client(&c2, b"cn.example", None).is_err());
        let no_san = cert("cn.example", &[]);
        check_client(&no_san, b"CN.example", None).unwrap();
        // A DN identity matches the subject.
        check_client(&no_san, b"CN=cn.example", None).unwrap();
        assert!(check_client(&no_san, b"CN=other", None).is_err());
        // The IKE identity is checked when it is of a checkable type.
        let e = check_client(
            &c,
            b"client.example",
            Some(&Identity::fqdn("mallory.example")),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("mallory.example") && e.contains("dNSName Client.Example"),
            "{e}"
        );
        let keyid = Identity::new(IdType::KEY_ID, b"x".to_vec());
        check_client(&c, b"client.example", Some(&keyid)).unwrap();
        // Not an identity at all.
        assert!(check_client(&c, &[0xff, 0xfe], None).is_err());
    }
}
