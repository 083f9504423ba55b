use actix_web::{HttpResponse, web};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::http::{Page, PageParams};
use canopy_kernel::validate::clean_text;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem, Violations};

use super::users::{Joining, NewUserRequest, UserView, validate_new_user};
use crate::domain::config::{Locale, TenantConfig, check_timezone};
use crate::domain::tenant::{Lifecycle, TenantStatus, check_key, check_tier};
use crate::state::{TenantEvent, TenantsState};
use crate::store::tenants::{NewTenant, TenantPatch, TenantRow};
use crate::store::users::NewUser;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/tenants").route(web::post().to(create)).route(web::get().to(list)))
        .service(
            web::resource("/api/v1/tenants/{id}").route(web::get().to(get)).route(web::patch().to(update)),
        )
        .route("/api/v1/tenants/{id}/suspend", web::post().to(suspend))
        .route("/api/v1/tenants/{id}/activate", web::post().to(activate))
        .route("/api/v1/tenants/{id}/cancel", web::post().to(cancel));
}

pub use canopy_api::tenants::{LifecycleRequest, TenantView};

impl From<TenantRow> for TenantView {
    fn from(t: TenantRow) -> Self {
        Self {
            id: t.id,
            key: t.key,
            name: t.name,
            status: TenantStatus::parse(&t.status).unwrap_or(TenantStatus::Suspended),
            tier: t.tier,
            trial_ends_at: t.trial_ends_at,
            status_reason: t.status_reason,
            status_changed_at: t.status_changed_at,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenantRequest {
    #[schema(example = "Acme Trading Co.")]
    pub name: String,
    #[schema(example = "ACME")]
    pub key: String,
    /// IANA time zone; default `UTC`.
    pub timezone: Option<String>,
    pub locale: Option<Locale>,
    /// Rate-limit tier; default from configuration.
    pub tier: Option<String>,
    /// Starts the tenant on a trial of this many days (1–90) instead of active.
    pub trial_days: Option<u32>,
    /// The tenant's first admin, created with it.
    pub admin: Option<NewUserRequest>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedTenant {
    #[serde(flatten)]
    pub tenant: TenantView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<UserView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchTenantRequest {
    pub name: Option<String>,
    pub tier: Option<String>,
    /// Extends or shortens a trial.
    pub trial_ends_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTenantsQuery {
    pub status: Option<TenantStatus>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

fn tiers(state: &TenantsState) -> Vec<String> {
    state.settings.gateway.rate_limits.tiers.keys().cloned().collect()
}

fn check_name(name: &str, v: &mut Violations) -> String {
    clean_text(name, 200).unwrap_or_else(|message| {
        v.add("name", message);
        String::new()
    })
}

#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", security(("bearer" = [])), request_body = CreateTenantRequest,
    description = "Onboards a customer company: the tenant, its initial configuration and optionally its first admin. Provider admins only.",
    responses((status = 201, body = CreatedTenant), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<TenantsState>,
    principal: Principal,
    body: web::Json<CreateTenantRequest>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::ProviderAdmin])?;
    let body = body.into_inner();
    let mut v = Violations::new();
    let name = check_name(&body.name, &mut v);
    let key = body.key.trim().to_owned();
    check_key(&key, &mut v);
    let timezone = body.timezone.unwrap_or_else(|| "UTC".into());
    check_timezone(&timezone, &mut v);
    let known = tiers(&state);
    let tier = body.tier.unwrap_or_else(|| state.settings.gateway.rate_limits.default_tier.clone());
    check_tier(&tier, &known.iter().map(String::as_str).collect::<Vec<_>>(), &mut v);
    if let Some(days) = body.trial_days {
        v.check((1..=90).contains(&days), "trial_days", "must be between 1 and 90");
    }
    let admin = body.admin.map(|a| validate_new_user(a, Joining::FirstAdmin, &mut v));
    v.into_result()?;

    let now = state.now();
    let tenant_id = Uuid::now_v7();
    let first_admin = match admin {
        Some((email, display_name, password, roles)) => {
            Some(NewUser { email, display_name, password_hash: state.hash_password(password).await?, roles })
        }
        None => None,
    };
    let config = TenantConfig::initial(&timezone, body.locale.unwrap_or(Locale::En));
    let new = NewTenant {
        id: tenant_id,
        key,
        name,
        tier,
        trial_ends_at: body.trial_days.map(|d| now + TimeDelta::days(i64::from(d))),
    };
    let (tenant, admin) = state.tenants.create(new, &config, principal.subject, first_admin, now).await?;
    state.publish(TenantEvent::Created { tenant_id: tenant.id, at: now }).await;
    tracing::info!(tenant = %tenant.id, key = %tenant.key, "tenant created");
    let location = format!("/api/v1/tenants/{}", tenant.id);
    Ok(HttpResponse::Created()
        .insert_header(("location", location))
        .json(CreatedTenant { tenant: tenant.into(), admin: admin.map(UserView::from) }))
}

#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants", security(("bearer" = [])), params(ListTenantsQuery),
    description = "Provider staff see every tenant; a tenant's users see only their own.",
    responses((status = 200, body = Page<TenantView>)))]
pub async fn list(
    state: web::Data<TenantsState>,
    principal: Principal,
    query: web::Query<ListTenantsQuery>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&Role::ALL)?;
    let query = query.into_inner();
    let page = PageParams { limit: query.limit, cursor: query.cursor };
    let (rows, limit) = state.tenants.list(&principal.list_scope(), query.status, &page).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |t| t.id).map(TenantView::from)))
}

