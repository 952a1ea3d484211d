//! The iDenfy API's extractors, in the order iDenfy checks: [`Authed`] runs
//! first, on the request's head (credentials, the rate limit, the partner
//! being active); [`ApiBody`] then reads the body (Content-Type, size). Both
//! reject with iDenfy's error envelope, and neither copies the headers.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;

use super::error::ApiError;
use super::{auth, body};
use crate::runtime::app::AppState;
use crate::runtime::partners::PartnerId;

/// The partner whose Basic credentials the request carries.
pub struct Authed(pub PartnerId);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        auth::partner(app, &parts.headers).map(Authed)
    }
}

/// The raw body, once its Content-Type and size are acceptable (not yet
/// parsed: whether dummy features are allowed is checked before the JSON is).
pub struct ApiBody(pub Bytes);

impl FromRequest<AppState> for ApiBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, ApiError> {
        let (parts, raw) = request.into_parts();
        body::read(&parts.headers, raw, app.config().body_limit_bytes)
            .await
            .map(ApiBody)
    }
}
