//! The REST API, served on both OpenVidu path families by one set of handlers.
//!
//! | 2.16+ (current)                 | 2.13-2.15 (legacy, `SUPPORT_DEPRECATED_API`) |
//! |---------------------------------|-----------------------------------------------|
//! | `/openvidu/api/sessions...`     | `/api/sessions...`                            |
//! | `/openvidu/api/tokens`, `/signal`, `/recordings...` | `/api/tokens`, ...        |
//! | `/openvidu/api/config[/...]`    | `/config[/...]`                               |
//! | `/openvidu/cdr`                 | `/cdr`                                        |
//! | `/openvidu/api/media-nodes...`, `/restart` | `/pro/media-nodes...`, `/pro/restart`, `/pro/config` |
//!
//! Both return the 2.16+ shapes, which are supersets of the 2.13 ones. A known
//! path with an unmapped method answers 403 on the current family and 405 on
//! the legacy one, as the OpenVidu e2e suites of 2.32 and 2.13 expect.
//!
//! `openapi.json` describes all of it (OpenAPI 3.1, served by `openapi`);
//! `tests/openapi.rs` checks it against [`registered_paths`] and real replies.

mod auth;
mod body;
mod capacity;
mod cdr;
mod certificate;
mod config;
mod connections;
mod error;
mod extract;
mod front_door;
mod guard;
mod health;
mod legacy_token;
mod media_nodes;
mod metrics;
mod openapi;
mod probes;
mod recording_files;
mod recordings;
mod request_metrics;
mod request_trace;
mod respond;
mod restart;
mod sessions;
mod signal;
mod streams;
mod tokens;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, any, get, post};
use axum::{Extension, Router};
use tower::ServiceBuilder;
use tower_http::cors::CorsLayer;

pub use crate::services::AppState;
pub use auth::{Credentials, USER, requires_auth};
pub use body::MAX_BODY_BYTES;
pub use error::ApiError;
pub use front_door::front_door;
pub use signal::Signal;

/// The whole HTTP surface of the master: the REST API and `mounted` (the signaling
/// websocket's route, given by the server so that neither adapter imports the other),
/// behind one front door.
///
/// Routes are registered with their full paths rather than nested, so a
/// request is matched once and its URI is never rewritten.
pub fn router(state: AppState, mounted: Router<AppState>) -> Router {
    let app = rest_routes(state.config().support_deprecated_api).router.merge(mounted);
    // One `Router::layer` for the whole stack, outermost first: each `Router::layer` boxes every
    // route once more, which every request pays for (bench/rest.sh). The metrics are outside
    // the front door, so refused requests are counted too.
    let layers = ServiceBuilder::new()
        .layer(request_trace::set_id())
        .layer(request_trace::trace())
        .layer(request_trace::propagate_id())
        .option_layer(state.live_metrics().cloned().map(request_metrics::RecordLayer))
        .layer(CorsLayer::permissive())
        .layer(from_fn_with_state(state.clone(), front_door::front_door));
    app.fallback(not_found).layer(layers).with_state(state)
}

/// Every path [`router`] registers itself (axum's syntax: `/openvidu/api/sessions/{session_id}`),
/// `mounted` ones aside. `tests/openapi.rs` checks that the OpenAPI spec documents each.
pub fn registered_paths(support_deprecated_api: bool) -> Vec<String> {
    rest_routes(support_deprecated_api).paths
}

/// A router that remembers the paths it registers, so that they can be listed without a running server.
#[derive(Default)]
struct Routes {
    router: Router<AppState>,
    paths: Vec<String>,
}

impl Routes {
    fn route(mut self, path: &str, handler: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, handler);
        self.paths.push(path.to_string());
        self
    }

    fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self
    }

    /// Applies a fallback or a layer to the routes registered so far.
    fn map(mut self, change: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Self {
        self.router = change(self.router);
        self
    }
}

/// The REST API's routes on the path families `support_deprecated_api` asks for.
fn rest_routes(support_deprecated_api: bool) -> Routes {
    let mut app = current_family()
        .merge(pro_family())
        .route("/openvidu/cdr", get(cdr::list).fallback(forbidden))
        .route("/openvidu/cdr/{file}", get(cdr::download).fallback(forbidden))
        .route("/openvidu/accept-certificate", get(certificate::accept))
        .route("/openvidu/recordings/{recording_id}/{file}", get(recording_files::serve).fallback(forbidden))
        .route("/metrics", get(metrics::scrape))
        .route("/plenum/live", get(probes::live))
        .route("/plenum/ready", get(probes::ready));
    if support_deprecated_api {
        app = app
            .merge(legacy_family())
            .route("/cdr", get(cdr::list).fallback(method_not_allowed))
            .route("/cdr/{file}", get(cdr::download).fallback(method_not_allowed))
            .route("/accept-certificate", get(certificate::accept))
            .route("/recordings/{recording_id}/{file}", get(recording_files::serve).fallback(method_not_allowed));
    }
    app
}

