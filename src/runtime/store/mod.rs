//! Verifications in memory: plain maps under one lock, as tokio's
//! mini-redis keeps its database. Access is through closures, so the lock is
//! never held across an `.await` and nothing is copied to answer a lookup.
//!
//! Every lookup made for a partner checks ownership: another partner's
//! verification is answered exactly like an unknown one.
//!
//! Each verification's next deadline (its expiry while ACTIVE, the end of
//! its retention once settled) is kept under the same lock, in an index
//! beside the entries, and recomputed from the verification after every
//! change. Removing a verification removes its deadline, so the index never
//! holds anything stale and never needs cleaning.
//!
//! Bounded by count and by bytes: when either is over, the oldest settled
//! (not ACTIVE) verification goes first; only when none is settled, the
//! oldest active one. Evictions are counted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use subtle::ConstantTimeEq;
use tokio::sync::Notify;

use crate::domain::status::Overall;
use crate::domain::verification::Verification;
use crate::runtime::partners::PartnerId;
use crate::runtime::sync::{Guard, Ordered, Rank};

mod books;
mod size;

pub use size::stored_bytes;

/// A sane upper bound for `store.max_verifications` (config checks it).
pub use crate::config::MAX_VERIFICATIONS as MAX_CAPACITY;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKind {
    /// The token (or its session) runs out.
    Expire,
    /// The verification's retention ends.
    Purge,
    /// A `DOCUMENT_EXPIRATION` notice of an approved verification is due.
    DocumentExpiration,
}

/// The store's bounds and the retention rule its deadlines follow.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Verifications kept at most (at least 1).
    pub max_verifications: usize,
    /// Approximate bytes kept at most (see [`stored_bytes`]).
    pub max_bytes: usize,
    /// Seconds a settled verification is kept after its result.
    pub retention_secs: i64,
}

/// Counters for the control API (`GET /_mock/stats`), tests and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoreStats {
    /// Verifications stored now, and at most (`store.max_verifications`).
    pub stored: usize,
    pub max: usize,
    /// Their estimated size ([`stored_bytes`]), and the store's share of
    /// `store.memory_budget_mib`.
    pub bytes: usize,
    pub max_bytes: usize,
    /// Removed to stay within `max` or `max_bytes` (oldest settled first).
    pub evicted: u64,
    /// Removed when their retention ended.
    pub purged: u64,
    /// Pending deadlines (expiry, session end, retention).
    pub deadlines: usize,
}

pub struct Store {
    inner: Ordered<Inner>,
    limits: Limits,
    /// Woken when a deadline earlier than every other one is added, so the
    /// sweeper does not sleep past it.
    pub changed: Notify,
}

#[derive(Default)]
struct Inner {
    /// Every verification by creation sequence: iterating is oldest first.
    entries: BTreeMap<u64, Entry>,
    by_scan_ref: HashMap<Arc<str>, u64>,
    /// Keyed by the token itself. The map's hasher has a random key, so a
    /// guessed token lands in a bucket unrelated to any real one; the
    /// verification's token is then compared in constant time.
    by_token: HashMap<Box<str>, u64>,
    /// Sequences of settled (not ACTIVE) verifications, oldest first: the
    /// first to be evicted.
    settled: BTreeSet<u64>,
    /// (Unix second, sequence) of each verification's next deadline.
    deadlines: BTreeSet<(i64, u64)>,
    next_seq: u64,
    /// Sum of the entries' `bytes`.
    bytes: usize,
    evicted: u64,
    purged: u64,
}

struct Entry {
    /// Boxed: the ordered map moves entries around as it grows, and a
    /// pointer is cheaper to move than a verification.
    v: Box<Verification>,
    /// [`stored_bytes`] of `v`, as last computed.
    bytes: usize,
    /// The request `bytes` was measured with. Nothing else in a stored
    /// verification changes its size, and a request is never changed in
    /// place (it is replaced), so the books measure again only when `v`
    /// holds another request.
    measured: Option<std::sync::Arc<crate::domain::token::TokenRequest>>,
    settled: bool,
    /// The deadline `v` is in the index under, if any.
    due: Option<(i64, TimerKind)>,
}

