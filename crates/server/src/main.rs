//! `plenum`: the master process.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use plenum::config::Config;
use tracing_subscriber::EnvFilter;

/// Plenum master: OpenVidu Pro 2.x compatible REST API, signaling and cluster control.
///
/// Configuration comes from built-in defaults, then the optional config file
/// (OpenVidu `.env` format), then environment variables of the same names.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Config file in OpenVidu's `.env` format (KEY=VALUE lines, # comments).
    #[arg(long, env = "PLENUM_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("PLENUM_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();

    let outcome = match Config::load(cli.config.as_deref(), &|key| std::env::var(key).ok()) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("plenum: {error}");
            return ExitCode::from(2);
        }
    };
    for warning in &outcome.warnings {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("plenum: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match plenum::server::start(outcome.config).await {
            Ok(server) => server,
            Err(error) => {
                eprintln!("plenum: {error}");
                return ExitCode::FAILURE;
            }
        };
        wait_for_stop_signal().await;
        tracing::info!("stopping");
        match server.shutdown().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("plenum: {error}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn wait_for_stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
