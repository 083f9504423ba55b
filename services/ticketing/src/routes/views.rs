use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_sla::{Coverage, Metric, Priority};

use crate::domain::itil::{ChangeDetails, ProblemDetails};
use crate::domain::lifecycle::{Channel, Status, TicketKind};
use crate::domain::ticket::Ticket;
use crate::store::tickets::TicketEventRow;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClockView {
    pub metric: Metric,
    pub target_mins: i64,
    pub started_at: DateTime<Utc>,
    /// Absent while the clock stands still (waiting on the customer).
    pub due_at: Option<DateTime<Utc>>,
    pub paused: bool,
    /// When the target was met (or the ticket ended).
    pub stopped_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    /// Every pause, for explaining the due time.
    pub pauses: Vec<PauseView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PauseView {
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SlaView {
    pub tier_name: String,
    pub coverage: Coverage,
    pub timezone: String,
    pub clocks: Vec<ClockView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub number: i64,
    /// The human reference, e.g. `ACME-42`.
    pub reference: String,
    #[serde(rename = "type")]
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
    pub external_id: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
    /// Problems: root cause, known error, workaround.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<ProblemDetails>,
    /// Changes: type, risk, plan, approval, implementation and review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeDetails>,
    /// Absent when the tenant had no contract in force when the ticket was raised.
    pub sla: Option<SlaView>,
    /// Send it back as `If-Match` (or `version`) to refuse lost updates.
    pub version: i64,
}

impl TicketView {
    pub fn new(t: Ticket) -> Self {
        let t = t.into_record();
        let clocks = &t.clocks;
        let sla = t.policy.map(|p| SlaView {
            tier_name: p.tier_name,
            coverage: p.coverage,
            timezone: p.timezone,
            clocks: clocks
                .iter()
                .map(|c| ClockView {
                    metric: c.metric,
                    target_mins: c.clock.target_secs / 60,
                    started_at: at(c.clock.started_at),
                    due_at: c.due_at.map(at),
                    paused: c.running() && c.clock.is_paused(),
                    stopped_at: c.stopped_at.map(at),
                    breached_at: c.breached_at.map(at),
                    pauses: c
                        .clock
                        .pauses
                        .iter()
                        .map(|p| PauseView { from: at(p.from), to: p.to.map(at) })
                        .collect(),
                })
                .collect(),
        });
        Self {
            id: t.id,
            tenant_id: t.tenant_id,
            number: t.number,
            reference: t.reference,
            kind: t.kind,
            title: t.title,
            description: t.description,
            category: t.category,
            impact: t.impact,
            urgency: t.urgency,
            priority: t.priority,
            status: t.status,
            channel: t.channel,
            requester_id: t.requester_id,
            site_id: t.site_id,
            onsite_required: t.onsite_required,
            assignee_id: t.assignee_id,
            support_level: t.support_level,
            custom_fields: t.custom_fields,
            external_id: t.external_id,
            created_by: t.created_by,
            created_at: t.created_at,
            updated_at: t.updated_at,
            first_response_at: t.first_response_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            resolution_code: t.resolution_code,
            resolution_notes: t.resolution_notes,
            problem: t.problem,
            change: t.change,
            sla,
            version: t.version,
        }
    }
}

/// One line of a ticket's audit trail.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Uuid,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    /// e.g. `created`, `status_changed`, `priority_changed`, `clock_paused`, `escalated`.
    pub kind: String,
    pub data: Value,
}

impl From<TicketEventRow> for AuditEntry {
    fn from(e: TicketEventRow) -> Self {
        Self {
            seq: e.seq,
            at: e.at,
            actor_id: e.actor_id,
            actor_kind: e.actor_kind,
            kind: e.kind,
            data: e.data,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}
