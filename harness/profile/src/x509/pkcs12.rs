//! Opening PKCS#12 identities: their certificates and (for the reference client) the private
//! key of the identity, as PKCS#8 DER kept in a [`Secret`].
//!
//! Structure comes from the `pkcs12`/`cms` crates; decryption covers the schemes real profiles
//! carry: PKCS#12 PBE with SHA-1 and 3DES/2DES/RC2 (macOS Keychain, OpenSSL 1.x) and PBES2 with
//! PBKDF2 + AES-CBC (OpenSSL 3). Iteration counts are capped because they come from the input.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, InnerIvInit, KeyIvInit};
use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use const_oid::db::rfc5911;
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Decode, Encode};
use hmac::{Hmac, Mac};
use ikelab_policy::Secret;
use pkcs12::cert_type::CertBag;
use pkcs12::kdf::{derive_key_utf8, Pkcs12KeyType};
use pkcs12::pbe_params::Pkcs12PbeParams;
use pkcs12::pfx::Pfx;
use pkcs12::safe_bag::{SafeBag, SafeContents};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

/// Highest KDF iteration count we run (real files use 2 000–100 000).
const MAX_ITERATIONS: u32 = 1_000_000;

const PBE_SHA1_3DES: ObjectIdentifier = pkcs12::PKCS_12_PBE_WITH_SHAAND3_KEY_TRIPLE_DES_CBC;
const PBE_SHA1_2DES: ObjectIdentifier = pkcs12::PKCS_12_PBE_WITH_SHAAND2_KEY_TRIPLE_DES_CBC;
const PBE_SHA1_RC2_128: ObjectIdentifier = pkcs12::PKCS_12_PBE_WITH_SHAAND128_BIT_RC2_CBC;
const PBE_SHA1_RC2_40: ObjectIdentifier = pkcs12::PKCS_12_PBEWITH_SHAAND40_BIT_RC2_CBC;
const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum P12Error {
    /// Not a PKCS#12 structure at all.
    NotPkcs12(String),
    /// The integrity MAC does not verify with the given password.
    WrongPassword,
    /// A scheme or parameter this checker does not handle.
    Unsupported(String),
}

impl std::fmt::Display for P12Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            P12Error::NotPkcs12(r) => write!(f, "not a PKCS#12 file ({r})"),
            P12Error::WrongPassword => f.write_str("the password does not open the PKCS#12 file"),
            P12Error::Unsupported(r) => write!(f, "unsupported PKCS#12 protection ({r})"),
        }
    }
}

/// What an opened PKCS#12 holds.
#[derive(Debug, Default)]
pub struct P12Contents {
    pub certs: Vec<Certificate>,
    pub has_key: bool,
    /// PKCS#8 `PrivateKeyInfo` DER of each key bag that could be decrypted (redacted in Debug).
    pub keys: Vec<Secret>,
    /// Why a key bag could not be opened (scheme, parameters), when one could not.
    pub key_errors: Vec<String>,
}

fn bad(e: impl std::fmt::Display) -> P12Error {
    P12Error::NotPkcs12(e.to_string())
}

fn check_iterations(n: i64) -> Result<i32, P12Error> {
    if n < 1 || n > i64::from(MAX_ITERATIONS) {
        return Err(P12Error::Unsupported(format!("iteration count {n}")));
    }
    i32::try_from(n).map_err(|_| P12Error::Unsupported(format!("iteration count {n}")))
}

/// Parses the PFX structure (no password needed).
pub fn parse(der: &[u8]) -> Result<Pfx, P12Error> {
    let der = crate::read::ber_to_der(der).map_err(|e| P12Error::NotPkcs12(e.0))?;
    Pfx::from_der(&der).map_err(bad)
}

