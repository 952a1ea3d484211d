//! `GET /_mock/`: verifications, webhooks and the inbox at a glance, in the
//! spirit of Mailpit. One page: its inline script (allowed by hash in the
//! page's own Content-Security-Policy) polls [`data`] every two seconds and
//! patches the DOM in place, so rows the user opened stay open. Filters live
//! in the URL query, so a filtered view can be linked. Every piece of data is
//! set with `textContent`; the page renders no request data server-side.
//!
//! The buttons call the JSON control API with the `X-Idenfy-Mock` header (a
//! plain cross-site form post to the control API is refused).

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::extract::CQuery;
use super::ControlError;
use crate::domain::status::{EventType, Overall};
use crate::runtime::app::{App, AppState};
use crate::runtime::inbox::{InboxMessage, InboxSummary};
use crate::runtime::webhook::journal::{DeliveryState, WebhookRecord};
use crate::runtime::webhook::sign;

mod page;
pub use page::page;

/// Rows sent per list, newest first.
pub const ROWS: usize = 100;

/// The dashboard's filters (`GET /_mock/dashboard/data` and the page's URL).
/// `scanRef`, `clientId`: contained, ignoring ASCII case; the rest exact.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DataQuery {
    scan_ref: Option<String>,
    client_id: Option<String>,
    /// A verification's overall status.
    status: Option<String>,
    /// A webhook's (and an inbox message's) event type.
    event: Option<String>,
    /// A webhook's delivery state.
    state: Option<String>,
    /// One inbox by name (all when absent).
    inbox: Option<String>,
}

