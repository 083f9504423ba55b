//! Storage. A ticket, its clocks, its event log and its outgoing events are written in one
//! transaction, so what was acknowledged is whole and none of its events can be lost.

pub mod alerts;
mod entities;
pub mod knowledge;
pub mod outbox;
pub mod reports;
pub mod tickets;
