//! HTTP surface of the scheduler.

pub mod engineers;

use actix_web::web;
use serde::de::DeserializeOwned;

use canopy_kernel::{ApiError, ApiResult};

pub fn configure(cfg: &mut web::ServiceConfig) {
    engineers::routes(cfg);
}

/// A JSON body parsed with the path of any bad value in the message (`skills[0].level`).
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
