//! HTTP surface of the scheduler.

pub mod dispatch;
pub mod engineers;
pub mod rounds;
pub mod schedules;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    engineers::routes(cfg);
    dispatch::routes(cfg);
    rounds::routes(cfg);
    schedules::routes(cfg);
}

pub use canopy_kernel::validate::parse;
pub use canopy_kernel::validate::stored;
