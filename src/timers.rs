//! One timer structure for every deadline (token expiry, session end, data
//! retention): buckets by due second, swept by a single task. A million
//! pending tokens cost a bucket slot each, not a task or a wake-up each, and
//! scheduling is a push into the second's bucket (tokens created in the same
//! second share one).

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
pub struct Timers {
    due: Mutex<Buckets>,
    /// Woken when an earlier deadline is added.
    pub changed: Notify,
}

impl Timers {
    pub fn new() -> Timers {
        Timers::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buckets> {
        self.due.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks for `kind` to be checked for `scan_ref` at Unix second `at`. The
    /// check itself decides whether anything is due, so stale entries are harmless.
    pub fn schedule(&self, at: i64, kind: TimerKind, scan_ref: &str) {
        let entry = (kind, Arc::from(scan_ref));
        let earliest = {
            let mut due = self.lock();
            let before = due.first_key_value().map(|(k, _)| *k);
            due.entry(at).or_default().push(entry);
            before.is_none_or(|b| at < b)
        };
        if earliest {
            self.changed.notify_waiters();
        }
    }

    /// The earliest deadline, if any.
    pub fn next_at(&self) -> Option<i64> {
        self.lock().first_key_value().map(|(k, _)| *k)
    }

    /// Removes and returns every entry due at or before `now`.
    pub fn take_due(&self, now: i64) -> Vec<(TimerKind, Arc<str>)> {
        let mut due = self.lock();
        let mut out = Vec::new();
        while due.first_key_value().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, bucket)) = due.pop_first() {
                out.extend(bucket);
            }
        }
        out
    }

    /// Scheduled checks, over all buckets.
    pub fn len(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry (a reset).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_due_entries_in_order() {
        let t = Timers::new();
        t.schedule(30, TimerKind::Purge, "b");
        t.schedule(10, TimerKind::Expire, "a");
        t.schedule(50, TimerKind::Expire, "c");
        assert_eq!(t.next_at(), Some(10));
        t.schedule(10, TimerKind::Purge, "a2");
        let due = t.take_due(30);
        assert_eq!(due.len(), 3);
        assert_eq!(&*due[0].1, "a");
        assert_eq!(&*due[1].1, "a2");
        assert_eq!(due[2].0, TimerKind::Purge);
        assert_eq!(t.len(), 1);
        assert!(t.take_due(49).is_empty());
    }
}
