//! `Authorization: Bearer <secret>` on the control port's HTTP routes
//! (`/plenum/files`, `/metrics`), compared in constant time.

use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq;

/// Whether the request carries `Bearer <secret>`.
pub fn matches(headers: &HeaderMap, secret: &str) -> bool {
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|token| bool::from(token.as_bytes().ct_eq(secret.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_the_exact_bearer_secret_matches() {
        assert!(matches(&headers("Bearer s3cret"), "s3cret"));
        for wrong in ["Bearer s3cre", "Bearer s3cret2", "Basic s3cret", "s3cret", "Bearer "] {
            assert!(!matches(&headers(wrong), "s3cret"), "{wrong}");
        }
        assert!(!matches(&HeaderMap::new(), "s3cret"));
    }
}
