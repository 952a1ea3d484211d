//! A webhook receiver inside the mock (`/_mock/inbox/{name}`): point a
//! partner's `webhook_url` or a token's `callbackUrl` at it to see what would
//! be sent, with each message's signature checked against the partners' keys.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::ControlError;
use crate::app::AppState;
use crate::partners::Partners;
use crate::webhook::sign;

/// Messages kept per inbox, and inboxes kept at most.
const PER_INBOX: usize = 1000;
const INBOXES: usize = 100;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxMessage {
    pub id: u64,
    pub received_at_ms: i64,
    pub event: Option<String>,
    /// `valid` (a partner's signing key verifies it), `invalid`, or `missing`.
    pub signature: &'static str,
    /// The API key of the partner whose signing key verified it.
    pub signed_by: Option<String>,
    pub content_type: Option<String>,
    /// The body as received (JSON text).
    pub body: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InboxSummary {
    pub name: String,
    pub count: usize,
}

#[derive(Default)]
pub struct Inbox {
    boxes: Mutex<HashMap<String, VecDeque<InboxMessage>>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Inbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<InboxMessage>>> {
        self.boxes.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn clear_all(&self) {
        self.lock().clear();
    }

    fn push(&self, name: &str, mut message: InboxMessage) -> Result<u64, ControlError> {
        let mut boxes = self.lock();
        if !boxes.contains_key(name) && boxes.len() >= INBOXES {
            return Err(ControlError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                format!("at most {INBOXES} inboxes; delete one first"),
            ));
        }
        message.id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let id = message.id;
        let list = boxes.entry(name.to_owned()).or_default();
        list.push_back(message);
        while list.len() > PER_INBOX {
            list.pop_front();
        }
        Ok(id)
    }
}

fn valid_name(p: Result<Path<String>, PathRejection>) -> Result<String, ControlError> {
    let Path(name) = p.map_err(|e| ControlError::bad_request(e.body_text()))?;
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

/// Which partner's signing key verifies `body`, if any.
pub fn check_signature(
    partners: &Partners,
    headers: &HeaderMap,
    body: &[u8],
) -> (&'static str, Option<String>) {
    let Some(sig) = headers
        .get("idenfy-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return ("missing", None);
    };
    partners
        .iter()
        .find(|(_, p)| {
            p.config
                .signing_key
                .as_deref()
                .is_some_and(|k| !k.is_empty() && sign::verify(k.as_bytes(), body, sig))
        })
        .map_or(("invalid", None), |(_, p)| {
            ("valid", Some(p.key().to_owned()))
        })
}

#[derive(Serialize, ToSchema)]
pub struct Received {
    pub id: u64,
}

/// Receives a webhook (open even when an admin token is set).
#[utoipa::path(post, path = "/_mock/inbox/{name}", tag = "control", params(("name" = String, Path)),
    request_body(content = String, description = "any webhook body"),
    responses((status = 200, body = Received), (status = 400, body = ControlError)))]
pub async fn receive(
    State(app): State<AppState>,
    p: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Received>, ControlError> {
    let name = valid_name(p)?;
    let (signature, signed_by) = check_signature(&app.partners, &headers, &body);
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let id = app.inbox.push(
        &name,
        InboxMessage {
            id: 0,
            received_at_ms: app.clock.now_ms(),
            event: header("idenfy-event-type"),
            signature,
            signed_by,
            content_type: header("content-type"),
            body: String::from_utf8_lossy(&body).into_owned(),
        },
    )?;
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
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<InboxView>, ControlError> {
    let name = valid_name(p)?;
    let messages = app
        .inbox
        .lock()
        .get(&name)
        .map(|l| l.iter().cloned().collect())
        .unwrap_or_default();
    Ok(Json(InboxView { name, messages }))
}

/// Empties one inbox.
#[utoipa::path(delete, path = "/_mock/inbox/{name}", tag = "control", params(("name" = String, Path)),
    responses((status = 204), (status = 400, body = ControlError)))]
pub async fn clear(
    State(app): State<AppState>,
    p: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ControlError> {
    let name = valid_name(p)?;
    app.inbox.lock().remove(&name);
    Ok(StatusCode::NO_CONTENT)
}

/// Every inbox with its message count.
#[utoipa::path(get, path = "/_mock/inbox", tag = "control", responses((status = 200, body = Vec<InboxSummary>)))]
pub async fn list_inboxes(State(app): State<AppState>) -> Json<Vec<InboxSummary>> {
    let mut all: Vec<InboxSummary> = app
        .inbox
        .lock()
        .iter()
        .map(|(name, l)| InboxSummary {
            name: name.clone(),
            count: l.len(),
        })
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Json(all)
}
