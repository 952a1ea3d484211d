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
//! See [`mock_server`] for webhooks, partners and the clock; the binary
//! (`idenfy-mock --help`) serves the same thing over a fixed port.

pub mod api;
pub mod app;
pub mod clock;
pub mod config;
pub mod control;
pub mod domain;
pub mod faults;
pub mod files;
pub mod guard;
pub mod healthcheck;
pub mod ids;
pub mod inbox;
pub mod lifecycle;
pub mod logsafe;
pub mod mock_server;
pub mod openapi;
pub mod partners;
pub mod probe;
pub mod report;
pub mod serve;
pub mod server;
pub mod snapshot;
pub mod store;
pub mod ui;
pub mod webhook;

pub use config::{Config, PartnerConfig, SubscriptionConfig};
pub use mock_server::{MockServer, MockServerBuilder};
pub use server::Server;
pub use webhook::journal::{DeliveryState, Filter as WebhookFilter, WaitError, WebhookRecord};
