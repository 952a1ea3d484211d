//! `/_mock/faults`: break things on purpose.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::{ControlError, Result};
use super::extract::{CJson, CPath};
use crate::runtime::app::AppState;
use crate::runtime::faults::{Fault, FaultSpec};

/// Registered faults with how often they fired.
#[utoipa::path(get, path = "/_mock/faults", tag = "control", responses((status = 200, body = Vec<Fault>)))]
pub async fn list_faults(State(app): State<AppState>) -> Json<Vec<Fault>> {
    Json(app.faults().list())
}

/// Injects a fault: for the API `status`, `delay` or `drop`; for webhooks
/// `delay`, `drop`, `duplicate`, `reorder`, `bad_signature`, `no_signature`
/// or `non_final_first`. Scoped by `path` (API) or `event` (webhook) and
/// `partner`; fires `times` times (0 = until cleared).
#[utoipa::path(post, path = "/_mock/faults", tag = "control", request_body = FaultSpec,
    responses((status = 201, body = Fault), (status = 400, body = ControlError)))]
pub async fn add_fault(
    State(app): State<AppState>,
    CJson(spec): CJson<FaultSpec>,
) -> Result<Response> {
    if let Some(key) = spec.partner.as_deref() {
        if app.partners().by_key(key).is_none() {
            return Err(ControlError::bad_request(format!(
                "no partner has API key '{key}'"
            )));
        }
    }
    let fault = app.faults().add(spec).map_err(ControlError::bad_request)?;
    Ok((StatusCode::CREATED, Json(fault)).into_response())
}

/// Removes every fault.
#[utoipa::path(delete, path = "/_mock/faults", tag = "control", responses((status = 204)))]
pub async fn clear_faults(State(app): State<AppState>) -> StatusCode {
    app.faults().clear();
    StatusCode::NO_CONTENT
}

/// Removes one fault.
#[utoipa::path(delete, path = "/_mock/faults/{id}", tag = "control", params(("id" = u64, Path, minimum = 1)),
    responses((status = 204), (status = 400, description = "not an id", body = ControlError),
        (status = 404, body = ControlError)))]
pub async fn delete_fault(
    State(app): State<AppState>,
    CPath(id): CPath<u64>,
) -> Result<StatusCode> {
    if app.faults().remove(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ControlError::not_found(format!("no fault with id {id}")))
    }
}
