//! The scheduler's domain: plain values and rules, no HTTP and no storage.

pub mod action;
pub mod cron;
pub mod dispatch;
pub mod engineer;
pub mod rounds;
