//! The webhook delivery log: what was sent where, with every attempt's outcome, and a way to
//! send a delivery again.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::http::{Page, PageParams};
use canopy_kernel::{ApiError, ApiResult, Principal, Problem};

pub use canopy_api::tenants::DeliveryView;

use crate::state::TenantsState;
use crate::store::webhooks::{DELIVERED, DeliveryRow, FAILED, PENDING};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/tenants/{tenant_id}/webhook-deliveries").route(web::get().to(list)))
        .service(
            web::resource("/api/v1/tenants/{tenant_id}/webhook-deliveries/{id}").route(web::get().to(get)),
        )
        .service(
            web::resource("/api/v1/tenants/{tenant_id}/webhook-deliveries/{id}/redeliver")
                .route(web::post().to(redeliver)),
        );
}

const MANAGERS: [Role; 2] = [Role::TenantAdmin, Role::ProviderAdmin];

impl From<DeliveryRow> for DeliveryView {
    fn from(d: DeliveryRow) -> Self {
        Self {
            payload: serde_json::from_str(&d.payload).unwrap_or(Value::String(d.payload)),
            id: d.id,
            tenant_id: d.tenant_id,
            webhook_id: d.webhook_id,
            event_id: d.event_id,
            event_type: d.event_type,
            url: d.url,
            next_attempt_at: (d.status == PENDING).then_some(d.next_attempt_at).flatten(),
            status: d.status,
            attempts: d.attempts,
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    pub webhook_id: Option<Uuid>,
    /// `pending`, `delivered` or `failed`.
    pub status: Option<String>,
    /// `newest` for the latest deliveries first; `oldest` (the default) in the order they were made.
    pub order: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/webhook-deliveries", tag = "config", security(("bearer" = [])),
    params(("tenant_id" = Uuid, Path), DeliveryQuery),
    description = "The tenant's webhook deliveries, oldest first (or newest first with `order=newest`): each event sent to each subscribed webhook, signed \
        with HMAC-SHA256 over `<timestamp>.<body>` (header `Canopy-Signature: t=…,v1=…`), retried with backoff.",
    responses((status = 200, body = Page<DeliveryView>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<Uuid>,
    query: web::Query<DeliveryQuery>,
) -> ApiResult<HttpResponse> {
    let scope = principal.scope_for(*path)?;
    principal.require_any(&MANAGERS)?;
    let q = query.into_inner();
    if let Some(s) = &q.status
        && ![PENDING, DELIVERED, FAILED].contains(&s.as_str())
    {
        return Err(ApiError::invalid("status", "must be pending, delivered or failed"));
    }
    let newest_first = match q.order.as_deref() {
        None | Some("oldest") => false,
        Some("newest") => true,
        Some(_) => return Err(ApiError::invalid("order", "must be oldest or newest")),
    };
    let page = PageParams { limit: q.limit, cursor: q.cursor };
    let (rows, limit) =
        state.deliveries.list(&scope, q.webhook_id, q.status.as_deref(), newest_first, &page).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |d| d.id).map(DeliveryView::from)))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/webhook-deliveries/{id}", tag = "config", security(("bearer" = [])),
    params(("tenant_id" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = DeliveryView), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (tenant, id) = path.into_inner();
    let scope = principal.scope_for(tenant)?;
    principal.require_any(&MANAGERS)?;
    Ok(HttpResponse::Ok().json(DeliveryView::from(state.deliveries.get(&scope, id).await?)))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/webhook-deliveries/{id}/redeliver", tag = "config",
    security(("bearer" = [])), params(("tenant_id" = Uuid, Path), ("id" = Uuid, Path)),
    description = "Sends a delivered or failed delivery again as soon as possible, with a fresh set of attempts \
        (409 while it is still being tried).",
    responses((status = 202, body = DeliveryView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn redeliver(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (tenant, id) = path.into_inner();
    let scope = principal.scope_for(tenant)?;
    principal.require_any(&MANAGERS)?;
    state.ensure_writable(&principal, &scope).await?;
    let row = state.deliveries.redeliver(&scope, id, state.now()).await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(row)))
}
