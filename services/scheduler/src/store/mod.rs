//! Storage of the scheduler.
//! The table definitions stay private to the store: the rest of the service sees rows
//! (`…Row`) and reaches a tenant's rows only through a method taking its scope.

pub mod dispatch;
pub mod engineers;
mod entities;
pub mod jobs;
pub mod rounds;
