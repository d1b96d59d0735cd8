//! Counts every REST request into the live metrics: its method, its route's template and
//! its status, with the time until the response head was ready.
//!
//! A layer of its own (not part of the front door): the benchmark baseline shares the front
//! door, and must not pay for what only Plenum records. It is left out of the router when
//! `PLENUM_METRICS=false`. Written as a plain tower layer (no boxed future, no clone of the
//! inner service per request), since it runs on every request (bench/rest.sh).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::Response;
use tower::{Layer, Service};

use crate::live_metrics::{LiveMetrics, RequestLabels, RouteLabel};

#[derive(Clone)]
pub struct RecordLayer(pub LiveMetrics);

impl<S> Layer<S> for RecordLayer {
    type Service = Record<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Record { inner, live: self.0.clone() }
    }
}

#[derive(Clone)]
pub struct Record<S> {
    inner: S,
    live: LiveMetrics,
}

impl<S> Service<Request> for Record<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Recorded<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let method = request.method().clone();
        let route = request.extensions().get::<MatchedPath>().cloned();
        Recorded { inner: self.inner.call(request), live: self.live.clone(), method, route, started: Instant::now() }
    }
}

/// The method's label: the standard names as they are, any other method as `other` (so a
/// client cannot grow the number of series, and nothing is allocated per request).
fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

pin_project_lite::pin_project! {
    pub struct Recorded<F> {
        #[pin]
        inner: F,
        live: LiveMetrics,
        method: Method,
        route: Option<MatchedPath>,
        started: Instant,
    }
}

impl<F, E> Future for Recorded<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
        if let Ok(response) = &result {
            let route = this.route.take().map_or(RouteLabel::UNMATCHED, RouteLabel::Matched);
            let labels = RequestLabels { method: method_name(this.method), route, status: response.status().as_u16() };
            this.live.observe_request(&labels, this.started.elapsed().as_secs_f64());
        }
        Poll::Ready(result)
    }
}
