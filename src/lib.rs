//! idenfy-mock: a faithful local stand-in for the iDenfy identity-verification
//! API, for development and CI.
//!
//! Start it in-process on a free port:
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let mut config = idenfy_mock::Config::embedded();
//! config.listen = "127.0.0.1:0".into();
//! let server = idenfy_mock::Server::start(config).await?;
//! println!("iDenfy mock at {}", server.url());
//! # Ok(()) }
//! ```

pub mod api;
pub mod app;
pub mod clock;
pub mod config;
pub mod control;
pub mod domain;
pub mod faults;
pub mod files;
pub mod ids;
pub mod lifecycle;
pub mod openapi;
pub mod partners;
pub mod store;
pub mod timers;
pub mod ui;
pub mod webhook;

pub use app::Server;
pub use config::Config;
