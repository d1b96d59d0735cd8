//! Runs the master: binds the socket, serves HTTP or HTTPS, and runs the
//! background sweeps, until asked to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
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
    stop: StopSignal,
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
            let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
            let listen_ip = (!local_addr.ip().is_unspecified()).then(|| local_addr.ip().to_string());
            for name in [Some(public.host.clone()), listen_ip].into_iter().flatten() {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            let material = crate::tls::load(source, names)?;
            tracing::info!(fingerprint = %material.fingerprint, self_signed = matches!(source, crate::config::TlsSource::SelfSigned), "TLS certificate loaded");
            Some(material)
        }
        None => None,
    };

    let status = ServerStatus::started(now_ms());
    let state = AppState::new(config, public.clone(), SessionStore::new(IdGenerator::from_os()), status);
    let stop = StopSignal::new();
    let (tls_fingerprint, tls_certificate_pem) = match &tls {
        Some(m) => (Some(m.fingerprint.clone()), Some(m.certificate_pem.clone())),
        None => (None, None),
    };
    let server = serve_http(listener, router(state.clone()), tls.map(|m| m.server_config), stop.clone())?;
    let background = vec![tokio::spawn(run_session_garbage_collector(state.clone()))];
    tracing::info!(listen = %local_addr, public_url = %public.http_url, "Plenum master listening");
    Ok(RunningServer { local_addr, public, tls_fingerprint, tls_certificate_pem, state, stop, server, background })
}

/// Tells a server started by [`serve_http`] to stop accepting and finish.
#[derive(Clone)]
pub struct StopSignal(tokio::sync::watch::Sender<bool>);

impl StopSignal {
    pub fn new() -> Self {
        Self(tokio::sync::watch::channel(false).0)
    }

    pub fn stop(&self) {
        self.0.send_replace(true);
    }

    async fn stopped(self) {
        let mut receiver = self.0.subscribe();
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }
}

impl Default for StopSignal {
    fn default() -> Self {
        Self::new()
    }
}

/// Serves `app` on a listening socket with Plenum's HTTP stack: axum's own
/// server (hyper HTTP/1.1) for plain HTTP, axum-server with rustls for HTTPS.
/// The REST benchmark's baseline is served by this same function.
pub fn serve_http(
    listener: std::net::TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    stop: StopSignal,
) -> std::io::Result<JoinHandle<std::io::Result<()>>> {
    Ok(match tls {
        Some(config) => {
            let handle = Handle::new();
            let server =
                axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(config))?.handle(handle.clone());
            tokio::spawn(async move {
                let stopper = handle.clone();
                tokio::spawn(async move {
                    stop.stopped().await;
                    stopper.graceful_shutdown(Some(GRACE));
                });
                server.serve(app.into_make_service()).await
            })
        }
        None => {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(stop.stopped()).await })
        }
    })
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish, stops background tasks.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        for task in &self.background {
            task.abort();
        }
        self.stop.stop();
        let mut server = self.server;
        match tokio::time::timeout(GRACE, &mut server).await {
            Ok(Ok(result)) => result.map_err(ServeError::Io),
            Ok(Err(join)) => Err(ServeError::Io(std::io::Error::other(join))),
            Err(_) => {
                tracing::warn!("in-flight requests did not finish within {GRACE:?}; closing them");
                server.abort();
                Ok(())
            }
        }
    }
}