#[utoipa::path(get, path = "/api/v1/tenants/{id}", tag = "tenants", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = TenantView), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*id)?;
    principal.require_any(&Role::ALL)?;
    Ok(HttpResponse::Ok().json(TenantView::from(state.tenants.get(&scope).await?)))
}

#[utoipa::path(patch, path = "/api/v1/tenants/{id}", tag = "tenants", security(("bearer" = [])), request_body = PatchTenantRequest,
    params(("id" = Uuid, Path)), responses((status = 200, body = TenantView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: web::Json<PatchTenantRequest>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*id)?;
    principal.require_any(&[Role::ProviderAdmin])?;
    let body = body.into_inner();
    let mut v = Violations::new();
    let name = body.name.as_deref().map(|n| check_name(n, &mut v));
    if let Some(tier) = &body.tier {
        let known = tiers(&state);
        check_tier(tier, &known.iter().map(String::as_str).collect::<Vec<_>>(), &mut v);
    }
    let current = state.tenants.get(&scope).await?;
    if body.trial_ends_at.is_some() && current.status != TenantStatus::Trial.as_str() {
        v.add("trial_ends_at", "only a tenant on trial has a trial end");
    }
    v.into_result()?;
    let patch = TenantPatch { name, tier: body.tier, trial_ends_at: body.trial_ends_at.map(Some) };
    let tenant = state.tenants.update(&scope, patch, state.now()).await?;
    state.publish(TenantEvent::Updated { tenant_id: tenant.id, at: state.now() }).await;
    Ok(HttpResponse::Ok().json(TenantView::from(tenant)))
}

async fn transition(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: Uuid,
    body: web::Bytes,
    action: Lifecycle,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(id)?;
    // Provider admins; or billing's dunning, acting as a service, suspending and reinstating.
    if !(principal.is_service() && matches!(action, Lifecycle::Suspend | Lifecycle::Activate)) {
        principal.require_any(&[Role::ProviderAdmin])?;
    }
    let body: LifecycleRequest = super::optional_json(&body)?;
    let reason = match body.reason.as_deref().map(|r| clean_text(r, 500)) {
        Some(Err(message)) => return Err(ApiError::invalid("reason", message)),
        Some(Ok(r)) => Some(r),
        None => None,
    };
    let now = state.now();
    let (tenant, revoked) =
        state.tenants.transition(&scope, action, reason, now, state.revocation_expires_at()).await?;
    let view = TenantView::from(tenant);
    if let Some(cursor) = revoked {
        state.announce_revocation(cursor, Some(view.id)).await;
    }
    state.publish(TenantEvent::StatusChanged { tenant_id: view.id, status: view.status, at: now }).await;
    tracing::info!(tenant = %view.id, status = view.status.as_str(), "tenant status changed");
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(post, path = "/api/v1/tenants/{id}/suspend", tag = "tenants", security(("bearer" = [])),
    request_body(content = LifecycleRequest, description = "Optional: why (kept with the tenant)"), params(("id" = Uuid, Path)),
    description = "A suspended tenant's users can read but not write.",
    responses((status = 200, body = TenantView), (status = 409, body = Problem)))]
pub async fn suspend(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    transition(state, principal, *id, body, Lifecycle::Suspend).await
}

#[utoipa::path(post, path = "/api/v1/tenants/{id}/activate", tag = "tenants", security(("bearer" = [])),
    request_body(content = LifecycleRequest, description = "Optional: why (kept with the tenant)"), params(("id" = Uuid, Path)),
    responses((status = 200, body = TenantView), (status = 409, body = Problem)))]
pub async fn activate(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    transition(state, principal, *id, body, Lifecycle::Activate).await
}

#[utoipa::path(post, path = "/api/v1/tenants/{id}/cancel", tag = "tenants", security(("bearer" = [])),
    request_body(content = LifecycleRequest, description = "Optional: why (kept with the tenant)"), params(("id" = Uuid, Path)),
    description = "Ends the tenant's service for good: its users can no longer sign in.",
    responses((status = 200, body = TenantView), (status = 409, body = Problem)))]
pub async fn cancel(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    transition(state, principal, *id, body, Lifecycle::Cancel).await
}
