//! `/_mock/webhooks`: the journal, waiting for a webhook, replay.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ControlError, Result};
use super::extract::{CPath, CQuery};
use super::paging::{page, Page};
use crate::domain::status::EventType;
use crate::runtime::app::AppState;
use crate::runtime::webhook::journal::{DeliveryState, Filter, WaitError, WebhookRecord};

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct WebhookQuery {
    pub scan_ref: Option<String>,
    /// e.g. `IDENTIFICATION_AUTO_FINISHED`
    pub event: Option<String>,
    /// `pending`, `delivered`, `failed`, `undeliverable`, `dropped`, `not_subscribed`, or
    /// `any`. For `wait` the default is any settled state (all but
    /// `pending`), and `any` includes `pending`.
    pub state: Option<String>,
    pub offset: Option<usize>,
    /// 1..=1000, default 50.
    pub limit: Option<usize>,
    /// For `wait`: how long to wait, 0..=60000 ms (default 10000).
    #[param(minimum = 0, maximum = 60000)]
    pub timeout_ms: Option<u64>,
}

impl WebhookQuery {
    fn filter(&self) -> Result<Filter> {
        let event = match self.event.as_deref() {
            None => None,
            Some(e) => Some(EventType::parse(e).ok_or_else(|| {
                ControlError::bad_request(format!("event must be one of: {}", EventType::list()))
            })?),
        };
        let state = match self.state.as_deref() {
            None | Some("any") => None,
            Some(s) => Some(DeliveryState::parse(s).ok_or_else(|| {
                ControlError::bad_request(format!(
                    "state must be one of: {}, any",
                    DeliveryState::list()
                ))
            })?),
        };
        Ok(Filter {
            scan_ref: self.scan_ref.clone(),
            event,
            state,
            settled: false,
        })
    }
}

/// The webhook journal, oldest first, filtered and paged.
#[utoipa::path(get, path = "/_mock/webhooks", tag = "control", params(WebhookQuery),
    responses((status = 200, body = Page<WebhookRecord>), (status = 400, body = ControlError)))]
pub async fn list_webhooks(
    State(app): State<AppState>,
    CQuery(q): CQuery<WebhookQuery>,
) -> Result<Json<Page<WebhookRecord>>> {
    let all = app.webhooks().journal().list(&q.filter()?);
    Ok(Json(page(all, q.offset, q.limit)))
}

/// Long-poll: answers as soon as a matching webhook exists (by default: one
/// that has settled, i.e. was delivered, failed, was undeliverable or
/// dropped), or 408 after `timeoutMs`; 503 when `max_waiters`
/// waits are already open, or at once when the server shuts down.
#[utoipa::path(get, path = "/_mock/webhooks/wait", tag = "control", params(WebhookQuery),
    responses((status = 200, body = WebhookRecord), (status = 400, body = ControlError),
        (status = 408, description = "nothing matched in time", body = ControlError),
        (status = 503, description = "too many open waits (`webhooks.max_waiters`), or the server is shutting down", body = ControlError)))]
pub async fn wait_webhook(
    State(app): State<AppState>,
    CQuery(q): CQuery<WebhookQuery>,
) -> Result<Json<WebhookRecord>> {
    let filter = match q.state.as_deref() {
        Some("any") => q.filter()?,
        _ => q.filter()?.for_wait(),
    };
    let timeout = q.timeout_ms.unwrap_or(10_000);
    if timeout > 60_000 {
        return Err(ControlError::bad_request("timeoutMs must be at most 60000"));
    }
    app.webhooks()
        .journal()
        .wait_for(&filter, Duration::from_millis(timeout))
        .await
        .map(Json)
        .map_err(|e| match e {
            WaitError::TimedOut => ControlError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!("no matching webhook within {timeout} ms"),
            ),
            WaitError::Closed | WaitError::TooManyWaiters { .. } => {
                ControlError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
        })
}

/// The answer for a journal id nothing has (the control API and the dashboard).
pub fn webhook_unknown(id: u64) -> ControlError {
    ControlError::not_found(format!("no webhook with id {id}"))
}

/// One journal entry: exact body, headers and every attempt.
#[utoipa::path(get, path = "/_mock/webhooks/{id}", tag = "control", params(("id" = u64, Path, minimum = 1)),
    responses((status = 200, body = WebhookRecord), (status = 400, description = "not an id", body = ControlError),
        (status = 404, body = ControlError)))]
pub async fn get_webhook(
    State(app): State<AppState>,
    CPath(id): CPath<u64>,
) -> Result<Json<WebhookRecord>> {
    app.webhooks()
        .journal()
        .get(id)
        .map(Json)
        .ok_or_else(|| webhook_unknown(id))
}

#[derive(Serialize, ToSchema)]
pub struct Replayed {
    /// The new journal entry.
    pub id: u64,
}

/// Sends a journaled webhook again (same target, headers and bytes) as a new entry.
#[utoipa::path(post, path = "/_mock/webhooks/{id}/replay", tag = "control", params(("id" = u64, Path, minimum = 1)),
    responses((status = 201, body = Replayed), (status = 400, description = "not an id", body = ControlError),
        (status = 404, body = ControlError), (status = 429, description = "the webhook queue stayed full", body = ControlError)))]
pub async fn replay_webhook(
    State(app): State<AppState>,
    CPath(id): CPath<u64>,
) -> Result<Response> {
    let wait = std::time::Duration::from_millis(app.config().webhooks.enqueue_wait_ms);
    let new_id = app
        .webhooks()
        .replay(id, wait)
        .await
        .map_err(|_| super::error::busy())?
        .ok_or_else(|| webhook_unknown(id))?;
    Ok((StatusCode::CREATED, Json(Replayed { id: new_id })).into_response())
}
