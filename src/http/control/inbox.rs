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

use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{CPath, CQuery};
use super::ControlError;
use crate::runtime::app::AppState;
use crate::runtime::inbox::{
    check_signature, InboxMessage, InboxSummary, MessageView, Refs, INBOXES, READERS, TOTAL_BYTES,
};

/// An inbox name: 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'.
pub fn is_valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn valid_name(name: String) -> Result<String, ControlError> {
    if is_valid_name(&name) {
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
    let event = header("idenfy-event-type");
    let content_type = header("content-type");
    let id = app
        .inbox()
        .push(
            &name,
            InboxMessage {
                id: 0,
                received_at_ms: app.clock().now_ms(),
                event,
                signature,
                signed_by,
                content_type,
                body,
                scan_ref: refs.scan_ref,
                client_id: refs.client_id,
            },
        )
        .map_err(|_| {
            ControlError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                format!(
                    "at most {INBOXES} inboxes hold messages; delete one with \
                     DELETE /_mock/inbox/{{name}} (GET /_mock/inbox lists them), or POST /_mock/reset"
                ),
            )
        })?;
    Ok(Json(Received { id }))
}

#[derive(Serialize, ToSchema)]
pub struct InboxView {
    pub name: String,
    /// Oldest first, each body cut to `control.inbox_read_message_bytes`.
    pub messages: Vec<MessageView>,
    /// More messages follow: read on with `?after=<next>`.
    pub next: Option<u64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadQuery {
    /// Messages with a greater id (the previous page's `next`); default 0.
    pub after: Option<u64>,
}

/// How long a read waits for one of the read slots before it is refused.
const READ_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// The messages of one inbox, a page at a time: at most
/// `control.inbox_read_bytes` of them per answer.
#[utoipa::path(get, path = "/_mock/inbox/{name}", tag = "control", params(("name" = String, Path), ReadQuery),
    responses((status = 200, body = InboxView), (status = 400, body = ControlError),
        (status = 503, description = "too many reads at once", body = ControlError)))]
pub async fn read(
    State(app): State<AppState>,
    CPath(name): CPath<String>,
    CQuery(q): CQuery<ReadQuery>,
) -> Result<Json<InboxView>, ControlError> {
    let name = valid_name(name)?;
    let _slot = app.inbox().reader(READ_PATIENCE).await.ok_or_else(|| {
        ControlError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{READERS} inbox reads are being answered; try again"),
        )
    })?;
    let c = &app.config().control;
    let page = app.inbox().page(
        &name,
        q.after.unwrap_or(0),
        c.inbox_read_message_bytes,
        c.inbox_read_bytes,
    );
    Ok(Json(InboxView {
        name,
        messages: page.messages,
        next: page.next,
    }))
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
