//! idenfy-mock: a faithful local stand-in for the iDenfy identity-verification
//! API (`ivs.idenfy.com`), for development and CI: DEV dummy results, signed
//! result webhooks, a verification page, and a control API for tests.
//!
//! In your own Rust tests, start a [`MockServer`] on a random port:
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread")]
//! # async fn main() {
//! use idenfy_mock::MockServer;
//!
//! let mock = MockServer::start().await;
//! let (key, secret) = mock.credentials();
//! let status = reqwest::Client::new()
//!     .post(format!("{}/api/v2/token", mock.uri()))
//!     .basic_auth(key, Some(secret))
//!     .header("Content-Type", "application/json")
//!     .body(r#"{"clientId": "user-1"}"#)
//!     .send()
//!     .await
//!     .unwrap()
//!     .status();
//! assert_eq!(status, 201);
//! # }
//! ```
//!
//! [`MockServer::builder`] configures partners, the webhook target, the seed
//! and any other setting; [`MockServer::wait_for_webhook`] waits for a
//! webhook, [`WebhookRecord`] is what was sent (exact body, headers,
//! attempts), [`verify_signature`] checks its `Idenfy-Signature`, and
//! [`MockServer::advance_clock`] moves time. The binary (`idenfy-mock
//! --help`) serves the same thing over a fixed port.
//!
//! That is the whole public API. The modules marked hidden below serve the
//! binary, the fuzz targets and the crate's own tests; they are not part of
//! the semver contract.

// The layers, lowest first (ARCHITECTURE.md; `scripts/layers` checks that
// imports go one way).
//
// domain: what the mock is about, free of HTTP and of the rest of the crate.
#[doc(hidden)]
pub mod domain;
// runtime: the state and the parts that hold it.
mod app;
mod clock;
#[doc(hidden)]
pub mod config;
mod escape;
mod faults;
mod files;
mod ids;
mod inbox;
mod partners;
mod report;
mod store;
mod sync;
mod webhook;
// lifecycle: each state change and its webhook.
mod lifecycle;
mod snapshot;
// surfaces: the iDenfy API, the control API, the page; the request guard.
#[doc(hidden)]
pub mod api;
mod control;
mod guard;
#[doc(hidden)]
pub mod healthcheck;
#[doc(hidden)]
pub mod probe;
mod ui;
// server: the router, start-up and shutdown; the Rust facade.
mod mock_server;
mod openapi;
mod serve;
#[doc(hidden)]
pub mod server;

pub use config::{HttpUrl, PartnerConfig, SubscriptionConfig};
pub use domain::status::EventType;
pub use domain::Environment;
pub use mock_server::{MockServer, MockServerBuilder};
pub use webhook::journal::{DeliveryState, Filter as WebhookFilter, WaitError, WebhookRecord};

#[doc(hidden)]
pub use config::Config;
#[doc(hidden)]
pub use server::Server;

/// Whether `signature` (an `Idenfy-Signature` header: lowercase hex) is the
/// HMAC-SHA256 of `body` keyed with `signing_key`, compared in constant time.
///
/// ```
/// let body = br#"{"final":true}"#;
/// assert!(!idenfy_mock::verify_signature(b"my-signing-key", body, "00"));
/// ```
pub fn verify_signature(signing_key: &[u8], body: &[u8], signature: &str) -> bool {
    webhook::sign::verify(signing_key, body, signature)
}
