//! A ticket as the service desk's rules see it: typed values with its SLA clocks, changed
//! only by commands. A command checks what the ticket's state allows, changes the ticket
//! whole or not at all, and returns an [`Outcome`]: the lines of its audit log (every clock
//! step among them), the events to announce and the breaches to record. Storing them is
//! the caller's business.

mod edit;
mod history;
mod moves;
mod raise;
mod sla;
#[cfg(test)]
mod tests;

pub use edit::Edit;
pub use history::{ImportedTicket, Replay, TimelineEntry, TimelineEvent, judge, replay};
pub use moves::{Link, Work, WorkKind};
pub use raise::Raise;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use canopy_kernel::{FieldError, Violations};
use canopy_sla::{BusinessCalendar, Metric, Priority};

use super::clocks::{self, MetricClock};
use super::itil::{ChangeDetails, ProblemDetails};
use super::lifecycle::{Channel, Moves, Status, TicketKind};
use super::snapshot::PolicySnapshot;

/// Everything a ticket holds, as stored. Read it through [`Ticket`]; change it by commands.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketRecord {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub number: i64,
    /// The human reference (`ACME-42`), given when the ticket is first stored.
    pub reference: String,
    pub kind: TicketKind,
    pub title: String,
    pub description: String,
    pub category: String,
    pub impact: String,
    pub urgency: String,
    pub priority: Priority,
    pub status: Status,
    pub channel: Channel,
    pub requester_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub onsite_required: bool,
    pub assignee_id: Option<Uuid>,
    /// L1–L3.
    pub support_level: i16,
    pub custom_fields: BTreeMap<String, Value>,
    /// Problems only: root cause, known error, workaround.
    pub problem: Option<ProblemDetails>,
    /// Changes only: type, risk, plan, approval, review.
    pub change: Option<ChangeDetails>,
    /// The SLA policy copied on when raised (`None`: the tenant had no contract).
    pub policy: Option<PolicySnapshot>,
    pub external_id: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
    /// When the breach watch must next look at the ticket.
    pub next_deadline: Option<DateTime<Utc>>,
    pub version: i64,
    pub clocks: Vec<MetricClock>,
}

/// The aggregate: reads like its record, changes only through its commands.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticket(TicketRecord);

impl Deref for Ticket {
    type Target = TicketRecord;

    fn deref(&self) -> &TicketRecord {
        &self.0
    }
}

impl Ticket {
    /// A ticket as it was stored.
    pub fn restore(record: TicketRecord) -> Self {
        Self(record)
    }

    pub fn into_record(self) -> TicketRecord {
        self.0
    }

    /// Applies `command` to a copy and keeps it only if the command succeeds, so a refused
    /// command leaves the ticket as it was.
    fn apply<T>(
        &mut self,
        command: impl FnOnce(&mut TicketRecord, &mut Outcome) -> Result<T, TicketError>,
    ) -> Result<(T, Outcome), TicketError> {
        let mut next = self.0.clone();
        let mut out = Outcome::default();
        let value = command(&mut next, &mut out)?;
        self.0 = next;
        Ok((value, out))
    }
}

impl TicketRecord {
    /// The calendar its clocks count on: the policy's, else every hour.
    pub fn calendar(&self) -> BusinessCalendar {
        self.policy.as_ref().map(PolicySnapshot::calendar).unwrap_or_else(BusinessCalendar::always)
    }

    /// The next warning or due time of a running clock.
    fn deadline(&self, warning_bp: &[u32]) -> Result<Option<DateTime<Utc>>, TicketError> {
        let next = clocks::next_deadline(&self.clocks, &self.calendar(), warning_bp)
            .map_err(|_| TicketError::Calendar)?;
        Ok(next.and_then(|s| DateTime::from_timestamp(s, 0)))
    }

    /// Open tickets are watched until their next deadline; ended ones no more.
    fn refresh_deadline(&mut self, warning_bp: &[u32]) -> Result<(), TicketError> {
        self.next_deadline = if self.status.is_open() { self.deadline(warning_bp)? } else { None };
        Ok(())
    }

