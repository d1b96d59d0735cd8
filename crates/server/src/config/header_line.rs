//! One `Name: value` HTTP header line (`OPENVIDU_WEBHOOK_HEADERS`), parsed once
//! the way HTTP will carry it, so a header that cannot be sent is refused when
//! the configuration is read, naming the key, not when the first event goes out.

use axum::http::{HeaderName, HeaderValue};

/// The header of `line`, or why it is not one.
pub fn parse(line: &str) -> Result<(HeaderName, HeaderValue), String> {
    const EXPECTED: &str = "is not an HTTP header; expected 'Name: value'";
    let (name, value) = line.split_once(": ").ok_or_else(|| EXPECTED.to_string())?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() || value.is_empty() {
        return Err(EXPECTED.into());
    }
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("has an invalid header name '{name}'"))?;
    let value = HeaderValue::from_str(value).map_err(|_| format!("has an invalid header value for '{name}'"))?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn only_what_http_can_carry() {
        let (name, value) = parse("X-Token:  abc ").unwrap();
        assert_eq!((name.as_str(), value.to_str().unwrap()), ("x-token", "abc"));
        assert!(parse("Bad Name: x").unwrap_err().contains("invalid header name"));
        assert!(parse("X-Token: a\u{7f}b").unwrap_err().contains("invalid header value"));
        assert!(parse("no colon").unwrap_err().contains("expected 'Name: value'"));
        assert!(parse("X-Token:abc").unwrap_err().contains("expected 'Name: value'"), "OpenVidu's separator is ': '");
        assert!(parse("X-Empty: ").is_err());
    }
}
