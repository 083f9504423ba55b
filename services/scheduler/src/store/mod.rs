//! Storage of the scheduler.

pub mod engineers;
pub mod entities;
pub mod jobs;
