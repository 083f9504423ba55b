//! The behavioural suite: the real platform (gateway in front of the services) on random
//! ports, over every backend named in CANOPY_TEST_BACKENDS (`sqlite`, `postgres`; the
//! README's test command sets it), each test a case per backend (`helpers::backend_test!`).
//! Each test gets its own database and Redis prefix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod helpers;
#[path = "../../shared/kernel/tests/support/own_redis.rs"]
mod own_redis;

mod api_keys;
mod auth;
mod billing;
mod browser_harness;
mod catalog;
mod config;
mod dispatch;
mod engineers;
mod events;
mod gateway;
mod hardening;
mod isolation;
mod itil;
mod jobs;
mod knowledge;
mod lifecycle;
mod login_security;
mod processes;
mod reports;
mod resilience;
mod revocation;
mod rounds;
mod stripe;
mod tenant_days;
mod tickets;
mod tokens;
mod validation;
mod web;
mod web_admin;
mod web_browser;
mod web_client;
mod web_config;
mod web_finance;
mod web_portal;
mod webhooks;
