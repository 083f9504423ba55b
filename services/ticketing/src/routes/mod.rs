//! HTTP surface of the ticketing service. Each module registers its own routes.

pub mod import;
pub mod itil;
pub mod tickets;
pub mod views;
pub mod work;

use actix_web::web;
use serde::de::DeserializeOwned;

use canopy_kernel::{ApiError, ApiResult};

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Before `/tickets/{id}`, which would otherwise take `import` for an id.
    import::routes(cfg);
    tickets::routes(cfg);
    work::routes(cfg);
    itil::routes(cfg);
}

/// A JSON body parsed with the path of any bad value in the message.
pub fn parse<T: DeserializeOwned>(body: serde_json::Value) -> ApiResult<T> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        ApiError::invalid(if path == "." { "body".to_owned() } else { path }, e.into_inner().to_string())
    })
}
