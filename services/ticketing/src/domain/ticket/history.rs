//! A ticket's history from another helpdesk, replayed against the SLA in force when it was
//! reported, as if it had lived here: its clocks, its end state, the breaches it earned.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_sla::{BusinessCalendar, Metric, Priority};

use super::{BreachRecord, Moment, Outcome, Ticket, TicketError, TicketEvent, TicketRecord};
use crate::domain::clocks::{self, MetricClock};
use crate::domain::lifecycle::{Channel, MIN_LEVEL, Status, TicketKind};
use crate::domain::snapshot::PolicySnapshot;

/// What happened to the ticket, as the old helpdesk recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineEvent {
    FirstResponse,
    PendingCustomer,
    Resumed,
    OnsiteArrival,
    OnsiteDeparture,
    Resolved,
    Reopened,
    Closed,
    Feedback,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub event: TimelineEvent,
    /// `resolved`: resolved remotely (default) or on site.
    #[serde(default)]
    pub remote: Option<bool>,
    /// `feedback`: 1–5.
    #[serde(default)]
    pub rating: Option<u8>,
    #[serde(default)]
    pub complaint: Option<bool>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// A ticket as the old helpdesk had it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportedTicket {
    pub external_id: String,
    #[serde(rename = "type")]
    pub kind: TicketKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: String,
    pub priority: Priority,
    #[serde(default)]
    pub onsite_required: bool,
    pub reported_at: DateTime<Utc>,
    /// The provider user (engineer) who worked on it; kept as its assignee, so the history
    /// counts towards the engineer's continuity with the tenant.
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
}

