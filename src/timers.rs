//! One timer structure for every deadline (token expiry, session end, data
//! retention): buckets by due second, swept by a single task. A million
//! pending tokens cost a bucket slot each, not a task or a wake-up each, and
//! scheduling is a push into the second's bucket (tokens created in the same
//! second share one) of the scanRef the store already holds (no copy).
//!
//! An entry outlives a verification that is evicted or deleted before its
//! deadline; the sweeper drops such entries once they outnumber the live
//! ones ([`Timers::compact`]), so the structure stays proportional to the
//! store, not to how many tokens were ever created.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKind {
    /// The token (or its session) may have run out.
    Expire,
    /// The verification's retention may have ended.
    Purge,
}

type Buckets = BTreeMap<i64, Vec<(TimerKind, Arc<str>)>>;

#[derive(Default)]
struct Due {
    buckets: Buckets,
    /// Entries over all buckets.
    len: usize,
}

#[derive(Default)]
pub struct Timers {
    due: Mutex<Due>,
    /// Woken when an earlier deadline is added.
    pub changed: Notify,
}

impl Timers {
    pub fn new() -> Timers {
        Timers::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Due> {
        self.due.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks for `kind` to be checked for `scan_ref` at Unix second `at`. The
    /// check itself decides whether anything is due, so stale entries are harmless.
    pub fn schedule(&self, at: i64, kind: TimerKind, scan_ref: &Arc<str>) {
        let entry = (kind, scan_ref.clone());
        let earliest = {
            let mut due = self.lock();
            let before = due.buckets.first_key_value().map(|(k, _)| *k);
            due.buckets.entry(at).or_default().push(entry);
            due.len += 1;
            before.is_none_or(|b| at < b)
        };
        if earliest {
            self.changed.notify_waiters();
        }
    }

    /// The earliest deadline, if any.
    pub fn next_at(&self) -> Option<i64> {
        self.lock().buckets.first_key_value().map(|(k, _)| *k)
    }

    /// Removes and returns every entry due at or before `now`.
    pub fn take_due(&self, now: i64) -> Vec<(TimerKind, Arc<str>)> {
        let mut due = self.lock();
        let mut out = Vec::new();
        while due
            .buckets
            .first_key_value()
            .is_some_and(|(at, _)| *at <= now)
        {
            if let Some((_, bucket)) = due.buckets.pop_first() {
                out.extend(bucket);
            }
        }
        due.len -= out.len();
        out
    }

    /// Scheduled checks, over all buckets.
    pub fn len(&self) -> usize {
        self.lock().len
    }

    /// Drops the entries `live` refuses. The buckets are taken out and
    /// filtered without the lock, so scheduling never waits for a
    /// compaction; entries scheduled meanwhile are merged back unfiltered.
    /// Returns how many entries went.
    pub fn compact(&self, mut live: impl FnMut(TimerKind, &str) -> bool) -> usize {
        let taken = std::mem::take(&mut *self.lock());
        let mut kept = Due::default();
        for (at, mut bucket) in taken.buckets {
            bucket.retain(|(kind, scan_ref)| live(*kind, scan_ref));
            if !bucket.is_empty() {
                kept.len += bucket.len();
                kept.buckets.insert(at, bucket);
            }
        }
        let dropped = taken.len - kept.len;
        let mut due = self.lock();
        for (at, mut bucket) in std::mem::take(&mut due.buckets) {
            kept.len += bucket.len();
            kept.buckets.entry(at).or_default().append(&mut bucket);
        }
        *due = kept;
        dropped
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry (a reset).
    pub fn clear(&self) {
        *self.lock() = Due::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Arc<str> {
        Arc::from(s)
    }

    #[test]
    fn takes_due_entries_in_order() {
        let t = Timers::new();
        t.schedule(30, TimerKind::Purge, &key("b"));
        t.schedule(10, TimerKind::Expire, &key("a"));
        t.schedule(50, TimerKind::Expire, &key("c"));
        assert_eq!(t.next_at(), Some(10));
        t.schedule(10, TimerKind::Purge, &key("a2"));
        let due = t.take_due(30);
        assert_eq!(due.len(), 3);
        assert_eq!(&*due[0].1, "a");
        assert_eq!(&*due[1].1, "a2");
        assert_eq!(due[2].0, TimerKind::Purge);
        assert_eq!(t.len(), 1);
        assert!(t.take_due(49).is_empty());
    }

    #[test]
    fn compaction_drops_dead_entries_and_keeps_the_rest() {
        let t = Timers::new();
        for i in 0..10 {
            t.schedule(100 + i % 3, TimerKind::Expire, &key(&format!("v{i}")));
        }
        t.schedule(7, TimerKind::Purge, &key("v1"));
        assert_eq!(t.len(), 11);
        let dropped = t.compact(|kind, s| kind == TimerKind::Purge || s.ends_with(['1', '2']));
        assert_eq!(dropped, 8);
        assert_eq!(t.len(), 3);
        assert_eq!(t.next_at(), Some(7));
        let mut due: Vec<String> = t.take_due(200).iter().map(|(_, s)| s.to_string()).collect();
        due.sort();
        assert_eq!(due, ["v1", "v1", "v2"]);
        assert!(t.is_empty());
        assert_eq!(t.compact(|_, _| false), 0);
    }
}
