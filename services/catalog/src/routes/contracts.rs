use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_api::CallResultExt;
use canopy_api::events::ContractPolicy;
use canopy_kernel::auth::Role;
use canopy_kernel::http::{Page, PageParams};
use canopy_kernel::{ApiError, ApiResult, ListScope, Principal, Problem, TenantScope, Violations};
use canopy_sla::Targets;

use super::{parse, stored};
use crate::domain::{
    NewContract, TargetTable, Unit, check_dates, check_quantity, effective_targets, monthly_fee,
};
use crate::state::{CatalogEvent, CatalogState};
use crate::store::contracts::{ContractRow, Terms, TermsRow};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/catalog/contracts").route(web::post().to(create)).route(web::get().to(list)),
    )
    .service(
        web::resource("/api/v1/catalog/contracts/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update)),
    );
}

pub use canopy_api::catalog::{ContractView, TermsView};

fn terms_view(t: &TermsRow) -> ApiResult<TermsView> {
    Ok(TermsView {
        effective_on: t.effective_on,
        plan_id: t.plan_id,
        quantity: t.quantity,
        overrides: stored(&t.overrides)?,
    })
}

/// The contract as shown on `today`, the tenant's day.
async fn view(
    state: &CatalogState,
    scope: &TenantScope,
    c: ContractRow,
    today: NaiveDate,
) -> ApiResult<ContractView> {
    let rows = state.contracts.terms(scope, c.id).await?;
    let current = rows
        .iter()
        .rev()
        .find(|t| t.effective_on <= today)
        .or(rows.first())
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("contract {} has no terms", c.id)))?;
    let plan = state.offerings.plan(current.plan_id).await?;
    let fee = monthly_fee(current.quantity, plan.unit_price_minor)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("fee overflow")))?;
    Ok(ContractView {
        id: c.id,
        tenant_id: c.tenant_id,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        current: terms_view(current)?,
        monthly_fee_minor: fee,
        currency: plan.currency,
        terms: rows.iter().map(terms_view).collect::<ApiResult<_>>()?,
        created_at: c.created_at,
        updated_at: c.updated_at,
    })
}

/// The SLA in force on the tenant's `today`, in the shape tickets copy, for the
/// `contract.changed` event: open tickets are recalculated from it. `None` (logged) when it
/// cannot be worked out.
async fn policy_notice(
    state: &CatalogState,
    req: &HttpRequest,
    scope: &TenantScope,
    today: NaiveDate,
) -> Option<ContractPolicy> {
    let policy = match super::policy::effective(state, scope, today).await {
        Ok(Some(p)) => p,
        Ok(None) => return None,
        Err(err) => {
            tracing::warn!(error = ?err, "policy for the contract event not worked out");
            return None;
        }
    };
    let (timezone, calendar) = match super::policy::tenant_calendar_spec(state, req, policy.tenant_id).await {
        Ok(found) => found,
        Err(err) => {
            tracing::warn!(error = ?err, "tenant calendar for the contract event unavailable");
            return None;
        }
    };
    let business_hours = policy.coverage == canopy_sla::Coverage::BusinessHours;
    Some(ContractPolicy {
        contract_id: policy.contract_id,
        tier_name: policy.tier_name,
        coverage: policy.coverage,
        timezone,
        business_calendar: business_hours.then_some(calendar),
        targets: policy.targets,
    })
}

/// Does the tenant exist? Asked of the tenants service with the caller's own credential.
async fn tenant_exists(state: &CatalogState, req: &HttpRequest, tenant: Uuid) -> ApiResult<bool> {
    let token = canopy_kernel::tenancy::bearer_token(req).unwrap_or_default();
    Ok(state.tenants.tenant(token, tenant).await.found()?.is_some())
}

