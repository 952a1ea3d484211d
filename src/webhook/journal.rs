//! Every webhook the mock produced, with its exact body and headers and every
//! delivery attempt. Capped: past the capacity the oldest *settled* entries go
//! first (a pending one is never dropped), and a counter says how many went.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::Notify;

use crate::domain::status::EventType;

crate::domain::wire_enum!(
    /// Where a journaled webhook stands.
    DeliveryState {
        /// Queued or being attempted.
        Pending = "pending",
        /// A 2xx answer was received.
        Delivered = "delivered",
        /// Every attempt failed.
        Failed = "failed",
        /// There was nowhere to send it (no callbackUrl, partner or global URL).
        Undeliverable = "undeliverable",
        /// Not sent on purpose: an injected `drop` fault.
        Dropped = "dropped",
    }
);

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// Unix milliseconds (mock clock) when the attempt started.
    pub at_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What went wrong, when it did (timeout, refused connection, non-2xx).
    pub error: Option<String>,
    pub latency_ms: u64,
}

/// A produced webhook.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRecord {
    pub id: u64,
    pub scan_ref: String,
    /// The partner's API key (never its secret).
    pub partner: String,
    pub event: EventType,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub target: Option<String>,
    /// Header name and value pairs, in the order sent.
    #[schema(value_type = Vec<Vec<String>>)]
    pub headers: Vec<(String, String)>,
    /// The exact body sent (JSON text).
    #[serde(serialize_with = "body_as_text", deserialize_with = "body_from_text")]
    #[schema(value_type = String)]
    pub body: Bytes,
    pub state: DeliveryState,
    pub attempts: Vec<Attempt>,
    /// Unix milliseconds (mock clock) when it was produced.
    pub created_at_ms: i64,
    /// The journal id this is a replay or fault-made copy of.
    #[serde(default)]
    pub copy_of: Option<u64>,
}

fn body_as_text<S: serde::Serializer>(body: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(body))
}

fn body_from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
    <String as serde::Deserialize>::deserialize(d).map(Bytes::from)
}

impl WebhookRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Which records a query wants; `None` fields match everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub scan_ref: Option<String>,
    pub event: Option<EventType>,
    pub state: Option<DeliveryState>,
}

impl Filter {
    pub fn matches(&self, r: &WebhookRecord) -> bool {
        self.scan_ref.as_ref().is_none_or(|s| *s == r.scan_ref)
            && self.event.is_none_or(|e| e == r.event)
            && self.state.is_none_or(|s| s == r.state)
    }
}

pub struct Journal {
    inner: Mutex<Inner>,
    changed: Notify,
    capacity: usize,
    // stub: replaced by the indexed waiters
    closing: std::sync::atomic::AtomicBool,
}

struct Inner {
    entries: BTreeMap<u64, WebhookRecord>,
    next_id: u64,
    dropped: u64,
}

