//! Result webhooks: what is sent (payload, signature), where, and the record of
//! it (journal). `lifecycle` makes a webhook ([`plan::plan`]: bodies and
//! signatures, with the injected faults it took) and commits it with
//! [`Webhooks::commit`], which journals and queues it; nobody else knows of
//! delivery.

pub mod delivery;
pub mod journal;
pub mod plan;
mod route;
pub mod sign;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::config::PartnerConfig;
use crate::domain::escape::escape_for_log;
use crate::domain::status::EventType;
use crate::runtime::clock::Clock;
use crate::runtime::sync::{Guard, Ordered, Rank};
use delivery::{Engine, Job};
use journal::{DeliveryState, Journal, WebhookRecord};
use plan::Signed;
pub use plan::{Planned, REDACTED};
use route::extra_headers;
pub use route::{routes, Route};

/// A webhook about to be produced.
pub struct Outgoing {
    pub scan_ref: String,
    pub partner_key: String,
    pub event: EventType,
    pub is_final: bool,
    /// Where copies of it go, one each (see [`routes`]); empty: nobody
    /// subscribed to the event, so it is journaled `not_subscribed`.
    pub routes: Vec<Route>,
    pub body: Vec<u8>,
    /// The same result marked `final: false`, made only when a
    /// `non_final_first` fault sends such a copy first.
    pub body_not_final: Option<Vec<u8>>,
    /// Wait before the first attempt.
    pub delay: Duration,
}

/// The journal and the delivery engine, and what commits a webhook to both.
pub struct Webhooks {
    journal: Arc<Journal>,
    engine: Engine,
    clock: Arc<Clock>,
    /// Webhooks held back by a `reorder` fault, by scanRef, until that
    /// verification's next webhook has been queued.
    held: Ordered<HashMap<String, Vec<Job>>>,
    /// Each partner's (by API key) subscriptions' extra headers, to send a
    /// replayed or restored record with the values its journal entry hides.
    extra_headers: HashMap<String, Vec<Vec<(String, String)>>>,
}

impl Webhooks {
    /// `partners`' subscriptions' extra headers are kept to send a replayed
    /// or restored record with the values its journal entry hides.
    pub fn new(
        journal: Arc<Journal>,
        engine: Engine,
        clock: Arc<Clock>,
        partners: &[PartnerConfig],
    ) -> Webhooks {
        Webhooks {
            journal,
            engine,
            clock,
            held: Ordered::new(Rank::Held, HashMap::new()),
            extra_headers: partners
                .iter()
                .filter(|p| !p.subscriptions.is_empty())
                .map(|p| {
                    let subs = p.subscriptions.iter().map(extra_headers).collect();
                    (p.api_key.clone(), subs)
                })
                .collect(),
        }
    }

    /// What was produced, and what became of it.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Webhooks queued or being attempted.
    pub fn pending(&self) -> usize {
        self.engine.pending()
    }

    /// Keeps delivering until nothing is pending or `grace` passes; returns
    /// how many were still pending.
    pub async fn drain(&self, grace: Duration) -> usize {
        self.engine.drain(grace).await
    }

    /// Journals the planned webhook's copies and queues them; returns the
    /// journal id of the webhook itself (of its first copy when several
    /// subscriptions receive it). Call it while the verification is locked
    /// (inside the store's `insert` or `update`): that fixes its place in the
    /// verification's order.
    pub fn commit(&self, p: Planned) -> u64 {
        let out = &p.out;
        let mut first = None;
        if p.copies.is_empty() {
            let unsent = Signed::new(out.body.clone(), out.is_final, out.event, None, &[]);
            let (id, _) = self.record(&p, None, &unsent, None, DeliveryState::NotSubscribed);
            first = Some(id);
            tracing::debug!(scan_ref = %escape_for_log(&out.scan_ref), event = out.event.as_str(),
                "webhook not sent: no subscription of the partner lists this event");
        }
        for copy in &p.copies {
            let route = Some(&copy.route);
            let initial = DeliveryState::initial(copy.route.target.as_deref());
            let mut queue = Vec::new();
            if let Some(early) = &copy.early {
                queue.extend(self.record(&p, route, early, None, initial).1);
            }
            let (id, main) = self.record(&p, route, &copy.main, None, initial);
            first.get_or_insert(id);
            if p.drop {
                self.journal.settle(id, DeliveryState::Dropped);
            } else if p.reorder {
                if let Some(job) = main {
                    self.lock_held()
                        .entry(out.scan_ref.clone())
                        .or_default()
                        .push(job);
                }
            } else {
                queue.extend(main);
            }
            if p.duplicate && !p.drop {
                queue.extend(self.record(&p, route, &copy.main, Some(id), initial).1);
            }
            for job in queue {
                self.engine.enqueue(job);
            }
            if copy.route.target.is_none() {
                tracing::info!(scan_ref = %escape_for_log(&out.scan_ref), event = out.event.as_str(),
                    "webhook recorded as undeliverable: no callbackUrl, subscription url, partner webhook_url or [webhooks].url");
            }
        }
        if !p.reorder {
            let held = self.lock_held().remove(&out.scan_ref);
            for job in held.into_iter().flatten() {
                self.engine.enqueue(job);
            }
        }
        // There is always a record: a copy per route, or the unsent one.
        first.unwrap_or_default()
    }

