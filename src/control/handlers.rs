//! The control API's JSON endpoints. Each is annotated for the generated
//! OpenAPI document (`/_mock/openapi/control.json`).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{CJson, CPath, CQuery};
use super::ControlError;
use crate::app::{App, AppState};
use crate::domain::outcome::{Outcome, OutcomeKind};
use crate::domain::status::{
    DocumentResult, DummyStatus, EventType, FaceResult, FraudTag, MismatchTag, Overall,
};
use crate::domain::verification::Verification;
use crate::faults::{Fault, FaultAction, FaultSpec, FaultTarget};
use crate::lifecycle::{self, StepError};
pub use crate::snapshot::VerificationView;
use crate::snapshot::{self, Restored, Snapshot};
use crate::ui::FinishAnswer;
use crate::webhook::journal::{DeliveryState, Filter, WaitError, WebhookRecord};

type Result<T> = std::result::Result<T, ControlError>;

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub items: Vec<T>,
}

/// A page's size: 1..=1000, default 50.
fn page_limit(limit: Option<usize>) -> usize {
    limit.unwrap_or(50).clamp(1, 1000)
}

fn page<T>(all: Vec<T>, offset: Option<usize>, limit: Option<usize>) -> Page<T> {
    let offset = offset.unwrap_or(0);
    let limit = page_limit(limit);
    let total = all.len();
    Page {
        total,
        offset,
        limit,
        items: all.into_iter().skip(offset).take(limit).collect(),
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Always `ok` when the server answers: it serves only once ready.
    pub status: &'static str,
    pub version: &'static str,
    pub uptime_secs: u64,
    pub verifications: usize,
    pub webhooks_pending: usize,
}

/// Health and readiness; usable as a container health check.
#[utoipa::path(get, path = "/_mock/health", tag = "control",
    responses((status = 200, description = "ready", body = Health)))]
pub async fn health(State(app): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        uptime_secs: app.started.elapsed().as_secs(),
        verifications: app.store.len(),
        webhooks_pending: app.webhooks.engine.pending(),
    })
}

/// What the mock holds and its bounds: to see memory stay bounded in a long
/// CI run, or to assert on eviction in a test.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub verifications: crate::store::StoreStats,
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
    /// Queued or in flight.
    pub pending: usize,
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
        verifications: app.store.stats(),
        webhooks: WebhookStats {
            journaled: app.webhooks.journal.len(),
            bytes: app.webhooks.journal.bytes(),
            dropped: app.webhooks.journal.dropped(),
            pending: app.webhooks.engine.pending(),
            waiters: app.webhooks.journal.waiter_count(),
        },
        inbox: InboxStats {
            bytes: app.inbox.bytes(),
            max_bytes: crate::inbox::TOTAL_BYTES,
        },
    })
}

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
            Some(key) => Some(app.partners.by_key(key).ok_or_else(|| {
                ControlError::bad_request(format!("no partner has API key '{key}'"))
            })?),
        };
    // Only the page's items are copied; the rest are only counted.
    let offset = q.offset.unwrap_or(0);
    let limit = page_limit(q.limit);
    let (total, items) = app.store.page(
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
        .store
        .read_any(&scan_ref, |v| VerificationView::of(&app, v))
        .ok_or_else(|| scan_ref_unknown(&scan_ref))?;
    let webhooks = app.webhooks.journal.list(&Filter {
        scan_ref: Some(scan_ref),
        ..Filter::default()
    });
    Ok(Json(VerificationDetail { view, webhooks }))
}

/// How to finish a session, as the verification page would.
#[derive(Deserialize, ToSchema)]
pub struct FinishRequest {
    /// `approve`, `deny`, `suspect` or `unverified`.
    pub outcome: String,
    /// For `deny`: the face result (default FACE_MISMATCH).
    pub face: Option<String>,
    /// For `deny`: the document result (default DOC_VALIDATED).
    pub document: Option<String>,
    /// For `suspect`: a fraud or mismatch tag (default NAME).
    pub tag: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FinishResponse {
    #[serde(flatten)]
    pub answer: FinishAnswer,
    pub verification: VerificationView,
}

/// Finishes an ACTIVE verification with any outcome, exactly as the
/// verification page does (the webhook goes out; this does not wait for it).
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
    let v = finish_by_scan_ref(&app, &scan_ref, outcome)?;
    Ok(Json(FinishResponse {
        answer: FinishAnswer::of(&v),
        verification: VerificationView::of(&app, &v),
    }))
}

