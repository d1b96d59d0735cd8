//! The tower-http layers around every request: a request id (`x-request-id`, taken from the
//! client when it sends one, answered back either way), a `request` span that every log line
//! of the request happens in (with the id, the method, the path, and the session and
//! connection ids the path names).
//!
//! There is no global time limit on requests: tower-http's timeout layer arms a tokio timer per
//! request, which cost about 15 % of a GET's CPU in bench/rest.sh; the handlers that wait on a
//! node bound their own waits (a recording's stop, a node's answers).
//!
//! With `PLENUM_LOG_FORMAT=json` the span's fields appear on each line, so one request, one
//! session or one connection can be followed through the logs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnBodyChunk, DefaultOnEos, DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The header that carries the request id both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids `<process tag>-<sequence>`: unique within a process and, through the random
/// tag, across restarts, at the cost of one atomic increment (no system call per request).
#[derive(Clone)]
pub struct SequentialRequestId {
    tag: Arc<str>,
    next: Arc<AtomicU64>,
}

impl SequentialRequestId {
    pub fn new() -> Self {
        let tag: u32 = rand::random();
        Self { tag: format!("{tag:08x}").into(), next: Arc::new(AtomicU64::new(1)) }
    }
}

impl Default for SequentialRequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl MakeRequestId for SequentialRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.tag)).ok().map(RequestId::new)
    }
}

/// The session and connection ids a REST path names (`…/sessions/<id>/connection/<id>`).
pub fn ids_in_path(path: &str) -> (Option<&str>, Option<&str>) {
    let mut segments = path.split('/');
    let (mut session, mut connection) = (None, None);
    while let Some(segment) = segments.next() {
        match segment {
            "sessions" => session = segments.next().filter(|s| !s.is_empty()),
            "connection" if session.is_some() => connection = segments.next().filter(|s| !s.is_empty()),
            _ => {}
        }
    }
    (session, connection)
}

fn request_span(request: &Request) -> tracing::Span {
    let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
    let path = request.uri().path();
    let (session_id, connection_id) = ids_in_path(path);
    tracing::info_span!("request", id, method = %request.method(), path, session_id, connection_id)
}

/// The trace layer: the `request` span, each answer logged at debug, 5xx at error.
pub type Trace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> tracing::Span,
    (),
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    DefaultOnFailure,
>;

/// The layers go outermost first: [`set_id`], then [`trace`] (so the span has the id), then
/// [`propagate_id`] (the id copied onto the response).
pub fn set_id() -> SetRequestIdLayer<SequentialRequestId> {
    SetRequestIdLayer::new(REQUEST_ID, SequentialRequestId::new())
}

pub fn trace() -> Trace {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> tracing::Span)
        .on_request(())
        // Each answer at debug: at info a busy server would log every request.
        .on_response(DefaultOnResponse::new().level(Level::DEBUG))
        .on_failure(DefaultOnFailure::new().level(Level::ERROR))
}

pub fn propagate_id() -> PropagateRequestIdLayer {
    PropagateRequestIdLayer::new(REQUEST_ID)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_and_connection_a_path_names() {
        assert_eq!(ids_in_path("/openvidu/api/sessions"), (None, None));
        assert_eq!(ids_in_path("/openvidu/api/sessions/ses_A"), (Some("ses_A"), None));
        assert_eq!(ids_in_path("/api/sessions/ses_A/connection"), (Some("ses_A"), None));
        assert_eq!(ids_in_path("/openvidu/api/sessions/ses_A/connection/con_B"), (Some("ses_A"), Some("con_B")));
        assert_eq!(ids_in_path("/openvidu/api/sessions/ses_A/stream/str_C"), (Some("ses_A"), None));
        assert_eq!(ids_in_path("/openvidu/api/sessions/"), (None, None));
        assert_eq!(ids_in_path("/openvidu/api/connection/x"), (None, None));
    }

    #[test]
    fn request_ids_are_unique_and_tagged() {
        let mut make = SequentialRequestId::new();
        let request = axum::http::Request::new(());
        let a = make.make_request_id(&request).unwrap();
        let b = make.clone().make_request_id(&request).unwrap();
        let (a, b) = (a.header_value().to_str().unwrap(), b.header_value().to_str().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.split('-').next(), b.split('-').next());
    }
}
