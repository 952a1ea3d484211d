//! The binary's own subcommands: `idenfy-mock probe` (compare a real
//! server with the mock) and `idenfy-mock healthcheck` (for containers).
//! They use the library only through its public items.

pub mod healthcheck;
pub mod probe;
