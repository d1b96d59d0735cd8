//! Rejects paths that try to climb out of a resource, and ids that no resource can have.
//!
//! Ids end up in file paths (recordings, CDR) and log lines, so a `..`
//! segment, an encoded `/` or a control character is refused with a 400 that
//! says which, before any handler runs.

use super::error::ApiError;

pub fn check_path(path: &str) -> Result<(), ApiError> {
    for segment in path.split('/') {
        let lower = segment.to_ascii_lowercase();
        if lower.contains("%2f") || lower.contains("%5c") {
            return Err(ApiError::bad_request(format!("Path segment '{segment}' contains an encoded '/' or '\\'")));
        }
        let decoded = lower.replace("%2e", ".");
        if decoded == "." || decoded == ".." {
            return Err(ApiError::bad_request(format!(
                "Path segment '{segment}' is not allowed: paths may not contain '.' or '..' segments"
            )));
        }
    }
    Ok(())
}

/// Checks an id taken from the path: letters, digits, `_`, `-` and `~` only
/// (every id OpenVidu makes, custom session ids and recording ids fit).
pub fn check_id(kind: &str, id: &str) -> Result<(), ApiError> {
    let valid = !id.is_empty()
        && id.len() <= 256
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'~'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid {kind} '{}': identifiers may contain only letters, digits, '_', '-' and '~'",
            id.escape_debug()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_encoded_separators_are_rejected() {
        assert!(check_path("/openvidu/api/sessions/ses_A").is_ok());
        assert!(check_path("/openvidu/api/sessions/../config").is_err());
        assert!(check_path("/openvidu/api/sessions/%2e%2E/config").is_err());
        assert!(check_path("/openvidu/api/sessions/a%2Fb").is_err());
        assert!(check_path("/openvidu/api/sessions/a%5cb").is_err());
        assert!(check_path("/openvidu/api/sessions/.%2e").is_err());
        assert!(check_path("/openvidu/api/sessions/%2E").is_err());
        assert!(check_path("/openvidu/api/sessions/...").is_ok(), "three dots is a name, not a dot segment");
        assert!(check_path("/openvidu/api/sessions/a.b").is_ok());
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_id("sessionId", "ses_A-b~1").is_ok());
        assert!(check_id("sessionId", "a/b").is_err());
        assert!(check_id("sessionId", "a b").is_err());
        assert!(check_id("sessionId", "").is_err());
    }
}
