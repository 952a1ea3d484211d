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
use serde::Serialize;

use super::extract::CQuery;
use super::ControlError;
use crate::domain::status::Overall;
use crate::domain::verification::Verification;
use crate::runtime::app::{App, AppState};
use crate::runtime::inbox::{view_bytes, InboxSummary, MessageView};
use crate::runtime::webhook::journal::WebhookRecord;
use crate::runtime::webhook::sign;

mod filters;
mod page;

use filters::{DataQuery, Filters};
pub use page::page;

/// Rows sent per list, newest first.
pub const ROWS: usize = 100;

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
    pub message: MessageView,
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

/// The dashboard's data: newest first, at most [`ROWS`] of each list,
/// filtered as [`DataQuery`] says. Under the admin token like the rest.
pub async fn data(
    State(app): State<AppState>,
    CQuery(q): CQuery<DataQuery>,
) -> Result<Json<DashboardData>, ControlError> {
    let filters = Filters::parse(&q)?;
    let verifications = {
        let keep = |v: &Verification| filters.verification(v);
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
        let clients = filters.by_client_id().then(|| {
            let mut set = HashSet::new();
            app.store().for_each(|v| {
                if filters.client(&v.request.client_id) {
                    set.insert(v.scan_ref.clone());
                }
            });
            set
        });
        let (matched, records) = app
            .webhooks()
            .journal()
            .newest(ROWS, |r| filters.webhook(r, clients.as_ref()));
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
        let (matched, items) = app
            .inbox()
            .newest(filters.inbox(), ROWS, |_, m| filters.message(m));
        let inboxes = app.inbox().summaries();
        // Shown as an inbox read shows them, within one read's bytes.
        let c = &app.config().control;
        let mut used = 0;
        let mut rows = Vec::new();
        for (inbox, m) in items {
            let message = m.view(c.inbox_read_message_bytes);
            used += view_bytes(&message);
            if !rows.is_empty() && used > c.inbox_read_bytes {
                break;
            }
            rows.push(InboxRow { inbox, message });
        }
        Listing {
            total: inboxes.iter().map(|b| b.count).sum(),
            matched,
            items: rows,
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
