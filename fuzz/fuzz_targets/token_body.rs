//! POST /api/v2/token: body bytes → JSON object → TokenRequest::parse.
#![no_main]

use std::sync::OnceLock;

use idenfy_mock::api::body;
use idenfy_mock::config::{Config, Defaults};
use idenfy_mock::domain::fields::Json;
use idenfy_mock::domain::token::TokenRequest;
use libfuzzer_sys::fuzz_target;

const RAW_VALUE_KEY: &[u8] = b"$serde_json::private::RawValue";

fn defaults() -> &'static Defaults {
    static D: OnceLock<Defaults> = OnceLock::new();
    D.get_or_init(|| Config::embedded().defaults)
}

fuzz_target!(|data: &[u8]| {
    // The borrowed JSON bodies are parsed into agrees with serde_json::Value,
    // except on serde_json's private raw-value marker key, which Value (with
    // the raw_value feature) reads as embedded JSON and Json as a plain key.
    if !data.windows(RAW_VALUE_KEY.len()).any(|w| w == RAW_VALUE_KEY) {
        let ours = serde_json::from_slice::<Json>(data)
            .map(|j| j.to_value())
            .map_err(|e| e.to_string());
        let theirs = serde_json::from_slice::<serde_json::Value>(data).map_err(|e| e.to_string());
        assert_eq!(ours, theirs);
    }
    if let Ok(map) = body::object(data) {
        if let Ok(request) = TokenRequest::parse(&map, defaults()) {
            // What the response echoes must serialise.
            let _ = serde_json::to_vec(&request);
            let _ = request.allowed_documents();
        }
    }
});
