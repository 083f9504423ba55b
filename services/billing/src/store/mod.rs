//! Storage of billing.

mod entities;
pub mod invoices;
pub mod payments;
