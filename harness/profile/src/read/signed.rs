//! Signed profiles: CMS SignedData (RFC 5652) wrapping the plist. Unwraps the content, names the
//! signer and verifies the signature and the embedded chain where the algorithms allow.
//! There is no trust store here: a verified chain ends at an embedded root that is not evaluated.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::db::{rfc5911, rfc5912};
use der::asn1::OctetString;
use der::{Decode, Encode};
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::Certificate;

use crate::error::ReadError;
use crate::x509::verify::{self, HashAlg, VerifyError};

/// Outcome of signature verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// The signer's signature verifies. `chain` is false when a link of the embedded chain could
    /// not be verified (reason in `chain_note`).
    Verified { chain: bool, chain_note: String },
    /// Verification was not possible (unsupported algorithm, missing certificate, ...).
    NotVerified(String),
    /// The signature or the content digest does not match: the content was altered.
    Invalid(String),
}

/// The signer and the result of verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    /// Subject DN of the signing certificate, when it is embedded.
    pub signer: Option<String>,
    /// Subjects from the signer up the embedded chain.
    pub chain: Vec<String>,
    pub status: SignatureStatus,
}

fn cms_err(e: impl std::fmt::Display) -> ReadError {
    ReadError::Cms {
        reason: e.to_string(),
    }
}

/// Returns the encapsulated content and what is known about its signature.
pub fn unwrap(bytes: &[u8]) -> Result<(Vec<u8>, SignatureInfo), ReadError> {
    let der = super::ber::to_der(bytes).map_err(|e| cms_err(e.0))?;
    let ci = ContentInfo::from_der(&der).map_err(cms_err)?;
    if ci.content_type == rfc5911::ID_ENVELOPED_DATA {
        return Err(cms_err(
            "the file is CMS EnvelopedData (an encrypted profile); only signed profiles can be read",
        ));
    }
    if ci.content_type != rfc5911::ID_SIGNED_DATA {
        return Err(cms_err(format!(
            "content type {} is not SignedData",
            crate::x509::oid_name(&ci.content_type)
        )));
    }
    let sd: SignedData = ci.content.decode_as().map_err(cms_err)?;
    let content = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or(ReadError::Detached)?
        .decode_as::<OctetString>()
        .map_err(cms_err)?
        .into_bytes();
    let certs: Vec<Certificate> = sd
        .certificates
        .as_ref()
        .map(|s| {
            s.0.iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(c) => Some(c.clone()),
                    CertificateChoices::Other(_) => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let info = match sd.signer_infos.0.iter().next() {
        None => SignatureInfo {
            signer: None,
            chain: Vec::new(),
            status: SignatureStatus::NotVerified("the SignedData has no SignerInfo".into()),
        },
        Some(si) => check_signer(si, &content, &certs),
    };
    Ok((content, info))
}

fn find_signer<'a>(sid: &SignerIdentifier, certs: &'a [Certificate]) -> Option<&'a Certificate> {
    certs.iter().find(|c| match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            c.tbs_certificate.issuer == ias.issuer
                && c.tbs_certificate.serial_number == ias.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            matches!(c.tbs_certificate.get::<SubjectKeyIdentifier>(), Ok(Some((_, s))) if s == *ski)
        }
    })
}

fn check_signer(si: &SignerInfo, content: &[u8], certs: &[Certificate]) -> SignatureInfo {
    let Some(signer) = find_signer(&si.sid, certs) else {
        return SignatureInfo {
            signer: None,
            chain: Vec::new(),
            status: SignatureStatus::NotVerified(
                "the signing certificate is not embedded in the profile".into(),
            ),
        };
    };
    let (chain, chain_ok, chain_note) = walk_chain(signer, certs);
    let status = match verify_signer(si, content, signer) {
        Ok(()) => SignatureStatus::Verified {
            chain: chain_ok,
            chain_note,
        },
        Err(s) => s,
    };
    SignatureInfo {
        signer: Some(signer.tbs_certificate.subject.to_string()),
        chain,
        status,
    }
}

