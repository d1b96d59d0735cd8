//! Runs the master: binds the socket, serves HTTP or HTTPS, and runs the
//! background sweeps, until asked to stop.
//!
//! # Restart in place
//!
//! Everything built from the configuration — the [`AppState`] (config,
//! credentials, sessions, recordings, cluster, status), the router and the
//! background tasks — forms one *generation*. The listening socket and the TLS
//! certificate belong to the process and outlive generations: the socket is
//! served by one fixed dispatcher that hands every request to the current
//! generation's router. A restart ([`RestartTurn::restart`]) builds the next
//! generation from a new [`Config`], swaps it in, then retires the old one:
//! its background tasks stop, its media node connections close and its live
//! sessions are closed (OpenVidu's reason `openviduServerStopped`). Clients never
//! see the port closed; requests already running finish against the old
//! generation, and their effects end with it. The old generation's CDR writer
//! and webhook sender are not stopped: its closed bus ends them once they have
//! written and delivered what it held (`webhooks::dispatcher`), while the new
//! generation's already write to the new configuration's file and endpoint.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::serve::ListenerExt;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use tokio::sync::OwnedMutexGuard;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::api::router;
use crate::clock::now_ms;
use crate::config::{Config, PublicEndpoint};
use crate::events::cdr::CdrWriter;
use crate::gc::run_session_garbage_collector;
use crate::ids::IdGenerator;
use crate::live_metrics::LiveMetrics;
use crate::services::{AppState, RestartControl, RestartTurn, StartError, TurnFuture};
use crate::session::SessionStore;
use crate::status::ServerStatus;

/// How long in-flight requests get to finish on shutdown.
const GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// A path the configuration names cannot be written (exit code 2, as for bad configuration).
    #[error(transparent)]
    Start(#[from] StartError),
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
    /// The services as started; after a restart, [`RunningServer::current_state`] has the live ones.
    pub state: AppState,
    stop: StopSignal,
    server: JoinHandle<std::io::Result<()>>,
    services: Arc<Services>,
}

/// What outlives a restart: the listen address, the current generation and the dispatcher's router.
struct Services {
    local_addr: SocketAddr,
    /// Counted into by every generation, so a restart does not reset the counters.
    live_metrics: LiveMetrics,
    /// The current generation's router; the dispatcher clones it (an `Arc` inside) per request.
    router: RwLock<Router>,
    generation: Mutex<Option<Generation>>,
    /// One restart at a time, from reading the running configuration to the swap.
    turns: Arc<tokio::sync::Mutex<()>>,
}

/// The services built from one configuration.
struct Generation {
    state: AppState,
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

    let services = Arc::new(Services {
        local_addr,
        live_metrics: LiveMetrics::default(),
        router: RwLock::new(Router::new()),
        generation: Mutex::new(None),
        turns: Arc::new(tokio::sync::Mutex::new(())),
    });
    let (generation, router) = launch(config, ServerStatus::started(now_ms()), &services, Vec::new())?;
    *services.router.write().unwrap_or_else(PoisonError::into_inner) = router;
    *services.generation.lock().unwrap_or_else(PoisonError::into_inner) = Some(generation);
    let state = services.current().expect("the first generation is running");
    let stop = StopSignal::new();
    let (tls_fingerprint, tls_certificate_pem) = match &tls {
        Some(m) => (Some(m.fingerprint.clone()), Some(m.certificate_pem.clone())),
        None => (None, None),
    };
    let server = serve_http(listener, dispatcher(services.clone()), tls.map(|m| m.server_config), stop.clone())?;
    tracing::info!(listen = %local_addr, public_url = %public.http_url, "Plenum master listening");
    // openvidu-browser 2.22 and older dial wss:// whatever the token says: over plain HTTP they cannot connect.
    tracing::info!(
        url = %format!("{}/openvidu", public.ws_url),
        "browsers connect to this URL (openvidu-browser 2.22 and older need SERVER_SSL_ENABLED=true)"
    );
    Ok(RunningServer { local_addr, public, tls_fingerprint, tls_certificate_pem, state, stop, server, services })
}

/// Builds the services of one configuration and starts their background tasks.
/// Everything that must be rebuilt by a restart is started here.
/// `carried` are the media nodes of the previous generation, reconnected by the new one.
fn launch(
    config: Config,
    status: ServerStatus,
    services: &Arc<Services>,
    carried: Vec<crate::cluster::service::Carried>,
) -> Result<(Generation, Router), StartError> {
    let public = config.public_endpoint(services.local_addr);
    let sessions = SessionStore::new(IdGenerator::from_os());
    let state = AppState::new(config, public, sessions, status, services.live_metrics.clone())?;
    state.set_restarter(Arc::new(Restarter(Arc::downgrade(services))));
    let (inspector, inspector_sampler) = crate::inspector::start(state.clone());
    let router = router(state.clone(), crate::signaling::routes().merge(inspector));
    let background = vec![
        tokio::spawn(run_session_garbage_collector(state.clone())),
        tokio::spawn(crate::services::run_recording_autostop(state.clone())),
        state.cluster().start_background(carried),
        inspector_sampler,
    ];
    Ok((Generation { state, background }, router))
}

