//! Replays every input in fuzz/regressions/<target>/ through the same code the
//! cargo-fuzz target of that name runs. A crash the fuzzers find is saved
//! there and so stays a test; the seeds there are inputs that once mattered
//! (nesting depth, huge numbers, invalid UTF-8, odd Unicode).

use std::path::Path;

use axum::http::{header, HeaderMap, HeaderValue};
use idenfy_mock::internals::{
    basic_credentials, json_object, scan_ref, Config, ManualReview, Outcome, TokenRequest,
};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn token_body() {
    let defaults = Config::embedded().defaults;
    for (name, data) in inputs("token_body") {
        let outcome = json_object(&data).map(|map| TokenRequest::parse(&map, &defaults));
        // Every input is refused or parsed; an accepted one serialises.
        if let Ok(Ok(request)) = outcome {
            assert!(serde_json::to_vec(&request).is_ok(), "{name}");
        }
    }
}

#[test]
fn scan_ref_bodies() {
    for (name, data) in inputs("scan_ref_bodies") {
        if let Ok(map) = json_object(&data) {
            let sr = scan_ref(&map);
            let review = ManualReview::parse(&map);
            assert!(
                review.is_err() || sr.is_ok(),
                "{name}: a review needs a scanRef"
            );
        }
    }
}

#[test]
fn basic_auth() {
    for (name, data) in inputs("basic_auth") {
        if let Ok(value) = HeaderValue::from_bytes(&data) {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value);
            let creds = basic_credentials(&headers);
            assert!(
                creds.is_none() || name.contains("ok-"),
                "{name} must not authenticate"
            );
        }
    }
}

#[test]
fn page_outcome() {
    for (name, data) in inputs("page_outcome") {
        let text = String::from_utf8_lossy(&data);
        let mut parts = text.splitn(4, '\n');
        let (o, f, d, t) = (parts.next(), parts.next(), parts.next(), parts.next());
        if let Some(o) = o {
            match Outcome::from_parts(o, f, d, t) {
                // An accepted outcome records a result unless it is "unverified".
                Ok(outcome) => {
                    assert_eq!(outcome.auto_result().is_none(), o == "unverified", "{name}")
                }
                // A refusal says which parameter is wrong and what it may be.
                Err(why) => assert!(why.contains("must be one of"), "{name}: {why}"),
            }
        }
    }
}