    fn lock_held(&self) -> Guard<'_, HashMap<String, Vec<Job>>> {
        self.held.lock()
    }

    /// Journals one copy; returns its id and the job that delivers it
    /// (none without a target).
    fn record(
        &self,
        p: &Planned,
        route: Option<&Route>,
        signed: &Signed,
        copy_of: Option<u64>,
        state: DeliveryState,
    ) -> (u64, Option<Job>) {
        let target = route.and_then(|r| r.target.clone());
        let id = self.journal.push(WebhookRecord {
            id: 0,
            scan_ref: p.out.scan_ref.clone(),
            partner: p.out.partner_key.clone(),
            event: p.out.event,
            is_final: signed.is_final,
            target: target.clone(),
            headers: signed.shown.clone(),
            body: signed.body.clone(),
            state,
            attempts: Vec::new(),
            created_at_ms: self.clock.now_ms(),
            copy_of,
            subscription: route.and_then(|r| r.subscription),
        });
        let job = target.map(|target| Job {
            journal_id: id,
            scan_ref: p.out.scan_ref.clone(),
            target,
            headers: signed.headers.clone(),
            body: signed.body.clone(),
            is_final: signed.is_final,
            delay: p.delay,
        });
        (id, job)
    }

    /// `r` with the extra headers its journal entry hides filled in from
    /// its subscription (one no longer configured drops them).
    fn with_real_headers(&self, mut r: WebhookRecord) -> WebhookRecord {
        let extra = r
            .subscription
            .and_then(|i| self.extra_headers.get(&r.partner)?.get(i));
        r.headers = r
            .headers
            .into_iter()
            .filter_map(|(name, value)| {
                if value != REDACTED {
                    return Some((name, value));
                }
                extra?
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&name))
                    .map(|(_, v)| (name, v.clone()))
            })
            .collect();
        r
    }

    /// Sends journal entry `id` again, as a new entry with the same target,
    /// headers and body; returns the new id. A not-subscribed one is
    /// journaled again as not subscribed, and still not sent.
    pub fn replay(&self, id: u64) -> Option<u64> {
        let r = self.journal.get(id)?;
        let state = match r.state {
            DeliveryState::NotSubscribed => DeliveryState::NotSubscribed,
            _ => DeliveryState::initial(r.target.as_deref()),
        };
        let new_id = self.journal.push(WebhookRecord {
            id: 0,
            state,
            attempts: Vec::new(),
            created_at_ms: self.clock.now_ms(),
            copy_of: Some(id),
            ..r.clone()
        });
        if state == DeliveryState::Pending {
            if let Some(job) = Job::resend(new_id, self.with_real_headers(r)) {
                self.engine.enqueue(job);
            }
        }
        Some(new_id)
    }

    /// Queues again the records a snapshot restore found pending (oldest
    /// first, so each verification keeps its order): they were never
    /// delivered before the snapshot was taken.
    pub fn resume(&self, pending: Vec<WebhookRecord>) {
        for r in pending {
            if let Some(job) = Job::resend(r.id, self.with_real_headers(r)) {
                self.engine.enqueue(job);
            }
        }
    }

    /// Forgets the records `forget` picks and the webhooks a `reorder` fault
    /// holds back for the scanRefs it picks (a reset).
    pub fn forget(&self, forget: impl Fn(&WebhookRecord) -> bool, held: impl Fn(&str) -> bool) {
        self.journal.retain(|r| !forget(r));
        self.lock_held().retain(|scan_ref, _| !held(scan_ref));
    }
}

#[cfg(test)]
mod tests {
    use super::route::target;

    #[test]
    fn target_precedence() {
        let url = |u| crate::domain::url::HttpUrl::parse(u).unwrap();
        let (p, g) = (url("http://p.test/"), url("http://g.test/"));
        assert_eq!(
            target(Some("http://c.test/"), Some(&p), Some(&g)).as_deref(),
            Some("http://c.test/")
        );
        assert_eq!(
            target(None, Some(&p), Some(&g)).as_deref(),
            Some("http://p.test/")
        );
        assert_eq!(
            target(None, None, Some(&g)).as_deref(),
            Some("http://g.test/")
        );
        assert_eq!(target(None, None, None), None);
    }
}
