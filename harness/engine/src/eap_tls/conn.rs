//! rustls configurations from the policy, and a TLS connection driven in memory.

use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;

use ikelab_crypto::KeyBytes;
use ikelab_policy::{CertSource, EapTls, IdentityMatch, KeySource};
use ikelab_wire::iana::IdType;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
    ServerName, UnixTime,
};
use rustls::server::{NoServerSessionStorage, WebPkiClientVerifier};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, Connection, DigitallySignedStruct,
    Error as TlsError, ProtocolVersion, RootCertStore, ServerConfig, ServerConnection,
    SignatureScheme, SupportedProtocolVersion,
};

use super::{msk_of, TYPE_TLS};
use crate::eap::EapError;

/// EAP-TLS fragment size when the policy names none.
const DEFAULT_FRAGMENT: usize = 1000;
static TLS12_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];

/// The peer's TLS configuration and fragment size.
#[derive(Clone)]
pub(crate) struct TlsClientSetup {
    config: Arc<ClientConfig>,
    pub fragment_size: usize,
    /// The name the server certificate must carry (the gateway's IKE identity), if any.
    server_name: Option<ServerName<'static>>,
}

/// The server's TLS configuration and fragment size.
#[derive(Clone)]
pub(crate) struct TlsServerSetup {
    config: Arc<ServerConfig>,
    pub fragment_size: usize,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(aws_lc_rs::default_provider())
}

fn versions(tls: &EapTls) -> Result<&'static [&'static SupportedProtocolVersion], String> {
    match tls.max_version.as_deref() {
        None | Some("1.3") => Ok(rustls::ALL_VERSIONS),
        Some("1.2") => Ok(TLS12_ONLY),
        Some(v) => Err(format!("EAP-TLS max_version {v:?}: use \"1.2\" or \"1.3\"")),
    }
}

fn fragment_size(tls: &EapTls) -> usize {
    tls.fragment_size.map_or(DEFAULT_FRAGMENT, usize::from)
}

fn roots(anchors: &[CertSource]) -> Result<Arc<RootCertStore>, String> {
    let mut store = RootCertStore::empty();
    for a in anchors {
        let der = a.der().map_err(|e| e.to_string())?;
        store
            .add(CertificateDer::from(der.to_vec()))
            .map_err(|e| format!("EAP-TLS trust anchor: {e}"))?;
    }
    if store.is_empty() {
        return Err("EAP-TLS needs trust anchors to check the peer's certificate".into());
    }
    Ok(Arc::new(store))
}

fn private_key(k: &KeySource) -> Result<PrivateKeyDer<'static>, String> {
    let (label, der) = k.der().map_err(|e| e.to_string())?;
    let der = der.expose().to_vec();
    Ok(match label {
        "PRIVATE KEY" => PrivatePkcs8KeyDer::from(der).into(),
        "EC PRIVATE KEY" => PrivateSec1KeyDer::from(der).into(),
        "RSA PRIVATE KEY" => PrivatePkcs1KeyDer::from(der).into(),
        l => return Err(format!("EAP-TLS private key in a {l:?} PEM block")),
    })
}

fn cert_chain(
    cert: &CertSource,
    chain: &[CertSource],
) -> Result<Vec<CertificateDer<'static>>, String> {
    core::iter::once(cert)
        .chain(chain)
        .map(|c| {
            c.der()
                .map(|d| CertificateDer::from(d.to_vec()))
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// The client's configuration: our certificate and key, the server checked against
/// `tls.trust_anchors` or else `fallback` (the IKE trust anchors).
pub(crate) fn client_setup(
    tls: &EapTls,
    fallback: &[CertSource],
    gateway: &IdentityMatch,
) -> Result<TlsClientSetup, String> {
    let cert = tls
        .certificate
        .as_ref()
        .ok_or("EAP-TLS client without tls.certificate")?;
    let key = tls
        .private_key
        .as_ref()
        .ok_or("EAP-TLS client without tls.private_key")?;
    let anchors = if tls.trust_anchors.is_empty() {
        fallback
    } else {
        &tls.trust_anchors
    };
    let webpki = WebPkiServerVerifier::builder_with_provider(roots(anchors)?, provider())
        .build()
        .map_err(|e| format!("EAP-TLS server verifier: {e}"))?;
    let server_name = expected_server_name(gateway);
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(tls)?)
        .map_err(|e| format!("EAP-TLS versions: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ServerCheck {
            webpki,
            check_name: server_name.is_some(),
        }))
        .with_client_auth_cert(cert_chain(cert, &tls.chain)?, private_key(key)?)
        .map_err(|e| format!("EAP-TLS client certificate and key: {e}"))?;
    // SNI has no meaning inside EAP; resumption would skip client authentication.
    config.enable_sni = false;
    config.resumption = Resumption::disabled();
    Ok(TlsClientSetup {
        config: Arc::new(config),
        fragment_size: fragment_size(tls),
        server_name,
    })
}

