//! The emulated iDenfy API under `/api/v2`. Handlers are thin: they take the
//! partner and the body from the extractors (`Authed`, `ApiBody`), parse the
//! body with the domain's rules, then call `lifecycle` or read the store.

pub mod auth;
pub mod body;
pub mod error;
mod extract;
pub mod files;
pub mod token;
pub mod verification;

use axum::routing::{get, post};
use axum::Router;

use crate::runtime::app::AppState;

/// The emulated API's routes (all `POST`); injected API faults apply to these.
pub const PATHS: [&str; 8] = [
    "/api/v2/token",
    "/api/v2/add-dummy-status",
    "/api/v2/status",
    "/api/v2/data",
    "/api/v2/files",
    "/api/v2/delete",
    "/api/v2/full",
    "/api/v2/generate-pdf",
];

pub fn router() -> Router<AppState> {
    let [token, add_dummy_status, status, data, files, delete, full, generate_pdf] = PATHS;
    Router::new()
        .route(token, post(token::create))
        .route(add_dummy_status, post(verification::add_dummy_status))
        .route(status, post(verification::status))
        .route(data, post(verification::data))
        .route(files, post(verification::files))
        .route(delete, post(verification::delete))
        .route(full, post(verification::full))
        .route(generate_pdf, post(verification::generate_pdf))
        .route(
            "/files/{scan_ref}/{expires}/{signature}/{name}",
            get(files::serve),
        )
}
