//! The platform contract: every request and response body that crosses a service boundary,
//! every event on the bus (one enum per topic), and a typed client per service. Producers
//! serialize these types and consumers read them, so a field renamed on one side fails the
//! build on the other instead of a billing run. Services depend on this crate, never on each
//! other's.
//!
//! Modules are named after the service that owns the bodies in them.

pub mod billing;
pub mod catalog;
pub mod client;
pub mod events;
pub mod knowledge;
pub mod reports;
pub mod tenants;
pub mod ticket_work;
pub mod ticketing;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One page of a collection (`{items, next_cursor}`): the very type producers answer with.
pub use canopy_kernel::http::Page;
pub use client::{CallError, CallResultExt, Failure};

/// A tenant a batch job (a billing run, the month's reports) could not do, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TenantProblem {
    pub tenant_id: Uuid,
    pub problem: String,
}

impl TenantProblem {
    pub fn new(tenant_id: Uuid, problem: impl std::fmt::Display) -> Self {
        Self { tenant_id, problem: problem.to_string() }
    }
}

/// A decoding error with where it is (`items[3].metric: unknown variant …`).
pub(crate) fn described<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> String {
    let at = e.path().to_string();
    if at == "." { e.into_inner().to_string() } else { format!("{at}: {}", e.into_inner()) }
}
