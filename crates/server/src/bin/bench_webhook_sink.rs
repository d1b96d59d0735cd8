//! `plenum-bench-webhook-sink`: the webhook receiver of `bench/webhooks.sh`.
//!
//! Receives webhook POSTs on loopback and answers as told: `ok` (200 at once,
//! the fast receiver a webhooks-on benchmark needs), `error` (500), or `hang`
//! (never answers, so the master's 10 s timeouts run). It counts what arrived
//! and prints `SINK_RESULT requests=<n> bytes=<n>` on SIGTERM or Ctrl-C, so the
//! benchmark can check the events really reached it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use clap::{Parser, ValueEnum};
use std::future::IntoFuture;

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    Ok,
    Error,
    Hang,
}

#[derive(Parser)]
struct Cli {
    /// Address to listen on (keep it on loopback).
    #[arg(long, default_value = "127.0.0.1:4445")]
    listen: SocketAddr,
    #[arg(long, value_enum, default_value = "ok")]
    mode: Mode,
}

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    bytes: AtomicU64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let counts = Arc::new(Counts::default());
    let mode = cli.mode;
    let app = Router::new().fallback(move |State(counts): State<Arc<Counts>>, body: Bytes| async move {
        counts.requests.fetch_add(1, Ordering::Relaxed);
        counts.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
        match mode {
            Mode::Ok => StatusCode::OK,
            Mode::Error => StatusCode::INTERNAL_SERVER_ERROR,
            Mode::Hang => std::future::pending().await,
        }
    });
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    let server = tokio::spawn(axum::serve(listener, app.with_state(counts.clone())).into_future());
    stop_signal().await;
    // Hanging handlers never finish: stop without waiting for them.
    server.abort();
    println!(
        "SINK_RESULT requests={} bytes={}",
        counts.requests.load(Ordering::Relaxed),
        counts.bytes.load(Ordering::Relaxed)
    );
    Ok(())
}

async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
