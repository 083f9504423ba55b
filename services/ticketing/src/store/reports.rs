//! What the monthly report reads: the tickets that matter to a period (raised before it
//! ended and not finished before it began), with their clocks, on-site work, feedback and —
//! for tickets imported from a legacy helpdesk — the arrivals, departures, resolutions and
//! feedback of their imported timelines.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use canopy_api::events::{ReportReady, TicketingEvent};
use canopy_kernel::{ApiError, ApiResult, ListScope, TenantOwned};

use super::entities::{clock, event, feedback, outbox, ticket, worklog};
use crate::reports::MonthlyReport;
use crate::reports::figures::TicketFacts;

#[derive(Clone)]
pub struct Reports {
    db: DatabaseConnection,
}

impl Reports {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Each ticket that matters to `[from, to)`, with its tenant.
    pub async fn facts(
        &self,
        scope: &ListScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<Vec<(Uuid, TicketFacts)>> {
        let rows = ticket::Entity::listed(scope)
            .filter(ticket::Column::CreatedAt.lt(to))
            .filter(
                Condition::any()
                    .add(ticket::Column::ResolvedAt.is_null())
                    .add(ticket::Column::ResolvedAt.gte(from)),
            )
            .filter(
                Condition::any()
                    .add(ticket::Column::ClosedAt.is_null())
                    .add(ticket::Column::ClosedAt.gte(from)),
            )
            .all(&self.db)
            .await?;
        let mut facts: HashMap<Uuid, (Uuid, TicketFacts)> = rows
            .into_iter()
            .map(|t| {
                (
                    t.id,
                    (
                        t.tenant_id,
                        TicketFacts {
                            kind: t.kind,
                            category: t.category,
                            priority: t.priority,
                            status: t.status,
                            created_at: t.created_at,
                            resolved_at: t.resolved_at,
                            closed_at: t.closed_at,
                            ..TicketFacts::default()
                        },
                    ),
                )
            })
            .collect();
        let ids: Vec<Uuid> = facts.keys().copied().collect();
        for chunk in ids.chunks(500) {
            let these = || chunk.iter().copied();
            for c in clock::Entity::listed(scope)
                .filter(clock::Column::TicketId.is_in(these()))
                .all(&self.db)
                .await?
            {
                if let Some((_, f)) = facts.get_mut(&c.ticket_id) {
                    f.clocks.push((c.metric, c.breached_at.is_some()));
                }
            }
            for w in worklog::Entity::listed(scope)
                .filter(worklog::Column::TicketId.is_in(these()))
                .filter(worklog::Column::Kind.eq("onsite"))
                .all(&self.db)
                .await?
            {
                if let Some((_, f)) = facts.get_mut(&w.ticket_id) {
                    f.arrived_at = match (f.arrived_at, w.arrived_at) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    f.departed_at = f.departed_at.max(w.departed_at);
                }
            }
            for fb in feedback::Entity::listed(scope)
                .filter(feedback::Column::TicketId.is_in(these()))
                .all(&self.db)
                .await?
            {
                if let Some((_, f)) = facts.get_mut(&fb.ticket_id) {
                    f.feedback = Some((fb.rating.clamp(1, 5) as u8, fb.complaint));
                }
            }
            for e in event::Entity::listed(scope)
                .filter(event::Column::TicketId.is_in(these()))
                .filter(event::Column::Kind.eq("imported_event"))
                .all(&self.db)
                .await?
            {
                let Some((_, f)) = facts.get_mut(&e.ticket_id) else { continue };
                // When it happened (the log entry itself is dated at the import).
                let at = e.data["at"].as_str().and_then(|s| s.parse::<DateTime<Utc>>().ok()).unwrap_or(e.at);
                match e.data["event"].as_str() {
                    Some("onsite_arrival") => f.arrived_at = Some(f.arrived_at.map_or(at, |a| a.min(at))),
                    Some("onsite_departure") => f.departed_at = Some(f.departed_at.map_or(at, |d| d.max(at))),
                    Some("resolved") => {
                        if let Some(remote) = e.data["remote"].as_bool() {
                            f.resolved_remotely = Some(remote);
                        }
                    }
                    Some("feedback") => {
                        if let Some(rating) = e.data["rating"].as_u64() {
                            f.feedback = Some((
                                rating.clamp(1, 5) as u8,
                                e.data["complaint"].as_bool().unwrap_or(false),
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(facts.into_values().collect())
    }

    /// Announces a tenant's report (`report.ready`, to its webhooks), with its headline
    /// figures and where to read it; once per tenant and month (the event's id is made of
    /// them, so a second run of the month announces nothing new).
    pub async fn announce(&self, r: &MonthlyReport, at: DateTime<Utc>) -> ApiResult<()> {
        let Some(tenant) = r.tenant_id else { return Ok(()) };
        let digest =
            <sha2::Sha256 as sha2::Digest>::digest(format!("canopy:report:{tenant}:{}", r.period).as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        let id = uuid::Builder::from_custom_bytes(bytes).into_uuid();
        let f = &r.figures;
        let event = TicketingEvent::ReportReady(ReportReady {
            event_id: id,
            tenant_id: tenant,
            at,
            period: r.period.clone(),
            url: format!("/api/v1/reports/monthly?tenant_id={tenant}&period={}&format=html", r.period),
            failures: f.failures,
            resolved: f.resolved,
            sla_compliance_bp: f.sla_compliance_bp,
            complaint_rate_bp: f.complaint_rate_bp,
        });
        let payload = serde_json::to_value(&event).map_err(ApiError::internal)?;
        let written = outbox::Entity::insert(super::outbox::event(id, tenant, payload, at))
            .exec_without_returning(&self.db)
            .await;
        match written {
            Ok(_) => Ok(()),
            Err(e) if canopy_kernel::db::is_unique_violation(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
