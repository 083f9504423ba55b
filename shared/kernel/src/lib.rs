//! The kernel every Canopy service is built on.

pub mod auth;
pub mod backends;
pub mod client;
pub mod clock;
pub mod config;
pub mod csv;
pub mod days;
pub mod db;
pub mod edge;
pub mod error;
pub mod http;
pub mod service;
pub mod telemetry;
pub mod tenancy;
pub mod validate;
pub mod wire;

pub use error::{ApiError, ApiResult, ErrorCode, FieldError, Problem, Violations};
pub use tenancy::{CrossTenant, ListScope, Principal, TenantId, TenantOwned, TenantScope};