impl Journal {
    pub fn new(capacity: usize) -> Journal {
        Journal {
            inner: Mutex::new(Inner {
                entries: BTreeMap::new(),
                next_id: 1,
                dropped: 0,
            }),
            changed: Notify::new(),
            capacity: capacity.max(1),
            closing: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves the data usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a record (its `id` is assigned here) and returns the id.
    pub fn push(&self, mut record: WebhookRecord) -> u64 {
        let id = {
            let mut inner = self.lock();
            let id = inner.next_id;
            inner.next_id += 1;
            record.id = id;
            inner.entries.insert(id, record);
            while inner.entries.len() > self.capacity {
                let oldest_settled = inner
                    .entries
                    .iter()
                    .find(|(_, r)| r.state != DeliveryState::Pending)
                    .map(|(k, _)| *k);
                match oldest_settled {
                    Some(k) => {
                        inner.entries.remove(&k);
                        inner.dropped += 1;
                    }
                    None => break,
                }
            }
            id
        };
        self.changed.notify_waiters();
        id
    }

    pub fn record_attempt(&self, id: u64, attempt: Attempt) {
        if let Some(r) = self.lock().entries.get_mut(&id) {
            r.attempts.push(attempt);
        }
        self.changed.notify_waiters();
    }

    pub fn settle(&self, id: u64, state: DeliveryState) {
        if let Some(r) = self.lock().entries.get_mut(&id) {
            r.state = state;
        }
        self.changed.notify_waiters();
    }

    pub fn get(&self, id: u64) -> Option<WebhookRecord> {
        self.lock().entries.get(&id).cloned()
    }

    /// Matching records, oldest first.
    pub fn list(&self, filter: &Filter) -> Vec<WebhookRecord> {
        self.lock()
            .entries
            .values()
            .filter(|r| filter.matches(r))
            .cloned()
            .collect()
    }

    /// Drops every record `keep` refuses (a reset).
    pub fn retain(&self, mut keep: impl FnMut(&WebhookRecord) -> bool) {
        self.lock().entries.retain(|_, r| keep(r));
        self.changed.notify_waiters();
    }

    /// Puts back records from a snapshot, keeping their ids.
    pub fn restore(&self, records: Vec<WebhookRecord>) {
        let mut inner = self.lock();
        inner.entries.clear();
        for r in records {
            inner.next_id = inner.next_id.max(r.id + 1);
            inner.entries.insert(r.id, r);
        }
        drop(inner);
        self.changed.notify_waiters();
    }

    /// How many settled records were dropped to stay within the capacity.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until record `id` is no longer pending (or `timeout` passes, or it
    /// was dropped); returns its state then.
    pub async fn wait_settled(&self, id: u64, timeout: Duration) -> Option<DeliveryState> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let state = self.lock().entries.get(&id).map(|r| r.state);
            match state {
                Some(DeliveryState::Pending) => {}
                other => return other,
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Some(DeliveryState::Pending);
            }
        }
    }

    // stub: replaced by the indexed waiters
    pub fn close_waiters(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    // stub: replaced by the indexed waiters
    pub fn is_closing(&self) -> bool {
        self.closing.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until a record matching `filter` exists (the oldest such one is
    /// returned), or `timeout` passes.
    pub async fn wait_for(&self, filter: &Filter, timeout: Duration) -> Option<WebhookRecord> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(r) = self.lock().entries.values().find(|r| filter.matches(r)) {
                return Some(r.clone());
            }
            if self.is_closing() {
                return None; // stub: replaced by the indexed waiters
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(state: DeliveryState) -> WebhookRecord {
        WebhookRecord {
            id: 0,
            scan_ref: "s".into(),
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
        }
    }

    #[test]
    fn capacity_drops_oldest_settled_never_pending() {
        let j = Journal::new(2);
        let a = j.push(record(DeliveryState::Pending));
        let b = j.push(record(DeliveryState::Delivered));
        let c = j.push(record(DeliveryState::Failed));
        assert!(j.get(a).is_some(), "pending entry kept");
        assert!(j.get(b).is_none(), "oldest settled dropped");
        assert!(j.get(c).is_some());
        assert_eq!(j.dropped(), 1);
    }

    #[tokio::test]
    async fn wait_for_wakes_on_settle() {
        let j = std::sync::Arc::new(Journal::new(10));
        let id = j.push(record(DeliveryState::Pending));
        let filter = Filter {
            state: Some(DeliveryState::Delivered),
            ..Filter::default()
        };
        let j2 = j.clone();
        let waiter =
            tokio::spawn(async move { j2.wait_for(&filter, Duration::from_secs(5)).await });
        tokio::task::yield_now().await;
        j.settle(id, DeliveryState::Delivered);
        let got = waiter.await.unwrap().expect("woken");
        assert_eq!(got.id, id);
        let none = j
            .wait_for(
                &Filter {
                    scan_ref: Some("other".into()),
                    ..Filter::default()
                },
                Duration::from_millis(10),
            )
            .await;
        assert!(none.is_none());
    }
}
