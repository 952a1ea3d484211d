//! Verifications in memory, by scanRef, with a lookup by authToken. Access is
//! through closures so no lock is held across an `.await`.
//!
//! Every lookup made for a partner checks ownership: another partner's
//! verification is answered exactly like an unknown one.

use dashmap::DashMap;

use crate::domain::verification::Verification;
use crate::partners::PartnerId;

#[derive(Default)]
pub struct Store {
    by_scan_ref: DashMap<String, Verification>,
    scan_ref_by_token: DashMap<String, String>,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// Adds a verification; `f` runs on it while it is still locked, so events
    /// it produces are ordered before any later change to it.
    pub fn insert_with<R>(&self, v: Verification, f: impl FnOnce(&mut Verification) -> R) -> R {
        self.scan_ref_by_token
            .insert(v.auth_token.clone(), v.scan_ref.clone());
        let mut entry = self.by_scan_ref.entry(v.scan_ref.clone()).insert(v);
        f(entry.value_mut())
    }

    /// Reads a partner's verification; `None` if unknown or another partner's.
    pub fn read<R>(
        &self,
        partner: PartnerId,
        scan_ref: &str,
        f: impl FnOnce(&Verification) -> R,
    ) -> Option<R> {
        let v = self.by_scan_ref.get(scan_ref)?;
        (v.partner == partner).then(|| f(&v))
    }

    /// Changes a partner's verification; `None` if unknown or another partner's.
    pub fn update<R>(
        &self,
        partner: PartnerId,
        scan_ref: &str,
        f: impl FnOnce(&mut Verification) -> R,
    ) -> Option<R> {
        let mut v = self.by_scan_ref.get_mut(scan_ref)?;
        (v.partner == partner).then(|| f(&mut v))
    }

    /// Changes a verification whoever owns it (for the mock's own workers).
    pub fn update_any<R>(
        &self,
        scan_ref: &str,
        f: impl FnOnce(&mut Verification) -> R,
    ) -> Option<R> {
        let mut v = self.by_scan_ref.get_mut(scan_ref)?;
        Some(f(&mut v))
    }

    /// Reads a verification whoever owns it (for the mock's own pages).
    pub fn read_any<R>(&self, scan_ref: &str, f: impl FnOnce(&Verification) -> R) -> Option<R> {
        self.by_scan_ref.get(scan_ref).map(|v| f(&v))
    }

    /// The scanRef an authToken belongs to.
    pub fn scan_ref_of_token(&self, auth_token: &str) -> Option<String> {
        self.scan_ref_by_token.get(auth_token).map(|s| s.clone())
    }

    pub fn len(&self) -> usize {
        self.by_scan_ref.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_scan_ref.is_empty()
    }
}
