//! An iDenfy mock inside your own Rust tests, in the style of `wiremock`:
//! start it on a random loopback port, point your client at [`MockServer::uri`],
//! and read or wait for the webhooks it produced. Dropping it shuts it down.
//!
//! ```
//! use std::time::Duration;
//! use idenfy_mock::{MockServer, PartnerConfig, WebhookFilter};
//!
//! # #[tokio::main(flavor = "multi_thread")]
//! # async fn main() {
//! let mock = MockServer::builder()
//!     .partner(PartnerConfig::new("my-key", "my-secret").with_signing_key("my-signing-key"))
//!     .seed(7)
//!     .start()
//!     .await;
//!
//! // Your application talks to mock.uri() instead of https://ivs.idenfy.com.
//! let response = reqwest::Client::new()
//!     .post(format!("{}/api/v2/token", mock.uri()))
//!     .basic_auth("my-key", Some("my-secret"))
//!     .header("Content-Type", "application/json")
//!     .body(r#"{"clientId": "user-1", "dummyStatus": "APPROVED"}"#)
//!     .send()
//!     .await
//!     .unwrap();
//! assert_eq!(response.status(), 201);
//!
//! // The result webhook was produced (and sent, had a webhook URL been set).
//! let webhook = mock
//!     .wait_for_webhook(WebhookFilter::default(), Duration::from_secs(5))
//!     .await
//!     .expect("a webhook");
//! assert_eq!(webhook.event.as_str(), "IDENTIFICATION_AUTO_FINISHED");
//! assert!(webhook.header("Idenfy-Signature").is_some());
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::{Config, PartnerConfig, SubscriptionConfig};
use crate::domain::Environment;
use crate::server::Server;
use crate::webhook::journal::{DeliveryState, Filter, Journal, WaitError, WebhookRecord};

/// A running mock on `127.0.0.1:<random port>`, shut down on drop.
pub struct MockServer {
    server: Server,
}

/// Configures a [`MockServer`] before it starts.
pub struct MockServerBuilder {
    config: Config,
    partners: Vec<PartnerConfig>,
}

impl MockServer {
    /// A builder starting from the embedded defaults (the well-known DEV
    /// partner `idenfy-mock-key` / `idenfy-mock-secret`).
    pub fn builder() -> MockServerBuilder {
        let mut config = Config::embedded();
        config.listen = "127.0.0.1:0".into();
        MockServerBuilder {
            config,
            partners: Vec::new(),
        }
    }

    /// Starts with the embedded defaults.
    pub async fn start() -> MockServer {
        Self::builder().start().await
    }

    /// The base URL to use instead of `https://ivs.idenfy.com`.
    pub fn uri(&self) -> String {
        self.server.url().to_owned()
    }

    /// The first configured partner's API key and secret.
    pub fn credentials(&self) -> (String, String) {
        let p = &self.server.app().config.partners[0];
        (p.api_key.clone(), p.api_secret.clone())
    }

    /// Every webhook produced so far (oldest first), with its exact body,
    /// headers and delivery attempts.
    pub fn webhooks(&self) -> Vec<WebhookRecord> {
        self.journal().list(&Filter::default())
    }

    /// The webhook journal.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.server.app().webhooks.journal
    }

    /// Waits until a webhook matching `filter` has settled (delivered,
    /// failed, undeliverable or dropped; or is in the state `filter` names),
    /// or `timeout` passes ([`WaitError::TimedOut`]). It is the same wait,
    /// with the same default, as the control API's `/_mock/webhooks/wait`:
    /// woken only by a change to a webhook it can match, and refused
    /// ([`WaitError::TooManyWaiters`]) past `webhooks.max_waiters` open waits.
    pub async fn wait_for_webhook(
        &self,
        filter: Filter,
        timeout: Duration,
    ) -> Result<WebhookRecord, WaitError> {
        self.journal().wait_for(&filter.for_wait(), timeout).await
    }

    /// Waits until a webhook matching `filter` was delivered to its target.
    pub async fn wait_for_delivered(
        &self,
        filter: Filter,
        timeout: Duration,
    ) -> Result<WebhookRecord, WaitError> {
        let filter = Filter {
            state: Some(DeliveryState::Delivered),
            ..filter
        };
        self.journal().wait_for(&filter, timeout).await
    }

    /// The mock's clock: advance it to expire tokens without waiting.
    pub fn clock(&self) -> &Arc<Clock> {
        &self.server.app().clock
    }

    /// The underlying server, for everything else.
    pub fn server(&self) -> &Server {
        &self.server
    }
}

impl MockServerBuilder {
    /// Adds a partner; the first call replaces the default partners.
    pub fn partner(mut self, partner: PartnerConfig) -> Self {
        self.partners.push(partner);
        self
    }

    /// The global webhook target (`[webhooks].url`).
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.config.webhooks.url = url.into();
        self
    }

    /// Reproducible authToken, scanRef and digitString sequences.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = Some(seed);
        self
    }

    /// Any other setting.
    pub fn config(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self
    }

    /// Starts the server. Panics with the reason if the configuration is
    /// invalid or no loopback port can be bound: a test set-up error.
    pub async fn start(mut self) -> MockServer {
        if !self.partners.is_empty() {
            self.config.partners = self.partners;
        }
        if let Err(e) = self.config.validate("MockServer configuration") {
            panic!("idenfy-mock: {e}");
        }
        match Server::start(self.config).await {
            Ok(server) => MockServer { server },
            Err(e) => panic!("idenfy-mock: cannot bind a loopback port: {e}"),
        }
    }
}

impl PartnerConfig {
    /// An active, funded DEV partner with unlimited credits, allowed to set
    /// `callbackUrl`, sending unsigned webhooks to the global URL.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> PartnerConfig {
        PartnerConfig {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            environment: Environment::Dev,
            active: true,
            funds: true,
            credits: None,
            webhook_url: String::new(),
            signing_key: None,
            allow_callback_url: true,
            rate_limit_per_hour: None,
            review_successful: None,
            review_failed: None,
            subscriptions: Vec::new(),
        }
    }

    /// Whether this partner's automatic results wait for a manual review
    /// when a token sends no `reviewSuccessful` / `reviewFailed`: successful
    /// (APPROVED) ones, failed (DENIED, SUSPECTED) ones.
    pub fn with_manual_review(mut self, successful: bool, failed: bool) -> Self {
        self.review_successful = Some(successful);
        self.review_failed = Some(failed);
        self
    }

    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    pub fn with_signing_key(mut self, key: impl Into<String>) -> Self {
        self.signing_key = Some(key.into());
        self
    }

    pub fn with_webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = url.into();
        self
    }

    pub fn with_credits(mut self, credits: u64) -> Self {
        self.credits = Some(credits);
        self
    }

    pub fn with_funds(mut self, funds: bool) -> Self {
        self.funds = funds;
        self
    }

    pub fn with_active(mut self, active: bool) -> Self {
        self.active = active;
        self
    }

    /// Adds a webhook subscription (contract §7): once any is listed, only
    /// the events some subscription lists are sent.
    pub fn with_subscription(mut self, subscription: SubscriptionConfig) -> Self {
        self.subscriptions.push(subscription);
        self
    }
}
