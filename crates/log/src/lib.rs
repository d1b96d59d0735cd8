//! The logging setup shared by `plenum`, `plenum-media-node` and `plenum-loadtest`, so that
//! the three read the same variables:
//!
//! - `PLENUM_LOG`: the filter (`info`, `plenum=debug,tower_http=info`, …); `RUST_LOG` is read
//!   when it is unset, and `info` applies when neither is.
//! - `PLENUM_LOG_FORMAT`: `text` (the default: human-readable lines) or `json` (one JSON
//!   object per line, with the fields of the event and of every span it happened in, such as
//!   the REST request id and the session and connection ids).
//!
//! Logs go to standard error; standard output stays free for what a program prints
//! (the media node's address, the load generator's report).

use std::io::{IsTerminal, Write};

use tracing_subscriber::EnvFilter;

/// The log line format chosen by `PLENUM_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// Reads a `PLENUM_LOG_FORMAT` value (case-insensitive; unset or empty means text).
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim).unwrap_or("") {
            "" => Ok(LogFormat::Text),
            v if v.eq_ignore_ascii_case("text") => Ok(LogFormat::Text),
            v if v.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
            other => Err(format!("PLENUM_LOG_FORMAT must be 'text' or 'json', not '{other}'")),
        }
    }
}

/// Installs the global subscriber from `PLENUM_LOG`/`RUST_LOG` and `PLENUM_LOG_FORMAT`.
/// An invalid format is an error for the program to report (and exit with); an invalid
/// filter falls back to `info` with a warning, as a typo must not silence the logs.
pub fn init() -> Result<LogFormat, String> {
    let format = LogFormat::parse(std::env::var("PLENUM_LOG_FORMAT").ok().as_deref())?;
    let (filter, filter_error) = filter_from_env();
    // A log line that cannot be written (the collector went away, the pipe has no reader) is
    // given up, not reported: tracing-subscriber reports it with `eprintln!`, which panics on
    // the same broken pipe and so stopped the whole program at its next log line.
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).log_internal_errors(false);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        // Span fields are flattened into each line's "spans" list and "span" (the innermost),
        // which is where the request, session and connection ids are.
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(true).init(),
    }
    if let Some(error) = filter_error {
        warn_on_stderr(&error);
    }
    Ok(format)
}

fn filter_from_env() -> (EnvFilter, Option<String>) {
    for name in ["PLENUM_LOG", "RUST_LOG"] {
        if let Ok(value) = std::env::var(name)
            && !value.trim().is_empty()
        {
            return match EnvFilter::try_new(&value) {
                Ok(filter) => (filter, None),
                Err(error) => (
                    EnvFilter::new("info"),
                    Some(format!("{name}='{value}' is not a log filter ({error}); logging at info")),
                ),
            };
        }
    }
    (EnvFilter::new("info"), None)
}

/// This crate does not depend on `tracing` itself: the warning goes straight to standard error.
fn warn_on_stderr(message: &str) {
    report(format_args!("WARN {message}"));
}

/// Writes one line to standard error, as `eprintln!` does, but never panics: a program whose
/// standard error has no reader any more (a log collector that went away) must go on, and
/// end with its own exit status.
pub fn report(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Writes one line to standard output without ever panicking (see [`report`]).
pub fn print(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|_| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_format_names_and_refuses_others() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("")), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("JSON")), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse(Some(" text ")), Ok(LogFormat::Text));
        assert!(LogFormat::parse(Some("yaml")).unwrap_err().contains("'yaml'"));
    }
}
