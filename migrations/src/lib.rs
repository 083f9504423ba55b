//! One migration set per service. A service applies its own set to its own schema
//! (PostgreSQL) or file (SQLite) when it starts, and `canopy migrate` applies them all.

pub mod billing;
pub mod catalog;
pub mod scheduler;
pub mod tenants;
pub mod ticketing;

pub use sea_orm_migration::MigratorTrait;
