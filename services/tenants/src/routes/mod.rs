//! HTTP surface of the tenants service. Each module registers its own routes.

pub mod api_keys;
pub mod auth;
pub mod config;
pub mod internal;
pub mod profile;
pub mod tenants;
pub mod totp;
pub mod users;
pub mod webhooks;

use actix_web::web;
use serde::de::DeserializeOwned;

use canopy_kernel::{ApiError, ApiResult, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    auth::routes(cfg);
    profile::routes(cfg);
    tenants::routes(cfg);
    users::routes(cfg);
    api_keys::routes(cfg);
    config::routes(cfg);
    internal::routes(cfg);
    webhooks::routes(cfg);
    totp::routes(cfg);
}

/// A JSON body that may be left out entirely (e.g. `POST /tenants/{id}/suspend`).
pub fn optional_json<T: DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        let code = if e.is_data() { ErrorCode::ValidationFailed } else { ErrorCode::MalformedJson };
        ApiError::new(code, e.to_string())
    })
}
