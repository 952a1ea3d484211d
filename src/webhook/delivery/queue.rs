//! What is pending, in total and by target: admission against the pending
//! bounds, and each target's permits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, Semaphore};

/// What is pending, in total and by target, under one lock.
pub(super) struct Queue {
    pub(super) max_pending: usize,
    pub(super) max_pending_per_target: usize,
    pub(super) per_target_in_flight: usize,
    pub(super) state: Mutex<Pending>,
    pub(super) idle: Notify,
}

#[derive(Default)]
pub(super) struct Pending {
    pub(super) total: usize,
    /// Only targets with something pending: the map stays as small as the
    /// set of targets currently in use.
    pub(super) targets: HashMap<String, TargetSlot>,
}

pub(super) struct TargetSlot {
    pub(super) pending: usize,
    pub(super) permits: Arc<Semaphore>,
}

impl Queue {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        crate::sync::lock(&self.state)
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