/// Finishes the session of `scan_ref` (the control API and the dashboard).
pub fn finish_by_scan_ref(app: &App, scan_ref: &str, outcome: Outcome) -> Result<Verification> {
    let token = app
        .store
        .read_any(scan_ref, |v| v.auth_token.clone())
        .ok_or_else(|| scan_ref_unknown(scan_ref))?;
    lifecycle::finish_session(app, &token, outcome)
        .map(|(v, _)| v)
        .map_err(|e| match e {
            StepError::AlreadyFinished => ControlError::new(
                StatusCode::CONFLICT,
                format!("verification '{scan_ref}' already has a result"),
            ),
            StepError::Expired => ControlError::new(
                StatusCode::CONFLICT,
                format!("verification '{scan_ref}' has expired"),
            ),
            _ => scan_ref_unknown(scan_ref),
        })
}

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
    let all = app.webhooks.journal.list(&q.filter()?);
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
    app.webhooks
        .journal
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

/// One journal entry: exact body, headers and every attempt.
#[utoipa::path(get, path = "/_mock/webhooks/{id}", tag = "control", params(("id" = u64, Path, minimum = 1)),
    responses((status = 200, body = WebhookRecord), (status = 400, description = "not an id", body = ControlError),
        (status = 404, body = ControlError)))]
pub async fn get_webhook(
    State(app): State<AppState>,
    CPath(id): CPath<u64>,
) -> Result<Json<WebhookRecord>> {
    app.webhooks
        .journal
        .get(id)
        .map(Json)
        .ok_or_else(|| ControlError::not_found(format!("no webhook with id {id}")))
}

#[derive(Serialize, ToSchema)]
pub struct Replayed {
    /// The new journal entry.
    pub id: u64,
}

/// Sends a journaled webhook again (same target, headers and bytes) as a new entry.
#[utoipa::path(post, path = "/_mock/webhooks/{id}/replay", tag = "control", params(("id" = u64, Path, minimum = 1)),
    responses((status = 201, body = Replayed), (status = 400, description = "not an id", body = ControlError),
        (status = 404, body = ControlError)))]
pub async fn replay_webhook(
    State(app): State<AppState>,
    CPath(id): CPath<u64>,
) -> Result<Response> {
    let new_id = app
        .webhooks
        .replay(id)
        .ok_or_else(|| ControlError::not_found(format!("no webhook with id {id}")))?;
    Ok((StatusCode::CREATED, Json(Replayed { id: new_id })).into_response())
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClockView {
    /// Unix seconds, as the mock sees them.
    pub now: i64,
    pub now_ms: i64,
    /// Mock time minus real time.
    pub offset_ms: i64,
}

fn clock_view(app: &App) -> Json<ClockView> {
    let now_ms = app.clock.now_ms();
    Json(ClockView {
        now: now_ms.div_euclid(1000),
        now_ms,
        offset_ms: app.clock.offset_ms(),
    })
}

/// The mock's time.
#[utoipa::path(get, path = "/_mock/clock", tag = "control", responses((status = 200, body = ClockView)))]
pub async fn get_clock(State(app): State<AppState>) -> Json<ClockView> {
    clock_view(&app)
}

#[derive(Deserialize, ToSchema)]
pub struct Advance {
    /// Seconds to move forward (negative moves back).
    pub seconds: i64,
}

/// Moves the mock's time; due expiries and purges happen at once.
#[utoipa::path(post, path = "/_mock/clock/advance", tag = "control", request_body = Advance,
    responses((status = 200, body = ClockView), (status = 400, body = ControlError)))]
pub async fn advance_clock(
    State(app): State<AppState>,
    CJson(a): CJson<Advance>,
) -> Result<Json<ClockView>> {
    if !app.clock.try_advance_secs(a.seconds) {
        return Err(ControlError::bad_request(format!(
            "seconds: {} would move the clock outside 1970-01-01 to 3000-01-01 \
(Unix seconds {} to {})",
            a.seconds,
            crate::clock::MIN_SECS,
            crate::clock::MAX_SECS
        )));
    }
    Ok(clock_view(&app))
}

#[derive(Deserialize, ToSchema)]
pub struct SetClock {
    /// Unix seconds.
    pub now: i64,
}

/// Sets the mock's time.
#[utoipa::path(post, path = "/_mock/clock/set", tag = "control", request_body = SetClock,
    responses((status = 200, body = ClockView), (status = 400, body = ControlError)))]
