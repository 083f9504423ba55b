//! Billing's domain: money arithmetic, SLA credits and invoice lines. Plain values and rules,
//! no HTTP and no storage.

pub mod credits;
pub mod invoice;
pub mod money;