/// Opens a PKCS#12 file with `password` and returns its certificates.
pub fn open(der: &[u8], password: &str) -> Result<P12Contents, P12Error> {
    let pfx = parse(der)?;
    if pfx.auth_safe.content_type != rfc5911::ID_DATA {
        return Err(P12Error::Unsupported(
            "public-key integrity mode (authSafe is not Data)".into(),
        ));
    }
    let auth_octets = pfx
        .auth_safe
        .content
        .decode_as::<OctetString>()
        .map_err(bad)?;
    if let Some(mac) = &pfx.mac_data {
        verify_mac(mac, password, auth_octets.as_bytes())?;
    }
    let infos = Vec::<ContentInfo>::from_der(auth_octets.as_bytes()).map_err(bad)?;
    let mut out = P12Contents::default();
    for ci in infos {
        let safe: Vec<u8> = match ci.content_type {
            rfc5911::ID_DATA => ci
                .content
                .decode_as::<OctetString>()
                .map_err(bad)?
                .into_bytes(),
            rfc5911::ID_ENCRYPTED_DATA => {
                let ed = ci.content.decode_as::<EncryptedData>().map_err(bad)?;
                let Some(ct) = ed.enc_content_info.encrypted_content else {
                    continue;
                };
                decrypt(
                    &ed.enc_content_info.content_enc_alg,
                    password,
                    ct.as_bytes(),
                )?
            }
            // EnvelopedData (public-key privacy mode) cannot be opened with a password.
            _ => continue,
        };
        let bags = SafeContents::from_der(&safe).map_err(bad)?;
        collect(&bags, password, &mut out);
    }
    Ok(out)
}

/// `EncryptedPrivateKeyInfo` (RFC 5958): the PBE algorithm and the encrypted `PrivateKeyInfo`.
#[derive(der::Sequence)]
struct EncryptedKey {
    alg: AlgorithmIdentifierOwned,
    data: OctetString,
}

/// The content of a SafeBag's `[0] EXPLICIT` value.
fn bag_inner(bag: &SafeBag) -> Result<&[u8], der::Error> {
    der::AnyRef::from_der(&bag.bag_value).map(|a| a.value())
}

fn key_from_bag(bag: &SafeBag, password: &str) -> Result<Secret, String> {
    let inner = bag_inner(bag).map_err(|e| format!("key bag: {e}"))?;
    if bag.bag_id == pkcs12::PKCS_12_KEY_BAG_OID {
        return Ok(Secret::new(inner.to_vec()));
    }
    let ek = EncryptedKey::from_der(inner).map_err(|e| format!("shrouded key bag: {e}"))?;
    decrypt(&ek.alg, password, ek.data.as_bytes())
        .map(Secret::new)
        .map_err(|e| e.to_string())
}

fn collect(bags: &[SafeBag], password: &str, out: &mut P12Contents) {
    for bag in bags {
        if bag.bag_id == pkcs12::PKCS_12_CERT_BAG_OID {
            // `bag_value` is the whole `[0] EXPLICIT` element; the CertBag is its content.
            let inner = bag_inner(bag);
            if let Ok(cb) = inner.and_then(CertBag::from_der) {
                if cb.cert_id == pkcs12::PKCS_12_X509_CERT_OID {
                    if let Ok(c) = Certificate::from_der(cb.cert_value.as_bytes()) {
                        out.certs.push(c);
                    }
                }
            }
        } else if bag.bag_id == pkcs12::PKCS_12_PKCS8_KEY_BAG_OID
            || bag.bag_id == pkcs12::PKCS_12_KEY_BAG_OID
        {
            out.has_key = true;
            match key_from_bag(bag, password) {
                Ok(k) => out.keys.push(k),
                Err(e) => out.key_errors.push(e),
            }
        }
    }
}

