//! The runtime: the state the mock holds while it runs and the parts that
//! hold it. [`app::App`] is the shared state; each other module owns one
//! part of it (the store, the webhook engine, the partners, the clock, the
//! ids, the faults, the inbox, the file URLs and images, the PDF report),
//! plus the two helpers every layer above uses (escaping for logs and
//! pages, locking and waiting).

pub mod app;
pub mod clock;
pub mod faults;
pub mod files;
pub mod ids;
pub mod inbox;
pub mod partners;
pub mod report;
pub mod store;
pub mod sync;
pub mod webhook;
