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
//! That is the whole public API. The one hidden module, `internals`, serves
//! the binary, the fuzz targets and the crate's own tests; it is not part of
//! the semver contract.

#![forbid(unsafe_code)]

// The layers, lowest first (ARCHITECTURE.md; `scripts/layers` checks that
// imports go one way).
//
// domain: what the mock is about, free of HTTP and of the rest of the crate.
mod domain;
// configuration: the layered settings, as types.
mod config;
// runtime: the state and the parts that hold it, the webhook engine among them.
mod runtime;
// lifecycle: every change to a verification, and the whole state as a snapshot.
mod lifecycle;
mod snapshot;
// http: the composition root, the listeners and the surfaces; the Rust facade.
mod http;
mod mock_server;

pub use config::{PartnerConfig, SubscriptionConfig};
pub use domain::status::EventType;
pub use domain::url::HttpUrl;
pub use domain::Environment;
pub use mock_server::{MockServer, MockServerBuilder};
pub use runtime::webhook::journal::{
    DeliveryState, Filter as WebhookFilter, WaitError, WebhookRecord,
};

/// Whether `signature` (an `Idenfy-Signature` header: lowercase hex) is the
/// HMAC-SHA256 of `body` keyed with `signing_key`, compared in constant time.
///
/// ```
/// let body = br#"{"final":true}"#;
/// assert!(!idenfy_mock::verify_signature(b"my-signing-key", body, "00"));
/// ```
pub fn verify_signature(signing_key: &[u8], body: &[u8], signature: &str) -> bool {
    runtime::webhook::sign::verify(signing_key, body, signature)
}

/// What the `idenfy-mock` binary, the fuzz targets and the crate's own tests
/// need beyond the facade. Not part of the API: it may change in any release.
#[doc(hidden)]
pub mod internals {
    pub use crate::config::{Config, Overrides};
    pub use crate::domain::outcome::Outcome;
    pub use crate::domain::requests::{scan_ref, ManualReview};
    pub use crate::domain::token::{TokenDefaults, TokenRequest};
    pub use crate::http::api::auth::basic_credentials;
    pub use crate::http::api::body::object as json_object;
    pub use crate::http::api::PATHS as API_PATHS;
    pub use crate::http::server::{banner, run_until_signal};
    pub use crate::http::tls::ca_pem;
}
