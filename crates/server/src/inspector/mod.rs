//! The Inspector: Plenum's operator dashboard at `/inspector` (OpenVidu Pro's
//! Inspector, reference `peer-systems.md` §1.8).
//!
//! An adapter beside `api` and `signaling` (neither it nor `api` imports the
//! other; `server` mounts [`start`]'s routes into the router). The pages are
//! plain ES modules embedded in the binary (`assets`), so nothing is built at
//! run time. Signing in (`sign_in`) checks `OPENVIDUAPP` and the secret and sets
//! a signed `HttpOnly`, `SameSite=Strict` cookie (`cookie`); every Inspector
//! path but the sign-in page and its script and style needs it (`guard`). The
//! page then calls the REST API itself, same origin, with the Basic credentials
//! it keeps in `sessionStorage` for the tab; the REST API's CORS is unchanged.
//! The Inspector's own endpoints are the live feed (`live`: the event bus and
//! node load samples over SSE), the history (`history_files` reading the CDR,
//! `history` the pure parsing) and the node load of the last hour (`node_load`,
//! sampled by `sampler`, which also turns each endpoint's `getStats` into the
//! stream charts' figures with the pure `stream_stats`), and the recordings' files for the player
//! (`recording_files`, the REST route's checks behind the cookie).

mod assets;
mod cookie;
mod guard;
mod history;
mod history_files;
mod live;
mod node_load;
mod recording_files;
mod sampler;
mod sign_in;
mod stream_stats;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::middleware::from_fn;
use axum::routing::{get, post};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::services::AppState;

pub use cookie::{Refusal, SessionCookie};
pub use history::{History, PastSession, parse as parse_history};
pub use node_load::{NodeLoad, Sample};
pub use stream_stats::{MediaFigures, StreamRates};

/// One generation's Inspector: its cookie key, the node load history and the feed of new samples.
pub(crate) struct Inspector {
    cookie: SessionCookie,
    /// TLS on: the cookie is `Secure`.
    secure: bool,
    load: Mutex<NodeLoad>,
    /// Samples for the live feed: `("load", …)` node loads, `("stats", …)` per-stream WebRTC figures.
    feed: broadcast::Sender<(&'static str, serde_json::Value)>,
}

/// The Inspector's routes, and its node load sampler (a background task of the generation).
pub fn start(state: AppState) -> (Router<AppState>, JoinHandle<()>) {
    let (feed, _) = broadcast::channel(64);
    let inspector = Arc::new(Inspector {
        cookie: SessionCookie::new(&sign_in::cookie_key(&state.config().secret)),
        secure: state.config().tls.is_some(),
        load: Mutex::new(NodeLoad::new(sampler::WINDOW_MS, sampler::CAPACITY)),
        feed,
    });
    let sampler = tokio::spawn(sampler::run(state, inspector.clone()));
    let guarded = inspector.clone();
    let routes = Router::new()
        .route("/inspector", get(assets::index))
        .route("/inspector/", get(assets::index))
        .route("/inspector/sign-in", get(assets::sign_in_page).post(sign_in::sign_in))
        .route("/inspector/sign-out", post(sign_in::sign_out))
        .route("/inspector/assets/{*file}", get(assets::file))
        .route("/inspector/api/live", get(live::live))
        .route("/inspector/api/history", get(history_files::history))
        .route("/inspector/api/node-load", get(sampler::series))
        .route("/inspector/recordings/{recording_id}/{file}", get(recording_files::serve))
        .layer(from_fn(move |request, next| guard::admit(guarded.clone(), request, next)))
        .layer(axum::Extension(inspector));
    (routes, sampler)
}
