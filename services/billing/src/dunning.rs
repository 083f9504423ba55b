//! Dunning: a tenant with an invoice unpaid `billing.grace_days` past its due date is
//! suspended through the tenants service (its users can read, not write); once nothing is
//! overdue any more it is reinstated. Only tenants billing suspended are reinstated by it.
//! Every step is idempotent, so running it from several places at once is harmless.

use std::collections::{BTreeMap, HashSet};

use chrono::TimeDelta;
use uuid::Uuid;

use canopy_api::Failure;
use canopy_api::billing::{DunningOutcome, Reinstatement, Suspension};
use canopy_kernel::{ApiError, ApiResult, ErrorCode};

use crate::state::BillingState;
use crate::store::invoices::{DunningRow, InvoiceRow};

#[derive(Clone, Copy)]
enum Action {
    Suspend,
    Activate,
}

/// Calls the tenants service's lifecycle action; `Ok(false)` when the tenant is already there
/// (409: nothing to change).
async fn lifecycle(
    state: &BillingState,
    token: &str,
    tenant: Uuid,
    action: Action,
    reason: &str,
) -> ApiResult<bool> {
    let done = match action {
        Action::Suspend => state.tenants.suspend(token, tenant, reason).await,
        Action::Activate => state.tenants.activate(token, tenant, reason).await,
    };
    match done {
        Ok(_) => Ok(true),
        Err(e) if e.status() == Some(409) => Ok(false),
        Err(e) if matches!(e.failure, Failure::Unreachable(_)) => {
            Err(ApiError::new(ErrorCode::UpstreamUnavailable, "The tenants service cannot be reached"))
        }
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// Suspends tenants with overdue invoices and reinstates those billing suspended that owe
/// nothing overdue any more. Answers what it did.
pub async fn run(state: &BillingState) -> ApiResult<DunningOutcome> {
    let token = state.service_token.get().await.map_err(ApiError::internal)?;
    let now = state.now();
    // Invoices fall due on UTC days (the provider's payment terms, as Stripe counts them).
    let cutoff = now.date_naive() - TimeDelta::days(i64::from(state.settings.billing.grace_days));
    let overdue = state.invoices.overdue(cutoff, None).await?;
    let mut first_overdue: BTreeMap<Uuid, &InvoiceRow> = BTreeMap::new();
    for inv in &overdue {
        first_overdue.entry(inv.tenant_id).or_insert(inv);
    }
    let dunned: HashSet<Uuid> = state.invoices.dunned().await?.into_iter().map(|d| d.tenant_id).collect();
    let (mut suspended, mut reinstated) = (Vec::new(), Vec::new());
    for (tenant, inv) in &first_overdue {
        if dunned.contains(tenant) {
            continue;
        }
        let reason = format!("invoice {} unpaid since {}", inv.number, inv.due_on);
        let changed = lifecycle(state, &token, *tenant, Action::Suspend, &reason).await?;
        // Suspended by someone else already: not ours to reinstate later.
        if changed {
            state
                .invoices
                .mark_dunned(DunningRow { tenant_id: *tenant, invoice_id: inv.id, suspended_at: now })
                .await?;
            suspended.push(Suspension { tenant_id: *tenant, invoice: inv.number.clone() });
        }
    }
    for tenant in dunned.iter().filter(|t| !first_overdue.contains_key(t)) {
        reinstate(state, &token, *tenant).await?;
        reinstated.push(Reinstatement { tenant_id: *tenant });
    }
    Ok(DunningOutcome { suspended, reinstated, grace_days: state.settings.billing.grace_days })
}

async fn reinstate(state: &BillingState, token: &str, tenant: Uuid) -> ApiResult<()> {
    lifecycle(state, token, tenant, Action::Activate, "overdue invoices paid").await?;
    state.invoices.clear_dunned(tenant).await
}

/// After a payment: a tenant billing suspended is reinstated at once when nothing else is
/// overdue.
pub async fn after_payment(state: &BillingState, tenant: Uuid) -> ApiResult<()> {
    if !state.invoices.is_dunned(tenant).await? {
        return Ok(());
    }
    // UTC days, as in `run`.
    let cutoff = state.now().date_naive() - TimeDelta::days(i64::from(state.settings.billing.grace_days));
    if !state.invoices.overdue(cutoff, Some(tenant)).await?.is_empty() {
        return Ok(());
    }
    let token = state.service_token.get().await.map_err(ApiError::internal)?;
    reinstate(state, &token, tenant).await
}
