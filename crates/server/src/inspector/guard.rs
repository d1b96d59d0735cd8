//! Every Inspector request passes here: cross-site requests are refused, and
//! everything but the sign-in page, its script and its style needs the cookie.
//!
//! `Sec-Fetch-Site: cross-site` (sent by current Chromium and Firefox) is
//! refused outright, so even a request that carries no cookie cannot probe the
//! Inspector from another site; the `SameSite=Strict` cookie covers older browsers.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::Inspector;
use super::cookie;
use crate::clock::now_ms;

/// What anyone may fetch: the sign-in page and what it loads.
const PUBLIC: &[&str] =
    &["/inspector/sign-in", "/inspector/sign-out", "/inspector/assets/sign-in.js", "/inspector/assets/style.css"];

pub(super) async fn admit(inspector: Arc<Inspector>, request: Request, next: Next) -> Response {
    if is_cross_site(request.headers()) {
        return refuse(StatusCode::FORBIDDEN, "The Inspector refuses cross-site requests");
    }
    let path = request.uri().path();
    if PUBLIC.contains(&path) {
        return next.run(request).await;
    }
    let value = cookie::find(request.headers().get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()));
    match inspector.cookie.verify(value, now_ms()) {
        Ok(()) => next.run(request).await,
        // A page load without a sign-in goes to the sign-in page; anything else is told why.
        Err(_) if request.method() == Method::GET && matches!(path, "/inspector" | "/inspector/") => {
            Redirect::to("/inspector/sign-in").into_response()
        }
        Err(refusal) => refuse(StatusCode::UNAUTHORIZED, &format!("Sign in to the Inspector first ({refusal:?})")),
    }
}

pub(super) fn is_cross_site(headers: &HeaderMap) -> bool {
    headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
}

pub(super) fn refuse(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"status": status.as_u16(), "message": message}))).into_response()
}
