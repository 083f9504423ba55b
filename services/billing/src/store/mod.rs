//! Storage of billing.
//! The table definitions stay private to the store: the rest of the service sees rows
//! (`…Row`) and reaches a tenant's rows only through a method taking its scope.

mod entities;
pub mod invoices;
pub mod payments;
