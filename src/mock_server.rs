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

use std::time::Duration;

use crate::config::{Config, PartnerConfig, SubscriptionConfig};
use crate::domain::url::HttpUrl;
use crate::domain::Environment;
use crate::http::server::Server;
use crate::runtime::webhook::journal::{DeliveryState, Filter, WaitError, WebhookRecord};

/// A running mock on `127.0.0.1:<random port>`, shut down on drop.
pub struct MockServer {
    server: Server,
}

/// Configures a [`MockServer`] before it starts.
pub struct MockServerBuilder {
    /// TOML layers over the embedded defaults, in order.
    layers: Vec<String>,
    partners: Vec<PartnerConfig>,
    webhook_url: Option<String>,
    seed: Option<u64>,
}

impl MockServer {
    /// A builder starting from the embedded defaults (the well-known DEV
    /// partner `idenfy-mock-key` / `idenfy-mock-secret`) on a random
    /// loopback port.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder {
            layers: vec!["listen = '127.0.0.1:0'".to_owned()],
            partners: Vec::new(),
            webhook_url: None,
            seed: None,
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

    /// The address it listens on (`127.0.0.1:<port>`), for raw TCP clients.
    pub fn address(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// The first configured partner's API key and secret.
    pub fn credentials(&self) -> (String, String) {
        let p = &self.server.app().config().partners[0];
        (p.api_key.clone(), p.api_secret.clone())
    }

    /// Every webhook produced so far (oldest first), with its exact body,
    /// headers and delivery attempts.
    pub fn webhooks(&self) -> Vec<WebhookRecord> {
        self.webhooks_matching(&Filter::default())
    }

    /// The webhooks `filter` matches, oldest first.
    pub fn webhooks_matching(&self, filter: &Filter) -> Vec<WebhookRecord> {
        self.server.app().webhooks().journal().list(filter)
    }

    /// Waits until a webhook matching `filter` has settled (delivered,
    /// failed, undeliverable, dropped or not subscribed; or is in the state
    /// `filter` names), or `timeout` passes ([`WaitError::TimedOut`]). It is
    /// the same wait, with the same default, as the control API's
    /// `/_mock/webhooks/wait`: woken only by a change to a webhook it can
    /// match, and refused ([`WaitError::TooManyWaiters`]) past
    /// `webhooks.max_waiters` open waits.
    pub async fn wait_for_webhook(
        &self,
        filter: Filter,
        timeout: Duration,
    ) -> Result<WebhookRecord, WaitError> {
        self.server
            .app()
            .webhooks()
            .journal()
            .wait_for(&filter.for_wait(), timeout)
            .await
    }

    /// Waits until a webhook matching `filter` was delivered to its target.
    pub async fn wait_for_delivered(
        &self,
        filter: Filter,
        timeout: Duration,
    ) -> Result<WebhookRecord, WaitError> {
        self.wait_for_webhook(filter.in_state(DeliveryState::Delivered), timeout)
            .await
    }

    /// Shuts down as the binary does on SIGTERM: open waits are answered at
    /// once, requests in flight get a short window, and pending webhooks are
    /// delivered for up to `grace`. Returns how many were left undelivered.
    /// (Dropping the mock stops it at once instead.)
    pub async fn shutdown(self, grace: Duration) -> usize {
        self.server.shutdown(grace).await.undelivered
    }

    /// The mock's clock, in Unix seconds. It starts at the real time and
    /// moves with it, plus whatever [`MockServer::advance_clock`] and
    /// [`MockServer::set_clock`] added.
    pub fn now(&self) -> i64 {
        self.server.app().clock().now_secs()
    }

    /// Moves the mock's clock forward: tokens and sessions expire, and file
    /// URLs and retention run out, as if `by` had passed.
    pub fn advance_clock(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.server.app().clock().advance_secs(secs);
    }

    /// Sets the mock's clock to `unix_secs`.
    pub fn set_clock(&self, unix_secs: i64) {
        self.server.app().clock().set_secs(unix_secs);
    }
}

impl MockServerBuilder {
    /// Adds a partner; the first call replaces the default partners.
    pub fn partner(mut self, partner: PartnerConfig) -> Self {
        self.partners.push(partner);
        self
    }

