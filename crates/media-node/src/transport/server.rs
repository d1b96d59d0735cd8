//! The control websocket: `ws://<listen>/kurento`, Kurento JSON-RPC, one
//! control plane for every socket.
//!
//! Requests of one socket are handled in order (a media answer is awaited
//! before the next request is read), so a client's `processOffer` always
//! precedes its `addIceCandidate`. Events from the control plane and from the
//! media layer are routed to the sockets of the subscribed sessions.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kurento_protocol::RpcError;
use kurento_protocol::event::Event;
use kurento_protocol::jsonrpc::{self, Incoming};
use serde_json::{Map, Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::files::{FILES_PATH, FileService};
use super::media_port::MediaPort;
use super::metrics_route::{self, METRICS_PATH};
use crate::control::binding::SocketId;
use crate::control::plane::{ControlPlane, Handled, Reply};
use crate::metrics::{NodeFigures, WorkerFigures, thread_cpu};
use crate::system::SystemMonitor;

/// The websocket path, as Kurento Media Server serves it.
pub const PATH: &str = "/kurento";

#[derive(Debug, Clone)]
pub struct ControlConfig {
    pub listen: SocketAddr,
    /// How often sessions without a socket are collected (Kurento: 240 s).
    pub gc_period: Duration,
    /// How long a session may stay without a socket before its objects go.
    pub session_grace: Duration,
    /// Where this node's recordings are written, announced in `ServerManager.getMetadata`.
    pub recording_root: Option<PathBuf>,
    /// The secret the master pulls recording files with; without it no file is served.
    /// With it, `/metrics` also needs it (as a Bearer token).
    pub secret: Option<String>,
    /// Whether `/metrics` is served.
    pub metrics: bool,
}

impl ControlConfig {
    /// The file route, when this node serves its recordings.
    fn file_service(&self) -> Option<FileService> {
        Some(FileService { root: self.recording_root.clone()?, secret: self.secret.clone().filter(|s| !s.is_empty())? })
    }

    /// `ServerManager.getMetadata`: how the master finds this node's recordings.
    fn metadata(&self) -> String {
        let files = self.file_service().map(|_| FILES_PATH);
        json!({"recordingRoot": self.recording_root, "filesPath": files}).to_string()
    }
}

impl Default for ControlConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8888)),
            gc_period: Duration::from_secs(240),
            session_grace: Duration::from_secs(240),
            recording_root: None,
            secret: None,
            metrics: true,
        }
    }
}

struct Shared {
    plane: Mutex<ControlPlane>,
    sockets: Mutex<HashMap<SocketId, mpsc::UnboundedSender<Message>>>,
    media: Arc<dyn MediaPort>,
    system: SystemMonitor,
    next_socket: AtomicU64,
}

impl Shared {
    fn plane(&self) -> MutexGuard<'_, ControlPlane> {
        self.plane.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies the commands and routes the events of a handled request.
    fn dispatch(&self, commands: Vec<crate::control::plane::MediaCommand>, events: Vec<Event>) {
        for command in commands {
            self.media.command(command);
        }
        for event in events {
            self.deliver(&event);
        }
    }

    /// What `/metrics` shows now: the objects of the control plane and the workers' latest counters.
    fn figures(&self) -> NodeFigures {
        let objects = self.plane().registry().count_by_class();
        let snapshots = self.media.worker_snapshots();
        let threads: Vec<Option<i32>> = snapshots.iter().map(|s| s.thread_id).collect();
        let cpu = thread_cpu::cpu_seconds(&threads);
        let workers =
            snapshots.into_iter().zip(cpu).map(|(snapshot, cpu_seconds)| WorkerFigures { snapshot, cpu_seconds });
        NodeFigures { objects, workers: workers.collect() }
    }

    fn deliver(&self, event: &Event) {
        let targets = self.plane().route(event);
        if targets.is_empty() {
            return;
        }
        let frame = jsonrpc::notification("onEvent", &event.to_params());
        let sockets = self.sockets.lock().unwrap_or_else(|p| p.into_inner());
        for target in targets {
            if let Some(socket) = sockets.get(&target) {
                let _ = socket.send(Message::text(frame.clone()));
            }
        }
    }
}

