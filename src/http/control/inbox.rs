//! A webhook receiver inside the mock (`/_mock/inbox/{name}`): point a
//! partner's `webhook_url` or a token's `callbackUrl` at it to see what would
//! be sent, with each message's signature checked against the partners' keys.
//! The messages and their bounds are in [`crate::runtime::inbox`].

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::CPath;
use super::ControlError;
use crate::runtime::app::AppState;
use crate::runtime::inbox::{
    check_signature, InboxMessage, InboxSummary, Refs, INBOXES, TOTAL_BYTES,
};

fn valid_name(name: String) -> Result<String, ControlError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(name)
    } else {
        Err(ControlError::bad_request(
            "an inbox name is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'",
        ))
    }
}

#[derive(Serialize, ToSchema)]
pub struct Received {
    pub id: u64,
}

/// Receives a webhook (open even when an admin token is set).
#[utoipa::path(post, path = "/_mock/inbox/{name}", tag = "control", params(("name" = String, Path)),
    request_body(content = String, description = "any webhook body"),
    responses((status = 200, body = Received), (status = 400, body = ControlError),
        (status = 413, description = "over body_limit_bytes", body = ControlError)))]
pub async fn receive(
    State(app): State<AppState>,
    CPath(name): CPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Received>, ControlError> {
    let name = valid_name(name)?;
    let limit = app.config().body_limit_bytes.min(TOTAL_BYTES / 2);
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ControlError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("an inbox message is at most {limit} bytes (body_limit_bytes)"),
        )
    })?;
    let (signature, signed_by) = check_signature(app.partners(), &headers, &body);
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let refs = Refs::of(&body);
    let id = app
        .inbox()
        .push(
            &name,
            InboxMessage {
                id: 0,
                received_at_ms: app.clock().now_ms(),
                event: header("idenfy-event-type"),
                signature,
                signed_by,
                content_type: header("content-type"),
                body: String::from_utf8_lossy(&body).into_owned(),
                scan_ref: refs.scan_ref,
                client_id: refs.client_id,
            },
        )
        .map_err(|_| {
            ControlError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                format!("at most {INBOXES} inboxes; delete one first"),
            )
        })?;
    Ok(Json(Received { id }))
}

#[derive(Serialize, ToSchema)]
pub struct InboxView {
    pub name: String,
    /// Oldest first.
    pub messages: Vec<InboxMessage>,
}

/// The messages of one inbox.
#[utoipa::path(get, path = "/_mock/inbox/{name}", tag = "control", params(("name" = String, Path)),
    responses((status = 200, body = InboxView), (status = 400, body = ControlError)))]
pub async fn read(
    State(app): State<AppState>,
    CPath(name): CPath<String>,
) -> Result<Json<InboxView>, ControlError> {
    let name = valid_name(name)?;
    let messages = app.inbox().messages(&name);
    Ok(Json(InboxView { name, messages }))
}

/// Empties one inbox.
#[utoipa::path(delete, path = "/_mock/inbox/{name}", tag = "control", params(("name" = String, Path)),
    responses((status = 204), (status = 400, body = ControlError)))]
pub async fn clear(
    State(app): State<AppState>,
    CPath(name): CPath<String>,
) -> Result<StatusCode, ControlError> {
    let name = valid_name(name)?;
    app.inbox().remove(&name);
    Ok(StatusCode::NO_CONTENT)
}

/// Every inbox with its message count.
#[utoipa::path(get, path = "/_mock/inbox", tag = "control", responses((status = 200, body = Vec<InboxSummary>)))]
pub async fn list_inboxes(State(app): State<AppState>) -> Json<Vec<InboxSummary>> {
    Json(app.inbox().summaries())
}
