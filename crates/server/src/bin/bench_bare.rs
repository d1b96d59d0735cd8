//! `plenum-bench-bare`: the baseline of `bench/rest.sh`.
//!
//! Serves the three benchmarked routes, through Plenum's own HTTP stack
//! ([`serve_http`]), with handlers that return fixed bodies
//! (the same bytes Plenum returns), behind Plenum's own front-door layer (path
//! guard, authentication, error bodies).
//! Comparing it with the real master measures what Plenum's session logic
//! costs on top of HTTP, routing and auth.

use std::net::SocketAddr;

use axum::Router;
use axum::http::header;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use clap::Parser;
use plenum::api::{AppState, front_door};
use plenum::clock::now_ms;
use plenum::config::Config;
use plenum::ids::IdGenerator;
use plenum::server::{StopSignal, serve_http};
use plenum::session::SessionStore;
use plenum::status::ServerStatus;

#[derive(Parser)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4444")]
    listen: SocketAddr,
    /// File whose content the GET route returns (a Session JSON saved from Plenum).
    #[arg(long)]
    session_body: std::path::PathBuf,
    /// File whose content the POST routes return.
    #[arg(long)]
    post_body: std::path::PathBuf,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let session_body: &'static str = Box::leak(std::fs::read_to_string(&cli.session_body)?.into_boxed_str());
    let post_body: &'static str = Box::leak(std::fs::read_to_string(&cli.post_body)?.into_boxed_str());
    let config = Config::load(None, &|key| std::env::var(key).ok()).map_err(std::io::Error::other)?.config;
    let public = config.public_endpoint(cli.listen);
    let state = AppState::new(
        config,
        public,
        SessionStore::new(IdGenerator::from_os()),
        ServerStatus::started(now_ms()),
        plenum::live_metrics::LiveMetrics::default(),
    )
    .map_err(std::io::Error::other)?;
    let json = |body: &'static str| move || async move { ([(header::CONTENT_TYPE, "application/json")], body) };
    let app = Router::new()
        .route("/openvidu/api/sessions/{id}", get(json(session_body)))
        .route("/openvidu/api/sessions", post(json(post_body)))
        .route("/openvidu/api/sessions/{id}/connection", post(json(post_body)))
        .layer(from_fn_with_state(state, front_door));
    let listener = std::net::TcpListener::bind(cli.listen)?;
    listener.set_nonblocking(true)?;
    eprintln!("bare baseline listening on {}", listener.local_addr()?);
    let server = serve_http(listener, app, None, StopSignal::new())?;
    server.await.map_err(std::io::Error::other)?
}
