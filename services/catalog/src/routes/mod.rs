//! HTTP surface of the catalog service. Each module registers its own routes.

pub mod contracts;
pub mod offerings;
pub mod policy;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    offerings::routes(cfg);
    contracts::routes(cfg);
    policy::routes(cfg);
}

pub use canopy_kernel::validate::parse;
pub use canopy_kernel::validate::stored;
