//! HTTP Basic authentication of the API: user `OPENVIDUAPP`, password the secret.
//!
//! The decoded credentials are compared in constant time, so response timing
//! does not reveal how much of a guessed secret was right.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};

use super::error::ApiError;

pub use crate::credentials::{Credentials, USER};

/// Paths that need credentials: the API of both families, the config
/// endpoints and the CDR listing. `GET /openvidu/api/config/openvidu-publicurl`
/// (and its 2.13 twin) stays public, as in OpenVidu.
pub fn requires_auth(method: &Method, path: &str) -> bool {
    let public_url = path == "/openvidu/api/config/openvidu-publicurl" || path == "/config/openvidu-publicurl";
    if public_url && (method == Method::GET || method == Method::HEAD) {
        return false;
    }
    const PROTECTED: &[&str] = &["/openvidu/api", "/api", "/config", "/openvidu/cdr", "/cdr", "/pro"];
    PROTECTED
        .iter()
        .any(|prefix| path == *prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/')))
}

/// Lets a request through when its path is public or its credentials are right.
pub fn authenticate(credentials: &Credentials, request: &Request) -> Result<(), ApiError> {
    if requires_auth(request.method(), request.uri().path()) && !credentials.accepts(authorization(request.headers())) {
        return Err(ApiError::Message(
            StatusCode::UNAUTHORIZED,
            format!("Full authentication is required: HTTP Basic with user {USER} and the OpenVidu secret"),
        ));
    }
    Ok(())
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn basic(user_password: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(user_password))
    }

    #[test]
    fn accepts_only_the_exact_credentials() {
        let credentials = Credentials::new("MY_SECRET");
        assert!(credentials.accepts(Some(&basic("OPENVIDUAPP:MY_SECRET"))));
        assert!(credentials.accepts(Some(&basic("OPENVIDUAPP:MY_SECRET").replace("Basic", "basic"))));
        assert!(!credentials.accepts(Some(&basic("OPENVIDUAPP:MY_SECRE"))));
        assert!(!credentials.accepts(Some(&basic("OPENVIDUAPP:MY_SECRETX"))));
        assert!(!credentials.accepts(Some(&basic("other:MY_SECRET"))));
        assert!(!credentials.accepts(Some("Bearer abc")));
        assert!(!credentials.accepts(Some("Basic !!!")));
        assert!(!credentials.accepts(None));
    }

    #[test]
    fn public_url_is_the_only_public_api_path() {
        assert!(!requires_auth(&Method::GET, "/openvidu/api/config/openvidu-publicurl"));
        assert!(requires_auth(&Method::POST, "/openvidu/api/config/openvidu-publicurl"));
        assert!(requires_auth(&Method::GET, "/openvidu/api/config"));
        assert!(requires_auth(&Method::GET, "/api/sessions"));
        assert!(requires_auth(&Method::GET, "/pro/media-nodes"));
        assert!(requires_auth(&Method::GET, "/cdr"));
        assert!(!requires_auth(&Method::GET, "/openvidu"));
        assert!(!requires_auth(&Method::GET, "/apis"));
    }
}
