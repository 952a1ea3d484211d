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
use crate::runtime::sync::{Ordered, Rank};
use delivery::{Busy, Engine, Job, Reservation, Ticket};
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

/// How long a `reorder` fault holds a webhook at most when no later one of
/// its verification comes to overtake it.
pub const HOLD_AT_MOST: Duration = Duration::from_secs(2);

/// The journal and the delivery engine, and what commits a webhook to both.
pub struct Webhooks {
    journal: Arc<Journal>,
    engine: Engine,
    clock: Arc<Clock>,
    /// Webhooks held back by a `reorder` fault, by scanRef, until that
    /// verification's next webhook has been queued (or [`HOLD_AT_MOST`]).
    /// They keep their tickets: held webhooks count as pending.
    held: Arc<Ordered<HashMap<String, Vec<Job>>>>,
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
            held: Arc::new(Ordered::new(Rank::Held, HashMap::new())),
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

    /// Webhooks pending: queued, held back or being attempted.
    pub fn pending(&self) -> usize {
        self.engine.pending()
    }

    /// Requests waiting for room in the queue.
    pub fn waiting(&self) -> usize {
        self.engine.queue().waiting()
    }

    /// Webhooks a `reorder` fault holds back now.
    pub fn held(&self) -> usize {
        self.held.lock().values().map(Vec::len).sum()
    }

    /// A place in the queue for one webhook to each of `targets` (URLs),
    /// waiting up to `wait` for room; see [`delivery::Queue::reserve`].
    pub async fn reserve(&self, targets: &[&str], wait: Duration) -> Result<Reservation, Busy> {
        let queue = self.engine.queue();
        let mut keys = Vec::with_capacity(targets.len());
        for url in targets {
            queue.resolve(url).await;
            keys.push(queue.key(url));
        }
        queue.reserve(&keys, wait).await
    }

    /// Keeps delivering until nothing is pending or `grace` passes; returns
    /// how many were still pending. Held webhooks go out first.
    pub async fn drain(&self, grace: Duration) -> usize {
        self.release_held(|_| true);
        self.engine.drain(grace).await
    }