pub async fn set_clock(
    State(app): State<AppState>,
    CJson(s): CJson<SetClock>,
) -> Result<Json<ClockView>> {
    if !crate::clock::in_range(s.now) {
        return Err(ControlError::bad_request(format!(
            "now must be Unix seconds from {} (1970-01-01) to {} (3000-01-01)",
            crate::clock::MIN_SECS,
            crate::clock::MAX_SECS
        )));
    }
    app.clock.set_secs(s.now);
    Ok(clock_view(&app))
}

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
    match req.partner {
        None => {
            let removed = lifecycle::forget(&app, None);
            app.faults.clear();
            app.inbox.clear_all();
            app.clock.set_offset_ms(0);
            for (_, p) in app.partners.iter() {
                p.reset_usage();
            }
            Ok(Json(ResetDone {
                scope: "all".into(),
                removed_verifications: removed,
            }))
        }
        Some(key) => {
            let id = app.partners.by_key(&key).ok_or_else(|| {
                ControlError::bad_request(format!("no partner has API key '{key}'"))
            })?;
            let removed = lifecycle::forget(&app, Some(id));
            app.partners.get(id).reset_usage();
            Ok(Json(ResetDone {
                scope: key,
                removed_verifications: removed,
            }))
        }
    }
}

/// Registered faults with how often they fired.
#[utoipa::path(get, path = "/_mock/faults", tag = "control", responses((status = 200, body = Vec<Fault>)))]
pub async fn list_faults(State(app): State<AppState>) -> Json<Vec<Fault>> {
    Json(app.faults.list())
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
        if app.partners.by_key(key).is_none() {
            return Err(ControlError::bad_request(format!(
                "no partner has API key '{key}'"
            )));
        }
    }
    let fault = app.faults.add(spec).map_err(ControlError::bad_request)?;
    Ok((StatusCode::CREATED, Json(fault)).into_response())
}

/// Removes every fault.
#[utoipa::path(delete, path = "/_mock/faults", tag = "control", responses((status = 204)))]
pub async fn clear_faults(State(app): State<AppState>) -> StatusCode {
    app.faults.clear();
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
    if app.faults.remove(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ControlError::not_found(format!("no fault with id {id}")))
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DummyScenario {
    pub dummy_status: DummyStatus,
    pub overall: Overall,
    pub auto_face: Option<FaceResult>,
    pub auto_document: Option<DocumentResult>,
    pub fraud_tags: Vec<crate::domain::status::FraudTagValue>,
    pub mismatch_tags: Vec<crate::domain::status::MismatchTagValue>,
    /// The webhook it sends, if any.
    pub event: Option<EventType>,
    #[serde(rename = "final")]
    pub is_final: Option<bool>,
}

/// What the mock can produce.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Scenarios {
    pub dummy_statuses: Vec<DummyScenario>,
    pub manual_face_results: Vec<FaceResult>,
    pub manual_document_results: Vec<DocumentResult>,
    pub page_outcomes: Vec<OutcomeKind>,
    pub events: Vec<EventType>,
    pub overall_statuses: Vec<Overall>,
    pub fraud_tags: Vec<FraudTag>,
    pub mismatch_tags: Vec<MismatchTag>,
    pub api_fault_actions: Vec<&'static str>,
    pub webhook_fault_actions: Vec<&'static str>,
}

/// A machine-readable list of what the mock can produce.
#[utoipa::path(get, path = "/_mock/scenarios", tag = "control", responses((status = 200, body = Scenarios)))]
pub async fn scenarios(State(app): State<AppState>) -> Json<Scenarios> {
    // The first partner's review defaults decide whether a result is final.
    let review = crate::lifecycle::review_policy(&app, 0, None);
    let dummy_statuses = DummyStatus::ALL
        .iter()
        .map(|&s| {
            let canned = app.config.dummy.results.get(&s);
            let (overall, event, is_final) = match s {
                DummyStatus::Active => (Overall::Active, None, None),
                DummyStatus::Expired => (Overall::Expired, Some(EventType::Expired), Some(true)),
                other => {
                    let overall = other.finished_overall().unwrap_or(Overall::Denied);
                    (
                        overall,
                        Some(EventType::AutoFinished),
                        Some(!review.reviews(overall)),
                    )
                }
            };
            DummyScenario {
                dummy_status: s,
                overall,
                auto_face: canned.map(|c| c.auto_face),
                auto_document: canned.map(|c| c.auto_document),
                fraud_tags: canned.map(|c| c.fraud_tags.clone()).unwrap_or_default(),
                mismatch_tags: canned.map(|c| c.mismatch_tags.clone()).unwrap_or_default(),
                event,
                is_final,
            }
        })
        .collect();
    Json(Scenarios {
        dummy_statuses,
        manual_face_results: FaceResult::ALL.to_vec(),
        manual_document_results: DocumentResult::ALL.to_vec(),
        page_outcomes: OutcomeKind::ALL.to_vec(),
        events: EventType::ALL.to_vec(),
        overall_statuses: Overall::ALL.to_vec(),
        fraud_tags: FraudTag::ALL.to_vec(),
        mismatch_tags: MismatchTag::ALL.to_vec(),
        api_fault_actions: FaultAction::names_for(FaultTarget::Api),
        webhook_fault_actions: FaultAction::names_for(FaultTarget::Webhook),
    })
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
