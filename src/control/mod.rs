//! The control plane for tests, under the reserved prefix `/_mock/`: ask what
//! happened, wait for it without sleeping, replay it, break things on purpose,
//! move time, start from a known state. JSON in and out; errors are
//! `{"message": …, "status": …}`.

mod dashboard;
mod handlers;
pub mod inbox;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::app::AppState;

pub use handlers::*;

/// The control API's error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ControlError {
    pub message: String,
    pub status: u16,
}

impl ControlError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ControlError {
        ControlError {
            message: message.into(),
            status: status.as_u16(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ControlError {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> ControlError {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self)).into_response()
    }
}

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/_mock/", get(dashboard::page))
        .route("/_mock", get(dashboard::page))
        .route("/_mock/dashboard/replay/{id}", post(dashboard::replay))
        .route(
            "/_mock/dashboard/finish/{scan_ref}",
            post(dashboard::finish),
        )
        .route("/_mock/health", get(handlers::health))
        .route("/_mock/ready", get(handlers::health))
        .route("/_mock/verifications", get(handlers::list_verifications))
        .route(
            "/_mock/verifications/{scan_ref}",
            get(handlers::get_verification),
        )
        .route(
            "/_mock/verifications/{scan_ref}/finish",
            post(handlers::finish_verification),
        )
        .route("/_mock/webhooks", get(handlers::list_webhooks))
        .route("/_mock/webhooks/wait", get(handlers::wait_webhook))
        .route("/_mock/webhooks/{id}", get(handlers::get_webhook))
        .route(
            "/_mock/webhooks/{id}/replay",
            post(handlers::replay_webhook),
        )
        .route("/_mock/clock", get(handlers::get_clock))
        .route("/_mock/clock/advance", post(handlers::advance_clock))
        .route("/_mock/clock/set", post(handlers::set_clock))
        .route("/_mock/reset", post(handlers::reset))
        .route(
            "/_mock/faults",
            get(handlers::list_faults)
                .post(handlers::add_fault)
                .delete(handlers::clear_faults),
        )
        .route("/_mock/faults/{id}", delete(handlers::delete_fault))
        .route("/_mock/scenarios", get(handlers::scenarios))
        .route(
            "/_mock/snapshot",
            get(handlers::snapshot).post(handlers::restore),
        )
        .route("/_mock/openapi/idenfy.json", get(crate::openapi::idenfy))
        .route("/_mock/openapi/control.json", get(crate::openapi::control))
        .route("/_mock/inbox", get(inbox::list_inboxes))
        .route(
            "/_mock/inbox/{name}",
            // API faults (scoped by path) apply to `post` too (see `guard`),
            // so a test can make the built-in receiver fail and watch the retries.
            get(inbox::read).post(inbox::receive).delete(inbox::clear),
        )
        .layer(middleware::from_fn_with_state(state, admin_token))
}

/// With `[control].admin_token` set, everything under `/_mock/` but health,
/// readiness and the inbox's receiving end needs it, as a Bearer token or (for
/// a browser on the dashboard) a `token` query parameter.
async fn admin_token(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let expected = app.config.control.admin_token.as_bytes();
    if expected.is_empty() || is_open(&request) {
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
    matches!(path, "/_mock/health" | "/_mock/ready")
        || (request.method() == axum::http::Method::POST && path.starts_with("/_mock/inbox/"))
}