    /// Journals the planned webhook's copies and queues them, each with a
    /// ticket from `room` (or one counted in past the bounds: for a step no
    /// request waits on); returns the journal id of the webhook itself (of
    /// its first copy when several subscriptions receive it). Call it while
    /// the verification is locked (inside the store's `insert` or
    /// `update`): that fixes its place in the verification's order.
    pub fn commit(&self, p: Planned, room: &mut Reservation) -> u64 {
        let out = &p.out;
        let mut first = None;
        if p.copies.is_empty() {
            let unsent = Signed::new(out.body.clone(), out.is_final, out.event, None, &[]);
            let (id, _) = self.record(&p, None, &unsent, None, DeliveryState::NotSubscribed, room);
            first = Some(id);
            tracing::debug!(scan_ref = %escape_for_log(&out.scan_ref), event = out.event.as_str(),
                "webhook not sent: no subscription of the partner lists this event");
        }
        for copy in &p.copies {
            let route = Some(&copy.route);
            let initial = DeliveryState::initial(copy.route.target.as_deref());
            let mut queue = Vec::new();
            if let Some(early) = &copy.early {
                queue.extend(self.record(&p, route, early, None, initial, room).1);
            }
            let (id, main) = self.record(&p, route, &copy.main, None, initial, room);
            first.get_or_insert(id);
            if p.drop {
                // Settled as dropped: its ticket goes back with it.
                let epoch = main.as_ref().map_or(0, |j| j.epoch);
                self.journal.settle(id, epoch, DeliveryState::Dropped);
            } else if p.reorder {
                if let Some(job) = main {
                    self.hold(job);
                }
            } else {
                queue.extend(main);
            }
            if p.duplicate && !p.drop {
                queue.extend(
                    self.record(&p, route, &copy.main, Some(id), initial, room)
                        .1,
                );
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
            let scan_ref = out.scan_ref.clone();
            self.release_held(|s| s == scan_ref);
        }
        // There is always a record: a copy per route, or the unsent one.
        first.unwrap_or_default()
    }

    /// Holds `job` back until its verification's next webhook is queued,
    /// or [`HOLD_AT_MOST`] passes.
    fn hold(&self, job: Job) {
        let scan_ref = job.scan_ref.clone();
        self.held
            .lock()
            .entry(scan_ref.clone())
            .or_default()
            .push(job);
        let (held, engine) = (self.held.clone(), self.engine.handle());
        tokio::spawn(async move {
            tokio::time::sleep(HOLD_AT_MOST).await;
            let jobs = held.lock().remove(&scan_ref);
            for job in jobs.into_iter().flatten() {
                engine.enqueue(job);
            }
        });
    }

    /// Queues the held webhooks of the scanRefs `which` picks (their
    /// verification's next webhook came, or the faults were cleared).
    pub fn release_held(&self, which: impl Fn(&str) -> bool) {
        let released: Vec<Job> = {
            let mut held = self.held.lock();
            let picked: Vec<String> = held.keys().filter(|s| which(s)).cloned().collect();
            picked
                .into_iter()
                .flat_map(|s| held.remove(&s).unwrap_or_default())
                .collect()
        };
        for job in released {
            self.engine.enqueue(job);
        }
    }

    /// Journals one copy; returns its id and the job that delivers it
    /// (none without a target), with a ticket from `room` or one counted in.
    fn record(
        &self,
        p: &Planned,
        route: Option<&Route>,
        signed: &Signed,
        copy_of: Option<u64>,
        state: DeliveryState,
        room: &mut Reservation,
    ) -> (u64, Option<Job>) {
        let target = route.and_then(|r| r.target.clone());
        let (id, epoch) = self.journal.push(WebhookRecord {
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
            epoch,
            scan_ref: p.out.scan_ref.clone(),
            ticket: self.ticket(&target, room),
            target,
            headers: signed.headers.clone(),
            body: signed.body.clone(),
            is_final: signed.is_final,
            delay: p.delay,
        });
        (id, job)
    }

    /// The ticket `room` reserved for `url`'s target, or one counted in.
    fn ticket(&self, url: &str, room: &mut Reservation) -> Ticket {
        let queue = self.engine.queue();
        let key = queue.key(url);
        room.take(&key).unwrap_or_else(|| queue.force(&key))
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
    /// headers and body, once the queue has room (waiting up to `wait`);
    /// returns the new id. A not-subscribed one is journaled again as not
    /// subscribed, and still not sent.
    pub async fn replay(&self, id: u64, wait: Duration) -> Result<Option<u64>, Busy> {
        let Some(r) = self.journal.get(id) else {
            return Ok(None);
        };
        let state = match r.state {
            DeliveryState::NotSubscribed => DeliveryState::NotSubscribed,
            _ => DeliveryState::initial(r.target.as_deref()),
        };
        let targets: Vec<&str> = r.target.as_deref().into_iter().collect();
        let mut room = if state == DeliveryState::Pending {
            self.reserve(&targets, wait).await?
        } else {
            Reservation::none()
        };
        let (new_id, epoch) = self.journal.push(WebhookRecord {
            id: 0,
            state,
            attempts: Vec::new(),
            created_at_ms: self.clock.now_ms(),
            copy_of: Some(id),
            ..r.clone()
        });
        if state == DeliveryState::Pending {
            let mut resent = self.with_real_headers(r);
            resent.id = new_id;
            let ticket = resent.target.as_deref().map(|t| self.ticket(t, &mut room));
            if let Some(job) = ticket.and_then(|t| Job::resend(resent, epoch, t)) {
                self.engine.enqueue(job);
            }
        }
        Ok(Some(new_id))
    }

    /// Starts a restore (see [`Journal::begin_restore`]): forgets what
    /// was journaled and held before it, and returns the first new id.
    pub fn begin_restore(&self, max_id: u64) -> u64 {
        let first_new = self.journal.begin_restore(max_id);
        self.journal.retain(|r| r.id >= first_new);
        self.held.lock().clear();
        first_new
    }

    /// Queues again the records a snapshot restore found pending (oldest
    /// first, so each verification keeps its order): they were never
    /// delivered before the snapshot was taken. No request waits on them:
    /// they are counted in whatever the bounds.
    pub fn resume(&self, pending: Vec<WebhookRecord>) {
        let epoch = self.journal.epoch();
        for r in pending {
            let Some(target) = r.target.clone() else {
                continue;
            };
            let ticket = self.ticket(&target, &mut Reservation::none());
            if let Some(job) = Job::resend(self.with_real_headers(r), epoch, ticket) {
                self.engine.enqueue(job);
            }
        }
    }

    /// Forgets the records `forget` picks and the webhooks a `reorder` fault
    /// holds back for the scanRefs it picks (a reset). Their queued jobs find
    /// their records gone and are dropped unsent.
    pub fn forget(&self, forget: impl Fn(&WebhookRecord) -> bool, held: impl Fn(&str) -> bool) {
        self.journal.retain(|r| !forget(r));
        self.held.lock().retain(|scan_ref, _| !held(scan_ref));
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
