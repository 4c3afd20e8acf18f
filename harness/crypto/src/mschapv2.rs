//! MS-CHAPv2 (RFC 2759) and its key derivation (RFC 3079), for EAP-MSCHAPv2 in IKEv2.
//!
//! Both sides run [`compute`] over the same inputs: the peer sends the NT-Response and checks
//! the authenticator response, the authenticator compares the NT-Response and sends the
//! authenticator response. The 64-octet MSK is what strongSwan and Microsoft use for
//! EAP-MSCHAPv2: `MasterReceiveKey | MasterSendKey | 32 zero octets`, the keys taken from the
//! server's point of view (RFC 3079 §3.4 magic 2, then magic 3).
//!
//! MD4 and single DES are broken; they are here because the protocol fixes them.

use des::cipher::generic_array::GenericArray;
use des::cipher::{BlockEncrypt, KeyInit};
use md4::{Digest, Md4};

use crate::digest::sha1;
use crate::KeyBytes;

/// Length of the authenticator and peer challenges.
pub const CHALLENGE_LEN: usize = 16;
/// Length of the NT-Response.
pub const NT_RESPONSE_LEN: usize = 24;
/// Length of the authenticator response (before hex encoding as `S=...`).
pub const AUTH_RESPONSE_LEN: usize = 20;
/// Length of the EAP-MSCHAPv2 MSK.
pub const MSK_LEN: usize = 64;

const MAGIC_AUTH_1: &[u8] = b"Magic server to client signing constant";
const MAGIC_AUTH_2: &[u8] = b"Pad to make it do more than one iteration";
const MAGIC_KEY_1: &[u8] = b"This is the MPPE Master Key";
const MAGIC_KEY_2: &[u8] =
    b"On the client side, this is the send key; on the server side, it is the receive key.";
const MAGIC_KEY_3: &[u8] =
    b"On the client side, this is the receive key; on the server side, it is the send key.";
const SHS_PAD_1: [u8; 40] = [0; 40];
const SHS_PAD_2: [u8; 40] = [0xf2; 40];

/// What one MS-CHAPv2 authentication yields.
pub struct Outcome {
    /// The peer's NT-Response (RFC 2759 §8.1).
    pub nt_response: [u8; NT_RESPONSE_LEN],
    /// The authenticator response (RFC 2759 §8.7), the 20 octets behind `S=`.
    pub authenticator_response: [u8; AUTH_RESPONSE_LEN],
    /// The EAP MSK (64 octets).
    pub msk: KeyBytes,
}

impl core::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("mschapv2::Outcome(<redacted>)")
    }
}

/// Runs RFC 2759 §8 and RFC 3079 over one challenge pair. `username` is the Name the peer
/// sends, with any `DOMAIN\` prefix (stripped here, RFC 2759 §8.2).
pub fn compute(
    password: &[u8],
    auth_challenge: &[u8; CHALLENGE_LEN],
    peer_challenge: &[u8; CHALLENGE_LEN],
    username: &[u8],
) -> Outcome {
    let hash = nt_password_hash(password);
    let challenge = challenge_hash(peer_challenge, auth_challenge, username);
    let nt_response = challenge_response(&challenge, hash.as_bytes());
    let hash_hash = KeyBytes::new(Md4::digest(hash.as_bytes()).to_vec());
    let authenticator_response =
        authenticator_response(hash_hash.as_bytes(), &nt_response, &challenge);
    let master = master_key(hash_hash.as_bytes(), &nt_response);
    let mut msk = Vec::with_capacity(MSK_LEN);
    msk.extend_from_slice(asymmetric_start_key(&master, false, true).as_bytes());
    msk.extend_from_slice(asymmetric_start_key(&master, true, true).as_bytes());
    msk.resize(MSK_LEN, 0);
    Outcome {
        nt_response,
        authenticator_response,
        msk: KeyBytes::new(msk),
    }
}

/// The user name part of `name`: what follows the last `\`, if any.
pub fn strip_domain(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b'\\') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// NtPasswordHash (RFC 2759 §8.3): MD4 of the UTF-16LE password. A password that is not
/// UTF-8 is widened octet by octet, as strongSwan does.
pub fn nt_password_hash(password: &[u8]) -> KeyBytes {
    let mut unicode: Vec<u8> = match core::str::from_utf8(password) {
        Ok(s) => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Err(_) => password.iter().flat_map(|&b| [b, 0]).collect(),
    };
    let out = KeyBytes::new(Md4::digest(&unicode).to_vec());
    zeroize::Zeroize::zeroize(&mut unicode);
    out
}

/// ChallengeHash (RFC 2759 §8.2).
pub fn challenge_hash(
    peer_challenge: &[u8; CHALLENGE_LEN],
    auth_challenge: &[u8; CHALLENGE_LEN],
    username: &[u8],
) -> [u8; 8] {
    let d = sha1(&[peer_challenge, auth_challenge, strip_domain(username)]);
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

/// ChallengeResponse (RFC 2759 §8.5): DES of the challenge under three keys from the
/// zero-padded password hash.
pub fn challenge_response(challenge: &[u8; 8], password_hash: &[u8]) -> [u8; NT_RESPONSE_LEN] {
    let mut z = [0u8; 21];
    let n = password_hash.len().min(16);
    z[..n].copy_from_slice(&password_hash[..n]);
    let mut out = [0u8; NT_RESPONSE_LEN];
    for (i, chunk) in z.chunks_exact(7).enumerate() {
        let mut key7 = [0u8; 7];
        key7.copy_from_slice(chunk);
        let key = des_key(&key7);
        let cipher = des::Des::new(GenericArray::from_slice(&key));
        let mut block = GenericArray::clone_from_slice(challenge);
        cipher.encrypt_block(&mut block);
        out[i * 8..i * 8 + 8].copy_from_slice(&block);
    }
    zeroize::Zeroize::zeroize(&mut z);
    out
}

/// Spreads 56 key bits over 8 octets (the low bit of each, DES parity, is ignored by DES).
fn des_key(k: &[u8; 7]) -> [u8; 8] {
    let bits = k.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let mut out = [0u8; 8];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (((bits >> (49 - 7 * i)) & 0x7f) as u8) << 1;
    }
    out
}

