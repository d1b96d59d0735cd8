//! Signed webhooks (Plenum's addition, `PLENUM_WEBHOOK_SIGNING=true`).
//!
//! OpenVidu's webhooks carry only the headers the operator configured, so a
//! receiver cannot tell a forged request from a real one. With signing on,
//! each request carries the send time and an HMAC-SHA256 over
//! `"<timestamp>.<body>"` keyed by `OPENVIDU_SECRET`, which the application
//! backend already holds: it recomputes the HMAC, compares in constant time and
//! rejects old timestamps, so a captured request cannot be replayed later.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Unix time in milliseconds when the request was sent (each attempt is signed anew).
pub const TIMESTAMP_HEADER: &str = "X-Plenum-Timestamp";
/// `v1=<lower-case hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub const SIGNATURE_HEADER: &str = "X-Plenum-Signature";

/// The `X-Plenum-Signature` value of `body` sent at `timestamp_ms`.
pub fn signature(secret: &str, timestamp_ms: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(timestamp_ms.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut text = String::with_capacity(3 + 2 * digest.len());
    text.push_str("v1=");
    for byte in digest {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_the_hmac_sha256_of_the_timestamp_a_dot_and_the_body() {
        // Computed independently: python3 hmac.new(b"secret", b'1700000000000.{"event":"sessionCreated"}', sha256).
        let body = br#"{"event":"sessionCreated"}"#;
        assert_eq!(
            signature("secret", 1_700_000_000_000, body),
            "v1=9b4cc4c15721df3ff66507ccef919ea330d55f9ed9ecec3967d2d1ec68521f1e"
        );
        assert_ne!(signature("secret", 1_700_000_000_001, body), signature("secret", 1_700_000_000_000, body));
    }
}
