//! The emulated iDenfy API under `/api/v2`. Handlers are thin: they check the
//! partner and the body, then call `lifecycle` or read the store.

pub mod auth;
pub mod body;
pub mod error;
pub mod token;
pub mod verification;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::app::AppState;
use crate::faults::FaultAction;
use error::ApiError;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v2/token", post(token::create))
        .route(
            "/api/v2/add-dummy-status",
            post(verification::add_dummy_status),
        )
        .route("/api/v2/status", post(verification::status))
        .route("/api/v2/data", post(verification::data))
        .route("/api/v2/files", post(verification::files))
        .route("/api/v2/delete", post(verification::delete))
        .layer(middleware::from_fn_with_state(state, injected_faults))
}

/// Applies an injected API fault (control API) before the real handler; also
/// layered on the control inbox's receiving endpoint.
pub async fn injected_faults(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let partner = auth::api_key_for_log(request.headers());
    match app
        .faults
        .take_api(request.uri().path(), partner.as_deref())
    {
        None => next.run(request).await,
        Some(FaultAction::Delay { ms }) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            next.run(request).await
        }
        Some(FaultAction::Status { status }) => injected_status(status).into_response(),
        // A body that fails before its first byte makes the server abort the
        // connection: the client sees it dropped, with no answer.
        Some(_) => Response::new(Body::from_stream(futures_util::stream::once(async {
            Err::<bytes::Bytes, _>(std::io::Error::other("injected fault: connection dropped"))
        }))),
    }
}

/// The envelope for an injected status, with the identifier the contract
/// uses for that status.
fn injected_status(status: u16) -> ApiError {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let identifier = match status {
        401 => "UNAUTHORIZED",
        402 => "PARTNER_CONTRACT_ERROR",
        403 => "PERMISSIONS_ERROR",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        413 => "BAD_VALUE",
        415 => "ENCODING_ERROR",
        429 => "TOO_MANY_REQUESTS",
        500..=599 => "INTERNAL_ERROR",
        _ => "BAD_VALUE",
    };
    ApiError::new(code, identifier, format!("Injected fault: HTTP {status}."))
}
