//! `plenum`: the master process.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use plenum::config::Config;

/// The config file used when none is given: in the working directory, read at
/// startup if it exists, created by the first `POST /openvidu/api/restart`.
const DEFAULT_CONFIG_FILE: &str = "plenum.env";

/// Plenum master: OpenVidu Pro 2.x compatible REST API, signaling and cluster control.
///
/// Configuration comes from built-in defaults, then the config file (OpenVidu
/// `.env` format), then environment variables of the same names.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Config file in OpenVidu's `.env` format (KEY=VALUE lines, # comments).
    /// Without it, ./plenum.env is read if it exists. `POST /openvidu/api/restart`
    /// writes accepted values to this file (creating ./plenum.env if needed).
    #[arg(long, env = "PLENUM_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = plenum_log::init() {
        eprintln!("plenum: {error}");
        return ExitCode::from(2);
    }

    let (path, to_create) = config_file(cli.config);
    let mut outcome = match Config::load(path.as_deref(), &|key| std::env::var(key).ok()) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("plenum: {error}");
            return ExitCode::from(2);
        }
    };
    for warning in &outcome.warnings {
        tracing::warn!("{warning}");
    }
    match (&path, to_create) {
        (Some(path), _) => tracing::info!(config_file = %path.display(), "configuration read"),
        (None, Some(default)) => {
            tracing::info!(config_file = %default.display(), "no config file yet; a restart through the API creates it");
            outcome.config.config_file = Some(default);
        }
        (None, None) => {}
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
            // A path the configuration names cannot be written: a configuration problem.
            Err(error @ plenum::server::ServeError::Start(_)) => {
                eprintln!("plenum: {error}");
                return ExitCode::from(2);
            }
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

/// The file to read at startup, and the default file a restart creates when there is none.
fn config_file(given: Option<PathBuf>) -> (Option<PathBuf>, Option<PathBuf>) {
    if let Some(path) = given {
        return (Some(path), None);
    }
    let default =
        std::env::current_dir().map(|dir| dir.join(DEFAULT_CONFIG_FILE)).unwrap_or(DEFAULT_CONFIG_FILE.into());
    if default.exists() { (Some(default), None) } else { (None, Some(default)) }
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
