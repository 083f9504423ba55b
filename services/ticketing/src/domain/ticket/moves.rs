//! How a ticket moves and what each move does to its SLA clocks: waiting on the customer
//! pauses them, resolving stops resolution, reopening runs it again, closing stops all. And
//! the work around it: comments, worklogs, feedback, links, a change's approval.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use canopy_kernel::Violations;
use canopy_sla::Metric;

use super::{Editor, Moment, Outcome, Ticket, TicketError, TicketEvent, TicketRecord, checked, clock_log};
use crate::domain::clocks;
use crate::domain::itil::{Approval, ApprovalGate, ChangeType, Decision};
use crate::domain::lifecycle::{Moves, Status, TicketKind};

impl TicketRecord {
    /// 409 unless the state machine, and a change's approval, allow the move.
    pub(super) fn check_move(&self, to: Status) -> Result<(), TicketError> {
        self.status.check_move(to)?;
        match &self.change {
            Some(info) => info.check_move(to),
            None => Ok(()),
        }
    }

    /// Moves the ticket to `to` (a move already allowed) and does what the move means to the
    /// SLA clocks.
    pub(super) fn enter_status(
        &mut self,
        to: Status,
        reason: Option<&str>,
        now: DateTime<Utc>,
        out: &mut Outcome,
    ) -> Result<(), TicketError> {
        let from = self.status;
        let at = now.timestamp();
        let calendar = self.calendar();
        out.log("status_changed", json!({"from": from, "to": to, "reason": reason}));
        if from == Status::PendingCustomer {
            clocks::resume(&mut self.clocks, at, &calendar).map_err(|_| TicketError::Calendar)?;
            out.log("clock_resumed", json!({"due": self.clocks.iter().map(clock_log).collect::<Vec<_>>()}));
        }
        match to {
            Status::PendingCustomer => {
                clocks::pause(&mut self.clocks, at);
                let paused: Vec<Metric> =
                    self.clocks.iter().filter(|c| c.running()).map(|c| c.metric).collect();
                out.log("clock_paused", json!({ "metrics": paused }));
            }
            Status::Resolved => {
                if clocks::stop(&mut self.clocks, Metric::Resolution, at) {
                    out.log("clock_stopped", json!({"metric": Metric::Resolution}));
                }
                self.resolved_at = Some(now);
                // A change is carried out when it is resolved.
                if let Some(info) = self.change.as_mut() {
                    info.implemented_at = Some(now);
                }
                out.announce(TicketEvent::Resolved {});
            }
            Status::InProgress if from == Status::Resolved => {
                clocks::reopen(&mut self.clocks, at, &calendar).map_err(|_| TicketError::Calendar)?;
                let due: Vec<_> = self.clocks.iter().map(clock_log).collect();
                out.log("reopened", json!({"reason": reason, "due": due}));
                self.resolved_at = None;
            }
            Status::Closed | Status::Cancelled => {
                for m in [Metric::FirstResponse, Metric::Resolution, Metric::Onsite] {
                    clocks::stop(&mut self.clocks, m, at);
                }
                if to == Status::Closed {
                    self.closed_at = Some(now);
                    out.announce(TicketEvent::Closed {});
                }
            }
            _ => {}
        }
        self.status = to;
        Ok(())
    }

    /// A move made by the platform: the status changes and nothing else.
    fn moved(&mut self, to: Status, reason: &str, now: Moment, out: &mut Outcome) -> Result<(), TicketError> {
        self.enter_status(to, Some(reason), now.at, out)?;
        self.refresh_deadline(now.warning_bp)?;
        out.announce(TicketEvent::updated(&["status"]));
        Ok(())
    }
}

/// Remote work, or work on site (which has an arrival and meets the on-site target).
pub use canopy_api::ticketing::WorkKind;

/// Work an engineer logs on a ticket.
#[derive(Clone, Debug)]
pub struct Work {
    pub kind: WorkKind,
    pub minutes: i32,
    pub billable: bool,
    pub note: String,
    pub arrived_at: Option<DateTime<Utc>>,
    pub departed_at: Option<DateTime<Utc>>,
}

/// An incident and the problem behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub problem_id: Uuid,
    pub incident_id: Uuid,
}

impl Ticket {
    /// Moves the ticket along the state machine (409 otherwise) with what the move does to
    /// its clocks: waiting on the customer pauses them, the answer resumes them.
    pub fn change_status(&mut self, to: Status, reason: &str, now: Moment) -> Result<Outcome, TicketError> {
        self.apply(|t, out| {
            t.check_move(to)?;
            t.moved(to, reason, now, out)
        })
        .map(|((), out)| out)
    }

    /// Monitoring reports the alert's recovery: the open incident is resolved by the
    /// platform. `None` when it is no longer open (people dealt with it meanwhile).
    pub fn recovered(&mut self, note: String, now: Moment) -> Result<Option<Outcome>, TicketError> {
        if !self.status.is_open() || self.check_move(Status::Resolved).is_err() {
            return Ok(None);
        }
        let ((), out) = self.apply(|t, out| {
            t.resolution_code = Some("auto_recovered".into());
            t.resolution_notes = Some(note);
            t.moved(Status::Resolved, "monitoring reported recovery", now, out)
        })?;
        Ok(Some(out))
    }

    /// Monitoring reports the problem again: the resolved incident is reopened. `None` when
    /// it is not resolved (closed, or reopened by people meanwhile).
    pub fn relapsed(&mut self, now: Moment) -> Result<Option<Outcome>, TicketError> {
        if self.status != Status::Resolved {
            return Ok(None);
        }
        let ((), out) = self
            .apply(|t, out| t.moved(Status::InProgress, "monitoring reports the problem again", now, out))?;
        Ok(Some(out))
    }

