//! Every webhook the mock produced, with its exact body and headers and every
//! delivery attempt. Capped by count and by bytes: past either, the oldest
//! *settled* entries go first (a pending one is never dropped; the delivery
//! engine bounds how many can be pending), and a counter says how many went.
//!
//! Waiting: a waiter (a long-poll, `wait_for` in Rust, the verification page
//! waiting for its final webhook) registers under the journal's lock, keyed by
//! the scanRef it wants (or in one list when it wants any scanRef). A change
//! to a record checks only the waiters of that record's scanRef and the
//! any-scanRef list, against that one record: no waiter ever rescans the
//! journal after it registered, and a change wakes no waiter it cannot satisfy.

use crate::runtime::sync::{Guard, Ordered, Rank};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use tokio::sync::oneshot;

mod record;
mod waiters;

use record::attempt_bytes;
pub use record::{record_bytes, Attempt, DeliveryState, Filter, WebhookRecord, ANSWER_SHOWN};
pub use waiters::WaitError;
use waiters::{Registration, Waiters, Wake, Want};

/// Waiters kept at most unless [`Journal::with_max_waiters`] says otherwise.
pub const DEFAULT_MAX_WAITERS: usize = 10_000;

pub struct Journal {
    inner: Ordered<Inner>,
    capacity: usize,
    max_bytes: usize,
    max_waiters: usize,
}

struct Inner {
    entries: BTreeMap<u64, WebhookRecord>,
    /// Entry ids by scanRef, oldest first (ids only grow).
    by_scan_ref: HashMap<String, Vec<u64>>,
    /// Ids of the entries that are no longer pending: the eviction candidates,
    /// oldest first.
    settled: BTreeSet<u64>,
    /// [`record_bytes`] summed over `entries`.
    bytes: usize,
    next_id: u64,
    dropped: u64,
    waiters: Waiters,
    /// Changes when a snapshot is restored: a delivery job made before
    /// (see [`Journal::push`]) is then stale and dropped unsent.
    epoch: u64,
}

impl Inner {
    /// The oldest record matching `filter`: through the scanRef index when the
    /// filter names one, otherwise one walk of the journal.
    fn first_match<'a>(&'a self, filter: &'a Filter) -> Option<&'a WebhookRecord> {
        self.matching(filter).next()
    }

    /// The records matching `filter`, oldest first: through the scanRef
    /// index when the filter names one, otherwise a walk of the journal.
    fn matching<'a>(&'a self, filter: &'a Filter) -> impl Iterator<Item = &'a WebhookRecord> {
        let indexed = filter.scan_ref.as_ref().map(|s| {
            self.by_scan_ref
                .get(s)
                .into_iter()
                .flatten()
                .filter_map(|id| self.entries.get(id))
        });
        let all = filter.scan_ref.is_none().then(|| self.entries.values());
        indexed
            .into_iter()
            .flatten()
            .chain(all.into_iter().flatten())
            .filter(move |r| filter.matches(r))
    }

    /// Drops the oldest settled entries while past the count or byte cap.
    fn evict(&mut self, capacity: usize, max_bytes: usize) {
        while self.entries.len() > capacity || self.bytes > max_bytes {
            let Some(id) = self.settled.pop_first() else {
                break;
            };
            if let Some(r) = self.entries.remove(&id) {
                self.bytes = self.bytes.saturating_sub(record_bytes(&r));
                self.unindex(&r.scan_ref, id);
                self.dropped += 1;
            }
        }
    }

    fn unindex(&mut self, scan_ref: &str, id: u64) {
        if let Some(ids) = self.by_scan_ref.get_mut(scan_ref) {
            if let Some(at) = ids.iter().position(|x| *x == id) {
                ids.remove(at);
            }
            if ids.is_empty() {
                self.by_scan_ref.remove(scan_ref);
            }
        }
    }

    /// Rebuilds the index, the settled set and the byte count from `entries`
    /// (after a reset or a restore, which are rare).
    fn reindex(&mut self) {
        self.by_scan_ref.clear();
        self.settled.clear();
        self.bytes = 0;
        for (id, r) in &self.entries {
            self.by_scan_ref
                .entry(r.scan_ref.clone())
                .or_default()
                .push(*id);
            if r.state != DeliveryState::Pending {
                self.settled.insert(*id);
            }
            self.bytes += record_bytes(r);
        }
    }

