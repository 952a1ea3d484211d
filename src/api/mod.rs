//! The emulated iDenfy API under `/api/v2`. Handlers are thin: they check the
//! partner and the body, then call `lifecycle` or read the store.

pub mod auth;
pub mod body;
pub mod error;
pub mod token;
pub mod verification;

use axum::routing::post;
use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
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
}
