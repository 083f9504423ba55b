use chrono::{DateTime, Utc};

use crate::domain::ticket::Ticket;
use crate::store::tickets::TicketEventRow;

pub use canopy_api::ticket_work::{AuditEntry, AuditPage};
pub use canopy_api::ticketing::{ClockView, PauseView, SlaView, TicketView};

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// A ticket as the API shows it.
impl From<Ticket> for TicketView {
    fn from(t: Ticket) -> Self {
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
