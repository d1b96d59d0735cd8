//! One HTTP attempt at delivering one event: the thin I/O adapter of the webhooks.
//!
//! Nothing the receiver does can make this panic or hang: connect and every
//! read are bounded by [`TIMEOUT`], any answer is reduced to an [`Attempt`].

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderValue;

use super::settings::{WebhookError, WebhookSettings};
use super::signing;

/// OpenVidu's connect and socket timeout.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// A 2xx answer (OpenVidu expects 200; other 2xx are accepted and logged).
    Delivered { status: u16 },
    /// Any other answer.
    Refused { status: u16 },
    /// No answer: connection refused, timeout, TLS or protocol error.
    Failed { error: String },
}

/// The HTTP client of one generation's webhooks: no proxy from the environment,
/// no redirects (a POST must reach the configured URL), certificates not verified.
pub fn client() -> Result<reqwest::Client, WebhookError> {
    let tls = super::no_verify::client_config().map_err(|e| WebhookError::Client(e.to_string()))?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(TIMEOUT)
        .read_timeout(TIMEOUT)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| WebhookError::Client(e.to_string()))
}

/// POSTs `body` to the endpoint with the configured headers, signed at `now_ms` when signing is on.
pub async fn attempt(client: &reqwest::Client, settings: &WebhookSettings, body: &Bytes, now_ms: u64) -> Attempt {
    let mut request = client.post(settings.endpoint.clone()).headers(settings.headers.clone()).body(body.clone());
    if let Some(secret) = &settings.signing_secret {
        let signature = signing::signature(secret, now_ms, body);
        // Digits and hex: always valid header values.
        if let (Ok(timestamp), Ok(signature)) =
            (HeaderValue::try_from(now_ms.to_string()), HeaderValue::try_from(signature))
        {
            request = request.header(signing::TIMESTAMP_HEADER, timestamp).header(signing::SIGNATURE_HEADER, signature);
        }
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            // Read the answer so the connection can be reused; its content does not matter,
            // and a receiver that trickles an endless body is not waited for.
            let _ = tokio::time::timeout(TIMEOUT, response.bytes()).await;
            match status {
                200..=299 => Attempt::Delivered { status },
                _ => Attempt::Refused { status },
            }
        }
        Err(error) => Attempt::Failed { error: describe(&error) },
    }
}

/// The error and its causes on one line (reqwest's own message is only the outermost).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
