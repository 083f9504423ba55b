use actix_web::{HttpResponse, web};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::http::{Page, PageParams};
use canopy_kernel::validate::clean_text;
use canopy_kernel::{ApiResult, Principal, Problem, Violations};

use crate::state::{TenantEvent, TenantsState};
use crate::store::api_keys::{API_KEY_SCOPES, ApiKeyRow};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/tenants/{tenant_id}/api-keys")
            .route(web::post().to(create))
            .route(web::get().to(list)),
    )
    .service(
        web::resource("/api/v1/tenants/{tenant_id}/api-keys/{id}")
            .route(web::get().to(get))
            .route(web::delete().to(revoke)),
    );
}

pub use canopy_api::tenants::{ApiKeyView, CreateApiKeyRequest, CreatedApiKey};

impl From<ApiKeyRow> for ApiKeyView {
    fn from(k: ApiKeyRow) -> Self {
        Self {
            id: k.id,
            tenant_id: k.tenant_id,
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes.split_whitespace().map(str::to_owned).collect(),
            created_by: k.created_by,
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

const MANAGERS: [Role; 2] = [Role::TenantAdmin, Role::ProviderAdmin];

#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/api-keys", tag = "api-keys", security(("bearer" = [])),
    request_body = CreateApiKeyRequest, params(("tenant_id" = Uuid, Path)),
    description = "Creates a key for a monitoring agent. The key is in the answer and never again; only its hash is kept.",
    responses((status = 201, body = CreatedApiKey), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<Uuid>,
    body: web::Json<CreateApiKeyRequest>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*path)?;
    principal.require_any(&MANAGERS)?;
    state.ensure_writable(&principal, &scope).await?;
    let body = body.into_inner();
    let mut v = Violations::new();
    let name = clean_text(&body.name, 100).unwrap_or_else(|m| {
        v.add("name", m);
        String::new()
    });
    let mut scopes = if body.scopes.is_empty() { vec!["events:write".to_owned()] } else { body.scopes };
    for (i, s) in scopes.iter().enumerate() {
        v.check(
            API_KEY_SCOPES.contains(&s.as_str()),
            format!("scopes[{i}]"),
            format!("`{s}` is not one of: {}", API_KEY_SCOPES.join(", ")),
        );
    }
    scopes.sort();
    scopes.dedup();
    let now = state.now();
    if let Some(at) = body.expires_at {
        v.check(at > now, "expires_at", "must be in the future");
    }
    v.into_result()?;
    let (key, row) =
        state.api_keys.create(&scope, name, scopes, body.expires_at, principal.subject, now).await?;
    tracing::info!(tenant = %row.tenant_id, key = %row.prefix, "API key created");
    let location = format!("/api/v1/tenants/{}/api-keys/{}", row.tenant_id, row.id);
    Ok(HttpResponse::Created()
        .insert_header(("location", location))
        .insert_header(("cache-control", "no-store"))
        .json(CreatedApiKey { api_key: row.into(), key }))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/api-keys", tag = "api-keys", security(("bearer" = [])),
    params(("tenant_id" = Uuid, Path), PageParams), responses((status = 200, body = Page<ApiKeyView>)))]
pub async fn list(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*path)?;
    principal.require_any(&MANAGERS)?;
    let (rows, limit) = state.api_keys.list(&scope, &page).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |k| k.id).map(ApiKeyView::from)))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    params(("tenant_id" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 200, body = ApiKeyView), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (tenant, id) = path.into_inner();
    let scope = principal.scope_for(tenant)?;
    principal.require_any(&MANAGERS)?;
    Ok(HttpResponse::Ok().json(ApiKeyView::from(state.api_keys.get(&scope, id).await?)))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    description = "Revokes the key at once: the gateway stops accepting it.",
    params(("tenant_id" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (tenant, id) = path.into_inner();
    let scope = principal.scope_for(tenant)?;
    principal.require_any(&MANAGERS)?;
    state.ensure_writable(&principal, &scope).await?;
    let (key, cursor) = state.api_keys.revoke(&scope, id, state.now(), state.revocation_expires_at()).await?;
    state.announce_revocation(cursor, Some(key.tenant_id)).await;
    // The gateway caches exchanged keys by prefix; drop the entry so the key stops working now.
    if let Err(err) =
        state.backends.cache.delete(&canopy_kernel::auth::cache_keys::api_key(&key.prefix)).await
    {
        tracing::warn!(error = %format!("{err:#}"), "API key cache entry not dropped");
    }
    let at = state.now();
    state
        .publish(TenantEvent::ApiKeyRevoked {
            tenant_id: key.tenant_id,
            key_id: key.id,
            prefix: key.prefix.clone(),
            at,
        })
        .await;
    tracing::info!(tenant = %key.tenant_id, key = %key.prefix, "API key revoked");
    Ok(HttpResponse::NoContent().finish())
}