fn verify_signer(
    si: &SignerInfo,
    content: &[u8],
    signer: &Certificate,
) -> Result<(), SignatureStatus> {
    let Some(hash) = HashAlg::from_oid(&si.digest_alg.oid) else {
        return Err(SignatureStatus::NotVerified(format!(
            "digest algorithm {} is not supported",
            crate::x509::oid_name(&si.digest_alg.oid)
        )));
    };
    let digest = hash.digest(content);
    let signed_bytes = match &si.signed_attrs {
        None => content.to_vec(),
        Some(attrs) => {
            let md = attrs
                .iter()
                .find(|a| a.oid == rfc5911::ID_MESSAGE_DIGEST)
                .and_then(|a| a.values.iter().next())
                .and_then(|v| v.decode_as::<OctetString>().ok());
            match md {
                None => {
                    return Err(SignatureStatus::Invalid(
                        "signed attributes lack the message-digest attribute".into(),
                    ))
                }
                Some(md) if md.as_bytes() != digest.as_slice() => {
                    return Err(SignatureStatus::Invalid(
                        "the content's digest does not match the signed message digest (content altered after signing)".into(),
                    ))
                }
                Some(_) => {}
            }
            attrs.to_der().map_err(|e| {
                SignatureStatus::NotVerified(format!("re-encoding signed attributes: {e}"))
            })?
        }
    };
    let spki = &signer.tbs_certificate.subject_public_key_info;
    // RSA-PSS and similar parameterised schemes are outside what we verify.
    if si.signature_algorithm.oid == rfc5912::ID_RSASSA_PSS {
        return Err(SignatureStatus::NotVerified(
            "RSASSA-PSS signatures are not verified by this checker".into(),
        ));
    }
    verify::verify(
        spki,
        &si.signature_algorithm,
        Some(hash),
        &signed_bytes,
        si.signature.as_bytes(),
    )
    .map_err(|e| match e {
        VerifyError::Invalid => SignatureStatus::Invalid(
            "the signature does not verify with the signing certificate's key".into(),
        ),
        VerifyError::Unsupported(r) => SignatureStatus::NotVerified(r),
    })
}

/// Follows issuer names through the embedded certificates, verifying each link.
fn walk_chain(signer: &Certificate, certs: &[Certificate]) -> (Vec<String>, bool, String) {
    let mut chain = vec![signer.tbs_certificate.subject.to_string()];
    let mut cur = signer;
    let mut ok = true;
    let note;
    for _ in 0..8 {
        let tbs = &cur.tbs_certificate;
        if tbs.issuer == tbs.subject {
            match verify::verify_cert(cur, cur) {
                Ok(()) => {
                    note =
                        "ends at an embedded self-signed root (trust not evaluated: no trust store)"
                            .into()
                }
                Err(e) => {
                    ok = false;
                    note = format!("self-signed root does not verify: {e:?}");
                }
            }
            return (chain, ok, note);
        }
        let Some(issuer) = certs
            .iter()
            .find(|c| c.tbs_certificate.subject == tbs.issuer && !std::ptr::eq(*c, cur))
        else {
            note = format!(
                "issuer `{}` is not embedded; trust not evaluated",
                tbs.issuer
            );
            return (chain, ok, note);
        };
        if let Err(e) = verify::verify_cert(cur, issuer) {
            ok = false;
            note = match e {
                VerifyError::Invalid => format!(
                    "`{}` is not validly signed by `{}`",
                    tbs.subject, issuer.tbs_certificate.subject
                ),
                VerifyError::Unsupported(r) => format!("chain link not verified: {r}"),
            };
            return (chain, ok, note);
        }
        chain.push(issuer.tbs_certificate.subject.to_string());
        cur = issuer;
    }
    (chain, ok, "chain longer than 8 certificates".into())
}