    /// The first public action of provider staff on a ticket is its first response.
    fn first_response(&mut self, by: Uuid, at: DateTime<Utc>, out: &mut Outcome) {
        if self.first_response_at.is_none() {
            self.first_response_at = Some(at);
            if clocks::stop(&mut self.clocks, Metric::FirstResponse, at.timestamp()) {
                out.log("first_response", json!({"by": by}));
            }
        }
    }
}

/// When a command happens, and the fractions of a target the breach watch warns at: what
/// every clock step needs to say when the ticket must next be looked at.
#[derive(Clone, Copy, Debug)]
pub struct Moment<'a> {
    pub at: DateTime<Utc>,
    pub warning_bp: &'a [u32],
}

/// Who changes a ticket, as far as the ticket's rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Editor {
    /// The user or key; nil for a provider service acting on its own (the dispatcher).
    pub id: Uuid,
    pub side: Side,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Provider,
    TenantAdmin,
    /// A tenant's other users (requesters) and its API keys.
    TenantUser,
}

impl Editor {
    pub fn staff(&self) -> bool {
        self.side == Side::Provider
    }

    /// A person, whose action answers the customer; not a service acting on its own.
    fn person(&self) -> bool {
        !self.id.is_nil()
    }
}

/// What a command did, to be stored with the ticket in one transaction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Lines of the ticket's audit log, in order.
    pub log: Vec<Entry>,
    /// Events to announce once the ticket is stored.
    pub events: Vec<TicketEvent>,
    /// Missed targets to record.
    pub breaches: Vec<BreachRecord>,
}

impl Outcome {
    fn log(&mut self, kind: &'static str, data: Value) {
        self.log.push(Entry { kind, data });
    }

    fn announce(&mut self, event: TicketEvent) {
        self.events.push(event);
    }
}

/// One line of the audit log: what happened (`status_changed`, `clock_paused`) and its details.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub kind: &'static str,
    pub data: Value,
}

/// A missed target: its due time and, when known, when it was met at last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreachRecord {
    pub metric: Metric,
    pub due_at: i64,
    pub met_at: Option<i64>,
}

/// What the ticketing service announces of a ticket: the contract's own type, so the store
/// adds the ticket's identity and state as committed and consumers read what is produced.
pub use canopy_api::events::TicketChange as TicketEvent;

/// Why a command was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum TicketError {
    /// Values that do not hold, all of them at once.
    Invalid(Vec<FieldError>),
    /// The state machine does not lead from `from` to `to`.
    Move { from: Status, to: Status },
    /// What the ticket's state does not allow now (an unapproved change started, feedback
    /// before resolution…).
    NotNow(&'static str),
    /// The provider's work, not the tenant's.
    StaffOnly(String),
    /// The business calendar never opens long enough to place a due time.
    Calendar,
}

impl TicketError {
    fn invalid(field: &str, message: &str) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<Violations> for TicketError {
    fn from(v: Violations) -> Self {
        Self::Invalid(v.into_result().err().map(|e| e.field_errors().to_vec()).unwrap_or_default())
    }
}

/// Fails with every violation found, if any.
fn checked(v: Violations) -> Result<(), TicketError> {
    if v.is_empty() { Ok(()) } else { Err(v.into()) }
}

impl fmt::Display for TicketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(errors) => {
                let all: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
                f.write_str(&all.join("; "))
            }
            Self::Move { from, to } => {
                let allowed: Vec<&str> = from.next().iter().map(|s| s.into()).collect();
                if allowed.is_empty() {
                    write!(f, "A {from} ticket cannot change status")
                } else {
                    write!(f, "A {from} ticket can move to {}, not {to}", allowed.join(", "))
                }
            }
            Self::NotNow(why) => f.write_str(why),
            Self::StaffOnly(what) => f.write_str(what),
            Self::Calendar => f.write_str("the calendar does not open long enough"),
        }
    }
}

impl std::error::Error for TicketError {}

/// A clock as the audit log shows it.
fn clock_log(c: &MetricClock) -> Value {
    json!({"metric": c.metric, "target_mins": c.clock.target_secs / 60, "due_at": c.due_at.and_then(|s| DateTime::from_timestamp(s, 0))})
}

/// Cleaned text, or a violation (and an empty string).
fn text(value: &str, max: usize, field: &str, v: &mut Violations) -> String {
    canopy_kernel::validate::clean_text(value, max).unwrap_or_else(|m| {
        v.add(field, m);
        String::new()
    })
}
