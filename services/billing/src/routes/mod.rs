//! HTTP surface of billing.

pub mod invoices;
pub mod runs;
pub mod webhooks;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    runs::routes(cfg);
    invoices::routes(cfg);
    webhooks::routes(cfg);
}

pub use canopy_kernel::validate::parse;
