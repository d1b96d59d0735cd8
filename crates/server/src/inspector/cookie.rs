//! The Inspector's session cookie: a signed expiry, so no sign-in table has to
//! survive a restart in place, and a changed secret signs everybody out.
//!
//! Pure: the key and the current time are given. The value is
//! `<expiry ms>.<hex HMAC-SHA256(key, "inspector:" + expiry)>`; it is checked in
//! constant time. The cookie is `HttpOnly` (page scripts never see it) and
//! `SameSite=Strict` (no other site's page can make the browser send it), which
//! is what keeps the Inspector's endpoints unusable cross-site even though the
//! REST API's CORS stays permissive.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The cookie's name.
pub const NAME: &str = "plenum_inspector";

/// How long a sign-in lasts.
pub const LIFETIME_MS: u64 = 12 * 3_600_000;

/// Issues and checks cookie values under one key.
#[derive(Clone)]
pub struct SessionCookie {
    key: Vec<u8>,
}

/// Why a cookie value was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Malformed,
    BadSignature,
    Expired,
}

impl SessionCookie {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, expiry: u64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(format!("inspector:{expiry}").as_bytes());
        mac
    }

    /// A value valid until `now + LIFETIME_MS`.
    pub fn issue(&self, now: u64) -> String {
        let expiry = now + LIFETIME_MS;
        let tag = self.mac(expiry).finalize().into_bytes();
        format!("{expiry}.{}", hex(&tag))
    }

    /// Whether `value` (the cookie's value, if the request had one) is a valid, unexpired sign-in.
    pub fn verify(&self, value: Option<&str>, now: u64) -> Result<(), Refusal> {
        let value = value.ok_or(Refusal::Missing)?;
        let (expiry, tag) = value.split_once('.').ok_or(Refusal::Malformed)?;
        let expiry: u64 = expiry.parse().map_err(|_| Refusal::Malformed)?;
        let tag = unhex(tag).ok_or(Refusal::Malformed)?;
        self.mac(expiry).verify_slice(&tag).map_err(|_| Refusal::BadSignature)?;
        if now >= expiry {
            return Err(Refusal::Expired);
        }
        Ok(())
    }
}

/// The `Set-Cookie` value that signs in with `value`; `secure` when served over TLS.
pub fn set_cookie(value: &str, secure: bool) -> String {
    let max_age = LIFETIME_MS / 1000;
    let secure = if secure { "; Secure" } else { "" };
    format!("{NAME}={value}; Path=/inspector; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The `Set-Cookie` value that signs out.
pub fn clear_cookie() -> String {
    format!("{NAME}=; Path=/inspector; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Our cookie's value among the `Cookie` header values of a request.
pub fn find<'a>(cookie_headers: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    cookie_headers
        .into_iter()
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.trim())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_value_is_accepted_until_it_expires() {
        let cookie = SessionCookie::new(b"key");
        let value = cookie.issue(1_000);
        assert_eq!(cookie.verify(Some(&value), 1_000), Ok(()));
        assert_eq!(cookie.verify(Some(&value), 1_000 + LIFETIME_MS - 1), Ok(()));
        assert_eq!(cookie.verify(Some(&value), 1_000 + LIFETIME_MS), Err(Refusal::Expired));
    }

    #[test]
    fn another_key_a_changed_expiry_or_garbage_is_refused() {
        let value = SessionCookie::new(b"key").issue(1_000);
        assert_eq!(SessionCookie::new(b"other").verify(Some(&value), 1_000), Err(Refusal::BadSignature));
        let (_, tag) = value.split_once('.').unwrap();
        let extended = format!("{}.{tag}", 1_000 + 10 * LIFETIME_MS);
        assert_eq!(SessionCookie::new(b"key").verify(Some(&extended), 1_000), Err(Refusal::BadSignature));
        let cookie = SessionCookie::new(b"key");
        assert_eq!(cookie.verify(None, 0), Err(Refusal::Missing));
        for bad in ["", "x", "12.zz", "12.abc", "é.00", "12"] {
            assert_eq!(cookie.verify(Some(bad), 0), Err(Refusal::Malformed), "{bad}");
        }
    }

    #[test]
    fn the_cookie_is_found_among_others_and_set_strictly() {
        assert_eq!(find(["a=1; plenum_inspector=v.1 ; b=2"]), Some("v.1"));
        assert_eq!(find(["a=1", "plenum_inspector=w"]), Some("w"));
        assert_eq!(find(["plenum_inspectorX=1"]), None);
        let set = set_cookie("v", true);
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.ends_with("; Secure"));
        assert!(!set_cookie("v", false).contains("Secure"));
        assert!(clear_cookie().contains("Max-Age=0"));
    }
}
