//! Storage, one repository per aggregate. Contracts are reached only through a `TenantScope`.
//! The table definitions stay private to the store: the rest of the service sees rows
//! (`…Row`) and reaches a tenant's rows only through a method taking its scope.

pub mod contracts;
mod entities;
pub mod offerings;
