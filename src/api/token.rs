//! `POST /api/v2/token` (contract §3–§4).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::error::ApiError;
use super::{auth, body};
use crate::app::AppState;
use crate::domain::token::{asks_for_dummy, DocumentType, TokenRequest};
use crate::lifecycle;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenResponse<'a> {
    message: &'static str,
    auth_token: &'a str,
    scan_ref: &'a str,
    #[serde(flatten)]
    request: &'a TokenRequest,
    person_scan_ref: &'a str,
    digit_string: Option<&'a str>,
    redirect_url: String,
    allowed_documents: BTreeMap<String, Vec<DocumentType>>,
}

pub async fn create(
    State(app): State<AppState>,
    headers: HeaderMap,
    raw: Body,
) -> Result<Response, ApiError> {
    let partner_id = auth::partner(&app, &headers)?;
    let partner = app.partners.get(partner_id);
    let bytes = body::read(&headers, raw, app.config.body_limit_bytes).await?;
    let parsed = body::object(&bytes);
    if parsed.as_ref().is_ok_and(asks_for_dummy) {
        auth::dummy_allowed(partner)?;
    }
    if !partner.config.funds {
        return Err(ApiError::no_funds());
    }
    if !partner.has_credit() {
        return Err(ApiError::token_limit());
    }
    let request = TokenRequest::parse(&parsed?, &app.config.defaults).map_err(ApiError::field)?;
    if request.callback_url.is_some() && !partner.config.allow_callback_url {
        return Err(ApiError::callback_url_not_allowed());
    }
    if !partner.take_credit() {
        return Err(ApiError::token_limit());
    }
    let message = if request.dummy_status.is_some() {
        "Dummy token and verification created successfully"
    } else {
        "Token created successfully"
    };
    let v = lifecycle::create(&app, partner_id, request);
    let response = TokenResponse {
        message,
        auth_token: &v.auth_token,
        scan_ref: &v.scan_ref,
        request: &v.request,
        person_scan_ref: &v.request.client_id,
        digit_string: v.digit_string.as_deref(),
        redirect_url: format!(
            "{}/api/v2/redirect?authToken={}",
            app.public_url, v.auth_token
        ),
        allowed_documents: v.request.allowed_documents(),
    };
    Ok((StatusCode::CREATED, Json(response)).into_response())
}
