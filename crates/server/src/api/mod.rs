//! The REST API, served on both OpenVidu path families by one set of handlers.
//!
//! | 2.16+ (current)                 | 2.13-2.15 (legacy, `SUPPORT_DEPRECATED_API`) |
//! |---------------------------------|-----------------------------------------------|
//! | `/openvidu/api/sessions...`     | `/api/sessions...`                            |
//! | `/openvidu/api/tokens`, `/signal`, `/recordings...` | `/api/tokens`, ...        |
//! | `/openvidu/api/config[/...]`    | `/config[/...]`                               |
//! | `/openvidu/cdr`                 | `/cdr`                                        |
//!
//! Both return the 2.16+ shapes, which are supersets of the 2.13 ones. A known
//! path with an unmapped method answers 403 on the current family and 405 on
//! the legacy one, as the OpenVidu e2e suites of 2.32 and 2.13 expect.

mod auth;
mod body;
mod cdr;
mod config;
mod connections;
mod error;
mod extract;
mod guard;
mod health;
mod recordings;
mod respond;
mod sessions;
mod signal;
mod state;
mod streams;
mod tokens;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::{Extension, Router};
use tower_http::cors::CorsLayer;

pub use auth::{Credentials, USER, require_basic_auth, requires_auth};
pub use body::MAX_BODY_BYTES;
pub use error::ApiError;
pub use signal::Signal;
pub use state::AppState;

/// The whole HTTP surface of the master.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .nest("/openvidu/api", current_family())
        .route("/openvidu/cdr", get(cdr::list).fallback(forbidden));
    if state.config().support_deprecated_api {
        app = app
            .nest(
                "/api",
                resources().method_not_allowed_fallback(method_not_allowed).layer(Extension(extract::Family::Legacy)),
            )
            .merge(config_routes().method_not_allowed_fallback(method_not_allowed))
            .route("/cdr", get(cdr::list).fallback(method_not_allowed));
    }
    app.fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn_with_state(state.clone(), auth::require_basic_auth))
        .layer(from_fn(guard::reject_traversal))
        .layer(from_fn(error::fill_error_bodies))
        .layer(CorsLayer::permissive())
        .with_state(state)
}

/// `/openvidu/api/...`: resources, config, health and status.
fn current_family() -> Router<AppState> {
    resources()
        .merge(config_routes())
        .route("/health", get(health::health))
        .route("/status", get(health::status))
        .method_not_allowed_fallback(forbidden)
}

/// Sessions, connections, streams, tokens, signals and recordings.
fn resources() -> Router<AppState> {
    Router::new()
        .route("/sessions", post(sessions::create).get(sessions::list))
        .route("/sessions/{session_id}", get(sessions::get).delete(sessions::delete))
        .route("/sessions/{session_id}/connection", post(connections::create).get(connections::list))
        .route(
            "/sessions/{session_id}/connection/{connection_id}",
            get(connections::get).patch(connections::update).delete(connections::delete),
        )
        .route("/sessions/{session_id}/stream/{stream_id}", axum::routing::delete(streams::delete))
        .route("/tokens", post(tokens::create))
        .route("/signal", post(signal::send))
        .route("/recordings", get(recordings::list))
        .route("/recordings/start", post(recordings::start))
        .route("/recordings/stop/{recording_id}", post(recordings::stop))
        .route("/recordings/{recording_id}", get(recordings::get).delete(recordings::delete))
}

fn config_routes() -> Router<AppState> {
    Router::new()
        .route("/config", get(config::all))
        .route("/config/openvidu-version", get(config::version))
        .route("/config/openvidu-publicurl", get(config::public_url))
        .route("/config/openvidu-recording", get(config::recording))
        .route("/config/openvidu-recording-path", get(config::recording_path))
        .route("/config/openvidu-cdr", get(config::cdr))
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
