//! The single source of time. Real time plus an offset that tests (and the
//! control API) can move, so expiry is tested by advancing, never by waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

/// The range the mock's time may be moved within, in Unix seconds: from the
/// epoch to the start of the year 3000. Beyond it, dates stop meaning
/// anything to a client (and timestamps before 1970 are negative).
pub const MIN_SECS: i64 = 0;
pub const MAX_SECS: i64 = 32_503_680_000;

/// Whether `unix_secs` lies in [`MIN_SECS`]..=[`MAX_SECS`].
pub fn in_range(unix_secs: i64) -> bool {
    (MIN_SECS..=MAX_SECS).contains(&unix_secs)
}

fn real_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
    /// Woken whenever the time is moved, so timers re-check at once.
    pub changed: Notify,
}

impl Clock {
    pub fn new() -> Clock {
        Clock::default()
    }

    /// Milliseconds since the Unix epoch, as the mock sees it.
    pub fn now_ms(&self) -> i64 {
        real_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Whole seconds since the Unix epoch, as the mock sees it.
    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves the mock's time forward (or back, with a negative value).
    pub fn advance_secs(&self, secs: i64) {
        self.offset_ms
            .fetch_add(secs.saturating_mul(1000), Ordering::Relaxed);
        self.changed.notify_waiters();
    }

    /// Moves the mock's time by `secs` unless that would leave the allowed
    /// range ([`in_range`]); returns whether it moved.
    pub fn try_advance_secs(&self, secs: i64) -> bool {
        let real = real_ms();
        let moved = self
            .offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                let offset = offset.checked_add(secs.checked_mul(1000)?)?;
                let now_ms = real.checked_add(offset)?;
                in_range(now_ms.div_euclid(1000)).then_some(offset)
            })
            .is_ok();
        if moved {
            self.changed.notify_waiters();
        }
        moved
    }

    /// Sets the mock's time to Unix second `unix_secs`.
    pub fn set_secs(&self, unix_secs: i64) {
        let real = self.now_ms() - self.offset_ms.load(Ordering::Relaxed);
        self.offset_ms.store(
            unix_secs.saturating_mul(1000).saturating_sub(real),
            Ordering::Relaxed,
        );
        self.changed.notify_waiters();
    }

    /// Puts the mock's time this far from real time (0 = real time).
    /// Whether an offset keeps the clock within [`MIN_SECS`]..=[`MAX_SECS`]
    /// now, as the clock API's moves must.
    pub fn offset_allowed(&self, offset_ms: i64) -> bool {
        real_ms()
            .checked_add(offset_ms)
            .is_some_and(|ms| in_range(ms.div_euclid(1000)))
    }

    pub fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::Relaxed);
        self.changed.notify_waiters();
    }

    /// How far the mock's time is from real time, in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now() {
        let c = Clock::new();
        let before = c.now_secs();
        c.advance_secs(3600);
        let after = c.now_secs();
        assert!((3600..3602).contains(&(after - before)), "{before} {after}");
        c.set_secs(1_000_000);
        assert!((1_000_000..1_000_002).contains(&c.now_secs()));
    }

    #[test]
    fn advancing_stays_between_the_epoch_and_the_year_3000() {
        let c = Clock::new();
        let now = c.now_secs();
        assert!(!c.try_advance_secs(-now - 10));
        assert!(!c.try_advance_secs(MAX_SECS));
        assert!(!c.try_advance_secs(i64::MIN));
        assert!(!c.try_advance_secs(i64::MAX));
        assert_eq!(c.offset_ms(), 0, "a refused move changes nothing");
        assert!(c.try_advance_secs(-now + 5));
        assert!((5..7).contains(&c.now_secs()));
        assert!(in_range(0) && in_range(MAX_SECS) && !in_range(-1) && !in_range(MAX_SECS + 1));
    }
}
