//! Contract changes reach open tickets: when a tenant's SLA in force changes (another plan or
//! tier, stricter targets, other coverage), the catalogue announces the new policy and every
//! open ticket of the tenant is recalculated from it, keeping the time already used
//! (`clocks::change_policy`), with the change in its audit log. One consumer group for all
//! replicas, so each change is applied once; the version check makes a concurrent edit of a
//! ticket win and the recalculation try again.

use actix_web::web;
use uuid::Uuid;

use canopy_api::events::CatalogEvent;
use canopy_kernel::backends::StartFrom;
use canopy_kernel::service::{Received, Workers};
use canopy_kernel::{ApiResult, ErrorCode, TenantId, TenantScope};

use crate::domain::snapshot::PolicySnapshot;
use crate::state::TicketingState;
use crate::store::tickets::{Actor, Change};

const GROUP: &str = "ticketing-contracts";

/// Follows the catalogue's events; a contract change recalculates the tenant's open tickets.
pub fn follow(state: &web::Data<TicketingState>, workers: &mut Workers) {
    let state = state.clone();
    workers.follow(
        state.backends.bus.clone(),
        CatalogEvent::TOPIC,
        GROUP,
        StartFrom::Latest,
        move |received: Received<CatalogEvent>| {
            let state = state.clone();
            async move {
                let CatalogEvent::ContractChanged { tenant_id, at, policy, .. } = received.event;
                // No contract in force, or none worked out: nothing to judge tickets by anew.
                let Some(policy) = policy else { return Ok(()) };
                let policy = PolicySnapshot::announced(policy, at);
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
    let mut t = state.tickets.load(scope, id).await?;
    let version = t.version;
    let now = state.moment();
    let Some(outcome) = t.change_policy(new, now)? else { return Ok(false) };
    state.tickets.save(scope, &t, version, &Change::new(now.at, Actor::SYSTEM, outcome)).await?;
    Ok(true)
}
