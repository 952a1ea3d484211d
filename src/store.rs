//! Verifications in memory, by scanRef, with a lookup by authToken. Access is
//! through closures so no lock is held across an `.await`.
//!
//! Every lookup made for a partner checks ownership: another partner's
//! verification is answered exactly like an unknown one.
//!
//! Bounded: a new verification evicts the one created `max` before it,
//! whatever its state, and counts it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use dashmap::DashMap;
use subtle::ConstantTimeEq;

use crate::domain::verification::Verification;
use crate::ids;
use crate::partners::PartnerId;

/// A ring of slots: the n-th verification created goes to slot `n % max`,
/// evicting the one created `max` before it, and its scanRef and authToken
/// carry that slot (disguised, see [`Store::reserve`]), so a lookup is one
/// lock on one slot and a comparison — no table to hash into, no queue, and
/// an eviction reuses the evicted verification's memory.
///
/// Verifications brought back from a snapshot keep their identifiers, which
/// name no slot: two small maps find those ("foreign" ones).
pub struct Store {
    /// Allocated `CHUNK` slots at a time on first use, so an idle mock
    /// holds none.
    chunks: Box<[OnceLock<Box<[Slot]>>]>,
    max: usize,
    /// Sequence number of the next verification.
    next: AtomicU64,
    /// Occupied slots.
    count: AtomicUsize,
    evicted: AtomicU64,
    purged: AtomicU64,
    /// Disguise slot numbers in scanRefs and in authTokens (random, or
    /// from the seed).
    scan_ref_key: u32,
    auth_token_key: u32,
    foreign_scan_refs: DashMap<Arc<str>, u64>,
    foreign_tokens: DashMap<Box<str>, u64>,
}

const CHUNK: usize = 1024;

/// The most verifications a store can hold (slot numbers are 32-bit tags).
pub const MAX_CAPACITY: usize = 10_000_000;

type Slot = RwLock<Option<Entry>>;

struct Entry {
    seq: u64,
    /// Identifiers that name no slot: it is in the foreign maps.
    foreign: bool,
    /// Boxed: a free slot costs a pointer, and replacing one reuses the box.
    v: Box<Verification>,
}

/// A place in the store for a verification about to be created; its
/// identifiers must carry the two tags.
#[derive(Debug, Clone, Copy)]
pub struct Reservation {
    seq: u64,
    pub scan_ref_tag: u32,
    pub auth_token_tag: u32,
}

/// Counters for the control API and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StoreStats {
    pub stored: usize,
    pub max: usize,
    pub evicted: u64,
    pub purged: u64,
}

/// Multiplying by an odd number is a bijection on `u32`; with the key
/// XORed in, consecutive slots get unrelated-looking tags.
const MUL: u32 = 0x9e37_79b1;
const MUL_INV: u32 = inverse(MUL);

const fn inverse(a: u32) -> u32 {
    // Newton's iteration: each step doubles the correct low bits.
    let mut x = a;
    let mut i = 0;
    while i < 5 {
        x = x.wrapping_mul(2u32.wrapping_sub(a.wrapping_mul(x)));
        i += 1;
    }
    x
}

fn tag(slot: usize, key: u32) -> u32 {
    (slot as u32).wrapping_mul(MUL) ^ key
}

fn untag(tag: u32, key: u32) -> usize {
    (tag ^ key).wrapping_mul(MUL_INV) as usize
}

fn read(slot: &Slot) -> RwLockReadGuard<'_, Option<Entry>> {
    slot.read().unwrap_or_else(|p| p.into_inner())
}

