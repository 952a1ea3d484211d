//! `/_mock/verifications`: list, read and finish verifications.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ControlError, Result};
use super::extract::{CJson, CPath, CQuery};
use super::paging::{page_limit, Page};
use crate::domain::outcome::Outcome;
use crate::domain::status::Overall;
use crate::http::ui::FinishAnswer;
use crate::lifecycle::{self, StepError};
use crate::runtime::app::AppState;
use crate::runtime::webhook::journal::{Filter, WebhookRecord};
pub use crate::snapshot::VerificationView;

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct VerificationQuery {
    /// The partner's API key.
    pub partner: Option<String>,
    pub client_id: Option<String>,
    /// Overall status, e.g. `APPROVED`.
    pub status: Option<String>,
    pub offset: Option<usize>,
    /// 1..=1000, default 50.
    pub limit: Option<usize>,
}

/// Verifications, oldest first by creation, filtered and paged.
#[utoipa::path(get, path = "/_mock/verifications", tag = "control", params(VerificationQuery),
    responses((status = 200, body = Page<VerificationView>), (status = 400, body = ControlError)))]
pub async fn list_verifications(
    State(app): State<AppState>,
    CQuery(q): CQuery<VerificationQuery>,
) -> Result<Json<Page<VerificationView>>> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(Overall::parse(s).ok_or_else(|| {
            ControlError::bad_request(format!("status must be one of: {}", Overall::list()))
        })?),
    };
    let partner =
        match q.partner.as_deref() {
            None => None,
            Some(key) => Some(app.partners().by_key(key).ok_or_else(|| {
                ControlError::bad_request(format!("no partner has API key '{key}'"))
            })?),
        };
    // Only the page's items are copied; the rest are only counted.
    let offset = q.offset.unwrap_or(0);
    let limit = page_limit(q.limit);
    let (total, items) = app.store().page(
        offset,
        limit,
        |v| {
            partner.is_none_or(|p| p == v.partner)
                && q.client_id
                    .as_deref()
                    .is_none_or(|c| c == v.request.client_id)
                && status.is_none_or(|s| s == v.status)
        },
        |v| VerificationView::of(&app, v),
    );
    Ok(Json(Page {
        total,
        offset,
        limit,
        items,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct VerificationDetail {
    #[serde(flatten)]
    pub view: VerificationView,
    /// Its webhooks in the journal, oldest first.
    pub webhooks: Vec<WebhookRecord>,
}

fn scan_ref_unknown(scan_ref: &str) -> ControlError {
    ControlError::not_found(format!("no verification with scanRef '{scan_ref}'"))
}

/// One verification's full state with its webhooks.
#[utoipa::path(get, path = "/_mock/verifications/{scan_ref}", tag = "control",
    params(("scan_ref" = String, Path)),
    responses((status = 200, body = VerificationDetail), (status = 400, description = "undecodable path", body = ControlError),
        (status = 404, body = ControlError)))]
pub async fn get_verification(
    State(app): State<AppState>,
    CPath(scan_ref): CPath<String>,
) -> Result<Json<VerificationDetail>> {
    let view = app
        .store()
        .read_any(&scan_ref, |v| VerificationView::of(&app, v))
        .ok_or_else(|| scan_ref_unknown(&scan_ref))?;
    let webhooks = app.webhooks().journal().list(&Filter {
        scan_ref: Some(scan_ref),
        ..Filter::default()
    });
    Ok(Json(VerificationDetail { view, webhooks }))
}

/// How to finish a session, as the verification page would.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FinishRequest {
    /// `approve`, `deny`, `suspect` or `unverified`.
    pub outcome: String,
    /// For `deny`: the face result (default FACE_MISMATCH).
    pub face: Option<String>,
    /// For `deny`: the document result (default DOC_VALIDATED).
    pub document: Option<String>,
    /// For `suspect`: a fraud or mismatch tag (default NAME).
    pub tag: Option<String>,
    /// Make this attempt the session's last: a `deny` then finishes the
    /// session DENIED at once, whatever attempts are left (default false).
    #[serde(default)]
    pub last_attempt: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum FinishResponse {
    /// The session ended.
    Ended {
        #[serde(flatten)]
        answer: FinishAnswer,
        verification: VerificationView,
    },
    /// The attempt failed with attempts left: no webhook yet.
    Retry(RetryAnswer),
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetryAnswer {
    /// `retry`.
    #[schema(example = "retry")]
    pub result: &'static str,
    pub attempts_left: u32,
    pub verification: VerificationView,
}

/// Finishes an attempt of an ACTIVE verification with any outcome, exactly
/// as the verification page does: a `deny` with attempts left (the token's
/// `maxAttemptCount`, else the partner's `max_attempts`, 2 by default) is a
/// failed attempt, answered
/// `{"result": "retry", "attemptsLeft": n}` without a webhook; otherwise the
/// session ends and its webhook goes out (this does not wait for it).
#[utoipa::path(post, path = "/_mock/verifications/{scan_ref}/finish", tag = "control",
    params(("scan_ref" = String, Path)), request_body = FinishRequest,
    responses((status = 200, body = FinishResponse), (status = 400, body = ControlError),
        (status = 404, body = ControlError), (status = 409, body = ControlError)))]
pub async fn finish_verification(
    State(app): State<AppState>,
    CPath(scan_ref): CPath<String>,
    CJson(req): CJson<FinishRequest>,
) -> Result<Json<FinishResponse>> {
    let outcome = Outcome::from_parts(
        &req.outcome,
        req.face.as_deref(),
        req.document.as_deref(),
        req.tag.as_deref(),
    )
    .map_err(ControlError::bad_request)?;
    let finished = lifecycle::finish_by_scan_ref(&app, &scan_ref, outcome, req.last_attempt)
        .await
        .map_err(|e| finish_refused(&scan_ref, e))?;
    let view = VerificationView::of(&app, finished.verification());
    Ok(Json(match finished {
        lifecycle::Finished::Ended(v, _) => FinishResponse::Ended {
            answer: FinishAnswer::of(&v),
            verification: view,
        },
        lifecycle::Finished::Retry(_, left) => FinishResponse::Retry(RetryAnswer {
            result: "retry",
            attempts_left: left,
            verification: view,
        }),
    }))
}

/// What a refused finish answers.
fn finish_refused(scan_ref: &str, e: StepError) -> ControlError {
    match e {
        StepError::AlreadyFinished => ControlError::new(
            StatusCode::CONFLICT,
            format!("verification '{scan_ref}' already has a result"),
        ),
        StepError::Expired => ControlError::new(
            StatusCode::CONFLICT,
            format!("verification '{scan_ref}' has expired"),
        ),
        StepError::Busy => super::error::busy(),
        _ => scan_ref_unknown(scan_ref),
    }
}
