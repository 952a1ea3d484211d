//! The control API's one error type: its JSON body and its status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

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

/// What every control handler returns.
pub type Result<T> = std::result::Result<T, ControlError>;

/// The delivery queue stayed full for the whole wait
/// (`webhooks.enqueue_wait_ms`): nothing was changed.
pub fn busy() -> ControlError {
    ControlError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "the webhook queue stayed full (webhooks.max_pending): nothing was changed; retry later",
    )
}
