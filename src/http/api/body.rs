//! Reading a request body as a JSON object: Content-Type (415), size (413),
//! then its text (400 `ENCODING_ERROR` when it is not UTF-8), then JSON
//! itself (400 `JSON_ERROR`, including nesting deeper than serde_json's
//! limit of 128).

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};

use serde_json::Value;

use crate::domain::fields::Object;

use super::error::ApiError;

/// The raw body, once its Content-Type and size are acceptable. An empty body
/// needs no Content-Type (it is refused later as not being a JSON object).
pub async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let declared_too_large = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64);
    if declared_too_large {
        return Err(ApiError::too_large(limit));
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::too_large(limit))?;
    if !bytes.is_empty() && !is_json_content_type(headers) {
        return Err(ApiError::unsupported_media_type());
    }
    Ok(bytes)
}

/// `application/json` or any `…+json` type, parameters (charset) allowed.
pub fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// serde_json's private marker key. With the `raw_value` feature (axum turns
/// it on), `Value` reads a member under this key as embedded JSON text, so
/// `{"<key>": "{\"clientId\": \"x\"}"}` would parse as `{"clientId": "x"}`.
/// No real request uses it; a body that does is refused rather than misread.
const RAW_VALUE_KEY: &str = "$serde_json::private::RawValue";

fn has_raw_value_key(bytes: &[u8]) -> bool {
    (0..bytes.len()).any(|i| bytes[i] == b'$' && bytes[i..].starts_with(RAW_VALUE_KEY.as_bytes()))
}

/// The body as a JSON object: UTF-8 text first (iDenfy's `ENCODING_ERROR`),
/// then JSON.
pub fn object(bytes: &[u8]) -> Result<Object, ApiError> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(ApiError::not_utf8(e.valid_up_to()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::json("Request body is empty: send a JSON object."));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(_)) if has_raw_value_key(bytes) => Err(ApiError::json(format!(
            "Request body uses the reserved key '{RAW_VALUE_KEY}'."
        ))),
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::json("Request body must be a JSON object.")),
        Err(e) => Err(ApiError::json(format!(
            "Request body is not valid JSON: {e}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_errors() {
        assert!(object(b"").is_err());
        assert!(object(b"[1]").unwrap_err().message.contains("JSON object"));
        assert!(object(b"{\"a\":")
            .unwrap_err()
            .message
            .contains("not valid JSON"));
        let not_utf8 = object(b"{\"a\":\"\xff\"}").unwrap_err();
        assert_eq!(not_utf8.identifier, "ENCODING_ERROR");
        assert!(
            not_utf8.message.contains("offset 6"),
            "{}",
            not_utf8.message
        );
        // Invalid UTF-8 inside what is not JSON either: the encoding is
        // checked first, as the body is decoded before it is parsed.
        assert_eq!(object(b"\xc3(").unwrap_err().identifier, "ENCODING_ERROR");
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            object(deep.as_bytes()).unwrap_err().identifier,
            "JSON_ERROR"
        );
        assert!(object(b" {\"a\": 1} ").is_ok());
        // serde_json's private raw-value key is refused, however it is used.
        for marker in [
            &br#"{"$serde_json::private::RawValue":5}"#[..],
            br#"{"$serde_json::private::RawValue":"{\"a\":1}"}"#,
            br#"{"$serde_json::private::RawValue":"nonsense"}"#,
            br#"{"a":{"$serde_json::private::RawValue":"[1]"}}"#,
        ] {
            let e = object(marker).map(|_| ()).unwrap_err();
            assert_eq!(e.identifier, "JSON_ERROR", "{}", e.message);
        }
    }
}
