//! HTTP Basic → partner, and the partner checks in iDenfy's order
//! (missing, malformed and wrong credentials; funds and credits are token
//! creation's own).

use axum::http::{header, HeaderMap};
use base64::Engine as _;

use super::error::ApiError;
use crate::domain::Environment;
use crate::runtime::app::App;
use crate::runtime::partners::{Partner, PartnerId};

/// Check 1 (credentials), then the rate limit, then check 2 (active).
pub fn partner(app: &App, headers: &HeaderMap) -> Result<PartnerId, ApiError> {
    let (key, secret) = basic_credentials(headers).ok_or_else(ApiError::unauthorized)?;
    let id = app
        .partners()
        .authenticate(&key, &secret)
        .ok_or_else(ApiError::unauthorized)?;
    let partner = app.partners().get(id);
    if !partner.allow_request(app.clock().now_secs()) {
        return Err(ApiError::too_many_requests());
    }
    if !partner.config.active {
        return Err(ApiError::partner_inactive());
    }
    Ok(id)
}

/// The answer to a method an endpoint does not take. The framework behind
/// iDenfy (Django REST framework) authenticates, throttles and checks the
/// partner before it looks at the method: a wrong method without valid
/// credentials is 401, over the rate limit 429, from an inactive partner
/// 403, and only then 405.
pub fn wrong_method(app: &App, headers: &HeaderMap, method: &str, path: &str) -> ApiError {
    match partner(app, headers) {
        Ok(_) => ApiError::method_not_allowed(method, path),
        Err(refused) => refused,
    }
}

/// Check 3: dummy features are for DEV partners only.
pub fn dummy_allowed(partner: &Partner) -> Result<(), ApiError> {
    match partner.config.environment {
        Environment::Dev => Ok(()),
        other => Err(ApiError::dummy_not_available(other)),
    }
}

/// `(username, password)` of a well-formed `Authorization: Basic …` header.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// The API key of a Basic header, for logs: never the secret.
pub fn api_key_for_log(headers: &HeaderMap) -> Option<String> {
    basic_credentials(headers).map(|(key, _)| key.chars().take(64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn parses_basic() {
        // "key:sec:ret" — the password may contain ':'
        assert_eq!(
            basic_credentials(&headers("Basic a2V5OnNlYzpyZXQ=")),
            Some(("key".into(), "sec:ret".into()))
        );
        assert_eq!(
            basic_credentials(&headers("basic a2V5OnNlYzpyZXQ="))
                .unwrap()
                .0,
            "key"
        );
        assert_eq!(basic_credentials(&headers("Bearer a2V5OnNlYzpyZXQ=")), None);
        assert_eq!(basic_credentials(&headers("Basic !!!")), None);
        assert_eq!(basic_credentials(&headers("Basic a2V5")), None); // "key", no ':'
        assert_eq!(basic_credentials(&HeaderMap::new()), None);
    }
}
