//! The shared state every handler and task sees: [`App`], behind an `Arc`
//! as [`AppState`]. Built once by the server at start-up; holds the runtime
//! parts (store, journal and delivery engine, clock, faults, partners, inbox)
//! and the configuration they were built from.

use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::runtime::clock::Clock;
use crate::runtime::faults::Faults;
use crate::runtime::ids::Ids;
use crate::runtime::inbox::Inbox;
use crate::runtime::partners::Partners;
use crate::runtime::store::{Limits, Store};
use crate::runtime::webhook::delivery::{Engine, Settings};
use crate::runtime::webhook::journal::Journal;
use crate::runtime::webhook::Webhooks;

/// Everything a request handler may use.
pub struct App {
    pub config: Config,
    /// Base of redirectUrl and fileUrls, without a trailing slash.
    pub public_url: String,
    pub partners: Partners,
    pub store: Arc<Store>,
    pub clock: Arc<Clock>,
    pub webhooks: Webhooks,
    pub faults: Arc<Faults>,
    pub inbox: Inbox,
    pub ids: Ids,
    pub started: Instant,
}

pub type AppState = Arc<App>;

impl App {
    /// Builds the state and starts the webhook engine (needs a Tokio runtime).
    pub(crate) fn new(config: Config, public_url: String) -> App {
        let clock = Arc::new(Clock::new());
        let store = Arc::new(Store::new(Limits {
            max_verifications: config.store.max_verifications,
            max_bytes: config.store.store_budget_bytes(),
            retention_secs: i64::try_from(config.store.retention_secs).unwrap_or(i64::MAX),
        }));
        let journal = Arc::new(
            Journal::new(
                config.webhooks.journal_capacity.get(),
                config.store.journal_budget_bytes(),
            )
            .with_max_waiters(config.webhooks.max_waiters.get()),
        );
        let faults = Arc::new(Faults::new());
        let on_final_store = store.clone();
        let engine = Engine::start(
            Settings::from(&config.webhooks),
            journal.clone(),
            clock.clone(),
            Arc::new(move |scan_ref: &str, delivered: bool| {
                on_final_store.update_any(scan_ref, |v| v.final_webhook_failed = !delivered);
            }),
        );
        App {
            partners: Partners::new(&config.partners),
            ids: Ids::new(config.seed),
            webhooks: Webhooks::new(journal, engine, clock.clone(), faults.clone())
                .with_subscriptions(&config.partners),
            faults,
            inbox: Default::default(),
            store,
            clock,
            public_url,
            config,
            started: Instant::now(),
        }
    }
}

/// A state for unit tests: the embedded configuration, nothing listening.
#[cfg(test)]
pub(crate) fn test_state() -> AppState {
    Arc::new(App::new(Config::embedded(), "http://127.0.0.1:1".into()))
}
