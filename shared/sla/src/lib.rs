//! The SLA engine, a pure library: no I/O, no clock of its own.

pub mod calendar;
mod priority;

pub use calendar::{CalendarSpec, SpecError, WeeklyHours};
pub use priority::Priority;
