//! The breach watch: a timer driven by each ticket's next deadline (an index), not by
//! rescanning open tickets. It sends warnings at the configured fractions and, at the due
//! time, records the breach once, escalates the ticket and announces `sla.breached`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use canopy_kernel::{ApiResult, ErrorCode, TenantId, TenantScope};

use crate::domain::ticket::Moment;
use crate::state::TicketingState;
use crate::store::tickets::{Actor, Change};

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
    let mut t = state.tickets.load(&scope, id).await?;
    let version = t.version;
    let outcome = t.watch(Moment { at: now, warning_bp: &state.settings.sla.warning_bp })?;
    let found = !outcome.log.is_empty();
    state.tickets.save(&scope, &t, version, &Change::new(now, Actor::SYSTEM, outcome)).await?;
    Ok(found)
}