pub struct RunningControl {
    pub local_addr: SocketAddr,
    pub task: JoinHandle<()>,
}

/// Binds the control websocket and serves it until the task is aborted.
pub async fn start(
    config: ControlConfig,
    media: Arc<dyn MediaPort>,
    mut media_events: mpsc::UnboundedReceiver<Event>,
) -> std::io::Result<RunningControl> {
    let listener = TcpListener::bind(config.listen).await?;
    let local_addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        plane: Mutex::new(ControlPlane::new(build_time()).with_metadata(config.metadata())),
        sockets: Mutex::new(HashMap::new()),
        media,
        system: SystemMonitor::start(),
        next_socket: AtomicU64::new(1),
    });

    let router = shared.clone();
    let events = tokio::spawn(async move {
        while let Some(event) = media_events.recv().await {
            router.deliver(&event);
        }
    });
    let collector = shared.clone();
    let gc = tokio::spawn(async move {
        let mut ticker = tokio::time::interval(config.gc_period);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let handled = collector.plane().collect_garbage(crate::now_ms(), config.session_grace.as_millis() as u64);
            if !handled.commands.is_empty() {
                tracing::info!(released = handled.commands.len(), "released objects of sessions gone for too long");
            }
            collector.dispatch(handled.commands, handled.events);
        }
    });
    let (http, paths) = http_routes(&config, &shared);
    let paths = Arc::new(paths);
    let task = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    // Control replies are small frames; Nagle would hold them behind unacknowledged ones.
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    let (http, paths) = (http.clone(), paths.clone());
                    tokio::spawn(async move {
                        if asks_for_http(&stream, &paths).await {
                            serve_http(http, stream).await;
                        } else if let Err(error) = serve_socket(shared, stream).await {
                            tracing::debug!(%peer, %error, "control socket ended");
                        }
                    });
                }
                Err(error) => tracing::warn!(%error, "accepting a control connection failed"),
            }
        }
    });
    let task = tokio::spawn(async move {
        let _ = task.await;
        events.abort();
        gc.abort();
    });
    tracing::info!(%local_addr, path = PATH, "media node control listening");
    Ok(RunningControl { local_addr, task })
}

/// The HTTP routes of the control port and the path prefixes they answer:
/// the file route (with a recording root and a secret) and `/metrics` (a 404 when turned off).
fn http_routes(config: &ControlConfig, shared: &Arc<Shared>) -> (axum::Router, Vec<&'static str>) {
    let mut router = axum::Router::new();
    let mut paths = Vec::new();
    if let Some(files) = config.file_service() {
        router = router.merge(super::files::router(files));
        paths.push(FILES_PATH);
    }
    router = if config.metrics {
        let source = shared.clone();
        let secret = config.secret.clone().filter(|s| !s.is_empty());
        router.merge(metrics_route::router(secret, Arc::new(move || source.figures())))
    } else {
        router.merge(metrics_route::turned_off_router())
    };
    paths.push(METRICS_PATH);
    (router, paths)
}

