//! `POST /api/v2/token`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorEnvelope};
use super::extract::{ApiBody, Authed};
use super::{auth, body};
use crate::domain::fields::FieldError;
use crate::domain::token::{asks_for_dummy, unknown_fields, DocumentType, TokenRequest};
use crate::domain::verification::Verification;
use crate::lifecycle;
use crate::runtime::app::AppState;

/// `201 Created`: every request field echoed (defaults applied, explicit
/// nulls) plus the session's identifiers.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    message: &'static str,
    auth_token: String,
    scan_ref: String,
    #[serde(flatten)]
    #[schema(value_type = TokenRequest)]
    request: std::sync::Arc<TokenRequest>,
    person_scan_ref: String,
    digit_string: Option<String>,
    /// `{public URL}/api/v2/redirect?authToken=…`
    redirect_url: String,
    allowed_documents: BTreeMap<String, Vec<DocumentType>>,
}

impl TokenResponse {
    fn new(v: Verification, public_url: &str) -> TokenResponse {
        TokenResponse {
            message: if v.request.dummy_status.is_some() {
                "Dummy token and verification created successfully"
            } else {
                "Token created successfully"
            },
            redirect_url: format!("{public_url}/api/v2/redirect?authToken={}", v.auth_token),
            allowed_documents: v.request.allowed_documents(),
            person_scan_ref: v.request.client_id.clone(),
            auth_token: v.auth_token,
            scan_ref: v.scan_ref.to_string(),
            digit_string: v.digit_string,
            request: v.request,
        }
    }
}

/// The request body of `POST /api/v2/token` (only `clientId` is required;
/// unknown keys are ignored). Parsed by `TokenRequest::parse`, which holds the rules.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(as = TokenRequestBody)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequestBody {
    /// 1..100 printable ASCII characters (legacy alias: `personScanRef`).
    #[schema(min_length = 1, max_length = 100, pattern = "^[ -~]+$")]
    client_id: String,
    /// A letter at least; no digits and none of ``~!@#$%^*()_+={}[]|:;",<>/?``; returned uppercased.
    #[schema(min_length = 1, max_length = 100)]
    first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    last_name: Option<String>,
    #[schema(format = Date)]
    date_of_birth: Option<String>,
    #[schema(format = Date)]
    date_of_expiry: Option<String>,
    #[schema(format = Date)]
    date_of_issue: Option<String>,
    sex: Option<crate::domain::token::Sex>,
    /// ISO 3166-1 alpha-2 or XK, any case; or ALL (none).
    #[schema(pattern = "^([A-Za-z]{2}|[Aa][Ll][Ll])$")]
    nationality: Option<String>,
    /// ISO 3166-1 alpha-2 or XK, any case; or an array of such codes.
    #[schema(value_type = Option<crate::domain::token::Country>)]
    country: Option<serde_json::Value>,
    #[schema(min_length = 1, max_length = 50)]
    personal_number: Option<String>,
    #[schema(min_length = 1, max_length = 50)]
    document_number: Option<String>,
    #[schema(max_length = 255)]
    address: Option<String>,
    documents: Option<Vec<DocumentType>>,
    /// A language tag; one the page does not translate shows English.
    #[schema(pattern = "^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,4})?$", max_length = 7)]
    locale: Option<String>,
    show_instructions: Option<bool>,
    #[schema(minimum = 0, maximum = 2592000)]
    expiry_time: Option<u32>,
    #[schema(minimum = 60, maximum = 3600)]
    session_length: Option<u32>,
    #[schema(pattern = "^https?://[^ ]+$", min_length = 5, max_length = 2048)]
    success_url: Option<String>,
    #[schema(pattern = "^https?://[^ ]+$", min_length = 5, max_length = 2048)]
    error_url: Option<String>,
    #[schema(pattern = "^https?://[^ ]+$", min_length = 5, max_length = 2048)]
    unverified_url: Option<String>,
    /// Refused with 403 when the partner may not set one.
    #[schema(pattern = "^https?://[^ ]+$", max_length = 2048)]
    callback_url: Option<String>,
    token_type: Option<crate::domain::token::TokenType>,
    #[schema(max_length = 40)]
    external_ref: Option<String>,
    generate_digit_string: Option<bool>,
    /// Not together with `additionalSteps`.
    utility_bill: Option<bool>,
    #[schema(value_type = Option<Object>)]
    additional_steps: Option<serde_json::Value>,
    /// Only together with `additionalSteps`.
    #[schema(value_type = Option<Object>)]
    additional_data: Option<serde_json::Value>,
    questionnaire: Option<String>,
    video_call_questions: Option<Vec<String>>,
    /// DEV partners only.
    dummy_status: Option<crate::domain::status::DummyStatus>,
}

#[utoipa::path(post, path = "/api/v2/token", tag = "idenfy", request_body = TokenRequestBody,
    security(("basic" = [])),
    responses((status = 201, body = TokenResponse),
        (status = 400, description = "ENCODING_ERROR (not UTF-8), JSON_ERROR, MISSING_VALUE, BAD_VALUE, or token limit", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 402, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope),
        (status = 415, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn create(
    State(app): State<AppState>,
    Authed(partner_id): Authed,
    ApiBody(bytes): ApiBody,
) -> Result<Response, ApiError> {
    let partner = app.partners().get(partner_id);
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
    let body = parsed?;
    let request = TokenRequest::parse(&body, &app.config().defaults).map_err(ApiError::field)?;
    warn_of_unknown_fields(&body, partner.key());
    if request.callback_url.is_some() && !partner.config.allow_callback_url {
        return Err(ApiError::callback_url_not_allowed());
    }
    if let Some(url) = &request.callback_url {
        if crate::http::own::is_own_control(&app, url).await {
            return Err(ApiError::field(FieldError::bad(
                "callbackUrl",
                "must not point at the mock's own control API (/_mock/...); \
                 /_mock/inbox/{name} is a webhook receiver you may use",
            )));
        }
    }
    // Room for the webhook first: a request the queue cannot take within
    // the wait is refused before anything is made or counted.
    let room = lifecycle::room_for_token(&app, partner_id, &request)
        .await
        .map_err(|_| ApiError::busy())?;
    if !partner.take_credit() {
        return Err(ApiError::token_limit());
    }
    let created = lifecycle::create(&app, partner_id, request, room);
    let response = TokenResponse::new(created, app.public_url());
    // Written into room for a usual answer (the seed's is 1.1 kB) rather
    // than through `Json`, whose buffer starts at 128 bytes and grows.
    let mut body = Vec::with_capacity(2048);
    serde_json::to_writer(&mut body, &response).map_err(|_| ApiError::internal())?;
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// Unknown keys are ignored, as iDenfy does, but each gets a WARN line
/// naming the field it most likely meant, so a typo (`dumyStatus`) is seen.
/// At most ten per request; keys are cut to 64 characters and escaped.
fn warn_of_unknown_fields(body: &crate::domain::fields::Object, partner: &str) {
    let unknown = unknown_fields(body);
    for (key, meant) in unknown.iter().take(10) {
        let cut: String = key.chars().take(64).collect();
        let key = crate::domain::escape::escape_for_log(&cut);
        match meant {
            Some(meant) => tracing::warn!(
                partner,
                "token request: unknown field '{key}' ignored; did you mean '{meant}'?"
            ),
            None => tracing::warn!(partner, "token request: unknown field '{key}' ignored"),
        }
    }
    if unknown.len() > 10 {
        tracing::warn!(
            partner,
            "token request: {} more unknown fields ignored",
            unknown.len() - 10
        );
    }
}
