//! What is pending, in total and by target: admission against the pending
//! bounds, and each target's permits.

use std::collections::HashMap;
use std::sync::Arc;

use crate::runtime::sync::{Guard, Ordered, Rank};

use tokio::sync::{Notify, Semaphore};

/// What is pending, in total and by target, under one lock.
pub(super) struct Queue {
    max_pending: usize,
    max_pending_per_target: usize,
    per_target_in_flight: usize,
    state: Ordered<Pending>,
    pub(super) idle: Notify,
}

#[derive(Default)]
pub(super) struct Pending {
    pub(super) total: usize,
    /// Only targets with something pending: the map stays as small as the
    /// set of targets currently in use.
    targets: HashMap<String, TargetSlot>,
}

pub(super) struct TargetSlot {
    pending: usize,
    permits: Arc<Semaphore>,
}

impl Queue {
    /// At most `max_pending` jobs in total and `max_pending_per_target` per
    /// target; each target's deliveries share `per_target_in_flight` permits.
    pub(super) fn new(
        max_pending: usize,
        max_pending_per_target: usize,
        per_target_in_flight: usize,
    ) -> Queue {
        Queue {
            max_pending,
            max_pending_per_target,
            per_target_in_flight,
            state: Ordered::new(Rank::Queue, Pending::default()),
            idle: Notify::new(),
        }
    }

    pub(super) fn lock(&self) -> Guard<'_, Pending> {
        self.state.lock()
    }

    /// Counts a job for `target` in, or says why it cannot be.
    pub(super) fn admit(&self, target: &str) -> Result<Arc<Semaphore>, String> {
        let mut p = self.lock();
        if p.total >= self.max_pending {
            return Err(format!(
                "queue full: {} webhooks already pending in total (webhooks.max_pending)",
                p.total
            ));
        }
        let per_target_in_flight = self.per_target_in_flight;
        let slot = match p.targets.get_mut(target) {
            Some(slot) if slot.pending >= self.max_pending_per_target => {
                return Err(format!(
                    "queue full: {} webhooks already pending for {target} (webhooks.max_pending_per_target)",
                    slot.pending
                ));
            }
            Some(slot) => slot,
            None => p.targets.entry(target.to_owned()).or_insert(TargetSlot {
                pending: 0,
                permits: Arc::new(Semaphore::new(per_target_in_flight)),
            }),
        };
        slot.pending += 1;
        let permits = slot.permits.clone();
        p.total += 1;
        Ok(permits)
    }

    /// Counts a finished (or never started) job for `target` out.
    pub(super) fn release(&self, target: &str) {
        let mut p = self.lock();
        if let Some(slot) = p.targets.get_mut(target) {
            slot.pending -= 1;
            if slot.pending == 0 {
                p.targets.remove(target);
            }
        }
        p.total = p.total.saturating_sub(1);
        if p.total == 0 {
            self.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(total: usize, per_target: usize) -> Queue {
        Queue::new(total, per_target, 2)
    }

    #[test]
    fn pending_is_bounded_per_target_and_in_total() {
        let q = queue(3, 2);
        assert!(q.admit("a").is_ok());
        assert!(q.admit("a").is_ok());
        let e = q.admit("a").unwrap_err();
        assert!(
            e.contains("queue full: 2 webhooks already pending for a"),
            "{e}"
        );
        assert!(q.admit("b").is_ok());
        let e = q.admit("c").unwrap_err();
        assert!(
            e.contains("queue full: 3 webhooks already pending in total"),
            "{e}"
        );
        q.release("a");
        assert!(q.admit("c").is_ok());
        for t in ["a", "b", "c"] {
            q.release(t);
        }
        let p = q.lock();
        assert_eq!(p.total, 0);
        assert!(p.targets.is_empty(), "idle targets are forgotten");
    }

    #[test]
    fn one_target_shares_one_semaphore() {
        let q = queue(10, 10);
        let a = q.admit("a").unwrap();
        let a2 = q.admit("a").unwrap();
        let b = q.admit("b").unwrap();
        assert!(Arc::ptr_eq(&a, &a2) && !Arc::ptr_eq(&a, &b));
        assert_eq!(a.available_permits(), 2);
    }
}
