//! Storage, one repository per aggregate. Tenant-owned tables are reached only through a
//! `TenantScope` (see `canopy_kernel::TenantOwned`).
//! The table definitions stay private to the store: the rest of the service sees rows
//! (`…Row`) and reaches a tenant's rows only through a method taking its scope.

pub mod api_keys;
pub mod configs;
mod entities;
pub mod keys;
pub mod revocations;
pub mod security;
pub mod sessions;
pub mod tenants;
pub mod users;
pub mod webhooks;

pub use canopy_kernel::db::{conflict_on_unique, paged};
