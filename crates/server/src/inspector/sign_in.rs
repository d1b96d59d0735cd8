//! `POST /inspector/sign-in` with `Authorization: Basic OPENVIDUAPP:<secret>`
//! sets the session cookie; `POST /inspector/sign-out` clears it.
//!
//! The credentials are checked by [`Credentials`] (constant time). A sign-in
//! whose `Origin` is not this host is refused, so no other site can sign a
//! browser in behind its back.

use std::sync::{Arc, OnceLock};

use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::Inspector;
use super::cookie;
use super::guard::refuse;
use crate::clock::now_ms;
use crate::credentials::USER;
use crate::services::AppState;

/// The cookie key: a random key of this process, bound to the secret, so cookies end with the
/// process and with a change of secret, but survive a restart in place with the same secret.
pub(super) fn cookie_key(secret: &str) -> Vec<u8> {
    static PROCESS_KEY: OnceLock<[u8; 32]> = OnceLock::new();
    let process_key = PROCESS_KEY.get_or_init(rand::random);
    let mut hasher = Sha256::new();
    hasher.update(process_key);
    hasher.update(secret.as_bytes());
    hasher.finalize().to_vec()
}

pub(super) async fn sign_in(
    State(state): State<AppState>,
    Extension(inspector): Extension<Arc<Inspector>>,
    request: Request,
) -> Response {
    if !same_origin(&request) {
        return refuse(StatusCode::FORBIDDEN, "Sign in from the Inspector's own page");
    }
    let authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if !state.credentials().accepts(authorization) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            &format!("Wrong credentials: the user is {USER} and the password the OpenVidu secret"),
        );
    }
    let value = inspector.cookie.issue(now_ms());
    (StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie::set_cookie(&value, inspector.secure))]).into_response()
}

pub(super) async fn sign_out() -> Response {
    (StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie::clear_cookie())]).into_response()
}

/// No `Origin` (a non-browser client), or one whose host and port are the request's `Host`.
fn same_origin(request: &Request) -> bool {
    let Some(origin) = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    matches!((origin_host, host), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
}
