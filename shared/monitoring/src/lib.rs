//! Events from the monitoring agents in customers' networks, and what becomes of them: each
//! event is checked and fingerprinted ([`event`]); a tenant's rules ([`rules`]) say which
//! events maintenance silences, which category a check belongs to and when an alert is worth
//! an incident; [`correlate`] folds a fingerprint's events into one alert and says what its
//! incident should do (open, resolve, reopen) — flapping included. Pure: no storage, no
//! clock of its own.

pub mod correlate;
pub mod event;
pub mod rules;

pub use correlate::{Action, AlertState, AlertStatus, Incident, actions, apply};
pub use event::{Event, RawEvent, Severity};
pub use rules::{CategoryRule, MaintenanceWindow, Rules, Weekly};
