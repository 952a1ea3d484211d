//! `/_mock/faults`: break things on purpose.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::{ControlError, Result};
use super::extract::{CJson, CPath};
use crate::http::api;
use crate::runtime::app::AppState;
use crate::runtime::faults::{Fault, FaultSpec, Refused};

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
    responses((status = 201, body = Fault), (status = 400, body = ControlError),
        (status = 507, description = "control.max_faults live faults are registered", body = ControlError)))]
pub async fn add_fault(
    State(app): State<AppState>,
    CJson(spec): CJson<FaultSpec>,
) -> Result<Response> {
    if let Some(key) = spec.partner.as_deref() {
        if app.partners().by_key(key).is_none() {
            return Err(ControlError::bad_request(format!(
                "no partner has API key '{}'",
                shown(key)
            )));
        }
    }
    if let Some(path) = spec.path.as_deref() {
        check_path(path)?;
    }
    let fault = app.faults().add(spec).map_err(|refused| match refused {
        Refused::Invalid(why) => ControlError::bad_request(why),
        Refused::Full(max) => ControlError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            format!(
                "{max} faults are registered (control.max_faults), none used up; \
                 remove some with DELETE /_mock/faults/{{id}} or DELETE /_mock/faults"
            ),
        ),
    })?;
    Ok((StatusCode::CREATED, Json(fault)).into_response())
}

/// The paths an API fault can apply to: the emulated API's and the inbox's.
const INBOX_PATH: &str = "/_mock/inbox/{name}";

/// An API fault's path must be one a fault can fire on; else a 400 naming
/// the path and the nearest one that is.
fn check_path(path: &str) -> Result<()> {
    let inbox = path
        .strip_prefix("/_mock/inbox/")
        .is_some_and(super::inbox::is_valid_name);
    if api::PATHS.contains(&path) || inbox {
        return Ok(());
    }
    let nearest = api::PATHS
        .iter()
        .copied()
        .chain([INBOX_PATH])
        .min_by_key(|p| strsim::levenshtein(p, path))
        .unwrap_or(INBOX_PATH);
    Err(ControlError::bad_request(format!(
        "no route that faults apply to serves '{}'; the nearest is '{nearest}' \
         (faults apply to POSTs to {} and {INBOX_PATH})",
        shown(path),
        api::PATHS.join(", ")
    )))
}

/// A value the client sent, cut and escaped for a message.
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(100).collect();
    crate::domain::escape::escape_for_log(&cut).into_owned()
}

/// Removes every fault; webhooks a `reorder` fault held back go out now.
#[utoipa::path(delete, path = "/_mock/faults", tag = "control", responses((status = 204)))]
pub async fn clear_faults(State(app): State<AppState>) -> StatusCode {
    app.faults().clear();
    app.webhooks().release_held(|_| true);
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
        // A `reorder` fault's held webhooks go out when it ends.
        app.webhooks().release_held(|_| true);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ControlError::not_found(format!("no fault with id {id}")))
    }
}
