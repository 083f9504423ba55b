//! Storage, one repository per aggregate. Contracts are reached only through a `TenantScope`.

pub mod contracts;
mod entities;
pub mod offerings;
