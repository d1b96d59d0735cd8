//! Runs the master: binds the socket, serves HTTP or HTTPS, and runs the
//! background sweeps, until asked to stop.

use std::net::SocketAddr;
use std::time::Duration;

use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use tokio::task::JoinHandle;

use crate::api::{AppState, router};
use crate::clock::now_ms;
use crate::config::{Config, PublicEndpoint};
use crate::gc::run_session_garbage_collector;
use crate::session::SessionStore;
use crate::session::ids::IdGenerator;
use crate::status::ServerStatus;

/// How long in-flight requests get to finish on shutdown.
const GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A master that is serving requests.
pub struct RunningServer {
    pub local_addr: SocketAddr,
    pub public: PublicEndpoint,
    /// SHA-256 fingerprint of the TLS certificate, when TLS is on.
    pub tls_fingerprint: Option<String>,
    /// PEM of the TLS certificate, when TLS is on.
    pub tls_certificate_pem: Option<String>,
    pub state: AppState,
    handle: Handle<SocketAddr>,
    server: JoinHandle<std::io::Result<()>>,
    background: Vec<JoinHandle<()>>,
}

/// Binds and starts serving; returns once the socket is listening.
pub async fn start(config: Config) -> Result<RunningServer, ServeError> {
    let listener = std::net::TcpListener::bind(config.listen)
        .map_err(|source| ServeError::Bind { addr: config.listen, source })?;
    listener.set_nonblocking(true)?;
    let local_addr = listener.local_addr()?;
    let public = config.public_endpoint(local_addr);

    let tls = match &config.tls {
        Some(source) => {
            let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string(), public.host.clone()];
            if !local_addr.ip().is_unspecified() {
                names.push(local_addr.ip().to_string());
            }
            names.dedup();
            let material = crate::tls::load(source, names)?;
            tracing::info!(fingerprint = %material.fingerprint, self_signed = matches!(source, crate::config::TlsSource::SelfSigned), "TLS certificate loaded");
            Some(material)
        }
        None => None,
    };

    let status = ServerStatus::started(now_ms());
    let state = AppState::new(config, public.clone(), SessionStore::new(IdGenerator::from_os()), status);
    let app = router(state.clone()).into_make_service();
    let handle = Handle::new();
    let (tls_fingerprint, tls_certificate_pem) = match &tls {
        Some(m) => (Some(m.fingerprint.clone()), Some(m.certificate_pem.clone())),
        None => (None, None),
    };
    let server = match tls {
        Some(material) => {
            let rustls = RustlsConfig::from_config(material.server_config);
            let server = axum_server::from_tcp_rustls(listener, rustls)?.handle(handle.clone());
            tokio::spawn(server.serve(app))
        }
        None => {
            let server = axum_server::from_tcp(listener)?.handle(handle.clone());
            tokio::spawn(server.serve(app))
        }
    };
    handle.listening().await;
    let background = vec![tokio::spawn(run_session_garbage_collector(state.clone()))];
    tracing::info!(listen = %local_addr, public_url = %public.http_url, "Plenum master listening");
    Ok(RunningServer { local_addr, public, tls_fingerprint, tls_certificate_pem, state, handle, server, background })
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish, stops background tasks.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        for task in &self.background {
            task.abort();
        }
        self.handle.graceful_shutdown(Some(GRACE));
        match self.server.await {
            Ok(result) => result.map_err(ServeError::Io),
            Err(join) => Err(ServeError::Io(std::io::Error::other(join))),
        }
    }
}
