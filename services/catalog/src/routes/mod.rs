//! HTTP surface of the catalog service. Each module registers its own routes.

pub mod contracts;
pub mod offerings;
pub mod policy;

use actix_web::web;
use serde::de::DeserializeOwned;

use canopy_kernel::{ApiError, ApiResult};

pub fn configure(cfg: &mut web::ServiceConfig) {
    offerings::routes(cfg);
    contracts::routes(cfg);
    policy::routes(cfg);
}

/// A JSON body parsed with the path of any bad value in the message (`targets.P1.onsite_mins`).
pub fn parse<T: DeserializeOwned>(body: serde_json::Value) -> ApiResult<T> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        ApiError::invalid(if path == "." { "body".to_owned() } else { path }, e.into_inner().to_string())
    })
}

/// A stored JSON column read back; a failure here is ours, not the client's.
pub fn stored<T: DeserializeOwned>(value: &serde_json::Value) -> ApiResult<T> {
    serde_json::from_value(value.clone()).map_err(ApiError::internal)
}
