//! The REST API's Basic credentials: user `OPENVIDUAPP`, password the secret.
//!
//! The decoded credentials are compared in constant time, so response timing
//! does not reveal how much of a guessed secret was right.

use base64::Engine;
use subtle::ConstantTimeEq;

pub const USER: &str = "OPENVIDUAPP";

/// The expected `user:password` bytes.
#[derive(Clone)]
pub struct Credentials {
    expected: Vec<u8>,
}

impl Credentials {
    pub fn new(secret: &str) -> Self {
        Self { expected: format!("{USER}:{secret}").into_bytes() }
    }

    /// Whether an `Authorization` header value carries the right credentials.
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some(value) = authorization else { return false };
        let Some((scheme, encoded)) = value.trim().split_once(' ') else { return false };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        match base64::engine::general_purpose::STANDARD.decode(encoded.trim()) {
            Ok(decoded) => decoded.ct_eq(&self.expected).into(),
            Err(_) => false,
        }
    }
}

/// Whether `given` is `secret`, in constant time (the `joinRoom` secret of hidden participants).
pub fn secret_matches(given: &str, secret: &str) -> bool {
    given.as_bytes().ct_eq(secret.as_bytes()).into()
}