/// Stops a generation that is no longer served: background tasks, live sessions
/// (closed as OpenVidu does when it stops: each participant evicted with reason
/// `openviduServerStopped`), sockets and media node connections. Returns the CDR
/// writer, still writing what the closed bus holds.
fn retire(generation: Generation) -> Option<CdrWriter> {
    for task in &generation.background {
        task.abort();
    }
    generation.state.retire()
}

/// The one service on the socket: hands each request to the current generation's router.
fn dispatcher(services: Arc<Services>) -> Router {
    Router::new().fallback_service(tower::service_fn(move |request: Request| {
        let router = services.router.read().unwrap_or_else(PoisonError::into_inner).clone();
        router.oneshot(request)
    }))
}

impl Services {
    fn current(&self) -> Option<AppState> {
        self.generation.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|g| g.state.clone())
    }

    /// Swaps in a generation built from `config`; an error once the server is stopping or
    /// when the new services cannot start (the running ones are kept then).
    fn restart(self: &Arc<Self>, config: Config) -> Result<ServerStatus, String> {
        let mut slot = self.generation.lock().unwrap_or_else(PoisonError::into_inner);
        let previous = slot.as_ref().ok_or("The server is stopping")?;
        let status = previous.state.status().restarted(now_ms());
        let carried = previous.state.cluster().handover();
        let (generation, router) = launch(config, status, self, carried).map_err(|e| e.to_string())?;
        *self.router.write().unwrap_or_else(PoisonError::into_inner) = router;
        let old = slot.replace(generation).expect("checked above");
        drop(slot);
        if let Some(writer) = retire(old) {
            // Finishes on its own thread; the new generation writes its own lines meanwhile.
            std::thread::spawn(move || writer.finish());
        }
        tracing::info!(
            restart_counter = status.restart_counter,
            last_restart_time = status.last_restart_time,
            "Plenum master restarted"
        );
        Ok(status)
    }
}

/// What a request handler holds to restart the master it runs in ([`RestartControl`]).
/// It does not keep the master alive: once the server is shut down, `begin` says so.
#[derive(Clone)]
pub struct Restarter(Weak<Services>);

impl RestartControl for Restarter {
    fn begin(&self) -> TurnFuture<'_> {
        Box::pin(async move {
            let services = self.0.upgrade()?;
            let turn = services.turns.clone().lock_owned().await;
            Some(Box::new(Turn { services, _turn: turn }) as Box<dyn RestartTurn>)
        })
    }
}

/// The exclusive right to restart, as [`RestartTurn`].
struct Turn {
    services: Arc<Services>,
    _turn: OwnedMutexGuard<()>,
}

impl RestartTurn for Turn {
    fn current(&self) -> Option<AppState> {
        self.services.current()
    }

    fn restart(self: Box<Self>, config: Config) -> Result<ServerStatus, String> {
        self.services.restart(config)
    }
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
            let server = axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(config))?
                .map(|tls| tls.acceptor(axum_server::accept::NoDelayAcceptor::new()))
                .handle(handle.clone());
            tokio::spawn(async move {
                let stopper = handle.clone();
                tokio::spawn(async move {
                    stop.stopped().await;
                    stopper.graceful_shutdown(Some(GRACE));
                });
                server.serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
            })
        }
        None => {
            // No Nagle delay: a signaling answer written right after another small frame would
            // otherwise wait for the client's delayed ACK (~40 ms, bench/join.sh).
            let listener = tokio::net::TcpListener::from_std(listener)?.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(stop.stopped()).await })
        }
    })
}

impl RunningServer {
    /// The services running now: the ones [`RunningServer::state`] names, or those of the last restart.
    pub fn current_state(&self) -> AppState {
        self.services.current().unwrap_or_else(|| self.state.clone())
    }

    /// Stops accepting, lets in-flight requests finish, stops background tasks
    /// and closes live sessions.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        // Taking the generation first makes any restart that is still to come answer "stopping".
        let last = self.services.generation.lock().unwrap_or_else(PoisonError::into_inner).take();
        self.stop.stop();
        let mut server = self.server;
        let result = match tokio::time::timeout(GRACE, &mut server).await {
            Ok(Ok(result)) => result.map_err(ServeError::Io),
            Ok(Err(join)) => Err(ServeError::Io(std::io::Error::other(join))),
            Err(_) => {
                tracing::warn!("in-flight requests did not finish within {GRACE:?}; closing them");
                server.abort();
                Ok(())
            }
        };
        if let Some(writer) = last.and_then(retire) {
            let _ = tokio::task::spawn_blocking(move || writer.finish()).await;
        }
        result
    }
}
