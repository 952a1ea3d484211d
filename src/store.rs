//! Verifications in memory, by scanRef, with a lookup by authToken. Access is
//! through closures so no lock is held across an `.await`.
//!
//! Every lookup made for a partner checks ownership: another partner's
//! verification is answered exactly like an unknown one.
//!
//! Bounded: past `max` verifications the oldest by creation is evicted,
//! whatever its state, and counted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use dashmap::DashMap;

/// scanRefs and authTokens are random and made by the server, so a fast
/// non-cryptographic hash is safe here (no one chooses the keys inserted).
type Hasher = foldhash::fast::RandomState;

use crate::domain::verification::Verification;
use crate::partners::PartnerId;

pub struct Store {
    /// Boxed: a table resize then moves pointers, not 760-byte values, and
    /// the table's spare slots cost a pointer each.
    by_scan_ref: DashMap<Arc<str>, Box<Verification>, Hasher>,
    scan_ref_by_token: DashMap<Box<str>, Arc<str>, Hasher>,
    /// `by_scan_ref.len()` without locking every shard.
    count: AtomicUsize,
    /// scanRefs in creation order, for eviction (may hold removed ones).
    order: Mutex<VecDeque<Arc<str>>>,
    max: usize,
    evicted: AtomicU64,
    purged: AtomicU64,
}

/// Counters for the control API and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StoreStats {
    pub stored: usize,
    pub max: usize,
    pub evicted: u64,
    pub purged: u64,
}

impl Store {
    pub fn new(max: usize) -> Store {
        Store {
            by_scan_ref: DashMap::with_hasher(Hasher::default()),
            scan_ref_by_token: DashMap::with_hasher(Hasher::default()),
            count: AtomicUsize::new(0),
            order: Mutex::new(VecDeque::new()),
            max: max.max(1),
            evicted: AtomicU64::new(0),
            purged: AtomicU64::new(0),
        }
    }

