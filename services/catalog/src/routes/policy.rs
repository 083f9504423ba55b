use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::{ApiError, ApiResult, ErrorCode, Principal, Problem, TenantScope};
use canopy_sla::{BusinessCalendar, CalendarSpec, Coverage, SlaError, Targets, due_times};

use super::{parse, stored};
use crate::domain::{TargetTable, effective_targets, monthly_fee};
use crate::state::CatalogState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/catalog/policy", web::get().to(policy))
        .route("/api/v1/catalog/sla/preview", web::post().to(preview))
        .route("/internal/v1/tenants/{id}/rate-limit", web::get().to(rate_limit));
}

pub use canopy_api::catalog::{EffectivePolicy, PreviewAnswer, TenantPreview, TenantRateLimit};

pub async fn effective(
    state: &CatalogState,
    scope: &TenantScope,
    on: NaiveDate,
) -> ApiResult<Option<EffectivePolicy>> {
    let Some((contract, terms)) = state.contracts.in_force(scope, on).await? else { return Ok(None) };
    let plan = state.offerings.plan(terms.plan_id).await?;
    let tier = state.offerings.tier(plan.tier_id).await?;
    let overrides: TargetTable = stored(&terms.overrides)?;
    let targets = effective_targets(&stored(&tier.targets)?, &overrides)
        .map_err(|p| ApiError::internal(anyhow::anyhow!("stored overrides no longer fit the tier: {p:?}")))?;
    Ok(Some(EffectivePolicy {
        tenant_id: contract.tenant_id,
        on,
        contract_id: contract.id,
        plan_id: plan.id,
        plan_name: plan.name,
        tier_id: tier.id,
        tier_name: tier.name,
        coverage: stored(&serde_json::Value::String(tier.coverage))?,
        targets,
        overrides,
        availability_target_bp: tier.availability_target_bp,
        credit_policy: stored(&tier.credit_policy)?,
        quantity: terms.quantity,
        monthly_fee_minor: monthly_fee(terms.quantity, plan.unit_price_minor)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("fee overflow")))?,
        currency: plan.currency,
        included_onsite_mins: plan.included_onsite_mins,
        rate_limit: tier.rate_limit.as_ref().map(stored).transpose()?,
    }))
}

fn no_contract(tenant: Uuid, on: NaiveDate) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("Tenant {tenant} has no contract in force on {on}"))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PolicyQuery {
    pub tenant_id: Uuid,
    /// The tenant's day (`YYYY-MM-DD`, in its time zone); default its today.
    pub on: Option<NaiveDate>,
}

#[utoipa::path(get, path = "/api/v1/catalog/policy", tag = "catalog", security(("bearer" = [])), params(PolicyQuery),
    responses((status = 200, body = EffectivePolicy), (status = 404, body = Problem)))]
pub async fn policy(
    state: web::Data<CatalogState>,
    principal: Principal,
    req: HttpRequest,
    query: web::Query<PolicyQuery>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(query.tenant_id)?;
    principal.require_role_or_scope(&Role::ALL, &["tickets:write", "events:write"])?;
    let on = match query.on {
        Some(on) => on,
        None => state.tenant_today(&req, query.tenant_id).await?,
    };
    let policy = effective(&state, &scope, on).await?.ok_or_else(|| no_contract(query.tenant_id, on))?;
    Ok(HttpResponse::Ok().json(policy))
}

/// `POST /catalog/sla/preview` for any calendar and targets (24×7 without a calendar).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplicitPreview {
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub business_calendar: Option<CalendarSpec>,
    pub start: DateTime<Utc>,
    pub targets: Targets,
}

fn calendar(timezone: &str, spec: &CalendarSpec) -> ApiResult<BusinessCalendar> {
    BusinessCalendar::new(timezone, spec).map_err(|errors| {
        ApiError::validation(
            errors
                .into_iter()
                .map(|e| {
                    let field =
                        if e.path == "timezone" { e.path } else { format!("business_calendar.{}", e.path) };
                    canopy_kernel::FieldError::new(field, e.message)
                })
                .collect(),
        )
    })
}