/// A verification's next deadline: its expiry while ACTIVE; its next
/// document-expiration notice while one is to come (it is kept until its
/// last); else the end of its retention once it has a result (or expired).
pub fn deadline_of(v: &Verification, retention_secs: i64) -> Option<(i64, TimerKind)> {
    if v.status == Overall::Active {
        return Some((v.deadline(), TimerKind::Expire));
    }
    if let Some(at) = v.next_expiration_at() {
        return Some((at, TimerKind::DocumentExpiration));
    }
    v.finished_at
        .map(|f| (f.saturating_add(retention_secs), TimerKind::Purge))
}

impl Store {
    /// `max_verifications` is clamped to 1..=[`MAX_CAPACITY`].
    pub fn new(limits: Limits) -> Store {
        Store {
            inner: Ordered::new(Rank::Store, Inner::default()),
            limits: Limits {
                max_verifications: limits.max_verifications.clamp(1, MAX_CAPACITY),
                ..limits
            },
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> Guard<'_, Inner> {
        self.inner.lock()
    }

    /// Stores `v` (replacing one with the same scanRef or authToken) and
    /// runs `f` on it while the store is locked, so events `f` produces are
    /// ordered before any later change to it. May evict older ones.
    pub fn insert<R>(&self, v: Verification, f: impl FnOnce(&mut Verification) -> R) -> R {
        let mut inner = self.lock();
        let mut v = Box::new(v);
        let result = f(&mut v);
        let seq = inner.add(v);
        self.after_change(inner, seq);
        result
    }

    /// Brings the books in line with the verification `seq` that was just
    /// stored or changed, evicts what no longer fits, then lets go of the
    /// lock: freeing the evicted verifications and waking the sweeper need
    /// not hold it.
    fn after_change(&self, mut inner: Guard<'_, Inner>, seq: u64) {
        let earliest = inner.refresh(seq, self.limits.retention_secs);
        let evicted = inner.enforce(&self.limits, seq);
        drop(inner);
        drop(evicted);
        if earliest {
            self.changed.notify_waiters();
        }
    }

    fn with_read<R>(&self, scan_ref: &str, f: impl FnOnce(&Verification) -> R) -> Option<R> {
        let inner = self.lock();
        let seq = inner.seq_of(scan_ref)?;
        inner.entries.get(&seq).map(|e| f(&e.v))
    }

    /// Runs `f` on a verification, then updates the books from what it
    /// became. `f` must not change the identifiers.
    fn with_write<R>(&self, scan_ref: &str, f: impl FnOnce(&mut Verification) -> R) -> Option<R> {
        let mut inner = self.lock();
        let seq = inner.seq_of(scan_ref)?;
        let result = f(&mut inner.entries.get_mut(&seq)?.v);
        self.after_change(inner, seq);
        Some(result)
    }

    /// Reads a partner's verification; `None` if unknown or another partner's.
    pub fn read<R>(
        &self,
        partner: PartnerId,
        scan_ref: &str,
        f: impl FnOnce(&Verification) -> R,
    ) -> Option<R> {
        self.with_read(scan_ref, |v| (v.partner == partner).then(|| f(v)))?
    }

    /// Changes a partner's verification; `None` if unknown or another partner's.
    pub fn update<R>(
        &self,
        partner: PartnerId,
        scan_ref: &str,
        f: impl FnOnce(&mut Verification) -> R,
    ) -> Option<R> {
        self.with_write(scan_ref, |v| (v.partner == partner).then(|| f(v)))?
    }

    /// Changes a verification whoever owns it (for the mock's own workers).
    pub fn update_any<R>(
        &self,
        scan_ref: &str,
        f: impl FnOnce(&mut Verification) -> R,
    ) -> Option<R> {
        self.with_write(scan_ref, f)
    }

    /// Reads a verification whoever owns it (for the mock's own pages).
    pub fn read_any<R>(&self, scan_ref: &str, f: impl FnOnce(&Verification) -> R) -> Option<R> {
        self.with_read(scan_ref, f)
    }

    /// Whether a verification with this scanRef is stored (any partner's).
    pub fn contains(&self, scan_ref: &str) -> bool {
        self.lock().by_scan_ref.contains_key(scan_ref)
    }

    /// The scanRef an authToken belongs to. The token is the verification
    /// page's only credential: the match is confirmed in constant time.
    pub fn scan_ref_of_token(&self, auth_token: &str) -> Option<Arc<str>> {
        let inner = self.lock();
        let seq = inner.by_token.get(auth_token)?;
        let v = &inner.entries.get(seq)?.v;
        bool::from(v.auth_token.as_bytes().ct_eq(auth_token.as_bytes())).then(|| v.scan_ref.clone())
    }

    /// Removes a verification whose retention ended, when `due` says so.
    pub fn purge_if(&self, scan_ref: &str, due: impl FnOnce(&Verification) -> bool) -> bool {
        let mut inner = self.lock();
        let Some(seq) = inner.seq_of(scan_ref) else {
            return false;
        };
        let Some(e) = inner.entries.get(&seq) else {
            return false;
        };
        if due(&e.v) {
            inner.remove(seq);
            inner.purged += 1;
            return true;
        }
        // Not due after all (the clock moved back): its deadline goes back
        // in the index, which `take_due` had taken it out of.
        let earliest = inner.refresh(seq, self.limits.retention_secs);
        drop(inner);
        if earliest {
            self.changed.notify_waiters();
        }
        false
    }

    /// Calls `f` on every verification, oldest first.
    pub fn for_each(&self, mut f: impl FnMut(&Verification)) {
        for e in self.lock().entries.values() {
            f(&e.v);
        }
    }

    /// One page of the verifications `keep` accepts, oldest first: how many
    /// it accepts in all, and `map` of those from `offset` on, at most
    /// `limit`. Only the page's items are mapped.
    pub fn page<R>(
        &self,
        offset: usize,
        limit: usize,
        mut keep: impl FnMut(&Verification) -> bool,
        mut map: impl FnMut(&Verification) -> R,
    ) -> (usize, Vec<R>) {
        let inner = self.lock();
        let mut total = 0;
        let mut items = Vec::with_capacity(limit.min(1000));
        for e in inner.entries.values() {
            if !keep(&e.v) {
                continue;
            }
            if total >= offset && items.len() < limit {
                items.push(map(&e.v));
            }
            total += 1;
        }
        (total, items)
    }

    /// Removes every verification stored so far, running `fence` under the
    /// same lock (a restore: what is stored after it is kept, and its
    /// webhooks are fenced at the same instant, so a verification and its
    /// journal entries are kept or forgotten together); returns how many
    /// went and what `fence` returned.
    pub fn forget_all_fenced<T>(&self, fence: impl FnOnce() -> T) -> (usize, T) {
        let mut inner = self.lock();
        let fenced = fence();
        let gone: Vec<u64> = inner.entries.keys().copied().collect();
        for &seq in &gone {
            inner.remove(seq);
        }
        (gone.len(), fenced)
    }

    /// Removes every verification `keep` refuses; returns how many went.
    pub fn retain(&self, mut keep: impl FnMut(&Verification) -> bool) -> usize {
        let mut inner = self.lock();
        let gone: Vec<u64> = inner
            .entries
            .iter()
            .filter(|(_, e)| !keep(&e.v))
            .map(|(&seq, _)| seq)
            .collect();
        for &seq in &gone {
            inner.remove(seq);
        }
        gone.len()
    }

    /// Takes out of the index every deadline at or before Unix second
    /// `now`, earliest first. The caller acts on each (expire, purge); the
    /// change it makes, or the lack of one, files the next deadline.
    pub fn take_due(&self, now: i64) -> Vec<(TimerKind, Arc<str>)> {
        let mut inner = self.lock();
        let mut out = Vec::new();
        while let Some(&(at, seq)) = inner.deadlines.first() {
            if at > now {
                break;
            }
            inner.deadlines.pop_first();
            if let Some(e) = inner.entries.get_mut(&seq) {
                if let Some((_, kind)) = e.due.take() {
                    out.push((kind, e.v.scan_ref.clone()));
                }
            }
        }
        out
    }

    /// The earliest deadline (Unix second), if any.
    pub fn next_due(&self) -> Option<i64> {
        self.lock().deadlines.first().map(|&(at, _)| at)
    }

    /// Deadlines in the index (at most one per verification).
    #[cfg(test)]
    pub fn deadlines(&self) -> usize {
        self.lock().deadlines.len()
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn stats(&self) -> StoreStats {
        let inner = self.lock();
        StoreStats {
            stored: inner.entries.len(),
            max: self.limits.max_verifications,
            bytes: inner.bytes,
            max_bytes: self.limits.max_bytes,
            evicted: inner.evicted,
            purged: inner.purged,
            deadlines: inner.deadlines.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::token::TokenRequest;

    fn v_with(scan_ref: &str, body: serde_json::Value) -> Verification {
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

    fn v(scan_ref: &str) -> Verification {
        v_with(scan_ref, serde_json::json!({"clientId": "c"}))
    }

    fn store(max: usize, max_bytes: usize) -> Store {
        Store::new(Limits {
            max_verifications: max,
            max_bytes,
            retention_secs: 100,
        })
    }

    fn settle(s: &Store, scan_ref: &str, at: i64) {
        s.update_any(scan_ref, |v| v.expire(at)).unwrap();
    }

    fn order(s: &Store) -> Vec<String> {
        let mut out = Vec::new();
        s.for_each(|v| out.push(v.scan_ref.to_string()));
        out
    }

    #[test]
    fn lookups_by_scan_ref_and_token_and_partner() {
        let s = store(10, usize::MAX);
        s.insert(v("a"), |_| ());
        assert!(s.contains("a") && !s.contains("b"));
        assert_eq!(s.scan_ref_of_token("tok-a").as_deref(), Some("a"));
        assert!(s.scan_ref_of_token("tok-b").is_none());
        assert!(s.scan_ref_of_token("tok-").is_none());
        assert_eq!(s.read(0, "a", |v| v.created_at), Some(0));
        // Another partner's is unknown to it.
        assert_eq!(s.read(1, "a", |v| v.created_at), None);
        assert_eq!(s.update(1, "a", |v| v.created_at = 9), None);
        assert_eq!(s.read_any("a", |v| v.created_at), Some(0));
    }

    #[test]
    fn the_books_follow_every_change() {
        let s = store(10, usize::MAX);
        for r in ["a", "b", "c"] {
            s.insert(v(r), |_| ());
        }
        let one = stored_bytes(&v("a"));
        assert_eq!((s.len(), s.stats().bytes), (3, 3 * one));
        // Same scanRef again: replaced, not doubled.
        s.insert(v("b"), |_| ());
        assert_eq!(order(&s), ["a", "c", "b"]);
        assert_eq!((s.len(), s.stats().bytes), (3, 3 * one));
        // A change that grows it is counted: a request is replaced, never
        // changed in place, and a replaced one is measured again.
        s.update_any("a", |v| {
            v.request = std::sync::Arc::new(TokenRequest {
                address: Some("x".repeat(200)),
                ..TokenRequest::clone(&v.request)
            })
        })
        .unwrap();
        let grown = s.stats().bytes;
        assert!(grown > 3 * one);
        // A change to anything else leaves the books as they were.
        s.update_any("a", |v| v.final_webhook_failed = true)
            .unwrap();
        assert_eq!(s.stats().bytes, grown);
        assert!(s.purge_if("a", |_| true));
        assert!(!s.purge_if("a", |_| true));
        assert_eq!(s.retain(|v| &*v.scan_ref != "c"), 1);
        assert_eq!((s.len(), s.stats().bytes, s.deadlines()), (1, one, 1));
        assert!(s.scan_ref_of_token("tok-c").is_none());
        assert_eq!(s.retain(|_| false), 1);
        let stats = s.stats();
        assert_eq!((stats.stored, stats.bytes, stats.purged), (0, 0, 1));
        assert_eq!(s.deadlines(), 0);
    }

    #[test]
    fn deleting_the_data_shrinks_the_books() {
        let s = store(10, usize::MAX);
        s.insert(
            v_with(
                "a",
                serde_json::json!({"clientId": "c", "address": "x".repeat(250)}),
            ),
            |_| (),
        );
        settle(&s, "a", 1);
        let before = s.stats().bytes;
        s.update_any("a", |v| v.delete()).unwrap().unwrap();
        let after = s.stats().bytes;
        assert!(after + 250 <= before, "{after} after, {before} before");
    }

    #[test]
    fn eviction_takes_the_oldest_settled_first() {
        let s = store(3, usize::MAX);
        for r in ["a", "b", "c"] {
            s.insert(v(r), |_| ());
        }
        settle(&s, "b", 1);
        settle(&s, "c", 1);
        s.insert(v("d"), |_| ());
        assert_eq!(order(&s), ["a", "c", "d"]);
        s.insert(v("e"), |_| ());
        assert_eq!(order(&s), ["a", "d", "e"]);
        // None settled: the oldest active one.
        s.insert(v("f"), |_| ());
        assert_eq!(order(&s), ["d", "e", "f"]);
        assert_eq!(s.stats().evicted, 3);
        assert_eq!(s.deadlines(), 3);
        assert!(s.scan_ref_of_token("tok-a").is_none());
    }

    #[test]
    fn a_new_verification_is_never_its_own_victim() {
        let s = store(1, usize::MAX);
        s.insert(v("a"), |_| ());
        // Settled at once (a dummy result) and the only other one active:
        // the older goes, the new one stays.
        s.insert(v("b"), |v| v.expire(1));
        assert_eq!(order(&s), ["b"]);
        // Bigger than the whole budget: kept alone rather than lost.
        let s = store(10, 10);
        s.insert(v("a"), |_| ());
        s.insert(v("b"), |_| ());
        assert_eq!(order(&s), ["b"]);
        assert_eq!(s.stats().evicted, 1);
    }

    #[test]
    fn eviction_by_bytes_keeps_the_total_under_the_budget() {
        let big = || serde_json::json!({"clientId": "c", "address": "x".repeat(255)});
        let one = stored_bytes(&v_with("0", big()));
        let s = store(1000, 10 * one);
        for i in 0..50 {
            let r = format!("{i}");
            s.insert(v_with(&r, big()), |_| ());
            if i % 2 == 0 {
                settle(&s, &r, 1);
            }
            assert!(s.stats().bytes <= 10 * one);
        }
        let kept = order(&s);
        assert_eq!(kept.len(), 10);
        // The settled (even) ones went first: what stays is active.
        assert!(
            kept.iter().all(|r| r.parse::<u32>().unwrap() % 2 == 1),
            "{kept:?}"
        );
        assert_eq!(s.stats().evicted, 40);
    }

    #[test]
    fn deadlines_follow_the_verification_and_leave_with_it() {
        let s = store(10, usize::MAX);
        s.insert(v("a"), |_| ());
        s.insert(v("b"), |_| ());
        let expiry = v("a").deadline();
        assert_eq!(s.next_due(), Some(expiry));
        // Settling replaces its expiry by the end of its retention.
        settle(&s, "a", 5);
        assert_eq!(s.deadlines(), 2);
        assert!(expiry > 105);
        assert_eq!(s.take_due(104).len(), 0);
        assert_eq!(s.take_due(105), vec![(TimerKind::Purge, Arc::from("a"))]);
        // Not due after all: it is filed again.
        assert!(!s.purge_if("a", |_| false));
        assert_eq!(s.deadlines(), 2);
        // Removing a verification removes its deadline.
        assert_eq!(s.retain(|v| &*v.scan_ref != "b"), 1);
        assert_eq!(s.deadlines(), 1);
        assert_eq!(
            s.take_due(i64::MAX),
            vec![(TimerKind::Purge, Arc::from("a"))]
        );
        assert_eq!(s.next_due(), None);
    }

    #[test]
    fn pages_are_in_creation_order_and_counted() {
        let s = store(100, usize::MAX);
        for i in 0..30 {
            // All created in the same second, scanRefs in no order.
            s.insert(v(&format!("{}", (i * 7) % 30)), |_| ());
        }
        let (total, items) = s.page(5, 3, |_| true, |v| v.scan_ref.to_string());
        assert_eq!(total, 30);
        assert_eq!(items, ["5", "12", "19"]);
        let (total, items) = s.page(0, 2, |v| v.scan_ref.len() == 1, |v| v.scan_ref.to_string());
        assert_eq!((total, items), (10, vec!["0".to_string(), "7".into()]));
        assert_eq!(s.page(40, 5, |_| true, |_| ()), (30, vec![]));
    }

    #[test]
    fn the_size_estimate_counts_what_a_verification_owns() {
        let small = stored_bytes(&v("a"));
        assert!(small > size_of::<Verification>() + 40, "{small}");
        assert!(small < 2048, "{small}");
        let questions: Vec<String> = (0..20).map(|_| "q".repeat(500)).collect();
        let steps = serde_json::json!({"ALL": {"k": "v".repeat(10_000)}});
        let big = v_with(
            "a",
            serde_json::json!({"clientId": "c", "videoCallQuestions": questions,
                "additionalSteps": steps, "additionalData": {"d": "x".repeat(5000)}}),
        );
        let size = stored_bytes(&big);
        assert!(size >= small + 20 * 500 + 10_000 + 5000, "{size}");
        // Generous, but not wildly so.
        assert!(size <= small + 2 * (20 * 500 + 10_000 + 5000), "{size}");
    }

    /// Threads creating, reading and purging at once on a small store: the
    /// counts add up, and a lookup finds its own verification or nothing.
    #[test]
    fn concurrent_use_keeps_the_books() {
        const THREADS: usize = 4;
        const EACH: usize = 3000;
        let s = store(64, usize::MAX);
        let purged = std::sync::atomic::AtomicUsize::new(0);
        let template = v("x");
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let (s, purged, template) = (&s, &purged, &template);
                scope.spawn(move || {
                    let ids = crate::runtime::ids::Ids::new(None);
                    let mut mine = Vec::new();
                    for i in 0..EACH {
                        let mut x = template.clone();
                        x.scan_ref = ids.scan_ref();
                        x.auth_token = ids.auth_token();
                        x.created_at = (t * EACH + i) as i64;
                        mine.push((x.scan_ref.clone(), x.auth_token.clone(), x.created_at));
                        s.insert(x, |_| ());
                        let (scan_ref, token, created) = &mine[i / 2];
                        if let Some(at) = s.read_any(scan_ref, |x| x.created_at) {
                            assert_eq!(at, *created);
                        }
                        if let Some(found) = s.scan_ref_of_token(token) {
                            assert_eq!(&found, scan_ref);
                        }
                        if i % 7 == 0 && s.purge_if(scan_ref, |_| true) {
                            purged.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let stats = s.stats();
        assert_eq!(stats.stored, order(&s).len());
        assert!(stats.stored <= 64);
        assert_eq!(
            stats.evicted as usize + stats.purged as usize + stats.stored,
            THREADS * EACH
        );
        assert_eq!(
            stats.purged as usize,
            purged.load(std::sync::atomic::Ordering::Relaxed)
        );
        assert_eq!(s.deadlines(), stats.stored);
    }
}
