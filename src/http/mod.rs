//! Everything HTTP, and the composition root: [`server`] wires the runtime,
//! the webhook engine and the surfaces together and serves them
//! ([`serve`]: connections; [`guard`]: the one layer around every request).
//! The surfaces are the iDenfy API ([`api`]), the control API for tests
//! ([`control`]) and the verification page ([`ui`]); [`openapi`] documents
//! the first two.

pub mod api;
pub mod control;
pub mod guard;
pub mod openapi;
pub mod own;
pub mod serve;
pub mod server;
pub mod tls;
pub mod ui;
