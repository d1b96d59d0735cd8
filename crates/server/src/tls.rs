//! TLS for HTTPS and WSS, with rustls (ring provider).
//!
//! Either the operator's PEM files, or, like OpenVidu's `selfsigned` mode, a
//! certificate made at startup for the names the master is reached by. Its
//! SHA-256 fingerprint is logged so a client can pin or verify it.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

use crate::config::TlsSource;

pub struct TlsMaterial {
    pub server_config: Arc<ServerConfig>,
    /// SHA-256 of the leaf certificate, as `AB:CD:...`.
    pub fingerprint: String,
    /// The leaf certificate in PEM form (useful to tests and to operators of self-signed mode).
    pub certificate_pem: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read TLS certificate {path}: {reason}")]
    Certificate { path: String, reason: String },
    #[error("cannot read TLS key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("cannot make a self-signed certificate: {0}")]
    SelfSigned(String),
    #[error("TLS certificate and key do not fit together: {0}")]
    Config(String),
}

/// Loads or makes the certificate. `names` are the DNS names and IPs a
/// self-signed certificate is issued for.
pub fn load(source: &TlsSource, names: Vec<String>) -> Result<TlsMaterial, TlsError> {
    let (chain, key) = match source {
        TlsSource::Files { certificate, key } => (read_chain(certificate)?, read_key(key)?),
        TlsSource::SelfSigned => {
            let generated =
                rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::SelfSigned(e.to_string()))?;
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(generated.signing_key.serialize_der()));
            (vec![generated.cert.der().clone()], key)
        }
    };
    let leaf = chain.first().ok_or_else(|| TlsError::Config("the certificate file holds no certificate".into()))?;
    let fingerprint = fingerprint(leaf);
    let certificate_pem = pem(leaf);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsMaterial { server_config: Arc::new(config), fingerprint, certificate_pem })
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let fail = |reason: String| TlsError::Certificate { path: path.display().to_string(), reason };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if chain.is_empty() {
        return Err(fail("no PEM certificate found".into()));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| TlsError::Key { path: path.display().to_string(), reason: e.to_string() })
}

pub fn fingerprint(certificate: &CertificateDer) -> String {
    Sha256::digest(certificate.as_ref()).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn pem(certificate: &CertificateDer) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(certificate.as_ref());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_material_round_trips_through_pem_files() {
        let made = load(&TlsSource::SelfSigned, vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        assert_eq!(made.fingerprint.len(), 32 * 3 - 1);

        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, generated.cert.pem()).unwrap();
        std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
        let loaded = load(&TlsSource::Files { certificate: cert.clone(), key: key.clone() }, vec![]).unwrap();
        assert_eq!(loaded.fingerprint, fingerprint(generated.cert.der()));
        assert_eq!(loaded.certificate_pem, generated.cert.pem().replace("\r\n", "\n"));

        std::fs::write(&key, "not a key").unwrap();
        let err = load(&TlsSource::Files { certificate: cert, key }, vec![]).err().unwrap();
        assert!(err.to_string().contains("cannot read TLS key"), "{err}");
    }
}
