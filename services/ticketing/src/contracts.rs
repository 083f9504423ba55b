//! Contract changes reach open tickets: when a tenant's SLA in force changes (another plan or
//! tier, stricter targets, other coverage), the catalogue announces the new policy and every
//! open ticket of the tenant is recalculated from it, keeping the time already used
//! (`clocks::change_policy`), with the change in its audit log. One consumer group for all
//! replicas, so each change is applied once; the version check makes a concurrent edit of a
//! ticket win and the recalculation try again.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use canopy_kernel::backends::{StartFrom, topics};
use canopy_kernel::service::{Received, Workers};
use canopy_kernel::{ApiError, ApiResult, ErrorCode, TenantId, TenantScope};
use canopy_sla::Priority;

use crate::domain::clocks;
use crate::domain::snapshot::PolicySnapshot;
use crate::routes::tickets::deadline;
use crate::routes::views::snapshot;
use crate::state::TicketingState;
use crate::store::tickets::{Actor, Change};

const GROUP: &str = "ticketing-contracts";

#[derive(Deserialize)]
struct CatalogEvent {
    #[serde(rename = "type")]
    kind: String,
    tenant_id: Uuid,
    at: DateTime<Utc>,
    #[serde(default)]
    policy: Option<PolicySnapshot>,
}

/// Follows the catalogue's events; a contract change recalculates the tenant's open tickets.
pub fn follow(state: &web::Data<TicketingState>, workers: &mut Workers) {
    let state = state.clone();
    workers.follow(
        state.backends.bus.clone(),
        topics::CATALOG,
        GROUP,
        StartFrom::Latest,
        move |received: Received<CatalogEvent>| {
            let state = state.clone();
            async move {
                let CatalogEvent { kind, tenant_id, at, policy } = received.event;
                let Some(mut policy) = policy.filter(|_| kind == "contract.changed") else { return Ok(()) };
                policy.as_of = Some(at);
                let n = apply(&state, tenant_id, &policy).await?;
                tracing::info!(tenant = %tenant_id, tickets = n, "open tickets recalculated for a contract change");
                Ok(())
            }
        },
    );
}

/// Recalculates every open ticket of `tenant` that was judged by other terms; returns how
/// many changed. A ticket that cannot be recalculated is logged and left as it was; only a
/// failure to list the tickets makes the event be offered again.
pub async fn apply(state: &TicketingState, tenant: Uuid, policy: &PolicySnapshot) -> ApiResult<usize> {
    let scope = TenantScope::trusted(TenantId(tenant));
    let mut changed = 0;
    for id in state.tickets.open_ids(&scope).await? {
        for attempt in 0..3 {
            match recalculate(state, &scope, id, policy).await {
                Ok(true) => changed += 1,
                Ok(false) => {}
                Err(e) if e.code() == ErrorCode::PreconditionFailed && attempt < 2 => continue,
                Err(e) => {
                    tracing::warn!(ticket = %id, error = ?e, "ticket not recalculated for the contract change")
                }
            }
            break;
        }
    }
    Ok(changed)
}

async fn recalculate(
    state: &TicketingState,
    scope: &TenantScope,
    id: Uuid,
    new: &PolicySnapshot,
) -> ApiResult<bool> {
    let (mut t, mut clocks) = state.tickets.load(scope, id).await?;
    let Some(old) = snapshot(&t)? else { return Ok(false) };
    let open = t.status.parse::<crate::domain::lifecycle::Status>().is_ok_and(|s| s.is_open());
    // Announcements can arrive late or twice: one older than the ticket's own terms is stale.
    let newer = new.as_of.is_some_and(|at| at >= old.as_of.unwrap_or(t.created_at).max(t.created_at));
    if old.same_terms(new) || !open || !newer {
        return Ok(false);
    }
    let now = state.now();
    let priority: Priority = t.priority.parse().unwrap_or(Priority::P4);
    let (old_calendar, new_calendar) = (old.calendar(), new.calendar());
    let same_calendar = old.coverage == new.coverage
        && old.business_calendar == new.business_calendar
        && old.timezone == new.timezone;
    let sla = |_| ApiError::internal(anyhow::anyhow!("the new calendar never opens"));
    clocks::change_policy(
        &mut clocks,
        &new.targets(priority),
        t.onsite_required,
        t.created_at.timestamp(),
        &old_calendar,
        &new_calendar,
        same_calendar,
        now.timestamp(),
    )
    .map_err(sla)?;
    let version = t.version;
    let mut change = Change::new(now, Actor::SYSTEM);
    change.log(
        "sla_policy_changed",
        json!({"from": {"tier": old.tier_name, "coverage": old.coverage, "contract_id": old.contract_id},
               "to": {"tier": new.tier_name, "coverage": new.coverage, "contract_id": new.contract_id}}),
    );
    for c in &clocks {
        change.log(
            "clock_retargeted",
            json!({"metric": c.metric, "target_mins": c.clock.target_secs / 60,
                   "carried_mins": c.clock.carried_secs / 60,
                   "due_at": c.due_at.and_then(|s| chrono::DateTime::from_timestamp(s, 0))}),
        );
    }
    t.policy = serde_json::to_value(new).map_err(ApiError::internal)?;
    t.next_deadline = deadline(&clocks, &new_calendar, &state.settings.sla.warning_bp)?;
    change.announce(json!({"type": "ticket.updated", "changed": ["sla"]}));
    state.tickets.save(scope, t, version, &clocks, &change).await?;
    Ok(true)
}
