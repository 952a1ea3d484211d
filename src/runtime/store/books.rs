//! The store's bookkeeping under its lock: the entries, the scanRef and
//! token indexes, the deadline index, the byte count, and eviction.

use super::{deadline_of, stored_bytes, Entry, Inner, Limits};
use crate::domain::status::Overall;
use crate::domain::verification::Verification;

impl Inner {
    pub(super) fn seq_of(&self, scan_ref: &str) -> Option<u64> {
        self.by_scan_ref.get(scan_ref).copied()
    }

    /// Adds `v` under a new sequence, replacing any verification with the
    /// same scanRef or authToken. The caller refreshes it.
    pub(super) fn add(&mut self, v: Box<Verification>) -> u64 {
        if let Some(old) = self.seq_of(&v.scan_ref) {
            self.remove(old);
        }
        if let Some(&old) = self.by_token.get(v.auth_token.as_str()) {
            self.remove(old);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_scan_ref.insert(v.scan_ref.clone(), seq);
        self.by_token.insert(Box::from(v.auth_token.as_str()), seq);
        self.entries.insert(
            seq,
            Entry {
                v,
                bytes: 0,
                measured: None,
                settled: false,
                due: None,
            },
        );
        seq
    }

    /// Removes a verification with everything the books hold about it.
    pub(super) fn remove(&mut self, seq: u64) -> Option<Entry> {
        let e = self.entries.remove(&seq)?;
        self.by_scan_ref.remove(&*e.v.scan_ref);
        self.by_token.remove(e.v.auth_token.as_str());
        self.settled.remove(&seq);
        if let Some((at, _)) = e.due {
            self.deadlines.remove(&(at, seq));
        }
        self.bytes -= e.bytes;
        Some(e)
    }

    /// Brings the books in line with a verification that may have changed:
    /// its size, whether it is settled, its deadline. Returns whether its
    /// deadline is now the earliest of all (the sweeper must hear of it).
    pub(super) fn refresh(&mut self, seq: u64, retention_secs: i64) -> bool {
        let Some(e) = self.entries.get_mut(&seq) else {
            return false;
        };
        if !e
            .measured
            .as_ref()
            .is_some_and(|m| std::sync::Arc::ptr_eq(m, &e.v.request))
        {
            let bytes = stored_bytes(&e.v);
            self.bytes = self.bytes - e.bytes + bytes;
            e.bytes = bytes;
            e.measured = Some(e.v.request.clone());
        }
        let settled = e.v.status != Overall::Active;
        if settled != e.settled {
            e.settled = settled;
            if settled {
                self.settled.insert(seq);
            } else {
                self.settled.remove(&seq);
            }
        }
        let due = deadline_of(&e.v, retention_secs);
        if due == e.due {
            return false;
        }
        if let Some((at, _)) = e.due {
            self.deadlines.remove(&(at, seq));
        }
        e.due = due;
        let Some((at, _)) = due else {
            return false;
        };
        let earliest = self.deadlines.first().is_none_or(|&(first, _)| at < first);
        self.deadlines.insert((at, seq));
        earliest
    }

    /// Evicts until within `limits`: the oldest settled verification first,
    /// else the oldest active one; never `keep` (the one just stored or
    /// changed, which its caller is about to answer with).
    /// Returns the evicted entries, for the caller to free once the lock
    /// is released.
    pub(super) fn enforce(&mut self, limits: &Limits, keep: u64) -> Vec<Entry> {
        let mut evicted = Vec::new();
        while self.entries.len() > limits.max_verifications || self.bytes > limits.max_bytes {
            let victim = self
                .settled
                .iter()
                .find(|&&s| s != keep)
                .or_else(|| self.entries.keys().find(|&&s| s != keep))
                .copied();
            let Some(seq) = victim else {
                break;
            };
            evicted.extend(self.remove(seq));
            self.evicted += 1;
        }
        evicted
    }
}