/// GenerateAuthenticatorResponse (RFC 2759 §8.7), from PasswordHashHash and ChallengeHash.
fn authenticator_response(
    hash_hash: &[u8],
    nt_response: &[u8; NT_RESPONSE_LEN],
    challenge: &[u8; 8],
) -> [u8; AUTH_RESPONSE_LEN] {
    let digest = sha1(&[hash_hash, nt_response, MAGIC_AUTH_1]);
    sha1(&[&digest, challenge, MAGIC_AUTH_2])
}

/// GetMasterKey (RFC 3079 §3.4).
fn master_key(hash_hash: &[u8], nt_response: &[u8; NT_RESPONSE_LEN]) -> KeyBytes {
    KeyBytes::from_slice(&sha1(&[hash_hash, nt_response, MAGIC_KEY_1])[..16])
}

/// GetAsymmetricStartKey (RFC 3079 §3.4), 128-bit keys.
fn asymmetric_start_key(master: &KeyBytes, is_send: bool, is_server: bool) -> KeyBytes {
    let magic = if is_send == is_server {
        MAGIC_KEY_3
    } else {
        MAGIC_KEY_2
    };
    KeyBytes::from_slice(&sha1(&[master.as_bytes(), &SHS_PAD_1, magic, &SHS_PAD_2])[..16])
}

/// The `S=<40 hex digits>` form of an authenticator response (RFC 2759 §5).
pub fn authenticator_string(r: &[u8; AUTH_RESPONSE_LEN]) -> String {
    let mut s = String::from("S=");
    for b in r {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    const AUTH_CHALLENGE: &str = "5B5D7C7D7B3F2F3E3C2C602132262628";
    const PEER_CHALLENGE: &str = "21402324255E262A28295F2B3A337C7E";

    fn challenges() -> ([u8; 16], [u8; 16]) {
        (
            h(AUTH_CHALLENGE).try_into().unwrap(),
            h(PEER_CHALLENGE).try_into().unwrap(),
        )
    }

    #[test]
    fn rfc2759_section_9_2() {
        let (a, p) = challenges();
        assert_eq!(
            nt_password_hash(b"clientPass").as_bytes(),
            h("44EBBA8D5312B8D611474411F56989AE")
        );
        assert_eq!(
            challenge_hash(&p, &a, b"User").to_vec(),
            h("D02E4386BCE91226")
        );
        let o = compute(b"clientPass", &a, &p, b"User");
        assert_eq!(
            o.nt_response.to_vec(),
            h("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF")
        );
        assert_eq!(
            authenticator_string(&o.authenticator_response),
            "S=407A5589115FD0D6209F510FE9C04566932CDA56"
        );
        // The domain is not part of the challenge hash.
        let d = compute(b"clientPass", &a, &p, b"EXAMPLE\\User");
        assert_eq!(d.nt_response, o.nt_response);
        let wrong = compute(b"clientPasS", &a, &p, b"User");
        assert_ne!(wrong.nt_response, o.nt_response);
    }

    #[test]
    fn rfc3079_section_3_5_keys_and_msk() {
        let (a, p) = challenges();
        let hash_hash = Md4::digest(nt_password_hash(b"clientPass").as_bytes());
        assert_eq!(hash_hash.to_vec(), h("41C00C584BD2D91C4017A2A12FA59F3F"));
        let o = compute(b"clientPass", &a, &p, b"User");
        let master = master_key(&hash_hash, &o.nt_response);
        assert_eq!(master.as_bytes(), h("FDECE3717A8C838CB388E527AE3CDD31"));
        // §3.5.3 SendStartKey128 (the server's send key).
        assert_eq!(
            asymmetric_start_key(&master, true, true).as_bytes(),
            h("8B7CDC149B993A1BA118CB153F56DCCB")
        );
        // The client's send key is the server's receive key.
        assert_eq!(
            asymmetric_start_key(&master, true, false).as_bytes(),
            asymmetric_start_key(&master, false, true).as_bytes()
        );
        let msk = o.msk.as_bytes();
        assert_eq!(msk.len(), MSK_LEN);
        assert_eq!(&msk[..16], h("D5F0E9521E3EA9589645E86051C82226"));
        assert_eq!(&msk[16..32], h("8B7CDC149B993A1BA118CB153F56DCCB"));
        assert!(msk[32..].iter().all(|&b| b == 0));
        assert!(!format!("{o:?}").contains("d5"), "MSK in Debug");
    }

    #[test]
    fn des_key_expansion_spreads_seven_bit_groups() {
        assert_eq!(des_key(&[0xff; 7]), [0xfe; 8]);
        assert_eq!(
            des_key(&[0x80, 0, 0, 0, 0, 0, 0]),
            [0x80, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(des_key(&[0, 0, 0, 0, 0, 0, 1]), [0, 0, 0, 0, 0, 0, 0, 2]);
    }

    #[test]
    fn non_utf8_passwords_are_widened() {
        let a = nt_password_hash(&[0xe9]);
        let b = nt_password_hash("é".as_bytes());
        assert_eq!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn strip_domain_takes_the_last_component() {
        assert_eq!(strip_domain(b"A\\B\\user"), b"user");
        assert_eq!(strip_domain(b"user"), b"user");
        assert_eq!(strip_domain(b"dom\\"), b"");
    }
}