    /// A comment. A public one of provider staff is the first response; the customer's
    /// reply to a ticket waiting on them takes it back to in progress, its clocks running.
    pub fn comment(&mut self, public: bool, by: Editor, now: Moment) -> Result<Outcome, TicketError> {
        let ((), out) = self.apply(|t, out| {
            out.log("commented", json!({ "public": public }));
            let from = t.status;
            if by.staff() && public && from.is_open() {
                t.first_response(by.id, now.at, out);
            }
            if !by.staff() && from == Status::PendingCustomer {
                let calendar = t.calendar();
                clocks::resume(&mut t.clocks, now.at.timestamp(), &calendar)
                    .map_err(|_| TicketError::Calendar)?;
                t.status = Status::InProgress;
                out.log(
                    "status_changed",
                    json!({"from": from, "to": Status::InProgress, "reason": "the customer replied"}),
                );
                out.log("clock_resumed", json!({}));
            }
            if from.is_open() {
                t.next_deadline = t.deadline(now.warning_bp)?;
            }
            out.announce(TicketEvent::commented(public));
            Ok(())
        })?;
        Ok(out)
    }

    /// Work logged by provider staff: an arrival on site meets the on-site target, and work
    /// on an open ticket is its first response.
    pub fn log_work(&mut self, work: &Work, by: Editor, now: Moment) -> Result<Outcome, TicketError> {
        let mut v = Violations::new();
        v.check((0..=24 * 60).contains(&work.minutes), "minutes", "must be 0–1440");
        v.check(work.note.chars().count() <= 20_000, "note", "must have at most 20000 characters");
        match work.kind {
            WorkKind::Onsite => {
                v.check(
                    work.arrived_at.is_some(),
                    "arrived_at",
                    "on-site work says when the engineer arrived",
                );
                if let Some(arrived) = work.arrived_at {
                    v.check(
                        arrived >= self.created_at && arrived <= now.at,
                        "arrived_at",
                        "must be between the ticket's creation and now",
                    );
                    if let Some(left) = work.departed_at {
                        v.check(
                            left >= arrived && left <= now.at,
                            "departed_at",
                            "must be after the arrival and not in the future",
                        );
                    }
                }
            }
            WorkKind::Remote => {
                v.check(
                    work.arrived_at.is_none() && work.departed_at.is_none(),
                    "arrived_at",
                    "only on-site work has an arrival",
                );
            }
        }
        checked(v)?;
        let ((), out) = self.apply(|t, out| {
            out.log(
                "work_logged",
                json!({"kind": work.kind, "minutes": work.minutes, "billable": work.billable, "arrived_at": work.arrived_at}),
            );
            if let Some(arrived) = work.arrived_at
                && clocks::stop(&mut t.clocks, Metric::Onsite, arrived.timestamp())
            {
                out.log("clock_stopped", json!({"metric": Metric::Onsite, "at": arrived}));
            }
            if t.status.is_open() {
                t.first_response(by.id, now.at, out);
                t.next_deadline = t.deadline(now.warning_bp)?;
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The customer's rating, once the ticket is resolved.
    pub fn give_feedback(&self, rating: i16, complaint: bool) -> Result<Outcome, TicketError> {
        if !matches!(self.status, Status::Resolved | Status::Closed) {
            return Err(TicketError::NotNow("Feedback is given once the ticket is resolved"));
        }
        let mut out = Outcome::default();
        out.log("feedback", json!({"rating": rating, "complaint": complaint}));
        out.announce(TicketEvent::feedback(rating, complaint));
        Ok(out)
    }

    /// The tenant admin's decision on an open normal or emergency change awaiting one.
    pub fn decide(&mut self, decision: Decision, comment: &str) -> Result<Outcome, TicketError> {
        let Some(info) = &self.change else {
            return Err(TicketError::invalid("id", "only changes are approved"));
        };
        if !self.status.is_open() {
            return Err(TicketError::NotNow("The change is no longer open"));
        }
        if info.change_type == ChangeType::Standard {
            return Err(TicketError::NotNow("A standard change is pre-approved"));
        }
        if info.approval != Approval::Pending {
            return Err(TicketError::NotNow("This change was decided already"));
        }
        let ((), out) = self.apply(|t, out| {
            if let Some(info) = t.change.as_mut() {
                info.approval =
                    if decision == Decision::Approved { Approval::Approved } else { Approval::Rejected };
            }
            out.log("change_decided", json!({"decision": decision, "comment": comment.trim()}));
            out.announce(TicketEvent::decided(decision));
            Ok(())
        })?;
        Ok(out)
    }

    /// Links this ticket and `other` of the same tenant: an incident and the problem behind
    /// it, either way round. The outcome is this ticket's log of it.
    pub fn link(&self, other: &Ticket) -> Result<(Link, Outcome), TicketError> {
        let (problem, incident) = match (self.kind, other.kind) {
            (TicketKind::Problem, TicketKind::Incident) => (self, other),
            (TicketKind::Incident, TicketKind::Problem) => (other, self),
            _ => return Err(TicketError::invalid("ticket_id", "links join an incident and a problem")),
        };
        let mut out = Outcome::default();
        out.log("linked", json!({"problem": problem.reference, "incident": incident.reference}));
        Ok((Link { problem_id: problem.id, incident_id: incident.id }, out))
    }
}
