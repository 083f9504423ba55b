//! Storage of the scheduler.

pub mod dispatch;
pub mod engineers;
mod entities;
pub mod jobs;
pub mod rounds;
