//! Request parts read the same way in every handler, with precise 400s.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Path parameters; a malformed one is a JSON 400 like every other rejection.
pub struct Ids<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Ids(value))
            .map_err(|rejection| ApiError::bad_request(format!("Invalid path parameter: {}", rejection.body_text())))
    }
}

/// Which path family a request came through. The legacy (2.13-2.15) family
/// is marked by a layer on its routes; everything else is the current one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Family {
    #[default]
    Current,
    Legacy,
}

impl Family {
    pub fn is_legacy(self) -> bool {
        self == Family::Legacy
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Family {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Family>().copied().unwrap_or_default())
    }
}

/// Boolean query flags such as `?pendingConnections=true`, parsed on demand.
pub struct QueryParams(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryParams(parts.uri.query().map(str::to_string)))
    }
}

impl QueryParams {
    /// The last value of query parameter `name`, if present.
    pub fn text(&self, name: &str) -> Option<String> {
        let query = self.0.as_deref().unwrap_or("");
        url::form_urlencoded::parse(query.as_bytes()).filter(|(key, _)| key == name).last().map(|(_, v)| v.into_owned())
    }

    /// The value of flag `name`, `default` when absent. Accepts the spellings
    /// Spring accepts: true/false, on/off, yes/no, 1/0.
    pub fn get(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        let query = self.0.as_deref().unwrap_or("");
        let Some((_, value)) = url::form_urlencoded::parse(query.as_bytes()).filter(|(key, _)| key == name).last()
        else {
            return Ok(default);
        };
        match value.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok(true),
            "false" | "off" | "no" | "0" => Ok(false),
            "" => Ok(default),
            _ => Err(ApiError::bad_request(format!("Query parameter '{name}' must be true or false, got '{value}'"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(query: &str) -> QueryParams {
        QueryParams(Some(query.to_string()))
    }

    #[test]
    fn flags_parse_spring_spellings_and_reject_others() {
        assert_eq!(flags("pendingConnections=true").get("pendingConnections", false), Ok(true));
        assert_eq!(flags("pendingConnections=0").get("pendingConnections", true), Ok(false));
        assert_eq!(flags("").get("webRtcStats", false), Ok(false));
        assert!(flags("webRtcStats=maybe").get("webRtcStats", false).is_err());
    }
}