/// The gateway's expected IKE identity as a TLS server name (RFC 5216 §5.2: the peer checks
/// the server's name against what it is configured to expect). Only an FQDN or an address can
/// be compared with a certificate's subjectAltName; `%any` and other types check the chain.
fn expected_server_name(gateway: &IdentityMatch) -> Option<ServerName<'static>> {
    let IdentityMatch::Exact(id) = gateway else {
        return None;
    };
    match id.id_type {
        IdType::FQDN => {
            let name = std::str::from_utf8(&id.data).ok()?;
            ServerName::try_from(name.to_string()).ok()
        }
        IdType::IPV4_ADDR => {
            let o: [u8; 4] = id.data.as_slice().try_into().ok()?;
            Some(ServerName::IpAddress(std::net::IpAddr::from(o).into()))
        }
        IdType::IPV6_ADDR => {
            let o: [u8; 16] = id.data.as_slice().try_into().ok()?;
            Some(ServerName::IpAddress(std::net::IpAddr::from(o).into()))
        }
        _ => None,
    }
}

/// The server's configuration: the IKE certificate and key, a client certificate required
/// and checked against `tls.trust_anchors`.
pub(crate) fn server_setup(
    tls: &EapTls,
    cert: &CertSource,
    chain: &[CertSource],
    key: &KeySource,
) -> Result<TlsServerSetup, String> {
    let verifier =
        WebPkiClientVerifier::builder_with_provider(roots(&tls.trust_anchors)?, provider())
            .build()
            .map_err(|e| format!("EAP-TLS client verifier: {e}"))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(tls)?)
        .map_err(|e| format!("EAP-TLS versions: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(cert_chain(cert, chain)?, private_key(key)?)
        .map_err(|e| format!("EAP-TLS server certificate and key: {e}"))?;
    // RFC 9190 §2.1.1: the commitment message alone follows the handshake; no tickets.
    config.send_tls13_tickets = 0;
    config.session_storage = Arc::new(NoServerSessionStorage {});
    Ok(TlsServerSetup {
        config: Arc::new(config),
        fragment_size: fragment_size(tls),
    })
}

/// Checks the server's chain to the trust anchors, and its name when the gateway's IKE
/// identity gives one: in EAP-only mode (RFC 5998) TLS is all that authenticates the gateway.
#[derive(Debug)]
struct ServerCheck {
    webpki: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for ServerCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        // webpki checks the chain before the name: a name error means the chain is good.
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            r => r,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

fn tls_error(e: TlsError) -> EapError {
    match e {
        TlsError::InvalidCertificate(c) => {
            EapError::BadCredentials(format!("TLS certificate refused: {c:?}"))
        }
        TlsError::NoCertificatesPresented => {
            EapError::BadCredentials("no TLS client certificate".into())
        }
        TlsError::AlertReceived(a) => EapError::Rejected(format!("TLS alert {a:?} from the peer")),
        TlsError::InvalidMessage(m) => EapError::Malformed(format!("TLS message: {m:?}")),
        e => EapError::Unexpected(format!("TLS: {e}")),
    }
}

fn io_error(e: std::io::Error) -> EapError {
    EapError::Unexpected(format!("TLS buffer: {e}"))
}

/// One side's TLS connection.
pub(crate) struct Tls {
    conn: Connection,
    /// TLS 1.3: the commitment message was sent (server) or received (peer).
    committed: bool,
}

impl Tls {
    pub fn client(setup: &TlsClientSetup) -> Result<Self, EapError> {
        // SNI is off, so the name is never sent; ServerCheck compares it when it is the
        // gateway's identity.
        let name = match &setup.server_name {
            Some(n) => n.clone(),
            None => ServerName::try_from("eap-tls.invalid")
                .map_err(|e| EapError::Unexpected(e.to_string()))?,
        };
        let c = ClientConnection::new(setup.config.clone(), name).map_err(tls_error)?;
        Ok(Self {
            conn: c.into(),
            committed: false,
        })
    }

    pub fn server(setup: &TlsServerSetup) -> Result<Self, EapError> {
        let c = ServerConnection::new(setup.config.clone()).map_err(tls_error)?;
        Ok(Self {
            conn: c.into(),
            committed: false,
        })
    }

    fn tls13(&self) -> bool {
        self.conn.protocol_version() == Some(ProtocolVersion::TLSv1_3)
    }

    /// The handshake is complete (and under TLS 1.3 the commitment exchanged).
    pub fn finished(&self) -> bool {
        !self.conn.is_handshaking() && (self.committed || !self.tls13())
    }

    /// Server, once the handshake is complete: the client's end-entity certificate.
    pub fn client_certificate(&self) -> Option<&[u8]> {
        if self.conn.is_handshaking() {
            return None;
        }
        let Connection::Server(s) = &self.conn else {
            return None;
        };
        s.peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.as_ref())
    }

    /// TLS 1.3 handshake done, commitment message not yet received.
    pub fn awaiting_commitment(&self) -> bool {
        !self.conn.is_handshaking() && self.tls13() && !self.committed
    }

    /// Processes one reassembled EAP-TLS message of TLS records.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), EapError> {
        while !data.is_empty() {
            let n = self.conn.read_tls(&mut data).map_err(io_error)?;
            self.conn.process_new_packets().map_err(tls_error)?;
            if n == 0 {
                break;
            }
        }
        Ok(())
    }

    /// Everything TLS wants to send now.
    pub fn take_output(&mut self) -> Result<Vec<u8>, EapError> {
        let mut out = Vec::new();
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut out).map_err(io_error)? == 0 {
                break;
            }
        }
        Ok(out)
    }

    /// Peer: application data after the handshake may only be TLS 1.3's commitment 0x00.
    pub fn read_commitment(&mut self) -> Result<(), EapError> {
        if self.conn.is_handshaking() {
            return Ok(());
        }
        let mut buf = [0u8; 16];
        match self.conn.reader().read(&mut buf) {
            Ok(0) => Ok(()),
            Ok(1) if buf[0] == 0 && self.tls13() && !self.committed => {
                self.committed = true;
                Ok(())
            }
            Ok(n) => Err(EapError::Malformed(format!(
                "{n} octets of TLS application data; EAP-TLS carries only TLS 1.3's commitment 0x00"
            ))),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(EapError::Malformed(format!("TLS: {e}"))),
        }
    }

    /// Server: once a TLS 1.3 handshake is complete, the commitment 0x00 (RFC 9190 §2.5).
    pub fn send_commitment(&mut self) -> Result<(), EapError> {
        if !self.conn.is_handshaking() && self.tls13() && !self.committed {
            self.conn.writer().write_all(&[0]).map_err(io_error)?;
            self.committed = true;
        }
        Ok(())
    }

    /// MSK: RFC 5216 §2.3 (TLS 1.2) or RFC 9190 §2.3 (TLS 1.3).
    pub fn msk(&self) -> Result<KeyBytes, EapError> {
        let mut material = [0u8; 128];
        let context = [TYPE_TLS];
        let result = if self.tls13() {
            self.conn.export_keying_material(
                &mut material,
                b"EXPORTER_EAP_TLS_Key_Material",
                Some(&context),
            )
        } else {
            self.conn
                .export_keying_material(&mut material, b"client EAP encryption", None)
        };
        result.map_err(|e| EapError::Unexpected(format!("TLS key export: {e}")))?;
        let msk = msk_of(&material);
        material.fill(0);
        Ok(msk)
    }
}