    /// Settled-waiters whose record is gone are told to recheck (they answer
    /// "gone").
    fn recheck_vanished(&mut self) {
        let entries = &self.entries;
        self.waiters
            .recheck(|want| matches!(want, Want::Settled(id) if !entries.contains_key(id)));
    }
}

impl Journal {
    /// A journal keeping at most `capacity` entries and about `max_bytes`
    /// bytes of them (see [`record_bytes`]), with at most
    /// [`DEFAULT_MAX_WAITERS`] open waits.
    pub fn new(capacity: usize, max_bytes: usize) -> Journal {
        Journal {
            inner: Ordered::new(
                Rank::Journal,
                Inner {
                    entries: BTreeMap::new(),
                    by_scan_ref: HashMap::new(),
                    settled: BTreeSet::new(),
                    bytes: 0,
                    next_id: 1,
                    dropped: 0,
                    waiters: Waiters::default(),
                    epoch: 0,
                },
            ),
            capacity: capacity.max(1),
            max_bytes,
            max_waiters: DEFAULT_MAX_WAITERS,
        }
    }

    /// At most `max` open [`wait_for`](Self::wait_for) waits; more are refused.
    pub fn with_max_waiters(mut self, max: usize) -> Journal {
        self.max_waiters = max;
        self
    }

