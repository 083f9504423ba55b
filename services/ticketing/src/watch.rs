//! The breach watch: a timer driven by each ticket's next deadline (an index), not by
//! rescanning open tickets. It sends warnings at the configured fractions and, at the due
//! time, records the breach once, escalates the ticket and announces `sla.breached`.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use canopy_kernel::{ApiError, ApiResult, ErrorCode, TenantId, TenantScope};
use canopy_sla::BusinessCalendar;

use crate::domain::clocks::{self, Finding};
use crate::domain::lifecycle::{MAX_LEVEL, Status};
use crate::routes::views::snapshot;
use crate::state::TicketingState;
use crate::store::tickets::{Actor, BreachRecord, Change};

/// Looks at every ticket whose deadline has come; returns how many it changed.
pub async fn tick(state: &TicketingState) -> ApiResult<usize> {
    let now = state.now();
    let mut changed = 0;
    for (tenant, id) in state.tickets.due_for_watch(now, 200).await? {
        match watch_ticket(state, tenant, id, now).await {
            Ok(true) => changed += 1,
            Ok(false) => {}
            // Someone changed the ticket meanwhile; its new deadline is looked at next time.
            Err(e) if e.code() == ErrorCode::PreconditionFailed => {}
            Err(e) => tracing::warn!(ticket = %id, error = ?e, "breach watch could not update a ticket"),
        }
    }
    Ok(changed)
}

async fn watch_ticket(state: &TicketingState, tenant: Uuid, id: Uuid, now: DateTime<Utc>) -> ApiResult<bool> {
    let scope = TenantScope::trusted(TenantId(tenant));
    let (mut t, mut clocks) = state.tickets.load(&scope, id).await?;
    let calendar = snapshot(&t)?.map(|p| p.calendar()).unwrap_or_else(BusinessCalendar::always);
    let warnings = &state.settings.sla.warning_bp;
    let sla = |_| ApiError::internal(anyhow::anyhow!("the ticket's calendar never opens"));
    let findings = clocks::evaluate(&mut clocks, &calendar, warnings, now.timestamp()).map_err(sla)?;
    let version = t.version;
    let mut change = Change::new(now, Actor::SYSTEM);
    let at = |s: i64| DateTime::from_timestamp(s, 0);
    let mut breached = Vec::new();
    for f in &findings {
        match *f {
            Finding::Warning { metric, bp, due_at } => {
                change.log("sla_warning", json!({"metric": metric, "fraction_bp": bp, "due_at": at(due_at)}));
                change.announce(
                    json!({"type": "sla.warning", "metric": metric, "fraction_bp": bp, "due_at": at(due_at)}),
                );
            }
            Finding::Breach { metric, due_at } => {
                change.log("sla_breached", json!({"metric": metric, "due_at": at(due_at)}));
                change.announce(json!({"type": "sla.breached", "metric": metric, "due_at": at(due_at)}));
                change.breaches.push(BreachRecord { metric, due_at, met_at: None });
                breached.push(<&str>::from(metric));
            }
        }
    }
    if !breached.is_empty() && t.support_level < MAX_LEVEL {
        let to = t.support_level + 1;
        change.log("escalated", json!({"from": t.support_level, "to": to, "reason": format!("SLA breached: {}", breached.join(", "))}));
        t.support_level = to;
    }
    let open = t.status.parse::<Status>().is_ok_and(Status::is_open);
    let next = if open { clocks::next_deadline(&clocks, &calendar, warnings).map_err(sla)? } else { None };
    t.next_deadline = next.and_then(|s| DateTime::from_timestamp(s, 0));
    state.tickets.save(&scope, t, version, &clocks, &change).await?;
    Ok(!findings.is_empty())
}