/// A list as the dashboard shows it: the newest [`ROWS`] matches.
#[derive(Serialize)]
pub struct Listing<T> {
    /// Everything there is, filtered or not.
    pub total: usize,
    /// What the filters accept.
    pub matched: usize,
    /// The newest matches, newest first, at most [`ROWS`].
    pub items: Vec<T>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationRow {
    pub scan_ref: Arc<str>,
    pub client_id: String,
    pub partner: String,
    pub status: &'static str,
    pub created_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    /// When it expires if nothing happens (ACTIVE only).
    pub expires_at_ms: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRow {
    /// As `GET /_mock/webhooks/{id}` has it: the body is the exact text sent.
    #[serde(flatten)]
    pub record: WebhookRecord,
    /// The verification's clientId, while it is stored.
    pub client_id: Option<String>,
    /// `valid` (its partner's signing key verifies it), `invalid`, `missing`.
    pub signature: &'static str,
}

#[derive(Serialize)]
pub struct InboxRow {
    pub inbox: String,
    #[serde(flatten)]
    pub message: InboxMessage,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardData {
    /// The mock's clock (Unix ms): relative times are counted from it.
    pub now_ms: i64,
    pub verifications: Listing<VerificationRow>,
    pub webhooks: Listing<WebhookRow>,
    /// Settled webhooks the journal dropped to stay within its caps.
    pub webhooks_dropped: u64,
    pub inboxes: Vec<InboxSummary>,
    pub inbox: Listing<InboxRow>,
}

/// Whether `hay` contains `needle` (already ASCII-lowercased), ignoring
/// ASCII case.
fn contains_ci(hay: &str, needle: &str) -> bool {
    needle.is_empty()
        || hay
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A filter value: trimmed, absent when empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parsed<T>(
    field: &str,
    v: &Option<String>,
    parse: fn(&str) -> Option<T>,
    list: String,
) -> Result<Option<T>, ControlError> {
    match given(v) {
        None => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .ok_or_else(|| ControlError::bad_request(format!("{field} must be one of: {list}"))),
    }
}

/// The dashboard's data: newest first, at most [`ROWS`] of each list,
/// filtered as [`DataQuery`] says. Under the admin token like the rest.
pub async fn data(
    State(app): State<AppState>,
    CQuery(q): CQuery<DataQuery>,
) -> Result<Json<DashboardData>, ControlError> {
    let status = parsed("status", &q.status, Overall::parse, Overall::list())?;
    let event = parsed("event", &q.event, EventType::parse, EventType::list())?;
    let state = parsed(
        "state",
        &q.state,
        DeliveryState::parse,
        DeliveryState::list(),
    )?;
    let scan_ref = given(&q.scan_ref).map(str::to_ascii_lowercase);
    let client_id = given(&q.client_id).map(str::to_ascii_lowercase);
    let inbox = given(&q.inbox);
    let scan_ref_ok = |s: &str| scan_ref.as_deref().is_none_or(|n| contains_ci(s, n));
    let client_ok = |c: &str| client_id.as_deref().is_none_or(|n| contains_ci(c, n));

    let verifications = {
        let keep = |v: &crate::domain::verification::Verification| {
            scan_ref_ok(&v.scan_ref)
                && client_ok(&v.request.client_id)
                && status.is_none_or(|s| s == v.status)
        };
        // Count first, then map only the newest page (the store is oldest first).
        let (matched, _) = app.store().page(0, 0, keep, |_| ());
        let (_, mut items) = app
            .store()
            .page(matched.saturating_sub(ROWS), ROWS, keep, |v| {
                VerificationRow {
                    scan_ref: v.scan_ref.clone(),
                    client_id: v.request.client_id.clone(),
                    partner: app.partners().get(v.partner).key().to_owned(),
                    status: v.status.as_str(),
                    created_at_ms: v.created_at.saturating_mul(1000),
                    finished_at_ms: v.finished_at.map(|t| t.saturating_mul(1000)),
                    expires_at_ms: (v.status == Overall::Active)
                        .then(|| v.deadline().saturating_mul(1000)),
                }
            });
        items.reverse();
        Listing {
            total: app.store().len(),
            matched,
            items,
        }
    };

    let webhooks = {
        // Webhooks carry no clientId: take the scanRefs of the matching
        // verifications (before the journal's lock, never under it).
        let clients: Option<HashSet<Arc<str>>> = client_id.as_ref().map(|_| {
            let mut set = HashSet::new();
            app.store().for_each(|v| {
                if client_ok(&v.request.client_id) {
                    set.insert(v.scan_ref.clone());
                }
            });
            set
        });
        let (matched, records) = app.webhooks().journal().newest(ROWS, |r| {
            scan_ref_ok(&r.scan_ref)
                && clients
                    .as_ref()
                    .is_none_or(|c| c.contains(r.scan_ref.as_str()))
                && event.is_none_or(|e| e == r.event)
                && state.is_none_or(|s| s == r.state)
        });
        let items = records
            .into_iter()
            .map(|record| WebhookRow {
                client_id: app
                    .store()
                    .read_any(&record.scan_ref, |v| v.request.client_id.clone()),
                signature: signature_state(&app, &record),
                record,
            })
            .collect();
        Listing {
            total: app.webhooks().journal().len(),
            matched,
            items,
        }
    };

    let inbox_listing = {
        let (matched, items) = app.inbox().newest(inbox, ROWS, |_, m| {
            scan_ref_ok(m.scan_ref.as_deref().unwrap_or_default())
                && client_ok(m.client_id.as_deref().unwrap_or_default())
                && event.is_none_or(|e| m.event.as_deref() == Some(e.as_str()))
        });
        let inboxes = app.inbox().summaries();
        Listing {
            total: inboxes.iter().map(|b| b.count).sum(),
            matched,
            items: items
                .into_iter()
                .map(|(inbox, message)| InboxRow { inbox, message })
                .collect(),
        }
    };

    Ok(Json(DashboardData {
        now_ms: app.clock().now_ms(),
        verifications,
        webhooks,
        webhooks_dropped: app.webhooks().journal().dropped(),
        inboxes: app.inbox().summaries(),
        inbox: inbox_listing,
    }))
}

fn signature_state(app: &App, r: &WebhookRecord) -> &'static str {
    let Some(sig) = r.header("Idenfy-Signature") else {
        return "missing";
    };
    // Signed with the subscription's key when it went to one, else the partner's.
    let key = app
        .partners()
        .by_key(&r.partner)
        .map(|id| &app.partners().get(id).config)
        .and_then(
            |p| match r.subscription.and_then(|i| p.subscriptions.get(i)) {
                Some(sub) if sub.signing_key.is_some() => sub.signing_key.clone(),
                _ => p.signing_key.clone(),
            },
        )
        .unwrap_or_default();
    if !key.is_empty() && sign::verify(key.as_bytes(), &r.body, sig) {
        "valid"
    } else {
        "invalid"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_ci_ignores_ascii_case() {
        assert!(contains_ci("AbC-123", "bc-1"));
        assert!(contains_ci("anything", ""));
        assert!(!contains_ci("ab", "abc"));
    }
}
