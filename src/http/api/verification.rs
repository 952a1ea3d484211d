//! The calls on an existing verification, each `POST {"scanRef": …}`:
//! `add-dummy-status`, `status`, `data`, `files`, `full`,
//! `generate-pdf`, `delete`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::error::{ApiError, ErrorEnvelope};
use super::extract::{ApiBody, Authed};
use super::{auth, body};
use crate::domain::fields::{FieldError, Object};
use crate::domain::payload;
use crate::domain::requests::{self, ManualReview};
use crate::domain::status::{DocumentResult, FaceResult, FraudTagValue, MismatchTagValue, Overall};
use crate::domain::verification::DocumentData;
use crate::domain::verification::Verification;
use crate::domain::PartnerId;
use crate::lifecycle::{self, StepError};
use crate::runtime::app::{App, AppState};
use crate::runtime::files;
use crate::runtime::report;

/// The body as a JSON object, read by `parse` (checks 1 and 2 are
/// [`Authed`]'s, the body's size [`ApiBody`]'s).
fn parsed<T>(
    bytes: &[u8],
    parse: impl FnOnce(&Object) -> Result<T, FieldError>,
) -> Result<T, ApiError> {
    parse(&body::object(bytes)?).map_err(ApiError::field)
}

/// Reads the partner's verification that the body's `scanRef` names.
fn read<T>(
    app: &App,
    partner: PartnerId,
    bytes: &[u8],
    f: impl FnOnce(&Verification) -> T,
) -> Result<T, ApiError> {
    let scan_ref = parsed(bytes, requests::scan_ref)?;
    app.store()
        .read(partner, &scan_ref, f)
        .ok_or_else(|| ApiError::scan_ref_not_found(&scan_ref))
}

fn step_error(e: StepError, scan_ref: &str) -> ApiError {
    match e {
        // The API's steps do not use a token, so only these arise here.
        StepError::NotFound | StepError::AlreadyFinished | StepError::Expired => {
            ApiError::scan_ref_not_found(scan_ref)
        }
        StepError::NotExpiredYet => ApiError::not_expired_yet(),
        StepError::Busy => ApiError::busy(),
        StepError::Deleted => ApiError::field(FieldError::bad(
            "scanRef",
            "names a verification whose data has been deleted",
        )),
    }
}

#[utoipa::path(post, path = "/api/v2/add-dummy-status", tag = "idenfy", request_body = AddDummyStatusBody, security(("basic" = [])),
    responses((status = 200, description = "recorded; empty body"), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)))]
pub async fn add_dummy_status(
    State(app): State<AppState>,
    Authed(partner): Authed,
    ApiBody(bytes): ApiBody,
) -> Result<Response, ApiError> {
    // Check 3: a dummy feature, for DEV partners only; then the body.
    auth::dummy_allowed(app.partners().get(partner))?;
    let review = parsed(&bytes, ManualReview::parse)?;
    let scan_ref = review.scan_ref;
    let (face, document) = (review.face, review.document);
    lifecycle::review_manually(&app, partner, &scan_ref, face, document)
        .await
        .map_err(|e| step_error(e, &scan_ref))?;
    Ok(StatusCode::OK.into_response())
}

/// The body of `/status`, `/data` and `/files` requests.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
pub struct ScanRefBody {
    scan_ref: String,
}

/// The body of `add-dummy-status`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
pub struct AddDummyStatusBody {
    scan_ref: String,
    manual_face_match_result: FaceResult,
    manual_document_validity: DocumentResult,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    status: Overall,
    scan_ref: String,
    client_id: String,
    auto_face: Option<FaceResult>,
    auto_document: Option<DocumentResult>,
    manual_face: Option<FaceResult>,
    manual_document: Option<DocumentResult>,
    fraud_tags: Vec<FraudTagValue>,
    mismatch_tags: Vec<MismatchTagValue>,
}

#[utoipa::path(post, path = "/api/v2/status", tag = "idenfy", request_body = ScanRefBody, security(("basic" = [])),
    responses((status = 200, body = StatusResponse), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)))]