    fn lock(&self) -> Guard<'_, Inner> {
        self.inner.lock()
    }

    /// Adds a record (its `id` is assigned here) and returns the id with
    /// the journal's epoch, which a delivery job carries.
    pub fn push(&self, mut record: WebhookRecord) -> (u64, u64) {
        let mut inner = self.lock();
        let epoch = inner.epoch;
        let id = inner.next_id;
        inner.next_id += 1;
        record.id = id;
        inner.bytes += record_bytes(&record);
        inner
            .by_scan_ref
            .entry(record.scan_ref.clone())
            .or_default()
            .push(id);
        if record.state != DeliveryState::Pending {
            inner.settled.insert(id);
        }
        inner.waiters.wake(&record);
        inner.entries.insert(id, record);
        inner.evict(self.capacity, self.max_bytes);
        (id, epoch)
    }

    /// The current epoch (see [`begin_restore`](Self::begin_restore)).
    pub fn epoch(&self) -> u64 {
        self.lock().epoch
    }

    /// Whether record `id` of `epoch` is still here to be delivered (not
    /// forgotten by a reset, nor replaced by a restore).
    pub fn is_live(&self, id: u64, epoch: u64) -> bool {
        let inner = self.lock();
        inner.epoch == epoch && inner.entries.contains_key(&id)
    }

    /// Starts a restore: delivery jobs made before become stale, and ids
    /// given from now on are above `max_id`, so neither a restored record
    /// nor one made during the restore is touched by the other's jobs.
    /// Returns the first id given from now on: every record before the
    /// restore has a smaller one.
    pub fn begin_restore(&self, max_id: u64) -> u64 {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.next_id = inner.next_id.max(max_id.saturating_add(1));
        inner.next_id
    }

    /// Adds an attempt to record `id` of `epoch` and, with `settled`,
    /// settles it in the same step. An attempt alone wakes no waiter: it
    /// changes nothing a filter looks at (scanRef, event, state).
    pub fn record_attempt(
        &self,
        id: u64,
        epoch: u64,
        attempt: Attempt,
        settled: Option<DeliveryState>,
    ) {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if inner.epoch != epoch {
            return;
        }
        let added = attempt_bytes(&attempt);
        let Some(r) = inner.entries.get_mut(&id) else {
            return;
        };
        r.attempts.push(attempt);
        inner.bytes += added;
        if let Some(state) = settled {
            Self::settle_locked(inner, id, state);
        }
        inner.evict(self.capacity, self.max_bytes);
    }

    /// Settles record `id` of `epoch` (nothing when it is stale).
    pub fn settle(&self, id: u64, epoch: u64, state: DeliveryState) {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if inner.epoch == epoch {
            Self::settle_locked(inner, id, state);
            inner.evict(self.capacity, self.max_bytes);
        }
    }

    fn settle_locked(inner: &mut Inner, id: u64, state: DeliveryState) {
        let Some(r) = inner.entries.get_mut(&id) else {
            return;
        };
        r.state = state;
        if state == DeliveryState::Pending {
            inner.settled.remove(&id);
        } else {
            inner.settled.insert(id);
        }
        inner.waiters.wake(r);
    }

    pub fn get(&self, id: u64) -> Option<WebhookRecord> {
        self.lock().entries.get(&id).cloned()
    }

    /// Matching records, oldest first.
    pub fn list(&self, filter: &Filter) -> Vec<WebhookRecord> {
        self.lock().matching(filter).cloned().collect()
    }

    /// The newest `limit` records `keep` accepts, newest first, and how many
    /// it accepts in all: what the dashboard shows. Only those `limit` are
    /// copied; the body stays the exact bytes sent.
    pub fn newest(
        &self,
        limit: usize,
        mut keep: impl FnMut(&WebhookRecord) -> bool,
    ) -> (usize, Vec<WebhookRecord>) {
        let inner = self.lock();
        let mut matched = 0;
        let mut items = Vec::with_capacity(limit.min(inner.entries.len()));
        for r in inner.entries.values().rev() {
            if keep(r) {
                matched += 1;
                if items.len() < limit {
                    items.push(r.clone());
                }
            }
        }
        (matched, items)
    }

    /// Drops every record `keep` refuses (a reset).
    pub fn retain(&self, mut keep: impl FnMut(&WebhookRecord) -> bool) {
        let mut inner = self.lock();
        inner.entries.retain(|_, r| keep(r));
        inner.reindex();
        inner.recheck_vanished();
    }

    /// Puts back records from a snapshot, keeping their ids, and returns the
    /// ones still pending with a target, oldest first: they were never
    /// delivered and are to be queued again.
    /// (Call [`begin_restore`](Self::begin_restore) first.)
    pub fn restore(&self, records: Vec<WebhookRecord>) -> Vec<WebhookRecord> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        // Records made since the restore began stay (their ids are above
        // every restored one: see `begin_restore`).
        let restored: BTreeSet<u64> = records.iter().map(|r| r.id).collect();
        for r in records {
            inner.next_id = inner.next_id.max(r.id.saturating_add(1));
            inner.entries.insert(r.id, r);
        }
        inner.reindex();
        inner.evict(self.capacity, self.max_bytes);
        for r in inner.entries.values() {
            inner.waiters.wake(r);
        }
        inner.recheck_vanished();
        restored
            .iter()
            .filter_map(|id| inner.entries.get(id))
            .filter(|r| r.state == DeliveryState::Pending && r.target.is_some())
            .cloned()
            .collect()
    }

    /// How many settled records were dropped to stay within the caps.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// The records' bytes as [`record_bytes`] counts them.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Waits open right now.
    pub fn waiter_count(&self) -> usize {
        self.lock().waiters.len
    }

    /// Answers every open wait at once with the current state, and every
    /// later one without waiting (shutdown): a `wait_for` gets the matching
    /// record if one exists, else [`WaitError::Closed`]; a `wait_settled`
    /// gets the record's state as it is.
    pub fn close_waiters(&self) {
        let mut inner = self.lock();
        inner.waiters.closed = true;
        inner.waiters.recheck(|_| true);
    }

    /// Adds a waiter under the journal's lock; dropping the registration
    /// takes it off again.
    fn register(
        &self,
        inner: &mut Inner,
        scan_ref: Option<String>,
        want: Want,
    ) -> (Registration<'_>, oneshot::Receiver<Wake>) {
        let (key, rx) = inner.waiters.add(scan_ref.as_deref(), want);
        (Registration::new(self, key, scan_ref), rx)
    }

    /// Waits until record `id` is no longer pending, or `timeout` passes, or
    /// the journal closes its waiters; returns its state then (`None`: there
    /// is no such record, or it went away). Not refused by `max_waiters`: the
    /// verification page waits this way, and refusing it would send the user
    /// to the wrong URL; each such wait is one open `/ui/finish` request.
    pub async fn wait_settled(&self, id: u64, timeout: Duration) -> Option<DeliveryState> {
        let (registration, rx) = {
            let mut inner = self.lock();
            let r = inner.entries.get(&id)?;
            if r.state != DeliveryState::Pending || inner.waiters.closed {
                return Some(r.state);
            }
            let scan_ref = r.scan_ref.clone();
            self.register(&mut inner, Some(scan_ref), Want::Settled(id))
        };
        let woken = tokio::time::timeout(timeout, rx).await;
        drop(registration);
        match woken {
            Ok(Ok(Wake::Record(r))) => Some(r.state),
            _ => self.lock().entries.get(&id).map(|r| r.state),
        }
    }

    /// Waits until a record matching `filter` exists (the oldest such one is
    /// returned), or `timeout` passes. Refused with
    /// [`WaitError::TooManyWaiters`] when `max_waiters` waits are open.
    pub async fn wait_for(
        &self,
        filter: &Filter,
        timeout: Duration,
    ) -> Result<WebhookRecord, WaitError> {
        let (registration, rx) = {
            let mut inner = self.lock();
            if let Some(r) = inner.first_match(filter) {
                return Ok(r.clone());
            }
            if inner.waiters.closed {
                return Err(WaitError::Closed);
            }
            if inner.waiters.len >= self.max_waiters {
                return Err(WaitError::TooManyWaiters {
                    max: self.max_waiters,
                });
            }
            self.register(
                &mut inner,
                filter.scan_ref.clone(),
                Want::Match(filter.clone()),
            )
        };
        let woken = tokio::time::timeout(timeout, rx).await;
        drop(registration);
        match woken {
            Ok(Ok(Wake::Record(r))) => Ok(*r),
            Ok(_) => self
                .lock()
                .first_match(filter)
                .cloned()
                .ok_or(WaitError::Closed),
            Err(_) => Err(WaitError::TimedOut),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::EventType;
    use bytes::Bytes;
    use std::sync::Arc;

    fn record(state: DeliveryState) -> WebhookRecord {
        on("s", state)
    }

    fn on(scan_ref: &str, state: DeliveryState) -> WebhookRecord {
        WebhookRecord {
            id: 0,
            scan_ref: scan_ref.into(),
            partner: "k".into(),
            event: EventType::AutoFinished,
            is_final: true,
            target: None,
            headers: vec![],
            body: Bytes::from_static(b"{}"),
            state,
            attempts: vec![],
            created_at_ms: 0,
            copy_of: None,
            subscription: None,
        }
    }

    fn for_scan_ref(s: &str) -> Filter {
        Filter {
            scan_ref: Some(s.into()),
            ..Filter::default()
        }
    }

    impl Journal {
        fn push_id(&self, r: WebhookRecord) -> u64 {
            self.push(r).0
        }
    }

    /// Lets spawned waiters run until `n` are registered.
    async fn until_waiters(j: &Journal, n: usize) {
        for _ in 0..10_000 {
            if j.waiter_count() == n {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("expected {n} waiters, have {}", j.waiter_count());
    }

    #[test]
    fn capacity_drops_oldest_settled_never_pending() {
        let j = Journal::new(2, usize::MAX);
        let a = j.push_id(record(DeliveryState::Pending));
        let b = j.push_id(record(DeliveryState::Delivered));
        let c = j.push_id(record(DeliveryState::Failed));
        assert!(j.get(a).is_some(), "pending entry kept");
        assert!(j.get(b).is_none(), "oldest settled dropped");
        assert!(j.get(c).is_some());
        assert_eq!(j.dropped(), 1);
        assert_eq!(j.list(&for_scan_ref("s")).len(), 2, "index follows");
    }

    #[test]
    fn newest_counts_every_match_and_copies_only_the_newest() {
        let j = Journal::new(10, usize::MAX);
        let ids: Vec<u64> = (0..5)
            .map(|i| {
                j.push_id(on(
                    if i % 2 == 0 { "a" } else { "b" },
                    DeliveryState::Delivered,
                ))
            })
            .collect();
        let (matched, items) = j.newest(2, |r| r.scan_ref == "a");
        assert_eq!(matched, 3);
        assert_eq!(
            items.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![ids[4], ids[2]]
        );
        let (all, none) = j.newest(0, |_| true);
        assert_eq!((all, none.len()), (5, 0));
    }

    #[test]
    fn record_bytes_counts_body_headers_and_attempts() {
        let mut r = record(DeliveryState::Pending);
        r.body = Bytes::from(vec![b'x'; 10_000]);
        r.headers = vec![("Name".into(), "v".repeat(500))];
        let base = record_bytes(&r);
        assert!(base > 10_000 + 504, "{base}");
        r.attempts.push(Attempt {
            at_ms: 0,
            status: None,
            error: Some("e".repeat(300)),
            latency_ms: 0,
            answer: None,
        });
        assert!(record_bytes(&r) > base + 300);
    }

    #[test]
    fn byte_cap_drops_oldest_settled() {
        let mut big = record(DeliveryState::Delivered);
        big.body = Bytes::from(vec![b'x'; 1000]);
        let one = record_bytes(&big);
        let j = Journal::new(100, 2 * one + one / 2);
        let pending = j.push_id(WebhookRecord {
            state: DeliveryState::Pending,
            ..big.clone()
        });
        let a = j.push_id(big.clone());
        assert!(j.get(a).is_some());
        let b = j.push_id(big.clone());
        assert!(j.get(a).is_none(), "oldest settled went for bytes");
        assert!(j.get(b).is_some() && j.get(pending).is_some());
        assert!(j.bytes() <= 2 * one + one / 2);
        // Once settled, the formerly pending one is the oldest candidate.
        j.settle(pending, 0, DeliveryState::Failed);
        assert_eq!(j.len(), 2, "within both caps: nothing more goes");
        let c = j.push_id(big);
        assert!(j.get(pending).is_none(), "the oldest settled went");
        assert!(j.get(b).is_some() && j.get(c).is_some());
        assert_eq!(j.dropped(), 2);
    }

    #[tokio::test]
    async fn wait_for_wakes_on_settle() {
        let j = Arc::new(Journal::new(10, usize::MAX));
        let id = j.push_id(record(DeliveryState::Pending));
        let filter = Filter {
            state: Some(DeliveryState::Delivered),
            ..Filter::default()
        };
        let j2 = j.clone();
        let waiter =
            tokio::spawn(async move { j2.wait_for(&filter, Duration::from_secs(5)).await });
        until_waiters(&j, 1).await;
        j.settle(id, 0, DeliveryState::Delivered);
        let got = waiter.await.unwrap().expect("woken");
        assert_eq!(got.id, id);
        let none = j
            .wait_for(&for_scan_ref("other"), Duration::from_millis(10))
            .await;
        assert_eq!(none.unwrap_err(), WaitError::TimedOut);
    }

    #[tokio::test]
    async fn only_the_waiters_a_record_satisfies_are_woken() {
        let j = Arc::new(Journal::new(10, usize::MAX));
        let spawn = |filter: Filter| {
            let j = j.clone();
            tokio::spawn(async move { j.wait_for(&filter, Duration::from_secs(5)).await })
        };
        let a = spawn(for_scan_ref("a"));
        let b = spawn(for_scan_ref("b"));
        let expired = spawn(Filter {
            event: Some(EventType::Expired),
            ..Filter::default()
        });
        until_waiters(&j, 3).await;
        let id = j.push_id(on("a", DeliveryState::Pending));
        assert_eq!(a.await.unwrap().unwrap().id, id);
        until_waiters(&j, 2).await;
        assert!(!b.is_finished() && !expired.is_finished());
        let e = j.push_id(WebhookRecord {
            event: EventType::Expired,
            ..on("c", DeliveryState::Pending)
        });
        assert_eq!(expired.await.unwrap().unwrap().id, e);
        assert_eq!(j.waiter_count(), 1);
        assert!(!b.is_finished());
        b.abort();
    }

    #[tokio::test]
    async fn an_existing_record_answers_at_once() {
        let j = Journal::new(10, usize::MAX);
        j.push_id(on("x", DeliveryState::Pending));
        let id = j.push_id(on("a", DeliveryState::Delivered));
        let got = j.wait_for(&for_scan_ref("a"), Duration::ZERO).await;
        assert_eq!(got.unwrap().id, id);
        assert_eq!(j.waiter_count(), 0);
    }

    #[tokio::test]
    async fn timed_out_and_abandoned_waiters_are_pruned() {
        let j = Arc::new(Journal::new(10, usize::MAX));
        let got = j
            .wait_for(&for_scan_ref("a"), Duration::from_millis(5))
            .await;
        assert_eq!(got.unwrap_err(), WaitError::TimedOut);
        assert_eq!(j.waiter_count(), 0, "a timeout removes the waiter");
        let j2 = j.clone();
        let abandoned = tokio::spawn(async move {
            j2.wait_for(&Filter::default(), Duration::from_secs(60))
                .await
        });
        until_waiters(&j, 1).await;
        abandoned.abort();
        let _ = abandoned.await;
        assert_eq!(j.waiter_count(), 0, "a dropped wait removes the waiter");
    }

    #[tokio::test]
    async fn waiters_are_capped() {
        let j = Arc::new(Journal::new(10, usize::MAX).with_max_waiters(1));
        let j2 = j.clone();
        let first = tokio::spawn(async move {
            j2.wait_for(&for_scan_ref("a"), Duration::from_secs(5))
                .await
        });
        until_waiters(&j, 1).await;
        let refused = j.wait_for(&for_scan_ref("b"), Duration::from_secs(5)).await;
        assert_eq!(refused.unwrap_err(), WaitError::TooManyWaiters { max: 1 });
        j.push_id(on("a", DeliveryState::Pending));
        assert!(first.await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn wait_settled_wakes_on_its_record_only() {
        let j = Arc::new(Journal::new(10, usize::MAX));
        let id = j.push_id(on("a", DeliveryState::Pending));
        let other = j.push_id(on("a", DeliveryState::Pending));
        let j2 = j.clone();
        let waiter = tokio::spawn(async move { j2.wait_settled(id, Duration::from_secs(5)).await });
        until_waiters(&j, 1).await;
        j.settle(other, 0, DeliveryState::Delivered);
        assert_eq!(
            j.waiter_count(),
            1,
            "another record's settle does not wake it"
        );
        j.settle(id, 0, DeliveryState::Failed);
        assert_eq!(waiter.await.unwrap(), Some(DeliveryState::Failed));
        assert_eq!(j.wait_settled(999, Duration::ZERO).await, None);
    }

    #[tokio::test]
    async fn close_waiters_answers_now_and_later() {
        let j = Arc::new(Journal::new(10, usize::MAX));
        let pending = j.push_id(on("a", DeliveryState::Pending));
        let (j2, j3) = (j.clone(), j.clone());
        let wait = tokio::spawn(async move {
            j2.wait_for(&for_scan_ref("b"), Duration::from_secs(60))
                .await
        });
        let settled =
            tokio::spawn(async move { j3.wait_settled(pending, Duration::from_secs(60)).await });
        until_waiters(&j, 2).await;
        j.close_waiters();
        assert_eq!(wait.await.unwrap().unwrap_err(), WaitError::Closed);
        assert_eq!(settled.await.unwrap(), Some(DeliveryState::Pending));
        assert_eq!(j.waiter_count(), 0);
        // Later waits answer at once: the current match, or Closed.
        let later = j
            .wait_for(&for_scan_ref("b"), Duration::from_secs(60))
            .await;
        assert_eq!(later.unwrap_err(), WaitError::Closed);
        let found = j
            .wait_for(&for_scan_ref("a"), Duration::from_secs(60))
            .await;
        assert_eq!(found.unwrap().id, pending);
        let state = j.wait_settled(pending, Duration::from_secs(60)).await;
        assert_eq!(state, Some(DeliveryState::Pending));
    }

    #[tokio::test]
    async fn restore_wakes_waiters_and_returns_pending() {
        let j = Arc::new(Journal::new(10, usize::MAX));
        let j2 = j.clone();
        let waiter = tokio::spawn(async move {
            j2.wait_for(&for_scan_ref("r"), Duration::from_secs(5))
                .await
        });
        until_waiters(&j, 1).await;
        let mut pending = on("r", DeliveryState::Pending);
        pending.id = 7;
        pending.target = Some("http://127.0.0.1:1/".into());
        let mut done = on("q", DeliveryState::Delivered);
        done.id = 3;
        assert_eq!(j.begin_restore(7), 8);
        let again = j.restore(vec![done, pending]);
        assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), vec![7]);
        assert_eq!(waiter.await.unwrap().unwrap().id, 7);
        assert_eq!(j.push_id(record(DeliveryState::Pending)), 8, "ids continue");
    }
}
