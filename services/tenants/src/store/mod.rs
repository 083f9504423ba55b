//! Storage, one repository per aggregate. Tenant-owned tables are reached only through a
//! `TenantScope` (see `canopy_kernel::TenantOwned`).

pub mod api_keys;
pub mod configs;
mod entities;
pub mod keys;
pub mod sessions;
pub mod tenants;
pub mod users;
pub mod webhooks;

pub use canopy_kernel::db::{conflict_on_unique, paged};
