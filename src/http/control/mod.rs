//! The control plane for tests, under the reserved prefix `/_mock/`: ask what
//! happened, wait for it without sleeping, replay it, break things on purpose,
//! move time, start from a known state. JSON in and out; errors are
//! `{"message": …, "status": …}`.
//!
//! A `POST` here (but to an inbox, which the mock's own deliveries call) must
//! carry `Content-Type: application/json` or an `X-Idenfy-Mock` header. Both
//! are out of reach of a cross-site form or simple fetch, which cannot send
//! them without a CORS preflight the mock never grants, so a web page the
//! developer happens to visit cannot reset or steer the mock.
//! (`DELETE` always needs a preflight, so it needs neither.)

// One file per resource; each endpoint is annotated for the generated
// OpenAPI document (`/_mock/openapi/control.json`).
pub mod clock;
mod dashboard;
mod error;
mod extract;
pub mod faults;
pub mod inbox;
mod paging;
pub mod scenarios;
pub mod state;
pub mod status;
pub mod verifications;
pub mod webhooks;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use subtle::ConstantTimeEq;

use crate::runtime::app::AppState;
pub use error::ControlError;

/// Whether `path` is under the control API's reserved prefix.
pub fn owns(path: &str) -> bool {
    path == "/_mock" || path.starts_with("/_mock/")
}

/// The control API; `extra` (the OpenAPI documents, which the server layer
/// builds from every surface) is served behind the same checks.
pub fn router(state: AppState, extra: Router<AppState>) -> Router<AppState> {
    Router::new()
        .route("/_mock/", get(dashboard::page))
        .route("/_mock", get(dashboard::page))
        .route("/_mock/dashboard/data", get(dashboard::data))
        .route("/_mock/health", get(status::health))
        .route("/_mock/ready", get(status::health))
        .route("/_mock/ca.pem", get(status::ca_pem))
        .route("/_mock/stats", get(status::stats))
        .route(
            "/_mock/verifications",
            get(verifications::list_verifications),
        )
        .route(
            "/_mock/verifications/{scan_ref}",
            get(verifications::get_verification),
        )
        .route(
            "/_mock/verifications/{scan_ref}/finish",
            post(verifications::finish_verification),
        )
        .route("/_mock/webhooks", get(webhooks::list_webhooks))
        .route("/_mock/webhooks/wait", get(webhooks::wait_webhook))
        .route("/_mock/webhooks/{id}", get(webhooks::get_webhook))
        .route(
            "/_mock/webhooks/{id}/replay",
            post(webhooks::replay_webhook),
        )
        .route("/_mock/clock", get(clock::get_clock))
        .route("/_mock/clock/advance", post(clock::advance_clock))
        .route("/_mock/clock/set", post(clock::set_clock))
        .route("/_mock/reset", post(state::reset))
        .route(
            "/_mock/faults",
            get(faults::list_faults)
                .post(faults::add_fault)
                .delete(faults::clear_faults),
        )
        .route("/_mock/faults/{id}", delete(faults::delete_fault))
        .route("/_mock/scenarios", get(scenarios::scenarios))
        .route(
            "/_mock/snapshot",
            get(state::snapshot)
                .post(state::restore)
                // A restore carries the whole state: it gets its own, larger limit.
                .layer(DefaultBodyLimit::max(
                    state
                        .config()
                        .server
                        .snapshot_limit_mib
                        .saturating_mul(1 << 20),
                )),
        )
        .route("/_mock/inbox", get(inbox::list_inboxes))
        .route(
            "/_mock/inbox/{name}",
            // API faults (scoped by path) apply to `post` too (see `guard`),
            // so a test can make the built-in receiver fail and watch the retries.
            get(inbox::read).post(inbox::receive).delete(inbox::clear),
        )
        .merge(extra)
        .layer(DefaultBodyLimit::max(state.config().body_limit_bytes))
        .layer(middleware::from_fn(same_site_only))
        .layer(middleware::from_fn_with_state(state, admin_token))
}

/// The header that marks a control request as sent on purpose by a tool.
pub const INTENT_HEADER: &str = "x-idenfy-mock";

/// Refuses a control `POST` that a cross-site page could have sent.
async fn same_site_only(request: Request, next: Next) -> Response {
    match cross_site_refusal(request.method(), request.uri().path(), request.headers()) {
        Some(refused) => refused.into_response(),
        None => next.run(request).await,
    }
}