    /// The global webhook target (`[webhooks].url`); [`MockServerBuilder::start`]
    /// panics when it is not an http(s) URL.
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// Reproducible authToken, scanRef and digitString sequences.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Any other setting, as TOML in the form of `config.toml` (see the
    /// README's Configuration section), merged over the defaults; later
    /// calls win key by key. [`MockServerBuilder::partner`],
    /// [`MockServerBuilder::webhook_url`] and [`MockServerBuilder::seed`]
    /// win over it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "multi_thread")]
    /// # async fn main() {
    /// let mock = idenfy_mock::MockServer::builder()
    ///     .toml("[webhooks]\nretries = 0\n[defaults]\nexpiry_time = 60")
    ///     .start()
    ///     .await;
    /// # drop(mock);
    /// # }
    /// ```
    pub fn toml(mut self, layer: impl Into<String>) -> Self {
        self.layers.push(layer.into());
        self
    }

    /// Starts the server. Panics with the reason if the configuration is
    /// invalid or no loopback port can be bound: a test set-up error.
    pub async fn start(self) -> MockServer {
        let layers: Vec<&str> = self.layers.iter().map(String::as_str).collect();
        let mut config = match Config::from_toml_layers(&layers, "MockServer configuration") {
            Ok(c) => c,
            Err(e) => panic!("idenfy-mock: {e}"),
        };
        if !self.partners.is_empty() {
            config.partners = self.partners;
        }
        if let Some(url) = self.webhook_url {
            config.webhooks.url = url_or_panic("MockServerBuilder::webhook_url", &url);
        }
        if self.seed.is_some() {
            config.seed = self.seed;
        }
        if let Err(e) = config.validate("MockServer configuration") {
            panic!("idenfy-mock: {e}");
        }
        match Server::start(config).await {
            Ok(server) => MockServer { server },
            Err(e) => panic!("idenfy-mock: cannot start: {e}"),
        }
    }
}

/// `text` as an optional webhook URL, or a panic naming `setter`.
fn url_or_panic(setter: &str, text: &str) -> Option<HttpUrl> {
    match HttpUrl::parse_optional(text) {
        Ok(url) => url,
        Err(problem) => panic!(
            "idenfy-mock: {setter}: '{}' {problem}",
            crate::domain::escape::escape_for_log(text)
        ),
    }
}

impl PartnerConfig {
    /// A partner with these credentials and the defaults of
    /// [`PartnerConfig::default`]: active, funded, DEV, unlimited credits,
    /// allowed to set `callbackUrl`, sending unsigned webhooks to the global URL.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> PartnerConfig {
        PartnerConfig {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            ..PartnerConfig::default()
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

    /// Screens this DEV partner's results against iDenfy's AML dummy
    /// entities (`aml_screening`): the `AML` and `amlCheck` blocks are
    /// filled, and `Manfred Weber`, `GoPayments` or `Cliff Hazard` make a
    /// result SUSPECTED with `AML_SUSPECTION`.
    pub fn with_aml_screening(mut self, on: bool) -> Self {
        self.aml_screening = on;
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

    /// Where this partner's webhooks go; empty: the global URL. Panics
    /// when `url` is not an http(s) URL: a test set-up error.
    pub fn with_webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = url_or_panic("PartnerConfig::with_webhook_url", &url.into());
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

    /// Adds a webhook subscription: once any is listed, only
    /// the events some subscription lists are sent.
    pub fn with_subscription(mut self, subscription: SubscriptionConfig) -> Self {
        self.subscriptions.push(subscription);
        self
    }
}
