//! Keys a token request may use, and the one an unknown key most likely meant.

use std::sync::OnceLock;

use super::TokenRequest;
use crate::domain::fields::{Fields, Object};

/// Every key a token request may use: the fields the 201 echoes (read from
/// [`TokenRequest`]'s schema, so the list cannot drift), the legacy
/// `personScanRef`, `dummyStatus` and the feature switches.
pub fn known_fields() -> &'static [String] {
    static KNOWN: OnceLock<Vec<String>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        use utoipa::openapi::{schema::Schema, RefOr};
        let mut known: Vec<String> = match <TokenRequest as utoipa::PartialSchema>::schema() {
            RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
            _ => Vec::new(),
        };
        known.extend(["personScanRef", "dummyStatus"].map(String::from));
        known.extend(
            crate::domain::token::switches::SWITCHES
                .iter()
                .map(|(n, _)| n.to_string()),
        );
        // Sorted, so a body's keys are looked up by binary search.
        known.sort_unstable();
        known
    })
}

/// The keys of `body` no token request field has, each with the known
/// field it most likely meant (`dumyStatus` → `dummyStatus`, `clientID` →
/// `clientId`), if one is near.
pub fn unknown_fields(body: &Object) -> Vec<(&str, Option<&'static str>)> {
    let known = known_fields();
    body.keys()
        .filter(|k| known.binary_search_by(|f| f.as_str().cmp(k)).is_err())
        .map(|k| (k.as_str(), closest(k, known)))
        .collect()
}

/// The known field at the smallest edit distance from `key`, ignoring case,
/// if that is at most 2 (or a third of the key's length, for long keys).
fn closest(key: &str, known: &'static [String]) -> Option<&'static str> {
    if key.len() > 64 {
        return None;
    }
    let key = key.to_ascii_lowercase();
    let limit = 2.max(key.chars().count() / 3);
    known
        .iter()
        .map(|f| {
            (
                strsim::damerau_levenshtein(&key, &f.to_ascii_lowercase()),
                f,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f.as_str())
}

/// True when `dummyStatus` is present (and not null) in a raw body: the DEV-only
/// check runs before the body's fields are validated.
pub fn asks_for_dummy(body: &Object) -> bool {
    Fields(body).get("dummyStatus").is_some()
}