/// Why a request may not change state, if it may not: a `POST` under
/// `/_mock/` (but an inbox's receiving end) needs a JSON content type or
/// the `X-Idenfy-Mock` header. 415 when it names another type (a form, plain
/// text), 403 when it names none.
pub fn cross_site_refusal(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Option<ControlError> {
    if is_inbox_delivery(method, path) {
        return from_a_browser_page(headers).then(|| {
            ControlError::new(
                StatusCode::FORBIDDEN,
                "the inbox receives webhooks from servers (the mock's own deliveries, a \
                 partner's backend); a web page may not post to it",
            )
        });
    }
    if method != Method::POST
        || headers.contains_key(INTENT_HEADER)
        || crate::http::api::body::is_json_content_type(headers)
    {
        return None;
    }
    const HOW: &str = "send 'Content-Type: application/json' (with a JSON body, or none) \
or the header 'X-Idenfy-Mock: 1'; cross-site requests are refused";
    Some(if headers.contains_key(header::CONTENT_TYPE) {
        ControlError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("a POST to the control API must be JSON: {HOW}"),
        )
    } else {
        ControlError::new(
            StatusCode::FORBIDDEN,
            format!(
                "a POST to the control API needs a JSON content type or a custom header: {HOW}"
            ),
        )
    })
}

/// Whether a request was sent by a page in a browser from another origin:
/// browsers mark such requests with `Sec-Fetch-Site` (or, older ones, with
/// `Origin`), which servers and tools do not send.
fn from_a_browser_page(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        Some(b"same-origin") | Some(b"none") => false,
        Some(_) => true,
        None => headers.contains_key(header::ORIGIN),
    }
}

/// A webhook delivered to the built-in inbox (by the mock itself or another
/// server): open, whatever its content type, but not to a browser page of
/// another origin.
fn is_inbox_delivery(method: &Method, path: &str) -> bool {
    method == Method::POST && path.starts_with("/_mock/inbox/")
}

/// With `[control].admin_token` set, everything under `/_mock/` but health,
/// readiness and the inbox's receiving end needs it, as a Bearer token or (for
/// a browser on the dashboard) a `token` query parameter.
async fn admin_token(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = app
        .config()
        .control
        .admin_token
        .as_deref()
        .map(str::as_bytes)
    else {
        return next.run(request).await;
    };
    if is_open(&request) {
        return next.run(request).await;
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let query = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    let given = bearer.map(str::to_owned).or(query).unwrap_or_default();
    if bool::from(given.as_bytes().ct_eq(expected)) {
        next.run(request).await
    } else {
        ControlError::new(
            StatusCode::UNAUTHORIZED,
            "the control API needs the admin token: send 'Authorization: Bearer <admin_token>'",
        )
        .into_response()
    }
}

fn is_open(request: &Request) -> bool {
    let path = request.uri().path();
    matches!(path, "/_mock/health" | "/_mock/ready" | "/_mock/ca.pem")
        || is_inbox_delivery(request.method(), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn control_posts_need_json_or_the_custom_header() {
        let refused = |m: Method, path: &str, h: &[(&'static str, &'static str)]| {
            cross_site_refusal(&m, path, &headers(h)).map(|e| e.status)
        };
        // What a cross-site form or simple fetch can send.
        assert_eq!(refused(Method::POST, "/_mock/reset", &[]), Some(403));
        for simple in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            let ct = [("content-type", simple)];
            assert_eq!(
                refused(Method::POST, "/_mock/reset", &ct),
                Some(415),
                "{simple}"
            );
        }
        let form = [("content-type", "application/x-www-form-urlencoded")];
        assert_eq!(
            refused(Method::POST, "/_mock/dashboard/replay/1", &form),
            Some(415)
        );
        // What only a tool (or a granted preflight) can send.
        assert_eq!(
            refused(
                Method::POST,
                "/_mock/reset",
                &[("content-type", "application/json; charset=utf-8")]
            ),
            None
        );
        assert_eq!(
            refused(Method::POST, "/_mock/reset", &[("x-idenfy-mock", "1")]),
            None
        );
        assert_eq!(
            refused(
                Method::POST,
                "/_mock/dashboard/replay/1",
                &[("x-idenfy-mock", "1"), form[0]]
            ),
            None
        );
        // A web page of another origin may not post to an inbox.
        assert_eq!(
            refused(
                Method::POST,
                "/_mock/inbox/ci",
                &[("sec-fetch-site", "cross-site")]
            ),
            Some(403)
        );
        assert_eq!(
            refused(
                Method::POST,
                "/_mock/inbox/ci",
                &[("origin", "https://evil.test")]
            ),
            Some(403)
        );
        // Webhooks into an inbox, reads and deletes are not checked.
        assert_eq!(
            refused(
                Method::POST,
                "/_mock/inbox/ci",
                &[("content-type", "text/plain")]
            ),
            None
        );
        assert_eq!(refused(Method::GET, "/_mock/snapshot", &[]), None);
        assert_eq!(refused(Method::DELETE, "/_mock/faults", &[]), None);
    }
}
