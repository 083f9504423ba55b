//! The service desk's rules: plain values, no HTTP and no storage.

pub mod clocks;
pub mod fields;
pub mod itil;
pub mod lifecycle;
pub mod search;
pub mod snapshot;
pub mod ticket;
