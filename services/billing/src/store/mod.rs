//! Storage of billing.

pub mod entities;
pub mod invoices;
pub mod payments;
