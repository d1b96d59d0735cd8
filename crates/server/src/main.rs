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
        plenum_log::report(format_args!("plenum: {error}"));
        return ExitCode::from(2);
    }

    let (path, to_create) = config_file(cli.config);
    let mut outcome = match Config::load(path.as_deref(), &|key| std::env::var(key).ok()) {
        Ok(outcome) => outcome,
        Err(error) => {
            plenum_log::report(format_args!("plenum: {error}"));
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
            plenum_log::report(format_args!("plenum: cannot start the async runtime: {error}"));
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let stop_signals = match StopSignals::install() {
            Ok(signals) => signals,
            Err(error) => {
                plenum_log::report(format_args!("plenum: cannot listen for SIGTERM/SIGINT: {error}"));
                return ExitCode::FAILURE;
            }
        };
        let server = match plenum::server::start(outcome.config).await {
            Ok(server) => server,
            // A path the configuration names cannot be written: a configuration problem.
            Err(error @ plenum::server::ServeError::Start(_)) => {
                plenum_log::report(format_args!("plenum: {error}"));
                return ExitCode::from(2);
            }
            Err(error) => {
                plenum_log::report(format_args!("plenum: {error}"));
                return ExitCode::FAILURE;
            }
        };
        stop_signals.wait().await;
        tracing::info!("stopping");
        match server.shutdown().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                plenum_log::report(format_args!("plenum: {error}"));
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

/// SIGTERM and SIGINT, listened to from before the server starts: a stop asked for while it
/// starts is then a clean stop once it has started, not the signal's default action (the
/// process killed without closing its sessions).
#[cfg(unix)]
struct StopSignals {
    term: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self { term: signal(SignalKind::terminate())?, interrupt: signal(SignalKind::interrupt())? })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