/// Checks a plan, quantity and overrides together; returns the plan's unit.
async fn check_terms(
    state: &CatalogState,
    plan_id: Uuid,
    quantity: i32,
    overrides: &TargetTable,
    v: &mut Violations,
) -> ApiResult<()> {
    let Ok(plan) = state.offerings.plan(plan_id).await else {
        v.add("plan_id", "no such plan");
        return Ok(());
    };
    let unit = Unit::parse(&plan.unit).unwrap_or(Unit::Seat);
    check_quantity(quantity, unit, v);
    if monthly_fee(quantity, plan.unit_price_minor).is_none() {
        v.add("quantity", "the monthly fee would be too large");
    }
    let tier = state.offerings.tier(plan.tier_id).await?;
    if let Err(problems) = effective_targets(&stored(&tier.targets)?, overrides) {
        for (field, message) in problems {
            v.add(field, message);
        }
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/catalog/contracts", tag = "catalog", security(("bearer" = [])), request_body = NewContract,
    description = "Subscribes a tenant to a plan from a date. Agreed overrides may only be stricter than the tier's targets.",
    responses((status = 201, body = ContractView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<CatalogState>,
    principal: Principal,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::ProviderAdmin])?;
    let new: NewContract = parse(body.into_inner())?;
    let mut v = Violations::new();
    check_dates(new.starts_on, new.ends_on, &mut v);
    check_terms(&state, new.plan_id, new.quantity, &new.overrides, &mut v).await?;
    if !tenant_exists(&state, &req, new.tenant_id).await? {
        v.add("tenant_id", "no such tenant");
    }
    v.into_result()?;
    let scope = principal.scope_for(new.tenant_id)?;
    let terms = Terms {
        effective_on: new.starts_on,
        plan_id: new.plan_id,
        quantity: new.quantity,
        overrides: new.overrides,
    };
    let now = state.now();
    let today = state.tenant_today(&req, new.tenant_id).await?;
    let row = state.contracts.create(&scope, new.ends_on, terms, principal.subject, now).await?;
    let policy = policy_notice(&state, &req, &scope, today).await;
    state
        .publish(CatalogEvent::ContractChanged {
            tenant_id: row.tenant_id,
            contract_id: row.id,
            at: now,
            effective_on: new.starts_on,
            policy,
        })
        .await;
    let location = format!("/api/v1/catalog/contracts/{}", row.id);
    let body = view(&state, &scope, row, today).await?;
    Ok(HttpResponse::Created().insert_header(("location", location)).json(body))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this tenant's contracts (provider roles).
    pub tenant_id: Option<Uuid>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

const READERS: [Role; 5] =
    [Role::TenantAdmin, Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin];

#[utoipa::path(get, path = "/api/v1/catalog/contracts", tag = "catalog", security(("bearer" = [])), params(ListQuery),
    description = "Provider staff see every tenant's contracts; a tenant admin sees their own.",
    responses((status = 200, body = Page<ContractView>)))]
pub async fn list(
    state: web::Data<CatalogState>,
    principal: Principal,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&READERS)?;
    let query = query.into_inner();
    let scope = match query.tenant_id {
        Some(t) => ListScope::Tenant(principal.scope_for(t)?),
        None => principal.list_scope(),
    };
    let page = PageParams { limit: query.limit, cursor: query.cursor };
    let (rows, limit) = state.contracts.list(&scope, &page).await?;
    let page = Page::from_rows(rows, limit, |c| c.id);
    let mut items = Vec::with_capacity(page.items.len());
    let mut today: std::collections::HashMap<Uuid, NaiveDate> = std::collections::HashMap::new();
    for c in page.items {
        let scope = TenantScope::trusted(canopy_kernel::TenantId(c.tenant_id));
        let day = match today.get(&c.tenant_id) {
            Some(day) => *day,
            None => {
                let day = state.tenant_today(&req, c.tenant_id).await?;
                today.insert(c.tenant_id, day);
                day
            }
        };
        items.push(view(&state, &scope, c, day).await?);
    }
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: page.next_cursor }))
}