/// A replayed ticket: its clocks at the end of the timeline and what it became.
#[derive(Clone, Debug)]
pub struct Replay {
    pub clocks: Vec<MetricClock>,
    pub status: Status,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    log: Vec<(i64, &'static str, Value)>,
}

/// The history's timeline played on the clocks `policy` starts, counting on `calendar`.
pub fn replay(
    t: &ImportedTicket,
    policy: Option<&PolicySnapshot>,
    calendar: &BusinessCalendar,
) -> Result<Replay, TicketError> {
    let sla = |_| TicketError::Calendar;
    let start = t.reported_at.timestamp();
    let mut r = Replay {
        clocks: Vec::new(),
        status: Status::New,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
        log: Vec::new(),
    };
    if let Some(p) = policy {
        r.clocks = clocks::start(&p.targets(t.priority), t.onsite_required, start, calendar).map_err(sla)?;
        for c in &r.clocks {
            r.log.push((
                start,
                "clock_started",
                json!({"metric": c.metric, "target_mins": c.clock.target_secs / 60}),
            ));
        }
    }
    for e in &t.timeline {
        let at = e.at.timestamp();
        match e.event {
            TimelineEvent::FirstResponse => {
                r.first_response_at.get_or_insert(at);
                clocks::stop(&mut r.clocks, Metric::FirstResponse, at);
                r.status = Status::InProgress;
            }
            TimelineEvent::PendingCustomer => {
                clocks::pause(&mut r.clocks, at);
                r.status = Status::PendingCustomer;
            }
            TimelineEvent::Resumed => {
                clocks::resume(&mut r.clocks, at, calendar).map_err(sla)?;
                r.status = Status::InProgress;
            }
            TimelineEvent::OnsiteArrival => {
                clocks::stop(&mut r.clocks, Metric::Onsite, at);
            }
            TimelineEvent::Resolved => {
                if r.status == Status::PendingCustomer {
                    clocks::resume(&mut r.clocks, at, calendar).map_err(sla)?;
                }
                clocks::stop(&mut r.clocks, Metric::Resolution, at);
                r.resolved_at = Some(at);
                r.status = Status::Resolved;
            }
            TimelineEvent::Reopened => {
                clocks::reopen(&mut r.clocks, at, calendar).map_err(sla)?;
                r.resolved_at = None;
                r.status = Status::InProgress;
            }
            TimelineEvent::Closed => {
                r.closed_at = Some(at);
                r.status = Status::Closed;
            }
            TimelineEvent::OnsiteDeparture | TimelineEvent::Feedback => {}
        }
        let mut data = json!({"event": e.event});
        if let (Some(obj), Some(rating)) = (data.as_object_mut(), e.rating) {
            obj.insert("rating".into(), json!(rating));
            obj.insert("complaint".into(), json!(e.complaint.unwrap_or(false)));
        }
        if let (Some(obj), Some(remote)) = (data.as_object_mut(), e.remote) {
            obj.insert("remote".into(), json!(remote));
        }
        r.log.push((at, "imported_event", data));
    }
    Ok(r)
}

/// The breaches a replayed ticket earned: a target met after its due time, or not met by
/// the end of the ticket (or by `now` while it is still open) when that is past due.
pub fn judge(r: &mut Replay, now: i64) -> Vec<BreachRecord> {
    let end = r.closed_at.or(r.resolved_at).unwrap_or(now);
    let mut out = Vec::new();
    for c in r.clocks.iter_mut() {
        let Some(due) = c.due_at else { continue };
        match c.stopped_at {
            Some(met) if met > due => {
                out.push(BreachRecord { metric: c.metric, due_at: due, met_at: Some(met) })
            }
            None if due < end => out.push(BreachRecord { metric: c.metric, due_at: due, met_at: None }),
            _ => {}
        }
        if out.last().is_some_and(|b| b.metric == c.metric) {
            c.breached_at = Some(due);
        }
        // A ticket that ended leaves no clock running.
        if c.stopped_at.is_none() && !r.status.is_open() {
            c.stopped_at = Some(end);
        }
    }
    out
}

impl Ticket {
    /// The ticket an imported history makes, judged by `policy` (the SLA in force when it
    /// was reported): `replay` is its timeline played, `breaches` what [`judge`] found.
    pub fn import(
        tenant_id: Uuid,
        history: &ImportedTicket,
        replay: Replay,
        breaches: Vec<BreachRecord>,
        policy: Option<PolicySnapshot>,
        created_by: Uuid,
        now: Moment,
    ) -> Result<(Ticket, Outcome), TicketError> {
        let at = |s: i64| DateTime::from_timestamp(s, 0);
        let external_id = history.external_id.trim();
        let mut record = TicketRecord {
            tenant_id,
            id: Uuid::now_v7(),
            number: 0,
            reference: String::new(),
            kind: history.kind,
            title: history.title.trim().to_owned(),
            description: history.description.trim().to_owned(),
            category: history.category.clone(),
            impact: String::new(),
            urgency: String::new(),
            priority: history.priority,
            status: replay.status,
            channel: Channel::Api,
            requester_id: None,
            site_id: None,
            onsite_required: history.onsite_required,
            assignee_id: history.assignee_id,
            support_level: MIN_LEVEL,
            custom_fields: Default::default(),
            problem: None,
            change: None,
            policy,
            external_id: Some(external_id.to_owned()),
            created_by,
            created_at: history.reported_at,
            updated_at: now.at,
            first_response_at: replay.first_response_at.and_then(at),
            resolved_at: replay.resolved_at.and_then(at),
            closed_at: replay.closed_at.and_then(at),
            resolution_code: None,
            resolution_notes: None,
            next_deadline: None,
            version: 1,
            clocks: replay.clocks,
        };
        record.refresh_deadline(now.warning_bp)?;

        let mut out = Outcome::default();
        out.log(
            "imported",
            json!({"external_id": external_id, "reported_at": history.reported_at, "priority": history.priority}),
        );
        for (when, kind, mut data) in replay.log {
            if let Some(obj) = data.as_object_mut() {
                obj.insert("at".into(), json!(at(when)));
            }
            out.log(kind, data);
        }
        for b in &breaches {
            out.log(
                "sla_breached",
                json!({"metric": b.metric, "due_at": at(b.due_at), "met_at": b.met_at.and_then(at)}),
            );
            out.announce(TicketEvent::SlaBreached { metric: b.metric, due_at: at(b.due_at), imported: true });
        }
        out.breaches = breaches;
        if let Some(assignee) = history.assignee_id {
            out.log("assigned", json!({"from": null, "to": assignee}));
        }
        out.announce(TicketEvent::imported(history.assignee_id));
        Ok((Ticket(record), out))
    }
}
