//! Endpoints for other services, never routed by the gateway.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use canopy_kernel::{ApiError, ApiResult, ErrorCode, Principal, TenantId, TenantScope};

use crate::domain::tenant::TenantStatus;
use crate::state::TenantsState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/internal/v1/api-keys/exchange", web::post().to(exchange))
        .route("/internal/v1/tenants/{id}/status", web::get().to(status))
        .route("/internal/v1/tenants/{id}/config", web::get().to(config))
        .route("/internal/v1/tenants/{id}/users/{user}", web::get().to(member))
        .route("/internal/v1/service-token", web::post().to(service_token))
        .route("/internal/v1/access/revocations", web::get().to(revocations));
}

pub use canopy_api::tenants::{
    ExchangeRequest, ExchangedKey, SERVICE_SECRET_HEADER, TenantMember, TenantStatusView,
};

/// The gateway trades a monitoring agent's API key for a short-lived access token, so that
/// services behind it only ever verify one kind of credential. The key is the proof.
pub async fn exchange(
    state: web::Data<TenantsState>,
    body: web::Json<ExchangeRequest>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let key = state.api_keys.authenticate(&body.key, now).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidToken, "The API key is unknown, expired or revoked")
    })?;
    let tenant_status = state.tenants.status(&TenantScope::trusted(TenantId(key.tenant_id))).await?;
    if tenant_status == TenantStatus::Cancelled {
        return Err(ApiError::new(ErrorCode::TenantCancelled, "The tenant is cancelled"));
    }
    let (access_token, expires_in) = state.access_token_for_key(key.id, key.tenant_id, &key.scopes)?;
    Ok(HttpResponse::Ok().json(ExchangedKey {
        access_token,
        expires_in,
        tenant_id: key.tenant_id,
        key_id: key.id,
        scopes: key.scopes.split_whitespace().map(str::to_owned).collect(),
        tenant_status,
    }))
}

/// A tenant's key, status, tier and time zone, for the gateway (read-only enforcement,
/// rate-limit size), ticketing (ticket numbers) and every service that needs the tenant's
/// days; any credential of the tenant may ask.
pub async fn status(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*id)?;
    let tenant = state.tenants.get(&scope).await?;
    let status = TenantStatus::parse(&tenant.status).unwrap_or(TenantStatus::Suspended);
    let config = crate::store::configs::document(&state.configs.current(&scope).await?)?;
    Ok(HttpResponse::Ok().json(TenantStatusView {
        tenant_id: tenant.id,
        key: tenant.key,
        name: tenant.name,
        status,
        tier: tenant.tier,
        timezone: config.timezone,
    }))
}

/// The tenant's whole configuration (webhook secrets left out) for the services that act
/// with any credential of the tenant (a requester raising a ticket needs its sites and
/// calendar checked); the public endpoint shows requesters only the portal's part.
pub async fn config(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*id)?;
    super::config::full_view(&state, &scope).await
}

/// Whether a user belongs to the tenant, with its roles: ticketing checks a ticket's
/// requester with it. Any credential of the tenant may ask; another tenant's user, or an
/// unknown id, is 404.
pub async fn member(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (tenant, user) = path.into_inner();
    let scope = principal.scope_for(tenant)?;
    let row = state.users.get(crate::store::users::UserScope::Tenant(scope), user).await?;
    Ok(HttpResponse::Ok().json(TenantMember {
        user_id: row.id,
        tenant_id: tenant,
        roles: crate::domain::user::roles_from_column(&row.roles),
        active: row.active,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTokenRequest {
    pub service: String,
}

/// The services that may ask for a token of their own.
const SERVICES: [&str; 2] = ["scheduler", "billing"];

/// A service proves it shares `auth.service_secret` and gets a short-lived provider token for
/// work no user asked for (a recurring job opening a ticket). Its actions are audited as the
/// service's (the token's subject is the nil id, "system").
pub async fn service_token(
    state: web::Data<TenantsState>,
    req: actix_web::HttpRequest,
    body: web::Json<ServiceTokenRequest>,
) -> ApiResult<HttpResponse> {
    let presented = req.headers().get("x-service-secret").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let expected = state.settings.auth.service_secret.as_ref().map(|s| s.expose().as_str());
    let known = SERVICES.contains(&body.service.as_str());
    match expected {
        Some(secret) if known && crate::domain::secrets::digests_equal(secret, presented) => {}
        _ => return Err(ApiError::new(ErrorCode::InvalidToken, "Unknown service or wrong service secret")),
    }
    let (access_token, expires_in) = state.access_token_for_service()?;
    tracing::info!(service = %body.service, "service token issued");
    Ok(HttpResponse::Ok().json(serde_json::json!({"access_token": access_token, "expires_in": expires_in})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationsQuery {
    /// The cursor the verifier has: revocations after it are answered.
    #[serde(default)]
    pub after: i64,
    pub limit: Option<u64>,
}

/// The live access revocations after a cursor, oldest first, for verifiers' replicas (the
/// gateway). A platform with a service secret asks for it (`x-service-secret`); without one,
/// only the network keeps others out, as for the API-key exchange.
pub async fn revocations(
    state: web::Data<TenantsState>,
    req: actix_web::HttpRequest,
    query: web::Query<RevocationsQuery>,
) -> ApiResult<HttpResponse> {
    if let Some(secret) = &state.settings.auth.service_secret {
        let presented =
            req.headers().get(SERVICE_SECRET_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !crate::domain::secrets::digests_equal(secret.expose(), presented) {
            return Err(ApiError::new(ErrorCode::InvalidToken, "Wrong or missing service secret"));
        }
    }
    if query.after < 0 {
        return Err(ApiError::invalid("after", "must not be negative"));
    }
    let limit = query.limit.unwrap_or(500);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 5000"));
    }
    let page = state.revocations.after(query.after, limit, state.now()).await?;
    Ok(HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(page))
}
