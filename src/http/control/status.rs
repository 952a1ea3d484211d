//! Health, readiness and what the mock holds (`/_mock/health`, `/_mock/stats`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::ControlError;
use crate::runtime::app::AppState;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Always `ok` when the server answers: it serves only once ready.
    pub status: &'static str,
    pub version: &'static str,
    pub uptime_secs: u64,
    pub verifications: usize,
    pub webhooks_pending: usize,
    /// The mock shuts down when its standard input closes
    /// (`IDENFY_MOCK_EXIT_WITH_PARENT=1`, set by the test helpers).
    pub exit_with_parent: bool,
}

/// Health and readiness; usable as a container health check.
#[utoipa::path(get, path = "/_mock/health", tag = "control",
    responses((status = 200, description = "ready", body = Health)))]
pub async fn health(State(app): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        uptime_secs: app.uptime().as_secs(),
        verifications: app.store().len(),
        webhooks_pending: app.webhooks().pending(),
        exit_with_parent: app.config().exit_with_parent,
    })
}

/// The CA certificate the HTTPS listener's certificate chains to, to trust
/// in an app (public, like any CA certificate; its key is never served).
#[utoipa::path(get, path = "/_mock/ca.pem", tag = "control",
    responses((status = 200, description = "the CA certificate (PEM)", content_type = "application/x-pem-file", body = String),
        (status = 404, description = "no HTTPS listener", body = ControlError)))]
pub async fn ca_pem(State(app): State<AppState>) -> Response {
    match &app.listening().ca_pem {
        Some(pem) => (
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            pem.clone(),
        )
            .into_response(),
        None => ControlError::not_found(
            "no HTTPS listener: start the mock with --tls-listen or --drop-in",
        )
        .into_response(),
    }
}

/// What the mock holds and its bounds: to see memory stay bounded in a long
/// CI run, or to assert on eviction in a test.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub verifications: crate::runtime::store::StoreStats,
    pub webhooks: WebhookStats,
    pub inbox: InboxStats,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStats {
    /// Journal entries kept, and their size in bytes.
    pub journaled: usize,
    pub bytes: usize,
    /// Settled entries the journal let go to stay within its bounds.
    pub dropped: u64,
    /// Queued, held back by a `reorder` fault, or in flight.
    pub pending: usize,
    /// Of those, held back by a `reorder` fault.
    pub held: usize,
    /// Requests waiting for room in the delivery queue
    /// (`webhooks.max_pending`, `webhooks.max_pending_per_target`), at most
    /// `webhooks.enqueue_wait_ms` each before they answer 429.
    pub waiting: usize,
    /// Open long-polls (`/_mock/webhooks/wait`, at most `webhooks.max_waiters`).
    pub waiters: usize,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxStats {
    /// Bytes held over all inboxes, and at most.
    pub bytes: usize,
    pub max_bytes: usize,
}

/// Counts and sizes of what is stored, with their bounds.
#[utoipa::path(get, path = "/_mock/stats", tag = "control",
    responses((status = 200, body = Stats)))]
pub async fn stats(State(app): State<AppState>) -> Json<Stats> {
    Json(Stats {
        verifications: app.store().stats(),
        webhooks: WebhookStats {
            journaled: app.webhooks().journal().len(),
            bytes: app.webhooks().journal().bytes(),
            dropped: app.webhooks().journal().dropped(),
            pending: app.webhooks().pending(),
            held: app.webhooks().held(),
            waiting: app.webhooks().waiting(),
            waiters: app.webhooks().journal().waiter_count(),
        },
        inbox: InboxStats {
            bytes: app.inbox().bytes(),
            max_bytes: crate::runtime::inbox::TOTAL_BYTES,
        },
    })
}
