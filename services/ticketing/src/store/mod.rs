//! Storage. A ticket, its clocks, its event log and its outgoing events are written in one
//! transaction, so what was acknowledged is whole and none of its events can be lost.
//! The table definitions stay private to the store: the rest of the service sees rows
//! (`…Row`) and reaches a tenant's rows only through a method taking its scope.

pub mod alerts;
mod entities;
pub mod knowledge;
pub mod outbox;
pub mod reports;
pub mod tickets;
