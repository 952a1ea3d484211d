//! The journal's waiters, kept by the scanRef they want: registering,
//! waking the ones a record satisfies, and forgetting those that left.

use std::collections::HashMap;
use std::fmt;

use tokio::sync::oneshot;

use super::{DeliveryState, Filter, Journal, WebhookRecord};

/// Why a wait ended without a matching record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError {
    /// Nothing matched within the timeout.
    TimedOut,
    /// The server is shutting down (`Journal::close_waiters`).
    Closed,
    /// `max_waiters` waits are already open; this one was refused.
    TooManyWaiters { max: usize },
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::TimedOut => f.write_str("no matching webhook in time"),
            WaitError::Closed => f.write_str("the server is shutting down"),
            WaitError::TooManyWaiters { max } => write!(
                f,
                "too many waiters: {max} waits are already open (webhooks.max_waiters)"
            ),
        }
    }
}

impl std::error::Error for WaitError {}

/// What a waiter wants.
pub(super) enum Want {
    /// The oldest record matching the filter.
    Match(Filter),
    /// Record `id` settled (no longer pending).
    Settled(u64),
}

impl Want {
    fn satisfied_by(&self, r: &WebhookRecord) -> bool {
        match self {
            Want::Match(filter) => filter.matches(r),
            Want::Settled(id) => r.id == *id && r.state != DeliveryState::Pending,
        }
    }
}

/// What a waiter is told.
pub(super) enum Wake {
    /// This record satisfies it.
    Record(Box<WebhookRecord>),
    /// Look at the current state and answer with it (shutdown, or the awaited
    /// record went away).
    Recheck,
}

struct Waiter {
    key: u64,
    want: Want,
    tx: oneshot::Sender<Wake>,
}

#[derive(Default)]
pub(super) struct Waiters {
    by_scan_ref: HashMap<String, Vec<Waiter>>,
    /// Waiters whose filter names no scanRef.
    any: Vec<Waiter>,
    pub(super) len: usize,
    next_key: u64,
    /// Set by [`Journal::close_waiters`]: every wait answers at once.
    pub(super) closed: bool,
}

impl Waiters {
    pub(super) fn add(
        &mut self,
        scan_ref: Option<&str>,
        want: Want,
    ) -> (u64, oneshot::Receiver<Wake>) {
        let (tx, rx) = oneshot::channel();
        self.next_key += 1;
        let key = self.next_key;
        let waiter = Waiter { key, want, tx };
        match scan_ref {
            Some(s) => self
                .by_scan_ref
                .entry(s.to_owned())
                .or_default()
                .push(waiter),
            None => self.any.push(waiter),
        }
        self.len += 1;
        (key, rx)
    }

    /// Forgets waiter `key` (it timed out or its request went away).
    pub(super) fn remove(&mut self, key: u64, scan_ref: Option<&str>) {
        let list = match scan_ref {
            Some(s) => self.by_scan_ref.get_mut(s),
            None => Some(&mut self.any),
        };
        let Some(list) = list else { return };
        if let Some(at) = list.iter().position(|w| w.key == key) {
            list.swap_remove(at);
            self.len -= 1;
        }
        if let Some(s) = scan_ref {
            if self.by_scan_ref.get(s).is_some_and(Vec::is_empty) {
                self.by_scan_ref.remove(s);
            }
        }
    }

    /// Answers the waiters `r` satisfies: only those of its scanRef and the
    /// any-scanRef list are looked at. Waiters whose receiver is gone are
    /// pruned on the way.
    pub(super) fn wake(&mut self, r: &WebhookRecord) {
        let mut woken = 0;
        if let Some(list) = self.by_scan_ref.get_mut(&r.scan_ref) {
            woken += answer_matching(list, r);
            if list.is_empty() {
                self.by_scan_ref.remove(&r.scan_ref);
            }
        }
        woken += answer_matching(&mut self.any, r);
        self.len -= woken;
    }

    /// Tells every waiter `pick` selects to recheck; returns how many.
    pub(super) fn recheck(&mut self, mut pick: impl FnMut(&Want) -> bool) {
        let mut told = 0;
        let mut take = |list: &mut Vec<Waiter>| {
            let mut i = 0;
            while i < list.len() {
                if pick(&list[i].want) {
                    let w = list.swap_remove(i);
                    let _ = w.tx.send(Wake::Recheck);
                    told += 1;
                } else {
                    i += 1;
                }
            }
        };
        for list in self.by_scan_ref.values_mut() {
            take(list);
        }
        take(&mut self.any);
        self.by_scan_ref.retain(|_, list| !list.is_empty());
        self.len -= told;
    }
}

/// Sends `r` to every waiter in `list` it satisfies and removes them (and
/// those nobody listens to any more); returns how many left the list.
fn answer_matching(list: &mut Vec<Waiter>, r: &WebhookRecord) -> usize {
    let before = list.len();
    let mut i = 0;
    while i < list.len() {
        if list[i].tx.is_closed() || list[i].want.satisfied_by(r) {
            let w = list.swap_remove(i);
            let _ = w.tx.send(Wake::Record(Box::new(r.clone())));
        } else {
            i += 1;
        }
    }
    before - list.len()
}

/// A registered waiter; dropping it (timeout, or the request future dropped
/// because the client went away) takes it off the journal's lists.
pub(super) struct Registration<'a> {
    journal: &'a Journal,
    key: u64,
    scan_ref: Option<String>,
}

impl<'a> Registration<'a> {
    pub(super) fn new(journal: &'a Journal, key: u64, scan_ref: Option<String>) -> Self {
        Registration {
            journal,
            key,
            scan_ref,
        }
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.journal
            .lock()
            .waiters
            .remove(self.key, self.scan_ref.as_deref());
    }
}
