//! The one way the crate takes a lock, and the one way it waits for a change.
//!
//! Every mutex is an [`Ordered`] with a [`Rank`]: a thread holding locks may
//! only take one of a higher rank. That is the lock order ARCHITECTURE.md
//! documents (state file → store → faults → held webhooks → lanes →
//! journal → delivery queue; the leaves last), and in debug builds (every test run)
//! taking locks out of order panics at once, naming both, instead of
//! deadlocking one day under load.

use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::futures::Notified;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Where a lock stands in the lock order: a thread may take a lock only
/// while every lock it holds ranks lower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    /// One save of the state file at a time; a save reads everything.
    StateFile,
    /// The verifications. A step commits its webhook under it.
    Store,
    /// Injected faults, taken while a webhook is made.
    Faults,
    /// Webhooks a `reorder` fault holds back.
    Held,
    /// Each verification's webhooks waiting for delivery, in order.
    Lanes,
    /// The webhook journal (and its waiters).
    Journal,
    /// The delivery queue's pending counts.
    Queue,
    /// Leaves: nothing is taken while one is held.
    Keys,
    RateWindow,
    Inbox,
    Ids,
    Connection,
}

/// A mutex with its place in the lock order.
pub(crate) struct Ordered<T> {
    /// Checked in debug builds only.
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    rank: Rank,
    inner: Mutex<T>,
}

#[cfg(debug_assertions)]
thread_local! {
    /// The ranks of the locks this thread holds, in the order taken.
    static HELD: std::cell::RefCell<Vec<Rank>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl<T> Ordered<T> {
    pub(crate) const fn new(rank: Rank, value: T) -> Ordered<T> {
        Ordered {
            rank,
            inner: Mutex::new(value),
        }
    }

    /// Locks it, carrying on if a thread panicked while holding it.
    ///
    /// Every lock here guards plain data that no update leaves
    /// memory-unsafe, and a handler that panicked half-way leaves at worst
    /// one verification or one journal entry stale: serving on beats
    /// refusing every later request.
    pub(crate) fn lock(&self) -> Guard<'_, T> {
        #[cfg(debug_assertions)]
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            if let Some(&top) = held.iter().max() {
                assert!(
                    self.rank > top,
                    "lock order: {:?} taken while holding {:?} (ARCHITECTURE.md, \"Lock order\")",
                    self.rank,
                    top
                );
            }
            held.push(self.rank);
        });
        Guard {
            guard: self
                .inner
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            #[cfg(debug_assertions)]
            rank: self.rank,
        }
    }
}

/// A held [`Ordered`] lock.
pub(crate) struct Guard<'a, T> {
    guard: MutexGuard<'a, T>,
    #[cfg(debug_assertions)]
    rank: Rank,
}

impl<T> Deref for Guard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

#[cfg(debug_assertions)]
impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        // Guards may be dropped in any order: forget this one's rank.
        let _ = HELD.try_with(|held| {
            let mut held = held.borrow_mut();
            if let Some(i) = held.iter().rposition(|&r| r == self.rank) {
                held.remove(i);
            }
        });
    }
}

/// One "look, then wait for a change" round over [`Notify`] signals, the
/// shape every waiting loop here has (the delivery drain, the deadline
/// sweeper). Make it *before* looking at the state: `notify_waiters` wakes
/// only registered waiters, so a change between the look and the wait
/// would otherwise be missed and the loop would sleep through it.
///
/// [`Notify`]: tokio::sync::Notify
pub(crate) struct Wake<'a> {
    signals: Vec<Pin<Box<Notified<'a>>>>,
}

impl<'a> Wake<'a> {
    /// Registers for the next notification of each of `signals`.
    pub(crate) fn on(signals: &[&'a Notify]) -> Wake<'a> {
        let signals = signals
            .iter()
            .map(|n| {
                let mut f = Box::pin(n.notified());
                f.as_mut().enable();
                f
            })
            .collect();
        Wake { signals }
    }

    /// Waits until one of the signals fires (`true`) or `deadline` passes
    /// (`false`).
    pub(crate) async fn until(self, deadline: Instant) -> bool {
        if self.signals.is_empty() {
            tokio::time::sleep_until(deadline).await;
            return false;
        }
        tokio::time::timeout_at(deadline, futures_util::future::select_all(self.signals))
            .await
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn locks_in_order_are_taken_and_out_of_order_is_refused_in_debug_builds() {
        let store = Ordered::new(Rank::Store, 1);
        let journal = Ordered::new(Rank::Journal, 2);
        {
            let a = store.lock();
            let b = journal.lock();
            assert_eq!(*a + *b, 3);
        }
        // Released in any order, then taken again.
        let b = journal.lock();
        drop(b);
        let a = store.lock();
        drop(a);
        if cfg!(debug_assertions) {
            let refused = std::thread::spawn(move || {
                let _j = journal.lock();
                let _s = store.lock();
            })
            .join();
            let message = refused
                .expect_err("the store under the journal is refused")
                .downcast::<String>()
                .map(|m| *m)
                .unwrap_or_default();
            assert!(
                message.contains("Store taken while holding Journal"),
                "{message}"
            );
        }
    }

    #[tokio::test]
    async fn a_notification_after_registering_is_not_missed() {
        let a = Notify::new();
        let b = Notify::new();
        let wake = Wake::on(&[&a, &b]);
        // Fired between the look and the wait: still seen.
        b.notify_waiters();
        let far = Instant::now() + Duration::from_secs(60);
        assert!(wake.until(far).await);
    }

    #[tokio::test]
    async fn without_a_notification_the_deadline_ends_the_wait() {
        let a = Notify::new();
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(!Wake::on(&[&a]).until(soon).await);
        assert!(!Wake::on(&[]).until(soon).await);
    }
}
