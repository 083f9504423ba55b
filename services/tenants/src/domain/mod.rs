//! The tenants domain: plain values and rules, no HTTP and no storage.

pub mod config;
pub mod secrets;
pub mod tenant;
pub mod totp;
pub mod user;
pub mod webhooks;
