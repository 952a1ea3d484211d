//! The Authorization header of every /api/v2 call.
#![no_main]

use axum::http::{header, HeaderMap, HeaderValue};
use idenfy_mock::internals::basic_credentials;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = HeaderValue::from_bytes(data) {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value);
        let _ = basic_credentials(&headers);
    }
});