fn write(slot: &Slot) -> RwLockWriteGuard<'_, Option<Entry>> {
    slot.write().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    /// `max` is clamped to 1..=[`MAX_CAPACITY`]; `key` disguises slot numbers.
    pub fn new(max: usize, key: u64) -> Store {
        let max = max.clamp(1, MAX_CAPACITY);
        Store {
            chunks: (0..max.div_ceil(CHUNK)).map(|_| OnceLock::new()).collect(),
            max,
            next: AtomicU64::new(0),
            count: AtomicUsize::new(0),
            evicted: AtomicU64::new(0),
            purged: AtomicU64::new(0),
            scan_ref_key: key as u32,
            auth_token_key: (key >> 32) as u32,
            foreign_scan_refs: DashMap::new(),
            foreign_tokens: DashMap::new(),
        }
    }

    /// The slot a sequence number goes to.
    fn index_of(&self, seq: u64) -> usize {
        (seq % self.max as u64) as usize
    }

    /// The used slot a sequence number went to.
    fn slot_of_seq(&self, seq: u64) -> Option<&Slot> {
        self.used_slot(self.index_of(seq))
    }

    /// The slot with this number, allocating its chunk if needed.
    fn slot(&self, index: usize) -> &Slot {
        let chunk = self.chunks[index / CHUNK]
            .get_or_init(|| (0..CHUNK).map(|_| RwLock::new(None)).collect());
        &chunk[index % CHUNK]
    }

    /// The slot with this number if it exists and was ever used.
    fn used_slot(&self, index: usize) -> Option<&Slot> {
        let chunk = self.chunks.get(index / CHUNK)?.get()?;
        chunk.get(index % CHUNK)
    }

    /// Takes the next place for a verification to be created.
    pub fn reserve(&self) -> Reservation {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = self.index_of(seq);
        Reservation {
            seq,
            scan_ref_tag: tag(slot, self.scan_ref_key),
            auth_token_tag: tag(slot, self.auth_token_key),
        }
    }

    /// Stores a verification created for `place` (its identifiers carry
    /// the place's tags), evicting the one there; `f` runs on it while it is
    /// still locked, so events it produces are ordered before any later
    /// change to it.
    pub fn insert_at<R>(
        &self,
        place: Reservation,
        v: Verification,
        f: impl FnOnce(&mut Verification) -> R,
    ) -> R {
        self.put(place.seq, false, v, f)
    }

    /// Stores a verification with identifiers of its own (from a snapshot),
    /// replacing one with the same scanRef.
    pub fn insert_restored<R>(&self, v: Verification, f: impl FnOnce(&mut Verification) -> R) -> R {
        if let Some((_, seq)) = self.foreign_scan_refs.remove(&*v.scan_ref) {
            if let Some(slot) = self.slot_of_seq(seq) {
                let mut entry = write(slot);
                if entry.as_ref().is_some_and(|e| e.seq == seq) {
                    let gone = self.take(&mut entry);
                    drop(entry);
                    self.forget_entry(gone);
                }
            }
        }
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        self.foreign_scan_refs.insert(v.scan_ref.clone(), seq);
        self.foreign_tokens
            .insert(Box::from(v.auth_token.as_str()), seq);
        self.put(seq, true, v, f)
    }

    fn put<R>(
        &self,
        seq: u64,
        foreign: bool,
        v: Verification,
        f: impl FnOnce(&mut Verification) -> R,
    ) -> R {
        let mut entry = write(self.slot(self.index_of(seq)));
        let (result, evicted) = match entry.as_mut() {
            // A verification created later got here first (the ring came
            // round during this insert): this one is the oldest, and goes.
            Some(e) if e.seq > seq => {
                drop(entry);
                let mut v = v;
                let result = f(&mut v);
                self.evicted.fetch_add(1, Ordering::Relaxed);
                self.forget(seq, foreign, &v);
                return result;
            }
            // The one created `max` before: replaced in its box.
            Some(e) => {
                let old_v = std::mem::replace(&mut *e.v, v);
                let old_seq = std::mem::replace(&mut e.seq, seq);
                let old_foreign = std::mem::replace(&mut e.foreign, foreign);
                (f(&mut e.v), Some((old_seq, old_foreign, old_v)))
            }
            None => {
                self.count.fetch_add(1, Ordering::Relaxed);
                let e = entry.insert(Entry {
                    seq,
                    foreign,
                    v: Box::new(v),
                });
                (f(&mut e.v), None)
            }
        };
        drop(entry);
        if let Some((old_seq, old_foreign, old_v)) = evicted {
            self.evicted.fetch_add(1, Ordering::Relaxed);
            self.forget(old_seq, old_foreign, &old_v);
        }
        result
    }

    /// Forgets the foreign identifiers of a verification that left its slot.
    fn forget(&self, seq: u64, foreign: bool, v: &Verification) {
        if foreign {
            self.foreign_scan_refs
                .remove_if(&*v.scan_ref, |_, &s| s == seq);
            self.foreign_tokens
                .remove_if(v.auth_token.as_str(), |_, &s| s == seq);
        }
    }

    /// Empties a slot; the caller forgets the entry once the lock is gone.
    fn take(&self, entry: &mut Option<Entry>) -> Option<Entry> {
        let gone = entry.take()?;
        self.count.fetch_sub(1, Ordering::Relaxed);
        Some(gone)
    }

    fn forget_entry(&self, gone: Option<Entry>) {
        if let Some(e) = gone {
            self.forget(e.seq, e.foreign, &e.v);
        }
    }

    /// The slots that may hold this scanRef: the one it names, then the
    /// one the foreign map gives.
    fn slots_of<'s>(&'s self, scan_ref: &'s str) -> impl Iterator<Item = &'s Slot> + 's {
        let named =
            ids::scan_ref_tag(scan_ref).and_then(|t| self.used_slot(untag(t, self.scan_ref_key)));
        let foreign = move || self.slot_of_seq(*self.foreign_scan_refs.get(scan_ref)?);
        named.into_iter().chain(std::iter::from_fn(foreign).take(1))
    }

    fn with_read<R>(&self, scan_ref: &str, f: impl FnOnce(&Verification) -> R) -> Option<R> {
        let mut f = Some(f);
        self.slots_of(scan_ref).find_map(|slot| {
            let entry = read(slot);
            let e = entry.as_ref().filter(|e| &*e.v.scan_ref == scan_ref)?;
            f.take().map(|f| f(&e.v))
        })
    }

    fn with_write<R>(&self, scan_ref: &str, f: impl FnOnce(&mut Verification) -> R) -> Option<R> {
        let mut f = Some(f);
        self.slots_of(scan_ref).find_map(|slot| {
            let mut entry = write(slot);
            let e = entry.as_mut().filter(|e| &*e.v.scan_ref == scan_ref)?;
            f.take().map(|f| f(&mut e.v))
        })
    }

    /// Removes a verification whose retention ended, when `due` says so.
    pub fn purge_if(&self, scan_ref: &str, due: impl FnOnce(&Verification) -> bool) -> bool {
        let mut due = Some(due);
        let gone = self.slots_of(scan_ref).find_map(|slot| {
            let mut entry = write(slot);
            let e = entry.as_ref().filter(|e| &*e.v.scan_ref == scan_ref)?;
            let due = due.take()?;
            Some(if due(&e.v) {
                self.take(&mut entry)
            } else {
                None
            })
        });
        let Some(gone @ Some(_)) = gone else {
            return false;
        };
        self.purged.fetch_add(1, Ordering::Relaxed);
        self.forget_entry(gone);
        true
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
        self.with_read(scan_ref, |_| ()).is_some()
    }

    /// The scanRef an authToken belongs to. The token is compared in
    /// constant time: it is the verification page's only credential.
    pub fn scan_ref_of_token(&self, auth_token: &str) -> Option<Arc<str>> {
        let matches = |slot: &Slot| {
            let entry = read(slot);
            let e = entry.as_ref()?;
            bool::from(e.v.auth_token.as_bytes().ct_eq(auth_token.as_bytes()))
                .then(|| e.v.scan_ref.clone())
        };
        let named = ids::auth_token_tag(auth_token)
            .and_then(|t| self.used_slot(untag(t, self.auth_token_key)))
            .and_then(matches);
        named.or_else(|| {
            self.slot_of_seq(*self.foreign_tokens.get(auth_token)?)
                .and_then(matches)
        })
    }

    /// Every slot ever used.
    fn used_slots(&self) -> impl Iterator<Item = &Slot> {
        self.chunks.iter().filter_map(OnceLock::get).flatten()
    }

    /// Calls `f` on every verification (in no particular order).
    pub fn for_each(&self, mut f: impl FnMut(&Verification)) {
        for slot in self.used_slots() {
            if let Some(e) = read(slot).as_ref() {
                f(&e.v);
            }
        }
    }

    /// Removes every verification `keep` refuses; returns how many went.
    pub fn retain(&self, mut keep: impl FnMut(&Verification) -> bool) -> usize {
        let mut removed = 0;
        for slot in self.used_slots() {
            let mut entry = write(slot);
            if entry.as_ref().is_some_and(|e| !keep(&e.v)) {
                let gone = self.take(&mut entry);
                drop(entry);
                removed += 1;
                self.forget_entry(gone);
            }
        }
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
        let s = Store::new(3, 0x1234_5678_9abc_def0);
        for r in ["a", "b", "c"] {
            s.insert_restored(v(r), |_| ());
        }
        assert_eq!((s.len(), s.stats().evicted), (3, 0));
        s.insert_restored(v("d"), |_| ()); // evicts the oldest
        assert_eq!((s.len(), s.stats().evicted), (3, 1));
        assert!(s.read_any("a", |_| ()).is_none());
        assert!(s.scan_ref_of_token("tok-a").is_none());
        assert_eq!(s.scan_ref_of_token("tok-b").as_deref(), Some("b"));
        // Replaced, not added: the old one leaves a slot that the new one,
        // next in the ring, happens to take.
        s.insert_restored(v("b"), |x| x.created_at = 7);
        assert_eq!((s.len(), s.stats().evicted), (3, 1));
        assert_eq!(s.read_any("b", |x| x.created_at), Some(7));
        assert_eq!(s.scan_ref_of_token("tok-b").as_deref(), Some("b"));
        assert!(s.purge_if("d", |_| true));
        assert!(!s.purge_if("b", |_| false));
        assert_eq!(s.len(), 2);
        assert_eq!(s.retain(|x| &*x.scan_ref != "b"), 1);
        assert_eq!(s.len(), 1);
        assert!(s.contains("c"));
        assert!(s.scan_ref_of_token("tok-b").is_none());
        s.retain(|_| false);
        assert!(s.foreign_scan_refs.is_empty() && s.foreign_tokens.is_empty());
    }

    /// Identifiers made for a reservation are found through their slot, and
    /// only while that verification is the slot's.
    #[test]
    fn created_identifiers_name_their_slot() {
        let s = Store::new(2, 42);
        let ids = crate::ids::Ids::new(Some(1));
        let mut made = Vec::new();
        for _ in 0..3 {
            let place = s.reserve();
            let mut x = v("x");
            x.scan_ref = ids.scan_ref(place.scan_ref_tag);
            x.auth_token = ids.auth_token(place.auth_token_tag);
            made.push((x.scan_ref.clone(), x.auth_token.clone()));
            s.insert_at(place, x, |_| ());
        }
        assert_eq!((s.len(), s.stats().evicted), (2, 1));
        let (first, first_token) = &made[0];
        assert!(!s.contains(first));
        assert!(s.scan_ref_of_token(first_token).is_none());
        for (scan_ref, token) in &made[1..] {
            assert!(s.contains(scan_ref));
            assert_eq!(s.scan_ref_of_token(token).as_ref(), Some(scan_ref));
            // One character off is another token.
            let mut wrong = token.clone();
            wrong.pop();
            wrong.push('!');
            assert!(s.scan_ref_of_token(&wrong).is_none());
        }
        assert!(s.foreign_scan_refs.is_empty());
    }

    /// Eviction counts creations, not stored verifications: a purge leaves
    /// a hole, and the next creation still evicts the one `max` before it.
    #[test]
    fn eviction_counts_creations_not_room() {
        let s = Store::new(3, 0);
        for r in ["a", "b", "c"] {
            s.insert_restored(v(r), |_| ());
        }
        assert!(s.purge_if("b", |_| true));
        assert_eq!(s.len(), 2);
        s.insert_restored(v("d"), |_| ());
        assert!(!s.contains("a") && s.contains("c") && s.contains("d"));
        assert_eq!((s.len(), s.stats().evicted, s.stats().purged), (2, 1, 1));
    }

    /// The ring came round while an insert was in flight: the older one goes.
    #[test]
    fn a_late_insert_never_evicts_a_newer_one() {
        let s = Store::new(1, 0);
        let ids = crate::ids::Ids::new(None);
        let made = |place: Reservation| {
            let mut x = v("x");
            x.scan_ref = ids.scan_ref(place.scan_ref_tag);
            x.auth_token = ids.auth_token(place.auth_token_tag);
            x
        };
        let (old, new) = (s.reserve(), s.reserve());
        let (old, new) = ((old, made(old)), (new, made(new)));
        let (old_ref, new_ref) = (old.1.scan_ref.clone(), new.1.scan_ref.clone());
        s.insert_at(new.0, new.1, |_| ());
        // The late one's callback still runs (its events are not lost).
        assert_eq!(s.insert_at(old.0, old.1, |x| x.scan_ref.clone()), old_ref);
        assert!(s.contains(&new_ref) && !s.contains(&old_ref));
        assert_eq!((s.len(), s.stats().evicted), (1, 1));
    }

    /// Threads creating, reading and purging at once on a small ring: the
    /// counts add up, and a lookup finds its own verification or nothing.
    #[test]
    fn concurrent_use_keeps_the_books() {
        const THREADS: usize = 4;
        const EACH: usize = 3000;
        let s = Store::new(64, 7);
        let purged = AtomicUsize::new(0);
        let template = v("x");
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let (s, purged, template) = (&s, &purged, &template);
                scope.spawn(move || {
                    let ids = crate::ids::Ids::new(None);
                    let mut mine = Vec::new();
                    for i in 0..EACH {
                        let place = s.reserve();
                        let mut x = template.clone();
                        x.scan_ref = ids.scan_ref(place.scan_ref_tag);
                        x.auth_token = ids.auth_token(place.auth_token_tag);
                        x.created_at = (t * EACH + i) as i64;
                        mine.push((x.scan_ref.clone(), x.auth_token.clone(), x.created_at));
                        s.insert_at(place, x, |_| ());
                        let (scan_ref, token, created) = &mine[i / 2];
                        if let Some(at) = s.read_any(scan_ref, |x| x.created_at) {
                            assert_eq!(at, *created);
                        }
                        if let Some(found) = s.scan_ref_of_token(token) {
                            assert_eq!(&found, scan_ref);
                        }
                        if i % 7 == 0 && s.purge_if(scan_ref, |_| true) {
                            purged.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let stats = s.stats();
        let mut stored = 0;
        s.for_each(|_| stored += 1);
        assert_eq!(stats.stored, stored);
        assert!(stored <= 64);
        assert_eq!(
            stats.evicted as usize + stats.purged as usize + stored,
            THREADS * EACH
        );
        assert_eq!(stats.purged as usize, purged.load(Ordering::Relaxed));
    }

    #[test]
    fn slot_disguise_is_a_bijection() {
        assert_eq!(MUL.wrapping_mul(MUL_INV), 1);
        for key in [0, 0xdead_beef, u32::MAX] {
            for slot in [0, 1, 2, 1023, 1024, MAX_CAPACITY - 1] {
                assert_eq!(untag(tag(slot, key), key), slot);
            }
        }
    }
}
