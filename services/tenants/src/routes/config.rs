use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::http::MAX_PAGE;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem};

pub use crate::domain::config::ConfigView;
use crate::domain::config::{ConfigUpdate, READ_ONLY_FIELDS, TenantConfig, Validate};
use crate::state::{TenantEvent, TenantsState};
use crate::store::configs::{ConfigRow, document};
pub use canopy_api::tenants::PortalConfigView;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/tenants/{tenant_id}/config")
            .route(web::get().to(get))
            .route(web::put().to(put)),
    )
    .route("/api/v1/tenants/{tenant_id}/config/history", web::get().to(history))
    .route("/api/v1/tenants/{tenant_id}/config/history/{version}", web::get().to(version));
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfigChange {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Uuid,
    /// What changed from the version before, e.g. `business_calendar.holidays`.
    pub changed_paths: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfigHistory {
    pub items: Vec<ConfigChange>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn view(row: &ConfigRow) -> ApiResult<ConfigView> {
    Ok(ConfigView {
        tenant_id: row.tenant_id,
        version: row.version,
        updated_at: row.changed_at,
        updated_by: row.changed_by,
        config: document(row)?.redacted(),
    })
}

fn respond(status: actix_web::http::StatusCode, row: &ConfigRow) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::build(status)
        .insert_header((header::ETAG, format!("\"{}\"", row.version)))
        .json(view(row)?))
}

const READERS: [Role; 6] = Role::ALL;
/// Who reads the whole document; everyone else (requesters, API keys) the portal's part.
const FULL_READERS: [Role; 5] =
    [Role::TenantAdmin, Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin];

/// The configuration as a caller may read it: whole for tenant admins and provider staff,
/// the portal's part for requesters and API keys.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ConfigRead {
    /// Tenant admins and provider staff.
    Full(ConfigView),
    /// Requesters and API keys: time zone, locale, calendar, active categories, priority
    /// matrix, custom fields, branding.
    Portal(PortalConfigView),
}

/// The whole configuration in force (webhook secrets left out), with its ETag.
pub async fn full_view(state: &TenantsState, scope: &canopy_kernel::TenantScope) -> ApiResult<HttpResponse> {
    respond(actix_web::http::StatusCode::OK, &state.configs.current(scope).await?)
}
const EDITORS: [Role; 2] = [Role::TenantAdmin, Role::ProviderAdmin];
const HISTORY_READERS: [Role; 5] =
    [Role::TenantAdmin, Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin];

#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/config", tag = "config", security(("bearer" = []), ("apiKey" = [])),
    params(("tenant_id" = Uuid, Path)),
    description = "Each role reads what it needs. Tenant admins and provider staff read the whole configuration \
        (`ConfigView`; webhook secrets are never returned). Requesters, and API keys with `tickets:write` or \
        `events:write`, read only what the portal needs to raise and follow tickets (`PortalConfigView`: time zone, \
        locale, business calendar, active categories, priority matrix, custom fields, sites by name and address, \
        branding) — not webhooks, tax, monitoring rules or sign-in rules.",
    responses((status = 200, body = ConfigRead, description = "`ConfigView` for tenant admins and provider staff, `PortalConfigView` for requesters and API keys"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*path)?;
    // Monitoring agents that open tickets read the categories and the priority matrix.
    principal.require_role_or_scope(&READERS, &["tickets:write", "events:write"])?;
    let row = state.configs.current(&scope).await?;
    if principal.kind == canopy_kernel::auth::PrincipalKind::User
        && FULL_READERS.iter().any(|r| principal.has_role(*r))
    {
        return respond(actix_web::http::StatusCode::OK, &row);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", row.version)))
        .json(PortalConfigView::of(&view(&row)?)))
}

/// The version a writer read: `If-Match: "7"`, or `version` in the body.
fn expected_version(req: &HttpRequest, body: &serde_json::Value) -> ApiResult<Option<i64>> {
    if let Some(version) = canopy_kernel::http::if_match(req)? {
        return Ok(Some(version));
    }
    match body.get("version") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => {
            v.as_i64().map(Some).ok_or_else(|| ApiError::invalid("version", "must be the version you read"))
        }
    }
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant_id}/config", tag = "config", security(("bearer" = [])),
    request_body = ConfigUpdate, params(("tenant_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    description = "Replaces the whole configuration. Every problem is reported at once; nothing is saved unless all is valid. \
        With If-Match (or `version`), a concurrent change is refused with 412 instead of being overwritten. \
        Webhook secrets are write-only: leave `secret` out to keep a webhook's current one.",
    responses((status = 200, body = ConfigView), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn put(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<Uuid>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*path)?;
    principal.require_any(&EDITORS)?;
    state.ensure_writable(&principal, &scope).await?;
    let mut body = body.into_inner();
    let expected = expected_version(&req, &body)?;
    if let Some(object) = body.as_object_mut() {
        for field in READ_ONLY_FIELDS {
            object.remove(field);
        }
    }
    // Parse errors name the path of the bad value (`business_calendar.weekly.mon[0]`).
    let mut config: TenantConfig = serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        ApiError::invalid(if path == "." { "body".to_owned() } else { path }, e.into_inner().to_string())
    })?;
    let current = state.configs.current(&scope).await?;
    let previous = document(&current)?;
    config.validate(Some(&previous)).into_result()?;
    let now = state.now();
    let row = state.configs.save(&scope, expected, &config, principal.subject, now).await?;
    if row.version != current.version {
        let changed: Vec<String> = serde_json::from_value(row.changed_paths.clone()).unwrap_or_default();
        tracing::info!(tenant = %row.tenant_id, version = row.version, changed = ?changed, "configuration changed");
        state
            .publish(TenantEvent::ConfigUpdated {
                tenant_id: row.tenant_id,
                version: row.version,
                changed_paths: changed,
                at: now,
            })
            .await;
    }
    respond(actix_web::http::StatusCode::OK, &row)
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/config/history", tag = "config", security(("bearer" = [])),
    params(("tenant_id" = Uuid, Path), HistoryQuery), description = "Every version, newest first: who changed what, and when.",
    responses((status = 200, body = ConfigHistory)))]
pub async fn history(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<Uuid>,
    query: web::Query<HistoryQuery>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*path)?;
    principal.require_any(&HISTORY_READERS)?;
    let limit = match query.limit {
        None => 50,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_PAGE}"))),
    };
    let before = match &query.cursor {
        None => None,
        Some(c) => Some(
            c.parse::<i64>().map_err(|_| ApiError::invalid("cursor", "is not a cursor this API gave out"))?,
        ),
    };
    let mut rows = state.configs.history(&scope, before, limit).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| r.version.to_string()) } else { None };
    let items = rows
        .into_iter()
        .map(|r| ConfigChange {
            version: r.version,
            changed_at: r.changed_at,
            changed_by: r.changed_by,
            changed_paths: serde_json::from_value(r.changed_paths).unwrap_or_default(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(ConfigHistory { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/config/history/{version}", tag = "config", security(("bearer" = [])),
    params(("tenant_id" = Uuid, Path), ("version" = i64, Path)), responses((status = 200, body = ConfigView), (status = 404, body = Problem)))]
pub async fn version(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<(Uuid, i64)>,
) -> ApiResult<HttpResponse> {
    let (tenant, version) = path.into_inner();
    let scope = principal.scope_for(tenant)?;
    principal.require_any(&HISTORY_READERS)?;
    respond(actix_web::http::StatusCode::OK, &state.configs.version(&scope, version).await?)
}
