//! The black-box suite, one test binary (one link instead of one per file):
//! the real server on a random loopback port, a real webhook receiver, and
//! polling with a deadline instead of sleeps. One module per area; the
//! shared harness is `helpers`.

// A failed unwrap in a test or its harness is a failed test (the crate
// refuses `unwrap` only in the code that serves requests).
#![allow(clippy::unwrap_used)]

mod helpers;

mod aml;
mod api_errors;
mod attempts;
mod bounds;
mod browser;
mod cli;
mod control;
mod delivery;
mod embedded;
mod engine;
mod expiration;
mod fuzz_regressions;
mod hardening;
mod journey;
mod limits;
mod openapi;
mod probe;
mod properties;
mod reports;
mod results;
mod state_file;
mod subscriptions;
mod tls;
mod token;
mod verifications;
mod webhooks;