/// Whether the request on `stream` is for one of the HTTP routes under `paths` rather
/// than the websocket: decided from its request line, peeked without consuming it.
async fn asks_for_http(stream: &TcpStream, paths: &[&str]) -> bool {
    let enough = "DELETE ".len() + paths.iter().map(|p| p.len()).max().unwrap_or(0);
    let mut head = [0u8; 64];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let peeked = match tokio::time::timeout_at(deadline, stream.peek(&mut head)).await {
            Ok(Ok(n)) => n,
            _ => return false,
        };
        let line = &head[..peeked];
        if peeked == 0 || peeked >= enough || line.contains(&b'\n') {
            let target = line.split(|b| *b == b' ').nth(1).unwrap_or_default();
            return paths.iter().any(|path| target.starts_with(path.as_bytes()));
        }
        // The rest of the request line is still in flight; peek again shortly.
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Serves one HTTP/1.1 connection with the HTTP routes.
async fn serve_http(router: axum::Router, stream: TcpStream) {
    let service = hyper_util::service::TowerToHyperService::new(router);
    let io = hyper_util::rt::TokioIo::new(stream);
    if let Err(error) = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await {
        tracing::debug!(%error, "HTTP connection ended");
    }
}

async fn serve_socket(shared: Arc<Shared>, stream: TcpStream) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    // The signature is tungstenite's handshake callback; its error type is an HTTP response.
    #[allow(clippy::result_large_err)]
    let check_path = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        if request.uri().path() == PATH {
            Ok(response)
        } else {
            let mut refusal = ErrorResponse::new(Some(format!("Invalid path: the control websocket is {PATH}")));
            *refusal.status_mut() = StatusCode::NOT_FOUND;
            Err(refusal)
        }
    };
    let websocket = tokio_tungstenite::accept_hdr_async(stream, check_path).await?;
    let (mut sink, mut source) = websocket.split();
    let socket = shared.next_socket.fetch_add(1, Ordering::Relaxed);
    let (outgoing, mut queue) = mpsc::unbounded_channel::<Message>();
    shared.sockets.lock().unwrap_or_else(|p| p.into_inner()).insert(socket, outgoing.clone());
    let writer = tokio::spawn(async move {
        while let Some(message) = queue.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
    });

    while let Some(message) = source.next().await {
        let text = match message {
            Ok(Message::Text(text)) => text,
            // kurento-client (reconnect-ws streams) sends its JSON in binary frames; KMS reads them
            // too. Bytes that are not UTF-8 get the parse error any bad JSON gets.
            Ok(Message::Binary(bytes)) => String::from_utf8_lossy(&bytes).into_owned().into(),
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        if let Some(reply) = handle_frame(&shared, socket, &text).await
            && outgoing.send(Message::text(reply)).is_err()
        {
            break;
        }
    }

    shared.sockets.lock().unwrap_or_else(|p| p.into_inner()).remove(&socket);
    shared.plane().socket_closed(socket, crate::now_ms());
    drop(outgoing);
    let _ = writer.await;
    Ok(())
}

/// Handles one text frame; returns the response frame, if one is due.
async fn handle_frame(shared: &Shared, socket: SocketId, text: &str) -> Option<String> {
    match jsonrpc::parse(text) {
        Err(malformed) => Some(jsonrpc::error(malformed.id.as_ref(), &malformed.error)),
        Ok(Incoming::Response { .. }) => None,
        Ok(Incoming::Notification { method, params }) => {
            let _ = run(shared, socket, &method, params.as_ref()).await;
            None
        }
        Ok(Incoming::Request { id, method, params }) => {
            Some(match run(shared, socket, &method, params.as_ref()).await {
                Ok(result) => jsonrpc::result(&id, &result),
                Err(error) => jsonrpc::error(Some(&id), &error),
            })
        }
    }
}

/// Runs one call to completion: media steps awaited, transactions stepped through.
async fn run(
    shared: &Shared,
    socket: SocketId,
    method: &str,
    params: Option<&Map<String, Value>>,
) -> Result<Value, RpcError> {
    let handled = {
        let system = shared.system.snapshot();
        shared.plane().handle(socket, method, params, crate::now_ms(), &system)
    };
    let Handled { reply, commands, events } = handled;
    shared.dispatch(commands, events);
    match reply {
        Reply::Now(result) => result,
        Reply::Media { session, request } => {
            let answer = shared.media.request(request).await;
            shared.plane().media_answered(socket, &session, answer, crate::now_ms())
        }
        Reply::Transaction(mut transaction) => {
            while let Some(step) = transaction.next_step() {
                let outcome = Box::pin(run(shared, socket, &step.method, Some(&step.params))).await;
                transaction.record(step.id, outcome);
            }
            Ok(transaction.finish())
        }
    }
}

/// When this build was made, for `ModuleInfo.generationTime`.
fn build_time() -> String {
    option_env!("PLENUM_BUILD_TIME").unwrap_or(concat!("plenum-media-node ", env!("CARGO_PKG_VERSION"))).to_string()
}