/// The scope of a contract known by id only: another tenant's contract is not found.
async fn contract_scope(state: &CatalogState, principal: &Principal, id: Uuid) -> ApiResult<TenantScope> {
    let owner = state.contracts.owner(id).await?;
    principal.scope_for(owner).map_err(|_| ApiError::not_found("contract"))
}

#[utoipa::path(get, path = "/api/v1/catalog/contracts/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ContractView), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<CatalogState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = contract_scope(&state, &principal, *id).await?;
    principal.require_any(&READERS)?;
    let row = state.contracts.get(&scope, *id).await?;
    let today = state.tenant_today(&req, row.tenant_id).await?;
    Ok(HttpResponse::Ok().json(view(&state, &scope, row, today).await?))
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<NaiveDate>>, D::Error> {
    Option::<NaiveDate>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractChange {
    pub quantity: Option<i32>,
    /// Move to another plan.
    pub plan_id: Option<Uuid>,
    /// Replaces the agreed overrides.
    #[schema(value_type = Option<std::collections::BTreeMap<String, Targets>>)]
    pub overrides: Option<TargetTable>,
    /// The tenant's day from which the new quantity, plan or overrides take effect (from its
    /// local midnight); default the tenant's today.
    #[schema(value_type = Option<String>)]
    pub effective_on: Option<NaiveDate>,
    /// A new last day; `null` makes the contract open-ended.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub ends_on: Option<Option<NaiveDate>>,
}

#[utoipa::path(patch, path = "/api/v1/catalog/contracts/{id}", tag = "catalog", security(("bearer" = [])), request_body = ContractChange,
    params(("id" = Uuid, Path)),
    description = "Changes quantity, plan or overrides from a date (the earlier terms stay, for billing), or the end date.",
    responses((status = 200, body = ContractView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<CatalogState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let scope = contract_scope(&state, &principal, *id).await?;
    principal.require_any(&[Role::ProviderAdmin])?;
    let change: ContractChange = parse(body.into_inner())?;
    let now = state.now();
    let today = state.tenant_today(&req, scope.tenant_id().0).await?;
    let terms = if change.quantity.is_some() || change.plan_id.is_some() || change.overrides.is_some() {
        let effective_on = change.effective_on.unwrap_or(today);
        let existing = state.contracts.terms(&scope, *id).await?;
        let base = existing.iter().rev().find(|t| t.effective_on <= effective_on).or(existing.first());
        let base = base.ok_or_else(|| ApiError::internal(anyhow::anyhow!("contract {id} has no terms")))?;
        let terms = Terms {
            effective_on,
            plan_id: change.plan_id.unwrap_or(base.plan_id),
            quantity: change.quantity.unwrap_or(base.quantity),
            overrides: match change.overrides {
                Some(o) => o,
                None => stored(&base.overrides)?,
            },
        };
        let mut v = Violations::new();
        check_terms(&state, terms.plan_id, terms.quantity, &terms.overrides, &mut v).await?;
        v.into_result()?;
        Some(terms)
    } else if change.effective_on.is_some() {
        return Err(ApiError::invalid("effective_on", "goes with a new quantity, plan or overrides"));
    } else {
        None
    };
    if terms.is_none() && change.ends_on.is_none() {
        return Err(ApiError::invalid(
            "body",
            "nothing to change: give quantity, plan_id, overrides or ends_on",
        ));
    }
    let row = state.contracts.change(&scope, *id, terms, change.ends_on, principal.subject, now).await?;
    let policy = policy_notice(&state, &req, &scope, today).await;
    state
        .publish(CatalogEvent::ContractChanged {
            tenant_id: row.tenant_id,
            contract_id: row.id,
            at: now,
            effective_on: change.effective_on.unwrap_or(today),
            policy,
        })
        .await;
    Ok(HttpResponse::Ok().json(view(&state, &scope, row, today).await?))
}