/// The tenant's time zone and calendar, asked with the caller's credential.
pub(crate) async fn tenant_calendar_spec(
    state: &CatalogState,
    req: &HttpRequest,
    tenant: Uuid,
) -> ApiResult<(String, CalendarSpec)> {
    let token = canopy_kernel::tenancy::bearer_token(req).unwrap_or_default();
    let config = state.tenants.config(token, tenant).await.map_err(|e| {
        tracing::warn!(error = %e, "tenant calendar unavailable");
        match e.failure {
            canopy_api::Failure::Unreadable(_) => ApiError::from(e),
            _ => ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("The tenant's calendar is unavailable ({})", e.status().unwrap_or(502)),
            ),
        }
    })?;
    Ok((config.config.timezone, config.config.business_calendar))
}

async fn tenant_calendar(
    state: &CatalogState,
    req: &HttpRequest,
    tenant: Uuid,
) -> ApiResult<BusinessCalendar> {
    let (timezone, spec) = tenant_calendar_spec(state, req, tenant).await?;
    calendar(&timezone, &spec)
}

fn answer(
    cal: &BusinessCalendar,
    targets: &Targets,
    start: DateTime<Utc>,
    onsite: bool,
) -> ApiResult<PreviewAnswer> {
    let due = due_times(cal, targets, start.timestamp(), onsite).map_err(|SlaError::OutOfRange| {
        ApiError::invalid("business_calendar", "the calendar does not open long enough within ten years")
    })?;
    let at = |t: Option<i64>| t.and_then(|s| DateTime::from_timestamp(s, 0));
    Ok(PreviewAnswer {
        first_response_due_at: at(due.first_response),
        resolution_due_at: at(due.resolution),
        onsite_due_at: at(due.onsite),
    })
}

#[utoipa::path(post, path = "/api/v1/catalog/sla/preview", tag = "catalog", security(("bearer" = [])),
    request_body(content = TenantPreview, description = "Either {tenant_id, priority, start, onsite} (the tenant's policy and calendar) \
        or {timezone, business_calendar, start, targets} (any calendar; 24×7 without one; provider staff)."),
    responses((status = 200, body = PreviewAnswer), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn preview(
    state: web::Data<CatalogState>,
    principal: Principal,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    if body.get("tenant_id").is_some() {
        let ask: TenantPreview = parse(body)?;
        let scope = principal.scope_for(ask.tenant_id)?;
        principal.require_any(&Role::ALL)?;
        let on = state.tenant_zone(&req, ask.tenant_id).await?.day_of(ask.start);
        let policy = effective(&state, &scope, on).await?.ok_or_else(|| no_contract(ask.tenant_id, on))?;
        let targets = policy.targets.get(&ask.priority).copied().unwrap_or_default();
        let cal = match policy.coverage {
            Coverage::AlwaysOn => BusinessCalendar::always(),
            Coverage::BusinessHours => tenant_calendar(&state, &req, ask.tenant_id).await?,
        };
        return Ok(HttpResponse::Ok().json(answer(&cal, &targets, ask.start, ask.onsite)?));
    }
    if !principal.is_provider() {
        return Err(ApiError::forbidden(
            "the what-if calculator is for provider staff; send tenant_id for your own SLA",
        ));
    }
    let ask: ExplicitPreview = parse(body)?;
    let problems = ask.targets.problems("targets");
    if !problems.is_empty() {
        return Err(ApiError::validation(
            problems.into_iter().map(|(f, m)| canopy_kernel::FieldError::new(f, m)).collect(),
        ));
    }
    let cal = match (&ask.business_calendar, &ask.timezone) {
        (None, _) => BusinessCalendar::always(),
        (Some(spec), Some(tz)) => calendar(tz, spec)?,
        (Some(_), None) => {
            return Err(ApiError::invalid("timezone", "a business calendar needs its time zone"));
        }
    };
    let onsite = ask.targets.onsite_mins.is_some();
    Ok(HttpResponse::Ok().json(answer(&cal, &ask.targets, ask.start, onsite)?))
}

/// For the gateway: the tier (and its rate limit) of the tenant's contract in force on its
/// day today.
pub async fn rate_limit(
    state: web::Data<CatalogState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*id)?;
    let today = state.tenant_today(&req, *id).await?;
    let policy = effective(&state, &scope, today).await?;
    Ok(HttpResponse::Ok().json(TenantRateLimit {
        tier: policy.as_ref().map(|p| p.tier_name.to_lowercase()),
        rate_limit: policy.and_then(|p| p.rate_limit),
    }))
}
