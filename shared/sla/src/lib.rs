//! The SLA engine, a pure library: no I/O, no clock of its own. Instants are Unix seconds.

pub mod calendar;
mod civil;
pub mod clock;
pub mod engine;
pub mod policy;
mod priority;

pub use calendar::{CalendarSpec, SpecError, WeeklyHours};
pub use clock::{Pause, SlaClock};
pub use engine::{BusinessCalendar, SlaError};
pub use policy::{
    AvailabilityBand, Coverage, CreditPolicy, DueTimes, Metric, TargetTable, Targets, due_times,
};
pub use priority::Priority;
