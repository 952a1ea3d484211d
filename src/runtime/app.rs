//! The shared state every handler and task sees: [`App`], behind an `Arc`
//! as [`AppState`]. It holds the runtime parts (store, webhook engine,
//! clock, faults, partners, ids, inbox) and the configuration they were
//! built from, each behind an accessor: the parts own their data, and what
//! changes a verification is `lifecycle`, never a caller reaching in.
//!
//! The composition root (`http::server`) builds it once at start-up and
//! gives the webhook engine the lifecycle step to call when a final webhook
//! settles.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::runtime::clock::Clock;
use crate::runtime::faults::Faults;
use crate::runtime::ids::Ids;
use crate::runtime::inbox::Inbox;
use crate::runtime::partners::Partners;
use crate::runtime::store::{Limits, Store};
use crate::runtime::webhook::delivery::{Engine, FinalOutcome, Settings};
use crate::runtime::webhook::journal::Journal;
use crate::runtime::webhook::Webhooks;

/// Where the mock itself answers: the addresses it listens on, the host
/// names it is reached by (the public URL's host, the TLS names), and the
/// CA its HTTPS certificate chains to.
#[derive(Debug, Clone, Default)]
pub struct Listening {
    pub addrs: Vec<SocketAddr>,
    /// Lower case.
    pub hosts: Vec<String>,
    /// The CA certificate (PEM), when HTTPS is served (`GET /_mock/ca.pem`).
    pub ca_pem: Option<String>,
}

/// Everything a request handler may use.
pub struct App {
    config: Config,
    listening: Listening,
    /// Base of redirectUrl and fileUrls, without a trailing slash.
    public_url: String,
    partners: Partners,
    store: Store,
    clock: Arc<Clock>,
    webhooks: Webhooks,
    faults: Faults,
    inbox: Inbox,
    ids: Ids,
    started: Instant,
}

pub type AppState = Arc<App>;

impl App {
    /// Builds the state and starts the webhook engine (needs a Tokio
    /// runtime); `on_final` is told how each final webhook settled.
    pub fn new(
        config: Config,
        public_url: String,
        listening: Listening,
        on_final: FinalOutcome,
    ) -> App {
        let clock = Arc::new(Clock::new());
        let store = Store::new(Limits {
            max_verifications: config.store.max_verifications,
            max_bytes: config.store.store_budget_bytes(),
            retention_secs: i64::try_from(config.store.retention_secs).unwrap_or(i64::MAX),
        });
        let journal = Arc::new(
            Journal::new(
                config.webhooks.journal_capacity.get(),
                config.store.journal_budget_bytes(),
            )
            .with_max_waiters(config.webhooks.max_waiters.get()),
        );
        let engine = Engine::start(
            Settings::from(&config.webhooks),
            journal.clone(),
            clock.clone(),
            on_final,
        );
        App {
            partners: Partners::new(&config.partners),
            ids: Ids::new(config.seed),
            webhooks: Webhooks::new(journal, engine, clock.clone(), &config.partners),
            faults: Faults::new(config.control.max_faults),
            inbox: Inbox::default(),
            store,
            clock,
            public_url,
            listening,
            config,
            started: Instant::now(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Base of redirectUrl and fileUrls, without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Where the mock itself answers.
    pub fn listening(&self) -> &Listening {
        &self.listening
    }

    pub fn partners(&self) -> &Partners {
        &self.partners
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    pub fn ids(&self) -> &Ids {
        &self.ids
    }

    /// How long the mock has been running.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}

/// A state for unit tests: the embedded configuration, nothing listening,
/// final webhooks tell nobody.
#[cfg(test)]
pub(crate) fn test_state() -> AppState {
    Arc::new(App::new(
        Config::embedded(),
        "http://127.0.0.1:1".into(),
        Listening::default(),
        Arc::new(|_: &str, _: bool| ()),
    ))
}
