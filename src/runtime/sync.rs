//! The one way the crate takes a lock, and the one way it waits for a change.

use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::futures::Notified;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Locks `m`, carrying on if a thread panicked while holding it.
///
/// Every lock here guards plain data that no update leaves memory-unsafe, and
/// a handler that panicked half-way leaves at worst one verification or one
/// journal entry stale: serving on beats refusing every later request.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