fn verify_mac(
    mac: &pkcs12::mac_data::MacData,
    password: &str,
    data: &[u8],
) -> Result<(), P12Error> {
    let rounds = check_iterations(i64::from(mac.iterations))?;
    let salt = mac.mac_salt.as_bytes();
    let expected = mac.mac.digest.as_bytes();
    let oid = mac.mac.algorithm.oid;
    macro_rules! check {
        ($d:ty) => {{
            let len = <$d as sha2::Digest>::output_size();
            let key = derive_key_utf8::<$d>(password, salt, Pkcs12KeyType::Mac, rounds, len)
                .map_err(|e| P12Error::Unsupported(format!("password encoding: {e}")))?;
            let mut m = <Hmac<$d> as Mac>::new_from_slice(&key)
                .map_err(|e| P12Error::Unsupported(e.to_string()))?;
            m.update(data);
            m.verify_slice(expected)
                .map_err(|_| P12Error::WrongPassword)
        }};
    }
    match super::verify::HashAlg::from_oid(&oid) {
        Some(super::verify::HashAlg::Sha1) => check!(sha1::Sha1),
        Some(super::verify::HashAlg::Sha256) => check!(sha2::Sha256),
        Some(super::verify::HashAlg::Sha384) => check!(sha2::Sha384),
        Some(super::verify::HashAlg::Sha512) => check!(sha2::Sha512),
        None => Err(P12Error::Unsupported(format!(
            "MAC digest {}",
            super::oid_name(&oid)
        ))),
    }
}

fn decrypt(alg: &AlgorithmIdentifierOwned, password: &str, ct: &[u8]) -> Result<Vec<u8>, P12Error> {
    let oid = alg.oid;
    if oid == PBES2 {
        return decrypt_pbes2(alg, password, ct);
    }
    let (key_len, cipher) = match oid {
        PBE_SHA1_3DES => (24, "3des"),
        PBE_SHA1_2DES => (16, "2des"),
        PBE_SHA1_RC2_128 => (16, "rc2"),
        PBE_SHA1_RC2_40 => (5, "rc2"),
        other => {
            return Err(P12Error::Unsupported(format!(
                "encryption {}",
                super::oid_name(&other)
            )))
        }
    };
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(|| bad("PBE without parameters"))?
        .decode_as::<Pkcs12PbeParams>()
        .map_err(bad)?;
    let rounds = check_iterations(i64::from(params.iterations))?;
    let salt = params.salt.as_bytes();
    let kdf = |id, len| {
        derive_key_utf8::<sha1::Sha1>(password, salt, id, rounds, len)
            .map_err(|e| P12Error::Unsupported(format!("password encoding: {e}")))
    };
    let key = kdf(Pkcs12KeyType::EncryptionKey, key_len)?;
    let iv = kdf(Pkcs12KeyType::Iv, 8)?;
    // A wrong key shows up as bad padding.
    let wrong = |_| P12Error::WrongPassword;
    match cipher {
        "3des" => cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
            .map_err(|e| P12Error::Unsupported(e.to_string()))?
            .decrypt_padded_vec_mut::<Pkcs7>(ct)
            .map_err(wrong),
        "2des" => cbc::Decryptor::<des::TdesEde2>::new_from_slices(&key, &iv)
            .map_err(|e| P12Error::Unsupported(e.to_string()))?
            .decrypt_padded_vec_mut::<Pkcs7>(ct)
            .map_err(wrong),
        _ => {
            let rc2 = rc2::Rc2::new_with_eff_key_len(&key, key_len * 8);
            cbc::Decryptor::<rc2::Rc2>::inner_iv_slice_init(rc2, &iv)
                .map_err(|e| P12Error::Unsupported(e.to_string()))?
                .decrypt_padded_vec_mut::<Pkcs7>(ct)
                .map_err(wrong)
        }
    }
}

fn decrypt_pbes2(
    alg: &AlgorithmIdentifierOwned,
    password: &str,
    ct: &[u8],
) -> Result<Vec<u8>, P12Error> {
    let der = alg.to_der().map_err(bad)?;
    let scheme = pkcs5::EncryptionScheme::try_from(der.as_slice())
        .map_err(|e| P12Error::Unsupported(format!("PBES2 parameters: {e}")))?;
    let params = scheme
        .pbes2()
        .ok_or_else(|| P12Error::Unsupported("PBES2 expected".into()))?;
    // scrypt parameters can demand gigabytes: only PBKDF2 is run.
    let pbkdf2 = params
        .kdf
        .pbkdf2()
        .ok_or_else(|| P12Error::Unsupported("PBES2 with a KDF other than PBKDF2".into()))?;
    check_iterations(i64::from(pbkdf2.iteration_count))?;
    scheme
        .decrypt(password.as_bytes(), ct)
        .map_err(|_| P12Error::WrongPassword)
}