/// `/openvidu/api/...`: resources, config, health and status, and the OpenAPI spec of it all.
fn current_family() -> Routes {
    const PREFIX: &str = "/openvidu/api";
    resources(PREFIX)
        .merge(config_routes(PREFIX))
        .route("/openvidu/api/health", get(health::health))
        .route("/openvidu/api/status", get(health::status))
        .route("/openvidu/api/speech-to-text/{*operation}", any(speech_to_text_disabled))
        .route("/openvidu/api/openapi.json", get(openapi::serve))
        .merge(pro_routes(PREFIX))
        .map(|router| router.method_not_allowed_fallback(forbidden))
}

/// `/api/...` and `/config...`, marked so handlers can add the 2.13 keys.
fn legacy_family() -> Routes {
    resources("/api")
        .map(|router| router.method_not_allowed_fallback(method_not_allowed).layer(Extension(extract::Family::Legacy)))
        .merge(config_routes("").map(|router| router.method_not_allowed_fallback(method_not_allowed)))
}

/// Sessions, connections, streams, tokens, signals and recordings under `prefix`.
fn resources(prefix: &str) -> Routes {
    let path = |tail: &str| format!("{prefix}{tail}");
    Routes::default()
        .route(&path("/sessions"), post(sessions::create).get(sessions::list))
        .route(&path("/sessions/{session_id}"), get(sessions::get).delete(sessions::delete))
        .route(&path("/sessions/{session_id}/connection"), post(connections::create).get(connections::list))
        .route(
            &path("/sessions/{session_id}/connection/{connection_id}"),
            get(connections::get).patch(connections::update).delete(connections::delete),
        )
        .route(&path("/sessions/{session_id}/stream/{stream_id}"), axum::routing::delete(streams::delete))
        .route(&path("/tokens"), post(tokens::create))
        .route(&path("/signal"), post(signal::send))
        .route(&path("/recordings"), get(recordings::list))
        .route(&path("/recordings/start"), post(recordings::start))
        .route(&path("/recordings/stop/{recording_id}"), post(recordings::stop))
        .route(&path("/recordings/{recording_id}"), get(recordings::get).delete(recordings::delete))
}

/// The Pro operations (media nodes, restart) under `prefix`.
fn pro_routes(prefix: &str) -> Routes {
    let path = |tail: &str| format!("{prefix}{tail}");
    Routes::default()
        .route(&path("/media-nodes"), get(media_nodes::list).post(media_nodes::add).put(media_nodes::discover))
        .route(
            &path("/media-nodes/{node_id}"),
            get(media_nodes::get).delete(media_nodes::remove).patch(media_nodes::modify),
        )
        .route(&path("/restart"), post(restart::restart))
}

/// `/pro/...`: the 2.12–2.15 Pro paths, always served (Pro clients of those versions use them).
fn pro_family() -> Routes {
    pro_routes("/pro")
        .route("/pro/config", get(config::all))
        .map(|router| router.method_not_allowed_fallback(method_not_allowed))
}

fn config_routes(prefix: &str) -> Routes {
    let path = |tail: &str| format!("{prefix}/config{tail}");
    Routes::default()
        .route(&path(""), get(config::all))
        .route(&path("/openvidu-version"), get(config::version))
        .route(&path("/openvidu-publicurl"), get(config::public_url))
        .route(&path("/openvidu-recording"), get(config::recording))
        .route(&path("/openvidu-recording-path"), get(config::recording_path))
        .route(&path("/openvidu-cdr"), get(config::cdr))
}

/// OpenVidu answers 501 on every speech-to-text operation while STT is off, and Plenum has none.
async fn speech_to_text_disabled() -> ApiError {
    ApiError::Message(
        StatusCode::NOT_IMPLEMENTED,
        "Speech to text is disabled (OPENVIDU_PRO_SPEECH_TO_TEXT=disabled; Plenum has no speech-to-text engine)".into(),
    )
}

async fn forbidden(request: Request) -> ApiError {
    ApiError::Message(StatusCode::FORBIDDEN, format!("Method {} is not allowed on this path", request.method()))
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::Message(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Request method '{}' is not supported on this path", request.method()),
    )
}

async fn not_found(request: Request) -> ApiError {
    ApiError::Message(StatusCode::NOT_FOUND, format!("No endpoint at {} {}", request.method(), request.uri().path()))
}
