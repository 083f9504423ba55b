//! HTTP surface of the ticketing service. Each module registers its own routes.

pub mod events;
pub mod exports;
pub mod import;
pub mod itil;
pub mod knowledge;
pub mod reports;
pub mod tickets;
pub mod views;
pub mod work;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Before `/tickets/{id}`, which would otherwise take `import` for an id.
    import::routes(cfg);
    // Before `/tickets/{id}` too: `/tickets/{id}/suggestions` and `/article` are its own.
    knowledge::routes(cfg);
    tickets::routes(cfg);
    work::routes(cfg);
    itil::routes(cfg);
    exports::routes(cfg);
    events::routes(cfg);
    reports::routes(cfg);
}

pub use canopy_kernel::validate::parse;

use canopy_kernel::{ApiError, ErrorCode};

use crate::domain::ticket::TicketError;

/// A ticket's rules refusing a command, as problem+json.
impl From<TicketError> for ApiError {
    fn from(e: TicketError) -> Self {
        match e {
            TicketError::Invalid(errors) => ApiError::validation(errors),
            TicketError::Move { .. } | TicketError::NotNow(_) => {
                ApiError::new(ErrorCode::InvalidTransition, e.to_string())
            }
            TicketError::StaffOnly(why) => ApiError::forbidden(why),
            TicketError::Calendar => ApiError::invalid("business_calendar", e.to_string()),
        }
    }
}