    /// Adds a verification; `f` runs on it while it is still locked, so events
    /// it produces are ordered before any later change to it.
    pub fn insert_with<R>(&self, v: Verification, f: impl FnOnce(&mut Verification) -> R) -> R {
        let key = v.scan_ref.clone();
        self.scan_ref_by_token
            .insert(Box::from(v.auth_token.as_str()), key.clone());
        let result = match self.by_scan_ref.entry(key.clone()) {
            dashmap::Entry::Occupied(mut old) => {
                old.insert(Box::new(v));
                f(old.get_mut())
            }
            dashmap::Entry::Vacant(slot) => {
                self.count.fetch_add(1, Ordering::Relaxed);
                f(slot.insert(Box::new(v)).value_mut())
            }
        };
        {
            let mut order = self.lock_order();
            order.push_back(key);
            // Purged entries linger in `order`; compact once they dominate.
            if order.len() > 2 * self.max.max(1024) {
                order.retain(|k| self.by_scan_ref.contains_key(k));
            }
        }
        // Evict outside the queue's lock: removing the oldest (long cold in
        // memory) is the slow part, and concurrent inserts must not wait for
        // it. Each eviction first claims one unit of the count, so concurrent
        // inserters never evict more than the cap requires.
        while self
            .count
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n > self.max).then(|| n - 1)
            })
            .is_ok()
        {
            if !self.evict_oldest() {
                self.count.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
        result
    }

    fn lock_order(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<str>>> {
        self.order.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Removes the oldest verification still stored (its count already
    /// claimed); false if there is none.
    fn evict_oldest(&self) -> bool {
        loop {
            let Some(oldest) = self.lock_order().pop_front() else {
                return false;
            };
            if let Some((_, v)) = self.by_scan_ref.remove(&oldest) {
                self.scan_ref_by_token.remove(v.auth_token.as_str());
                self.evicted.fetch_add(1, Ordering::Relaxed);
                return true;
            }
        }
    }

    /// Removes a verification whose retention ended, when `due` says so.
    pub fn purge_if(&self, scan_ref: &str, due: impl FnOnce(&Verification) -> bool) -> bool {
        let token = match self.by_scan_ref.remove_if(scan_ref, |_, v| due(v)) {
            Some((_, v)) => v.auth_token,
            None => return false,
        };
        self.count.fetch_sub(1, Ordering::Relaxed);
        self.scan_ref_by_token.remove(token.as_str());
        self.purged.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Reads a partner's verification; `None` if unknown or another partner's.
    pub fn read<R>(
        &self,
        partner: PartnerId,
        scan_ref: &str,
        f: impl FnOnce(&Verification) -> R,
    ) -> Option<R> {
        let v = self.by_scan_ref.get(scan_ref)?;
        (v.partner == partner).then(|| f(v.value()))
    }

    /// Changes a partner's verification; `None` if unknown or another partner's.
    pub fn update<R>(
        &self,
        partner: PartnerId,
        scan_ref: &str,
        f: impl FnOnce(&mut Verification) -> R,
    ) -> Option<R> {
        let mut v = self.by_scan_ref.get_mut(scan_ref)?;
        (v.partner == partner).then(|| f(v.value_mut()))
    }

    /// Changes a verification whoever owns it (for the mock's own workers).
    pub fn update_any<R>(
        &self,
        scan_ref: &str,
        f: impl FnOnce(&mut Verification) -> R,
    ) -> Option<R> {
        let mut v = self.by_scan_ref.get_mut(scan_ref)?;
        Some(f(v.value_mut()))
    }

    /// Reads a verification whoever owns it (for the mock's own pages).
    pub fn read_any<R>(&self, scan_ref: &str, f: impl FnOnce(&Verification) -> R) -> Option<R> {
        self.by_scan_ref.get(scan_ref).map(|v| f(v.value()))
    }

    /// Whether a verification with this scanRef is stored (any partner's).
    pub fn contains(&self, scan_ref: &str) -> bool {
        self.by_scan_ref.contains_key(scan_ref)
    }

    /// The scanRef an authToken belongs to.
    pub fn scan_ref_of_token(&self, auth_token: &str) -> Option<Arc<str>> {
        self.scan_ref_by_token.get(auth_token).map(|s| s.clone())
    }

    /// Calls `f` on every verification (in no particular order).
    pub fn for_each(&self, mut f: impl FnMut(&Verification)) {
        for v in self.by_scan_ref.iter() {
            f(v.value());
        }
    }

    /// Removes every verification `keep` refuses; returns how many went.
    pub fn retain(&self, mut keep: impl FnMut(&Verification) -> bool) -> usize {
        let mut removed = 0;
        self.by_scan_ref.retain(|_, v| {
            let kept = keep(v);
            removed += usize::from(!kept);
            kept
        });
        self.count.fetch_sub(removed, Ordering::Relaxed);
        let by_scan_ref = &self.by_scan_ref;
        self.scan_ref_by_token
            .retain(|_, scan_ref| by_scan_ref.contains_key(scan_ref));
        removed
    }

    pub fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> StoreStats {
        StoreStats {
            stored: self.len(),
            max: self.max,
            evicted: self.evicted.load(Ordering::Relaxed),
            purged: self.purged.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::token::TokenRequest;

    fn v(scan_ref: &str) -> Verification {
        let body = serde_json::json!({"clientId": "c"});
        let req = TokenRequest::parse(
            &crate::domain::fields::object_of(&body),
            &Config::embedded().defaults,
        )
        .unwrap();
        Verification::new(
            scan_ref.into(),
            format!("tok-{scan_ref}"),
            0,
            req,
            None,
            "k".into(),
            0,
        )
    }

    #[test]
    fn the_count_follows_every_change() {
        let s = Store::new(3);
        for r in ["a", "b", "c"] {
            s.insert_with(v(r), |_| ());
        }
        s.insert_with(v("b"), |_| ()); // replaced, not added
        assert_eq!((s.len(), s.stats().evicted), (3, 0));
        s.insert_with(v("d"), |_| ()); // evicts the oldest
        assert_eq!((s.len(), s.stats().evicted), (3, 1));
        assert!(s.read_any("a", |_| ()).is_none());
        assert!(s.scan_ref_of_token("tok-a").is_none());
        assert!(s.purge_if("c", |_| true));
        assert!(!s.purge_if("d", |_| false));
        assert_eq!(s.len(), 2);
        assert_eq!(s.retain(|x| &*x.scan_ref != "b"), 1);
        assert_eq!(s.len(), 1);
        assert!(s.scan_ref_of_token("tok-b").is_none());
    }
}
