//! The dashboard's one page: markup, its inline script and style, and the
//! Content-Security-Policy that allows exactly those two by hash.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::domain::escape::escape_html;
use crate::domain::status::{EventType, Overall};
use crate::runtime::webhook::journal::DeliveryState;

/// Polls, renders and acts; see the module comment.
const SCRIPT: &str = include_str!("dashboard.js");
const STYLE: &str = include_str!("dashboard.css");

/// `'sha256-…'` of an inline element's text, for the CSP.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The page's policy: its own inline script and style (by hash), requests
/// to its own origin only, no framing, no forms to elsewhere.
static CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src data:; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    )
});

fn options(values: impl Iterator<Item = &'static str>) -> String {
    let mut out = String::from("<option value=\"\">any</option>");
    for v in values {
        let v = escape_html(v);
        out.push_str(&format!("<option value=\"{v}\">{v}</option>"));
    }
    out
}

/// The page: the same for every request (the data comes from [`data`]).
static PAGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><link rel=\"icon\" href=\"data:,\">\
<title>idenfy-mock dashboard</title><style>{STYLE}</style></head><body>\
<header><h1>idenfy-mock</h1><nav><a href=\"#verifications\">Verifications</a><a href=\"#webhooks\">Webhooks</a>\
<a href=\"#inbox\">Inbox</a></nav><span id=\"live\" class=\"live\">connecting…</span></header>\
<form id=\"filters\" class=\"filters\" role=\"search\">\
<label>scanRef <input data-filter=\"scanRef\" type=\"search\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"contains…\"></label>\
<label>clientId <input data-filter=\"clientId\" type=\"search\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"contains…\"></label>\
<label>status <select data-filter=\"status\">{statuses}</select></label>\
<label>event <select data-filter=\"event\">{events}</select></label>\
<label>state <select data-filter=\"state\">{states}</select></label>\
<button type=\"button\" id=\"clear-filters\">Clear filters</button></form>\
<p id=\"message\" class=\"message\" hidden></p>\
<noscript><p class=\"message\">The dashboard needs JavaScript; the same data is at \
<code>/_mock/verifications</code>, <code>/_mock/webhooks</code> and <code>/_mock/inbox</code>.</p></noscript>\
<section id=\"verifications\"><h2>Verifications <span class=\"count\"></span></h2><table>\
<thead><tr><th>scanRef</th><th>clientId</th><th>partner</th><th>status</th><th>created</th><th>finished / expires</th><th></th></tr></thead>\
</table><p class=\"empty\" hidden></p></section>\
<section id=\"webhooks\"><h2>Webhooks <span class=\"count\"></span></h2><table>\
<thead><tr><th>#</th><th>event</th><th>scanRef</th><th>clientId</th><th>state</th><th>attempts</th><th>signature</th>\
<th>sent</th><th></th></tr></thead></table><p class=\"empty\" hidden></p></section>\
<section id=\"inbox\"><h2>Inbox <span class=\"count\"></span>\
<label class=\"pick\">inbox <select data-filter=\"inbox\"><option value=\"\">all inboxes</option></select></label>\
<button type=\"button\" id=\"inbox-empty\" hidden>Empty this inbox</button></h2><table>\
<thead><tr><th>#</th><th>inbox</th><th>event</th><th>scanRef</th><th>clientId</th><th>signature</th><th>received</th></tr></thead>\
</table><p class=\"empty\" hidden></p></section>\
<script>{SCRIPT}</script></body></html>",
        statuses = options(Overall::ALL.iter().map(|s| s.as_str())),
        events = options(EventType::ALL.iter().map(|e| e.as_str())),
        states = options(DeliveryState::ALL.iter().map(|s| s.as_str())),
    )
});

pub async fn page() -> Response {
    (
        [
            (header::CONTENT_SECURITY_POLICY, CSP.as_str()),
            (header::CACHE_CONTROL, "no-store"),
            // The admin token may be in the page's URL.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(PAGE.as_str()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_inline_script_and_style() {
        let page = PAGE.as_str();
        let inline = |open: &str, close: &str| {
            let start = page.find(open).expect("opened") + open.len();
            let end = start + page[start..].find(close).expect("closed");
            page[start..end].to_owned()
        };
        assert_eq!(inline("<script>", "</script>"), SCRIPT);
        assert_eq!(inline("<style>", "</style>"), STYLE);
        assert!(CSP.contains(&csp_hash(SCRIPT)) && CSP.contains(&csp_hash(STYLE)));
        assert!(!CSP.contains("unsafe-inline"));
        // One script, one style: nothing else inline that the policy would block.
        assert_eq!(page.matches("<script").count(), 1);
        assert_eq!(page.matches("<style").count(), 1);
        assert!(!page.contains(" style=") && !page.contains(" onclick="));
    }

    #[test]
    fn the_script_writes_no_markup() {
        assert!(!SCRIPT.contains("innerHTML") && !SCRIPT.contains("outerHTML"));
        assert!(!SCRIPT.contains("insertAdjacentHTML") && !SCRIPT.contains("document.write"));
    }
}