pub async fn status(
    State(app): State<AppState>,
    Authed(partner): Authed,
    ApiBody(bytes): ApiBody,
) -> Result<Json<StatusResponse>, ApiError> {
    read(&app, partner, &bytes, |v| StatusResponse {
        status: v.reported_status(),
        scan_ref: v.scan_ref.to_string(),
        client_id: v.request.client_id.clone(),
        auto_face: v.auto_face,
        auto_document: v.auto_document,
        manual_face: v.manual_face,
        manual_document: v.manual_document,
        fraud_tags: v.fraud_tags.clone(),
        mismatch_tags: v.mismatch_tags.clone(),
    })
    .map(Json)
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataResponse {
    #[serde(flatten)]
    data: DocumentData,
    scan_ref: String,
    client_id: String,
}

#[utoipa::path(post, path = "/api/v2/data", tag = "idenfy", request_body = ScanRefBody, security(("basic" = [])),
    responses((status = 200, body = DataResponse), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)))]
pub async fn data(
    State(app): State<AppState>,
    Authed(partner): Authed,
    ApiBody(bytes): ApiBody,
) -> Result<Json<DataResponse>, ApiError> {
    read(&app, partner, &bytes, |v| DataResponse {
        data: v.document_data(),
        scan_ref: v.scan_ref.to_string(),
        client_id: v.request.client_id.clone(),
    })
    .map(Json)
}

#[utoipa::path(post, path = "/api/v2/files", tag = "idenfy", request_body = ScanRefBody, security(("basic" = [])),
    responses((status = 200, description = "FRONT, BACK and FACE image URLs, or {} before a result", body = std::collections::HashMap<String, String>), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)))]
pub async fn files(
    State(app): State<AppState>,
    Authed(partner): Authed,
    ApiBody(bytes): ApiBody,
) -> Result<Json<BTreeMap<&'static str, String>>, ApiError> {
    read(&app, partner, &bytes, |v| files::issued(&app, v)).map(Json)
}

#[utoipa::path(post, path = "/api/v2/delete", tag = "idenfy", request_body = ScanRefBody, security(("basic" = [])),
    responses((status = 200, description = "deleted; empty body"), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)))]
pub async fn delete(
    State(app): State<AppState>,
    Authed(partner): Authed,
    ApiBody(bytes): ApiBody,
) -> Result<Response, ApiError> {
    let scan_ref = parsed(&bytes, requests::scan_ref)?;
    lifecycle::delete(&app, partner, &scan_ref).map_err(|e| step_error(e, &scan_ref))?;
    Ok(StatusCode::OK.into_response())
}

#[utoipa::path(post, path = "/api/v2/full", tag = "idenfy", request_body = ScanRefBody, security(("basic" = [])),
    responses((status = 200, description = "the result webhook's body as it would be sent now, with `final` always false and `status.overall` one of the OpenAPI IdentificationStatusEnum (an expired verification whose data was deleted is `DELETED`)", body = payload::Payload), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)))]
pub async fn full(
    State(app): State<AppState>,
    Authed(partner): Authed,
    ApiBody(bytes): ApiBody,
) -> Result<Response, ApiError> {
    // A pending manual review shows the automatic result: `status` stays
    // the computed one while `review_pending` is set.
    let body = read(&app, partner, &bytes, |v| {
        payload::full(v, files::issued(&app, v))
    })?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// The body of `generate-pdf`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
pub struct GeneratePdfBody {
    scan_ref: String,
    /// Default `en`.
    #[schema(value_type = Option<String>, pattern = "^(en|lt)$")]
    language: Option<String>,
    /// FRONT, BACK and FACE photos in the report; default true.
    include_main_step_files: Option<bool>,
    /// Additional-step photos (the mock has none); default true.
    include_additional_step_files: Option<bool>,
}

#[utoipa::path(post, path = "/api/v2/generate-pdf", tag = "idenfy", request_body = GeneratePdfBody, security(("basic" = [])),
    responses((status = 200, description = "the PDF report, base64-encoded, as a JSON string", body = String, content_type = "application/json"),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)))]
pub async fn generate_pdf(
    State(app): State<AppState>,
    Authed(partner): Authed,
    ApiBody(bytes): ApiBody,
) -> Result<Json<String>, ApiError> {
    use base64::Engine as _;
    let (scan_ref, options) = parsed(&bytes, report::parse_request)?;
    app.store()
        .read(partner, &scan_ref, |v| {
            let pdf = report::pdf(v, options, &files::images(v), app.clock().now_secs());
            base64::engine::general_purpose::STANDARD.encode(pdf)
        })
        .map(Json)
        .ok_or_else(|| ApiError::scan_ref_not_found(&scan_ref))
}
