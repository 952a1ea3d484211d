//! Configured partners at run time: who a key pair is, and what it may still do
//! (credits, rate limit).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use subtle::ConstantTimeEq;

use crate::config::PartnerConfig;

/// Index of a partner in [`Partners`]; a verification belongs to exactly one.
pub use crate::domain::PartnerId;
use crate::runtime::sync::{Ordered, Rank};

pub struct Partner {
    pub config: PartnerConfig,
    credits_left: Option<AtomicU64>,
    /// (window start in Unix seconds, requests in that window)
    window: Ordered<(i64, u64)>,
}

impl Partner {
    fn new(config: PartnerConfig) -> Partner {
        Partner {
            credits_left: config.credits.map(AtomicU64::new),
            config,
            window: Ordered::new(Rank::RateWindow, (0, 0)),
        }
    }

    pub fn key(&self) -> &str {
        &self.config.api_key
    }

    /// False when credits are limited and used up.
    pub fn has_credit(&self) -> bool {
        self.credits_left
            .as_ref()
            .is_none_or(|c| c.load(Ordering::Acquire) > 0)
    }

    /// Uses one credit; false (and nothing used) when none is left.
    pub fn take_credit(&self) -> bool {
        match &self.credits_left {
            None => true,
            Some(c) => c
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok(),
        }
    }

    /// Credits left; `None` when unlimited.
    #[cfg(test)]
    pub fn credits_left(&self) -> Option<u64> {
        self.credits_left
            .as_ref()
            .map(|c| c.load(Ordering::Acquire))
    }

    /// Credits and the rate-limit window back to their configured start (a reset).
    pub fn reset_usage(&self) {
        if let (Some(left), Some(start)) = (&self.credits_left, self.config.credits) {
            left.store(start, Ordering::Release);
        }
        *self.window.lock() = (0, 0);
    }

    /// Counts one request in the current hour; false when over the limit.
    pub fn allow_request(&self, now_secs: i64) -> bool {
        let Some(limit) = self.config.rate_limit_per_hour else {
            return true;
        };
        let mut w = self.window.lock();
        if now_secs - w.0 >= 3600 || now_secs < w.0 {
            *w = (now_secs, 0);
        }
        if w.1 >= limit {
            return false;
        }
        w.1 += 1;
        true
    }
}

pub struct Partners {
    list: Vec<Partner>,
    by_key: HashMap<String, PartnerId>,
}

impl Partners {
    pub fn new(configs: &[PartnerConfig]) -> Partners {
        let list: Vec<Partner> = configs.iter().cloned().map(Partner::new).collect();
        let by_key = list
            .iter()
            .enumerate()
            .map(|(i, p)| (p.config.api_key.clone(), i))
            .collect();
        Partners { list, by_key }
    }

    /// The partner with this API key.
    pub fn by_key(&self, api_key: &str) -> Option<PartnerId> {
        self.by_key.get(api_key).copied()
    }

    pub fn get(&self, id: PartnerId) -> &Partner {
        &self.list[id]
    }

    pub fn iter(&self) -> impl Iterator<Item = (PartnerId, &Partner)> {
        self.list.iter().enumerate()
    }

    /// The partner whose key pair this is. The secret is compared in constant
    /// time; an unknown key still costs one comparison, so timing tells little.
    pub fn authenticate(&self, api_key: &str, api_secret: &str) -> Option<PartnerId> {
        let id = self.by_key.get(api_key).copied();
        let expected = id.map_or(&[][..], |i| self.list[i].config.api_secret.as_bytes());
        let matches: bool = expected.ct_eq(api_secret.as_bytes()).into();
        match id {
            Some(i) if matches => Some(i),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn partners(extra: &str) -> Partners {
        let c = Config::from_toml(
            &format!("[[partners]]\napi_key='k'\napi_secret='s'\n{extra}"),
            "test",
        )
        .unwrap();
        Partners::new(&c.partners)
    }

    #[test]
    fn authenticates_only_the_exact_pair() {
        let p = partners("");
        assert_eq!(p.authenticate("k", "s"), Some(0));
        assert_eq!(p.authenticate("k", "S"), None);
        assert_eq!(p.authenticate("k", ""), None);
        assert_eq!(p.authenticate("x", "s"), None);
    }

    #[test]
    fn credits_run_out() {
        let p = partners("credits = 2");
        let partner = p.get(0);
        assert!(partner.take_credit() && partner.take_credit());
        assert!(!partner.has_credit() && !partner.take_credit());
        assert_eq!(partner.credits_left(), Some(0));
    }

    #[test]
    fn rate_limit_window() {
        let p = partners("rate_limit_per_hour = 2");
        let partner = p.get(0);
        assert!(partner.allow_request(100) && partner.allow_request(101));
        assert!(!partner.allow_request(102));
        assert!(partner.allow_request(100 + 3600));
    }
}
