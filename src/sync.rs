//! The one way the crate takes a lock.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, carrying on if a thread panicked while holding it.
///
/// Every lock here guards plain data that no update leaves memory-unsafe, and
/// a handler that panicked half-way leaves at worst one verification or one
/// journal entry stale: serving on beats refusing every later request.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
