//! The whole state: `/_mock/reset`, and `/_mock/snapshot` to export and restore it.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ControlError, Result};
use super::extract::CJson;
use crate::lifecycle;
use crate::runtime::app::AppState;
use crate::snapshot::{self, Restored, Snapshot};

#[derive(Deserialize, ToSchema, Default)]
pub struct ResetRequest {
    /// Only this partner's verifications, webhooks and usage; omitted = everything.
    pub partner: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetDone {
    /// `all` or the partner's API key.
    pub scope: String,
    pub removed_verifications: usize,
}

/// Back to a known state: everything (verifications, webhooks, faults, inboxes,
/// clock, partners' credits), or one partner's data. The body is optional.
#[utoipa::path(post, path = "/_mock/reset", tag = "control", request_body(content = ResetRequest, description = "optional"),
    responses((status = 200, body = ResetDone), (status = 400, body = ControlError)))]
pub async fn reset(State(app): State<AppState>, body: Bytes) -> Result<Json<ResetDone>> {
    let req: ResetRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ResetRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ControlError::bad_request(format!("bad JSON body: {e}")))?
    };
    let partner =
        match &req.partner {
            None => None,
            Some(key) => Some(app.partners().by_key(key).ok_or_else(|| {
                ControlError::bad_request(format!("no partner has API key '{key}'"))
            })?),
        };
    let removed = lifecycle::reset(&app, partner);
    Ok(Json(ResetDone {
        scope: req.partner.unwrap_or_else(|| "all".into()),
        removed_verifications: removed,
    }))
}

/// Exports all state as JSON.
#[utoipa::path(get, path = "/_mock/snapshot", tag = "control", responses((status = 200, body = Snapshot)))]
pub async fn snapshot(State(app): State<AppState>) -> Json<Snapshot> {
    Json(snapshot::take(&app))
}

/// Replaces all state with a snapshot. Webhooks that were pending in it are
/// delivered; the others are restored as history and not re-sent.
#[utoipa::path(post, path = "/_mock/snapshot", tag = "control", request_body = Snapshot,
    responses((status = 200, body = Restored), (status = 400, body = ControlError)))]
pub async fn restore(
    State(app): State<AppState>,
    CJson(snap): CJson<Snapshot>,
) -> Result<Json<Restored>> {
    snapshot::put(&app, snap)
        .map(Json)
        .map_err(ControlError::bad_request)
}
