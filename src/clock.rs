//! The single source of time. Real time plus an offset that tests (and the
//! control API) can move, so expiry is tested by advancing, never by waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

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
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        real.saturating_add(self.offset_ms.load(Ordering::Relaxed))
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
}
