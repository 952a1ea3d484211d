//! POST /api/v2/token: body bytes → JSON object → TokenRequest::parse.
#![no_main]

use std::sync::OnceLock;

use idenfy_mock::internals::{json_object, Config, TokenDefaults, TokenRequest};
use libfuzzer_sys::fuzz_target;

fn defaults() -> &'static TokenDefaults {
    static D: OnceLock<TokenDefaults> = OnceLock::new();
    D.get_or_init(|| Config::embedded().defaults)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = json_object(data) {
        if let Ok(request) = TokenRequest::parse(&map, defaults()) {
            // What the response echoes must serialise.
            let _ = serde_json::to_vec(&request);
            let _ = request.allowed_documents();
        }
    }
});
