//! Storage, one repository per aggregate. Contracts are reached only through a `TenantScope`.

pub mod contracts;
pub mod entities;
pub mod offerings;
